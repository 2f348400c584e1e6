"""An interview's receipt carries its journal's sha256 (issue 12 point 4): the screening of the case
the journal makes is proved by the receipt, and the receipt names the answers it came from.
`verify` checks the member's shape and the seal over it, and does not compare it on a re-run."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main


def _interview(home: Path, *args: str, answers: str = "q\n") -> tuple[Path, object]:
    base = home / "base.yaml"
    base.write_text("case_id: r1\nassessment_date: 2026-11-26\nsafety: {immediate_danger: false, "
                    "lives_with_abuser: false, children_in_household: false, at_shelter: false}\n"
                    "permits: [{basis: utl-40, held: true}]\n", encoding="utf-8")
    save = home / "j.jsonl"
    result = CliRunner().invoke(main, ["interview", str(base), "--save", str(save), "--lang", "en", *args],
                                input=answers)
    return save, result


def test_an_exported_interview_s_receipt_carries_the_journal_hash_and_verifies(home: Path) -> None:
    save, _ = _interview(home)
    receipt, exported = home / "r.json", home / "case.yaml"
    result = CliRunner().invoke(main, ["interview", "--save", str(save), "--export", str(exported),
                                       "--receipt", str(receipt)])
    assert result.exit_code == 0, result.output
    data = json.loads(receipt.read_text(encoding="utf-8"))
    assert data["journal_sha256"] == hashlib.sha256(save.read_bytes()).hexdigest()
    assert data["receipt_version"] == 3
    verified = CliRunner().invoke(main, ["verify", str(receipt)])
    assert verified.exit_code == 0, verified.output


def test_a_finished_interview_writes_its_receipt(home: Path) -> None:
    receipt = home / "r.json"
    _, result = _interview(home, "--receipt", str(receipt), answers="?\n" * 200)
    assert result.exit_code == 0, result.output
    assert len(json.loads(receipt.read_text(encoding="utf-8"))["journal_sha256"]) == 64


def test_verify_checks_the_journal_hash_s_shape_and_seal(home: Path) -> None:
    save, _ = _interview(home)
    receipt = home / "r.json"
    CliRunner().invoke(main, ["interview", "--save", str(save), "--export", str(home / "c.yaml"),
                              "--receipt", str(receipt)])
    data = json.loads(receipt.read_text(encoding="utf-8"))
    altered = home / "altered.json"
    altered.write_text(json.dumps({**data, "journal_sha256": "0" * 64}), encoding="utf-8")
    assert "digest mismatch" in CliRunner().invoke(main, ["verify", str(altered)]).output
    bad = home / "bad.json"
    bad.write_text(json.dumps({**data, "journal_sha256": "not a hash"}), encoding="utf-8")
    out = CliRunner().invoke(main, ["verify", str(bad)]).output
    assert "journal_sha256" in out and "malformed" in out
