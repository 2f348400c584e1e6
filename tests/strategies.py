"""Hypothesis strategies for valid case files (as dicts), any field possibly absent."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import strategies as st

from eligibility.model.case import PermanentResidenceBasis, ReferenceStatus

bools = st.booleans()
dates = st.dates(dt.date(1990, 1, 1), dt.date(2027, 12, 31))
birth_dates = st.dates(dt.date(1945, 1, 1), dt.date(2012, 12, 31))


def section(fields: dict[str, st.SearchStrategy[Any]]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({}, optional=fields)


FIELDS: dict[str, dict[str, st.SearchStrategy[Any]]] = {
    "applicant": {
        "birth_date": birth_dates,
        "birth_year": st.integers(1945, 2012),
        "citizenship": st.sampled_from(["PK", "SY", "TH", "ER", "PH", "SO", "UA"]),
        "needs_interpreter": bools,
    },
    "reference_person": {
        "birth_date": birth_dates,
        "status": st.sampled_from([s.value for s in ReferenceStatus]),
        "permanent_residence_basis": st.sampled_from([b.value for b in PermanentResidenceBasis]),
        "lives_in_norway": bools,
        "entry_date": dates,
        "years_work_or_education": st.floats(0, 30, allow_nan=False),
        "expected_income": st.integers(0, 900_000),
        "previous_year_income": st.integers(0, 900_000),
        "received_social_assistance_12_months": bools,
    },
    "relationship": {
        "type": st.sampled_from(["marriage", "cohabitation"]),
        "married_on": dates,
        "cohabitation_started": dates,
        "cohabitation_ended": st.one_of(dates, st.none(), st.just(True)),
        "end_reason": st.sampled_from(["separation", "death_of_reference_person"]),
        "ended_by": st.sampled_from(["applicant", "reference_person", "mutual"]),
        "breakup_caused_by_abuse": bools,
        "intend_to_live_together": bools,
        "children_together": st.integers(0, 3),
        "expecting_child": bools,
        "either_married_to_other": bools,
        "lasting_obstacle_to_divorce": bools,
        "union_established_before_reference_entry": bools,
        "child_conceived_before_reference_entry": bools,
        "union_established_while_both_lawful": bools,
        "child_conceived_while_both_lawful": bools,
    },
    "abuse": {
        "incidents": st.lists(section({
            "kind": st.sampled_from(["physical", "psychological", "sexual", "threats", "isolation",
                                     "economic_control", "deportation_threats"]),
            "perpetrator": st.sampled_from(["reference_person", "household_member", "in_law", "other"]),
            "victim": st.sampled_from(["applicant", "child"]),
            "during_cohabitation": bools,
            "date": dates,
            "severity": st.sampled_from(["low", "moderate", "high"]),
            "repeated": bools,
        }), max_size=3),
        "reduced_quality_of_life": bools,
        "account_credible": bools,
        "evidence": st.lists(st.sampled_from(["own_account", "police_report", "medical_record",
                                              "shelter_confirmation", "witness", "messages"]),
                             max_size=3, unique=True),
        "evidence_independent": bools,
    },
    "home_country_hardship": {"expected": bools},
    "forced_marriage_lawsuit": {
        "filed": bools,
        "outcome": st.sampled_from(["pending", "annulled", "divorced", "dismissed"]),
        "applicant_used_coercion": bools,
    },
    "permanent_residence": {
        "months_abroad_last_3_years": st.floats(0, 24, allow_nan=False),
        "norwegian_oral_level": st.sampled_from(["none", "A1", "A2", "B1", "B2", "C1", "C2"]),
        "tests_exempt": bools,
        "social_studies_passed": bools,
        "self_supporting_12_months": bools,
        "self_support_exempt": bools,
        "meets_temporary_permit_conditions": bools,
        "criminal_matter_pending": bools,
        "additional_residence_time_running": bools,
    },
    "family_application": {
        "registered_on": dates,
        "documents_handed_in_on": dates,
        "reference_protection_granted_on": dates,
        "married_before_reference_entry": bools,
        "prevented_from_applying_in_time": bools,
    },
    "safety": {
        "immediate_danger": bools, "lives_with_abuser": bools, "housing_need": bools, "own_income": bools,
        "children_in_household": bools, "forced_marriage_indicators": bools, "honour_violence_indicators": bools,
    },
}

permits = st.lists(section({
    "basis": st.sampled_from(["utl-40", "utl-41", "utl-53", "utl-28", "utl-38", "utl-48", "eea-card",
                              "student", "work"]),
    "valid_from": dates,
    "valid_to": dates,
    "forms_basis_for_permanent": bools,
}), max_size=3)


@st.composite
def case_dicts(draw: st.DrawFn) -> dict[str, Any]:
    case: dict[str, Any] = {
        "case_id": f"gen-{draw(st.integers(0, 10**6))}",
        "assessment_date": draw(st.dates(dt.date(2010, 1, 1), dt.date(2027, 12, 31))),
    }
    for name, fields in FIELDS.items():
        if draw(bools):
            case[name] = draw(section(fields))
    if draw(bools):
        case["permits"] = draw(permits)
    applicant = case.get("applicant", {})
    if "birth_date" in applicant and "birth_year" in applicant:  # the case model refuses a mismatch
        applicant["birth_year"] = applicant["birth_date"].year
    return case
