"""A batch's per-case work down to what it stores (issue 11, throughput; ADR 0013): the trace is
not encoded without ``--receipts full``, and `Screener.outcome` gives the stored statuses, missing
facts, referrals and notes without building the verdict, the same as the verdict gives them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings

from eligibility.explain.outcome import Outcome
from eligibility.explain.screening import Screener
from eligibility.model.case import Case
from eligibility.model.loader import load_case_file

from .conftest import ROOT, examples
from .strategies import case_dicts

EXAMPLES = sorted((ROOT / "cases").glob("*.yaml"))


@pytest.mark.parametrize("path", EXAMPLES[:6], ids=lambda p: p.stem)
def test_a_screening_without_its_trace_encodes_none_and_keeps_the_verdict(screener: Screener, path: Path) -> None:
    case = load_case_file(path)
    lean = screener.screening(case, lang="nb", trace=False)
    full = screener.screening(case, lang="nb")
    assert not lean.encoded and full.encoded
    assert lean.verdict_json(trace=False) == full.verdict_json(trace=False)
    assert lean.verdict == full.verdict  # the trace is rebuilt when the verdict is asked for


def _both(screener: Screener, case: Case, lang: str) -> tuple[Outcome, Outcome]:
    return screener.outcome(case, lang=lang), Outcome.of(screener.screen(case, lang=lang))


@pytest.mark.parametrize("lang", ["nb", "en"])
def test_the_outcome_of_every_example_equals_what_its_verdict_gives(screener: Screener, lang: str) -> None:
    """Same case, same answer: statuses, missing facts in order, referrals and notes."""
    seen_notes = seen_apply_by = 0
    for path in EXAMPLES:
        lean, full = _both(screener, load_case_file(path), lang)
        assert lean == full, path.name
        seen_notes += bool(lean.notes)
        seen_apply_by += lean.apply_by is not None
    assert seen_notes and seen_apply_by  # compared on cases that have them


@settings(max_examples=examples(150))  # 1,500 in the exhaustive profile
@given(data=case_dicts())
def test_the_outcome_of_any_case_equals_what_its_verdict_gives(screener: Screener, data: dict[str, Any]) -> None:
    case = Case.model_validate(data)
    lean, full = _both(screener, case, "nb")
    assert lean == full
