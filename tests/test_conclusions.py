"""The conclusions of the engine compilation before ADR 0010, kept as a fixture (issue 11).

`conclusions.json.gz` holds, for every example case on its assessment date and for 300 generated
cases (`strategies.case_dicts`, derandomized, stored as drawn), each rule's value (node -> T, F, U
or J) as the durable compilation of ADR 0002 concluded it. A new compilation must conclude exactly
the same. The fixture is keyed by the rulebook's digest: after a change to the rules, regenerate
it knowingly with

    python -m tests.test_conclusions

and review the diff of conclusions it prints.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings

from eligibility.engine.adapter import Engine
from eligibility.model.case import Case
from eligibility.model.facts import case_facts
from eligibility.model.loader import load_case_file
from eligibility.explain.screening import Screener

from .conftest import ROOT
from .strategies import case_dicts

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "conclusions.json.gz"
GENERATED = 300


def _generated_cases() -> list[dict[str, Any]]:
    """300 generated case dicts, the same on every run of the same hypothesis version."""
    drawn: list[dict[str, Any]] = []

    @settings(derandomize=True, max_examples=GENERATED, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck), deadline=None)
    @given(case_dicts())
    def collect(data: dict[str, Any]) -> None:
        drawn.append(json.loads(json.dumps(data, default=str)))

    collect()
    return drawn[:GENERATED]


def _conclusions(screener: Screener, case: Case) -> dict[str, str]:
    day = case.assessment_date or dt.date(2026, 12, 2)
    return dict(sorted(screener.engine.run(screener.compiled(day), case_facts(case, day)).conclusions.items()))


def build(screener: Screener, generated: list[dict[str, Any]]) -> dict[str, Any]:
    """The fixture's content: the rulebook digest, the generated cases and every conclusion."""
    examples = {path.name: _conclusions(screener, load_case_file(path)) for path in sorted((ROOT / "cases").glob("*.yaml"))}
    drawn = [_conclusions(screener, Case.model_validate(data)) for data in generated]
    return {"rulebook": screener.book.digest, "examples": examples, "generated_cases": generated, "generated": drawn}


def load() -> dict[str, Any]:
    with gzip.open(FIXTURE, "rt", encoding="utf-8") as f:
        return json.load(f)


@pytest.fixture(scope="module")
def saved() -> dict[str, Any]:
    return load()


def test_fixture_matches_this_rulebook(saved: dict[str, Any], screener: Screener) -> None:
    assert saved["rulebook"] == screener.book.digest, (
        "the rules changed since tests/fixtures/conclusions.json.gz was saved: "
        "regenerate it knowingly with `python -m tests.test_conclusions` and review the changes it prints")


def test_example_conclusions_unchanged(saved: dict[str, Any], screener: Screener) -> None:
    engine = Screener(book=screener.book, engine=Engine())
    for name, expected in saved["examples"].items():
        assert _conclusions(engine, load_case_file(ROOT / "cases" / name)) == expected, name


def test_generated_conclusions_unchanged(saved: dict[str, Any], screener: Screener) -> None:
    engine = Screener(book=screener.book, engine=Engine())
    for data, expected in zip(saved["generated_cases"], saved["generated"], strict=True):
        assert _conclusions(engine, Case.model_validate(data)) == expected, data["case_id"]


def test_every_rule_fires_once_in_durable(saved: dict[str, Any], screener: Screener) -> None:
    """ADR 0010: each rule in force (and each condition part) is concluded by exactly one durable
    firing, and so is each element of a list: no rule joins facts (a list is folded over one
    fact holding its elements' values), and no pattern has two branches that hold together."""
    engine = Screener(book=screener.book, engine=Engine())
    cases = [load_case_file(ROOT / "cases" / name) for name in saved["examples"]]
    cases += [Case.model_validate(data) for data in saved["generated_cases"][:100]]
    for case in cases:
        day = case.assessment_date or dt.date(2026, 12, 2)
        compiled = engine.compiled(day)
        run = engine.engine.run(compiled, case_facts(case, day))
        once = Counter((f.node, compiled.rules[f.rule].derive, f.index) for f in run.firings)
        assert max(once.values()) == 1, (case.case_id, [k for k, n in once.items() if n > 1][:3])
        assert all(len(rule["all"]) == 1 for rule in compiled.definition.values())  # no join, folds included


def _regenerate() -> None:
    screener = Screener(ROOT / "rules")
    old = load() if FIXTURE.exists() else None
    generated = old["generated_cases"] if old else _generated_cases()
    new = build(screener, generated)
    if old:
        pairs = list(zip(old["examples"].items(), new["examples"].values())) + [
            ((c["case_id"], a), b) for c, a, b in zip(generated, old["generated"], new["generated"])]
        for (name, before), after in pairs:
            changed = {n: (before.get(n), after.get(n)) for n in sorted(set(before) | set(after))
                       if before.get(n) != after.get(n)}
            if changed:
                print(name, changed)
    FIXTURE.parent.mkdir(exist_ok=True)
    with gzip.GzipFile(FIXTURE, "wb", mtime=0) as f:
        f.write(json.dumps(new, sort_keys=True, separators=(",", ":")).encode())
    print(f"saved {FIXTURE} for rulebook {new['rulebook'][:12]}", file=sys.stderr)


if __name__ == "__main__":
    _regenerate()
