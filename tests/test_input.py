"""Bad input is the case's own error: every reading or validation problem of one case is an
`InputError` naming where it is (issue 9 points 2, 3 and 7), never a crash of the run."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from eligibility.loader import MAX_BYTES, InputError, load_case_file, parse_text, validate_case


def refused(text: str, fmt: str | None = None) -> InputError:
    with pytest.raises(InputError) as info:
        validate_case(parse_text(text.encode(), "case", fmt), "case")
    return info.value


@pytest.mark.parametrize("text, path, words", [
    ("case_id: x\nassessment_date: 2024-02-30\n", "assessment_date", "valid date"),
    ('{"case_id": "x", "assessment_date": "2024-02-30"}', "assessment_date", "valid date"),
    ("case_id: x\nassessment_date: 2009-12-31\n", "assessment_date", "from 2010-01-01"),
    ("case_id: x\nassessment_date: 0001-01-01\n", "assessment_date", "from 2010-01-01"),
    ("case_id: x\nassessment_date: 9999-12-31\n", "assessment_date", "at most 2100-12-31"),
    ("case_id: x\napplicant: {birth_date: 0001-01-01}\n", "applicant.birth_date", "between 1900-01-01"),
    ("case_id: x\npermits: [{valid_to: 9999-12-31}]\n", "permits.0.valid_to", "between 1900-01-01"),
    ("case_id: x\napplicant: {citizenship: NO}\n", "applicant.citizenship", "quote it"),
])
def test_a_bad_value_is_refused_with_its_path(text: str, path: str, words: str) -> None:
    error = refused(text)
    assert error.path == path and words in error.message


@pytest.mark.parametrize("text, fmt", [
    ("case_id: x\nrelationship: {children_together: " + "9" * 5000 + "}\n", None),
    ('{"case_id": "x", "relationship": {"children_together": ' + "9" * 5000 + "}}", "json"),
])
def test_a_number_of_thousands_of_digits_is_refused_not_converted(text: str, fmt: str | None) -> None:
    error = refused(text, fmt)
    assert "longer than 40 digits" in error.message


def test_a_yaml_flow_mapping_is_yaml_not_broken_json(tmp_path: Path) -> None:
    case = tmp_path / "c.yaml"
    case.write_text("{case_id: x, assessment_date: 2020-01-01}\n", encoding="utf-8")
    loaded = load_case_file(case)
    assert loaded.case_id == "x" and loaded.assessment_date == dt.date(2020, 1, 1)
    assert "not valid JSON" in refused('{"case_id": "x",, }').message  # broken JSON is still reported as JSON


def test_dates_written_in_yaml_still_are_dates() -> None:
    case = validate_case(parse_text(b"case_id: x\nrelationship: {married_on: 2015-03-01}\n", "c"), "c")
    assert case.relationship.married_on == dt.date(2015, 3, 1)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_named_pipe_is_read_once(tmp_path: Path) -> None:
    import threading

    fifo = tmp_path / "case.yaml"
    os.mkfifo(fifo)

    def feed() -> None:
        with open(fifo, "w", encoding="utf-8") as fh:
            fh.write("case_id: piped\n")

    writer = threading.Thread(target=feed)
    writer.start()
    assert load_case_file(fifo).case_id == "piped"
    writer.join(timeout=10)


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_an_endless_file_is_read_only_up_to_the_bound() -> None:
    with pytest.raises(InputError, match=f"larger than {MAX_BYTES // 1024} KiB"):
        load_case_file("/dev/zero")
