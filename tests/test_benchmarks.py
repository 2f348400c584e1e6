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
