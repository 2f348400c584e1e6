"""Shared fixtures: one screener (rulebook + engine) per test session, as in production."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import os
import tempfile

import pytest
from hypothesis import HealthCheck, settings

from eligibility.model.case import Case
from eligibility.explain.screening import Screener

ROOT = Path(__file__).resolve().parent.parent

# Property tests (README, "Tests"): the default profile is quick and derandomized, so a run is
# never flaky and a failure repeats as it is; `HYPOTHESIS_PROFILE=exhaustive` draws ten times as
# many examples from a fresh seed each run and prints the blob that reproduces a failure.
settings.register_profile("default", derandomize=True, deadline=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("exhaustive", derandomize=False, deadline=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow])
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "default")
settings.load_profile(PROFILE)


def examples(quick: int) -> int:
    """How many examples a property test draws: ``quick`` by default, ten times as many in the
    exhaustive profile."""
    return quick * 10 if PROFILE == "exhaustive" else quick


_CACHE: list[tempfile.TemporaryDirectory[str]] = []


def pytest_configure(config: pytest.Config) -> None:
    """Compiled law epochs are cached in a folder of this run, never in the real home (ADR 0014).
    Set here, before collection, so that subprocesses and batch workers inherit it too; a
    pytest-xdist worker keeps the folder it inherited from the controller, so that an epoch one
    worker compiled is read by the other (entries are written atomically)."""
    if hasattr(config, "workerinput") and os.environ.get("ELIGIBILITY_CACHE_DIR"):
        return
    _CACHE.append(tempfile.TemporaryDirectory(prefix="eligibility-cache-"))
    os.environ["ELIGIBILITY_CACHE_DIR"] = _CACHE[-1].name


def pytest_unconfigure(config: pytest.Config) -> None:
    while _CACHE:
        _CACHE.pop().cleanup()


@pytest.fixture()
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private per-user data folder and a working directory that must stay empty."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return tmp_path


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


def with_check_digits(nine: str) -> str | None:
    """A fødselsnummer / D-number from its first nine digits (mod 11), or None if it has none:
    test identifiers are computed, never a real person's."""
    def control(digits: str, weights: tuple[int, ...]) -> int | None:
        k = 11 - sum(int(d) * w for d, w in zip(digits, weights)) % 11
        return 0 if k == 11 else None if k == 10 else k
    k1 = control(nine, (3, 7, 6, 1, 8, 9, 4, 5, 2))
    k2 = None if k1 is None else control(nine + str(k1), (5, 4, 3, 2, 7, 6, 5, 4, 3, 2))
    return None if k2 is None else f"{nine}{k1}{k2}"


def valid_number(birth: str, start: int = 0) -> str:
    """The first valid identity number for a birth date (ddmmyy) from individual number ``start``."""
    return next(n for i in range(start, 1000) if (n := with_check_digits(f"{birth}{i:03d}")))


def cli(*args: str) -> tuple[int, str, str]:
    """Run the command line in this process: (exit code, standard output, standard error)."""
    from click.testing import CliRunner

    from cli import main

    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr
