"""The anonymisation guard (issue 9, points 3 and 4): separator variants of identity numbers and
phone numbers, the case_id rule that lets a clinic's own numbering through, linear scanning of
adversarial strings, and INPUT names kept out of invocation errors.

Every identity number here is built with the mod-11 algorithm from a made-up birth date and
individual number; none is a real person's."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main
from eligibility.model.identifiers import Finding, identifier_kinds, redact, scan_case

from .conftest import valid_number

MAX_BYTES = 256 * 1024


FNR = valid_number("150385", 331)  # 15 March 1985, as in the examples
DNR = valid_number("550385", 301)  # the same date as a D-number (first digit + 4)


def variants(number: str) -> list[str]:
    """The written forms of an 11-digit number: the issue's separator variants and the usual ones."""
    d, m, y, rest = number[:2], number[2:4], number[4:6], number[6:]
    return [f"{d}-{m}-{y}-{rest}", f"{d}{m}{y}_{rest}", f"{d}.{m}.{y}.{rest}", f"{d}{m}{y}.{rest}",
            f"{d}{m}{y}-{rest}", f"{d}{m}{y} {rest}", f"{d} {m} {y} {rest}", f"{d}/{m}/{y} {rest}",
            f"{d}{m}{y} - {rest}", number]


PHONE_VARIANTS = ["912.34.567", "91.23.45.67", "912_34_567", "912-34-567", "912 34 567", "91 23 45 67",
                  "9123 4567", "9123-4567", "91234567", "+47 912 34 567", "+47_912_34_567", "0047 912.34.567"]
GROUPED_PHONES = ["912.34.567", "91.23.45.67", "912_34_567", "912-34-567", "9123-4567", "9123.4567"]


@pytest.mark.parametrize("number", [FNR, DNR])
def test_every_separator_variant_of_an_identity_number_is_refused_in_text_and_in_case_id(number: str) -> None:
    kind = "d_number" if number == DNR else "national_id"
    for written in variants(number):
        assert identifier_kinds(f"ref {written}.") == [kind], written
        assert redact(f"ref {written}.") == "ref [redacted].", written
        if " " not in written and "/" not in written:  # the forms a case_id can take
            assert scan_case({"case_id": written}) == [Finding("case_id", kind)], written


def test_a_wrong_check_digit_is_no_identity_number_in_any_variant() -> None:
    wrong = FNR[:10] + str((int(FNR[10]) + 1) % 10)
    for written in variants(wrong):
        assert identifier_kinds(written) == [] and scan_case({"case_id": written}) == [], written


@pytest.mark.parametrize("phone", PHONE_VARIANTS)
def test_every_written_form_of_a_phone_number_is_refused_in_text(phone: str) -> None:
    assert identifier_kinds(f"ring {phone} i dag") == ["phone"]
    redacted = redact(f"ring {phone} i dag") or ""
    assert redacted.startswith("ring ") and redacted.endswith(" i dag") and not any(c.isdigit() for c in redacted)
    assert scan_case({"case_id": "x", "applicant": {"citizenship": phone}}) == [Finding("applicant.citizenship", "phone")]


@pytest.mark.parametrize("phone", GROUPED_PHONES)
def test_a_phone_number_written_in_groups_is_refused_in_case_id(phone: str) -> None:
    assert scan_case({"case_id": phone}) == [Finding("case_id", "phone")]
    assert scan_case({"case_id": f"kari-{phone}"}) == [Finding("case_id", "phone")]


def test_an_id_with_a_name_or_word_before_a_phone_number_is_refused() -> None:
    assert scan_case({"case_id": "kari-91234567"}) == [Finding("case_id", "phone")]
    assert scan_case({"case_id": "tlf91234567"}) == [Finding("case_id", "phone")]


def clinic_ids(r: random.Random) -> list[str]:
    """Realistic clinic numberings: 8 random digits, two-digit year + six-digit serial, year-serial."""
    return [f"{r.randrange(10**8):08d}", f"{r.randrange(100):02d}{r.randrange(10**6):06d}",
            f"20{r.randrange(100):02d}-{r.randrange(10**6):06d}", f"20{r.randrange(100):02d}-{r.randrange(10**4):04d}",
            f"{r.randrange(100):02d}-{r.randrange(10**6):06d}"]


def test_a_clinic_numbering_its_cases_with_digits_is_never_refused_as_phone_numbers() -> None:
    r = random.Random(9)
    for _ in range(2000):
        for case_id in clinic_ids(r):
            assert scan_case({"case_id": case_id}) == [], case_id
    assert scan_case({"case_id": 91234567}) == []  # left to the schema check (case_id is text)


def test_a_clinic_prefix_is_let_through_by_an_id_pattern_only() -> None:
    import re

    assert scan_case({"case_id": "K-91234567"}) == [Finding("case_id", "phone")]
    pattern = re.compile(r"K-\d{8}")
    assert scan_case({"case_id": "K-91234567"}, id_pattern=pattern) == []
    assert scan_case({"case_id": f"K-{FNR}"}, id_pattern=re.compile(r"K-\d+")) == [Finding("case_id", "national_id")]
    assert scan_case({"case_id": "K-912-34-567"}, id_pattern=pattern) == [Finding("case_id", "phone")]


def test_phone_numbers_elsewhere_are_refused_as_before() -> None:
    assert scan_case({"case_id": "x", "reference_person": {"expected_income": 91234567}}) == [
        Finding("reference_person.expected_income", "phone")]
    assert scan_case({"case_id": "x", "91234567": True})[0] == Finding("<field>", "phone")


@pytest.mark.parametrize("make", [
    lambda n: "0" * n, lambda n: "a@" * (n // 2), lambda n: "a." * (n // 2), lambda n: "1 " * (n // 2),
    lambda n: "12-" * (n // 3), lambda n: "+0" * (n // 2), lambda n: "00 " * (n // 3), lambda n: "a" * (n - 1) + "@",
    lambda n: "@a." * (n // 3), lambda n: "0" * (n - 1) + "@", lambda n: "1." * (n // 2 - 2) + "x@y",
])
def test_adversarial_strings_at_the_size_bound_are_scanned_and_an_identifier_after_them_is_found(make) -> None:  # type: ignore[no-untyped-def]
    text = make(MAX_BYTES)
    assert len(text) <= MAX_BYTES
    identifier_kinds(text)  # returns (in linear time: benchmarks/guard.py measures it)
    redact(text)
    tail = f"{text} ; {FNR[:6]}-{FNR[6:]} ; kari@example.no"
    assert {"national_id", "email"} <= set(identifier_kinds(tail))
    assert FNR[6:] not in (redact(tail) or "")[-40:] and "example" not in (redact(tail) or "")


def test_an_identifying_input_name_is_redacted_in_an_invocation_error(tmp_path: Path) -> None:
    missing = tmp_path / f"{FNR}.jsonl"
    result = CliRunner().invoke(main, ["batch", str(missing), "--out", str(tmp_path / "r.sqlite"), "--lang", "en"])
    assert result.exit_code == 2
    assert FNR not in result.output + result.stderr and "[redacted].jsonl: no such file" in result.stderr
    odd = tmp_path / "91234567.txt"
    odd.write_text("x", encoding="utf-8")
    result = CliRunner().invoke(main, ["batch", str(odd), "--out", str(tmp_path / "r.sqlite")])
    assert result.exit_code == 2 and "91234567" not in result.stderr and "ikke en støttet inndata" in result.stderr


def test_a_batch_run_with_the_clinics_id_pattern_screens_its_ids_and_still_refuses_identity_numbers(
        tmp_path: Path) -> None:
    import json
    import sqlite3

    source = tmp_path / "clinic.jsonl"
    ids = ["K-91234567", "K-45678901", f"K-{FNR}", "91234567", "2026-000123"]
    source.write_text("".join(json.dumps({"case_id": i}) + "\n" for i in ids), encoding="utf-8")
    db = tmp_path / "r.sqlite"
    result = CliRunner().invoke(main, ["batch", str(source), "--out", str(db), "-q", "--id-pattern", r"K-\d+"])
    assert result.exit_code == 3  # the identity number failed
    con = sqlite3.connect(db)
    stored = con.execute("SELECT case_id, status, error_path FROM cases ORDER BY seq").fetchall()
    con.close()
    assert stored == [("K-91234567", "ok", None), ("K-45678901", "ok", None), (None, "failed", "case_id"),
                      ("91234567", "ok", None), ("2026-000123", "ok", None)]
    without = CliRunner().invoke(main, ["batch", str(source), "--out", str(tmp_path / "s.sqlite"), "-q"])
    con = sqlite3.connect(tmp_path / "s.sqlite")
    assert [r[0] for r in con.execute("SELECT status FROM cases ORDER BY seq")] == ["failed", "failed", "failed", "ok", "ok"]
    con.close()
    assert without.exit_code == 3
    bad = CliRunner().invoke(main, ["batch", str(source), "--out", str(tmp_path / "t.sqlite"), "--id-pattern", "K-("])
    assert bad.exit_code == 2 and "--id-pattern: er ikke et regulært uttrykk" in bad.stderr


def test_a_year_and_a_serial_is_no_phone_number_but_the_same_digits_with_a_space_are() -> None:
    assert identifier_kinds("sak 2026-1234") == [] and identifier_kinds("sak 2026.1234") == []
    assert identifier_kinds("ring 2026 1234") == ["phone"]  # as the guard always read 2233 4455
    assert scan_case({"case_id": "2026-1234"}) == [] and scan_case({"case_id": "9123-4567"}) == [Finding("case_id", "phone")]
