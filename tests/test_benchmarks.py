"""The batch benchmark's seeded case generator stays a mirror of tests/strategies.py (issue 11).

benchmarks/batch.py cannot use hypothesis (``.example()`` cannot be seeded), so it keeps its own
copy of the field lists. These tests fail when the two drift apart, or when the generator makes a
case the case model refuses (it made 136 such cases in 1,000 before: a mismatched birth year).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from eligibility.model.case import Case

BENCHMARK = Path(__file__).resolve().parent.parent / "benchmarks" / "batch.py"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_batch", BENCHMARK)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module._use_schema_enums()
    return module


def test_generator_fields_mirror_the_strategies(bench: ModuleType) -> None:
    assert bench.check_mirror() == []


def test_every_generated_case_is_valid(bench: ModuleType) -> None:
    refused = []
    for data in bench.generate(2000):
        try:
            Case.model_validate(data)
        except ValueError as error:
            refused.append(f"{data['case_id']}: {str(error).splitlines()[0:3]}")
    assert refused == []


def test_generator_is_seeded(bench: ModuleType) -> None:
    assert bench.generate(20) == bench.generate(20)


def _row(n: int, workers: int, rate: float, self_mib: float, worker_mib: float = 0.0) -> dict[str, object]:
    return {"n": n, "workers": workers, "engine": "durable", "rate": rate, "rates": [rate], "seconds": n / rate,
            "self_mib": self_mib, "worker_mib": worker_mib, "kb_per_case": 10.0, "failed": 0}


def test_every_issue_11_target_is_judged_with_its_margin(bench: ModuleType) -> None:
    rows = [_row(10_000, 2, 2500, 60, 100), _row(10_000, 1, 1300, 150),
            _row(100_000, 2, 1000, 60, 200), _row(100_000, 1, 1200, 160)]
    floors = {10_000: 40e-6, 100_000: 40e-6}
    engine = {"engine_ms": 1.2, "core_ms": 1.0, "firings": 190, "asserts": 39}
    table = {what: (measured, verdict) for what, measured, verdict in
             bench.target_rows(rows, floors, engine, ratios=[], cold=[])}
    assert table["≥ 2,000 cases/s, 2 workers, N = 10,000"] == ("2,500 cases/s", "met (1.25× margin)")
    assert table["≥ 2,000 cases/s, 2 workers, N = 100,000"] == ("1,000 cases/s", "NOT met (2.00× off)")
    assert table["cases/s, 1 worker, N = 100,000 (reported)"] == ("1,200 cases/s", "–")
    assert table["end to end (2 workers) ≤ 12× the input floor, N = 10,000"] == ("10× (40 µs a case)",
                                                                                "met (1.20× margin)")
    assert table["engine time ≤ 0.6 ms a case"] == ("1.20 ms", "NOT met (2.00× off)")
    assert table["results ≤ 8 KB a case"][1] == "NOT met (1.25× off)"
    flat2 = next(v for k, v in table.items() if k.startswith("memory flat in N (durable, 2 workers)"))
    assert flat2 == ("260 MiB (N = 10,000), 460 MiB (N = 100,000)", "NOT met (1.42× off)")
    assert any(k.startswith("engine ratio to before ADR 0010") for k in table)


def test_a_target_size_not_run_says_so(bench: ModuleType) -> None:
    table = {what: verdict for what, _, verdict in bench.target_rows(
        [_row(1000, 2, 500, 60, 100)], {1000: 40e-6}, None, ratios=[], cold=[])}
    assert table["≥ 2,000 cases/s, 2 workers, N = 10,000"].startswith("– (run without --quick")
