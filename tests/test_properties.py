"""Legal and engineering invariants over generated valid cases (hypothesis)."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any, Literal

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from eligibility.model.case import Case
from eligibility.explain.render import to_json

from .conftest import examples
from .strategies import FIELDS, case_dicts

SETTINGS = settings(max_examples=examples(80))
STATUSES = {"met", "not_met", "undetermined", "needs_assessment"}


def outcome_53(verdict: Any) -> dict[str, Any]:
    """Everything a § 53 verdict says, except texts that may quote the facts."""
    return {p.provision: (p.status, sorted(r.rule for r in p.failed), sorted(r.rule for r in p.reasons),
                          sorted(m.path for m in p.missing))
            for p in verdict.provisions if p.provision.startswith("utl-53")}


@SETTINGS
@given(case_dicts(), st.sampled_from(["nb", "en"]))
def test_never_crashes_and_every_provision_has_one_status(screener: Any, data: dict[str, Any], lang: str) -> None:
    verdict = screener.screen(Case.model_validate(data), lang=lang)
    assert verdict.provisions
    for p in verdict.provisions:
        assert p.status in STATUSES and p.kind in ("entitlement", "discretionary")
        if p.status == "undetermined":
            assert p.missing, f"{p.provision} undetermined without saying which facts are missing"
        if p.status == "not_met":
            assert p.failed, f"{p.provision} not met without saying which condition failed"


@SETTINGS
@given(case_dicts())
def test_output_is_deterministic(screener: Any, data: dict[str, Any]) -> None:
    case = Case.model_validate(data)
    assert to_json(screener.screen(case)) == to_json(screener.screen(Case.model_validate(copy.deepcopy(data))))


@SETTINGS
@given(case_dicts(), st.sampled_from([None, "applicant", "reference_person", "mutual"]), st.sampled_from([None, True, False]))
def test_who_ended_the_relationship_or_why_never_changes_section_53(
        screener: Any, data: dict[str, Any], ended_by: str | None, caused: bool | None) -> None:
    """Prop. 40 L (2019–2020) ch. 7.1: no causal link is required, and it does not matter who
    initiated the breakup."""
    base = screener.screen(Case.model_validate(data))
    changed = copy.deepcopy(data)
    rel = changed.setdefault("relationship", {})
    for key, value in (("ended_by", ended_by), ("breakup_caused_by_abuse", caused)):
        if value is None:
            rel.pop(key, None)
        else:
            rel[key] = value
    assert outcome_53(screener.screen(Case.model_validate(changed))) == outcome_53(base)


@SETTINGS
@given(case_dicts(), st.data())
def test_more_facts_never_unsettle_a_settled_answer(screener: Any, data: dict[str, Any], draw: st.DataObject) -> None:
    """Filling in a fact that was absent never turns met or not_met into undetermined."""
    before = {p.provision: p.status for p in screener.screen(Case.model_validate(data)).provisions}
    section = draw.draw(st.sampled_from(sorted(FIELDS)))
    absent = sorted(set(FIELDS[section]) - set(data.get(section, {})))
    if not absent:
        return
    name = draw.draw(st.sampled_from(absent))
    filled = copy.deepcopy(data)
    filled.setdefault(section, {})[name] = draw.draw(FIELDS[section][name])
    after = _screen_statuses(screener, filled)
    assume(after is not None)  # a birth date that contradicts the birth year is an input error
    assert after is not None
    for provision, status in before.items():
        if status in ("met", "not_met"):
            assert after[provision] != "undetermined", (provision, section, name)


# --- ADR 0009: undetermined only if a value of a listed missing fact would change it ----------------

def _value_classes(path: str, on: dt.date) -> list[Any]:
    """Values that stand for every answer to ``path`` (``section.field``): booleans both, enums
    each value, numbers and dates at and around the rules' thresholds. Empty if not a plain field."""
    section, _, name = path.partition(".")
    model = Case.model_fields.get(section)
    fields = getattr(model.annotation, "model_fields", {}) if model else {}
    info = fields.get(name) if "." not in name and "[" not in path else None
    if info is None:
        return []
    args = [a for a in getattr(info.annotation, "__args__", (info.annotation,)) if a is not type(None)]
    out: list[Any] = []
    for a in args:
        if a is bool:
            out += [True, False]
        elif getattr(a, "__origin__", None) is Literal or type(a).__name__ == "_LiteralGenericAlias":
            out += list(a.__args__)
        elif isinstance(a, type) and issubclass(a, str) and hasattr(a, "__members__"):
            out += [m.value for m in a]
        elif a is dt.date:
            years = (0, 1, 2, 3, 4, 5, 18, 24, 30)
            out += [on.replace(month=1, day=1), dt.date(2018, 10, 31), dt.date(2018, 11, 1)] + [
                d for y in years for d in (on - dt.timedelta(days=365 * y + y // 4), on - dt.timedelta(days=365 * y + y // 4 - 1))]
        elif a in (int, float) or getattr(a, "__origin__", None) in (int, float):
            out += [0, 1, 2, 3, 4, 5, 7, 8, 10, 11, 300_000, 500_000, 900_000]
    if path == "relationship.cohabitation_ended":
        out.append(None)
    return out


def _screen_statuses(screener: Any, data: dict[str, Any]) -> dict[str, str] | None:
    try:
        case = Case.model_validate(data)
    except ValueError:
        return None
    return {p.provision: p.status for p in screener.screen(case).provisions}


# Provisions whose every condition one fact can settle. Others need two facts together (utl-53-3:
# whether the lawsuit was filed in time needs both of its dates), which one fact at a time cannot
# show; the oracle varies one fact to stay fast.
ONE_FACT_PROVISIONS = ("utl-41", "utl-53-1-a")


@settings(max_examples=examples(25))
@given(case_dicts())
def test_undetermined_only_if_a_listed_missing_fact_could_change_it(screener: Any, data: dict[str, Any]) -> None:
    """A provision is undetermined only if some value of one of its listed missing facts changes
    its status (checked for plain fields; lists and their elements are not varied here)."""
    verdict = screener.screen(Case.model_validate(data))
    on = verdict.assessment_date
    on = dt.date.fromisoformat(on) if isinstance(on, str) else on
    for p in verdict.provisions:
        if p.status != "undetermined" or p.provision not in ONE_FACT_PROVISIONS:
            continue
        paths = [m.path for m in p.missing]
        if not all(_value_classes(path, on) for path in paths):
            continue  # a list or list element is missing: not varied here
        changed = False
        for path in paths:
            section, _, name = path.partition(".")
            for value in _value_classes(path, on):
                filled = copy.deepcopy(data)
                filled.setdefault(section, {})[name] = value
                after = _screen_statuses(screener, filled)
                if after is not None and after[p.provision] != "undetermined":
                    changed = True
                    break
            if changed:
                break
        assert changed, (p.provision, paths)
