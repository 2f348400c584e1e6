"""Measurements: date arithmetic the deadline and residence rules rely on."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from eligibility.model.facts import add_months, full_years, months_before

from .conftest import examples

days = st.dates(dt.date(2000, 1, 1), dt.date(2040, 12, 31))


@settings(max_examples=examples(500))
@given(days, days, st.integers(1, 24))
def test_months_before_agrees_with_the_apply_by_date(as_of: dt.date, expiry: dt.date, months: int) -> None:
    """A deadline 'N months before expiry' has passed exactly when fewer than N months remain."""
    assert (months_before(as_of, expiry) < months) == (as_of > add_months(expiry, -months))


def test_month_ends_and_leap_years() -> None:
    assert add_months(dt.date(2028, 3, 31), -1) == dt.date(2028, 2, 29)
    assert add_months(dt.date(2027, 3, 31), -1) == dt.date(2027, 2, 28)
    assert add_months(dt.date(2026, 12, 31), 2) == dt.date(2027, 2, 28)
    assert full_years(dt.date(2008, 2, 29), dt.date(2026, 2, 28)) == 17
    assert full_years(dt.date(2008, 2, 29), dt.date(2026, 3, 1)) == 18
