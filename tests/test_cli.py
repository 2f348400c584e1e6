"""The `eligibility` command: outputs, exit codes, no tracebacks, byte-identical JSON."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main

from .conftest import ROOT

CASE = str(ROOT / "cases" / "53-physical-own-account.yaml")


def run(*args: str, input: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_screen_json_has_the_documented_shape() -> None:
    code, out, _ = run("screen", CASE, "--format", "json", "--lang", "en")
    assert code == 0
    doc = json.loads(out)
    for key in ("case_id", "assessment_date", "rules_version", "rules_digest", "provisions", "warnings", "trace"):
        assert key in doc
    assert len(doc["rules_digest"]) == 64
    for p in doc["provisions"]:
        assert {"provision", "status", "kind", "reasons", "failed", "missing"} <= set(p)
    assert {p["provision"]: p["status"] for p in doc["provisions"]}["utl-53-1-b"] == "met"


def test_json_output_is_byte_identical_across_processes() -> None:
    outputs = [subprocess.run([sys.executable, "-m", "cli", "screen", CASE, "--format", "json"], cwd=ROOT,
                              capture_output=True, timeout=120).stdout for _ in range(2)]
    assert outputs[0] == outputs[1] and outputs[0]


@pytest.mark.parametrize("fmt, marker", [("text", "=>"), ("markdown", "## ")])
@pytest.mark.parametrize("lang, word", [("nb", "Rett til tillatelse"), ("en", "Entitled")])
def test_text_and_markdown_in_both_languages(fmt: str, marker: str, lang: str, word: str) -> None:
    code, out, _ = run("screen", CASE, "--format", fmt, "--lang", lang)
    assert code == 0 and marker in out and word.lower() in out.lower()


def test_stdin_and_as_of() -> None:
    text = Path(CASE).read_text(encoding="utf-8")
    code, out, _ = run("screen", "-", "--as-of", "2015-01-01", "--format", "json", input=text)
    assert code == 0 and json.loads(out)["assessment_date"] == "2015-01-01"


@pytest.mark.parametrize("args, stdin, words", [
    (["screen", "does-not-exist.yaml"], None, "filen finnes ikke"),  # screen speaks nb by default
    (["screen", "does-not-exist.yaml", "--lang", "en"], None, "no such file"),
    (["screen", "-"], "case_id: x\napplicant: {bith_date: 1990-01-01}\n", "applicant.bith_date: ukjent felt"),
    (["screen", "-", "--lang", "en"], "case_id: x\napplicant: {bith_date: 1990-01-01}\n", "applicant.bith_date: unknown field"),
    (["screen", "-"], "case_id: x\na: &a [1]\nb: *a\n", "ankere"),
    (["screen", "-"], "case_id: [unclosed\n", "ikke gyldig YAML"),
    (["screen", "-", "--lang", "en"], "case_id: [unclosed\n", "not valid YAML"),
    (["screen", CASE, "--as-of", "26.11.2026"], None, "ikke en dato"),
])
def test_user_mistakes_exit_2_with_a_message_and_no_traceback(args: list[str], stdin: str | None, words: str) -> None:
    code, out, err = run(*args, input=stdin)
    assert code == 2
    assert words in err + out
    assert "Traceback" not in err + out


def test_a_broken_rules_directory_is_refused_clearly(tmp_path: Path) -> None:
    (tmp_path / "rulebook.yaml").write_text("version: '1'\nlaws: {}\n", encoding="utf-8")
    (tmp_path / "x.yaml").write_text("unit: xx\nlaw: nope\nsection: '1'\ntitle: {nb: a, en: a}\nnodes: []\n",
                                     encoding="utf-8")
    code, _, err = run("screen", CASE, "--rules", str(tmp_path))
    assert code == 2 and "x.yaml" in err and "nodes" in err


def test_output_file_is_written(tmp_path: Path) -> None:
    target = tmp_path / "verdict.json"
    code, out, _ = run("screen", CASE, "--format", "json", "-o", str(target))
    assert code == 0 and out == "" and json.loads(target.read_text(encoding="utf-8"))["case_id"]
    assert [p.name for p in tmp_path.iterdir()] == ["verdict.json"]


def test_schema_and_version() -> None:
    code, out, _ = run("schema")
    schema = json.loads(out)
    assert code == 0 and "case_id" in schema["properties"]
    assert "question" in json.dumps(schema)
    code, out, _ = run("--version")
    assert code == 0 and "rules" in out


def test_rules_check_compiles_every_change_date() -> None:
    code, out, _ = run("rules", "check")
    assert code == 0 and "2018-11-01" in out and out.strip().splitlines()[-1].startswith("ok:")


def test_a_nesting_bomb_is_invalid_input_not_an_internal_error() -> None:
    code, out, err = run("screen", "-", "--lang", "en", input="[" * 50_000)
    assert code == 2 and "nested deeper" in err and "Traceback" not in err + out


def test_receipt_and_verify(tmp_path: Path) -> None:
    receipt = tmp_path / "receipt.json"
    code, _, _ = run("screen", CASE, "--format", "json", "--receipt", str(receipt))
    assert code == 0
    code, out, _ = run("verify", str(receipt))
    assert code == 0 and "identical" in out
    doc = json.loads(receipt.read_text(encoding="utf-8"))
    doc["verdicts"][0]["status"] = "not_met"
    receipt.write_text(json.dumps(doc), encoding="utf-8")
    code, out, _ = run("verify", str(receipt))
    assert code == 3 and "differs" in out


def test_diff_names_the_rule_versions_behind_a_change() -> None:
    code, out, _ = run("diff", str(ROOT / "cases" / "53-in-law-before-2018.yaml"), "--from", "2018-10-31", "--to", "2018-11-01")
    # The in-law abuse happened before the 2018 amendment: whether it counts after is UNVERIFIED.
    assert code == 0 and "utl-53-1-b: not_met -> needs_assessment" in out
    assert "utl-53.household-abuse-before-2018@2018-11-01" in out and "utl-53.mishandling@2018-11-01" in out


def test_rules_lint_list_show_graph_and_coverage() -> None:
    assert run("rules", "lint")[0] == 0
    code, out, _ = run("rules", "list", "--on", "2018-10-31")
    assert code == 0 and "utl-53.mishandling@2010-01-01" in out and "utl-53.mishandling@2018-11-01" not in out
    code, out, _ = run("rules", "show", "utl-53.cohabitation-ended")
    assert code == 0 and "samlivet er opphørt" in out
    assert run("rules", "show", "no.such-rule")[0] == 2
    assert run("rules", "graph", "--format", "mermaid")[1].startswith("flowchart LR")
    code, out, _ = run("coverage", str(ROOT / "cases"))
    assert code == 0 and "never exercised" in out


def test_html_is_a_self_contained_page_with_the_why_tree_and_quotes() -> None:
    code, out, _ = run("screen", str(ROOT / "cases" / "53-still-living-together.yaml"), "--format", "html", "--lang", "en")
    assert code == 0 and out.startswith("<!doctype html>")
    assert "<script" not in out and "<link" not in out and "src=" not in out
    # the only addresses are links a reader may follow to the statute (nothing is fetched)
    assert "http" not in re.sub(r'<a href="https://lovdata\.no/[^"]*">', "", out)
    assert "<details open>" in out and "«samlivet er opphørt»" in out and "as soon as the applicant moves out" in out


def test_coverage_notes_defaults_to_the_shipped_law_sources() -> None:
    """`--notes` alone reads rules/law-sources.md: its condition ids that no rule encodes are listed."""
    code, out, _ = run("coverage", str(ROOT / "cases" / "53-physical-own-account.yaml"), "--notes")
    line = next(line for line in out.splitlines() if line.startswith("in the law notes but in no rule:"))
    assert code == 0 and "B11" in line and "C40-8" in line and "B3" not in line.split(":", 1)[1].split(", ")
    code, _, err = run("coverage", CASE, "--notes", str(ROOT / "no-such-notes.md"))
    assert code == 2 and "no-such-notes.md" in err and "Traceback" not in err
