"""For auditors: decision receipts, replay, law-change impact, the rule graph.

A *receipt* is one canonical JSON document (sorted keys, fixed separators, UTF-8) holding what is
needed to prove a screening: the program and rulebook versions, the sha256 of every rule file and
of the whole rulebook, the canonical case facts and their digest, the assessment date, the trace (one entry
per rule in force: what it read and what it concluded), the verdicts, warnings and
referrals, and a digest over all of that. `verify_receipt` checks the receipt's shape (a malformed
receipt is named as such, never raised), its seal and that the program and rulebook replaying it are
the ones it names, re-runs the case and says what differs first, in words.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .. import __version__
from ..model.case import Case
from ..law.compiler import compile_rulebook
from ..model.loader import InputError, validate_case
from ..law.rulebook import Rulebook
from ..explain.screening import Screener, Screening
from ..explain.verdict import Status, Verdict, dumps, json_object

# Version 3 (ADR 0010, per-rule trace): ``trace`` holds one entry per rule in force and condition
# part, with the statuses or facts it read. Version 2 logged every firing of the compilation of ADR
# 0010 (with list elements and fold steps), version 1 those of the compilation before it.
RECEIPT_VERSION = 3


def canonical(data: Any) -> str:
    """Canonical JSON: sorted keys, no insignificant whitespace, UTF-8 text."""
    return dumps(data, allow_nan=False)


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _receipt_body(book: Rulebook, case: Any, verdict: Verdict, trace: Any) -> dict[str, Any]:
    """A receipt's members but its digest, with the case and the trace as given."""
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
        "trace": trace,
        "verdicts": [
            {"provision": p.provision, "status": p.status, "kind": p.kind, "citation": p.citation.text,
             "rule": p.citation.rule, "failed": [r.rule for r in p.failed], "missing": [m.path for m in p.missing]}
            for p in verdict.provisions
        ],
        "warnings": [w.id for w in verdict.warnings],
        "referrals": [{"service": r.service, "urgency": r.urgency, "triggered_by": r.triggered_by}
                      for r in verdict.referrals],
    }


def make_receipt(book: Rulebook, case: Case, verdict: Verdict, journal_sha256: str | None = None) -> dict[str, Any]:
    """The receipt of one screening; of an interview's case, with the sha256 of the journal its
    answers are kept in (`journal_sha256`, optional: sealed by the digest, not re-computed by
    `verify_receipt`, which has no journal)."""
    trace = [entry.model_dump(mode="json") for entry in verdict.trace]
    body = _receipt_body(book, case.model_dump(mode="json", exclude_unset=True), verdict, trace)
    if journal_sha256 is not None:
        body["journal_sha256"] = journal_sha256
    body["receipt_digest"] = sha256(canonical(body))
    return body


def receipt_json(book: Rulebook, case: Case, screening: Screening) -> str:
    """Exactly ``canonical(make_receipt(book, case, screening.verdict))``, reusing the JSON of
    the trace and the case encoded while screening (`Screener.screening`)."""
    if not screening.encoded:
        return canonical(make_receipt(book, case, screening.verdict))
    body = _receipt_body(book, None, screening.outline, None)  # the case and the trace: below
    members = {name: canonical(value) for name, value in body.items() if name not in ("case", "trace")}
    members["case"] = (screening.case_json if screening.case_json is not None
                       else canonical(case.model_dump(mode="json", exclude_unset=True)))
    members["trace"] = screening.trace_text()
    members["receipt_digest"] = canonical(sha256(json_object(members)))
    return json_object(members)


# --- verify: the receipt's shape, its seal, the rulebook it names, the re-run ------------------------

MAX_RECEIPT_BYTES = 64 * 1024 * 1024
MAX_RECEIPT_DEPTH = 16  # receipt → case → abuse → incidents → [i] → field is 6; leave room, refuse bombs
MAX_INT_DIGITS = 1000  # far above any fact; below Python's int-to-text limit (4300 digits)
_HEX64 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
_DAY = Annotated[str, Field(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")]


class MalformedReceipt(ValueError):
    """Not a receipt this version can read; the message says what is wrong and where."""


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")


class _TraceRow(_Strict):
    rule: str
    version: str
    concluded: Status
    read: dict[str, Any]


class _VerdictRow(_Strict):
    provision: str
    status: Status
    kind: str
    citation: str
    rule: str
    failed: list[str]
    missing: list[str]


class _ReferralRow(_Strict):
    service: str
    urgency: str
    triggered_by: list[str]


class ReceiptDocument(_Strict):
    """The members of a version-3 receipt, exactly (`make_receipt`)."""

    receipt_version: Literal[3]
    engine_version: str
    rules_version: str
    rules_digest: _HEX64
    rule_files: dict[str, _HEX64]
    case: dict[str, Any]
    case_digest: _HEX64
    assessment_date: _DAY
    lang: Literal["nb", "en"]
    trace: list[_TraceRow]
    verdicts: list[_VerdictRow]
    warnings: list[str]
    referrals: list[_ReferralRow]
    journal_sha256: _HEX64 | None = None  # an interview's journal (optional; the seal covers it)
    receipt_digest: _HEX64


def shown(value: Any, limit: int = 60) -> str:
    """A value from a receipt as a message may show it: printable, one line, short."""
    if isinstance(value, str) and value.isprintable() and value.strip() == value and value:
        text = value
    else:
        try:
            text = json.dumps(value, sort_keys=True, ensure_ascii=True, allow_nan=False)
        except (TypeError, ValueError, RecursionError):
            text = f"<{type(value).__name__}>"
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _json_problem(value: Any) -> str | None:
    """Where and why ``value`` is not plain JSON a receipt can hold, without recursion."""
    stack: list[tuple[Any, tuple[Any, ...]]] = [(value, ())]
    while stack:
        item, path = stack.pop()
        where = ".".join(shown(p, 30) for p in path)
        if len(path) > MAX_RECEIPT_DEPTH:
            return f"{where}: nested deeper than a receipt can be ({MAX_RECEIPT_DEPTH} levels)"
        if isinstance(item, dict):
            for key, member in item.items():
                if not isinstance(key, str):
                    return f"{where or '(top)'}: a member name that is not text"
                stack.append((key, path + ("(name)",)))
                stack.append((member, path + (key,)))
        elif isinstance(item, list):
            stack.extend((member, path + (i,)) for i, member in enumerate(item))
        elif isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return f"{where}: text that is not valid Unicode (a lone surrogate)"
        elif isinstance(item, bool) or item is None:
            continue
        elif isinstance(item, int):
            if item.bit_length() > MAX_INT_DIGITS * 3.33:
                return f"{where}: a number with more than {MAX_INT_DIGITS} digits"
        elif isinstance(item, float):
            if not math.isfinite(item):
                return f"{where}: a number out of range ({item})"
        else:
            return f"{where}: a {type(item).__name__}, which JSON does not have"
    return None


def _shape_problem(exc: ValidationError) -> str:
    """The first problem pydantic found, as `path: what` (a version-2 receipt has exactly its members)."""
    err = exc.errors()[0]
    where = ".".join(shown(p, 30) for p in err["loc"] if not (isinstance(p, str) and p.startswith(("literal[", "function-")))) or "(top)"
    if err["type"] == "missing":
        what = "missing"
    elif err["type"] == "extra_forbidden":
        what = f"unknown member (refused: a version-{RECEIPT_VERSION} receipt has no such member)"
    else:
        what = err["msg"]
    more = f" (and {exc.error_count() - 1} more problem(s))" if exc.error_count() > 1 else ""
    return f"{where}: {what}{more}"


def check_receipt(receipt: Any) -> ReceiptDocument:
    """``receipt`` as a version-2 receipt, or `MalformedReceipt` saying what is wrong and where."""
    if not isinstance(receipt, dict):
        raise MalformedReceipt(f"a receipt is a JSON object, not a {type(receipt).__name__}")
    problem = _json_problem(receipt)
    if problem:
        raise MalformedReceipt(problem)
    try:
        doc = ReceiptDocument.model_validate(receipt)
    except ValidationError as exc:
        raise MalformedReceipt(_shape_problem(exc)) from None
    try:
        dt.date.fromisoformat(doc.assessment_date)
    except ValueError:
        raise MalformedReceipt(f"assessment_date: not a date ({shown(doc.assessment_date)})") from None
    return doc


def read_receipt(path: Path) -> dict[str, Any]:
    """A receipt file as a JSON object; `MalformedReceipt` if it is not UTF-8 JSON text of one
    (NaN, infinities, duplicate member names and nesting bombs included)."""
    raw = Path(path).read_bytes()
    if len(raw) > MAX_RECEIPT_BYTES:
        raise MalformedReceipt(f"larger than {MAX_RECEIPT_BYTES // (1024 * 1024)} MiB")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MalformedReceipt(f"not UTF-8 text (byte {exc.start})") from None

    def no_constant(name: str) -> Any:
        raise MalformedReceipt(f"{name} is not a JSON number")

    def unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        names = [name for name, _ in pairs]
        if len(set(names)) != len(names):
            raise MalformedReceipt(f"member name {shown(next(n for n in names if names.count(n) > 1))} repeats")
        return dict(pairs)

    try:
        data = json.loads(text, parse_constant=no_constant, object_pairs_hook=unique)
    except RecursionError:
        raise MalformedReceipt(f"nested deeper than a receipt can be ({MAX_RECEIPT_DEPTH} levels)") from None
    except json.JSONDecodeError as exc:
        raise MalformedReceipt(f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from None
    except MalformedReceipt:
        raise
    except ValueError as exc:  # e.g. an integer longer than Python converts
        raise MalformedReceipt(f"not a JSON document this program reads: {exc}") from None
    if not isinstance(data, dict):
        raise MalformedReceipt(f"a receipt is a JSON object, not a {type(data).__name__}")
    problem = _json_problem(data)  # e.g. 1e999, which Python reads as an infinity
    if problem:
        raise MalformedReceipt(problem)
    return data


@dataclass(frozen=True)
class Verification:
    source: str
    outcome: str  # identical | differs | rulebook-unavailable | unsupported (version 1) | malformed
    detail: str

    @property
    def ok(self) -> bool:
        return self.outcome == "identical"

    @property
    def label(self) -> str:
        return "malformed receipt" if self.outcome == "malformed" else self.outcome


def _provenance(doc: ReceiptDocument, book: Rulebook) -> list[str]:
    """How the program and rulebook the receipt names differ from the ones replaying it."""
    diffs = []
    if doc.engine_version != __version__:
        diffs.append(f"engine_version differs: receipt has {shown(doc.engine_version)}, this program is {__version__}")
    if doc.rules_version != book.version:
        diffs.append(f"rules_version differs: receipt has {shown(doc.rules_version)}, the rulebook has {book.version}")
    for name in sorted(set(doc.rule_files) | set(book.file_digests)):
        mine, theirs = doc.rule_files.get(name), book.file_digests.get(name)
        if theirs is None:
            diffs.append(f"rule file {shown(name)}: in the receipt, not in the rulebook")
        elif mine is None:
            diffs.append(f"rule file {name}: in the rulebook, not in the receipt")
        elif mine != theirs:
            diffs.append(f"rule file {name}: hash differs: receipt has {mine[:12]}…, the rulebook has {theirs[:12]}…")
    if doc.rules_digest != book.digest:
        diffs.append(f"rules_digest differs: receipt has {doc.rules_digest[:12]}…, the rulebook has {book.digest[:12]}…")
    if not _adds_up(doc):
        diffs.append("the receipt's rule-file hashes do not add up to its rules_digest")
    return diffs


def _adds_up(doc: ReceiptDocument) -> bool:
    """Whether the receipt's rules_digest is the hash of its rule-file hashes (as `Rulebook.digest`)."""
    return sha256(canonical(doc.rule_files)) == doc.rules_digest


def _same(a: Any, b: Any) -> bool:
    """Equal as canonical JSON (in Python 1 == 1.0 == True; in a receipt they differ)."""
    return canonical(a) == canonical(b)


def _fields(old: dict[str, Any], new: dict[str, Any], labels: dict[str, str] | None = None) -> list[str]:
    """Each member of two rows that differs, in words."""
    out = []
    for name in sorted(set(old) | set(new)):
        label = (labels or {}).get(name, name)
        if name not in new:
            out.append(f"{shown(label)}: only in the receipt")
        elif name not in old:
            out.append(f"{label}: only on re-run")
        elif not _same(old[name], new[name]):
            out.append(f"{shown(label)} differs: receipt has {shown(old[name])}, re-run gives {shown(new[name])}")
    return out


def _rule_difference(old: dict[str, Any], new: dict[str, Any]) -> str:
    """What differs for one rule: "rule utl-53.mishandling: conclusion differs: ...; read value of
    X differs: ..." (ADR 0010, per-rule trace)."""
    parts = []
    if not _same(old["concluded"], new["concluded"]):
        parts.append(f"conclusion differs: receipt has {shown(old['concluded'])}, re-run gives {new['concluded']}")
    if not _same(old["version"], new["version"]):
        parts.append(f"rule version differs: receipt {shown(old['version'])}, re-run {new['version']}")
    parts += [f"read {p}" for p in _fields(old["read"], new["read"],
                                             {k: f"value of {k}" for k in set(old["read"]) | set(new["read"])})]
    return f"rule {new['rule']}: " + "; ".join(parts)


def _trace_difference(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> str | None:
    """The first rule whose trace entry differs, in words: a rule only in the receipt or only on
    re-run, else the first differing rule in the re-run's order, else a difference in order."""
    before = {str(e["rule"]): e for e in old}
    after = {e["rule"]: e for e in new}
    only = [shown(r) for r in before if r not in after]
    if only:
        return f"rules only in the receipt: {', '.join(only[:5])}" + (" ..." if len(only) > 5 else "")
    only = [r for r in after if r not in before]
    if only:
        return f"rules only on re-run: {', '.join(only[:5])}" + (" ..." if len(only) > 5 else "")
    for rule, entry in after.items():
        if not _same(before[rule], entry):
            return _rule_difference(before[rule], entry)
    if len(old) != len(new) or not _same(old, new):
        return "the trace lists the same rules in another order, or one rule twice"
    return None


def _rows_difference(noun: str, old: list[Any], new: list[Any], key: str | None) -> str | None:
    """The first differing row of the verdicts, warnings or referrals, in words."""
    for i, (a, b) in enumerate(zip(old, new)):
        if _same(a, b):
            continue
        if key is None:
            return f"{noun} {i} differs: receipt has {shown(a)}, re-run gives {shown(b)}"
        return f"{noun} {i} ({shown(b[key])}): " + "; ".join(_fields(a, b))
    if len(old) != len(new):
        return f"{len(old)} {noun}s in the receipt, {len(new)} on re-run"
    return None


def verify_receipt(receipt: Any, screener: Screener, source: str = "receipt") -> Verification:
    """Check a receipt's shape and seal, that the program and rulebook replaying it are the ones it
    names (every rule file's hash, the rules version, the engine version), then re-run its case
    and compare every member: identical only if the re-run gives the receipt again, byte for byte."""
    if isinstance(receipt, dict) and type(receipt.get("receipt_version")) is int and receipt["receipt_version"] in _OLDER:
        return _older(receipt, source)
    try:
        doc = check_receipt(receipt)
        body = {k: v for k, v in receipt.items() if k != "receipt_digest"}
        if sha256(canonical(body)) != doc.receipt_digest:
            return Verification(source, "differs", "the receipt was altered after it was issued (digest mismatch)")
        diffs = _provenance(doc, screener.book)
        if diffs:
            if doc.rules_digest != screener.book.digest and _adds_up(doc):  # issued under another rulebook
                return Verification(source, "rulebook-unavailable",
                                    f"issued under rules {shown(doc.rules_version)} ({doc.rules_digest[:12]}), "
                                    f"not the rulebook here: " + "; ".join(diffs))
            return Verification(source, "differs", "; ".join(diffs))
        try:
            case = validate_case(receipt["case"], "case")
        except InputError as exc:
            raise MalformedReceipt(f"case.{exc.path}: {exc.message}" if exc.path else f"case: {exc.message}") from None
    except MalformedReceipt as exc:
        return Verification(source, "malformed", str(exc))
    verdict = screener.screen(case, as_of=dt.date.fromisoformat(doc.assessment_date), lang=doc.lang)
    again = make_receipt(screener.book, case, verdict, journal_sha256=doc.journal_sha256)  # not re-computable
    return _compare(receipt, again, source)


_OLDER = {
    1: "its firing log comes from the engine compilation before ADR 0010",
    2: "it logs every rule firing (list elements and fold steps included), not the per-rule trace "
       "this program writes",
}


def _older(receipt: dict[str, Any], source: str) -> Verification:
    """A version-1 or version-2 receipt logs firings (of the compilation before ADR 0010, or of
    every firing under it), which this program no longer records, so it cannot be replayed here
    rule by rule. Its seal can still be checked."""
    version = receipt["receipt_version"]
    body = {k: v for k, v in receipt.items() if k != "receipt_digest"}
    try:
        intact = sha256(canonical(body)) == receipt.get("receipt_digest")
    except (TypeError, ValueError):
        intact = False
    return Verification(source, "unsupported",
                        f"a version-{version} receipt: {_OLDER[version]}, so this program (receipt version "
                        f"{RECEIPT_VERSION}) cannot replay it; seal "
                        f"{'intact' if intact else 'broken (altered after it was issued)'}; replay it with "
                        f"eligibility {'before ADR 0010' if version == 1 else '0.2'}, or screen its case again "
                        f"for a version-{RECEIPT_VERSION} receipt")


def _compare(receipt: dict[str, Any], again: dict[str, Any], source: str) -> Verification:
    """The first difference between a receipt and the receipt of its re-run, in words."""
    def differs(detail: str) -> Verification:
        return Verification(source, "differs", detail)

    if again["case_digest"] != receipt["case_digest"]:
        return differs("the case facts do not match their digest")
    if not _same(receipt["case"], again["case"]):
        return differs("the case differs from its facts as re-read (" + "; ".join(_fields(receipt["case"], again["case"])) + ")")
    detail = _trace_difference(receipt["trace"], again["trace"])
    if detail:
        return differs(detail)
    for noun, member, key in (("verdict", "verdicts", "provision"), ("warning", "warnings", None),
                              ("referral", "referrals", "service")):
        detail = _rows_difference(noun, receipt[member], again[member], key)
        if detail:
            return differs(detail)
    rest = [name for name in sorted(again) if name != "receipt_digest" and not _same(receipt.get(name), again[name])]
    if rest:  # a member not compared above: never "identical" unless every byte is
        return differs("these members differ from the re-run: " + ", ".join(rest))
    return Verification(source, "identical", f"{len(again['trace'])} rules and {len(again['verdicts'])} verdicts match")


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


class UnknownNode(ValueError):
    """``rules graph --provision`` named a rule that is not in force on the day."""


def graph(book: Rulebook, day: dt.date, fmt: str = "dot", provision: str | None = None) -> str:
    """The rules in force on ``day`` and the facts they read, as Graphviz DOT or Mermaid; with
    ``provision``, only that rule and what it rests on (one provision, not the whole rulebook)."""
    compiled = compile_rulebook(book, day)
    wanted = set(compiled.nodes)
    if provision is not None:
        if provision not in compiled.nodes:
            provisions = sorted(n for n, node in compiled.nodes.items() if node.provision)
            raise UnknownNode(f"no rule '{provision}' in force on {day.isoformat()} "
                              f"(provisions: {', '.join(provisions)})")
        wanted = _tree(compiled, provision)
    edges: list[tuple[str, str, bool]] = []  # (from, to, negated)
    for node_id in sorted(wanted):
        for ref, negated in compiled.refs.get(node_id, []):
            edges.append((ref, node_id, negated))
        for path in compiled.reads.get(node_id, []):
            edges.append((f"fact:{path}", node_id, False))
    if fmt == "mermaid":
        names = sorted({x for a, b, _ in edges for x in (a, b)} | wanted)
        ids = {name: f"n{i}" for i, name in enumerate(names)}
        lines = ["flowchart LR"]
        lines += [f'  {ids[name]}["{name}"]' for name in names]
        lines += [f"  {ids[a]} -.->|not| {ids[b]}" if neg else f"  {ids[a]} --> {ids[b]}" for a, b, neg in edges]
        return "\n".join(lines) + "\n"
    lines = ["digraph rules {", "  rankdir=LR;"]
    for node_id in sorted(wanted):
        node = compiled.nodes[node_id]
        shape = "doubleoctagon" if node.provision else ("note" if node.notice or node.referral else "box")
        lines.append(f'  "{node_id}" [shape={shape}];')
    lines += [f'  "{a}" -> "{b}"' + (' [style=dashed, label="not"];' if neg else ";") for a, b, neg in edges]
    lines.append("}")
    return "\n".join(lines) + "\n"


# --- coverage in statutory units ----------------------------------------------------------------

STATUSES = ("met", "not_met", "undetermined", "needs_assessment")
_NOTE_ID = r"^\|\s*(?:\*\*)?([A-Z][A-Za-z0-9]*(?:-[0-9a-z]+)*)(?:\*\*)?\s*\|"


def node_results(verdict: Verdict) -> dict[str, tuple[str, str]]:
    """(versioned rule, status) for each rule the engine concluded, read from the trace."""
    out: dict[str, tuple[str, str]] = {}
    for entry in verdict.trace:
        if "~" not in entry.rule:  # a condition part is not a rule of its own
            out.setdefault(entry.rule, (entry.version, entry.concluded))
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
