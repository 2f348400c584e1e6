"""Bad input is the case's own error: every reading or validation problem of one case is an
`InputError` naming where it is (issue 9 points 2, 3 and 7), never a crash of the run."""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

import pytest

from eligibility.model.loader import MAX_BYTES, InputError, load_case_file, parse_text, validate_case


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


@pytest.mark.parametrize("lang, words", [("en", "unknown field; did you mean `relationship.cohabitation_ended`?"),
                                         ("nb", "ukjent felt; mente du `relationship.cohabitation_ended`?")])
def test_a_misspelt_field_names_the_field_it_most_likely_means(lang: str, words: str) -> None:
    with pytest.raises(InputError) as info:
        validate_case({"case_id": "x", "relationship": {"cohabitaton_ended": True}}, "c", lang)
    assert info.value.path == "relationship.cohabitaton_ended" and info.value.message == words
    with pytest.raises(InputError, match="check the spelling"):  # like no field: no guess
        validate_case({"case_id": "x", "shoe_size": 42}, "c")


# Every check of the case model that is not one of pydantic's own, with a case that trips it.
MODEL_CHECKS = {
    "date_out_of_range": {"relationship": {"married_on": "1850-01-01"}},
    "before_law": {"assessment_date": "2005-01-01"},
    "after_law": {"assessment_date": "2101-01-01"},
    "one_bound": {"permanent_residence": {"months_abroad_last_3_years": {}}},
    "birth_inconsistent": {"applicant": {"birth_year": 1958, "birth_date": "2000-12-18"}},
    "age_inconsistent": {"applicant": {"birth_year": 1990, "age_on": {"age": 5, "on": "2020-01-01"}}},
    "windows_inconsistent": {"permanent_residence": {"months_abroad_last_3_years": 9, "months_abroad_last_5_years": 2}},
    "ended_after_death": {"relationship": {"cohabitation_ended": "2024-05-01"}, "reference_person": {"death_date": "2024-01-01"}},
    "replaced_field": {"permanent_residence": {"months_abroad": 3}},
}


@pytest.mark.parametrize("kind", sorted(MODEL_CHECKS))
def test_the_model_checks_say_how_to_fix_the_case_in_norwegian_too(kind: str) -> None:
    """`har en ugyldig verdi` told a Norwegian caseworker nothing she could fix (issue 13's nb words)."""
    from pydantic import ValidationError

    from eligibility.model.case import Case
    from eligibility.model.texts import CHECKS_NB

    data = {"case_id": "x", **MODEL_CHECKS[kind]}
    with pytest.raises(ValidationError) as info:
        Case.model_validate(data)
    assert kind in [e["type"] for e in info.value.errors()]
    with pytest.raises(InputError) as nb:
        validate_case(data, "c", "nb")
    with pytest.raises(InputError) as en:
        validate_case(data, "c", "en")
    assert "ugyldig" not in nb.value.message and nb.value.message != en.value.message
    assert not re.search(r"\b(give|the|is|must|instead|between|correct)\b", nb.value.message), nb.value.message
    assert kind in CHECKS_NB


def test_every_check_of_the_case_model_has_its_norwegian_words() -> None:
    """A new PydanticCustomError in the model without nb words would fall back to "ugyldig verdi"."""
    from eligibility.model.texts import CHECKS_NB

    raised = set()
    for module in ("case.py", "facts.py"):
        text = (ROOT / "eligibility" / "model" / module).read_text(encoding="utf-8")
        raised |= set(re.findall(r'PydanticCustomError\(\s*"(\w+)"', text))
    assert raised == set(MODEL_CHECKS) == set(CHECKS_NB)


def test_dates_written_the_norwegian_way_are_dates_in_date_fields_only() -> None:
    text = (b"case_id: '1.2.2026'\nassessment_date: 26.11.2026\nrelationship: {cohabitation_ended: 1.8.2026}\n"
            b"permits: [{basis: utl-40, valid_from: 01.01.2024}]\n")
    case = validate_case(parse_text(text, "c"), "c")
    assert case.assessment_date == dt.date(2026, 11, 26) and case.relationship.cohabitation_ended == dt.date(2026, 8, 1)
    assert case.permits[0].valid_from == dt.date(2024, 1, 1)
    assert case.case_id == "1.2.2026"  # text, not a date field
    error = refused("case_id: x\nassessment_date: 31.02.2026\n")
    assert error.path == "assessment_date" and "valid date" in error.message


def test_yaml_bombs_within_the_size_bound_are_refused_before_they_are_built() -> None:
    assert "nested deeper" in refused("case_id: x\npermits: " + "[" * 200_000).message  # quadratic in the parser
    many = "case_id: x\nabuse:\n  incidents:\n" + "  - {kind: physical}\n" * 12_000
    assert "no case holds that many" in refused(many).message


def test_the_largest_valid_case_is_within_the_yaml_bounds() -> None:
    incident = ("  - {kind: physical, perpetrator: reference_person, victim: applicant, during_cohabitation: true,"
                " date: 2020-01-01, severity: high, repeated: true}\n")
    permit = "  - {basis: utl-40, valid_from: 2020-01-01, valid_to: 2021-01-01, forms_basis_for_permanent: true}\n"
    text = ("case_id: x\nassessment_date: 2026-11-26\nabuse:\n incidents:\n" + incident * 200
            + "permits:\n" + permit * 50)
    case = validate_case(parse_text(text.encode(), "c"), "c")
    assert case.abuse.incidents is not None and len(case.abuse.incidents) == 200


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


# -- batch: one bad case is one failed row, and the run goes on ------------------------------------

import csv
import json
import sqlite3
import stat
import subprocess
import sys

from click.testing import CliRunner

from cli import main
from eligibility.batch import _Header, csv_document, run_batch

from .conftest import ROOT

AS_OF = dt.date(2026, 11, 26)


def stored(db: Path) -> dict[str, tuple[str, str | None, str | None]]:
    con = sqlite3.connect(db)
    try:
        return {key.split("/")[-1]: (status, path, message) for key, status, path, message in con.execute(
            "SELECT key, status, error_path, error_message FROM cases ORDER BY seq")}
    finally:
        con.close()


def test_bad_values_fail_their_own_case_and_later_cases_are_screened(tmp_path: Path) -> None:
    folder = tmp_path / "cases"
    folder.mkdir()
    (folder / "a-date.yaml").write_text("case_id: a\nassessment_date: 2024-02-30\n", encoding="utf-8")
    (folder / "b-digits.yaml").write_text("case_id: b\nrelationship: {children_together: " + "9" * 5000 + "}\n",
                                          encoding="utf-8")
    (folder / "c-old.yaml").write_text("case_id: c\nassessment_date: 0001-01-01\n", encoding="utf-8")
    (folder / "d-flow.yaml").write_text("{case_id: d}\n", encoding="utf-8")
    table = tmp_path / "rows.csv"
    table.write_text("case_id,permits\ne," + "[" * 100_000 + "\nf,[]\n", encoding="utf-8")
    report = run_batch([folder, table], tmp_path / "r.sqlite", as_of=AS_OF)
    assert (report.screened, report.failed) == (2, 4)
    rows = stored(tmp_path / "r.sqlite")
    assert rows["a-date.yaml"][:2] == ("failed", "assessment_date")
    assert rows["b-digits.yaml"][0] == "failed" and "40 digits" in (rows["b-digits.yaml"][2] or "")
    assert rows["c-old.yaml"][:2] == ("failed", "assessment_date") and "2010-01-01" in (rows["c-old.yaml"][2] or "")
    assert rows["d-flow.yaml#d"][0] == "ok"
    assert rows["rows.csv:2"][:2] == ("failed", "permits") and rows["rows.csv#f"][0] == "ok"


@pytest.mark.parametrize("segments", [9, 5_000, 40_000])
def test_a_header_column_deeper_than_any_field_fails_the_rows_that_fill_it(segments: int) -> None:
    header = _Header(["case_id", ".".join(["a"] * segments)], "x.csv")
    assert csv_document(header, ["x", ""]) == {"case_id": "x"}
    with pytest.raises(InputError, match="column 2 is nested deeper than a case can be"):
        csv_document(header, ["x", "1"])


@pytest.mark.parametrize("breakage", ["oversize", "unclosed quote"])
def test_a_file_not_read_to_its_end_keeps_its_stored_rows(tmp_path: Path, breakage: str) -> None:
    table, db = tmp_path / "rows.csv", tmp_path / "r.sqlite"
    table.write_text("case_id\nr-1\nr-2\nr-3\n", encoding="utf-8")
    assert run_batch([table], db, as_of=AS_OF).screened == 3
    bad = "r-2," + "x" * (MAX_BYTES + 10) if breakage == "oversize" else '"r-2'
    with open(table, "w", encoding="utf-8") as fh:
        fh.write(f"case_id,\nr-1,\n{bad}\nr-3,\n")
    report = run_batch([table], db, as_of=AS_OF)
    assert (report.skipped, report.failed) == (1, 1)
    rows = stored(db)
    assert rows["rows.csv:3"][0] == "failed" and "rest of this file were not read" in (rows["rows.csv:3"][2] or "")
    assert rows["rows.csv#r-2"][0] == rows["rows.csv#r-3"][0] == "ok"  # not removed: not seen is not gone


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_named_pipe_as_batch_input_is_refused_not_waited_on(tmp_path: Path) -> None:
    fifo = tmp_path / "cases.jsonl"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match="not a regular file"):
        run_batch([fifo], tmp_path / "r.sqlite", as_of=AS_OF)


def test_a_killed_run_is_marked_by_the_next_and_two_runs_never_share_a_file(tmp_path: Path) -> None:
    import fcntl

    source, db = tmp_path / "c.jsonl", tmp_path / "r.sqlite"
    source.write_text('{"case_id": "k"}\n', encoding="utf-8")
    run_batch([source], db, as_of=AS_OF)
    con = sqlite3.connect(db)
    con.execute("UPDATE runs SET status = 'running', finished = NULL")  # as a killed run leaves it
    con.commit()
    with open(db, "rb") as held:  # another run holding the results file
        fcntl.flock(held, fcntl.LOCK_EX)
        with pytest.raises(InputError, match="another `eligibility batch`"):
            run_batch([source], db, as_of=AS_OF)
    run_batch([source], db, as_of=AS_OF)
    assert [s for (s,) in con.execute("SELECT status FROM runs ORDER BY id")] == ["killed", "complete"]
    con.close()


# -- the command line ------------------------------------------------------------------------------

CASE = str(ROOT / "cases" / "53-physical-own-account.yaml")


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.output


@pytest.mark.parametrize("args, words", [
    (["screen", "{tmp}/bad.yaml"], "assessment_date"),
    (["screen", CASE, "--as-of", "0001-01-01"], "fra 2010-01-01"),
    (["screen", CASE, "--as-of", "9999-12-31"], "høyst 2100-12-31"),
    (["screen", CASE, "-o", "{tmp}/missing/v.txt"], "finnes ikke"),
    (["screen", CASE, "--receipt", "{tmp}/missing/r.json"], "finnes ikke"),
    (["batch", "{tmp}/in", "--out", "{tmp}/missing/r.sqlite"], "finnes ikke"),
    (["batch", "{tmp}/in", "--out", "{tmp}/in/c.yaml", "--format", "jsonl"], "inndatamappen"),
    (["batch", "{tmp}/in", "--out", "{tmp}/in/new.json", "--format", "csv"], "inndatamappen"),
])
def test_user_mistakes_exit_2_with_one_line(tmp_path: Path, args: list[str], words: str) -> None:
    (tmp_path / "bad.yaml").write_text("case_id: x\nassessment_date: 2024-02-30\n", encoding="utf-8")
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "c.yaml").write_text("case_id: c\n", encoding="utf-8")
    code, output = run(*[a.replace("{tmp}", str(tmp_path)) for a in args])
    assert code == 2 and words in output and "Traceback" not in output and "internal error" not in output
    assert (tmp_path / "in" / "c.yaml").read_text(encoding="utf-8") == "case_id: c\n"
    assert sorted(p.name for p in (tmp_path / "in").iterdir()) == ["c.yaml"]


def test_csv_export_cells_are_never_formulas(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # the source column holds the file as given: =1+2.yaml
    Path("=1+2.yaml").write_text("case_id: f\n", encoding="utf-8")
    Path("-cmd.yaml").write_text("case_id: [\n", encoding="utf-8")
    code, _ = run("batch", "--out", "out.csv", "--format", "csv", "--as-of", "2026-11-26", "--", "=1+2.yaml", "-cmd.yaml")
    assert code == 3
    with open("out.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["source"] for r in rows] == ["'=1+2.yaml", "'-cmd.yaml"]


def test_written_files_get_the_usual_mode_not_0600(tmp_path: Path) -> None:
    target = tmp_path / "v.json"
    assert run("screen", CASE, "--format", "json", "-o", str(target))[0] == 0
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~mask


def test_a_closed_pipe_ends_quietly() -> None:
    child = subprocess.Popen([sys.executable, "-m", "cli", "rules", "list"], cwd=ROOT, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
    assert child.stdout is not None and child.stderr is not None
    child.stdout.close()  # the reader goes away before the first line is written
    err = child.stderr.read().decode()
    child.stderr.close()
    assert child.wait(timeout=120) == 141
    assert err == ""


def test_a_fact_dated_after_the_assessment_date_gets_a_warning_not_silence() -> None:
    from eligibility.explain.screening import Screener

    from .conftest import make_case

    screener = Screener(ROOT / "rules")
    case = make_case(relationship={"type": "marriage", "cohabitation_ended": dt.date(2027, 3, 1)},
                     abuse={"incidents": [{"kind": "physical", "date": dt.date(2026, 1, 5)},
                                          {"kind": "physical", "date": dt.date(2027, 1, 5)}]},
                     permits=[{"basis": "utl-40", "valid_from": dt.date(2024, 1, 1), "valid_to": dt.date(2028, 1, 1)}])
    ids = [w.id for w in screener.screen(case, lang="en").warnings]
    assert [i for i in ids if i.startswith("date-after-assessment")] == [  # not the permit's validity, nor the past
        "date-after-assessment:relationship.cohabitation_ended", "date-after-assessment:abuse.incidents.1.date"]
    nb = [w.text for w in screener.screen(case, lang="nb").warnings if w.id.startswith("date-after")]
    assert nb[0].startswith("«Bor de fortsatt sammen?") and "etter vurderingsdatoen 26. november 2026: sjekk datoen" in nb[0]
    assert "(nr. 2)" in nb[1]
    assert not [w for w in screener.screen(make_case(), lang="nb").warnings if w.id.startswith("date-after")]
