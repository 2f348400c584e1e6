"""`eligibility template` (issue 13 point 8): an empty case with every field and its question,
the way clinics start; what it writes is read back by `screen` and `batch`."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from cli import main
from eligibility.batch import _Header, run_batch
from eligibility.model.loader import load_case_file
from eligibility.model.template import fields


def run(*args: str) -> str:
    result = CliRunner().invoke(main, ["template", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.mark.parametrize("lang", ["nb", "en"])
def test_the_yaml_template_names_every_field_with_its_question_and_leaves_all_unknown(lang: str,
                                                                                      tmp_path: Path) -> None:
    text = run("--lang", lang)
    assert yaml.safe_load(text) == {"case_id": ""}  # nothing answered: an empty value would be null, not unknown
    named = re.findall(r"^#\s+(?:- )?(\w+):", text, flags=re.M)
    assert named == [p.rsplit(".", 1)[-1] for p, *_ in fields() if p != "case_id"]
    assert all("  # " in line for line in text.splitlines() if re.match(r"#\s+(- )?\w+:", line)
               and not line.rstrip().endswith(":"))
    line = next(li for li in text.splitlines() if "cohabitation_ended:" in li)
    assert ("Er samlivet opphørt" if lang == "nb" else "Has the cohabitation ended") in line
    case = tmp_path / "c.yaml"
    case.write_text(text.replace("case_id: ''", "case_id: k-1"), encoding="utf-8")
    assert load_case_file(case).case_id == "k-1"


@pytest.mark.parametrize("lang, delimiter", [("nb", ";"), ("en", ",")])
def test_the_csv_template_is_a_header_batch_accepts_and_a_question_row_it_skips(lang: str, delimiter: str,
                                                                              tmp_path: Path) -> None:
    text = run("--format", "csv", "--lang", lang)
    header, questions = text.lstrip("\ufeff").splitlines()[:2]
    columns = header.split(delimiter)
    assert columns[0] == "case_id" and "relationship.cohabitation_ended" in columns and "permits.0.basis" in columns
    _Header(columns, "t.csv")  # no column is refused as a typo
    assert questions.startswith('"# ') or questions.startswith("# ")
    source = tmp_path / "clinic.csv"
    source.write_text(text + delimiter.join(["k-1", "26.11.2026"] + [""] * (len(columns) - 2)) + "\r\n",
                      encoding="utf-8")
    report = run_batch([source], tmp_path / "r.sqlite")
    assert (report.total, report.screened, report.failed) == (1, 1, 0)


def test_the_template_writes_to_a_file(tmp_path: Path) -> None:
    run("--format", "csv", "-o", str(tmp_path / "t.csv"))
    assert (tmp_path / "t.csv").read_text(encoding="utf-8-sig").startswith("case_id;")
