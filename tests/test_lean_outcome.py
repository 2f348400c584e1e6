"""A batch's per-case work down to what it stores (issue 11, throughput; ADR 0013): the trace is
not encoded without ``--receipts full``, and `Screener.outcome` gives the stored statuses, missing
facts, referrals and notes without building the verdict, the same as the verdict gives them."""

from __future__ import annotations

from pathlib import Path

import pytest

from eligibility.explain.screening import Screener
from eligibility.model.loader import load_case_file

from .conftest import ROOT

EXAMPLES = sorted((ROOT / "cases").glob("*.yaml"))


@pytest.mark.parametrize("path", EXAMPLES[:6], ids=lambda p: p.stem)
def test_a_screening_without_its_trace_encodes_none_and_keeps_the_verdict(screener: Screener, path: Path) -> None:
    case = load_case_file(path)
    lean = screener.screening(case, lang="nb", trace=False)
    full = screener.screening(case, lang="nb")
    assert not lean.encoded and full.encoded
    assert lean.verdict_json(trace=False) == full.verdict_json(trace=False)
    assert lean.verdict == full.verdict  # the trace is rebuilt when the verdict is asked for
