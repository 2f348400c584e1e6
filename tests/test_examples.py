"""Expected verdicts for the shipped example cases, declared in YAML (tests/expected/*.yaml).

Format (one file per example case)::

    case: cases/53b-in-law-household.yaml
    as_of: 2026-11-26            # optional: overrides the case's assessment date
    provisions:
      utl-53-1-b:
        status: met              # required
        kind: entitlement        # optional
        failed: [utl-53.cohabitation-ended]    # optional: exactly these rules failed
        missing: [relationship.cohabitation_ended]  # optional: exactly these facts are missing
        cites: ["utl. § 53 første ledd bokstav b"]   # optional: citations that must appear (nb)
        becomes_met_when: [utl-53.cohabitation-ended]  # optional: exactly these (default: none)
    warnings: [utl-53.safety-no-waiting]   # optional: exactly these warnings
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml

from eligibility.model.loader import load_case_file

from .conftest import ROOT, rule_ids

EXPECTED = sorted((ROOT / "tests" / "expected").glob("*.yaml"))


def test_every_example_case_has_expectations() -> None:
    declared = {yaml.safe_load(p.read_text(encoding="utf-8"))["case"] for p in EXPECTED}
    shipped = {f"cases/{p.name}" for p in (ROOT / "cases").glob("*.yaml")}
    assert shipped <= declared, f"example cases without expected verdicts: {sorted(shipped - declared)}"
    assert len(shipped) >= 15


@pytest.mark.parametrize("path", EXPECTED, ids=[p.stem for p in EXPECTED])
def test_expected_verdicts(screener: Any, path: Path) -> None:
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    case = load_case_file(ROOT / spec["case"])
    as_of = spec.get("as_of")
    verdict = screener.screen(case, as_of=dt.date.fromisoformat(str(as_of)) if as_of else None, lang="nb")
    got = {p.provision: p for p in verdict.provisions}
    for pid, want in spec["provisions"].items():
        assert pid in got, f"{pid} not screened"
        result = got[pid]
        assert result.status == want["status"], (
            f"{pid}: expected {want['status']}, got {result.status}; failed={rule_ids(result.failed)} "
            f"missing={[m.path for m in result.missing]}")
        if "kind" in want:
            assert result.kind == want["kind"]
        if "failed" in want:
            assert rule_ids(result.failed) == set(want["failed"]), pid
        if "missing" in want:
            assert {m.path for m in result.missing} == set(want["missing"]), pid
        assert {r.split("@")[0] for r in result.becomes_met_when} == set(want.get("becomes_met_when", [])), pid
        for cite in want.get("cites", []):
            cited = [result.citation.text] + [r.citation.text for r in result.reasons + result.failed]
            assert cite in cited, f"{pid}: {cite!r} not among {cited}"
    if "warnings" in spec:
        assert sorted(w.id for w in verdict.warnings) == sorted(spec["warnings"])
