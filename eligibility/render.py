"""Render a `Verdict` as text for a caseworker, as Markdown, or as canonical JSON.

JSON is canonical (sorted keys, two-space indent, UTF-8, trailing newline) so that the same case
and rules give byte-identical output. The fixed words of the text and Markdown layouts are below,
in Norwegian bokmål and English; everything else comes from the rules' reviewed templates.
"""

from __future__ import annotations

import json

from .verdict import ProvisionResult, Reason, Verdict

LABELS = {
    "case": {"nb": "Sak", "en": "Case"},
    "as_of": {"nb": "vurdert etter loven per", "en": "assessed under the law as of"},
    "rules": {"nb": "regelverk", "en": "rules"},
    "met": {"nb": "oppfylt", "en": "met"},
    "not_met": {"nb": "ikke oppfylt", "en": "not met"},
    "undetermined": {"nb": "uavklart", "en": "undetermined"},
    "needs_assessment": {"nb": "krever vurdering", "en": "needs assessment"},
    "missing": {"nb": "Manglende opplysninger – spør om dette", "en": "Missing facts – ask for these"},
    "notes": {"nb": "Merknader", "en": "Notes"},
    "warnings": {"nb": "Viktig", "en": "Important"},
    "why": {"nb": "Begrunnelse", "en": "Why"},
    "referrals": {"nb": "Neste steg", "en": "Next steps"},
    "now": {"nb": "NÅ", "en": "NOW"},
    "soon": {"nb": "SNART", "en": "SOON"},
    "planned": {"nb": "PLANLEGG", "en": "PLAN"},
    "why_referral": {"nb": "Hvorfor", "en": "Why"},
    "basis": {"nb": "Grunnlag", "en": "Legal basis"},
    "contact": {"nb": "Kontakt", "en": "Contact"},
    "disclaimer": {
        "nb": "Dette er en foreløpig vurdering av oppgitte opplysninger, ikke et vedtak. Søk juridisk råd.",
        "en": "This is a preliminary screening of the facts given, not a decision. Seek legal advice.",
    },
}
MARK = {"met": "+", "not_met": "-", "undetermined": "?", "needs_assessment": "!"}


def label(key: str, lang: str) -> str:
    return LABELS[key][lang]


def to_json(verdict: Verdict) -> str:
    return json.dumps(verdict.model_dump(mode="json"), sort_keys=True, ensure_ascii=False, indent=2) + "\n"


def _reason_line(reason: Reason, lang: str, failed: bool = False) -> str:
    return f"[{'-' if failed else MARK[reason.status]}] {reason.text} ({reason.citation.text})"


def _provision_text(p: ProvisionResult, lang: str) -> list[str]:
    lines = [f"{p.title}  [{p.citation.text}]", f"  => {p.headline.upper()}"]
    if p.explanation:
        lines.append(f"     {p.explanation}")
    for reason in p.failed:
        lines.append(f"     {_reason_line(reason, lang, failed=True)}")
    for reason in p.reasons:
        lines.append(f"     {_reason_line(reason, lang)}")
    if p.missing:
        lines.append(f"     {label('missing', lang)}:")
        for m in p.missing:
            lines.append(f"       - {m.question}  [{m.path}]")
    if p.notes:
        lines.append(f"     {label('notes', lang)}:")
        lines.extend(f"       - {n}" for n in p.notes)
    lines.append(f"     «{p.citation.quote}»")
    return lines


def to_text(verdict: Verdict) -> str:
    lang = verdict.lang
    out = [
        f"{label('case', lang)} {verdict.case_id}: {label('as_of', lang)} {verdict.assessment_date} "
        f"({label('rules', lang)} {verdict.rules_version}, sha256 {verdict.rules_digest[:12]})",
        "",
    ]
    if verdict.warnings:
        for w in verdict.warnings:
            out.append(f"!! {label('warnings', lang).upper()}: {w.text} ({w.citation.text})")
        out.append("")
    for p in verdict.provisions:
        out.extend(_provision_text(p, lang))
        out.append("")
    if verdict.referrals:
        out.append(f"{label('referrals', lang).upper()}:")
        for r in verdict.referrals:
            out.append(f"  [{label(r.urgency, lang)}] {r.name}: {r.contact}")
            out.append(f"     {label('why_referral', lang)}: {r.reason}")
            basis = r.basis if r.basis_confidence == "LAW-TEXT" else f"{r.basis} – {r.basis_quote}"
            out.append(f"     {label('basis', lang)}: {basis}")
        out.append("")
    out.append(label("disclaimer", lang))
    return "\n".join(out) + "\n"


def to_markdown(verdict: Verdict) -> str:
    lang = verdict.lang
    out = [
        f"# {label('case', lang)} `{verdict.case_id}`",
        "",
        f"{label('as_of', lang).capitalize()} **{verdict.assessment_date}** · {label('rules', lang)} "
        f"{verdict.rules_version} · sha256 `{verdict.rules_digest[:12]}`",
        "",
    ]
    if verdict.warnings:
        out.append(f"## {label('warnings', lang)}")
        out.append("")
        out.extend(f"> **{w.text}** ({w.citation.text})" + "\n" for w in verdict.warnings)
    for p in verdict.provisions:
        out.append(f"## {p.title}")
        out.append("")
        out.append(f"*{p.citation.text}*")
        out.append("")
        out.append(f"**{p.headline}** (`{p.status}`, {p.kind})")
        out.append("")
        if p.explanation:
            out.extend([p.explanation, ""])
        for reason in p.failed:
            out.append(f"- **{label('not_met', lang)}**: {reason.text} *({reason.citation.text})*")
        for reason in p.reasons:
            out.append(f"- **{label(reason.status, lang)}**: {reason.text} *({reason.citation.text})*")
        if p.failed or p.reasons:
            out.append("")
        if p.missing:
            out.append(f"**{label('missing', lang)}:**")
            out.append("")
            out.extend(f"- {m.question} (`{m.path}`)" for m in p.missing)
            out.append("")
        if p.notes:
            out.append(f"**{label('notes', lang)}:**")
            out.append("")
            out.extend(f"- {n}" for n in p.notes)
            out.append("")
        out.append(f"> «{p.citation.quote}»")
        out.append("")
    if verdict.referrals:
        out.append(f"## {label('referrals', lang)}")
        out.append("")
        for r in verdict.referrals:
            out.append(f"- **{label(r.urgency, lang)} – {r.name}** ({r.contact}): {r.reason} "
                       f"*{label('basis', lang)}: {r.basis}*")
        out.append("")
    out.append(f"*{label('disclaimer', lang)}*")
    return "\n".join(out) + "\n"


RENDERERS = {"text": to_text, "markdown": to_markdown, "json": to_json}
