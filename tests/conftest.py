"""Shared fixtures: one screener (rulebook + engine) per test session, as in production."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from eligibility.case import Case
from eligibility.screening import Screener

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def screener() -> Screener:
    return Screener(ROOT / "rules")


def make_case(**sections: Any) -> Case:
    """A case from keyword sections, e.g. make_case(relationship={...})."""
    data: dict[str, Any] = {"case_id": "test", "assessment_date": dt.date(2026, 11, 26)}
    data.update(sections)
    return Case.model_validate(data)


def statuses(verdict: Any) -> dict[str, str]:
    return {p.provision: p.status for p in verdict.provisions}


def provision(verdict: Any, pid: str) -> Any:
    return next(p for p in verdict.provisions if p.provision == pid)


def rule_ids(reasons: list[Any]) -> set[str]:
    """Rule ids without their version suffix."""
    return {r.rule.split("@")[0] for r in reasons}
