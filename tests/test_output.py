"""What a caseworker reads aloud and a clinic lead acts on (issue 13): "not yet" is not "not met",
next steps first, and Norwegian all through under ``--lang nb``."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from cli import main
from eligibility.batch import run_batch
from eligibility.model.loader import load_case_file
from eligibility.explain.render import RENDERERS
from eligibility.law.rulebook import load_rulebook
from eligibility.batch.summary import RENDERERS as SUMMARY_RENDERERS, build_summary

from .conftest import ROOT, make_case, provision
from .conftest import cli as run

STILL = ROOT / "cases" / "53-still-living-together.yaml"


# -- "not yet" is not "not met" -------------------------------------------------------------------

def test_still_living_together_is_not_met_yet_in_json(screener: Any) -> None:
    """§ 53(1)(b): the only failing condition is one she can change herself (moving out)."""
    verdict = screener.screen(load_case_file(STILL), lang="nb")
    p = provision(verdict, "utl-53-1-b")
    assert p.status == "not_met"
    assert [r.split("@")[0] for r in p.becomes_met_when] == ["utl-53.cohabitation-ended"]
    assert all(q.becomes_met_when == [] for q in verdict.provisions if q.provision != "utl-53-1-b")


def test_a_condition_she_cannot_change_keeps_plain_not_met(screener: Any) -> None:
    """Moving out does not help when another condition fails too (here: no family permit)."""
    case = load_case_file(STILL).model_copy(update={"permits": []})
    p = provision(screener.screen(case, lang="nb"), "utl-53-1-b")
    assert p.status == "not_met" and p.becomes_met_when == []


def test_what_she_can_change_herself_is_data_in_the_rules() -> None:
    book = load_rulebook(ROOT / "rules")
    flagged = sorted(nid for nid, versions in book.versions.items() for n in versions if n.can_change_herself)
    assert flagged == ["utl-53.cohabitation-ended"]
    for path in (ROOT / "eligibility").rglob("*.py"):
        assert "cohabitation-ended" not in path.read_text(encoding="utf-8"), path.name


@pytest.mark.parametrize("lang, words", [("nb", "Oppfylt så snart samlivet er brutt"),
                                         ("en", "Met as soon as the cohabitation ends")])
@pytest.mark.parametrize("fmt", ["text", "markdown", "html", "brief"])
def test_the_headline_says_not_yet(fmt: str, lang: str, words: str) -> None:
    code, out, _ = run("screen", str(STILL), "--format", fmt, "--lang", lang)
    assert code == 0 and words.lower() in out.lower()
    if fmt == "text":  # the headline under the § 53(1)(b) title, read first, is not a refusal
        lines = out.splitlines()
        at = next(i for i, line in enumerate(lines) if line.startswith(("§ 53 første ledd bokstav b", "Section 53(1)(b)")))
        assert lines[at + 1].strip() == "=> " + words.upper()


def test_the_summary_counts_the_not_yet_cases_apart(tmp_path: Path) -> None:
    cases = tmp_path / "cases"
    cases.mkdir()
    for name in ("53-still-living-together.yaml", "53-physical-own-account.yaml", "53-facts-missing.yaml"):
        shutil.copy(ROOT / "cases" / name, cases / name)
    db = tmp_path / "results.sqlite"
    run_batch([cases], db, as_of=dt.date(2026, 11, 26))
    s = build_summary(db, "nb")
    assert [e["case_id"] for e in s["not_yet"]] == ["ex-53-still-living-together"]
    assert s["not_yet"][0]["becomes_met_when"] == ["utl-53.cohabitation-ended"]
    for fmt, render in SUMMARY_RENDERERS.items():
        out = render(s, "nb")
        assert "ex-53-still-living-together" in out and "så snart samlivet er brutt" in out, fmt


# -- next steps first, --only, brief ------------------------------------------------------------------

def test_next_steps_come_before_the_provisions() -> None:
    code, out, _ = run("screen", str(STILL))
    assert code == 0
    first = out.index("\n§ 53 første ledd bokstav b: mishandling  [")
    assert out.index("!! VIKTIG") < out.index("NESTE STEG:") < first < out.index("\n§ 40: oppholdstillatelse")
    assert "ØVRIGE BESTEMMELSER" in out and "--only utl-41" in out  # not met, other than § 53: one line


def test_only_shows_the_named_provisions_in_full() -> None:
    code, out, _ = run("screen", str(STILL), "--only", "utl-53-1-b", "--only", "utl-62")
    assert code == 0 and "NESTE STEG:" in out and "!! VIKTIG" in out
    assert "§ 53 første ledd bokstav b" in out and "§ 62: permanent oppholdstillatelse  [" in out
    assert "§ 40:" not in out and "§ 53 tredje ledd" not in out
    code, _, err = run("screen", str(STILL), "--only", "utl-99")
    assert code == 2 and "utl-99" in err and "utl-53-1-b" in err and "Traceback" not in err


def test_brief_is_one_line_per_provision_and_per_next_step(screener: Any) -> None:
    verdict = screener.screen(load_case_file(STILL), lang="nb")
    out = RENDERERS["brief"](verdict)
    lines = out.splitlines()
    for p in verdict.provisions:
        assert sum(line.startswith(p.title + " – ") for line in lines) == 1
    steps = [line for line in lines if line.startswith("  [")]
    assert [line.split("] ", 1)[1].split(": ")[0] for line in steps] == [r.name for r in verdict.referrals]
    assert "Hvorfor:" not in out and "Oppfylt så snart samlivet er brutt." in out


# -- Norwegian all through -------------------------------------------------------------------------

ENGLISH = ["Paraphrase", "paraphrase", "law notes", "met", "not met", "needs assessment", "needs_assessment",
           "undetermined", "entitlement", "discretionary", "physical", "reference_person", "the", "and", "of",
           "must", "Trace", "rule", "version", "concluded", "matched", "case", "Important", "Next steps", "Why"]
NAMES = r"<style>.*?</style>|<code>.*?</code>|<[^>]+>|\[[^\]\n<]*\]|`[^`\n]*`|[\w.\-]+@[\w.\-]+|https?://\S+"


def english_words(text: str) -> list[str]:
    """English words outside names (rule ids, fact paths, code), and ISO dates."""
    import re

    plain = re.sub(NAMES, " ", text, flags=re.S)
    words = re.findall(r"[A-Za-zÆØÅæøå_][\w.\-]*(?:\s+(?:met|notes|assessment|steps))?", plain)
    words = [w.rstrip(".") for w in words]
    found = sorted({w for w in words if w in ENGLISH})
    return found + re.findall(r"(?<![\w@-])\d{4}-\d{2}-\d{2}(?![\w-])", plain)


CASES = sorted((ROOT / "cases").glob("*.yaml"))


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_norwegian_outputs_have_no_english_words_and_no_iso_dates(screener: Any, path: Path) -> None:
    verdict = screener.screen(load_case_file(path), lang="nb")
    for fmt, render in RENDERERS.items():
        if fmt == "json":
            continue
        found = english_words(render(verdict))
        assert not found, f"{fmt}: {found}"


def test_the_scan_finds_what_it_looks_for() -> None:
    assert english_words("Grunnlag: krisesenterlova § 2 – Paraphrase (law notes § 18): the municipality") == \
        ["Paraphrase", "law notes", "the"]
    assert english_words("(`met`, entitlement) fristen er 2027-07-31") == ["entitlement", "2027-07-31"]
    assert english_words("[relationship.end_reason] <code>utl-53@2010-01-01</code> Sak") == []


def test_dates_are_written_out() -> None:
    from eligibility.model.texts import long_date, long_dates

    assert long_date(dt.date(2027, 2, 1), "nb") == "1. februar 2027"
    assert long_date(dt.date(2027, 2, 1), "en") == "1 February 2027"
    assert long_dates("frist 2027-07-31, sak 2026-1234, regel r@2010-01-01", "nb") == \
        "frist 31. juli 2027, sak 2026-1234, regel r@1. januar 2010"


@pytest.mark.parametrize("text, words", [
    ("safety: {lives_with_abuser: nei}", ["safety.lives_with_abuser", "true (ja) eller false (nei)",
                                          "bor søkeren fortsatt sammen"]),
    ("abuse: {incidents: [{kind: fysisk}]}", ["abuse.incidents.0.kind", "physical (fysisk vold)",
                                              "Hva slags mishandling var det?"]),
    ("relationship: {married_on: 31.02.2024}", ["relationship.married_on", "ÅÅÅÅ-MM-DD"]),  # 15.03.2024 is read
])
def test_validation_errors_are_norwegian_and_name_the_field(tmp_path: Path, text: str, words: list[str]) -> None:
    case = tmp_path / "case.yaml"
    case.write_text(f"case_id: x\nassessment_date: 2026-11-26\n{text}\n", encoding="utf-8")
    code, out, err = run("screen", str(case))
    assert code == 2 and "Traceback" not in err
    for w in words:
        assert w.lower() in err.lower(), (w, err)
    assert "Input should" not in err


@pytest.mark.parametrize("text, english", [
    (None, "no such file"), ("case_id: [unclosed\n", "not valid YAML"), ("[" * 100, "nested deeper")])
def test_file_errors_are_in_norwegian_under_nb(tmp_path: Path, text: str | None, english: str) -> None:
    """Issue 13 point 3: under --lang nb even a file the loader cannot read is reported in Norwegian."""
    path = tmp_path / "case.yaml"
    if text is not None:
        path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(main, ["screen", str(path), "--lang", "nb"])
    assert result.exit_code == 2
    assert result.stderr.startswith("feil: ") and english not in result.stderr and "line " not in result.stderr
