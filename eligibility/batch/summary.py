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

from .store import STATUSES, open_results
from ..model.case import answered_by
from ..model.texts import long_date, long_dates, word
from ..explain.screening import nearest_question

KEY_PROVISION = "utl-53-1-b"  # independent permit for victims of abuse: what the clinic looks for first
TOP_MISSING = 15

URGENCIES = ("now", "soon", "planned")
# Chart columns: "not yet" apart from the other not-met cases. Each colour carries white text at a
# contrast of at least 4.5:1 (WCAG AA; a test measures it), and the legend names each in words.
CHART = ("met", "not_yet_status", "not_met", "undetermined", "needs_assessment")
COLOURS = {"met": "#1b5e20", "not_yet_status": "#00695c", "not_met": "#616161", "undetermined": "#8d4b00",
           "needs_assessment": "#0d47a1"}


def w(key: str, lang: str) -> str:
    """The summary's word ``key`` in ``lang`` (from the catalogue, eligibility/model/texts.py)."""
    return word(key, lang, "summary")


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
        lean = con.execute("PRAGMA user_version").fetchone()[0] >= 4  # titles and names: table titles
        provisions = [dict(r) for r in con.execute(
            "SELECT p.case_key, p.ord, p.provision, t.text AS title, p.status, p.kind FROM provisions p "
            "JOIN cases c ON c.key = p.case_key LEFT JOIN titles t ON t.rules_digest = c.rules_digest "
            "AND t.lang = c.lang AND t.id = p.provision ORDER BY c.seq, c.key, p.ord" if lean else
            "SELECT case_key, ord, provision, title, status, kind FROM provisions")]
        missing = ([{"case_key": key, "provision": provision, "path": path}
                    for key, text in con.execute("SELECT key, missing_json FROM cases WHERE missing_json IS NOT NULL "
                                                 "ORDER BY seq, key")
                    for provision, paths in json.loads(text) for path in paths] if lean else
                   [dict(r) for r in con.execute("SELECT case_key, provision, path FROM missing ORDER BY rowid")])
        referrals = [dict(r) for r in con.execute(
            "SELECT r.case_key, r.service, t.text AS name, r.urgency FROM referrals r "
            "JOIN cases c ON c.key = r.case_key LEFT JOIN titles t ON t.rules_digest = c.rules_digest "
            "AND t.lang = c.lang AND t.id = r.service ORDER BY c.seq, c.key, r.service" if lean else
            "SELECT case_key, service, name, urgency FROM referrals")]
        stored = _stored(con)
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

    not_yet = {k: v["not_yet"] for k, v in stored.items() if v["not_yet"]}

    def deadline(key: str) -> tuple[bool, str, int, str]:
        day = stored.get(key, {}).get("apply_by")
        return (day is None, day or "", cases[key]["seq"], key)

    qualify = [dict(ref(k), apply_by=stored.get(k, {}).get("apply_by"))
               for k in sorted((k for k, st in by_case.items() if st.get(KEY_PROVISION) == "met"), key=deadline)]
    waiting = [dict(ref(k), provisions=list(not_yet[k]),
                    headlines={pid: p["headline"] for pid, p in not_yet[k].items()},
                    becomes_met_when=sorted({r for p in not_yet[k].values() for r in p["rules"]}))
               for k in in_order(k for k in not_yet if k in cases)]
    lawyer = [dict(ref(k), provisions=[p for p in ordered if by_case[k].get(p) == "needs_assessment"],
                   reasons={p: r for p, r in stored.get(k, {}).get("reasons", {}).items()
                            if by_case[k].get(p) == "needs_assessment"})
              for k in in_order(k for k, st in by_case.items() if "needs_assessment" in st.values())]
    facts: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))  # case -> provision -> paths
    for m in missing:
        if m["case_key"] in cases:
            facts[m["case_key"]][m["provision"]].append(m["path"])
    undetermined = [dict(ref(k), provisions=[p for p in ordered if by_case[k].get(p) == "undetermined"],
                         missing={p: facts[k][p] for p in ordered if facts[k].get(p)},
                         next=_next_question(facts[k], _relevant(ordered, by_case[k]), lang))
                    for k in in_order(k for k, st in by_case.items() if "undetermined" in st.values())]
    per_fact: dict[str, set[str]] = defaultdict(set)
    for k, by_provision in facts.items():
        for paths in by_provision.values():
            for path in paths:
                per_fact[re.sub(r"\[\d+\]", "[]", path)].add(k)
    top = sorted(per_fact.items(), key=lambda kv: (-len(kv[1]), kv[0]))[:TOP_MISSING]
    top_missing = [{"path": path, "cases": len(keys), "question": nearest_question(path)[lang],
                    "answered_by": answered_by(path)} for path, keys in top]
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
                        "not_yet": sum(1 for k in not_yet if k in cases and p in not_yet[k]),
                        "total": sum(counts[p].values())} for p in ordered],
        "qualify": qualify,
        "not_yet": waiting,
        "needs_assessment": lawyer,
        "undetermined": undetermined,
        "top_missing": top_missing,
        "referrals": sorted(services.values(), key=lambda e: (-e["cases"], e["service"])),
        "failures": failures,
    }


def _stored(con: sqlite3.Connection) -> dict[str, dict[str, Any]]:
    """Case -> what the summary reads from its stored verdict: ``apply_by`` (utl. § 61 seventh
    paragraph), ``not_yet`` (provision -> {headline, rules} for the provisions not met only on what
    the applicant can change herself) and ``reasons`` (provision -> why it needs assessment: its
    first note, else its explanation). Older results lack some of these: they read as absent.
    Results of schema 4 keep these (`runner.summary_notes`), not the verdict (ADR 0013)."""
    out: dict[str, dict[str, Any]] = {}
    if con.execute("PRAGMA user_version").fetchone()[0] >= 4:
        for key, apply_by, notes in con.execute("SELECT key, apply_by, notes_json FROM cases WHERE status = 'ok' "
                                                "ORDER BY key"):
            entry = json.loads(notes) if notes else {}
            out[key] = {"apply_by": apply_by, "not_yet": entry.get("not_yet", {}), "reasons": entry.get("reasons", {})}
        return out
    for key, text in con.execute("SELECT key, verdict_json FROM cases WHERE verdict_json IS NOT NULL ORDER BY key"):
        verdict = json.loads(text)
        entry = out[key] = {"apply_by": verdict.get("apply_by"), "not_yet": {}, "reasons": {}}
        for p in verdict.get("provisions", []):
            if p.get("status") == "not_met" and p.get("becomes_met_when"):
                entry["not_yet"][p["provision"]] = {
                    "headline": p.get("headline", ""), "rules": [r.split("@")[0] for r in p["becomes_met_when"]]}
            elif p.get("status") == "needs_assessment":
                judged = [r.get("text", "") for r in p.get("reasons", []) if r.get("status") == "needs_assessment"]
                entry["reasons"][p["provision"]] = (p.get("notes") or judged or [p.get("explanation") or
                                                                                 p.get("headline", "")])[0]
    return out


def _relevant(ordered: list[str], statuses: dict[str, str]) -> list[str]:
    """The undetermined provisions of one case still worth asking about, § 53 first: once one § 53
    ground gives the independent permit (met), the other § 53 grounds are moot."""
    open_ = [p for p in ordered if statuses.get(p) == "undetermined"]
    if any(p.startswith("utl-53") and statuses.get(p) == "met" for p in ordered):
        open_ = [p for p in open_ if not p.startswith("utl-53")]
    return open_


def _next_question(facts: dict[str, list[str]], open_: list[str], lang: str) -> dict[str, Any] | None:
    """The question to ask next in one case: the first missing fact (safety first, then in the
    rules' order) of its first undetermined provision (§ 53 first), as a question with who answers
    it and the provisions it can still change (issue 13 point 6)."""
    for provision in open_:
        if facts.get(provision):
            path = facts[provision][0]
            return {"path": path, "question": nearest_question(re.sub(r"\[\d+\]", "[]", path))[lang],
                    "answered_by": answered_by(path),
                    "provisions": [p for p in open_ if path in facts.get(p, [])]}
    return None


def _case_label(entry: dict[str, Any]) -> str:
    return f"{entry['case_id'] or '?'} ({entry['where']})"


def _header_lines(s: dict[str, Any], lang: str) -> list[str]:
    out = [f"{w('file', lang)}: {s['file']}"]
    run = s["latest_run"]
    if run:
        law = long_date(run["as_of"], lang) if run["as_of"] else w("each_case", lang)
        out.append(f"{w('run', lang)}: #{run['id']} {run['started']} · {w('rules', lang)} {run['rules_version']} "
                   f"(sha256 {run['rules_digest'][:12]}) · {w('as_of', lang)} {law} · {run['lang']} · "
                   f"{w('engine', lang)} {run['engine']}")
    if s["incomplete"]:
        out.append(w("incomplete", lang))
    if s["identifier_runs"]:
        out.append(w("identifiers", lang).format(runs=", ".join(f"#{r}" for r in s["identifier_runs"])))
    out.append(f"{w('cases', lang)}: {s['cases']} · {w('screened', lang)} {s['ok']} · {w('failed', lang)} {s['failed']}")
    return out


def _title(s: dict[str, Any], provision: str) -> str:
    """A provision in words ('§ 53 første ledd bokstav b: mishandling'), else its id."""
    return next((p["title"] for p in s["provisions"] if p["provision"] == provision), provision)


def _qualify_line(entry: dict[str, Any], lang: str) -> str:
    day = entry.get("apply_by")
    when = w("apply_by", lang).format(date=long_date(day, lang)) if day else w("no_deadline", lang)
    return f"{when}: {_case_label(entry)}"


def _lawyer_line(s: dict[str, Any], entry: dict[str, Any], lang: str) -> str:
    reasons = entry.get("reasons", {})
    return f"{_case_label(entry)}: " + "; ".join(
        f"{_title(s, p)}" + (f" – {long_dates(reasons[p], lang)}" if reasons.get(p) else "") for p in entry["provisions"])


def _ask(s: dict[str, Any], nxt: dict[str, Any], lang: str) -> str:
    """'Når flyttet de sammen? (spør søkeren; § 41: samboere)'."""
    where = ", ".join(_title(s, p) for p in nxt["provisions"])
    return f"{nxt['question']} ({w('by_' + nxt['answered_by'], lang)}; {where})"


def _what_to_do_text(s: dict[str, Any], lang: str) -> list[str]:
    out = [w("todo", lang).upper(), "", f"{w('qualify', lang).upper()}: {len(s['qualify'])}"]
    out += [f"  - {_qualify_line(e, lang)}" for e in s["qualify"]]
    out += ["", f"{w('not_yet', lang).upper()}: {len(s['not_yet'])}"]
    out += [f"  - {_case_label(e)}: " + "; ".join(f"{_title(s, p)}: {h}" for p, h in e["headlines"].items())
            for e in s["not_yet"]]
    out += ["", f"{w('lawyer', lang).upper()}: {len(s['needs_assessment'])}"]
    out += [f"  - {_lawyer_line(s, e, lang)}" for e in s["needs_assessment"]]
    out += ["", f"{w('next_question', lang).upper()}: {len(s['undetermined'])}"]
    out += [f"  - {_case_label(e)}: {_ask(s, e['next'], lang)}  [{e['next']['path']}]" if e.get("next")
            else f"  - {_case_label(e)}" for e in s["undetermined"]]
    return out + [""]


def to_text(s: dict[str, Any], lang: str = "nb") -> str:
    """The batch summary as plain text: what to do first, then the overview."""
    out = [w("title", lang).upper(), ""] + _header_lines(s, lang) + [""] + _what_to_do_text(s, lang)
    out += [w("overview", lang).upper(), "", w("by_provision", lang).upper()]
    width = max([len(p["provision"]) for p in s["provisions"]] + [len(w("provision", lang))])
    cols = [w(st, lang) for st in STATUSES] + [w("not_yet_status", lang), w("total", lang)]
    out.append(f"  {w('provision', lang):<{width}}  " + "  ".join(f"{c:>16}" for c in cols))
    for p in s["provisions"]:
        values = [p["counts"][st] for st in STATUSES] + [p["not_yet"], p["total"]]
        out.append(f"  {p['provision']:<{width}}  " + "  ".join(f"{v:>16}" for v in values) + f"  {p['title']}")
    out += ["", w("top_missing", lang).upper()]
    out.extend(f"  {m['cases']:>6} {w('n_cases', lang)}  {m['question']} ({w('by_' + m['answered_by'], lang)})"
               f"  [{m['path']}]" for m in s["top_missing"])
    if not s["top_missing"]:
        out.append(f"  {w('none', lang)}")
    out += ["", w("referrals", lang).upper()]
    for r in s["referrals"]:
        split = ", ".join(f"{w(u, lang)} {r[u]}" for u in URGENCIES if r[u])
        out.append(f"  {r['cases']:>6} {w('n_cases', lang)}  {r['name']} [{r['service']}] ({split})")
    if not s["referrals"]:
        out.append(f"  {w('none', lang)}")
    out += ["", f"{w('failures', lang).upper()}: {len(s['failures'])}"]
    out.extend(f"  - {e['where']}{' [' + e['case_id'] + ']' if e['case_id'] else ''}: "
               f"{e['path'] + ': ' if e['path'] else ''}{e['message']}" for e in s["failures"])
    out += ["", w("disclaimer", lang)]
    return "\n".join(out) + "\n"


def _md(text: Any) -> str:
    """Text safe inside a Markdown table cell or list item."""
    return re.sub(r"([\\`*_\[\]<>|#])", r"\\\1", str(text)).replace("\n", " ")


def _none(lang: str) -> list[str]:
    return [f"*{w('none', lang)}*"]


def _md_table(head: str, rule: str, rows: list[str], lang: str) -> list[str]:
    """A Markdown table (its header and alignment lines, then ``rows``), or "none" without rows."""
    return [head, rule, *rows] if rows else _none(lang)


def to_markdown(s: dict[str, Any], lang: str = "nb") -> str:
    """The batch summary as Markdown: what to do first, then the overview."""
    out = [f"# {w('title', lang)}", ""] + [f"{_md(line)}  " for line in _header_lines(s, lang)] + [""]
    out += [f"## {w('todo', lang)}", "", f"### {w('qualify', lang)} ({len(s['qualify'])})", ""]
    out += [f"- {_md(_qualify_line(e, lang))}" for e in s["qualify"]] or _none(lang)
    out += ["", f"### {w('not_yet', lang)} ({len(s['not_yet'])})", ""]
    out += [f"- {_md(_case_label(e))}: " + "; ".join(f"{_md(_title(s, p))}: {_md(h)}" for p, h in e["headlines"].items())
            for e in s["not_yet"]] or _none(lang)
    out += ["", f"### {w('lawyer', lang)} ({len(s['needs_assessment'])})", ""]
    out += [f"- {_md(_lawyer_line(s, e, lang))}" for e in s["needs_assessment"]] or _none(lang)
    out += ["", f"### {w('next_question', lang)} ({len(s['undetermined'])})", ""]
    out += [f"- {_md(_case_label(e))}: {_md(_ask(s, e['next'], lang))} `{e['next']['path']}`" if e.get("next")
            else f"- {_md(_case_label(e))}" for e in s["undetermined"]] or _none(lang)
    out += ["", f"## {w('overview', lang)}", "", f"### {w('by_provision', lang)}", ""]
    out.append(f"| {w('provision', lang)} | " + " | ".join(w(st, lang) for st in STATUSES)
               + f" | {w('not_yet_status', lang)} | {w('total', lang)} |")
    out.append("|---|" + "---:|" * (len(STATUSES) + 2))
    for p in s["provisions"]:
        out.append(f"| `{p['provision']}` {_md(p['title'])} | "
                   + " | ".join(str(p["counts"][st]) for st in STATUSES) + f" | {p['not_yet']} | {p['total']} |")
    out += ["", f"### {w('top_missing', lang)}", ""]
    out += _md_table(f"| {w('question', lang)} | {w('fact', lang)} | {w('n_cases', lang)} |", "|---|---|---:|",
                     [f"| {_md(m['question'])} ({_md(w('by_' + m['answered_by'], lang))}) | `{m['path']}` | "
                      f"{m['cases']} |" for m in s["top_missing"]], lang)
    out += ["", f"### {w('referrals', lang)}", ""]
    out += _md_table(f"| {w('service', lang)} | " + " | ".join(w(u, lang) for u in URGENCIES) + f" | {w('n_cases', lang)} |",
                     "|---|" + "---:|" * (len(URGENCIES) + 1),
                     [f"| {_md(r['name'])} (`{r['service']}`) | " + " | ".join(str(r[u]) for u in URGENCIES)
                      + f" | {r['cases']} |" for r in s["referrals"]], lang)
    out += ["", f"### {w('failures', lang)} ({len(s['failures'])})", ""]
    out += _md_table(f"| {w('where', lang)} | case_id | {w('field', lang)} | {w('message', lang)} |", "|---|---|---|---|",
                     [f"| {_md(e['where'])} | {_md(e['case_id'] or '')} | {_md(e['path'] or '')} | {_md(e['message'])} |"
                      for e in s["failures"]], lang)
    out += ["", f"*{w('disclaimer', lang)}*"]
    return "\n".join(out) + "\n"


def _chart_counts(p: dict[str, Any]) -> dict[str, int]:
    """A provision's cases per chart column: "not yet" apart from the other not-met cases."""
    counts = {st: p["counts"][st] for st in STATUSES}
    return {**counts, "not_met": counts["not_met"] - p["not_yet"], "not_yet_status": p["not_yet"]}


def _chart(s: dict[str, Any], lang: str) -> str:
    """A horizontal stacked bar per provision (labelled with its title), one colour per status with
    the legend in words, inline SVG that scales to the page."""
    e = html.escape
    rows = s["provisions"]
    # the labels are the titles: room for the longest (about 6.6 px a character at 12 px)
    label_w = min(max([int(len(p["title"]) * 6.6) + 16 for p in rows] + [160]), 480)
    bar_w, row_h, top = 420, 26, 58
    width = label_w + bar_w + 50
    height = top + row_h * max(len(rows), 1) + 10
    scale = max([p["total"] for p in rows] + [1])
    parts = [f'<svg class="chart" role="img" aria-label="{e(w("chart", lang))}" width="{width}" '
             f'height="{height}" viewBox="0 0 {width} {height}">', f'<title>{e(w("chart", lang))}</title>']
    for i, st in enumerate(CHART):  # legend, two rows
        x, y = 10 + (i % 3) * 250, 6 + (i // 3) * 20
        parts.append(f'<rect x="{x}" y="{y}" width="12" height="12" fill="{COLOURS[st]}"/>'
                     f'<text x="{x + 16}" y="{y + 11}" font-size="12">{e(w(st, lang))}</text>')
    for i, p in enumerate(rows):
        y = top + i * row_h
        parts.append(f'<text x="{label_w - 8}" y="{y + 16}" font-size="12" text-anchor="end">'
                     f'{e(p["title"])}<title>{e(p["provision"])}</title></text>')
        x0 = float(label_w)
        counts = _chart_counts(p)
        for st, n in ((c, counts[c]) for c in CHART):
            if not n:
                continue
            bar = bar_w * n / scale
            parts.append(f'<rect x="{x0:.1f}" y="{y + 3}" width="{bar:.1f}" height="{row_h - 8}" fill="{COLOURS[st]}">'
                         f'<title>{e(p["title"])}: {e(w(st, lang))} {n}</title></rect>')
            if bar >= 22:
                parts.append(f'<text x="{x0 + bar / 2:.1f}" y="{y + 17}" font-size="11" fill="#fff" '
                             f'text-anchor="middle">{n}</text>')
            x0 += bar
        parts.append(f'<text x="{x0 + 6:.1f}" y="{y + 16}" font-size="11">{p["total"]}</text>')
    parts.append("</svg>")
    return "".join(parts)


STYLE = ("@page{size:A4;margin:14mm}"
         "body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1100px;padding:0 1em;color:#222}"
         "table{border-collapse:collapse;margin:.5em 0 1.5em}th,td{border:1px solid #ccc;padding:.25em .6em;"
         "text-align:left;vertical-align:top}td.num{text-align:right}th{background:#f3f3f3}"
         ".meta p{margin:.2em 0}.warn{border-left:4px solid #c62828;padding-left:.8em}"
         ".todo{border:2px solid #1b5e20;border-radius:6px;padding:.2em 1em}"
         "svg.chart{max-width:100%;height:auto}svg.chart text{font-family:system-ui,sans-serif}"
         "@media print{body{margin:0;max-width:none;padding:0;font-size:10pt}h2,h3{break-after:avoid}"
         "tr,li,svg{break-inside:avoid}.todo{border:none;padding:0}}")


def to_html(s: dict[str, Any], lang: str = "nb") -> str:
    """The batch summary as one self-contained page that prints on A4: what to do first (in a
    box), then the chart and tables."""
    e = html.escape

    def table(head: list[str], rows: list[list[Any]], numeric: set[int] = set()) -> str:
        if not rows:
            return f"<p><em>{e(w('none', lang))}</em></p>"
        th = "".join(f"<th>{e(h)}</th>" for h in head)
        body = "".join("<tr>" + "".join(f'<td{" class=num" if i in numeric else ""}>{e(str(c))}</td>'
                                        for i, c in enumerate(r)) + "</tr>" for r in rows)
        return f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"

    def items(lines: list[str]) -> str:
        if not lines:
            return f"<p><em>{e(w('none', lang))}</em></p>"
        return "<ul>" + "".join(f"<li>{e(line)}</li>" for line in lines) + "</ul>"

    header = "".join(f"<p>{e(line)}</p>" for line in _header_lines(s, lang))
    warn = " warn" if s["identifier_runs"] or s["incomplete"] else ""
    asks = [f"{_case_label(x)}: {_ask(s, x['next'], lang)} [{x['next']['path']}]" if x.get("next") else _case_label(x)
            for x in s["undetermined"]]
    not_yet = [f"{_case_label(x)}: " + "; ".join(f"{_title(s, p)}: {h}" for p, h in x["headlines"].items())
               for x in s["not_yet"]]
    body = [
        f"<h1>{e(w('title', lang))}</h1>",
        f'<div class="meta{warn}">{header}</div>',
        f'<section class="todo"><h2>{e(w("todo", lang))}</h2>',
        f"<h3>{e(w('qualify', lang))} ({len(s['qualify'])})</h3>", items([_qualify_line(x, lang) for x in s["qualify"]]),
        f"<h3>{e(w('not_yet', lang))} ({len(s['not_yet'])})</h3>", items(not_yet),
        f"<h3>{e(w('lawyer', lang))} ({len(s['needs_assessment'])})</h3>",
        items([_lawyer_line(s, x, lang) for x in s["needs_assessment"]]),
        f"<h3>{e(w('next_question', lang))} ({len(s['undetermined'])})</h3>", items(asks), "</section>",
        f"<h2>{e(w('overview', lang))}</h2>",
        f"<h3>{e(w('by_provision', lang))}</h3>",
        _chart(s, lang),
        table([w("provision", lang), "", *(w(st, lang) for st in STATUSES), w("not_yet_status", lang), w("total", lang)],
              [[p["provision"], p["title"], *(p["counts"][st] for st in STATUSES), p["not_yet"], p["total"]]
               for p in s["provisions"]], numeric={2, 3, 4, 5, 6, 7}),
        f"<h3>{e(w('top_missing', lang))}</h3>",
        table([w("question", lang), w("fact", lang), w("n_cases", lang)],
              [[f"{m['question']} ({w('by_' + m['answered_by'], lang)})", m["path"], m["cases"]]
               for m in s["top_missing"]], numeric={2}),
        f"<h3>{e(w('referrals', lang))}</h3>",
        table([w("service", lang), "id", *(w(u, lang) for u in URGENCIES), w("n_cases", lang)],
              [[r["name"], r["service"], *(r[u] for u in URGENCIES), r["cases"]] for r in s["referrals"]],
              numeric={2, 3, 4, 5}),
        f"<h3>{e(w('failures', lang))} ({len(s['failures'])})</h3>",
        table([w("where", lang), "case_id", w("field", lang), w("message", lang)],
              [[f["where"], f["case_id"] or "", f["path"] or "", f["message"]] for f in s["failures"]]),
        f"<p><em>{e(w('disclaimer', lang))}</em></p>",
    ]
    return (f'<!DOCTYPE html>\n<html lang="{e(lang)}">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{e(w('title', lang))}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
            + "\n".join(body) + "\n</body>\n</html>\n")


RENDERERS = {"text": to_text, "markdown": to_markdown, "html": to_html}
