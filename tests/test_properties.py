"""Legal and engineering invariants over generated valid cases (hypothesis)."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from eligibility.case import Case
from eligibility.render import to_json

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
    after = {p.provision: p.status for p in screener.screen(Case.model_validate(filled)).provisions}
    for provision, status in before.items():
        if status in ("met", "not_met"):
            assert after[provision] != "undetermined", (provision, section, name)
