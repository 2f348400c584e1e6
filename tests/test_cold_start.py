"""Cold start (ADR 0014): compiled law epochs and the rule files' parsed YAML cached on disk give
the same answer as without the cache; entries are verified, a corrupt or foreign entry is never
used, no cache folder is no error; `screen` imports only what it uses."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main
from eligibility.audit import canonical, make_receipt
from eligibility.explain.render import RENDERERS
from eligibility.explain.screening import Screener
from eligibility.law import diskcache, epochcache
from eligibility.law.compiler import compile_rulebook
from eligibility.law import rulebook
from eligibility.law.rulebook import Rulebook, RuleFileError, load_rulebook
from eligibility.model.loader import load_case_file

from .conftest import ROOT

CASES = sorted((ROOT / "cases").glob("*.yaml"))[::3]  # every third: all are in test_conclusions
DAY = dt.date(2026, 11, 26)


@pytest.fixture(scope="module")
def book() -> Rulebook:
    return load_rulebook(ROOT / "rules")


def outputs(screener: Screener) -> list[str]:
    """Each example case's verdict JSON and receipt, as `eligibility screen` writes them."""
    out = []
    for path in CASES:
        case = load_case_file(str(path))
        verdict = screener.screen(case, lang="nb")
        out += [RENDERERS["json"](verdict), canonical(make_receipt(screener.book, case, verdict))]
    return out


def no_compiling(*_: object) -> None:
    raise AssertionError("compiled although a cached epoch was there")


def test_same_output_with_and_without_the_cache(book: Rulebook, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(diskcache.ENV, "")
    without = outputs(Screener(book=book))
    assert not any(tmp_path.iterdir())
    monkeypatch.setenv(diskcache.ENV, str(tmp_path))
    assert outputs(Screener(book=book)) == without  # compiles and writes the entries
    assert list(tmp_path.glob("epoch-*.json"))
    monkeypatch.setattr(epochcache, "compile_rulebook", no_compiling)
    assert outputs(Screener(book=book)) == without  # reads them


def test_epochs_read_back_equal(book: Rulebook) -> None:
    for day in book.change_dates()[::5]:
        compiled = compile_rulebook(book, day)
        data = epochcache.encode(compiled)
        assert data is not None, day
        assert epochcache.decode(json.loads(json.dumps(data)), book) == compiled, day


def entry(folder: Path) -> Path:
    [path] = folder.glob("epoch-*.json")
    return path


def test_a_corrupt_entry_is_rebuilt(book: Rulebook, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(diskcache.ENV, str(tmp_path))
    compiled = epochcache.compiled_epoch(book, DAY)
    good = entry(tmp_path).read_bytes()
    header, _, body = good.partition(b"\n")
    for bad in (good[: len(good) // 2],  # truncated
                header + b"\n" + body.replace(b'"T"', b'"F"', 1),  # content changed, sha256 kept
                b"",
                header[:-1] + b"0\n" + body):  # sha256 changed
        entry(tmp_path).write_bytes(bad)
        assert epochcache.compiled_epoch(book, DAY) == compiled
        assert entry(tmp_path).read_bytes() == good  # rewritten


def test_a_corrupt_entry_with_a_matching_digest_is_not_used(book: Rulebook, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Whole JSON that does not rebuild (a writer's bug, not a torn file) is compiled afresh."""
    monkeypatch.setenv(diskcache.ENV, str(tmp_path))
    compiled = epochcache.compiled_epoch(book, DAY)
    data = json.loads(entry(tmp_path).read_bytes().partition(b"\n")[2])
    del data["data"]["chunks"]
    body = json.dumps(data)
    entry(tmp_path).write_text(f"{diskcache.FORMAT} {hashlib.sha256(body.encode()).hexdigest()}\n{body}")
    assert epochcache.compiled_epoch(book, DAY) == compiled


def test_an_entry_of_another_rulebook_is_never_used(book: Rulebook, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules)
    params = rules / "parameters.yaml"
    params.write_text(params.read_text(encoding="utf-8") + "\n# a comment changes nothing\n", encoding="utf-8")
    monkeypatch.setenv(diskcache.ENV, str(tmp_path / "cache"))
    first = epochcache.compiled_epoch(book, DAY)
    assert epochcache.epoch_key(load_rulebook(rules), DAY) == epochcache.epoch_key(book, DAY)
    text = (rules / "rulebook.yaml").read_text(encoding="utf-8")
    (rules / "rulebook.yaml").write_text(text.replace('version: "', 'version: "other-', 1), encoding="utf-8")
    other = load_rulebook(rules)
    key = epochcache.epoch_key(other, DAY)
    assert key != epochcache.epoch_key(book, DAY)
    # The first rulebook's entry, put where the other's would be: its key inside does not match.
    shutil.copy(entry(tmp_path / "cache"), tmp_path / "cache" / f"epoch-{key}.json")
    compiled: list[Rulebook] = []
    monkeypatch.setattr(epochcache, "compile_rulebook", lambda b, d: compiled.append(b) or compile_rulebook(b, d))
    epochcache.compiled_epoch(other, DAY)
    assert compiled == [other]
    assert epochcache.compiled_epoch(book, DAY) == first
    assert compiled == [other]


def test_the_compilers_source_is_in_the_key(book: Rulebook, monkeypatch: pytest.MonkeyPatch) -> None:
    key = epochcache.epoch_key(book, DAY)
    monkeypatch.setattr(epochcache, "_code_digest", "0" * 64)
    assert epochcache.epoch_key(book, DAY) != key
    assert epochcache.epoch_key(book, DAY) == epochcache.epoch_key(book, DAY + dt.timedelta(days=1))


def test_no_cache_folder_is_no_error(book: Rulebook, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv(diskcache.ENV, str(blocker / "cache"))
    assert epochcache.compiled_epoch(book, DAY) == compile_rulebook(book, DAY)


def test_where_the_cache_is(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(diskcache.ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert diskcache.cache_dir() == tmp_path / "eligibility"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/ignored")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert diskcache.cache_dir() == tmp_path / ".cache" / "eligibility"
    monkeypatch.setenv(diskcache.ENV, "")
    assert diskcache.cache_dir() is None


def test_cli_no_cache_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(diskcache.ENV, str(tmp_path))
    case = str(ROOT / "cases" / "53-physical-own-account.yaml")
    result = CliRunner().invoke(main, ["--no-cache", "screen", case, "--format", "json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert not any(tmp_path.iterdir())
    monkeypatch.setenv(diskcache.ENV, str(tmp_path))  # --no-cache cleared it for the process
    cached = CliRunner().invoke(main, ["screen", case, "--format", "json"], catch_exceptions=False)
    assert cached.output == result.output
    assert list(tmp_path.glob("epoch-*.json"))


# -- the rule files' parsed YAML ------------------------------------------------------------------

def same_rulebook(a: Rulebook, b: Rulebook) -> bool:
    return (a.meta, a.files, a.parameters, a.services, a.file_digests, a.digest) == \
        (b.meta, b.files, b.parameters, b.services, b.file_digests, b.digest)


def test_the_rulebook_reads_the_same_from_the_cache(book: Rulebook, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(diskcache.ENV, str(tmp_path))
    assert same_rulebook(load_rulebook(ROOT / "rules"), book)  # parses and writes the entry
    [path] = tmp_path.glob("rules-*.json")
    monkeypatch.setattr(rulebook, "_read_yaml", no_compiling)
    assert same_rulebook(load_rulebook(ROOT / "rules"), book)  # parses nothing
    path.write_bytes(path.read_bytes()[:-10])  # torn: parsed afresh
    monkeypatch.undo()
    monkeypatch.setenv(diskcache.ENV, str(tmp_path))
    assert same_rulebook(load_rulebook(ROOT / "rules"), book)


def test_an_edited_rule_file_is_parsed_again(book: Rulebook, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules)
    monkeypatch.setenv(diskcache.ENV, str(tmp_path / "cache"))
    load_rulebook(rules)
    meta = rules / "rulebook.yaml"
    meta.write_text(meta.read_text(encoding="utf-8").replace('version: "', 'version: "other-', 1), encoding="utf-8")
    assert load_rulebook(rules).version.startswith("other-")
    meta.write_text(meta.read_text(encoding="utf-8").replace("version:", "versjon:", 1), encoding="utf-8")
    with pytest.raises(RuleFileError, match="rulebook.yaml"):
        load_rulebook(rules)


def test_yaml_data_in_json() -> None:
    data = {"a": [dt.date(2026, 1, 1), dt.datetime(2026, 1, 1, 12, 30), 1, 1.0, True, None, "x"]}
    encoded = rulebook._to_json(data)
    assert json.loads(json.dumps(encoded), object_hook=rulebook._from_json) == data
    for bad in ({1: "an int key"}, {"$date": "a key like a tag"}, {"a": b"bytes"}, {"a": {1, 2}}):
        with pytest.raises(TypeError):
            rulebook._to_json(bad)


def test_old_entries_are_pruned(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(diskcache.ENV, str(tmp_path))
    monkeypatch.setattr(diskcache, "KEEP", 3)
    for n in range(5):
        diskcache.write_entry("test", str(n), [n])
        os.utime(tmp_path / f"test-{n}.json", (1_000_000 + n, 1_000_000 + n))
    diskcache.write_entry("other", "x", [])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other-x.json", "test-2.json", "test-3.json", "test-4.json"]
    assert diskcache.read_entry("test", "4") == [4]
    assert diskcache.read_entry("test", "1") is None


# -- imports ----------------------------------------------------------------------------------------

def test_screen_imports_only_what_it_uses() -> None:
    """Audit, batch, interview, test tools: none is imported by a plain `eligibility screen`."""
    code = ("import sys, runpy; sys.argv = ['eligibility', 'screen', 'cases/53-physical-own-account.yaml']\n"
            "try:\n    runpy.run_module('cli', run_name='__main__')\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('hypothesis', 'sqlite3', 'multiprocessing', 'concurrent', 'pytest') or "
            "m.startswith(('eligibility.audit', 'eligibility.batch', 'eligibility.interview'))))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert out.splitlines()[-1] == "[]"
