"""Receipts on demand (issue 11 item 3, ADR 0013): a batch keeps each case and the rulebook it was
screened with, and `eligibility receipt` regenerates the receipt, which `verify` accepts, even
after the rules on disk have changed."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

from click.testing import CliRunner

from cli import main

from .conftest import ROOT

AS_OF = "2026-11-26"
CASES = ["53-physical-own-account", "53-facts-missing", "40-citizen-spouse-entitled"]


def _batch(tmp_path: Path, *extra: str) -> tuple[Path, Path]:
    """A copy of the rules, a batch of three example cases screened with it: (rules, results)."""
    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules)
    folder = tmp_path / "in"
    folder.mkdir()
    for name in CASES:
        shutil.copy(ROOT / "cases" / f"{name}.yaml", folder)
    db = tmp_path / "r.sqlite"
    result = CliRunner().invoke(main, ["batch", str(folder), "--out", str(db), "--as-of", AS_OF, "--rules",
                                       str(rules), "-q", *extra], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return rules, db


def test_receipts_regenerated_after_the_rules_changed_verify_against_the_stored_rulebook(tmp_path: Path) -> None:
    rules, db = _batch(tmp_path)
    con = sqlite3.connect(db)
    (digest,) = con.execute("SELECT DISTINCT rules_digest FROM cases").fetchone()
    assert con.execute("SELECT COUNT(*) FROM cases WHERE receipt_zlib IS NOT NULL").fetchone() == (0,)
    con.close()
    rule_file = rules / "utl-53.yaml"  # the rules on disk change after the batch
    rule_file.write_text(rule_file.read_text(encoding="utf-8").replace(
        '{nb: "Har eller har hatt tillatelse', '{nb: "Har (endret) eller har hatt tillatelse', 1),
                         encoding="utf-8")
    assert "(endret)" in rule_file.read_text(encoding="utf-8")
    runner = CliRunner()
    out = tmp_path / "receipts"
    exported = runner.invoke(main, ["receipt", str(db), "--all", "--to", str(out)], catch_exceptions=False)
    assert exported.exit_code == 0, exported.output
    receipts = sorted(out.glob("*.receipt.json"))
    assert len(receipts) == len(CASES)
    assert all(p.name.replace(".receipt.json", "").replace("_", "").replace("-", "").replace(".", "").isalnum()
               for p in receipts)  # names safe for the file system
    stored_rules = out / f"rules-{digest[:12]}"
    verified = runner.invoke(main, ["verify", *map(str, receipts), "--rules", str(stored_rules)])
    assert verified.exit_code == 0, verified.output
    assert verified.output.count(": identical:") == len(CASES)
    changed = runner.invoke(main, ["verify", *map(str, receipts), "--rules", str(rules)])
    assert changed.exit_code == 3 and "rulebook-unavailable" in changed.output

    one = tmp_path / "one.json"
    single = runner.invoke(main, ["receipt", str(db), "ex-53-physical-own-account", "-o", str(one)])
    assert single.exit_code == 0, single.output
    assert one.read_text(encoding="utf-8") in {p.read_text(encoding="utf-8") for p in receipts}
    assert json.loads(one.read_text(encoding="utf-8"))["rules_digest"] == digest


def test_receipts_full_stores_the_receipt_that_is_regenerated(tmp_path: Path) -> None:
    _, lean = _batch(tmp_path / "lean")
    _, full = _batch(tmp_path / "full", "--receipts", "full")
    con = sqlite3.connect(full)
    assert con.execute("SELECT COUNT(*) FROM cases WHERE receipt_zlib IS NULL").fetchone() == (0,)
    con.close()
    runner = CliRunner()
    for name in CASES:
        case_id = f"ex-{name}"
        texts = [runner.invoke(main, ["receipt", str(db), case_id]).output for db in (lean, full)]
        assert texts[0] == texts[1] and json.loads(texts[0])["case"]["case_id"] == case_id


def test_receipt_errors_are_clear(tmp_path: Path) -> None:
    _, db = _batch(tmp_path)
    runner = CliRunner()
    for args, words in ((["no-such-case"], "no screened case"), ([], "give the case id"),
                        (["--all"], "--to"), (["ex-53-facts-missing", "--all", "--to", str(tmp_path)], "no CASE_ID")):
        result = runner.invoke(main, ["receipt", str(db), *args])
        assert result.exit_code == 2 and words in result.output and "Traceback" not in result.output, (args, result.output)


def test_reading_a_results_file_again_compiles_its_rulebook_once_a_process(tmp_path: Path) -> None:
    """The rule engine keeps what it compiled for the process's life: a Screener per read grew a
    test process to 16 GB (360 verdicts read one by one)."""
    from eligibility.batch.replay import Replay

    _, db = _batch(tmp_path)
    con = sqlite3.connect(db)
    try:
        (digest,) = con.execute("SELECT DISTINCT rules_digest FROM cases").fetchone()
        assert Replay(con, "a").screener(digest) is Replay(con, "b").screener(digest)
    finally:
        con.close()
