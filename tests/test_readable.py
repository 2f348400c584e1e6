"""Output a caseworker can follow up (issue 13 points 4-6): missing facts as questions with who
answers them and why they matter, citations that link to the statute, and a clinic summary that
opens with what to do."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from cli import main
from eligibility.loader import load_case_file
from eligibility.render import RENDERERS

from .conftest import ROOT, provision

STILL = ROOT / "cases" / "53-still-living-together.yaml"
MISSING = ROOT / "cases" / "53-facts-missing.yaml"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


# -- point 5: sources you can follow ----------------------------------------------------------------

def test_statute_citations_carry_their_lovdata_address_in_json(screener: Any) -> None:
    verdict = screener.screen(load_case_file(STILL), lang="nb")
    data = json.loads(RENDERERS["json"](verdict))
    b = next(p for p in data["provisions"] if p["provision"] == "utl-53-1-b")
    assert b["citation"]["url"] == "https://lovdata.no/lov/2008-05-15-35/§53"
    every = [r["citation"] for p in data["provisions"] for r in p["reasons"] + p["failed"]] + [b["citation"]]
    for c in every:
        assert (c["url"] is not None) == (c["kind"] in ("statute", "regulation")), c


def test_lovdata_addresses_of_statute_and_regulation() -> None:
    from eligibility.verdict import lovdata_url

    assert lovdata_url("LOV-2008-05-15-35", "53") == "https://lovdata.no/lov/2008-05-15-35/§53"
    assert lovdata_url("FOR-2009-10-15-1286", "10-8") == "https://lovdata.no/forskrift/2009-10-15-1286/§10-8"
    assert lovdata_url("UNE-123", "1") is None


def test_markdown_and_html_link_the_statute(screener: Any) -> None:
    verdict = screener.screen(load_case_file(STILL), lang="nb")
    assert "(https://lovdata.no/lov/2008-05-15-35/§53)" in RENDERERS["markdown"](verdict)
    assert '<a href="https://lovdata.no/lov/2008-05-15-35/§53">' in RENDERERS["html"](verdict)


def test_rules_list_shows_the_quotes() -> None:
    code, out, _ = run("rules", "list", "--on", "2026-12-01")
    assert code == 0
    assert "«det er grunn til å anta at utlendingen eller eventuelle barn har blitt mishandlet»" in out
    assert "(sammendrag, ikke lovtekst)" in out


def test_rules_graph_draws_one_provision() -> None:
    code, whole, _ = run("rules", "graph", "--on", "2026-12-01")
    code_one, one, _ = run("rules", "graph", "--on", "2026-12-01", "--provision", "utl-53-1-b")
    assert code == code_one == 0
    assert '"utl-53-1-b" [shape=doubleoctagon]' in one and '"utl-62"' not in one
    assert len(one.splitlines()) < len(whole.splitlines()) / 3
    code, _, err = run("rules", "graph", "--provision", "utl-99")
    assert code == 2 and "utl-53-1-b" in err
