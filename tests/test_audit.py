"""Receipts, replay, law-change impact and the rule graph (issue: audit trail)."""

from __future__ import annotations

import copy
import datetime as dt
import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eligibility.audit import canonical, graph, law_change, make_receipt, sha256, verify_receipt
from eligibility.model.loader import load_case_file
from eligibility.explain.screening import Screener

from .conftest import ROOT, examples, make_case

CASE = ROOT / "cases" / "53-physical-own-account.yaml"


def receipt_for(screener: Screener, path: Path = CASE) -> dict[str, Any]:
    case = load_case_file(path)
    return make_receipt(screener.book, case, screener.screen(case))


def reseal(receipt: dict[str, Any]) -> dict[str, Any]:
    """What a forger would do: recompute the receipt's own digest after editing it."""
    body = {k: v for k, v in receipt.items() if k != "receipt_digest"}
    return {**body, "receipt_digest": sha256(canonical(body))}


def test_receipts_are_byte_identical_across_runs_and_engines(screener: Screener) -> None:
    first = canonical(receipt_for(screener))
    assert first == canonical(receipt_for(screener))
    assert first == canonical(receipt_for(Screener(ROOT / "rules")))
    receipt = receipt_for(screener)
    assert len(receipt["rules_digest"]) == 64 and "utl-53.yaml" in receipt["rule_files"]
    rules = [entry["rule"] for entry in receipt["trace"]]  # one entry per rule in force (version 3)
    assert receipt["receipt_version"] == 3 and rules and len(rules) == len(set(rules))
    assert set(receipt["trace"][0]) == {"rule", "version", "concluded", "read"}


def test_a_fresh_receipt_verifies(screener: Screener) -> None:
    result = verify_receipt(receipt_for(screener), screener)
    assert result.ok, result.detail


def test_an_edited_receipt_is_caught(screener: Screener) -> None:
    receipt = receipt_for(screener)
    receipt["verdicts"][0]["status"] = "not_met"
    result = verify_receipt(receipt, screener)
    assert result.outcome == "differs" and "altered" in result.detail


def test_an_edited_and_resealed_receipt_is_caught_by_replay(screener: Screener) -> None:
    receipt = receipt_for(screener)
    receipt["verdicts"][0]["status"] = "not_met"
    result = verify_receipt(reseal(receipt), screener)
    assert result.outcome == "differs" and "verdict 0" in result.detail


def test_a_changed_case_is_caught(screener: Screener) -> None:
    receipt = receipt_for(screener)
    receipt["case"]["relationship"]["cohabitation_ended"] = None
    result = verify_receipt(reseal(receipt), screener)
    assert result.outcome == "differs"


def test_a_tampered_rule_file_makes_the_rulebook_unavailable(screener: Screener, tmp_path: Path) -> None:
    receipt = receipt_for(screener)
    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules)
    text = (rules / "utl-53.yaml").read_text(encoding="utf-8")
    (rules / "utl-53.yaml").write_text(text.replace("Samlivet er opphørt.", "Samlivet er slutt.", 1), encoding="utf-8")
    result = verify_receipt(receipt, Screener(rules))
    assert result.outcome == "rulebook-unavailable" and "utl-53.yaml" in result.detail


def test_law_change_2018_in_laws(screener: Screener) -> None:
    case = load_case_file(ROOT / "cases" / "53-in-law-before-2018.yaml")
    changes = law_change(screener, [case], dt.date(2018, 10, 31), dt.date(2018, 11, 1))
    by_provision = {c.provision: c for c in changes}
    change = by_provision["utl-53-1-b"]
    # The in-law abuse was before 1 November 2018: whether it counts after is UNVERIFIED (ADR 0006).
    assert (change.before, change.after) == ("not_met", "needs_assessment")
    assert "utl-53.mishandling@2018-11-01" in change.rules and "utl-53.mishandling@2010-01-01" in change.rules
    assert "utl-53.household-abuse-before-2018@2018-11-01" in change.rules


def test_law_change_2025_oral_test_level(screener: Screener) -> None:
    case = load_case_file(ROOT / "cases" / "62-a1-lodged-after-a2.yaml")
    changes = law_change(screener, [case], dt.date(2025, 8, 31), dt.date(2025, 9, 1))
    change = {c.provision: c for c in changes}["utl-62"]
    assert (change.before, change.after) == ("met", "not_met")
    assert any(r.startswith("utl-62.oral-test@2025-09-01") for r in change.rules)
    # lodged before the change: the transitional rule is UNVERIFIED, so needs assessment
    before = load_case_file(ROOT / "cases" / "62-a1-oral.yaml")
    change = {c.provision: c for c in law_change(screener, [before], dt.date(2025, 8, 31), dt.date(2025, 9, 1))}
    assert (change["utl-62"].before, change["utl-62"].after) == ("met", "needs_assessment")


def test_no_change_between_two_dates_without_a_change_in_law(screener: Screener) -> None:
    case = make_case(relationship={"cohabitation_ended": None})
    assert law_change(screener, [case], dt.date(2021, 3, 1), dt.date(2021, 3, 2)) == []


def test_graph_in_dot_and_mermaid(screener: Screener) -> None:
    dot = graph(screener.book, dt.date(2026, 11, 26))
    assert dot.startswith("digraph") and '"utl-53.cohabitation-ended" -> "utl-53-1-b";' in dot
    assert '"fact:relationship.cohabitation_ended" -> "utl-53.cohabitation-ended";' in dot
    assert graph(screener.book, dt.date(2026, 11, 26), "mermaid").startswith("flowchart LR")


def test_coverage_counts_recomputed_by_hand(screener: Screener) -> None:
    from eligibility.audit import coverage

    still_together = make_case(relationship={"cohabitation_ended": None})
    moved_out = make_case(relationship={"cohabitation_ended": "2026-01-01"})
    unknown = make_case()
    report = coverage(screener, [(still_together, None), (moved_out, None), (unknown, None)])
    # B3 is cited only by utl-53.cohabitation-ended: one case each way and one unknown
    assert report["conditions"]["B3"] == {"met": 1, "not_met": 1, "undetermined": 1, "needs_assessment": 0}
    assert report["cases"] == 3
    assert "F1" not in report["never_exercised"]  # the lawsuit rule is evaluated (undetermined) for every case


def test_coverage_names_law_notes_conditions_no_rule_covers(screener: Screener, tmp_path: Path) -> None:
    from eligibility.audit import coverage

    notes = tmp_path / "notes.md"
    notes.write_text("| ID | Condition |\n|---|---|\n| B3 | ended |\n| Z99 | not in any rule |\n", encoding="utf-8")
    report = coverage(screener, [], notes)
    assert report["not_in_any_rule"] == ["Z99"]
    assert "B3" in report["never_exercised"]


def test_lint_finds_gaps_and_unused_rules(tmp_path: Path) -> None:
    from eligibility.audit import lint
    from eligibility.law.rulebook import load_rulebook

    from .test_rulebook import GOOD_NODE, PROVISION, rules_dir, with_

    nodes = [with_(GOOD_NODE, valid_to="2015-12-31"), with_(GOOD_NODE, valid_from="2017-01-01"),
             with_(GOOD_NODE, id="demo.orphan"), PROVISION]
    problems = lint(load_rulebook(rules_dir(tmp_path, nodes)))
    assert any("demo.cond: no version in force from 2016-01-01 to 2016-12-31" in p for p in problems)
    assert any(p.startswith("demo.orphan: no provision") for p in problems)
    assert lint(load_rulebook(ROOT / "rules")) == []


def test_the_stored_texts_equal_serialising_the_verdict_byte_for_byte(screener: Screener) -> None:
    """Batch stores `Screening.verdict_json` and `audit.receipt_json`, which reuse the trace's JSON
    instead of serialising the verdict again; they must be the same bytes as the slow path."""
    import json

    from eligibility.audit import receipt_json

    for path in sorted((ROOT / "cases").glob("*.yaml")):
        case = load_case_file(path)
        for lang in ("nb", "en"):
            verdict = screener.screen(case, lang=lang)
            fast = screener.screening(case, lang=lang)
            for trace in (True, False):
                slow = json.dumps(verdict.model_dump(mode="json", exclude=None if trace else {"trace"}),
                                  sort_keys=True, ensure_ascii=False, separators=(",", ":"))
                assert fast.verdict_json(trace=trace) == slow, (path.name, lang, trace)
            assert receipt_json(screener.book, case, fast) == canonical(make_receipt(screener.book, case, verdict))
            assert fast.verdict == verdict


# -- issue 9 point 5: what a re-sealed receipt may not claim, malformed receipts, what differs --------

def test_a_resealed_rule_file_hash_is_named(screener: Screener) -> None:
    receipt = receipt_for(screener)
    receipt["rule_files"]["utl-53.yaml"] = "0" * 64
    result = verify_receipt(reseal(receipt), screener)
    assert not result.ok and "rule file utl-53.yaml: hash differs: receipt has 000000000000" in result.detail


def test_a_resealed_extra_or_missing_rule_file_is_named(screener: Screener) -> None:
    receipt = receipt_for(screener)
    receipt["rule_files"]["utl-99.yaml"] = "0" * 64
    del receipt["rule_files"]["utl-62.yaml"]
    result = verify_receipt(reseal(receipt), screener)
    assert not result.ok
    assert "rule file utl-99.yaml: in the receipt, not in the rulebook" in result.detail
    assert "rule file utl-62.yaml: in the rulebook, not in the receipt" in result.detail


def test_a_resealed_rules_version_is_named(screener: Screener) -> None:
    receipt = receipt_for(screener)
    receipt["rules_version"] = "2010.1.1"
    result = verify_receipt(reseal(receipt), screener)
    assert not result.ok and f"rules_version differs: receipt has 2010.1.1, the rulebook has {screener.book.version}" in result.detail


def test_a_resealed_engine_version_is_named(screener: Screener) -> None:
    from eligibility import __version__

    receipt = receipt_for(screener)
    receipt["engine_version"] = "0.0.1"
    result = verify_receipt(reseal(receipt), screener)
    assert not result.ok and f"engine_version differs: receipt has 0.0.1, this program is {__version__}" in result.detail


def test_a_resealed_extra_member_is_refused(screener: Screener) -> None:
    receipt = receipt_for(screener)
    receipt["approved_by"] = "someone"
    result = verify_receipt(reseal(receipt), screener)
    assert result.outcome == "malformed" and "approved_by: unknown member" in result.detail


def _mishandling(receipt: dict[str, Any]) -> dict[str, Any]:
    """The trace entry of the § 53(1)(b) mishandling rule (it combines other rules' statuses)."""
    return next(e for e in receipt["trace"] if e["rule"] == "utl-53.mishandling")


def test_a_changed_read_status_names_the_rule_and_both_values(screener: Screener) -> None:
    receipt = receipt_for(screener)
    entry = _mishandling(receipt)
    read, status = next(iter(entry["read"].items()))
    entry["read"][read] = "not_met" if status != "not_met" else "met"
    result = verify_receipt(reseal(receipt), screener)
    assert result.outcome == "differs"
    assert result.detail == (f"rule utl-53.mishandling: read value of {read} differs: "
                             f"receipt has {entry['read'][read]}, re-run gives {status}")


def test_a_changed_fact_value_names_the_condition_and_both_values(screener: Screener) -> None:
    receipt = receipt_for(screener)
    entry = next(e for e in receipt["trace"] if any(type(v) is int for v in e["read"].values()))
    fact, value = next((k, v) for k, v in entry["read"].items() if type(v) is int)
    entry["read"][fact] = value + 1
    result = verify_receipt(reseal(receipt), screener)
    assert result.detail == (f"rule {entry['rule']}: read value of {fact} differs: "
                             f"receipt has {value + 1}, re-run gives {value}")


def test_a_changed_conclusion_names_the_rule_and_both_statuses(screener: Screener) -> None:
    receipt = receipt_for(screener)
    entry = _mishandling(receipt)
    was, entry["concluded"] = entry["concluded"], "undetermined" if entry["concluded"] != "undetermined" else "met"
    result = verify_receipt(reseal(receipt), screener)
    assert result.detail == (f"rule utl-53.mishandling: conclusion differs: receipt has {entry['concluded']}, "
                             f"re-run gives {was}")


def test_a_rule_missing_from_the_trace_is_named(screener: Screener) -> None:
    receipt = receipt_for(screener)
    receipt["trace"] = [e for e in receipt["trace"] if e["rule"] != "utl-53.mishandling"]
    result = verify_receipt(reseal(receipt), screener)
    assert result.detail == "rules only on re-run: utl-53.mishandling"


def test_a_changed_rule_version_names_both_versions(screener: Screener) -> None:
    receipt = receipt_for(screener)
    _mishandling(receipt)["version"] = "utl-53.mishandling@2010-01-01"
    result = verify_receipt(reseal(receipt), screener)
    assert result.detail == ("rule utl-53.mishandling: rule version differs: receipt "
                             "utl-53.mishandling@2010-01-01, re-run utl-53.mishandling@2018-11-01")


def test_a_changed_verdict_names_the_provision_and_field(screener: Screener) -> None:
    receipt = receipt_for(screener)
    receipt["verdicts"][0]["status"] = "not_met"
    result = verify_receipt(reseal(receipt), screener)
    assert result.detail == "verdict 0 (utl-53-1-b): status differs: receipt has not_met, re-run gives met"


def test_an_int_for_a_float_is_not_identical(screener: Screener) -> None:
    """1 == 1.0 == True in Python, but not in the receipt's canonical bytes."""
    receipt = receipt_for(screener)
    entry = next(e for e in receipt["trace"] if any(v is True for v in e["read"].values()))
    fact = next(k for k, v in entry["read"].items() if v is True)
    entry["read"][fact] = 1
    result = verify_receipt(reseal(receipt), screener)
    assert not result.ok and fact in result.detail


def deeply_nested(depth: int) -> list[Any]:
    inner: list[Any] = []
    for _ in range(depth):
        inner = [inner]
    return inner


MALFORMED = {
    "trace not a list": (lambda r: r.update(trace={"0": r["trace"][0]}), "trace: "),
    "verdicts missing": (lambda r: r.pop("verdicts"), "verdicts: missing"),
    "a trace entry without its rule": (lambda r: r["trace"][3].pop("rule"), "trace.3.rule: missing"),
    "a status that is no status": (lambda r: r["verdicts"][1].update(status="maybe"), "verdicts.1.status: "),
    "deep nesting": (lambda r: r["trace"][0]["read"].update(x=deeply_nested(100_000)), "nested deeper"),
    "a huge integer": (lambda r: r["trace"][0]["read"].update(x=10 ** 5000), "trace.0.read.x: a number"),
    "an infinite float": (lambda r: r["trace"][0]["read"].update(x=float("inf")), "trace.0.read.x: a number"),
    "a lone surrogate": (lambda r: r["warnings"].append("\udc80"), "warnings.2: text that is not valid Unicode"),
    "a member name that is not text": (lambda r: r["case"].update({1: 2}), "case: a member name that is not text"),
    "a case the case schema refuses": (lambda r: r["case"].update(shoe_size=42), "case.shoe_size: unknown field"),
    "an impossible date": (lambda r: r.update(assessment_date="2026-13-01"), "assessment_date: "),
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_a_malformed_receipt_is_named_not_raised(screener: Screener, name: str) -> None:
    mutate, expected = MALFORMED[name]
    receipt = receipt_for(screener)
    mutate(receipt)
    try:
        receipt = reseal(receipt)  # a forger's receipt: only the shape can be wrong
    except (ValueError, TypeError, RecursionError):
        pass  # what canonical JSON cannot hold cannot be sealed either
    result = verify_receipt(receipt, screener)
    assert result.outcome == "malformed" and expected in result.detail, (name, result)


@pytest.mark.parametrize("document", [b"[]", b"42", b"\xff\xfe{}", b"[" * 100_000, b"{\"a\": NaN}",
                                      b"{\"a\": 1e999}", b"{\"a\": " + b"9" * 5000 + b"}", b"{\"a\": 1, \"a\": 2}",
                                      b"not json"])
def test_read_receipt_refuses_what_is_not_a_receipt_document(tmp_path: Path, document: bytes) -> None:
    from eligibility.audit import MalformedReceipt, read_receipt

    path = tmp_path / "r.json"
    path.write_bytes(document)
    with pytest.raises(MalformedReceipt):
        read_receipt(path)


def test_cli_verify_says_malformed_receipt_with_exit_3(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from cli import main

    files = {"nested.json": b"[" * 100_000, "latin1.json": "{\"a\": \"bl\u00e5\"}".encode("latin-1"),
             "shape.json": b"{\"trace\": 1}"}
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
        result = CliRunner().invoke(main, ["verify", str(tmp_path / name)])
        assert result.exit_code == 3, (name, result.output)
        assert f"{tmp_path / name}: malformed receipt: " in result.stdout, (name, result.output)
        assert "Traceback" not in result.output and result.exception is None or isinstance(result.exception, SystemExit)


# -- a property: re-sealed mutations of a genuine receipt never raise and are never "identical" ----------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8)


def like(value: Any) -> st.SearchStrategy[Any]:
    """Values of the same JSON type as ``value``: they pass the shape check, so the seal, the
    rulebook comparison and the replay are what must catch them."""
    if isinstance(value, bool):
        return st.booleans()
    if isinstance(value, int):
        return st.integers(-2, 40) | st.floats(-2, 40)
    if isinstance(value, str):
        return st.sampled_from(["met", "not_met", "undetermined", "needs_assessment", "nb", "en", "2026-11-25",
                                "utl-53.mishandling@2010-01-01", "0" * 64, value.upper(), value + " "])
    return json_values


@st.composite
def mutations(draw: st.DrawFn, receipt: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """A deep copy of ``receipt`` with one value replaced, removed or added somewhere inside it,
    re-sealed or not."""
    doc = copy.deepcopy(receipt)
    parent: Any = doc
    while True:
        keys = list(parent) if isinstance(parent, dict) else list(range(len(parent)))
        key = draw(st.sampled_from(keys)) if keys else None
        child = parent[key] if keys else None
        if isinstance(child, (dict, list)) and child and draw(st.integers(0, 4)):  # mostly deeper
            parent = child
            continue
        break
    action = draw(st.sampled_from(["replace", "remove", "add"] if keys else ["add"]))
    if action == "replace":
        parent[key] = draw(like(child) if draw(st.integers(0, 2)) else json_values)
    elif action == "remove":
        del parent[key]
    elif isinstance(parent, dict):
        parent[draw(st.text(max_size=6))] = draw(json_values)
    else:
        parent.insert(draw(st.integers(0, len(parent))), draw(json_values))
    return doc, draw(st.booleans())


def _same_document(a: Any, b: Any) -> bool:
    try:
        return canonical(a) == canonical(b)
    except (ValueError, TypeError, RecursionError):
        return False


@pytest.fixture(scope="module")
def genuine(screener: Screener) -> dict[str, Any]:
    return receipt_for(screener)


@settings(max_examples=examples(100))
@given(data=st.data())
def test_mutated_receipts_never_raise_and_are_never_identical(screener: Screener, genuine: dict[str, Any],
                                                             data: st.DataObject) -> None:
    doc, sealed = data.draw(mutations(genuine))
    body = {k: v for k, v in doc.items() if k != "receipt_digest"}
    original = {k: v for k, v in genuine.items() if k != "receipt_digest"}
    if sealed:
        try:
            doc["receipt_digest"] = sha256(canonical(body))
        except (ValueError, TypeError, RecursionError, UnicodeError):
            pass
    result = verify_receipt(doc, screener)
    assert result.outcome in ("identical", "differs", "rulebook-unavailable", "malformed")
    if result.ok:
        assert _same_document(body, original), result


def test_a_version_1_receipt_is_refused_with_the_reason(screener: Screener) -> None:
    """A version-1 receipt logs every engine firing of the compilation before ADR 0010 (n-way
    joins, one firing per matching branch); this program cannot replay that log, and says so
    rather than reporting a difference. Its seal is still checked."""
    receipt = receipt_for(screener)
    receipt["receipt_version"] = 1
    result = verify_receipt(reseal(receipt), screener)
    assert result.outcome == "unsupported" and not result.ok
    assert "version-1 receipt" in result.detail and "ADR 0010" in result.detail and "seal intact" in result.detail
    receipt["lang"] = "xx"
    assert "seal broken" in verify_receipt(receipt, screener).detail


def version_2(receipt: dict[str, Any]) -> dict[str, Any]:
    """A receipt as version 2 wrote it: ``firings``, one per firing with ``seq``, ``matched`` and
    ``derived``, where version 3 has the per-rule ``trace``."""
    old = {k: v for k, v in receipt.items() if k not in ("trace", "receipt_digest")}
    old["receipt_version"] = 2
    old["firings"] = [{"seq": i, "rule": f"{e['rule']}#T.0", "version": e["version"], "concluded": e["concluded"],
                       "matched": {}, "derived": True} for i, e in enumerate(receipt["trace"])]
    return reseal(old)


def test_a_version_2_receipt_is_refused_with_the_reason(screener: Screener) -> None:
    """Version 2 logged every firing (list elements and fold steps too); this program keeps one
    entry per rule (version 3), so it says which program replays it instead of a difference."""
    receipt = version_2(receipt_for(screener))
    result = verify_receipt(receipt, screener)
    assert result.outcome == "unsupported" and not result.ok
    assert result.detail.startswith("a version-2 receipt: it logs every rule firing")
    assert "eligibility 0.2" in result.detail and "version-3 receipt" in result.detail
    assert "seal intact" in result.detail
    receipt["case_digest"] = "0" * 64
    assert "seal broken" in verify_receipt(receipt, screener).detail
