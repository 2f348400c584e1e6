"""The durable_rules adapter: errors surface, sessions are freed, every firing is recorded."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from typing import Any

import pytest

from eligibility.engine.adapter import Engine, EngineError
from eligibility.law.compiler import compile_rulebook
from eligibility.model.facts import case_facts
from eligibility.explain.screening import Screener

from .conftest import ROOT, make_case

DAY = dt.date(2026, 11, 26)


@pytest.fixture(scope="module")
def compiled(screener: Screener) -> Any:
    return compile_rulebook(screener.book, DAY)


def test_an_exception_inside_an_action_reaches_the_caller(compiled: Any) -> None:
    def explode(meta: Any, matched: Any) -> None:
        if meta.node == "utl-53.cohabitation-ended":
            raise ValueError("boom in an action")

    engine = Engine(on_fire=explode)
    facts = case_facts(make_case(relationship={"cohabitation_ended": None}), DAY)
    with pytest.raises(EngineError, match="boom in an action"):
        engine.run(compiled, facts)
    # the same engine goes on in a fresh session: nothing of the failed case is left over
    engine._on_fire = None
    assert _firings(engine.run(compiled, facts)) == _firings(Engine().run(compiled, facts))


def _firings(run: Any) -> list[tuple[str, int | None, bool]]:
    return [(f.rule, f.index, f.derived) for f in run.firings]


def test_a_reused_session_gives_the_same_firings_as_a_fresh_one(screener: Screener, compiled: Any) -> None:
    """ADR 0004: one session serves case after case; each case's facts are retracted after it."""
    cases = [make_case(), make_case(relationship={"cohabitation_ended": None}),
             make_case(abuse={"incidents": [{"perpetrator": "reference_person", "victim": "applicant",
                                             "during_cohabitation": True, "severity": "high"}]}),
             make_case(permits=[{"basis": "utl-40", "valid_from": "2020-01-01", "valid_to": "2027-01-01"}])]
    reused = Engine()
    for case in cases + cases[::-1]:
        facts = case_facts(case, DAY)
        assert _firings(reused.run(compiled, facts)) == _firings(Engine().run(compiled, facts))
    session = reused._sessions[compiled.name]
    assert not session.asserted and session.acted


def test_a_spurious_already_observed_is_retried_once_in_a_fresh_session(
        compiled: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """durable's 32-bit fact index can report a new fact as already observed (about once in
    10,000 sessions); the case is run again in a fresh session, and a second report is an error."""
    import eligibility.engine.adapter as adapter

    real = adapter._core.assert_fact
    refusals = {"left": 1}

    def flaky(handle: int, text: str) -> Any:
        if refusals["left"] and '"t": "c1.' in text:  # a chunk fact, mid-case
            refusals["left"] -= 1
            return (2, 0)
        return real(handle, text)

    monkeypatch.setattr(adapter._core, "assert_fact", flaky)
    engine = Engine()
    facts = case_facts(make_case(), DAY)
    sid_before = engine._session(compiled).sid
    assert _firings(engine.run(compiled, facts)) == _firings(Engine().run(compiled, facts))
    assert engine._sessions[compiled.name].sid != sid_before
    refusals["left"] = 2
    with pytest.raises(EngineError, match="saw a fact twice"):
        engine.run(compiled, facts)


def test_only_import_of_durable_is_the_adapter() -> None:
    sources = [p for p in (ROOT / "eligibility").rglob("*.py")] + [ROOT / "cli.py"]
    importers = [p.name for p in sources
                 if any(line.strip().startswith(("import durable", "from durable"))
                        for line in p.read_text(encoding="utf-8").splitlines())]
    assert importers == ["adapter.py"]


def test_sessions_are_freed_beyond_durables_1024_session_cap() -> None:
    """durable raises MemoryError at the 1,025th live session of a ruleset. Cases share one
    session; a case that fails deletes its session, so failures cannot exhaust them either. The
    cap is per ruleset whatever its size, so a two-rule ruleset shows it in a fraction of the time
    the whole rulebook takes."""
    from .test_differential import _ruleset

    compiled = _ruleset({"r": [{"m": {"t": "x"}}]})
    facts = [{"t": "start"}, {"t": "x"}]
    engine = Engine()
    for _ in range(1100):
        assert engine.run(compiled, facts).conclusions
    seen = {"n": 0}

    def fail_late(meta: Any, matched: Any) -> None:  # after an action ran in the session
        seen["n"] += 1
        if meta.name == "r":
            raise ValueError("late failure")

    failing = Engine(on_fire=fail_late)
    for _ in range(1100):  # a leaked session would surface as durable's MemoryError, not this failure
        with pytest.raises(EngineError, match="late failure"):
            failing.run(compiled, facts)
    failing._on_fire = None
    assert failing.run(compiled, facts).conclusions and seen["n"] == 2200


def test_every_node_concludes_exactly_once_and_the_trace_records_it(screener: Screener) -> None:
    case = make_case(permits=[{"basis": "utl-40", "valid_from": "2020-01-01", "valid_to": "2027-01-01"}],
                     abuse={"incidents": [{"perpetrator": "reference_person", "victim": "child",
                                           "during_cohabitation": True, "severity": "high"}]})
    compiled = screener.compiled(DAY)
    run = screener.engine.run(compiled, case_facts(case, DAY))
    assert set(compiled.nodes) <= set(run.conclusions)
    derived_nodes = [f.node for f in run.firings if f.derived and compiled.rules[f.rule].derive == "node"]
    assert len(derived_nodes) == len(set(derived_nodes)), "a node fact was asserted twice"
    verdict = screener.screen(case)
    rules = [t.rule for t in verdict.trace]  # one entry per rule in force and condition part
    assert sorted(rules) == sorted({meta.node for meta in compiled.rules.values()})
    assert set(compiled.nodes) <= set(rules) and len(rules) == len(set(rules))
    pattern = next(t for t in verdict.trace if t.rule == "utl-53.mishandling-pattern")
    assert pattern.read == {"abuse.incidents (count)": 1, "abuse.incidents[0]": {
        "perpetrator": "reference_person", "victim": "child", "during_cohabitation": True, "happened": None,
        "repeated": None, "kind": None, "severity": "high"}}
    indicated = next(t for t in verdict.trace if t.rule == "referral.abuse-dinutvei")
    assert indicated.read == {"utl-53.abuse-indicated": run_status(run, "utl-53.abuse-indicated")}


def run_status(run: Any, node: str) -> str:
    return {"T": "met", "F": "not_met", "U": "undetermined", "J": "needs_assessment"}[run.conclusions[node]]


def test_firings_read_by_name_are_the_firings_decoded(screener: Screener, compiled: Any) -> None:
    """The adapter reads a rule's name from durable's message without decoding the rest (ADR 0010,
    adapter glue); with the test hook set it decodes every message: both give the same firings."""
    indices: set[int | None] = set()
    for case in (make_case(abuse={"incidents": [{"perpetrator": "reference_person", "severity": "high"},
                                                 {"perpetrator": "other"}]}),
                 make_case(relationship={"cohabitation_ended": None})):
        facts = case_facts(case, DAY)
        seen: list[str] = []
        decoded = Engine(on_fire=lambda meta, matched: seen.append(meta.name)).run(compiled, facts)
        fast = Engine().run(compiled, facts)
        assert _firings(fast) == _firings(decoded) and len(seen) == len(fast.firings)
        indices |= {f.index for f in fast.firings}
    assert {0, 1} <= indices  # list elements still know which element


def test_facts_no_rule_tests_do_not_reach_the_engine(screener: Screener) -> None:
    """A batch holding a fact no rule tests has aborted durable's C core (free(): invalid pointer)."""
    case = make_case(applicant={"languages": ["ur", "en"], "needs_interpreter": True})
    code = ("import datetime as dt, sys; sys.path.insert(0, %r)\n"
            "from eligibility.explain.screening import Screener\nfrom eligibility.model.case import Case\n"
            "v = Screener().screen(Case.model_validate(%r))\nprint(len(v.provisions))") % (
        str(ROOT), case.model_dump(mode="json", exclude_unset=True))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert int(done.stdout.strip()) >= 4


def test_numbers_durable_cannot_parse_are_normalised(screener: Screener) -> None:
    """durable's JSON parser rejects exponents (error 204)."""
    case = make_case(permanent_residence={"months_abroad_last_3_years": 1e-05}, reference_person={"years_work_or_education": 4.00001})
    screener.screen(case)


def test_a_run_that_stops_before_every_rule_concluded_is_an_error(screener: Screener) -> None:
    """durable can stop running a session's actions silently (more than 10 s inside one action,
    e.g. a clock step); a partial run must be refused, never explained as a verdict."""
    from eligibility.engine.engine_api import Run, check_complete

    compiled = screener.compiled(DAY)
    full = screener.engine.run(compiled, case_facts(make_case(), DAY))
    check_complete(compiled, full)
    partial = Run(conclusions=dict(list(full.conclusions.items())[:10]))
    with pytest.raises(EngineError, match="stopped before concluding"):
        check_complete(compiled, partial)
