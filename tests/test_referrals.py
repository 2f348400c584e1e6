"""Referral suggestions (issue 3): every trigger fires on a case and stays silent on a near-identical
one; urgency ordering with the police on 112 first; the utl. § 61(7) deadline across month ends and
leap years; the catalogue is complete and checked when the rules load.

Cases are built in code so that the fact under test is the only thing that differs.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from eligibility.model.facts import add_months
from eligibility.law.rulebook import RuleFileError, law_sources_path, load_rulebook

from .conftest import ROOT, make_case

TODAY = dt.date(2026, 11, 26)
INCIDENT = {"kind": "physical", "perpetrator": "reference_person", "victim": "applicant",
            "during_cohabitation": True, "severity": "high", "repeated": True}
URGENCY = {"now": 0, "soon": 1, "planned": 2}
# Contact facts the law notes (section 18) mark as verified; nothing else may be printed.
VERIFIED_NUMBERS = {"112", "02800", "116 006", "478 090 50"}
VERIFIED_ADDRESSES = {"dinutvei.no", "volinjen.no", "tolkeportalen.no", "udi.no", "kompetanseteamet@bufdir.no"}
NOTES = law_sources_path(ROOT / "rules")


def permit(valid_to: str = "2027-12-31", valid_from: str = "2024-01-01", basis: str = "utl-40") -> dict[str, Any]:
    return {"basis": basis, "valid_from": valid_from, "valid_to": valid_to, "forms_basis_for_permanent": True}


def violence_case(*, incidents: list[dict[str, Any]] | None = None, safety: dict[str, Any] | None = None,
                  applicant: dict[str, Any] | None = None, permits: list[dict[str, Any]] | None = None,
                  ended: Any = "2026-09-01", on: dt.date = TODAY, **sections: Any) -> Any:
    """A spouse with a § 40 permit who left after serious, repeated violence; nothing else known
    unless given."""
    return make_case(
        assessment_date=on,
        applicant=applicant or {"birth_year": 1995},
        permits=[permit()] if permits is None else permits,
        relationship={"type": "marriage", "cohabitation_started": "2024-01-01", "cohabitation_ended": ended,
                      "end_reason": "separation"},
        abuse={"incidents": [INCIDENT] if incidents is None else incidents, "account_credible": True,
               "reduced_quality_of_life": True},
        safety=safety or {},
        **sections,
    )


def by_service(verdict: Any) -> dict[str, Any]:
    return {r.service: r for r in verdict.referrals}


def rules_fired(verdict: Any) -> set[str]:
    """Referral rule ids (without version) behind every suggestion."""
    return {rule.split("@")[0] for r in verdict.referrals for rule in r.triggered_by}


def warning_ids(verdict: Any) -> set[str]:
    return {w.id for w in verdict.warnings}


# --- each trigger fires, and a near-identical case does not ---------------------------------------

def test_immediate_danger_calls_the_police_on_112_first(screener: Any) -> None:
    verdict = screener.screen(violence_case(safety={"immediate_danger": True, "housing_need": True}), lang="en")
    first = verdict.referrals[0]
    assert (first.service, first.urgency) == ("police", "now")
    assert "112" in first.reason and "112" in first.contact
    assert "referral.immediate-danger" in {t.split("@")[0] for t in first.triggered_by}
    assert by_service(verdict)["krisesenter"].urgency == "now"

    calm = screener.screen(violence_case(safety={"immediate_danger": False, "lives_with_abuser": False,
                                                 "housing_need": True}), lang="en")
    assert not {"referral.immediate-danger", "referral.danger-shelter"} & rules_fired(calm)
    assert by_service(calm)["police"].urgency == "planned"  # only the optional police report


def test_still_living_with_the_abuser_puts_safety_before_permits(screener: Any) -> None:
    verdict = screener.screen(violence_case(ended=None, safety={"lives_with_abuser": True, "immediate_danger": False}),
                              lang="en")
    services = [r.service for r in verdict.referrals]
    shelter = by_service(verdict)["krisesenter"]
    assert shelter.urgency == "now" and services.index("krisesenter") < services.index("udi")
    assert "as soon as the applicant moves out" in shelter.reason
    assert "section 53 first paragraph letter (b)" in shelter.reason
    assert by_service(verdict)["police"].urgency == "soon"  # safety planning, visiting ban
    assert "visiting ban" in by_service(verdict)["police"].reason
    assert by_service(verdict)["vo-linjen"].urgency == "now"  # the helpline works when going out is not safe

    moved_out = screener.screen(violence_case(safety={"lives_with_abuser": False, "immediate_danger": False}),
                                lang="en")
    assert not {r for r in rules_fired(moved_out) if r.startswith("referral.lives-with-abuser")}
    assert "krisesenter" not in by_service(moved_out)


# --- issue 10 point 16: safety referrals when the safety section is empty ----------------------------

REPEATED_SERIOUS = [INCIDENT, {**INCIDENT, "kind": "threats"}]


def test_living_together_with_a_violent_partner_is_derived_from_the_relationship(screener: Any) -> None:
    """The couple still live together (cohabitation_ended: null) and the partner is violent: that
    is living with the abuser, though nothing is recorded under `safety`."""
    verdict = screener.screen(violence_case(ended=None, incidents=REPEATED_SERIOUS), lang="en")
    services = by_service(verdict)
    assert services["krisesenter"].urgency == "now"
    assert services["vo-linjen"].urgency == "now"
    assert services["police"].urgency == "now" and "112" in services["police"].reason
    assert "referral.lives-with-abuser-shelter" in rules_fired(verdict)
    trace_facts = [e.read for e in verdict.trace if e.version.startswith("referral.lives-with-abuser@")]
    assert any(m.get("safety.lives_with_abuser") is True for m in trace_facts)


def test_abuse_by_someone_else_while_together_is_not_living_with_the_abuser(screener: Any) -> None:
    other = {**INCIDENT, "perpetrator": "other"}
    verdict = screener.screen(violence_case(ended=None, incidents=[other],
                                            safety={"immediate_danger": False}), lang="en")
    assert "referral.lives-with-abuser-shelter" not in rules_fired(verdict)


@pytest.mark.parametrize("lang", ["nb", "en"])
def test_unknown_safety_with_recorded_abuse_puts_safety_first(screener: Any, lang: str) -> None:
    """Abuse recorded, separated, nothing under `safety`: shelter and 116 006 now, the police now
    with 112 for danger, and a safety notice first that asks the safety questions."""
    verdict = screener.screen(violence_case(), lang=lang)
    services = by_service(verdict)
    assert (services["krisesenter"].urgency, services["vo-linjen"].urgency, services["police"].urgency) == (
        "now", "now", "now")
    assert "112" in services["police"].reason
    assert verdict.referrals[0].service == "police"
    first = verdict.warnings[0]
    assert first.id == "referral.safety-unknown-ask" and first.level == "safety"
    for path in ("safety.immediate_danger", "safety.lives_with_abuser", "safety.at_shelter"):
        assert question_text(path, lang) in first.text, path


def question_text(path: str, lang: str) -> str:
    from eligibility.model.case import question
    return (question(path) or {})[lang]


def test_known_safety_facts_need_no_safety_questions(screener: Any) -> None:
    safe = screener.screen(violence_case(safety={"immediate_danger": False, "lives_with_abuser": False,
                                                 "at_shelter": False}), lang="en")
    assert "referral.safety-unknown-ask" not in warning_ids(safe)
    assert "vo-linjen" not in by_service(safe)
    assert by_service(safe)["police"].urgency == "planned"


def test_no_safety_referrals_without_recorded_abuse(screener: Any) -> None:
    verdict = screener.screen(violence_case(incidents=[]), lang="en")
    assert "referral.safety-unknown-ask" not in warning_ids(verdict)
    assert not {"krisesenter", "vo-linjen", "police"} & set(by_service(verdict))


@pytest.mark.parametrize("safety", [
    {"at_shelter": True},
    {"at_shelter": True, "immediate_danger": True},
    {"at_shelter": True, "lives_with_abuser": True, "housing_need": True, "children_in_household": True},
])
def test_someone_already_at_a_shelter_is_not_told_to_go_to_one(screener: Any, safety: dict[str, Any]) -> None:
    verdict = screener.screen(violence_case(ended=None, incidents=REPEATED_SERIOUS, safety=safety), lang="en")
    assert "krisesenter" not in by_service(verdict)
    for referral in verdict.referrals:
        assert "turn up" not in referral.contact.lower() + referral.reason.lower(), referral.service
    assert by_service(verdict)["vo-linjen"].urgency == "now" or "immediate_danger" not in safety


def test_safety_questions_come_first_among_the_missing_facts(tmp_path: Path) -> None:
    """A provision that reads a safety fact lists it before the other missing facts, whatever the
    order the rule reads them in."""
    from eligibility.explain.screening import Screener

    directory = tmp_path / "rules"
    directory.mkdir()
    shutil.copy(ROOT / "rules" / "rulebook.yaml", directory / "rulebook.yaml")
    (directory / "zz-probe.yaml").write_text(yaml.safe_dump({
        "unit": "zz-probe", "law": "krisesenterlova", "section": "2",
        "title": {"nb": "Prøve", "en": "Probe"},
        "nodes": [{
            "id": "zz-probe", "valid_from": "2010-01-01", "title": {"nb": "Prøve", "en": "Probe"},
            "source": {"quote": "Paraphrase: a probe", "confidence": "DERIVED"},
            "provision": {"kind": "entitlement"},
            "all": ["zz-probe.a", "zz-probe.b", "zz-probe.c"],
            "explain": {"met": {"nb": "ja", "en": "yes"}, "not_met": {"nb": "nei", "en": "no"}},
        }] + [{
            "id": f"zz-probe.{name}", "valid_from": "2010-01-01", "title": {"nb": "Fakta", "en": "Facts"},
            "source": {"quote": "Paraphrase: a probe", "confidence": "DERIVED"},
            "when": test,
        } for name, test in (("a", {"fact": "relationship.type", "is": "marriage"}),
                             ("b", {"fact": "safety.immediate_danger", "is": False}),
                             ("c", {"fact": "applicant.needs_interpreter", "is": False}))],
    }, allow_unicode=True, sort_keys=False), encoding="utf-8")
    verdict = Screener(directory).screen(make_case(assessment_date=TODAY), lang="en")
    probe = next(p for p in verdict.provisions if p.provision == "zz-probe")
    assert [m.path for m in probe.missing] == [
        "safety.immediate_danger", "relationship.type", "applicant.needs_interpreter"]


def test_a_mistreated_child_brings_child_welfare_worded_with_care(screener: Any) -> None:
    child = dict(INCIDENT, victim="child")
    verdict = screener.screen(violence_case(incidents=[child]), lang="en")
    welfare = by_service(verdict)["barnevern"]
    assert welfare.urgency == "soon" and welfare.basis == "Child Welfare Act section 13-2"
    assert "does not in itself mean that the children will be moved" in welfare.reason
    assert "If you work for a public body" in welfare.reason and "section 13-2" in welfare.reason

    nb = by_service(screener.screen(violence_case(incidents=[child]), lang="nb"))["barnevern"]
    assert "betyr ikke i seg selv at barna blir flyttet" in nb.reason and "§ 13-2" in nb.reason

    adult_only = screener.screen(violence_case(incidents=[INCIDENT]), lang="en")
    assert "barnevern" not in by_service(adult_only)


def test_children_living_with_violence_bring_child_welfare(screener: Any) -> None:
    with_children = screener.screen(violence_case(safety={"children_in_household": True}), lang="en")
    assert "referral.children-exposed" in rules_fired(with_children)
    without = screener.screen(violence_case(safety={"children_in_household": False}), lang="en")
    assert "barnevern" not in by_service(without)
    no_violence = screener.screen(violence_case(incidents=[], safety={"children_in_household": True}), lang="en")
    assert "barnevern" not in by_service(no_violence)


def test_family_places_at_the_shelter_when_children_need_a_safe_place(screener: Any) -> None:
    child = dict(INCIDENT, victim="child")
    needs_home = screener.screen(violence_case(incidents=[child], safety={"housing_need": True}), lang="en")
    assert "referral.children-shelter" in rules_fired(needs_home)
    assert "Children can stay at the crisis shelter" in by_service(needs_home)["krisesenter"].reason
    housed = screener.screen(violence_case(incidents=[child], safety={"housing_need": False}), lang="en")
    assert "referral.children-shelter" not in rules_fired(housed)


def test_an_interpreter_must_be_qualified_and_never_a_child(screener: Any) -> None:
    verdict = screener.screen(violence_case(applicant={"birth_year": 1995, "needs_interpreter": True}), lang="en")
    interpreter = by_service(verdict)["interpreter"]
    assert interpreter.urgency == "now" and interpreter.basis == "Interpreting Act section 6"
    assert "qualified interpreter" in interpreter.reason
    assert "Children must not be used as interpreters (section 4)" in interpreter.reason
    assert "tolkeportalen.no" in interpreter.contact

    no_need = screener.screen(violence_case(applicant={"birth_year": 1995, "needs_interpreter": False}), lang="en")
    assert "interpreter" not in by_service(no_need)


def test_the_interpreting_act_is_not_cited_before_it_was_in_force(screener: Any) -> None:
    case = violence_case(applicant={"birth_year": 1990, "needs_interpreter": True}, ended="2021-03-01",
                         permits=[permit(valid_from="2020-01-01", valid_to="2023-12-31")])
    assert "interpreter" not in by_service(screener.screen(case, as_of=dt.date(2021, 12, 31)))
    assert "interpreter" in by_service(screener.screen(case, as_of=dt.date(2022, 1, 1)))


@pytest.mark.parametrize("indicator", ["honour_violence_indicators", "forced_marriage_indicators"])
def test_honour_violence_or_forced_marriage_brings_kompetanseteamet(screener: Any, indicator: str) -> None:
    verdict = screener.screen(violence_case(safety={indicator: True}), lang="en")
    team = by_service(verdict)["kompetanseteamet"]
    assert "Persons over 18 may contact the team directly" in team.reason
    assert "478 090 50" in team.contact and "kompetanseteamet@bufdir.no" in team.contact
    assert "bo-og-stottetilbud" in by_service(verdict)

    none = screener.screen(violence_case(safety={indicator: False}), lang="en")
    assert not {"kompetanseteamet", "bo-og-stottetilbud"} & set(by_service(none))


def test_a_child_exposed_to_honour_violence_goes_to_child_welfare_now(screener: Any) -> None:
    minor = screener.screen(violence_case(applicant={"birth_date": "2009-05-01"},
                                          safety={"honour_violence_indicators": True}), lang="en")
    assert by_service(minor)["barnevern"].urgency == "now"
    assert "under 18" in by_service(minor)["barnevern"].reason
    adult = screener.screen(violence_case(applicant={"birth_date": "2000-05-01"},
                                          safety={"honour_violence_indicators": True}), lang="en")
    assert "barnevern" not in by_service(adult)


def test_forced_marriage_indicators_state_the_lawsuit_deadline(screener: Any) -> None:
    verdict = screener.screen(violence_case(safety={"forced_marriage_indicators": True}), lang="en")
    assert "referral.forced-marriage-deadline" in warning_ids(verdict)
    text = next(w.text for w in verdict.warnings if w.id == "referral.forced-marriage-deadline")
    assert "within one year after the applicant became free of the coercion" in text
    assert "never later than five years after the wedding" in text
    assert "Marriage Act section 16 fourth paragraph" in text
    assert "referral.forced-marriage-deadline" in rules_fired(verdict)  # a lawyer brings the lawsuit
    nb = screener.screen(violence_case(safety={"forced_marriage_indicators": True}), lang="nb")
    assert "ekteskapsloven § 16 fjerde ledd" in next(w.text for w in nb.warnings
                                                      if w.id == "referral.forced-marriage-deadline")

    none = screener.screen(violence_case(safety={"forced_marriage_indicators": False}), lang="en")
    assert "referral.forced-marriage-deadline" not in warning_ids(none) | rules_fired(none)


def test_no_own_income_brings_nav(screener: Any) -> None:
    verdict = screener.screen(violence_case(safety={"own_income": False}), lang="en")
    nav = by_service(verdict)["nav"]
    assert "Social Services Act section 18" in nav.reason
    assert "does not require an income of one's own" in nav.reason
    earning = screener.screen(violence_case(safety={"own_income": True}), lang="en")
    assert "nav" not in by_service(earning)


def test_a_housing_need_brings_nav_the_housing_office_and_the_shelter(screener: Any) -> None:
    verdict = screener.screen(violence_case(safety={"housing_need": True}), lang="en")
    services = by_service(verdict)
    assert "section 27" in services["nav"].reason
    assert "section 15" in services["housing-office"].reason
    assert "referral.housing-after-violence" in rules_fired(verdict)
    housed = screener.screen(violence_case(safety={"housing_need": False, "immediate_danger": False,
                                                   "lives_with_abuser": False}), lang="en")
    assert not {"nav", "housing-office", "krisesenter"} & set(by_service(housed))


def test_an_individual_plan_when_both_income_and_housing_are_missing(screener: Any) -> None:
    both = screener.screen(violence_case(safety={"housing_need": True, "own_income": False}), lang="en")
    assert "referral.individual-plan" in rules_fired(both)
    assert "individual plan (Social Services Act section 28)" in by_service(both)["nav"].reason
    income_only = screener.screen(violence_case(safety={"housing_need": False, "own_income": False}), lang="en")
    assert "referral.individual-plan" not in rules_fired(income_only)


def test_an_open_section_53_route_brings_legal_help_and_udi(screener: Any) -> None:
    verdict = screener.screen(violence_case(), lang="en")
    services = by_service(verdict)
    assert {"lawyer", "jurk", "jussbuss", "udi"} <= set(services)
    assert "regardless of income or wealth" in services["jurk"].reason
    assert "not among the matters" in services["lawyer"].reason  # § 53 is not free legal advice
    assert "is free" in services["udi"].reason
    assert "see dinutvei.no" in services["jurk"].contact and "see dinutvei.no" in services["jussbuss"].contact

    no_violence = screener.screen(violence_case(incidents=[]), lang="en")
    assert not {"jurk", "jussbuss", "udi", "lawyer"} & set(by_service(no_violence))
    assert "referral.route-unclear" in rules_fired(no_violence)  # § 53(2)/(3) facts are unknown


def test_a_single_incident_needing_assessment_still_gets_legal_help_and_the_deadline(screener: Any) -> None:
    single = dict(INCIDENT, severity="moderate", repeated=False)
    verdict = screener.screen(violence_case(incidents=[single]), lang="en")
    assert next(p for p in verdict.provisions if p.provision == "utl-53-1-b").status == "needs_assessment"
    assert {"lawyer", "jussbuss", "udi"} <= set(by_service(verdict))
    assert "referral.apply-by" in warning_ids(verdict)


def test_death_of_the_spouse_opens_a_route_without_violence_referrals(screener: Any) -> None:
    case = make_case(permits=[permit()], abuse={"incidents": []},
                     relationship={"type": "marriage", "cohabitation_started": "2024-01-01",
                                   "cohabitation_ended": "2026-06-01", "end_reason": "death_of_reference_person"})
    verdict = screener.screen(case, lang="en")
    assert {"lawyer", "jussbuss", "udi"} <= set(by_service(verdict))
    assert not {"jurk", "krisesenter", "police"} & set(by_service(verdict))


def test_abuse_before_permanent_residence_never_suggests_waiting(screener: Any) -> None:
    case = violence_case(ended=None, safety={"lives_with_abuser": True},
                         permanent_residence={"self_supporting_12_months": False})
    verdict = screener.screen(case, lang="en")
    assert next(p for p in verdict.provisions if p.provision == "utl-62").status in ("not_met", "undetermined",
                                                                                   "needs_assessment")
    assert "referral.no-waiting" in rules_fired(verdict)
    lawyer = by_service(verdict)["lawyer"]
    assert "does not need to wait for permanent residence" in lawyer.reason
    assert "wrong and can be dangerous" in lawyer.reason
    nb = by_service(screener.screen(case, lang="nb"))["lawyer"]
    assert "trenger ikke vente på permanent oppholdstillatelse" in nb.reason

    no_violence = screener.screen(violence_case(incidents=[]), lang="en")
    assert "referral.no-waiting" not in rules_fired(no_violence)


def test_a_criminal_matter_that_may_lead_to_expulsion_brings_a_lawyer(screener: Any) -> None:
    pending = screener.screen(violence_case(incidents=[], permanent_residence={"criminal_matter_pending": True}),
                              lang="en")
    assert "referral.criminal-matter" in rules_fired(pending)
    assert "section 92" in by_service(pending)["lawyer"].reason
    clear = screener.screen(violence_case(incidents=[], permanent_residence={"criminal_matter_pending": False}),
                            lang="en")
    assert "lawyer" not in by_service(clear)


@pytest.mark.parametrize("lang", ["nb", "en"])
def test_no_referral_anywhere_advises_waiting_for_permanent_residence(screener: Any, lang: str) -> None:
    """Any referral text that mentions permanent residence says that waiting is not needed."""
    from eligibility.model.loader import load_case_file

    mention, negation = (("permanent opphold", "trenger ikke vente") if lang == "nb"
                         else ("permanent residence", "not need to wait"))
    for path in sorted((ROOT / "cases").glob("*.yaml")):
        for referral in screener.screen(load_case_file(path), lang=lang).referrals:
            for sentence_group in [referral.reason, referral.does]:
                if mention in sentence_group:
                    assert negation in sentence_group, (path.name, referral.service)


# --- the § 61(7) deadline --------------------------------------------------------------------------

def deadline_case(valid_to: str, on: dt.date, valid_from: str = "2024-01-01") -> Any:
    """Separated and known to be safe, so that the deadline is the most urgent matter (with safety
    unknown, the police on 112 come first: point 16)."""
    return violence_case(permits=[permit(valid_to=valid_to, valid_from=valid_from)], on=on,
                         safety={"immediate_danger": False, "lives_with_abuser": False})


def warning_text(verdict: Any, wid: str) -> str:
    return next(w.text for w in verdict.warnings if w.id == wid)


@pytest.mark.parametrize("valid_to, on, apply_by", [
    ("2028-03-31", dt.date(2027, 6, 1), "2028-02-29"),  # leap year: 31 March minus a month
    ("2027-03-31", dt.date(2026, 11, 26), "2027-02-28"),  # common year
    ("2027-12-31", dt.date(2026, 11, 26), "2027-11-30"),  # 31 → 30
    ("2027-01-15", dt.date(2026, 11, 26), "2026-12-15"),  # across the year end
])
def test_the_apply_by_date_across_month_ends_and_leap_years(screener: Any, valid_to: str, on: dt.date,
                                                            apply_by: str) -> None:
    assert add_months(dt.date.fromisoformat(valid_to), -1).isoformat() == apply_by
    verdict = screener.screen(deadline_case(valid_to, on), lang="en")
    assert "referral.apply-by" in warning_ids(verdict) and "referral.deadline-passed" not in warning_ids(verdict)
    text = warning_text(verdict, "referral.apply-by")
    assert apply_by in text and valid_to in text
    udi = by_service(verdict)["udi"]
    assert apply_by in udi.reason and "referral.apply-by" in {t.split("@")[0] for t in udi.triggered_by}
    nb = screener.screen(deadline_case(valid_to, on), lang="nb")
    assert apply_by in warning_text(nb, "referral.apply-by")
    assert "utl. § 61 sjuende ledd" in warning_text(nb, "referral.apply-by")


@pytest.mark.parametrize("valid_to, last_day", [("2028-03-31", dt.date(2028, 2, 29)),
                                                ("2027-03-31", dt.date(2027, 2, 28))])
def test_the_last_day_is_still_in_time_and_the_next_day_is_not(screener: Any, valid_to: str,
                                                                last_day: dt.date) -> None:
    on_time = screener.screen(deadline_case(valid_to, last_day), lang="en")
    assert "referral.apply-by" in warning_ids(on_time) and "referral.deadline-passed" not in warning_ids(on_time)
    assert by_service(on_time)["udi"].urgency == "now"  # less than a month left: apply now

    late = screener.screen(deadline_case(valid_to, last_day + dt.timedelta(days=1)), lang="en")
    assert "referral.deadline-passed" in warning_ids(late) and "referral.apply-by" not in warning_ids(late)
    text = warning_text(late, "referral.deadline-passed")
    assert last_day.isoformat() in text and "That date has passed" in text
    assert "no longer has a guaranteed right to stay" in text
    lawyer = late.referrals[0]
    assert (lawyer.service, lawyer.urgency) == ("lawyer", "now")
    assert "referral.deadline-passed" in {t.split("@")[0] for t in lawyer.triggered_by}


def test_more_than_a_month_before_the_last_day_the_udi_referral_is_soon(screener: Any) -> None:
    verdict = screener.screen(deadline_case("2027-12-31", TODAY), lang="en")
    assert by_service(verdict)["udi"].urgency == "soon"


def test_an_expired_permit_refers_to_a_lawyer_now(screener: Any) -> None:
    verdict = screener.screen(deadline_case("2026-10-31", TODAY), lang="en")
    assert "referral.permit-expired" in warning_ids(verdict)
    assert "no guaranteed right to stay" in warning_text(verdict, "referral.permit-expired")
    assert verdict.referrals[0].service == "lawyer" and verdict.referrals[0].urgency == "now"


def test_less_than_nine_months_on_the_permit_is_flagged(screener: Any) -> None:
    recent = screener.screen(deadline_case("2028-06-30", TODAY, valid_from="2026-07-01"), lang="en")
    assert "referral.lawful-residence-short" in rules_fired(recent)
    assert "less than 9 months" in by_service(recent)["lawyer"].reason
    settled = screener.screen(deadline_case("2028-06-30", TODAY, valid_from="2026-02-01"), lang="en")
    assert "referral.lawful-residence-short" not in rules_fired(settled)


def test_no_deadline_without_an_open_route(screener: Any) -> None:
    verdict = screener.screen(violence_case(incidents=[]), lang="en")
    assert not {"referral.apply-by", "referral.deadline-passed", "referral.permit-expired"} & warning_ids(verdict)


def test_the_passed_variant_agrees_with_the_apply_by_date_at_month_ends(screener: Any) -> None:
    verdict = screener.screen(deadline_case("2027-02-28", dt.date(2027, 1, 30)), lang="en")
    assert "referral.deadline-passed" in warning_ids(verdict)


# --- ordering -----------------------------------------------------------------------------------------

def test_referrals_are_ordered_by_urgency_then_catalogue_with_112_first(screener: Any) -> None:
    case = violence_case(
        ended=None, applicant={"birth_year": 1995, "needs_interpreter": True},
        safety={"immediate_danger": True, "lives_with_abuser": True, "housing_need": True, "own_income": False,
                "children_in_household": True, "honour_violence_indicators": True})
    verdict = screener.screen(case, lang="nb")
    assert verdict.referrals[0].service == "police" and verdict.referrals[0].urgency == "now"
    assert "112" in verdict.referrals[0].reason
    catalogue = list(screener.book.services)
    keys = [(URGENCY[r.urgency], catalogue.index(r.service)) for r in verdict.referrals]
    assert keys == sorted(keys)
    assert len({r.service for r in verdict.referrals}) == len(verdict.referrals)  # merged per service
    police = by_service(verdict)["police"]
    assert len(police.triggered_by) >= 2 and police.urgency == "now"  # merged at the most urgent level


# --- the catalogue -----------------------------------------------------------------------------------

def test_every_service_named_by_a_referral_rule_exists() -> None:
    book = load_rulebook(ROOT / "rules")
    named = {node.referral.service for versions in book.versions.values() for node in versions if node.referral}
    assert named and named <= set(book.services)
    assert list(book.services)[0] == "police"  # emergency first in the catalogue
    unused = set(book.services) - named
    assert not unused, f"services no rule refers to: {sorted(unused)}"


def rules_copy(tmp_path: Path) -> Path:
    directory = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", directory)
    return directory


def test_a_referral_to_an_unknown_service_is_refused(tmp_path: Path) -> None:
    directory = rules_copy(tmp_path)
    path = directory / "referrals.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["nodes"][0]["referral"]["service"] = "polise"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with pytest.raises(RuleFileError) as info:
        load_rulebook(directory)
    error = info.value
    assert (error.file, error.rule, error.field) == ("referrals.yaml", data["nodes"][0]["id"], "referral.service")
    assert "polise" in str(error)


def test_referrals_without_the_catalogue_are_refused(tmp_path: Path) -> None:
    directory = rules_copy(tmp_path)
    (directory / "services.yaml").unlink()
    with pytest.raises(RuleFileError) as info:
        load_rulebook(directory)
    assert info.value.file == "referrals.yaml" and info.value.field == "referral.service"


def test_every_service_has_nb_and_en_texts_and_a_cited_basis() -> None:
    book = load_rulebook(ROOT / "rules")
    for sid, service in book.services.items():
        for field in ("name", "does", "contact", "cost"):
            text = getattr(service, field)
            assert text.nb.strip() and text.en.strip(), (sid, field)
        assert (service.basis.law or "utlendingsloven") in book.meta.laws, sid
        assert service.basis.section and len(service.basis.quote) >= 3, sid
        if service.basis.quote.startswith("Paraphrase"):
            assert service.basis.confidence != "LAW-TEXT", sid


@pytest.mark.parametrize("lang", ["nb", "en"])
def test_every_suggestion_has_a_reason_and_a_basis_in_both_languages(screener: Any, lang: str) -> None:
    case = violence_case(
        ended=None, applicant={"birth_year": 1995, "needs_interpreter": True},
        safety={"immediate_danger": True, "lives_with_abuser": True, "housing_need": True, "own_income": False,
                "children_in_household": True, "honour_violence_indicators": True,
                "forced_marriage_indicators": True})
    verdict = screener.screen(case, lang=lang)
    assert len(verdict.referrals) >= 10
    for referral in verdict.referrals:
        assert referral.reason and referral.basis and referral.basis_quote and referral.contact, referral.service
        assert "{" not in referral.reason, referral.reason  # every placeholder filled


def test_only_verified_contact_facts_are_printed() -> None:
    book = load_rulebook(ROOT / "rules")
    phone = re.compile(r"(?<![\d-])\d{2,3}(?: \d{2,3})+(?![\d-])|(?<![\d-])\d{3,}(?![\d-])")
    address = re.compile(r"[\w.-]+@[\w.-]+\.\w+|\b[\w-]+\.no\b")
    for sid, service in book.services.items():
        for text in (service.contact.nb, service.contact.en):
            assert set(phone.findall(text)) <= VERIFIED_NUMBERS, (sid, text)
            assert set(address.findall(text)) <= VERIFIED_ADDRESSES, (sid, text)


def test_every_referral_rule_cites_a_declared_law_with_a_quote() -> None:
    book = load_rulebook(ROOT / "rules")
    rule_file = book.files["referrals.yaml"]
    assert rule_file.unit == "referrals"
    for node in rule_file.nodes:
        assert node.id.startswith("referral."), node.id
        assert (node.source.law or rule_file.law) in book.meta.laws, node.id
        assert len(node.source.quote) >= 3, node.id
        if node.source.quote.startswith("Paraphrase"):
            assert node.source.confidence != "LAW-TEXT", node.id
    for law in ("krisesenterlova", "sosialtjenesteloven", "tolkeloven", "barnevernsloven", "ekteskapsloven"):
        assert book.meta.laws[law].id.startswith("LOV-"), law


def test_verbatim_quotes_are_in_the_law_notes() -> None:
    notes = NOTES.read_text(encoding="utf-8")
    book = load_rulebook(ROOT / "rules")
    sources = [n.source for n in book.files["referrals.yaml"].nodes] + [s.basis for s in book.services.values()]
    for source in sources:
        if source.confidence == "LAW-TEXT":
            assert source.quote in notes, source.quote
