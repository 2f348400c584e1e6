"""Render a `Verdict` for a caseworker: text, a brief read-aloud form, Markdown, HTML, or canonical JSON.

JSON is canonical (sorted keys, two-space indent, UTF-8, trailing newline) so that the same case
and rules give byte-identical output. The other formats follow what a caseworker needs first
(issue 13): the safety warnings and the no-waiting message, then the next steps by urgency, then the
provisions that matter (§ 53 first, and any that is met, open or needs assessment) in full, and the
other provisions (not met) in one line each. Their fixed words come from `texts` (nb and en), the
rest from the rules' reviewed templates; dates are written out (1. februar 2027) except in JSON.
"""

from __future__ import annotations

import json
from html import escape as e
from typing import Callable, Iterable

from ..model.case import answered_by
from ..model.texts import long_date, long_dates, word
from ..model.questions import load_questions
from .screening import missing_order
from .verdict import Citation, MissingFact, ProvisionResult, Reason, Referral, Verdict

MARK = {"met": "+", "not_met": "-", "undetermined": "?", "needs_assessment": "!"}
KEY_PROVISIONS = "utl-53"  # the independent permits (§ 53) are always shown in full, and first


def label(key: str, lang: str) -> str:
    return word(key, lang)


def to_json(verdict: Verdict) -> str:
    return json.dumps(verdict.model_dump(mode="json"), sort_keys=True, ensure_ascii=False, indent=2) + "\n"


class UnknownProvision(ValueError):
    """``--only`` named a provision the screening does not have."""

    def __init__(self, unknown: list[str], known: list[str]):
        self.unknown, self.known = unknown, known
        super().__init__(f"no provision {', '.join(unknown)} (choose from {', '.join(known)})")


def only(verdict: Verdict, provisions: Iterable[str]) -> Verdict:
    """The verdict with just ``provisions`` (in the verdict's order); warnings and next steps stay:
    safety comes first in every output."""
    wanted = list(dict.fromkeys(provisions))
    known = [p.provision for p in verdict.provisions]
    unknown = [p for p in wanted if p not in known]
    if unknown:
        raise UnknownProvision(unknown, known)
    return verdict.model_copy(update={"provisions": [p for p in verdict.provisions if p.provision in wanted]})


def in_full(p: ProvisionResult) -> bool:
    """Shown in full: § 53, and any provision that is not plainly not met."""
    return p.provision.startswith(KEY_PROVISIONS) or p.status != "not_met" or bool(p.becomes_met_when)


def split(verdict: Verdict, folded: bool) -> tuple[list[ProvisionResult], list[ProvisionResult]]:
    """(shown in full, folded): § 53 first, in the rules' order within each group."""
    provisions = verdict.provisions
    key = [p for p in provisions if p.provision.startswith(KEY_PROVISIONS)]
    rest = [p for p in provisions if not p.provision.startswith(KEY_PROVISIONS)]
    if not folded:
        return key + rest, []
    return key + [p for p in rest if in_full(p)], [p for p in rest if not in_full(p)]


def status_label(p: ProvisionResult, lang: str) -> str:
    return label("not_yet" if p.becomes_met_when else p.status, lang)


def not_yet_reasons(p: ProvisionResult) -> tuple[list[Reason], list[Reason]]:
    """(the conditions she can fulfil herself, the other failed conditions)."""
    changeable = set(p.becomes_met_when)
    return [r for r in p.failed if r.rule in changeable], [r for r in p.failed if r.rule not in changeable]


def explanation(p: ProvisionResult) -> str:
    """For "not yet", what she can do (the changeable conditions' texts), not the refusal wording."""
    if p.becomes_met_when:
        return " ".join(r.text for r in not_yet_reasons(p)[0])
    return p.explanation


def quote(citation: Citation, lang: str) -> str:
    """«statute text», or, for a paraphrase or a note, the quote in English only and a label in Norwegian."""
    if citation.confidence == "LAW-TEXT":
        return f"«{citation.quote}»"
    return f"({label('paraphrase', lang)})" if lang == "nb" else f"({label('paraphrase', lang)}) {citation.quote}"


def basis(r: Referral, lang: str) -> str:
    if r.basis_confidence == "LAW-TEXT":
        return r.basis
    return f"{r.basis} ({label('paraphrase', lang)})" if lang == "nb" else f"{r.basis} – {r.basis_quote}"


def md_cite(citation: Citation) -> str:
    """The citation as a Markdown link to its Lovdata page (practice and circulars: the name only)."""
    return f"[{citation.text}]({citation.url})" if citation.url else citation.text


def html_cite(citation: Citation) -> str:
    """The citation as a link to its Lovdata page (practice and circulars: the name only)."""
    return f'<a href="{e(citation.url)}">{e(citation.text)}</a>' if citation.url else e(citation.text)


Matters = dict[str, list[str]]  # fact path -> the citations of the provisions it can still change


def matters(verdict: Verdict) -> Matters:
    """For each missing fact, the provisions whose outcome it can still change (in the verdict's
    order): why the question matters (issue 13 point 4)."""
    out: Matters = {}
    for p in verdict.provisions:
        for m in p.missing:
            out.setdefault(m.path, []).append(p.citation.text)
    return out


def ask_line(m: MissingFact, why: Matters, lang: str) -> str:
    """'Når flyttet de sammen? (spør søkeren; kan endre utl. § 41, utl. § 62)': the question, who
    answers it and the provisions it can change."""
    provisions = ", ".join(dict.fromkeys(why.get(m.path, [])))
    return (f"{m.question} ({label('by_' + answered_by(m.path), lang)}"
            f"{'; ' + label('can_change', lang) + ' ' + provisions if provisions else ''})")


def first_question(verdict: Verdict) -> MissingFact | None:
    """The question to ask first, in the interview's order (ADR 0011, `screening.missing_order`):
    safety, gates, § 53, the most open provisions, statute order, over the undetermined provisions
    shown. Once one § 53 ground is met, the other § 53 grounds are moot (as in the clinic's summary)."""
    shown = split(verdict, False)[0]
    settled = any(p.provision.startswith(KEY_PROVISIONS) and p.status == "met" for p in shown)
    open_ = [p for p in shown if p.status == "undetermined" and p.missing
             and not (settled and p.provision.startswith(KEY_PROVISIONS))]
    key = missing_order(open_, load_questions())
    found = [(key(p.missing[0], p.provision), p.missing[0]) for p in open_]
    return min(found, key=lambda f: f[0])[1] if found else None


def header(verdict: Verdict) -> str:
    lang = verdict.lang
    return (f"{label('case', lang)} {verdict.case_id}: {label('as_of', lang)} "
            f"{long_date(verdict.assessment_date, lang)} ({label('rules', lang)} {verdict.rules_version}, "
            f"sha256 {verdict.rules_digest[:12]})")


# --- text -------------------------------------------------------------------------------------------

def _reason_line(reason: Reason, failed: bool = False) -> str:
    return f"[{'-' if failed else MARK[reason.status]}] {reason.text} ({reason.citation.text})"


def _provision_text(p: ProvisionResult, lang: str, why: Matters) -> list[str]:
    lines = [f"{p.title}  [{p.citation.text}]", f"  => {p.headline.upper()}"]
    text = explanation(p)
    if text:
        lines.append(f"     {text}")
    failed = not_yet_reasons(p)[1] if p.becomes_met_when else p.failed
    lines.extend(f"     {_reason_line(r, failed=True)}" for r in failed)
    lines.extend(f"     {_reason_line(r)}" for r in p.reasons)
    if p.missing:
        lines.append(f"     {label('missing', lang)}:")
        lines.extend(f"       - {ask_line(m, why, lang)}  [{m.path}]" for m in p.missing)
    if p.notes:
        lines.append(f"     {label('notes', lang)}:")
        lines.extend(f"       - {n}" for n in p.notes)
    lines.append(f"     {quote(p.citation, lang)}")
    if p.citation.url:
        lines.append(f"     {p.citation.url}")
    return lines


def _warning_lines(verdict: Verdict) -> list[str]:
    lang = verdict.lang
    out = [f"!! {label('warnings', lang).upper()}: {w.text} ({w.citation.text})" for w in verdict.warnings]
    return out + [""] if out else []


def _referral_lines(verdict: Verdict, brief: bool = False) -> list[str]:
    lang = verdict.lang
    if not verdict.referrals:
        return []
    out = [f"{label('referrals', lang).upper()}:"]
    for r in verdict.referrals:
        out.append(f"  [{label(r.urgency, lang)}] {r.name}: {r.contact}")
        if not brief:
            out.append(f"     {label('why_referral', lang)}: {r.reason}")
            out.append(f"     {label('basis', lang)}: {basis(r, lang)}")
    return out + [""]


def _folded_hint(folded: list[ProvisionResult], lang: str) -> str:
    return label("details_hint", lang).format(ids=" --only ".join(p.provision for p in folded))


def to_text(verdict: Verdict, folded: bool = True) -> str:
    lang = verdict.lang
    out = [header(verdict), ""] + _warning_lines(verdict) + _referral_lines(verdict)
    full, rest = split(verdict, folded)
    why = matters(verdict)
    for p in full:
        out.extend(_provision_text(p, lang, why))
        out.append("")
    if rest:
        out.append(f"{label('others', lang).upper()}:")
        out.extend(f"  - {p.title}: {p.headline}" for p in rest)
        out.extend([f"  {_folded_hint(rest, lang)}", ""])
    out.append(label("disclaimer", lang))
    return long_dates("\n".join(out), lang) + "\n"


def to_brief(verdict: Verdict) -> str:
    """For reading aloud: the warnings, the next steps (one line each), one line per provision."""
    lang = verdict.lang
    out = [f"{label('case', lang)} {verdict.case_id}: {long_date(verdict.assessment_date, lang)}", ""]
    out += _warning_lines(verdict) + _referral_lines(verdict, brief=True)
    out += [f"{p.title} – {p.headline}." for p in split(verdict, False)[0]]
    first = first_question(verdict)
    if first is not None:
        out += ["", f"{label('next_question', lang)}: {ask_line(first, matters(verdict), lang)}"]
    out += ["", label("disclaimer", lang)]
    return long_dates("\n".join(out), lang) + "\n"


# --- Markdown ---------------------------------------------------------------------------------------

def _provision_markdown(p: ProvisionResult, lang: str, why: Matters) -> list[str]:
    out = [f"### {p.title}", "", f"*{md_cite(p.citation)}*", "",
           f"**{p.headline}** ({status_label(p, lang)}, {label(p.kind, lang)})", ""]
    text = explanation(p)
    if text:
        out.extend([text, ""])
    failed = not_yet_reasons(p)[1] if p.becomes_met_when else p.failed
    out.extend(f"- **{label('not_met', lang)}**: {r.text} *({md_cite(r.citation)})*" for r in failed)
    out.extend(f"- **{label(r.status, lang)}**: {r.text} *({md_cite(r.citation)})*" for r in p.reasons)
    if failed or p.reasons:
        out.append("")
    if p.missing:
        out += [f"**{label('missing', lang)}:**", ""] + [f"- {ask_line(m, why, lang)} `{m.path}`" for m in p.missing] + [""]
    if p.notes:
        out += [f"**{label('notes', lang)}:**", ""] + [f"- {n}" for n in p.notes] + [""]
    return out + [f"> {quote(p.citation, lang)}", ""]


def to_markdown(verdict: Verdict, folded: bool = True) -> str:
    lang = verdict.lang
    out = [f"# {label('case', lang)} `{verdict.case_id}`", "",
           f"{label('as_of', lang).capitalize()} **{long_date(verdict.assessment_date, lang)}** · "
           f"{label('rules', lang)} {verdict.rules_version} · sha256 `{verdict.rules_digest[:12]}`", ""]
    if verdict.warnings:
        out += [f"## {label('warnings', lang)}", ""]
        out.extend(f"> **{w.text}** ({md_cite(w.citation)})" + "\n" for w in verdict.warnings)
    if verdict.referrals:
        out += [f"## {label('referrals', lang)}", ""]
        out.extend(f"- **{label(r.urgency, lang)} – {r.name}** ({r.contact}): {r.reason} "
                   f"*{label('basis', lang)}: {basis(r, lang)}*" for r in verdict.referrals)
        out.append("")
    full, rest = split(verdict, folded)
    out += [f"## {label('provisions', lang)}", ""]
    why = matters(verdict)
    for p in full:
        out.extend(_provision_markdown(p, lang, why))
    if rest:
        out += [f"### {label('others', lang)}", ""] + [f"- {p.title}: {p.headline}" for p in rest]
        out += ["", f"*{_folded_hint(rest, lang)}*", ""]
    out.append(f"*{label('disclaimer', lang)}*")
    return long_dates("\n".join(out), lang) + "\n"


# --- HTML -------------------------------------------------------------------------------------------

_CSS = """body{font:15px/1.45 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#111}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin:0}.meta{color:#555;font-size:.85rem}
details{border:1px solid #ccc;border-radius:6px;margin:.8rem 0;padding:.5rem .8rem}
summary{cursor:pointer}.met{color:#0a6b2d}.not_met{color:#a11}.undetermined{color:#8a5a00}
.needs_assessment{color:#3b3fa5}.not_yet{color:#0a5a8a}.warn{border-left:4px solid #a11;padding:.3rem .8rem;background:#fff4f4}
li{margin:.35rem 0}blockquote{margin:.2rem 0 .2rem 1rem;color:#444;font-style:italic}
table{border-collapse:collapse;font-size:.8rem}td,th{border:1px solid #ddd;padding:2px 5px;vertical-align:top}
@media print{details{break-inside:avoid}details>*{display:block}}"""


def _css_class(p: ProvisionResult) -> str:
    return "not_yet" if p.becomes_met_when else p.status


def _provision_html(p: ProvisionResult, lang: str, t: Callable[[str], str], open_: bool, why: Matters) -> list[str]:
    out = [f'<details{" open" if open_ else ""}><summary><h2>{e(p.title)} – '
           f'<span class="{_css_class(p)}">{e(p.headline)}</span></h2></summary>',
           f"<p>{t(explanation(p))}</p><blockquote>{t(quote(p.citation, lang))} – {html_cite(p.citation)}</blockquote><ul>"]
    failed = not_yet_reasons(p)[1] if p.becomes_met_when else p.failed
    for reason, status in [(r, "not_met") for r in failed] + [(r, r.status) for r in p.reasons]:
        out.append(f'<li><span class="{status}">{e(label(status, lang))}</span>: {t(reason.text)}'
                   f"<blockquote>{t(quote(reason.citation, lang))} – {html_cite(reason.citation)} "
                   f"<code>{e(reason.rule)}</code></blockquote></li>")
    out.append("</ul>")
    if p.missing:
        out.append(f"<p><strong>{e(label('missing', lang))}:</strong></p><ul>")
        out.extend(f"<li>{t(ask_line(m, why, lang))} <code>{e(m.path)}</code></li>" for m in p.missing)
        out.append("</ul>")
    if p.notes:
        out.append(f"<p><strong>{e(label('notes', lang))}:</strong></p><ul>")
        out.extend(f"<li>{t(n)}</li>" for n in p.notes)
        out.append("</ul>")
    return out + ["</details>"]


def to_html(verdict: Verdict, folded: bool = True) -> str:
    """A self-contained, printable page: warnings, next steps, the verdicts, then a why-tree per
    provision with the statute quote beside each step (the other provisions folded), and the
    per-rule trace (no scripts, no network)."""
    lang = verdict.lang

    def t(text: str) -> str:
        return e(long_dates(text, lang))

    out = [f'<!doctype html><html lang="{"nb" if lang == "nb" else "en"}"><head><meta charset="utf-8">',
           f"<title>{e(label('case', lang))} {e(verdict.case_id)}</title><style>{_CSS}</style></head><body>",
           f"<h1>{e(label('case', lang))} {e(verdict.case_id)}</h1>",
           f'<p class="meta">{e(label("as_of", lang))} {e(long_date(verdict.assessment_date, lang))} · '
           f"{e(label('rules', lang))} {e(verdict.rules_version)} · sha256 {e(verdict.rules_digest)} · "
           f"{e(label('case_digest', lang))} {e(verdict.case_digest)}</p>"]
    for w in verdict.warnings:
        out.append(f'<p class="warn"><strong>{e(label("warnings", lang))}:</strong> {t(w.text)} ({html_cite(w.citation)})</p>')
    if verdict.referrals:
        out.append(f"<h2>{e(label('referrals', lang))}</h2><ul>")
        out.extend(f"<li><strong>{e(label(r.urgency, lang))} – {e(r.name)}</strong> ({t(r.contact)}): {t(r.reason)} "
                   f"<em>{e(label('basis', lang))}: {t(basis(r, lang))}</em></li>" for r in verdict.referrals)
        out.append("</ul>")
    full, rest = split(verdict, folded)
    out.append(f"<h2>{e(label('provisions', lang))}</h2><ul>")
    out.extend(f'<li><strong>{e(p.title)}</strong>: <span class="{_css_class(p)}">{e(p.headline)}</span></li>'
               for p in full + rest)
    out.append("</ul>")
    why = matters(verdict)
    for p in full:
        out.extend(_provision_html(p, lang, t, open_=True, why=why))
    for p in rest:
        out.extend(_provision_html(p, lang, t, open_=False, why=why))
    out.append(f"<details><summary>{e(label('trace', lang))} ({len(verdict.trace)})</summary><table><tr><th>#</th>"
               f"<th>{e(label('trace_rule', lang))}</th><th>{e(label('trace_version', lang))}</th>"
               f"<th>{e(label('trace_concluded', lang))}</th><th>{e(label('trace_read', lang))}</th></tr>")
    for i, entry in enumerate(verdict.trace):
        read = json.dumps(entry.read, ensure_ascii=False, sort_keys=True)
        out.append(f"<tr><td>{i}</td><td><code>{e(entry.rule)}</code></td><td><code>{e(entry.version)}</code></td>"
                   f"<td>{e(label(entry.concluded, lang))}</td><td><code>{e(read)}</code></td></tr>")
    out.append(f"</table></details><p class=\"meta\">{e(label('disclaimer', lang))}</p></body></html>")
    return "\n".join(out) + "\n"


RENDERERS: dict[str, Callable[[Verdict], str]] = {
    "text": to_text, "brief": to_brief, "markdown": to_markdown, "json": to_json, "html": to_html}
