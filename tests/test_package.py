"""Installed the way people install tools: the sdist carries the rules and the law-sources document,
a wheel built from that sdist installs in a fresh virtual environment, and every command works there
from another directory, with no checkout beside it.

Building needs setuptools from PyPI or pip's cache, so this test runs only when
ELIGIBILITY_TEST_INSTALL=1 is set (`.ci/run` sets it); it takes 20-50 s.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from pathlib import Path

import pytest

from .conftest import ROOT

pytestmark = pytest.mark.skipif(os.environ.get("ELIGIBILITY_TEST_INSTALL") != "1",
                                reason="set ELIGIBILITY_TEST_INSTALL=1 to build and install the package")

CASE = ROOT / "cases" / "53-physical-own-account.yaml"
SHIPPED = sorted(p.name for p in (ROOT / "rules").iterdir() if p.suffix in (".yaml", ".md"))
TIMEOUT = 300


def sh(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    """Run a command; fail the test with its output if it fails."""
    done = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=TIMEOUT)
    assert done.returncode == 0, f"{args}: exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def clean_env() -> dict[str, str]:
    """The environment of a user's shell: no PYTHONPATH, no rules directory chosen."""
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "ELIGIBILITY_RULES")}


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """sdist from a copy of the checkout -> wheel built from the sdist -> fresh venv; its bin dir."""
    tmp = tmp_path_factory.mktemp("install")
    src = tmp / "src"
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(
        ".git", ".venv", "venv", "build", "dist", "*.egg-info", "__pycache__", ".hypothesis", ".pytest_cache"))
    backend = tmp / "backend"
    sh(sys.executable, "-m", "pip", "install", "-q", "--target", backend, "setuptools>=68", cwd=tmp)
    env = clean_env() | {"PYTHONPATH": str(backend)}
    sh(sys.executable, "-c", f"import setuptools.build_meta as b; b.build_sdist({str(tmp / 'sdist')!r})",
       cwd=src, env=env)
    (sdist,) = (tmp / "sdist").glob("*.tar.gz")
    with tarfile.open(sdist) as tar:
        names = {Path(n).relative_to(Path(n).parts[0]).as_posix() for n in tar.getnames() if len(Path(n).parts) > 1}
    assert {f"rules/{name}" for name in SHIPPED} <= names, sorted(names)
    sh(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", tmp / "wheels", sdist, cwd=tmp)
    (wheel,) = (tmp / "wheels").glob("*.whl")
    assert {f"eligibility/rules/{name}" for name in SHIPPED} <= set(zipfile.ZipFile(wheel).namelist())
    venv = tmp / "venv"
    sh(sys.executable, "-m", "venv", "--without-pip", venv, cwd=tmp)
    # Dependencies come from the interpreter running the tests (a plain path in a .pth file: that
    # directory's own .pth files, such as an editable install of this checkout, are not processed).
    (site,) = Path(sh(venv / "bin" / "python", "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])",
                      cwd=tmp).strip()),
    deps = dict.fromkeys([sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]])
    (site / "_eligibility_test_deps.pth").write_text("\n".join(deps) + "\n", encoding="utf-8")
    sh(sys.executable, "-m", "pip", "--python", venv / "bin" / "python", "install", "-q", "--no-deps",
       "--no-index", wheel, cwd=tmp)
    (tmp / "elsewhere").mkdir()
    return venv / "bin"


def test_the_installed_package_reads_its_own_rules(installed: Path) -> None:
    elsewhere = installed.parent.parent / "elsewhere"
    out = sh(installed / "python", "-c", "import eligibility.law.rulebook as r; print(r.default_rules_dir()); "
             "print(r.law_sources_path())", cwd=elsewhere, env=clean_env())
    rules_dir, law_sources = (Path(line) for line in out.splitlines())
    assert rules_dir.is_relative_to(installed.parent) and rules_dir.name == "rules"
    assert law_sources == rules_dir / "law-sources.md" and law_sources.is_file()


def test_screen_from_another_directory_gives_the_checkouts_answer(installed: Path) -> None:
    elsewhere = installed.parent.parent / "elsewhere"
    out = sh(installed / "eligibility", "screen", CASE, "--format", "json", "--lang", "en",
             cwd=elsewhere, env=clean_env())
    here = sh(sys.executable, "-m", "cli", "screen", CASE, "--format", "json", "--lang", "en",
              cwd=ROOT, env=clean_env())
    assert out == here
    assert {p["provision"]: p["status"] for p in json.loads(out)["provisions"]}["utl-53-1-b"] == "met"


def test_rules_check_and_coverage_with_the_shipped_law_sources(installed: Path) -> None:
    elsewhere = installed.parent.parent / "elsewhere"
    assert "ok: rules" in sh(installed / "eligibility", "rules", "check", cwd=elsewhere, env=clean_env())
    out = sh(installed / "eligibility", "coverage", ROOT / "cases", "--notes", cwd=elsewhere, env=clean_env())
    assert "in the law notes but in no rule:" in out
