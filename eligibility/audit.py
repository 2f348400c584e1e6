"""For auditors: decision receipts, replay, law-change impact, the rule graph.

A *receipt* is one canonical JSON document (sorted keys, fixed separators, UTF-8) holding what is
needed to prove a screening: the program and rulebook versions, the sha256 of every rule file and
of the whole rulebook, the canonical case facts and their digest, the assessment date, every rule
firing in order with the facts it matched and what it concluded, the verdicts, warnings and
referrals, and a digest over all of that. `verify_receipt` re-runs the case under the rulebook the
receipt names and reports the first difference.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import __version__
from .case import Case
from .compiler import compile_rulebook
from .rulebook import Rulebook
from .screening import Screener, Screening
from .verdict import Verdict, dumps, json_object

RECEIPT_VERSION = 1


def canonical(data: Any) -> str:
    """Canonical JSON: sorted keys, no insignificant whitespace, UTF-8 text."""
    return dumps(data, allow_nan=False)


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _receipt_body(book: Rulebook, case: Any, verdict: Verdict, firings: Any) -> dict[str, Any]:
    """A receipt's members but its digest, with the case and the firings as given."""
    return {
        "receipt_version": RECEIPT_VERSION,
        "engine_version": __version__,
        "rules_version": book.version,
        "rules_digest": book.digest,
        "rule_files": dict(sorted(book.file_digests.items())),
        "case": case,
        "case_digest": verdict.case_digest,
        "assessment_date": verdict.assessment_date,
        "lang": verdict.lang,
        "firings": firings,
        "verdicts": [
            {"provision": p.provision, "status": p.status, "kind": p.kind, "citation": p.citation.text,
             "rule": p.citation.rule, "failed": [r.rule for r in p.failed], "missing": [m.path for m in p.missing]}
            for p in verdict.provisions
        ],
        "warnings": [w.id for w in verdict.warnings],
        "referrals": [{"service": r.service, "urgency": r.urgency, "triggered_by": r.triggered_by}
                      for r in verdict.referrals],
    }


def make_receipt(book: Rulebook, case: Case, verdict: Verdict) -> dict[str, Any]:
    """The receipt of one screening."""
    firings = [{"seq": i, "rule": t.rule, "version": t.version, "concluded": t.concluded, "matched": t.matched,
                "derived": t.derived} for i, t in enumerate(verdict.trace)]
    body = _receipt_body(book, case.model_dump(mode="json", exclude_unset=True), verdict, firings)
    body["receipt_digest"] = sha256(canonical(body))
    return body


def receipt_json(book: Rulebook, case: Case, screening: Screening) -> str:
    """Exactly ``canonical(make_receipt(book, case, screening.verdict))``, reusing the JSON of
    the trace and the case encoded while screening (`Screener.screening`)."""
    if not screening.encoded:
        return canonical(make_receipt(book, case, screening.verdict))
    body = _receipt_body(book, None, screening.outline, None)  # the case and the firings: below
    members = {name: canonical(value) for name, value in body.items() if name not in ("case", "firings")}
    members["case"] = (screening.case_json if screening.case_json is not None
                       else canonical(case.model_dump(mode="json", exclude_unset=True)))
    members["firings"] = screening.firings_json()
    members["receipt_digest"] = canonical(sha256(json_object(members)))
    return json_object(members)


@dataclass(frozen=True)
class Verification:
    source: str
    outcome: str  # identical | differs | rulebook-unavailable | invalid
    detail: str

    @property
    def ok(self) -> bool:
        return self.outcome == "identical"


def verify_receipt(receipt: dict[str, Any], screener: Screener, source: str = "receipt") -> Verification:
    """Re-run a receipt's case under the current rulebook, if it is the one the receipt names."""
    try:
        claimed = receipt["receipt_digest"]
        body = {k: v for k, v in receipt.items() if k != "receipt_digest"}
        if sha256(canonical(body)) != claimed:
            return Verification(source, "differs", "the receipt was altered after it was issued (digest mismatch)")
        book = screener.book
        if receipt["rules_digest"] != book.digest:
            changed = sorted(name for name in set(receipt["rule_files"]) | set(book.file_digests)
                             if receipt["rule_files"].get(name) != book.file_digests.get(name))
            return Verification(source, "rulebook-unavailable",
                                f"issued under rules {receipt['rules_version']} ({receipt['rules_digest'][:12]}); "
                                f"these rule files differ now: {', '.join(changed)}")
        case = Case.model_validate(receipt["case"])
        verdict = screener.screen(case, as_of=dt.date.fromisoformat(receipt["assessment_date"]), lang=receipt["lang"])
        again = make_receipt(book, case, verdict)
    except (KeyError, TypeError, ValueError) as exc:
        return Verification(source, "invalid", f"not a receipt this version can read: {exc}")
    if again["case_digest"] != receipt["case_digest"]:
        return Verification(source, "differs", "the case facts do not match their digest")
    for i, (old, new) in enumerate(zip(receipt["firings"], again["firings"])):
        if old != new:
            return Verification(source, "differs", f"firing {i} differs: receipt has {old['rule']} → {old['concluded']}, "
                                                   f"re-run gives {new['rule']} → {new['concluded']}")
    if len(receipt["firings"]) != len(again["firings"]):
        return Verification(source, "differs", f"{len(receipt['firings'])} firings in the receipt, "
                                               f"{len(again['firings'])} on re-run")
    for key in ("verdicts", "warnings", "referrals"):
        if receipt[key] != again[key]:
            return Verification(source, "differs", f"the {key} differ")
    return Verification(source, "identical", f"{len(again['firings'])} firings and {len(again['verdicts'])} verdicts match")


@dataclass(frozen=True)
class Change:
    case_id: str
    provision: str
    before: str
    after: str
    rules: list[str]  # rule versions in force on one date but not the other, under this provision


def _tree(compiled: Any, node_id: str, seen: set[str] | None = None) -> set[str]:
    seen = set() if seen is None else seen
    if node_id in seen or node_id not in compiled.nodes:
        return seen
    seen.add(node_id)
    for ref, _ in compiled.refs.get(node_id, []):
        _tree(compiled, ref, seen)
    return seen


def law_change(screener: Screener, cases: list[Case], before: dt.date, after: dt.date) -> list[Change]:
    """Which verdicts change when the same cases are assessed under the law of two dates, and
    which rule versions (in force on one date only) sit under each changed provision."""
    old_rules, new_rules = screener.compiled(before), screener.compiled(after)
    changes: list[Change] = []
    for case in cases:
        a = {p.provision: p.status for p in screener.screen(case, as_of=before).provisions}
        b = {p.provision: p.status for p in screener.screen(case, as_of=after).provisions}
        for provision in sorted(set(a) | set(b)):
            if a.get(provision) == b.get(provision):
                continue
            old_keys = {old_rules.nodes[n].key for n in _tree(old_rules, provision)}
            new_keys = {new_rules.nodes[n].key for n in _tree(new_rules, provision)}
            changes.append(Change(case.case_id, provision, a.get(provision, "not in force"),
                                  b.get(provision, "not in force"), sorted(old_keys ^ new_keys)))
    return changes


def graph(book: Rulebook, day: dt.date, fmt: str = "dot") -> str:
    """The rules in force on ``day`` and the facts they read, as Graphviz DOT or Mermaid."""
    compiled = compile_rulebook(book, day)
    edges: list[tuple[str, str, bool]] = []  # (from, to, negated)
    for node_id in sorted(compiled.nodes):
        for ref, negated in compiled.refs.get(node_id, []):
            edges.append((ref, node_id, negated))
        for path in compiled.reads.get(node_id, []):
            edges.append((f"fact:{path}", node_id, False))
    if fmt == "mermaid":
        names = sorted({x for a, b, _ in edges for x in (a, b)} | set(compiled.nodes))
        ids = {name: f"n{i}" for i, name in enumerate(names)}
        lines = ["flowchart LR"]
        lines += [f'  {ids[name]}["{name}"]' for name in names]
        lines += [f"  {ids[a]} -.->|not| {ids[b]}" if neg else f"  {ids[a]} --> {ids[b]}" for a, b, neg in edges]
        return "\n".join(lines) + "\n"
    lines = ["digraph rules {", "  rankdir=LR;"]
    for node_id in sorted(compiled.nodes):
        node = compiled.nodes[node_id]
        shape = "doubleoctagon" if node.provision else ("note" if node.notice or node.referral else "box")
        lines.append(f'  "{node_id}" [shape={shape}];')
    lines += [f'  "{a}" -> "{b}"' + (' [style=dashed, label="not"];' if neg else ";") for a, b, neg in edges]
    lines.append("}")
    return "\n".join(lines) + "\n"


def read_receipt(path: Path) -> dict[str, Any]:
    return json.loads(Path(path).read_text(encoding="utf-8"))


# --- coverage in statutory units ----------------------------------------------------------------

STATUSES = ("met", "not_met", "undetermined", "needs_assessment")
_NOTE_ID = r"^\|\s*(?:\*\*)?([A-Z][A-Za-z0-9]*(?:-[0-9a-z]+)*)(?:\*\*)?\s*\|"


def node_results(verdict: Verdict) -> dict[str, tuple[str, str]]:
    """(versioned rule, status) for each rule the engine concluded, read from the trace."""
    out: dict[str, tuple[str, str]] = {}
    for entry in verdict.trace:
        part, _, kind = entry.rule.partition("#")
        if "~" in part or kind.startswith(("element.", "step.", "start")):
            continue
        out.setdefault(part, (entry.version, entry.concluded))
    return out


def coverage(screener: Screener, cases: list[tuple[Case, dt.date | None]],
             notes: Path | None = None) -> dict[str, Any]:
    """How often the rules citing each atomic condition (law-notes ids) and each provision unit
    (section, ledd, bokstav) were met, not met, undetermined or needed assessment over ``cases``
    (counted per rule evaluation; an id is counted on the rules over facts that cite it, or else on
    the combining rules); which were never exercised; and, given the law notes, which condition
    ids no rule covers."""
    import re

    book = screener.book
    by_condition: dict[str, dict[str, int]] = {}
    by_unit: dict[str, dict[str, int]] = {}
    declared: set[str] = set()
    units: set[str] = set()
    from_conditions: set[str] = set()  # ids cited by a rule over facts are counted only there
    for versions in book.versions.values():
        for node in versions:
            declared.update(node.source.conditions)
            units.add(book.cite(node, "en"))
            if node.when is not None:
                from_conditions.update(node.source.conditions)
    for case, as_of in cases:
        verdict = screener.screen(case, as_of=as_of, lang="en")
        for node_id, (version, status) in node_results(verdict).items():
            node = next(n for n in book.versions[node_id] if n.key == version)
            for cid in node.source.conditions:
                if node.when is not None or cid not in from_conditions:
                    by_condition.setdefault(cid, dict.fromkeys(STATUSES, 0))[status] += 1
            by_unit.setdefault(book.cite(node, "en"), dict.fromkeys(STATUSES, 0))[status] += 1
    report: dict[str, Any] = {
        "cases": len(cases),
        "conditions": {cid: by_condition.get(cid, dict.fromkeys(STATUSES, 0)) for cid in sorted(declared)},
        "units": {unit: by_unit.get(unit, dict.fromkeys(STATUSES, 0)) for unit in sorted(units)},
        "never_exercised": sorted(cid for cid in declared if cid not in by_condition),
    }
    if notes is not None:
        in_notes = {m.group(1) for line in Path(notes).read_text(encoding="utf-8").splitlines()
                    if (m := re.match(_NOTE_ID, line)) and re.search(r"\d", m.group(1))}
        report["not_in_any_rule"] = sorted(in_notes - declared)
    return report


# --- lint beyond what loading already refuses -----------------------------------------------------

def lint(book: Rulebook) -> list[str]:
    """Defects a rulebook can load with: versions of a rule with a gap between them, and rules
    that no provision, notice or referral uses on any date they are in force."""
    problems: list[str] = []
    for node_id, versions in sorted(book.versions.items()):
        ordered = sorted(versions, key=lambda n: n.valid_from)
        for prev, nxt in zip(ordered, ordered[1:]):
            if prev.valid_to is not None and nxt.valid_from > prev.valid_to + dt.timedelta(days=1):
                problems.append(f"{node_id}: no version in force from {prev.valid_to + dt.timedelta(days=1)} "
                                f"to {nxt.valid_from - dt.timedelta(days=1)}")
    days = sorted({n.valid_from for vs in book.versions.values() for n in vs}
                  | {n.valid_to for vs in book.versions.values() for n in vs if n.valid_to})
    used: set[str] = set()
    for day in days:
        used.update(compile_rulebook(book, day).nodes)
    for node_id in sorted(set(book.versions) - used):
        problems.append(f"{node_id}: no provision, notice or referral uses this rule on any date")
    return problems
