"""Batch screening: mixed inputs, the anonymisation guard, hostile input, resume after a kill,
deterministic order with workers, exports and the summary."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import zlib
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from cli import main
from eligibility.batch import (CRASHED, SCHEMA_VERSION, _Header, _Pool, _Progress, csv_document, open_results,
                                read_receipt, run_batch)
from eligibility.model.identifiers import (Finding, _might_hold, _scan_text, _text_findings, identifier_kinds, is_national_id,
                                     redact, scan_case)
from eligibility.model.case import Case
from eligibility.batch.summary import build_summary, to_markdown, to_text

from .conftest import ROOT, valid_number

AS_OF = "2026-11-26"


# -- identifiers, computed with the mod-11 algorithm (tests/conftest.py) --------------------------------


FNR = valid_number("150385", 417)  # born 15 March 1985
DNR = valid_number("550385", 301)  # the D-number of the same birth date: first digit + 4
FNR_LEADING_ZERO = valid_number("070791", 123)
PHONE = "913 57 246"
EMAIL = "kari.nordmann@example.no"
SECRETS = [FNR, DNR, FNR_LEADING_ZERO, FNR_LEADING_ZERO[1:], PHONE, PHONE.replace(" ", ""), EMAIL, "kari.nordmann"]


def flip(digits: str, position: int) -> str:
    return digits[:position] + str((int(digits[position]) + 1) % 10) + digits[position + 1:]


def test_identity_numbers_with_valid_check_digits_are_detected() -> None:
    assert DNR[0] in "4567" and FNR[0] in "0123"
    for number in (FNR, DNR, FNR_LEADING_ZERO):
        assert is_national_id(number)
        assert identifier_kinds(number) == (["d_number"] if number == DNR else ["national_id"])
        assert identifier_kinds(f"fnr {number[:6]} {number[6:]}.") != []  # written with a space
        assert identifier_kinds(int(number)) != []  # as a number (also with its leading zero lost)
        assert identifier_kinds(f"sak-{number}") != []


@pytest.mark.parametrize("position", [9, 10])
def test_identity_numbers_with_a_wrong_check_digit_are_not(position: int) -> None:
    for number in (FNR, DNR, FNR_LEADING_ZERO):
        wrong = flip(number, position)
        assert not is_national_id(wrong)
        assert identifier_kinds(wrong) == [] and identifier_kinds(int(wrong)) == []
    assert not is_national_id(FNR[:10]) and not is_national_id(FNR + "0")


@pytest.mark.parametrize("text, kinds", [
    ("91357246", ["phone"]), ("tlf 913 57 246", ["phone"]), ("22 33 44 55", ["phone"]), ("2233 4455", ["phone"]),
    ("+47 913 57 246", ["phone"]), ("0047 91357246", ["phone"]), ("+44 20 7946 0958", ["phone"]),
    ("+1 (555) 123-4567", ["phone"]), ("kari.nordmann@example.no", ["email"]), ("x <a@b.org>", ["email"]),
    # not identifiers: dates, short numbers, example case ids, special numbers
    ("2026-11-26", []), ("20261126", []), ("26.11.2026", []), ("ex-53-physical-own-account", []),
    ("sak-2024-0001", []), ("12345678", []), ("07001234", []), ("1994", []), ("2024-001234567", []),
])
def test_phone_numbers_and_email_addresses(text: str, kinds: list[str]) -> None:
    assert identifier_kinds(text) == kinds
    if kinds:
        redacted = redact(f"at {text}!") or ""
        assert redacted.startswith("at ") and "[redacted]" in redacted
        assert "@" not in redacted and not any(ch.isdigit() for ch in redacted)


def test_numbers_that_look_like_identifiers() -> None:
    assert identifier_kinds(91357246) == ["phone"] and identifier_kinds(4791357246) == ["phone"]
    assert identifier_kinds(450000) == [] and identifier_kinds(1994) == [] and identifier_kinds(True) == []
    assert identifier_kinds(9999999) == [] and identifier_kinds(-9999999.0) == []  # 7 digits: never
    assert identifier_kinds(int(FNR_LEADING_ZERO)) == ["national_id"] and int(FNR_LEADING_ZERO) < 10**10


def test_the_quick_text_check_never_hides_an_identifier() -> None:
    """Strings without "@" or eight digits are not scanned further: every identifier the full scan
    finds has one of them."""
    import random

    r = random.Random(20261126)
    alphabet = "0123456789" * 3 + "00 +-.()@_/:,\nab\u0663\u0665x\u00a0\u2013"  # also non-ASCII digits
    pieces = [FNR, f"{FNR[:6]} {FNR[6:]}", DNR, PHONE, PHONE.replace(" ", ""), "91 35 72 46", "9135 7246",
              "+47 913 57 246", "0047 91357246", "+1 (555) 123-4567", EMAIL, "a@b.no", "2026-11-26", "20261126",
              f"{FNR[:2]}.{FNR[2:4]}.{FNR[4:6]}.{FNR[6:]}", f"{DNR[:6]}_{DNR[6:]}", "91.35.72.46", "913-57-246"]
    for i in range(20000):
        if i % 2:
            text = "".join(r.choice(alphabet) for _ in range(r.randint(0, 30)))
        else:
            text = "".join(r.choice(pieces) if r.random() < 0.5 else r.choice(alphabet) for _ in range(r.randint(1, 5)))
        assert _text_findings(text) == _scan_text(text), text
        if _scan_text(text):
            assert _might_hold(text), text


def test_the_guard_names_fields_outside_the_schema_and_identifying_values() -> None:
    findings = scan_case({
        "case_id": FNR, "notes": "called on Monday", "applicant": {"birth_year": 1990, "mobile": 91357246},
        "permits": [{"basis": "utl-40", "comment": "x"}], FNR: True, "Kari Nordmann": True, "typo_flag": True,
        "reference_person": {"expected_income": int(DNR)}, "abuse": {"incidents": [{"kind": EMAIL}]},
    })
    assert set(findings) == {
        Finding("case_id", "national_id"), Finding("notes", "free_text"), Finding("applicant.mobile", "phone"),
        Finding("permits.0.comment", "free_text"), Finding("<field>", "national_id"),
        Finding("<field>", "field_name"), Finding("reference_person.expected_income", "d_number"),
        Finding("abuse.incidents.0.kind", "email")}
    assert not any(secret in repr(findings) for secret in SECRETS)
    # a typo with a boolean value carries no text: left to the schema check
    assert scan_case({"case_id": "x", "typo_flag": True}) == []
    example = yaml.safe_load((ROOT / "cases" / "53-physical-own-account.yaml").read_text(encoding="utf-8"))
    assert scan_case(example) == []


# -- CSV -----------------------------------------------------------------------------------------

def test_csv_columns_are_dotted_paths_typed_by_the_schema() -> None:
    header = _Header(["case_id", "relationship.cohabitation_ended", "relationship.children_together",
                      "applicant.needs_interpreter", "reference_person.years_work_or_education",
                      "permits.0.basis", "permits.0.valid_from", "permits.2.basis", "abuse.incidents",
                      "abuse.evidence.0", "abuse.evidence.1", "applicant.citizenship"], "t.csv")
    doc = csv_document(header, ["00123", "null", "2", "true", "3.5", "utl-40", "2024-01-01", "utl-53", "[]",
                                "own_account", "", " PK "])
    assert doc == {"case_id": "00123", "relationship": {"cohabitation_ended": None, "children_together": 2},
                   "applicant": {"needs_interpreter": True, "citizenship": "PK"},
                   "reference_person": {"years_work_or_education": 3.5},
                   "permits": [{"basis": "utl-40", "valid_from": "2024-01-01"}, {"basis": "utl-53"}],
                   "abuse": {"incidents": [], "evidence": ["own_account"]}}
    case = Case.model_validate(doc)
    assert "cohabitation_ended" in case.relationship.model_fields_set and case.relationship.cohabitation_ended is None
    assert csv_document(header, ["x", "", "", "", "", "", "", "", "", "", "", ""]) == {"case_id": "x"}
    assert csv_document(header, ["x", "2026-08-01"])["relationship"] == {"cohabitation_ended": "2026-08-01"}
    norwegian = csv_document(header, ["x", "1.8.2026", "", "", "2,5"])  # as Excel writes in Norwegian settings
    assert norwegian["relationship"] == {"cohabitation_ended": "2026-08-01"}
    assert norwegian["reference_person"] == {"years_work_or_education": 2.5}


def test_a_semicolon_separated_csv_is_read(tmp_path: Path) -> None:
    source = tmp_path / "excel.csv"
    source.write_bytes("\ufeffcase_id;relationship.type;relationship.cohabitation_ended;assessment_date\r\n"
                       "s-1;marriage;1.8.2026;26.11.2026\r\n".encode("utf-8"))
    db = tmp_path / "r.sqlite"
    report = run_batch([source], db)
    assert (report.screened, report.failed) == (1, 0)
    verdict = verdict_of(db, rows(db)[0]["key"])
    assert verdict["case_id"] == "s-1" and verdict["assessment_date"] == "2026-11-26"


@pytest.mark.parametrize("encoding, words", [
    ("cp1252", "it looks like Windows-1252"),  # Excel's "CSV (semikolondelt)" in Norwegian settings
    (None, "some other encoding"),  # 0x81 is no character in Windows-1252 either
])
def test_a_csv_file_not_in_utf8_is_refused_whole_saying_save_as_csv_utf8(tmp_path: Path, encoding: str | None,
                                                                         words: str) -> None:
    from eligibility.model.loader import InputError

    text = "case_id;relationship.type\r\ns-1;marriage\r\ns-2;marriage\r\n"
    data = (text + "s-\u00f8;marriage\r\n").encode(encoding) if encoding else text.encode() + b"s-\x81;x\r\n"
    source = tmp_path / "excel.csv"
    source.write_bytes(data)
    with pytest.raises(InputError, match=words) as refused:
        run_batch([source], tmp_path / "r.sqlite")
    assert "(line 4)" in str(refused.value) and 'save it as "CSV UTF-8"' in str(refused.value)
    assert not (tmp_path / "r.sqlite").exists()  # nothing screened: not the rows without \u00f8 alone


def test_a_misspelt_column_is_a_typo_with_the_column_it_means() -> None:
    from eligibility.model.loader import InputError

    with pytest.raises(InputError) as refused:
        _Header(["case_id", "relationship.cohabitaton_ended", "permits.0.bassis"], "t.csv")
    assert ("unknown column `relationship.cohabitaton_ended`; did you mean `relationship.cohabitation_ended`? "
            "(column 2 of the header)") in str(refused.value)
    with pytest.raises(InputError, match="did you mean `permits.0.basis`"):
        _Header(["case_id", "permits.0.bassis"], "t.csv")
    assert _Header(["case_id", "notes"], "t.csv").columns[1] == ["notes"]  # like no field: the guard's matter


def test_a_misspelt_field_with_text_is_a_typo_before_the_free_text_guard(tmp_path: Path) -> None:
    source = tmp_path / "cases.jsonl"
    source.write_text(json.dumps({"case_id": "t-1", "relationship": {"cohabitaton_ended": "2026-08-01"}}) + "\n"
                      + json.dumps({"case_id": "t-2", "relationship": {"note": "ring Kari"}}) + "\n",
                      encoding="utf-8")
    db = tmp_path / "r.sqlite"
    run_batch([source], db)
    typo, note = rows(db)
    assert typo["error_path"] == "relationship.cohabitaton_ended"
    assert typo["error_message"] == "unknown field; did you mean `relationship.cohabitation_ended`?"
    assert "free text" in note["error_message"] and "--allow-identifiers" in note["error_message"]


@pytest.mark.parametrize("cells, words", [
    (["case_id", "case_id"], "repeats column 1"),
    (["case_id", "permits.0.basis", "permits.x.basis"], "disagree"),
    (["case_id", "relationship..type"], "not a dotted field path"),
    (["", ""], "no header"),
])
def test_bad_csv_headers_are_refused(cells: list[str], words: str) -> None:
    from eligibility.model.loader import InputError

    with pytest.raises(InputError, match=words):
        _Header(cells, "t.csv")


# -- a mixed batch: folder, JSON Lines, CSV; valid, invalid, identifying, hostile -----------------

def example(name: str, case_id: str | None = None) -> dict[str, Any]:
    doc = yaml.safe_load((ROOT / "cases" / f"{name}.yaml").read_text(encoding="utf-8"))
    if case_id:
        doc["case_id"] = case_id
    return json.loads(json.dumps(doc, default=lambda d: d.isoformat()))


VALID = ["53-physical-own-account", "53-single-incident", "53-facts-missing", "62-missing-facts", "40-citizen-spouse-entitled"]

# key or location -> (status, error path, words in the message)
EXPECTED: dict[str, tuple[str, str | None, str]] = {
    "folder/a-valid.yaml": ("ok", None, ""),
    "folder/b-valid.json": ("ok", None, ""),
    "folder/c-alias.yaml": ("failed", None, "anchors"),
    "folder/d-big.yaml": ("failed", None, "larger than 256 KiB"),
    "folder/e-latin1.yaml": ("failed", None, "not UTF-8"),
    "folder/f-deep.json": ("failed", None, "nested deeper"),
    "folder/g-fnr-case-id.yaml": ("failed", "case_id", "national identity number"),
    "folder/h-unknown-free-text.yaml": ("failed", "relationship.note", "free text"),
    "folder/i-typo.yaml": ("failed", "applicant.bith_year", "unknown field"),
    "folder/j-empty.yaml": ("failed", None, "must be a mapping"),
    "cases.jsonl:1": ("ok", None, ""),
    "cases.jsonl:2": ("ok", None, ""),
    "cases.jsonl:4": ("failed", None, "not valid JSON"),
    "cases.jsonl:5": ("failed", "reference_person.expected_income", "D-number"),
    "cases.jsonl:6": ("failed", "contact", "free text"),
    "cases.jsonl:7": ("failed", "<field>", "national identity number"),
    "cases.jsonl:8": ("failed", None, "nested deeper"),
    "cases.jsonl:9": ("failed", None, "line is larger"),
    "cases.jsonl:10": ("failed", None, "not UTF-8"),
    "cases.jsonl:11": ("failed", "case_id", "repeats the case at"),
    "cases.jsonl:12": ("failed", "relationship.type", "Input should be"),
    "cases.jsonl:13": ("ok", None, ""),
    "cases.csv:2": ("ok", None, ""),
    "cases.csv:3": ("failed", "case_id", "phone number"),
    "cases.csv:4": ("failed", "notes", "free text"),
    "cases.csv:5": ("failed", "assessment_date", "date"),
    "cases.csv:6": ("failed", "relationship.ended_by", "Input should be"),
    "cases.csv:7": ("ok", None, ""),
    "cases.csv:8": ("failed", None, "nested deeper"),
}


def make_inputs(base: Path) -> list[Path]:
    folder = base / "folder"
    folder.mkdir()
    (folder / "a-valid.yaml").write_text(yaml.safe_dump(example(VALID[0], "f-1")), encoding="utf-8")
    (folder / "b-valid.json").write_text(json.dumps(example(VALID[1], "f-2")), encoding="utf-8")
    (folder / "c-alias.yaml").write_text("case_id: x\na: &a [1, 2]\nb: [*a, *a]\n", encoding="utf-8")
    (folder / "d-big.yaml").write_text("case_id: big\n" + "# padding\n" * 30000, encoding="utf-8")
    (folder / "e-latin1.yaml").write_bytes(b"case_id: caf\xe9\n")
    (folder / "f-deep.json").write_text("[" * 50000 + "]" * 50000, encoding="utf-8")
    (folder / "g-fnr-case-id.yaml").write_text(f"case_id: '{FNR}'\n", encoding="utf-8")
    (folder / "h-unknown-free-text.yaml").write_text(f"case_id: h\nrelationship:\n  note: ring {PHONE}\n",
                                                      encoding="utf-8")
    (folder / "i-typo.yaml").write_text("case_id: i\napplicant: {bith_year: 1990}\n", encoding="utf-8")
    (folder / "j-empty.yaml").write_text("", encoding="utf-8")
    (folder / "notes.txt").write_text("not a case", encoding="utf-8")  # ignored: not a case file

    lines = [
        json.dumps(example(VALID[2], "j-1")),
        json.dumps(example(VALID[3], "j-2")),
        "",  # blank lines are skipped
        "{not json",
        json.dumps({"case_id": "j-dnr", "reference_person": {"expected_income": int(DNR)}}),
        json.dumps({"case_id": "j-contact", "contact": EMAIL}),
        json.dumps({"case_id": "j-key", FNR: True}),
        "[" * 100000,
        json.dumps({"case_id": "j-huge", "x": "y" * 300_000}),
        None,  # non-UTF-8, below
        json.dumps({"case_id": "j-1"}),
        json.dumps({"case_id": "j-bad", "relationship": {"type": "kari.nordmann"}}),
        json.dumps(example(VALID[4], "j-3")),
    ]
    raw = b"".join((line.encode() if line is not None else b'{"case_id": "j-\xff"}') + b"\n" for line in lines)
    (base / "cases.jsonl").write_bytes(raw)

    header = ("case_id,assessment_date,relationship.type,relationship.cohabitation_ended,relationship.ended_by,"
              "abuse.incidents.0.kind,abuse.incidents.0.perpetrator,abuse.incidents.0.victim,"
              "abuse.incidents.0.during_cohabitation,abuse.incidents.0.severity,abuse.incidents.0.repeated,"
              "abuse.account_credible,abuse.reduced_quality_of_life,reference_person.status,permits.0.basis,"
              "permits.0.valid_from,permits.0.valid_to,notes,abuse.incidents.0.kind.a.b.c.d.e.f.g")
    rows = [
        f"c-1,{AS_OF},marriage,2026-08-01,reference_person,physical,reference_person,applicant,true,high,true,"
        "true,true,norwegian_citizen,utl-40,2024-01-01,2027-01-01,,",
        f"kari-{PHONE.replace(' ', '')},{AS_OF},marriage,,,,,,,,,,,,,,,,",
        f"c-3,{AS_OF},marriage,,,,,,,,,,,,,,,ring Kari,",
        "c-4,31.02.2026,,,,,,,,,,,,,,,,,",
        f"c-5,{AS_OF},marriage,true,somebody,,,,,,,,,,,,,,",
        f"c-6,{AS_OF},cohabitation,null,,,,,,,,,,,,,,,",
        "c-7,,,,,,,,,,,,,,,,,,x",
    ]
    text = header + "\n" + "\n".join(rows) + "\n"
    (base / "cases.csv").write_text(text, encoding="utf-8")
    return [folder, base / "cases.jsonl", base / "cases.csv"]


def location(row: sqlite3.Row) -> str:
    source = Path(row["source"])
    name = f"{source.parent.name}/{source.name}" if source.parent.name == "folder" else source.name
    return f"{name}:{row['line']}" if row["line"] is not None else name


def rows(db: Path) -> list[sqlite3.Row]:
    con = sqlite3.connect(db)
    con.row_factory = sqlite3.Row
    try:
        return con.execute("SELECT * FROM cases ORDER BY seq").fetchall()
    finally:
        con.close()


def verdict_of(db: Path, key: str) -> dict[str, Any]:
    """The verdict of a stored case, regenerated from the case and rulebook the results keep."""
    from eligibility.batch.replay import Replay

    con = sqlite3.connect(db)
    try:
        return json.loads(Replay(con, str(db)).verdict_json(key))
    finally:
        con.close()


def receipt_of(db: Path, key: str) -> str:
    from eligibility.batch.replay import Replay

    con = sqlite3.connect(db)
    try:
        return Replay(con, str(db)).receipt_json(key)
    finally:
        con.close()


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    base = tmp_path_factory.mktemp("mixed")
    inputs = make_inputs(base)
    db = base / "results.sqlite"
    result = CliRunner().invoke(main, ["batch", *map(str, inputs), "--out", str(db), "--lang", "en"],
                                catch_exceptions=False)
    return {"base": base, "inputs": inputs, "db": db, "result": result}


def test_mixed_inputs_each_case_gets_its_own_row(mixed: dict[str, Any]) -> None:
    assert mixed["result"].exit_code == 3  # some cases failed, the run completed
    found = {location(r): r for r in rows(mixed["db"])}
    assert set(found) == set(EXPECTED)
    for where, (status, path, words) in EXPECTED.items():
        row = found[where]
        assert row["status"] == status, (where, row["error_message"])
        assert row["error_path"] == path, where
        assert words in (row["error_message"] or ""), (where, row["error_message"])
        if status == "ok":
            verdict = verdict_of(mixed["db"], row["key"])
            assert verdict["case_digest"] == row["case_digest"] and len(row["rules_digest"]) == 64
            assert hashlib.sha256(zlib.decompress(row["case_zlib"])).hexdigest() == row["case_digest"]
            assert "trace" not in verdict  # the receipt holds the rules' trace
            assert row["receipt_zlib"] is None  # built when asked (ADR 0013), not in the run
        else:
            assert row["case_zlib"] is None and row["receipt_zlib"] is None
    assert [r["seq"] for r in rows(mixed["db"])] == list(range(1, len(EXPECTED) + 1))
    assert "29 cases: 7 screened, 0 already done, 22 failed" in mixed["result"].stderr


def test_csv_rows_are_screened_with_their_typed_values(mixed: dict[str, Any]) -> None:
    found = {location(r): r for r in rows(mixed["db"])}
    verdict = verdict_of(mixed["db"], found["cases.csv:2"]["key"])
    assert {p["provision"]: p["status"] for p in verdict["provisions"]}["utl-53-1-b"] == "met"
    still_together = verdict_of(mixed["db"], found["cases.csv:7"]["key"])  # cohabitation_ended: null
    assert {p["provision"]: p["status"] for p in still_together["provisions"]}["utl-53-1-b"] == "not_met"


def test_identifiers_never_reach_the_results_or_the_messages(mixed: dict[str, Any]) -> None:
    db: Path = mixed["db"]
    stored = b"".join(p.read_bytes() for p in db.parent.glob(db.name + "*"))
    output = (mixed["result"].stdout + mixed["result"].stderr).encode()
    for secret in SECRETS:
        assert secret.encode() not in stored, secret
        assert secret.encode() not in output, secret
    con = sqlite3.connect(db)
    run = con.execute("SELECT allow_identifiers, status FROM runs").fetchall()
    con.close()
    assert run == [(0, "complete")]


def test_allow_identifiers_is_an_explicit_opt_out_recorded_in_the_run(tmp_path: Path) -> None:
    source = tmp_path / "ids.jsonl"
    source.write_text(json.dumps(dict(example(VALID[0]), case_id=FNR)) + "\n", encoding="utf-8")
    db = tmp_path / "r.sqlite"
    report = run_batch([source], db, as_of=dt.date.fromisoformat(AS_OF))
    assert (report.screened, report.failed) == (0, 1)
    report = run_batch([source], db, as_of=dt.date.fromisoformat(AS_OF), allow_identifiers=True)
    assert (report.screened, report.failed) == (1, 0)
    con = sqlite3.connect(db)
    assert con.execute("SELECT allow_identifiers FROM runs ORDER BY id").fetchall() == [(0,), (1,)]
    assert con.execute("SELECT case_id, status FROM cases").fetchall() == [(FNR, "ok")]  # the failed row is gone
    con.close()
    assert "identifiers were allowed" in to_text(build_summary(db, "en"), "en")


def test_workers_give_the_same_results_in_the_same_order(mixed: dict[str, Any], tmp_path: Path) -> None:
    db = tmp_path / "parallel.sqlite"
    report = run_batch(mixed["inputs"], db, workers=2, lang="en")
    assert (report.screened, report.failed, report.total) == (7, 22, 29)

    def table(path: Path) -> list[tuple[Any, ...]]:
        con = sqlite3.connect(path)
        try:
            return [(r["seq"], r["key"], r["status"], r["case_zlib"], r["apply_by"], r["notes_json"],
                     receipt_of(path, r["key"]) if r["status"] == "ok" else None,
                     r["error_path"], r["error_message"]) for r in rows(path)]
        finally:
            con.close()
    assert table(db) == table(mixed["db"])  # receipts byte-identical whatever the number of workers


def test_stored_receipts_verify(mixed: dict[str, Any]) -> None:
    from eligibility.audit import verify_receipt
    from eligibility.explain.screening import Screener

    from eligibility.batch.replay import Replay

    con = sqlite3.connect(mixed["db"])
    try:
        receipts = [Replay(con, "r").receipt_json(r["key"]) for r in rows(mixed["db"]) if r["status"] == "ok"]
        with pytest.raises(ValueError, match="not screened"):
            Replay(con, "r").receipt_json(next(r["key"] for r in rows(mixed["db"]) if r["status"] == "failed"))
        with pytest.raises(KeyError):
            Replay(con, "r").receipt_json("no such case")
    finally:
        con.close()
    assert receipts and all(r is not None for r in receipts)
    screener = Screener()
    for text in receipts:
        result = verify_receipt(json.loads(text), screener)
        assert result.ok, result.detail


def test_stored_verdicts_and_receipts_are_those_of_screen(tmp_path: Path) -> None:
    """The verdict regenerated is `screen --format json` without its trace; the receipt stored with
    ``--receipts full``, once decompressed, and the one regenerated from the stored case are byte
    for byte the receipt of `screen --receipt` (whose trace is the verdict's)."""
    case = tmp_path / "c.yaml"
    case.write_text(yaml.safe_dump(example(VALID[0], "r-1")), encoding="utf-8")
    runner = CliRunner()
    screened = runner.invoke(main, ["screen", str(case), "--format", "json", "--as-of", AS_OF, "--lang", "en",
                                    "--receipt", str(tmp_path / "r.json")], catch_exceptions=False)
    assert screened.exit_code == 0
    db = tmp_path / "r.sqlite"
    run_batch([case], db, as_of=dt.date.fromisoformat(AS_OF), lang="en", receipts="full")
    (row,) = rows(db)
    full = json.loads(screened.stdout)
    trace = full.pop("trace")
    assert verdict_of(db, row["key"]) == full
    con = sqlite3.connect(db)
    try:
        receipt = read_receipt(con, row["key"])
    finally:
        con.close()
    assert receipt is not None and receipt + "\n" == (tmp_path / "r.json").read_text(encoding="utf-8")
    lean = tmp_path / "lean.sqlite"
    run_batch([case], lean, as_of=dt.date.fromisoformat(AS_OF), lang="en")
    assert rows(lean)[0]["receipt_zlib"] is None and receipt_of(lean, row["key"]) == receipt
    assert hashlib.sha256(receipt.encode()).hexdigest() == row["receipt_sha256"]
    assert json.loads(receipt)["trace"] == trace
    con = sqlite3.connect(db)
    con.execute("UPDATE cases SET receipt_zlib = ?", (zlib.compress(receipt.replace("met", "mot").encode()),))
    with pytest.raises(ValueError, match="does not match"):
        read_receipt(con, row["key"])
    con.close()


def as_schema_3(db: Path) -> None:
    """Turn a results file into one of schema 3 (verdicts stored whole, titles in each row)."""
    from eligibility.batch.replay import Replay

    con = sqlite3.connect(db)
    replay = Replay(con, str(db))
    verdicts = {k: replay.verdict_json(k) for (k,) in con.execute("SELECT key FROM cases WHERE status = 'ok'")}
    con.executescript(
        "ALTER TABLE cases ADD COLUMN verdict_json TEXT; ALTER TABLE cases ADD COLUMN verdict_sha256 TEXT; "
        "ALTER TABLE provisions ADD COLUMN title TEXT NOT NULL DEFAULT ''; "
        "ALTER TABLE referrals ADD COLUMN name TEXT NOT NULL DEFAULT ''; "
        "UPDATE provisions SET title = (SELECT text FROM titles t JOIN cases c ON c.key = provisions.case_key "
        "WHERE t.id = provisions.provision AND t.rules_digest = c.rules_digest AND t.lang = c.lang); "
        "UPDATE referrals SET name = (SELECT text FROM titles t JOIN cases c ON c.key = referrals.case_key "
        "WHERE t.id = referrals.service AND t.rules_digest = c.rules_digest AND t.lang = c.lang); "
        "UPDATE cases SET apply_by = NULL, notes_json = NULL, case_zlib = NULL; DELETE FROM titles; "
        "CREATE TABLE missing (case_key TEXT NOT NULL, provision TEXT NOT NULL, path TEXT NOT NULL, "
        "PRIMARY KEY (case_key, provision, path)); INSERT INTO missing SELECT c.key, g.value ->> 0, m.value "
        "FROM cases c, json_each(c.missing_json) g, json_each(g.value, '$[1]') m ORDER BY c.seq, g.key, m.key; "
        "UPDATE cases SET missing_json = NULL; DELETE FROM rulebooks; PRAGMA user_version = 3;")
    con.executemany("UPDATE cases SET verdict_json = ? WHERE key = ?", [(v, k) for k, v in verdicts.items()])
    con.commit()
    con.close()


def test_results_of_an_older_schema_are_read_but_not_written(tmp_path: Path) -> None:
    """A schema-3 file (verdicts stored whole) gives the same summary and export as schema 4 (the
    texts rendered at read time), keeps its stored receipts, is never written, and `receipt`
    says why it cannot regenerate one."""
    db = tmp_path / "old.sqlite"
    run_batch([ROOT / "cases"], db, as_of=dt.date.fromisoformat(AS_OF), receipts="full")
    summary = {lang: to_text(build_summary(db, lang), lang) for lang in ("nb", "en")}
    runner = CliRunner()
    assert runner.invoke(main, ["batch", str(ROOT / "cases"), "--out", str(tmp_path / "x.jsonl"), "--format",
                                "jsonl", "--as-of", AS_OF, "-q"]).exit_code == 0
    con = sqlite3.connect(db)
    key, receipt = next((k, read_receipt(con, k)) for (k,) in con.execute("SELECT key FROM cases"))
    con.close()
    as_schema_3(db)
    assert SCHEMA_VERSION == 4
    result = runner.invoke(main, ["batch", str(ROOT / "cases"), "--out", str(db)])
    assert result.exit_code == 2 and "eldre eligibility" in result.output and "ny --out" in result.output
    assert "Traceback" not in result.output
    assert {lang: to_text(build_summary(db, lang), lang) for lang in summary} == summary
    from eligibility.batch import export_jsonl

    export_jsonl(db, tmp_path / "old.jsonl")
    assert (tmp_path / "old.jsonl").read_text(encoding="utf-8") == (tmp_path / "x.jsonl").read_text(encoding="utf-8")
    con = open_results(db, create=False)
    try:
        assert con.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 1  # the refused run left no trace
        assert read_receipt(con, key) == receipt
    finally:
        con.close()
    refused = runner.invoke(main, ["receipt", str(db), key])
    assert refused.exit_code == 2 and "results schema 3" in refused.output and "Traceback" not in refused.output


# -- resume after SIGKILL -------------------------------------------------------------------------

def check_consistent(db: Path) -> list[sqlite3.Row]:
    """Whole cases only: every stored verdict with all its provisions, referrals and missing facts."""
    con = sqlite3.connect(db)
    con.row_factory = sqlite3.Row
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        cases = con.execute("SELECT * FROM cases ORDER BY seq").fetchall()
        for table in ("provisions", "referrals"):
            assert con.execute(f"SELECT COUNT(*) FROM {table} WHERE case_key NOT IN (SELECT key FROM cases)"
                               ).fetchone()[0] == 0
        for row in cases:
            assert row["status"] == "ok"
            verdict = verdict_of(db, row["key"])
            stored = {p: s for p, s in con.execute("SELECT provision, status FROM provisions WHERE case_key = ?",
                                                  (row["key"],))}
            assert stored == {p["provision"]: p["status"] for p in verdict["provisions"]}
            n_ref = con.execute("SELECT COUNT(*) FROM referrals WHERE case_key = ?", (row["key"],)).fetchone()[0]
            assert n_ref == len(verdict["referrals"])
            n_missing = sum(len(paths) for _, paths in json.loads(row["missing_json"] or "[]"))
            assert n_missing == len({(p["provision"], m["path"]) for p in verdict["provisions"] for m in p["missing"]})
        return cases
    finally:
        con.close()


def test_a_killed_run_loses_nothing_committed_and_resumes(tmp_path: Path) -> None:
    names = sorted(p.stem for p in (ROOT / "cases").glob("*.yaml"))
    total = 360
    source = tmp_path / "many.jsonl"
    source.write_text("".join(json.dumps(example(names[i % len(names)], f"k-{i:04d}")) + "\n" for i in range(total)),
                      encoding="utf-8")
    db = tmp_path / "r.sqlite"
    command = [sys.executable, "-m", "cli", "batch", str(source), "--out", str(db), "--as-of", AS_OF, "-q"]
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        done = 0
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)
                done = con.execute("SELECT COUNT(*) FROM cases").fetchone()[0]
                con.close()
            except sqlite3.Error:
                done = 0
            if done >= 40:
                break
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    before = check_consistent(db)
    assert 40 <= len(before) < total  # killed mid-run
    con = sqlite3.connect(db)
    assert con.execute("SELECT id, status, finished FROM runs").fetchall() == [(1, "running", None)]
    con.close()

    again = subprocess.run(command, cwd=ROOT, capture_output=True, timeout=120)
    assert again.returncode == 0, again.stderr.decode()
    after = check_consistent(db)
    assert [r["case_id"] for r in after] == [f"k-{i:04d}" for i in range(total)]  # each exactly once, in order
    assert [r["seq"] for r in after] == list(range(1, total + 1))
    con = sqlite3.connect(db)
    assert con.execute("SELECT skipped, screened, failed, total, status FROM runs WHERE id = 2").fetchone() == (
        len(before), total - len(before), 0, total, "complete")
    con.close()
    kept = {r["key"]: r["run_id"] for r in after}
    assert all(kept[r["key"]] == 1 for r in before)  # what was committed was skipped, not redone
    assert {r["key"]: r["case_zlib"] for r in after if r["key"] in {b["key"] for b in before}} == {
        r["key"]: r["case_zlib"] for r in before}


def test_a_second_run_reorders_skipped_cases_and_removes_cases_no_longer_there(tmp_path: Path) -> None:
    source = tmp_path / "cases.jsonl"

    def write(*docs: dict[str, Any]) -> None:
        source.write_text("".join(json.dumps(d) + "\n" for d in docs), encoding="utf-8")

    a, b, c, z = (example(VALID[i], f"s-{name}") for i, name in enumerate("abcz"))
    db = tmp_path / "r.sqlite"
    write(a, b, c)
    first = run_batch([source], db, as_of=dt.date.fromisoformat(AS_OF))
    assert (first.screened, first.skipped, first.failed) == (3, 0, 0)
    write(z, a, c, dict(b, case_id="s-c"), c)  # b gone; a and c moved; c repeated twice
    second = run_batch([source], db, as_of=dt.date.fromisoformat(AS_OF))
    assert (second.screened, second.skipped, second.failed, second.total) == (1, 2, 2, 5)
    found = [(r["key"].split("/")[-1], r["seq"], r["status"], r["run_id"], r["error_message"]) for r in rows(db)]
    assert [f[:4] for f in found] == [("cases.jsonl#s-z", 1, "ok", 2), ("cases.jsonl#s-a", 2, "ok", 1),
                                      ("cases.jsonl#s-c", 3, "ok", 1), ("cases.jsonl:4", 4, "failed", 2),
                                      ("cases.jsonl:5", 5, "failed", 2)]
    for message in (found[3][4], found[4][4]):  # the first position of the case id, not the last
        assert message.startswith(f"case_id repeats the case at {source}:3 ")
    con = sqlite3.connect(db)
    for table in ("provisions", "referrals"):
        assert con.execute(f"SELECT COUNT(*) FROM {table} WHERE case_key LIKE '%#s-b'").fetchone()[0] == 0
    con.close()
    check = run_batch([source], db, as_of=dt.date.fromisoformat(AS_OF))  # nothing left to do
    assert (check.screened, check.skipped, check.failed) == (0, 3, 2)


# -- exports, summary, CLI ------------------------------------------------------------------------

def test_exports_are_in_input_order(tmp_path: Path) -> None:
    source = tmp_path / "few.jsonl"
    source.write_text("\n".join([json.dumps(example(VALID[0], "x-1")), "{oops", json.dumps(example(VALID[2], "x-2"))])
                      + "\n", encoding="utf-8")
    runner = CliRunner()
    jsonl = tmp_path / "out.jsonl"
    result = runner.invoke(main, ["batch", str(source), "--out", str(jsonl), "--format", "jsonl", "--as-of", AS_OF],
                           catch_exceptions=False)
    assert result.exit_code == 3
    lines = [json.loads(line) for line in jsonl.read_text(encoding="utf-8").splitlines()]
    assert [d.get("case_id") for d in lines] == ["x-1", None, "x-2"]
    assert lines[1]["status"] == "failed" and "not valid JSON" in lines[1]["error"]["message"]
    assert lines[0]["provisions"] and "trace" not in lines[0]  # the trace is in the receipt, in the SQLite results
    assert Path(str(jsonl) + ".sqlite").exists()
    table = tmp_path / "out.csv"
    result = runner.invoke(main, ["batch", str(source), "--out", str(table), "--format", "csv", "--as-of", AS_OF],
                           catch_exceptions=False)
    assert result.exit_code == 3
    header, *body = table.read_text(encoding="utf-8").splitlines()
    assert header.startswith("case_id,source,line,status,error_path,error_message,utl-53-1-b,")
    assert [line.split(",")[0] for line in body] == ["x-1", "", "x-2"]
    assert body[0].split(",")[3:4] == ["ok"] and ",met," in body[0]


def test_summary_numbers_equal_a_recount(mixed: dict[str, Any]) -> None:
    db: Path = mixed["db"]
    s = build_summary(db, "en")
    con = sqlite3.connect(db)
    counts = {(p, st): n for p, st, n in con.execute("SELECT provision, status, COUNT(*) FROM provisions GROUP BY 1, 2")}
    assert {(p["provision"], st): n for p in s["provisions"] for st, n in p["counts"].items() if n} == counts
    assert s["cases"] == con.execute("SELECT COUNT(*) FROM cases").fetchone()[0] == 29
    assert s["failed"] == con.execute("SELECT COUNT(*) FROM cases WHERE status = 'failed'").fetchone()[0] == 22
    assert sorted(e["case_id"] for e in s["qualify"]) == sorted(cid for (cid,) in con.execute(
        "SELECT c.case_id FROM cases c JOIN provisions p ON p.case_key = c.key "
        "WHERE p.provision = 'utl-53-1-b' AND p.status = 'met'"))
    deadlines = [e["apply_by"] or "9999" for e in s["qualify"]]  # the earliest deadline first
    assert deadlines == sorted(deadlines)
    assert {e["case_id"] for e in s["needs_assessment"]} == {cid for (cid,) in con.execute(
        "SELECT c.case_id FROM cases c JOIN provisions p ON p.case_key = c.key WHERE p.status = 'needs_assessment'")}
    assert {e["case_id"] for e in s["undetermined"]} == {cid for (cid,) in con.execute(
        "SELECT c.case_id FROM cases c JOIN provisions p ON p.case_key = c.key WHERE p.status = 'undetermined'")}
    assert {(r["service"], r["cases"]) for r in s["referrals"]} == set(con.execute(
        "SELECT service, COUNT(*) FROM referrals GROUP BY service"))
    top = s["top_missing"][0]
    assert top["cases"] == con.execute(
        "SELECT COUNT(DISTINCT c.key) FROM cases c, json_each(c.missing_json) g, json_each(g.value, '$[1]') m "
        "WHERE m.value = ?", (top["path"],)).fetchone()[0]
    con.close()
    text = to_text(s, "en")
    for p in s["provisions"]:
        assert f"{p['provision']} " in text
    assert f"FAILURES: {s['failed']}" in text and "Cases: 29 · screened 7 · failed 22" in text
    assert "| `utl-53-1-b`" in to_markdown(s, "en")


def test_the_html_report_is_self_contained_and_escaped(mixed: dict[str, Any], tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "<script>alert(1)<.yaml").write_text("case_id: [unclosed\n", encoding="utf-8")
    (folder / "ok.yaml").write_text(yaml.safe_dump(example(VALID[0], "h-1")), encoding="utf-8")
    db = tmp_path / "r.sqlite"
    run_batch([folder], db, as_of=dt.date.fromisoformat(AS_OF))
    out = tmp_path / "report.html"
    result = CliRunner().invoke(main, ["summary", str(db), "--format", "html", "--lang", "nb", "-o", str(out)],
                                catch_exceptions=False)
    assert result.exit_code == 0
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "<svg" in page and "<rect" in page
    assert "<script" not in page and "&lt;script&gt;alert(1)&lt;" in page
    for external in ("http:", "https:", "src=", "<link", "@import", "url("):
        assert external not in page


def test_progress_goes_to_stderr_only_when_asked() -> None:
    stream = io.StringIO()
    bar = _Progress(True, 100, stream)
    bar.update(50, force=True)
    bar.close(100)
    assert "50/100 cases" in stream.getvalue() and "/s" in stream.getvalue() and "ETA" in stream.getvalue()
    quiet = io.StringIO()
    _Progress(False, 100, quiet).close(100)
    assert quiet.getvalue() == ""


@pytest.mark.parametrize("args, words", [
    (["batch", "nope.jsonl", "--out", "{tmp}/r.sqlite"], "finnes ikke"),  # --lang nb is the default
    (["batch", "nope.jsonl", "--out", "{tmp}/r.sqlite", "--lang", "en"], "no such file"),
    (["batch", "{tmp}/x.txt", "--out", "{tmp}/r.sqlite"], "ikke en støttet inndata"),
    (["batch", "{tmp}/bad.csv", "--out", "{tmp}/r.sqlite"], "gjentar kolonne"),
    (["batch", "{tmp}/latin.csv", "--out", "{tmp}/r.sqlite"], "lagre den som «CSV UTF-8»"),
    (["batch", "{tmp}/x.jsonl", "--out", "{tmp}/x.txt"], "ikke en resultatfil"),
    (["batch", "{tmp}/x.jsonl", "--out", "{tmp}/r.sqlite", "--workers", "0"], "0"),
    (["summary", "{tmp}/x.txt"], "ikke en resultatfil"),
    (["summary", "{tmp}/none.sqlite"], "finnes ikke"),
    (["summary", "{tmp}/none.sqlite", "--lang", "en"], "no such file"),
    (["summary", "{tmp}/empty.sqlite"], "ikke en resultatfil"),
])
def test_bad_invocations_exit_2_without_a_traceback(tmp_path: Path, args: list[str], words: str) -> None:
    (tmp_path / "x.txt").write_text("hello\n", encoding="utf-8")
    (tmp_path / "x.jsonl").write_text("{}\n", encoding="utf-8")
    (tmp_path / "bad.csv").write_text("case_id,case_id\n", encoding="utf-8")
    (tmp_path / "latin.csv").write_text("case_id;applicant.citizenship\nk-\u00e6\u00f8\u00e5;NO\n", encoding="cp1252")
    (tmp_path / "empty.sqlite").write_bytes(b"")
    result = CliRunner().invoke(main, [a.replace("{tmp}", str(tmp_path)) for a in args])
    assert result.exit_code == 2, result.output
    assert words in result.output and "Traceback" not in result.output
    assert not (tmp_path / "r.sqlite").exists()


# -- a worker that dies takes only its case down ---------------------------------------------------

def _no_setup(*_: Any) -> None:
    return None


def _die_in_chunk(payloads: list[str], tag: str) -> list[tuple[Any, ...]]:
    if "die" in payloads:
        os._exit(7)
    return [("ok", f"{tag}:{p}") for p in payloads]


def test_a_dying_worker_fails_only_its_case() -> None:
    pool = _Pool(2, _no_setup, (), _die_in_chunk, ("t",))
    try:
        chunks = [["a", "b"], ["c", "die", "d"], ["e"]]
        handles = [pool.submit(chunk) for chunk in chunks]
        results = [pool.result(h, chunk) for h, chunk in zip(handles, chunks)]
    finally:
        pool.close()
    assert results == [[("ok", "t:a"), ("ok", "t:b")], [("ok", "t:c"), CRASHED, ("ok", "t:d")], [("ok", "t:e")]]


# -- workers: each case validated once, by the parent (issue 11 item 5) ----------------------------

def test_a_worker_screens_the_parents_validated_case_without_validating_it_again(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import eligibility.batch.worker as worker
    from eligibility.batch.runner import screen_document
    from eligibility.explain.screening import Screener
    from eligibility.law.rulebook import load_rulebook

    book = load_rulebook(None)
    case = Case.model_validate(example(VALID[0]))
    day = dt.date.fromisoformat(AS_OF)
    expected = screen_document(Screener(book=book), case, day, "en")
    monkeypatch.setitem(worker._WORKER, "screener", Screener(book=book))  # as worker_init makes it

    def never(*_: Any, **__: Any) -> Any:
        raise AssertionError("validated again in the worker")

    monkeypatch.setattr(Case, "model_validate", never)
    assert worker.screen_chunk([case], day, "en") == [expected]  # byte-identical verdict and receipt


def test_cases_are_written_many_at_a_time_and_a_new_key_deletes_nothing(tmp_path: Path) -> None:
    from eligibility.batch import _Writer

    con = open_results(tmp_path / "r.sqlite", create=True)
    con.execute("INSERT INTO runs (id, started, status, lang, rules_version, rules_digest, engine, allow_identifiers, "
                "inputs, workers, program_version) VALUES (1, 'x', 'running', 'en', 'v', 'd', 'durable', 0, '[]', 1, 'v')")
    statements: list[str] = []
    con.set_trace_callback(statements.append)

    def row(key: str) -> dict[str, Any]:
        return {"key": key, "input": "in", "source": "s", "seq": 1, "rules_digest": "d", "lang": "en",
                "run_id": 1, "status": "ok", "missing_json": '[["§ 40",["applicant.x"]]]'}

    writer = _Writer(con)
    for key in ("a", "b", "c"):
        writer.case(row(key), [("§ 40", "t", "met", "entitlement")], [])
    writer.commit()
    assert sum(s.startswith("BEGIN") for s in statements) == 1  # three cases, one transaction
    assert not [s for s in statements if s.startswith("DELETE")]  # new keys: nothing to delete
    writer.case(row("a") | {"missing_json": None}, [("§ 41", "t", "not_met", "entitlement")])
    writer.commit()
    assert con.execute("SELECT case_key, provision FROM provisions ORDER BY case_key").fetchall() == [
        ("a", "§ 41"), ("b", "§ 40"), ("c", "§ 40")]  # a case written again replaces its rows
    assert con.execute("SELECT key FROM cases WHERE missing_json IS NOT NULL ORDER BY key").fetchall() == [
        ("b",), ("c",)]
    con.close()
