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


def _reason_line(reason: Reason, failed: bool = False) -> str:
    return f"[{'-' if failed else MARK[reason.status]}] {reason.text} ({reason.citation.text})"


def _provision_text(p: ProvisionResult, lang: str) -> list[str]:
    lines = [f"{p.title}  [{p.citation.text}]", f"  => {p.headline.upper()}"]
    if p.explanation:
        lines.append(f"     {p.explanation}")
    for reason in p.failed:
        lines.append(f"     {_reason_line(reason, failed=True)}")
    for reason in p.reasons:
        lines.append(f"     {_reason_line(reason)}")
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


_CSS = """body{font:15px/1.45 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#111}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin:0}.meta{color:#555;font-size:.85rem}
details{border:1px solid #ccc;border-radius:6px;margin:.8rem 0;padding:.5rem .8rem}
summary{cursor:pointer}.met{color:#0a6b2d}.not_met{color:#a11}.undetermined{color:#8a5a00}
.needs_assessment{color:#3b3fa5}.warn{border-left:4px solid #a11;padding:.3rem .8rem;background:#fff4f4}
li{margin:.35rem 0}blockquote{margin:.2rem 0 .2rem 1rem;color:#444;font-style:italic}
table{border-collapse:collapse;font-size:.8rem}td,th{border:1px solid #ddd;padding:2px 5px;vertical-align:top}
@media print{details{break-inside:avoid}details>*{display:block}}"""


def to_html(verdict: Verdict) -> str:
    """A self-contained, printable page: verdicts first, then a why-tree per provision with the
    statute quote beside each step, the next steps, and the firing log (no scripts, no network)."""
    from html import escape as e

    lang = verdict.lang
    out = [f'<!doctype html><html lang="{"nb" if lang == "nb" else "en"}"><head><meta charset="utf-8">',
           f"<title>{e(label('case', lang))} {e(verdict.case_id)}</title><style>{_CSS}</style></head><body>",
           f"<h1>{e(label('case', lang))} {e(verdict.case_id)}</h1>",
           f'<p class="meta">{e(label("as_of", lang))} {e(verdict.assessment_date)} · {e(label("rules", lang))} '
           f"{e(verdict.rules_version)} · sha256 {e(verdict.rules_digest)} · case sha256 {e(verdict.case_digest)}</p>"]
    for w in verdict.warnings:
        out.append(f'<p class="warn"><strong>{e(label("warnings", lang))}:</strong> {e(w.text)} ({e(w.citation.text)})</p>')
    out.append("<ul>")
    for p in verdict.provisions:
        out.append(f'<li><strong>{e(p.title)}</strong>: <span class="{p.status}">{e(p.headline)}</span></li>')
    out.append("</ul>")
    for p in verdict.provisions:
        out.append(f'<details open><summary><h2>{e(p.title)} – <span class="{p.status}">{e(p.headline)}</span></h2></summary>')
        out.append(f"<p>{e(p.explanation)}</p><blockquote>«{e(p.citation.quote)}» – {e(p.citation.text)}</blockquote><ul>")
        for reason, status in [(r, "not_met") for r in p.failed] + [(r, r.status) for r in p.reasons]:
            out.append(f'<li><span class="{status}">{e(label(status, lang))}</span>: {e(reason.text)}'
                       f"<blockquote>«{e(reason.citation.quote)}» – {e(reason.citation.text)} "
                       f"<code>{e(reason.rule)}</code></blockquote></li>")
        out.append("</ul>")
        if p.missing:
            out.append(f"<p><strong>{e(label('missing', lang))}:</strong></p><ul>")
            out.extend(f"<li>{e(m.question)} <code>{e(m.path)}</code></li>" for m in p.missing)
            out.append("</ul>")
        if p.notes:
            out.append(f"<p><strong>{e(label('notes', lang))}:</strong></p><ul>")
            out.extend(f"<li>{e(n)}</li>" for n in p.notes)
            out.append("</ul>")
        out.append("</details>")
    if verdict.referrals:
        out.append(f"<h2>{e(label('referrals', lang))}</h2><ul>")
        for r in verdict.referrals:
            out.append(f"<li><strong>{e(label(r.urgency, lang))} – {e(r.name)}</strong> ({e(r.contact)}): {e(r.reason)} "
                       f"<em>{e(label('basis', lang))}: {e(r.basis)}</em></li>")
        out.append("</ul>")
    out.append(f"<details><summary>Trace ({len(verdict.trace)})</summary><table><tr><th>#</th><th>rule</th>"
               "<th>version</th><th>concluded</th><th>matched</th></tr>")
    for i, t in enumerate(verdict.trace):
        matched = json.dumps(t.matched, ensure_ascii=False, sort_keys=True)
        out.append(f"<tr><td>{i}</td><td>{e(t.rule)}</td><td>{e(t.version)}</td><td>{e(t.concluded)}</td>"
                   f"<td><code>{e(matched)}</code></td></tr>")
    out.append(f"</table></details><p class=\"meta\">{e(label('disclaimer', lang))}</p></body></html>")
    return "\n".join(out) + "\n"


RENDERERS = {"text": to_text, "markdown": to_markdown, "json": to_json, "html": to_html}
