"""Differential oracle: durable_rules (`adapter.Engine`) and the plain-Python agenda
(`evaluator.PythonEngine`) run the same compiled rules and must agree, firing for firing.

Agreement means, per case: the same conclusion for every node; the same multiset of firings as
(rule, value, list element), and of (rule, matched facts) as the test hook sees them; and the same
verdict (provisions, warnings, referrals, texts, the per-rule trace). The small
rulesets at the end pin down the durable semantics the evaluator reproduces (measured on
durable_rules 2.0.28), so a change in either engine shows up here first.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from eligibility.engine.adapter import Engine
from eligibility.model.case import Case
from eligibility.law.compiler import Compiled, RuleMeta
from eligibility.engine.engine_api import EngineError, Run
from eligibility.engine.evaluator import PythonEngine
from eligibility.model.facts import case_facts
from eligibility.model.loader import load_case_file
from eligibility.explain.render import to_json
from eligibility.explain.screening import Screener

from .conftest import ROOT, examples
from .strategies import case_dicts

CASES = sorted((ROOT / "cases").glob("*.yaml"))


@pytest.fixture(scope="module")
def python_screener() -> Screener:
    return Screener(ROOT / "rules", engine=PythonEngine())


def firings(run: Run) -> Counter[tuple[str, str, int | None]]:
    return Counter((f.rule, f.value, f.index) for f in run.firings)


def matched_facts(engine_type: Any, compiled: Compiled, facts: list[dict[str, Any]]) -> Counter[tuple[str, str]]:
    """(rule, the facts it matched) of every firing, as the engine's test hook sees them."""
    seen: Counter[tuple[str, str]] = Counter()

    def record(meta: RuleMeta, matched: Any) -> None:
        seen[(meta.name, json.dumps(matched, sort_keys=True))] += 1

    engine_type(on_fire=record).run(compiled, facts)
    return seen


def derived_keys(run: Run) -> Counter[tuple[str, str, int | None]]:
    """Which conclusions were asserted for further rules (at most once each, whichever firing
    came first)."""
    return Counter((f.node, f.value, f.index) for f in run.firings if f.derived)


def verdict_without_trace_order(verdict: Any) -> tuple[dict[str, Any], Counter[str]]:
    """The verdict as canonical JSON, its trace taken apart as a multiset. ``derived`` is left
    out of the trace entries: when two firings conclude the same thing, the one that comes first
    asserts it, and the order is the engine's (`derived_keys` compares what was asserted)."""
    data = json.loads(to_json(verdict))
    trace = data.pop("trace")
    return data, Counter(json.dumps({k: v for k, v in e.items() if k != "derived"}, sort_keys=True) for e in trace)


def outcome(screener: Screener, case: Case, day: dt.date, lang: str) -> tuple[Any, ...]:
    """Everything one engine says about one case, or the error it raised (the engines' error
    messages differ in wording; the kind of error and where it arose must not)."""
    compiled = screener.compiled(day)
    try:
        run = screener.engine.run(compiled, case_facts(case, day))
    except EngineError as exc:
        return ("error", "engine", type(exc).__name__)
    try:
        verdict = screener.screen(case, as_of=day, lang=lang)
    except Exception as exc:  # noqa: BLE001 - a failure to explain must be the same for both
        return ("error", "explain", type(exc).__name__, str(exc))
    return run.conclusions, firings(run), derived_keys(run), verdict_without_trace_order(verdict)


def assert_agree(durable: Screener, python: Screener, case: Case, day: dt.date, lang: str = "nb") -> None:
    a = outcome(durable, case, day, lang)
    b = outcome(python, case, day, lang)
    if a[0] == "error" or b[0] == "error":
        assert a == b, f"{case.case_id}: durable {a[:4]} vs python {b[:4]}"
        return
    conclusions_a, firings_a, derived_a, (verdict_a, trace_a) = a
    conclusions_b, firings_b, derived_b, (verdict_b, trace_b) = b
    assert conclusions_a == conclusions_b, (
        f"{case.case_id}: conclusions differ: "
        f"{ {k: (conclusions_a.get(k), conclusions_b.get(k)) for k in set(conclusions_a) | set(conclusions_b) if conclusions_a.get(k) != conclusions_b.get(k)} }")
    assert firings_a == firings_b, (
        f"{case.case_id}: firings differ; durable only: {sorted((firings_a - firings_b).items())[:5]}; "
        f"python only: {sorted((firings_b - firings_a).items())[:5]}")
    assert derived_a == derived_b, f"{case.case_id}: asserted conclusions differ"
    assert trace_a == trace_b, f"{case.case_id}: traces differ as multisets"
    assert verdict_a == verdict_b, f"{case.case_id}: verdicts differ"


def _days(path: Path, case: Case) -> list[dt.date]:
    """The case's own assessment date, and the date its expected verdict overrides it with."""
    days = [case.assessment_date or dt.date.today()]
    for expected in (ROOT / "tests" / "expected").glob("*.yaml"):
        data = yaml.safe_load(expected.read_text(encoding="utf-8"))
        if data.get("case") == f"cases/{path.name}" and data.get("as_of"):
            days.append(dt.date.fromisoformat(str(data["as_of"])))
    return sorted(set(days))


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_engines_agree_on_every_example_case(screener: Screener, python_screener: Screener, path: Path) -> None:
    case = load_case_file(path)
    for day in _days(path, case):
        for lang in ("nb", "en"):
            assert_agree(screener, python_screener, case, day, lang)


@pytest.mark.parametrize("path", CASES[:8], ids=lambda p: p.stem)
def test_engines_match_the_same_facts_on_example_cases(screener: Screener, path: Path) -> None:
    """What each firing matched, seen through the test hook (durable decodes a firing's match only
    where its conclusion needs it, so the hook is where both engines still show every match)."""
    case = load_case_file(path)
    day = case.assessment_date or dt.date.today()
    compiled, facts = screener.compiled(day), case_facts(case, day)
    assert matched_facts(Engine, compiled, facts) == matched_facts(PythonEngine, compiled, facts)


@settings(max_examples=examples(60))
@given(case_dicts(), st.sampled_from(["nb", "en"]))
def test_engines_agree_on_generated_cases(screener: Screener, python_screener: Screener,
                                          data: dict[str, Any], lang: str) -> None:
    case = Case.model_validate(data)
    assert_agree(screener, python_screener, case, case.assessment_date or dt.date.today(), lang)


def test_the_generated_cases_exercise_the_rules(screener: Screener, python_screener: Screener) -> None:
    """Not vacuous: the example cases fire rules of every kind, and both engines fire many."""
    kinds: Counter[str] = Counter()
    folds: set[str] = set()
    for path in CASES:
        case = load_case_file(path)
        day = case.assessment_date or dt.date.today()
        compiled = python_screener.compiled(day)
        run = python_screener.engine.run(compiled, case_facts(case, day))
        kinds.update(compiled.rules[f.rule].derive for f in run.firings)
        folds.update(f.rule.split("#")[1] for f in run.firings if compiled.rules[f.rule].list and f.index is None)
    assert set(kinds) == {"node", "element"}, kinds
    assert folds >= {"T.fold", "F.fold", "U.list-unknown"}, folds  # the fold along a list (ADR 0010)


# -- durable's semantics, pinned on small rulesets ------------------------------------------------

# durable segfaults in `delete_state` for a session in which no action has run yet (measured:
# one fact asserted that completes no rule, or one it does not handle at all). Every ruleset
# below therefore starts with a rule that fires on a first fact {"t": "start"}.
START = "started"


def _ruleset(rules: dict[str, list[Any]], topics: tuple[str, ...] = ("start", "x", "y")) -> Compiled:
    rules = {START: [{"m": {"t": "start"}}], **rules}
    definition = {name: {"all": patterns} for name, patterns in rules.items()}
    digest = hashlib.sha256(json.dumps(definition, sort_keys=True).encode()).hexdigest()[:16]
    return Compiled(name=f"differential_{digest}", definition=definition,
                    rules={name: RuleMeta(name, name, f"{name}@1", "T") for name in rules},
                    topics=topics, consumed=frozenset(), nodes={}, refs={}, reads={}, lists=frozenset(), params={})


A, B, C, D = {"a": 1}, {"b": 1}, {"c": 1}, {"d": 1}
X_ALL = {"t": "x", "a": 1, "b": 1, "c": 1, "d": 1}
SEMANTICS: dict[str, tuple[dict[str, list[Any]], list[dict[str, Any]], int | None]] = {
    # name: (rules, facts, firings expected from durable; None = an EngineError)
    "or fires once per satisfied branch": (
        {"r": [{"m": {"$and": [{"t": "x"}, {"$or": [A, B]}]}}]}, [X_ALL], 2),
    "or of and of or fires once per satisfied DNF term": (
        {"r": [{"m": {"$and": [{"t": "x"}, {"$or": [{"$and": [{"$or": [A, B]}, C]}, D]}]}}]}, [X_ALL], 3),
    "two ors multiply": (
        {"r": [{"m": {"$and": [{"t": "x"}, {"$or": [A, B]}, {"$or": [C, D]}]}}]}, [X_ALL], 4),
    "a repeated branch counts twice": (
        {"r": [{"m": {"$and": [{"t": "x"}, {"$or": [A, A]}]}}]}, [X_ALL], 2),
    "only the first pattern's or multiplies": (
        {"r": [{"p": {"$and": [{"t": "x"}, {"$or": [A, B]}]}}, {"q": {"$and": [{"t": "y"}, {"$or": [C, D]}]}}]},
        [X_ALL, {"t": "y", "c": 1, "d": 1}], 2),
    "an or in a later pattern does not multiply": (
        {"r": [{"p": {"t": "x"}}, {"q": {"$and": [{"t": "y"}, {"$or": [C, D]}]}}]},
        [X_ALL, {"t": "y", "c": 1, "d": 1}], 1),
    "neq is false on a missing attribute": (
        {"r": [{"m": {"$and": [{"t": "x"}, {"$neq": {"e": 2}}]}}], "s": [{"m": {"$and": [{"t": "x"}, {"$nex": {"e": 1}}]}}]},
        [{"t": "x"}], 1),
    "a fact no pattern accepts is an error": (
        {"r": [{"m": {"$and": [{"t": "x"}, {"a": 2}]}}]}, [{"t": "x", "a": 1}], None),
    "a join fires per combination of distinct facts": (
        {"r": [{"p": {"t": "x"}}, {"q": {"t": "x"}}]}, [{"t": "x", "a": 1}, {"t": "x", "a": 2}], 2),
    "one fact never fills two patterns": (
        {"r": [{"p": {"t": "x"}}, {"q": {"t": "x"}}]}, [{"t": "x", "a": 1}], 0),
    "correlated join on an earlier pattern's attribute": (
        {"r": [{"p": {"$and": [{"t": "x"}, {"$or": [A, B]}]}}, {"q": {"$and": [{"t": "y"}, {"i": {"p": "i"}}]}}]},
        [{"t": "y", "i": 1}, {"t": "y", "i": 2}, {"t": "y", "i": 1, "z": 1}, {"t": "x", "i": 1, "a": 1, "b": 1}], 4),
    "comparisons and existence": (
        {"lt": [{"m": {"$and": [{"t": "x"}, {"$lt": {"n": 18.0}}]}}],
         "gte": [{"m": {"$and": [{"t": "x"}, {"$gte": {"n": 18}}]}}],
         "ex": [{"m": {"$and": [{"t": "x"}, {"$ex": {"n": 1}}]}}],
         "bool": [{"m": {"$and": [{"t": "x"}, {"b": True}]}}]},
        [{"t": "x", "n": 17}, {"t": "x", "n": 18.5, "b": True}, {"t": "x", "n": 18, "b": 1}], 8),
    "iany and iall test an array's items, and both are false on an empty array": (  # the fold (ADR 0010)
        {"any_x": [{"m": {"t": "x"}}],
         "some_t": [{"m": {"$and": [{"t": "x"}, {"$iany": {"v": {"$i": "T"}}}]}}],
         "all_f": [{"m": {"$and": [{"t": "x"}, {"$iall": {"v": {"$i": "F"}}}]}}],
         "no_t_some_u": [{"m": {"$and": [{"t": "x"}, {"$iall": {"v": {"$neq": {"$i": "T"}}}},
                                         {"$iany": {"v": {"$i": "U"}}}]}}]},
        [{"t": "x", "v": []}, {"t": "x", "v": ["T", "F"]}, {"t": "x", "v": ["F", "F"]}, {"t": "x", "v": ["U", "F"]},
         {"t": "x", "v": ["U", "T"]}], 9),
}


@pytest.fixture(scope="module")
def durable_engine() -> Engine:
    return Engine()


@pytest.mark.parametrize("name", list(SEMANTICS))
def test_the_evaluator_reproduces_durables_semantics(durable_engine: Engine, name: str) -> None:
    rules, facts, expected = SEMANTICS[name]
    compiled = _ruleset(rules)
    results = []
    for engine in (durable_engine, PythonEngine()):
        try:
            run = engine.run(compiled, [{"t": "start"}] + [dict(f) for f in facts])
            results.append(Counter({k: n for k, n in firings(run).items() if k[0] != START}))
        except EngineError:
            results.append(None)
    durable, python = results
    assert durable == python
    assert (None if durable is None else sum(durable.values())) == expected


def test_both_engines_refuse_two_values_for_one_node(durable_engine: Engine) -> None:
    """The compiler's rules are exclusive; a rulebook where they are not is an engine error."""
    compiled = _ruleset({"yes": [{"m": {"t": "x"}}], "no": [{"m": {"$and": [{"t": "x"}, A]}}]})
    compiled.rules["yes"] = RuleMeta("yes", "node", "node@1", "T")
    compiled.rules["no"] = RuleMeta("no", "node", "node@1", "F")
    for engine in (durable_engine, PythonEngine()):
        with pytest.raises(EngineError, match="already"):
            engine.run(compiled, [{"t": "start"}, {"t": "x", "a": 1}])


def test_an_exception_inside_an_action_reaches_the_caller_from_both_engines(screener: Screener) -> None:
    def explode(meta: Any, matched: Any) -> None:
        if meta.node == "utl-53.cohabitation-ended":
            raise ValueError("boom in an action")

    case = Case.model_validate({"case_id": "t", "relationship": {"cohabitation_ended": None}})
    day = dt.date(2026, 11, 26)
    compiled = screener.compiled(day)
    for engine in (Engine(on_fire=explode), PythonEngine(on_fire=explode)):
        with pytest.raises(EngineError, match="boom in an action"):
            engine.run(compiled, case_facts(case, day))


def test_the_evaluator_is_deterministic(python_screener: Screener) -> None:
    """Same facts, same firings in the same order (its order may differ from durable's)."""
    for path in CASES[:10]:
        case = load_case_file(path)
        day = case.assessment_date or dt.date.today()
        compiled = python_screener.compiled(day)
        runs = [PythonEngine().run(compiled, case_facts(case, day)) for _ in range(2)]
        assert runs[0].firings == runs[1].firings
