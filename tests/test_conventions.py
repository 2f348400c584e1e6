"""CLI conventions (issue 13 point 9): -V, examples in every --help, --rules on every command that
reads rules, and a --version that loads nothing heavy (a benchmark in the README, not a timed test)."""

from __future__ import annotations

import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

from cli import main
from eligibility.rulebook import load_rulebook
from eligibility.ruledigest import rules_identity

from .conftest import ROOT


def test_version_names_the_rules_as_load_rulebook_does_without_loading_them() -> None:
    book = load_rulebook(ROOT / "rules")
    assert rules_identity(ROOT / "rules") == (book.version, book.digest)
    short = CliRunner().invoke(main, ["-V"])
    assert short.exit_code == 0 and short.output == CliRunner().invoke(main, ["--version"]).output
    assert f"rules {book.version} (sha256 {book.digest[:12]})" in short.output


def test_version_imports_neither_pydantic_nor_the_rulebook() -> None:
    code = ("import sys, runpy; sys.argv = ['eligibility', '--version']\n"
            "try:\n    runpy.run_module('cli', run_name='__main__')\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in ('pydantic', 'eligibility.rulebook', 'eligibility.case') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert out.splitlines()[-1] == "[]"
