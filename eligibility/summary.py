"""What a clinic acts on after a batch: counts, the cases per status, missing facts, referrals.

`build_summary` reads a results file (`batch.SCHEMA`) into plain data; `to_text`, `to_markdown` and
`to_html` render it. The HTML report is one self-contained file (inline CSS and SVG, no scripts,
no links, nothing fetched), and every value in it is escaped.
"""

from __future__ import annotations

import html
import json
import re
import sqlite3
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from .batch import STATUSES, open_results
from .case import question

KEY_PROVISION = "utl-53-1-b"  # independent permit for victims of abuse: what the clinic looks for first
TOP_MISSING = 15

WORDS: dict[str, dict[str, str]] = {
    "title": {"en": "Batch screening summary", "nb": "Oppsummering av screening"},
    "file": {"en": "Results file", "nb": "Resultatfil"},
    "run": {"en": "Latest run", "nb": "Siste kjøring"},
    "rules": {"en": "rules", "nb": "regelverk"},
    "as_of": {"en": "law as of", "nb": "loven per"},
    "each_case": {"en": "each case's assessment date", "nb": "hver sakens vurderingsdato"},
    "engine": {"en": "engine", "nb": "motor"},
    "incomplete": {"en": "the run did not complete (killed or interrupted): run `eligibility batch` again "
                         "with the same --out to complete it",
                   "nb": "kjøringen ble ikke fullført (avbrutt): kjør `eligibility batch` igjen med samme "
                         "--out for å fullføre"},
    "identifiers": {"en": "WARNING: identifiers were allowed (--allow-identifiers) in run(s) {runs}: this file "
                          "may contain personal data",
                    "nb": "ADVARSEL: identifikatorer ble tillatt (--allow-identifiers) i kjøring(er) {runs}: "
                          "filen kan inneholde personopplysninger"},
    "cases": {"en": "Cases", "nb": "Saker"},
    "screened": {"en": "screened", "nb": "screenet"},
    "failed": {"en": "failed", "nb": "feilet"},
    "by_provision": {"en": "Statuses per provision", "nb": "Status per bestemmelse"},
    "provision": {"en": "Provision", "nb": "Bestemmelse"},
    "total": {"en": "total", "nb": "totalt"},
    "qualify": {"en": "Likely qualify under § 53 first paragraph (b) (utl-53-1-b met)",
                "nb": "Fyller trolig vilkårene etter § 53 første ledd bokstav b (utl-53-1-b oppfylt)"},
    "not_yet": {"en": "Not yet: met as soon as the applicant does what she can do herself (e.g. moves out)",
                "nb": "Ikke ennå: oppfylt så snart søkeren selv gjør det som mangler (f.eks. flytter ut)"},
    "lawyer": {"en": "Need a lawyer's assessment", "nb": "Trenger vurdering av jurist"},
    "missing_cases": {"en": "Missing facts, per case", "nb": "Manglende opplysninger per sak"},
    "top_missing": {"en": "Most frequent missing facts", "nb": "Hyppigst manglende opplysninger"},
    "fact": {"en": "Fact", "nb": "Opplysning"},
    "question": {"en": "Question", "nb": "Spørsmål"},
    "n_cases": {"en": "cases", "nb": "saker"},
    "referrals": {"en": "Referrals by service", "nb": "Henvisninger per tjeneste"},
    "service": {"en": "Service", "nb": "Tjeneste"},
    "failures": {"en": "Failures", "nb": "Feil"},
    "where": {"en": "Where", "nb": "Hvor"},
    "field": {"en": "Field", "nb": "Felt"},
    "message": {"en": "Message", "nb": "Melding"},
    "none": {"en": "none", "nb": "ingen"},
    "chart": {"en": "Statuses per provision (number of cases)", "nb": "Status per bestemmelse (antall saker)"},
    "disclaimer": {"en": "A screening of the facts given, not a decision. Seek legal advice.",
                   "nb": "En foreløpig vurdering av oppgitte opplysninger, ikke et vedtak. Søk juridisk råd."},
    "met": {"en": "met", "nb": "oppfylt"},
    "not_met": {"en": "not met", "nb": "ikke oppfylt"},
    "undetermined": {"en": "undetermined", "nb": "uavklart"},
    "needs_assessment": {"en": "needs assessment", "nb": "krever vurdering"},
    "now": {"en": "now", "nb": "nå"},
    "soon": {"en": "soon", "nb": "snart"},
    "planned": {"en": "planned", "nb": "planlagt"},
}
URGENCIES = ("now", "soon", "planned")
COLOURS = {"met": "#2e7d32", "not_met": "#9e9e9e", "undetermined": "#f9a825", "needs_assessment": "#1565c0"}


def w(key: str, lang: str) -> str:
    return WORDS[key][lang]


def _where(source: str, line: int | None) -> str:
    return f"{source}:{line}" if line is not None else source


def build_summary(results: Path, lang: str = "nb") -> dict[str, Any]:
    """Everything the reports show, as plain data (counts recomputed from the tables)."""
    con = open_results(Path(results), create=False)
    con.row_factory = sqlite3.Row
    try:
        runs = [dict(r) for r in con.execute("SELECT * FROM runs ORDER BY id")]
        cases = {r["key"]: dict(r) for r in con.execute(
            "SELECT key, case_id, source, line, seq, status, error_path, error_message FROM cases ORDER BY seq, key")}
        provisions = [dict(r) for r in con.execute("SELECT case_key, ord, provision, title, status, kind FROM provisions")]
        missing = [dict(r) for r in con.execute("SELECT case_key, provision, path FROM missing ORDER BY rowid")]
        referrals = [dict(r) for r in con.execute("SELECT case_key, service, name, urgency FROM referrals")]
        not_yet = _not_yet(con)
    finally:
        con.close()

    def ref(key: str) -> dict[str, Any]:
        c = cases[key]
        return {"case_id": c["case_id"], "where": _where(c["source"], c["line"]), "seq": c["seq"]}

    order: dict[str, tuple[int, str]] = {}
    titles: dict[str, str] = {}
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    by_case: dict[str, dict[str, str]] = defaultdict(dict)
    for p in provisions:
        if p["case_key"] not in cases:
            continue
        order[p["provision"]] = min(order.get(p["provision"], (p["ord"], p["provision"])), (p["ord"], p["provision"]))
        titles.setdefault(p["provision"], p["title"])
        counts[p["provision"]][p["status"]] += 1
        by_case[p["case_key"]][p["provision"]] = p["status"]
    ordered = sorted(order, key=lambda pid: order[pid])

    def in_order(keys: Any) -> list[str]:
        return sorted(keys, key=lambda k: (cases[k]["seq"], k))

    qualify = [ref(k) for k in in_order(k for k, st in by_case.items() if st.get(KEY_PROVISION) == "met")]
    waiting = [dict(ref(k), provisions=list(not_yet[k]),
                    headlines={pid: p["headline"] for pid, p in not_yet[k].items()},
                    becomes_met_when=sorted({r for p in not_yet[k].values() for r in p["rules"]}))
               for k in in_order(k for k in not_yet if k in cases)]
    lawyer = [dict(ref(k), provisions=[p for p in ordered if by_case[k].get(p) == "needs_assessment"])
              for k in in_order(k for k, st in by_case.items() if "needs_assessment" in st.values())]
    facts: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))  # case -> provision -> paths
    for m in missing:
        if m["case_key"] in cases:
            facts[m["case_key"]][m["provision"]].append(m["path"])
    undetermined = [dict(ref(k), provisions=[p for p in ordered if by_case[k].get(p) == "undetermined"],
                         missing={p: facts[k][p] for p in ordered if facts[k].get(p)})
                    for k in in_order(k for k, st in by_case.items() if "undetermined" in st.values())]
    per_fact: dict[str, set[str]] = defaultdict(set)
    for k, by_provision in facts.items():
        for paths in by_provision.values():
            for path in paths:
                per_fact[re.sub(r"\[\d+\]", "[]", path)].add(k)
    top = sorted(per_fact.items(), key=lambda kv: (-len(kv[1]), kv[0]))[:TOP_MISSING]
    top_missing = [{"path": path, "cases": len(keys), "question": (question(path) or {}).get(lang, "")}
                   for path, keys in top]
    services: dict[str, dict[str, Any]] = {}
    for r in referrals:
        if r["case_key"] not in cases:
            continue
        entry = services.setdefault(r["service"], {"service": r["service"], "name": r["name"], "cases": 0,
                                                   **{u: 0 for u in URGENCIES}})
        entry["cases"] += 1
        entry[r["urgency"]] += 1
    failures = [dict(ref(k), path=c["error_path"], message=c["error_message"])
                for k, c in cases.items() if c["status"] == "failed"]
    latest = runs[-1] if runs else None
    return {
        "file": str(results),
        "latest_run": latest,
        "incomplete": bool(latest and latest["status"] != "complete"),
        "identifier_runs": [r["id"] for r in runs if r["allow_identifiers"]],
        "cases": len(cases),
        "ok": sum(1 for c in cases.values() if c["status"] == "ok"),
        "failed": len(failures),
        "provisions": [{"provision": p, "title": titles[p], "counts": {s: counts[p][s] for s in STATUSES},
                        "total": sum(counts[p].values())} for p in ordered],
        "qualify": qualify,
        "not_yet": waiting,
        "needs_assessment": lawyer,
        "undetermined": undetermined,
        "top_missing": top_missing,
        "referrals": sorted(services.values(), key=lambda e: (-e["cases"], e["service"])),
        "failures": failures,
    }


def _not_yet(con: sqlite3.Connection) -> dict[str, dict[str, dict[str, Any]]]:
    """Case -> provision -> {headline, rules} for the provisions not met only on what the applicant
    can change herself (``becomes_met_when`` in the stored verdict; absent in older results)."""
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for key, text in con.execute(
            "SELECT key, verdict_json FROM cases WHERE verdict_json IS NOT NULL AND key IN "
            "(SELECT case_key FROM provisions WHERE status = 'not_met') ORDER BY key"):
        for p in json.loads(text).get("provisions", []):
            if p.get("status") == "not_met" and p.get("becomes_met_when"):
                out.setdefault(key, {})[p["provision"]] = {
                    "headline": p.get("headline", ""), "rules": [r.split("@")[0] for r in p["becomes_met_when"]]}
    return out


def _case_label(entry: dict[str, Any]) -> str:
    return f"{entry['case_id'] or '?'} ({entry['where']})"


def _header_lines(s: dict[str, Any], lang: str) -> list[str]:
    out = [f"{w('file', lang)}: {s['file']}"]
    run = s["latest_run"]
    if run:
        law = run["as_of"] or w("each_case", lang)
        out.append(f"{w('run', lang)}: #{run['id']} {run['started']} · {w('rules', lang)} {run['rules_version']} "
                   f"(sha256 {run['rules_digest'][:12]}) · {w('as_of', lang)} {law} · {run['lang']} · "
                   f"{w('engine', lang)} {run['engine']}")
    if s["incomplete"]:
        out.append(w("incomplete", lang))
    if s["identifier_runs"]:
        out.append(w("identifiers", lang).format(runs=", ".join(f"#{r}" for r in s["identifier_runs"])))
    out.append(f"{w('cases', lang)}: {s['cases']} · {w('screened', lang)} {s['ok']} · {w('failed', lang)} {s['failed']}")
    return out


def to_text(s: dict[str, Any], lang: str = "nb") -> str:
    out = [w("title", lang).upper(), ""] + _header_lines(s, lang) + [""]
    out.append(w("by_provision", lang).upper())
    width = max([len(p["provision"]) for p in s["provisions"]] + [len(w("provision", lang))])
    cols = [w(st, lang) for st in STATUSES] + [w("total", lang)]
    out.append(f"  {w('provision', lang):<{width}}  " + "  ".join(f"{c:>16}" for c in cols))
    for p in s["provisions"]:
        values = [p["counts"][st] for st in STATUSES] + [p["total"]]
        out.append(f"  {p['provision']:<{width}}  " + "  ".join(f"{v:>16}" for v in values))
    out.append("")
    out.append(f"{w('qualify', lang).upper()}: {len(s['qualify'])}")
    out.extend(f"  - {_case_label(e)}" for e in s["qualify"])
    out.append("")
    out.append(f"{w('not_yet', lang).upper()}: {len(s['not_yet'])}")
    out.extend(f"  - {_case_label(e)}: " + "; ".join(f"{p}: {h}" for p, h in e["headlines"].items()) for e in s["not_yet"])
    out.append("")
    out.append(f"{w('lawyer', lang).upper()}: {len(s['needs_assessment'])}")
    out.extend(f"  - {_case_label(e)}: {', '.join(e['provisions'])}" for e in s["needs_assessment"])
    out.append("")
    out.append(f"{w('missing_cases', lang).upper()}: {len(s['undetermined'])}")
    for e in s["undetermined"]:
        out.append(f"  - {_case_label(e)}")
        out.extend(f"      {p}: {', '.join(paths)}" for p, paths in e["missing"].items())
    out.append("")
    out.append(w("top_missing", lang).upper())
    out.extend(f"  {m['cases']:>6} {w('n_cases', lang)}  {m['path']}  {m['question']}" for m in s["top_missing"])
    if not s["top_missing"]:
        out.append(f"  {w('none', lang)}")
    out.append("")
    out.append(w("referrals", lang).upper())
    for r in s["referrals"]:
        split = ", ".join(f"{w(u, lang)} {r[u]}" for u in URGENCIES if r[u])
        out.append(f"  {r['cases']:>6} {w('n_cases', lang)}  {r['name']} [{r['service']}] ({split})")
    if not s["referrals"]:
        out.append(f"  {w('none', lang)}")
    out.append("")
    out.append(f"{w('failures', lang).upper()}: {len(s['failures'])}")
    out.extend(f"  - {e['where']}{' [' + e['case_id'] + ']' if e['case_id'] else ''}: "
               f"{e['path'] + ': ' if e['path'] else ''}{e['message']}" for e in s["failures"])
    out += ["", w("disclaimer", lang)]
    return "\n".join(out) + "\n"


def _md(text: Any) -> str:
    """Text safe inside a Markdown table cell or list item."""
    return re.sub(r"([\\`*_\[\]<>|#])", r"\\\1", str(text)).replace("\n", " ")


def to_markdown(s: dict[str, Any], lang: str = "nb") -> str:
    out = [f"# {w('title', lang)}", ""] + [f"{_md(line)}  " for line in _header_lines(s, lang)] + [""]
    out += [f"## {w('by_provision', lang)}", ""]
    out.append(f"| {w('provision', lang)} | " + " | ".join(w(st, lang) for st in STATUSES) + f" | {w('total', lang)} |")
    out.append("|---|" + "---:|" * (len(STATUSES) + 1))
    for p in s["provisions"]:
        out.append(f"| `{p['provision']}` {_md(p['title'])} | "
                   + " | ".join(str(p["counts"][st]) for st in STATUSES) + f" | {p['total']} |")
    out += ["", f"## {w('qualify', lang)} ({len(s['qualify'])})", ""]
    out += [f"- {_md(_case_label(e))}" for e in s["qualify"]] or [f"*{w('none', lang)}*"]
    out += ["", f"## {w('not_yet', lang)} ({len(s['not_yet'])})", ""]
    out += [f"- {_md(_case_label(e))}: " + "; ".join(f"`{p}` {_md(h)}" for p, h in e["headlines"].items())
            for e in s["not_yet"]] or [f"*{w('none', lang)}*"]
    out += ["", f"## {w('lawyer', lang)} ({len(s['needs_assessment'])})", ""]
    out += [f"- {_md(_case_label(e))}: {', '.join(f'`{p}`' for p in e['provisions'])}"
            for e in s["needs_assessment"]] or [f"*{w('none', lang)}*"]
    out += ["", f"## {w('missing_cases', lang)} ({len(s['undetermined'])})", ""]
    for e in s["undetermined"]:
        out.append(f"- {_md(_case_label(e))}")
        out.extend(f"  - `{p}`: {', '.join(f'`{m}`' for m in paths)}" for p, paths in e["missing"].items())
    if not s["undetermined"]:
        out.append(f"*{w('none', lang)}*")
    out += ["", f"## {w('top_missing', lang)}", ""]
    if s["top_missing"]:
        out += [f"| {w('fact', lang)} | {w('question', lang)} | {w('n_cases', lang)} |", "|---|---|---:|"]
        out += [f"| `{m['path']}` | {_md(m['question'])} | {m['cases']} |" for m in s["top_missing"]]
    else:
        out.append(f"*{w('none', lang)}*")
    out += ["", f"## {w('referrals', lang)}", ""]
    if s["referrals"]:
        out += [f"| {w('service', lang)} | " + " | ".join(w(u, lang) for u in URGENCIES) + f" | {w('n_cases', lang)} |",
                "|---|" + "---:|" * (len(URGENCIES) + 1)]
        out += [f"| {_md(r['name'])} (`{r['service']}`) | " + " | ".join(str(r[u]) for u in URGENCIES)
                + f" | {r['cases']} |" for r in s["referrals"]]
    else:
        out.append(f"*{w('none', lang)}*")
    out += ["", f"## {w('failures', lang)} ({len(s['failures'])})", ""]
    if s["failures"]:
        out += [f"| {w('where', lang)} | case_id | {w('field', lang)} | {w('message', lang)} |", "|---|---|---|---|"]
        out += [f"| {_md(e['where'])} | {_md(e['case_id'] or '')} | {_md(e['path'] or '')} | {_md(e['message'])} |"
                for e in s["failures"]]
    else:
        out.append(f"*{w('none', lang)}*")
    out += ["", f"*{w('disclaimer', lang)}*"]
    return "\n".join(out) + "\n"


def _chart(s: dict[str, Any], lang: str) -> str:
    """A horizontal stacked bar per provision, one colour per status, inline SVG."""
    e = html.escape
    rows = s["provisions"]
    label_w, bar_w, row_h, top = 190, 520, 26, 34
    height = top + row_h * max(len(rows), 1) + 10
    scale = max([p["total"] for p in rows] + [1])
    parts = [f'<svg class="chart" role="img" aria-label="{e(w("chart", lang))}" width="{label_w + bar_w + 60}" '
             f'height="{height}" viewBox="0 0 {label_w + bar_w + 60} {height}">',
             f'<title>{e(w("chart", lang))}</title>']
    x = label_w
    for st in STATUSES:  # legend
        parts.append(f'<rect x="{x}" y="6" width="12" height="12" fill="{COLOURS[st]}"/>'
                     f'<text x="{x + 16}" y="17" font-size="12">{e(w(st, lang))}</text>')
        x += 125
    for i, p in enumerate(rows):
        y = top + i * row_h
        parts.append(f'<text x="{label_w - 8}" y="{y + 16}" font-size="12" text-anchor="end">{e(p["provision"])}</text>')
        x0 = float(label_w)
        for st in STATUSES:
            n = p["counts"][st]
            if not n:
                continue
            width = bar_w * n / scale
            parts.append(f'<rect x="{x0:.1f}" y="{y + 3}" width="{width:.1f}" height="{row_h - 8}" fill="{COLOURS[st]}">'
                         f'<title>{e(p["provision"])}: {e(w(st, lang))} {n}</title></rect>')
            if width >= 22:
                parts.append(f'<text x="{x0 + width / 2:.1f}" y="{y + 17}" font-size="11" fill="#fff" '
                             f'text-anchor="middle">{n}</text>')
            x0 += width
        parts.append(f'<text x="{x0 + 6:.1f}" y="{y + 16}" font-size="11">{p["total"]}</text>')
    parts.append("</svg>")
    return "".join(parts)


def to_html(s: dict[str, Any], lang: str = "nb") -> str:
    e = html.escape

    def table(head: list[str], rows: list[list[Any]], numeric: set[int] = set()) -> str:
        if not rows:
            return f"<p><em>{e(w('none', lang))}</em></p>"
        th = "".join(f"<th>{e(h)}</th>" for h in head)
        body = "".join("<tr>" + "".join(f'<td{" class=num" if i in numeric else ""}>{e(str(c))}</td>'
                                        for i, c in enumerate(r)) + "</tr>" for r in rows)
        return f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"

    def case_list(entries: list[dict[str, Any]], extra: str | None = None) -> str:
        if not entries:
            return f"<p><em>{e(w('none', lang))}</em></p>"
        items = []
        for entry in entries:
            value = entry[extra] if extra else None
            if isinstance(value, dict):
                more = "<ul>" + "".join(f"<li><code>{e(p)}</code>: {e(', '.join(paths))}</li>"
                                        for p, paths in value.items()) + "</ul>"
            else:
                more = e(f": {', '.join(value) or '-'}") if value is not None else ""
            items.append(f"<li>{e(_case_label(entry))}{more}</li>")
        return "<ul>" + "".join(items) + "</ul>"

    header = "".join(f"<p>{e(line)}</p>" for line in _header_lines(s, lang))
    warn = " warn" if s["identifier_runs"] or s["incomplete"] else ""
    body = [
        f"<h1>{e(w('title', lang))}</h1>",
        f'<div class="meta{warn}">{header}</div>',
        f"<h2>{e(w('by_provision', lang))}</h2>",
        _chart(s, lang),
        table([w("provision", lang), "", *(w(st, lang) for st in STATUSES), w("total", lang)],
              [[p["provision"], p["title"], *(p["counts"][st] for st in STATUSES), p["total"]] for p in s["provisions"]],
              numeric={2, 3, 4, 5, 6}),
        f"<h2>{e(w('qualify', lang))} ({len(s['qualify'])})</h2>", case_list(s["qualify"]),
        f"<h2>{e(w('not_yet', lang))} ({len(s['not_yet'])})</h2>",
        case_list([dict(x, said=[f"{p}: {h}" for p, h in x["headlines"].items()]) for x in s["not_yet"]], "said"),
        f"<h2>{e(w('lawyer', lang))} ({len(s['needs_assessment'])})</h2>",
        case_list(s["needs_assessment"], "provisions"),
        f"<h2>{e(w('missing_cases', lang))} ({len(s['undetermined'])})</h2>", case_list(s["undetermined"], "missing"),
        f"<h2>{e(w('top_missing', lang))}</h2>",
        table([w("fact", lang), w("question", lang), w("n_cases", lang)],
              [[m["path"], m["question"], m["cases"]] for m in s["top_missing"]], numeric={2}),
        f"<h2>{e(w('referrals', lang))}</h2>",
        table([w("service", lang), "id", *(w(u, lang) for u in URGENCIES), w("n_cases", lang)],
              [[r["name"], r["service"], *(r[u] for u in URGENCIES), r["cases"]] for r in s["referrals"]],
              numeric={2, 3, 4, 5}),
        f"<h2>{e(w('failures', lang))} ({len(s['failures'])})</h2>",
        table([w("where", lang), "case_id", w("field", lang), w("message", lang)],
              [[f["where"], f["case_id"] or "", f["path"] or "", f["message"]] for f in s["failures"]]),
        f"<p><em>{e(w('disclaimer', lang))}</em></p>",
    ]
    style = ("body{font-family:system-ui,sans-serif;margin:2em;max-width:1100px;color:#222}"
             "table{border-collapse:collapse;margin:.5em 0 1.5em}th,td{border:1px solid #ccc;padding:.25em .6em;"
             "text-align:left;vertical-align:top}td.num{text-align:right}th{background:#f3f3f3}"
             ".meta p{margin:.2em 0}.warn{border-left:4px solid #c62828;padding-left:.8em}"
             "svg.chart text{font-family:system-ui,sans-serif}")
    return (f'<!DOCTYPE html>\n<html lang="{e(lang)}">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{e(w('title', lang))}</title>\n<style>{style}</style>\n</head>\n<body>\n"
            + "\n".join(body) + "\n</body>\n</html>\n")


RENDERERS = {"text": to_text, "markdown": to_markdown, "html": to_html}
