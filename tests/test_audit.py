"""Receipts, replay, law-change impact and the rule graph (issue: audit trail)."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any

from eligibility.audit import canonical, graph, law_change, make_receipt, sha256, verify_receipt
from eligibility.loader import load_case_file
from eligibility.screening import Screener

from .conftest import ROOT, make_case

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
    assert receipt["firings"] and receipt["firings"][0]["seq"] == 0


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
    assert result.outcome == "differs" and "verdicts" in result.detail


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
    assert (change.before, change.after) == ("not_met", "met")
    assert "utl-53.mishandling@2018-11-01" in change.rules and "utl-53.mishandling@2010-01-01" in change.rules


def test_law_change_2025_oral_test_level(screener: Screener) -> None:
    case = load_case_file(ROOT / "cases" / "62-a1-oral.yaml")
    changes = law_change(screener, [case], dt.date(2025, 8, 31), dt.date(2025, 9, 1))
    change = {c.provision: c for c in changes}["utl-62"]
    assert (change.before, change.after) == ("met", "not_met")
    assert any(r.startswith("utl-62.oral-test@2025-09-01") for r in change.rules)


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
    from eligibility.rulebook import load_rulebook

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
