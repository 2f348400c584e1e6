"""CLI conventions (issue 13 point 9): -V, examples in every --help, --rules on every command that
reads rules, and a --version that loads nothing heavy (a benchmark in the README, not a timed test)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from cli import main
from eligibility.law.rulebook import load_rulebook
from eligibility.law.ruledigest import rules_identity

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
            "print(sorted(m for m in ('pydantic', 'eligibility.law.rulebook', 'eligibility.model.case') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert out.splitlines()[-1] == "[]"
def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out = [prefix]
    for name, command in sorted(group.commands.items()):
        out += _commands(command, prefix + (name,)) if isinstance(command, click.Group) else [prefix + (name,)]
    return out


COMMANDS = _commands(main)


@pytest.mark.parametrize("path", COMMANDS, ids=[" ".join(p) or "eligibility" for p in COMMANDS])
def test_every_help_shows_examples(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(main, [*path, "--help"])
    assert result.exit_code == 0
    examples = result.output.split("Examples:", 1)
    assert len(examples) == 2, result.output
    assert "eligibility " + " ".join(path) in examples[1]


@pytest.mark.parametrize("path", [("diff",), ("coverage",), ("rules", "list"), ("rules", "show"), ("rules", "graph")])
def test_commands_that_read_rules_take_rules(path: tuple[str, ...]) -> None:
    assert "--rules" in CliRunner().invoke(main, [*path, "--help"]).output


@pytest.mark.parametrize("args", [["diff", "{case}", "--from", "2024-01-01", "--to", "2026-12-01"],
                                  ["coverage", "{case}"], ["rules", "list"], ["rules", "show", "utl-53-1-b"],
                                  ["rules", "graph"]])
def test_rules_is_the_rules_directory_the_command_reads(tmp_path: Path, args: list[str]) -> None:
    broken = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", broken)
    (broken / "zz-broken.yaml").write_text("nodes: 42\n", encoding="utf-8")
    case = str(ROOT / "cases" / "53-facts-missing.yaml")
    result = CliRunner().invoke(main, [a.replace("{case}", case) for a in args] + ["--rules", str(broken)])
    assert result.exit_code == 2 and "rule file refused" in result.output and "zz-broken.yaml" in result.output
    assert CliRunner().invoke(main, [a.replace("{case}", case) for a in args]).exit_code == 0
