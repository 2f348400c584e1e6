"""A first application for family immigration (issue 12, relevance): a facts that cannot change a
provision's status is never listed missing. Her permit is granted but has not begun (`held:
false`), so she has held none: § 53 and § 62 are settled, and their permit questions not asked."""

from __future__ import annotations

from pathlib import Path

from eligibility.explain.screening import Screener
from eligibility.model.facts import qualifying_years
from eligibility.model.loader import load_case_file

CASE = Path(__file__).resolve().parent.parent / "cases" / "40-first-application-permit-not-begun.yaml"


def test_a_first_time_applicant_is_not_asked_about_permits_she_has_not_held(screener: Screener) -> None:
    verdict = screener.screen(load_case_file(CASE), lang="en")
    listed = {p.provision: [m.path for m in p.missing] for p in verdict.provisions}
    assert all(not paths for pid, paths in listed.items() if pid != "utl-40"), listed
    assert {p.provision: p.status for p in verdict.provisions if p.provision.startswith(("utl-53", "utl-62"))} == \
        dict.fromkeys(("utl-53-1-b", "utl-53-1-a", "utl-53-2", "utl-53-3", "utl-62"), "not_met")


def test_a_permit_not_begun_holds_no_time_but_an_unknown_one_stays_unknown() -> None:
    import datetime as dt

    from eligibility.model.case import Permit

    day = dt.date(2026, 11, 1)
    assert qualifying_years([Permit(basis="utl-40", held=False)], day) == 0
    assert qualifying_years([Permit(basis="utl-40")], day) is None  # unknown is never false
    assert qualifying_years([Permit(basis="utl-40", held=True)], day) is None
