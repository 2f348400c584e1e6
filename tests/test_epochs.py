"""Same case, same answer across law epochs (issue 9 point 1).

Two law epochs can compile to the same engine definition and still differ in what a firing means
(an UNVERIFIED point, a rule version, an amount). Every cache keyed by the compiled epoch's name
then handed one epoch's meaning to the other, so a verdict depended on the cases screened before
it. Here each probe case is screened on the first and the last day of every law epoch: alone (a
fresh screener and engine per epoch), after every other epoch and before it (one shared screener,
in both orders), with both engines, and the verdict JSON and the receipt must be byte-identical.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from typing import Any, Callable

import pytest

from eligibility.engine.adapter import Engine
from eligibility.audit import law_change, receipt_json, verify_receipt
from eligibility.model.case import Case
from eligibility.engine.evaluator import PythonEngine
from eligibility.model.loader import load_case_file
from eligibility.explain.render import to_json
from eligibility.law.rulebook import load_rulebook
from eligibility.explain.screening import Screener

from .conftest import ROOT

# Cases whose verdicts turn on points that changed over time: forced marriage (§ 53 third
# paragraph, UNVERIFIED before 2026), in-laws (2018-11-01), self-support and the five-year track
# (§ 62), the 24-year rule (§ 41 a) and the income amounts (§ 40).
PROBES = [load_case_file(ROOT / "cases" / name) for name in (
    "53-forced-marriage-lawsuit.yaml", "53-in-law-before-2018.yaml", "62-section-53-self-support.yaml",
    "40-young-spouse-before-24-rule.yaml")]
BOOK = load_rulebook(ROOT / "rules")  # immutable data: screeners share it, never their caches
DAYS = BOOK.change_dates()  # the first day of every law epoch


def _sharing_a_definition(days: list[dt.date]) -> list[dt.date]:
    """The epochs whose engine definition is the same as another epoch's: where a cache keyed by
    the definition alone handed one epoch's meaning to the other."""
    from eligibility.law.epochcache import compiled_epoch  # the run's cache (tests/conftest.py)

    groups: dict[str, list[dt.date]] = {}
    for day in days:
        definition = json.dumps(compiled_epoch(BOOK, day).definition, sort_keys=True)
        groups.setdefault(definition, []).append(day)
    return sorted(d for group in groups.values() if len(group) > 1 for d in group)


# Every epoch has its own name (test below); the byte-for-byte comparisons run on the epochs
# whose engine definitions coincide, where a cache keyed by less than the whole epoch went wrong,
# and on the first and the last epoch (each fresh screener costs a compile).
@functools.cache
def checked_days() -> list[dt.date]:
    """Computed on first use, not when the module is collected (31 compiles per test worker)."""
    return sorted(set(_sharing_a_definition(DAYS)) | {DAYS[0], DAYS[-1]})
ENGINES: dict[str, Callable[[], Any]] = {"durable": Engine, "python": PythonEngine}

Output = tuple[str, str]  # the verdict's JSON, the receipt's canonical JSON


def output(screener: Screener, case: Case, day: dt.date) -> Output:
    screening = screener.screening(case, as_of=day, lang="nb")
    return to_json(screening.verdict), receipt_json(screener.book, case, screening)


@pytest.fixture(scope="module", params=sorted(ENGINES))
def engine(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="module")
def alone(engine: str) -> dict[tuple[int, dt.date], Output]:
    """Each probe screened with a fresh screener and engine per law epoch: nothing screened
    before it but cases of its own epoch."""
    results = {}
    for day in checked_days():
        screener = Screener(engine=ENGINES[engine](), book=BOOK)
        for i, case in enumerate(PROBES):
            results[(i, day)] = output(screener, case, day)
    return results


@pytest.fixture(scope="module")
def mixed(engine: str) -> tuple[Screener, dict[str, dict[tuple[int, dt.date], Output]]]:
    """One screener for everything: every epoch in date order, then again in reverse order, so
    each screening comes after those of every other epoch, and before them."""
    screener = Screener(engine=ENGINES[engine](), book=BOOK)
    runs: dict[str, dict[tuple[int, dt.date], Output]] = {}
    days = checked_days()
    for order, days in (("forward", days), ("backward", days[::-1])):
        runs[order] = {(i, day): output(screener, case, day) for day in days for i, case in enumerate(PROBES)}
    return screener, runs


@pytest.mark.parametrize("order", ["forward", "backward"])
def test_a_verdict_does_not_depend_on_the_epochs_screened_before_it(engine: str, alone: Any, mixed: Any,
                                                                      order: str) -> None:
    _, runs = mixed
    for (i, day), (verdict, receipt) in runs[order].items():
        assert verdict == alone[(i, day)][0], f"{engine}, {order}: {PROBES[i].case_id} on {day}: verdict differs"
        assert receipt == alone[(i, day)][1], f"{engine}, {order}: {PROBES[i].case_id} on {day}: receipt differs"


def test_every_epoch_has_its_own_engine_name(screener: Screener) -> None:
    """An engine caches rulesets, sessions and derived facts by the compiled epoch's name."""
    by_name: dict[str, list[dt.date]] = {}
    for start in DAYS:
        by_name.setdefault(screener.compiled(start).name, []).append(start)
    assert all(len(days) == 1 for days in by_name.values()), by_name


def test_the_2026_forced_marriage_change_is_not_hidden_by_the_2025_epoch(screener: Screener) -> None:
    """The reported reproducer: the same case on 2026-11-26, then on 2025-09-01, in one screener."""
    case = PROBES[0]
    screener.screen(case, as_of=dt.date(2026, 11, 26))
    statuses = {p.provision: p.status for p in screener.screen(case, as_of=dt.date(2025, 9, 1)).provisions}
    fresh = Screener(ROOT / "rules")
    assert statuses == {p.provision: p.status for p in fresh.screen(case, as_of=dt.date(2025, 9, 1)).provisions}
    assert statuses["utl-53-3"] == "needs_assessment"


def test_diff_reports_what_screening_each_date_alone_shows(alone: Any, mixed: Any) -> None:
    """`eligibility diff` between consecutive checked epochs finds exactly the status changes that
    screening the probes alone on the two dates shows, in a screener that has seen every epoch.
    (One engine: `law_change` only reads verdicts; the engines agree in tests above.)"""
    screener, _ = mixed
    engine = type(screener.engine).__name__
    if engine != "Engine":
        pytest.skip("durable only")
    found_any = False
    for last, start in zip(checked_days(), checked_days()[1:]):
        want = set()
        for i, case in enumerate(PROBES):
            a, b = _statuses(alone[(i, last)][0]), _statuses(alone[(i, start)][0])
            want |= {(case.case_id, p) for p in set(a) | set(b) if a.get(p) != b.get(p)}
        got = {(c.case_id, c.provision) for c in law_change(screener, PROBES, last, start)}
        assert got == want, f"{engine}: diff {last} -> {start}"
        found_any = found_any or bool(got)
    assert found_any


def test_receipts_of_a_mixed_epoch_run_verify_one_by_one(engine: str, alone: Any, mixed: Any) -> None:
    screener, _ = mixed
    if engine != "durable":
        pytest.skip("verify replays with durable, the production engine")
    for (i, day), (_, receipt) in sorted(alone.items(), key=lambda kv: (kv[0][1], kv[0][0]), reverse=True):
        result = verify_receipt(json.loads(receipt), screener, f"{PROBES[i].case_id}@{day}")
        assert result.ok, (engine, day, result.detail)


def _statuses(verdict_json: str) -> dict[str, str]:
    return {p["provision"]: p["status"] for p in json.loads(verdict_json)["provisions"]}


def test_a_mixed_date_batch_stores_what_screening_each_case_alone_gives(tmp_path: Any) -> None:
    """The reported reproducer, through `batch`: the same case on 2026-11-26 and on 2025-09-01
    in one run; each stored verdict is the one `screen` gives alone, and each receipt verifies."""
    import sqlite3
    import zlib

    from eligibility.batch import run_batch

    source = (ROOT / "cases" / "53-forced-marriage-lawsuit.yaml").read_text(encoding="utf-8")
    folder = tmp_path / "cases"
    folder.mkdir()
    for name, day in (("a", "2026-11-26"), ("b", "2025-09-01")):
        text = "\n".join(f"case_id: {name}" if line.startswith("case_id:") else
                         f"assessment_date: {day}" if line.startswith("assessment_date:") else line
                         for line in source.splitlines())
        (folder / f"{name}.yaml").write_text(text + "\n", encoding="utf-8")
    run_batch([folder], tmp_path / "r.sqlite", lang="en", receipts="full")
    con = sqlite3.connect(tmp_path / "r.sqlite")
    stored = [(case_id, dict(con.execute("SELECT provision, status FROM provisions WHERE case_key = ?", (key,))),
               receipt) for case_id, key, receipt in
              con.execute("SELECT case_id, key, receipt_zlib FROM cases ORDER BY seq").fetchall()]
    con.close()
    assert [row[0] for row in stored] == ["a", "b"]
    for case_id, statuses, receipt in stored:
        alone = Screener(book=BOOK).screen(load_case_file(folder / f"{case_id}.yaml"))
        assert statuses == {p.provision: p.status for p in alone.provisions}, case_id
        result = verify_receipt(json.loads(zlib.decompress(receipt)), Screener(book=BOOK), case_id)
        assert result.ok, result.detail
