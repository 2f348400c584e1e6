"""Output a caseworker can follow up (issue 13 points 4-6): missing facts as questions with who
answers them and why they matter, citations that link to the statute, and a clinic summary that
opens with what to do."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


from eligibility.model.loader import load_case_file
from eligibility.explain.render import RENDERERS

from .conftest import ROOT, provision
from .conftest import cli as run

STILL = ROOT / "cases" / "53-still-living-together.yaml"
MISSING = ROOT / "cases" / "53-facts-missing.yaml"


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
    from eligibility.explain.verdict import lovdata_url

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


# -- point 4: missing facts are questions -----------------------------------------------------------

def test_every_fact_a_rule_can_ask_for_has_a_question_and_who_answers() -> None:
    from eligibility.model.case import ANSWERED_BY, answered_by, question
    from eligibility.model.facts import FACT_SPECS
    from eligibility.explain.screening import nearest_question

    paths = {p for spec in FACT_SPECS.values() for p in spec.sources}
    paths |= {p for spec in FACT_SPECS.values() for item in (spec.item_specs or {}).values() for p in item.sources}
    for path in paths:
        asked = nearest_question(path)
        assert asked["nb"] != path and asked["en"] != path, path
    assert all(question(path) for path in ANSWERED_BY), "ANSWERED_BY names a field the case does not have"
    assert answered_by("permits[2].valid_from") == "register"
    assert answered_by("abuse.account_credible") == "caseworker"
    assert answered_by("relationship.cohabitation_started") == "person"


def test_a_derived_fact_asks_the_question_of_the_field_above_it() -> None:
    from eligibility.explain.screening import nearest_question

    assert nearest_question("permits[].started")["nb"].startswith("Har søkeren hatt oppholdstillatelse")


def test_missing_facts_say_who_answers_and_what_they_can_change(screener: Any) -> None:
    verdict = screener.screen(load_case_file(MISSING), lang="nb")
    text = RENDERERS["text"](verdict)
    assert ("Henger forklaringen hennes sammen, og er den troverdig? (saksbehandlers vurdering; "
            "kan endre utl. § 53 første ledd bokstav b)  [abuse.account_credible]") in text
    assert "(slå opp i register eller vedtak; kan endre utl. § 53 første ledd bokstav b, " in text
    for fmt in ("markdown", "html"):
        assert "saksbehandlers vurdering; kan endre utl. § 53 første ledd bokstav b" in RENDERERS[fmt](verdict)


def test_the_brief_ends_with_the_question_to_ask_first(screener: Any) -> None:
    verdict = screener.screen(load_case_file(MISSING), lang="nb")
    first = provision(verdict, "utl-53-1-b").missing[0]
    assert f"Spør først: {first.question} (" in RENDERERS["brief"](verdict)
    settled = verdict.model_copy(update={"provisions": [p for p in verdict.provisions if p.status != "undetermined"]})
    assert "Spør først" not in RENDERERS["brief"](settled)


# -- point 6: the clinic's summary opens with what to do ---------------------------------------------

def _clinic(tmp_path: Path, names: tuple[str, ...]) -> Path:
    import datetime as dt
    import shutil

    from eligibility.batch import run_batch

    folder = tmp_path / "cases"
    folder.mkdir()
    for name in names:
        shutil.copy(ROOT / "cases" / name, folder / name)
    db = tmp_path / "results.sqlite"
    run_batch([folder], db, as_of=dt.date(2026, 11, 26))
    return db


CLINIC = ("53-child-abused-cohabitant.yaml", "53-physical-own-account.yaml", "53-still-living-together.yaml",
          "53-single-incident.yaml", "53-facts-missing.yaml")


def test_the_summary_opens_with_what_to_do(tmp_path: Path) -> None:
    from eligibility.batch.summary import RENDERERS as SUMMARY, build_summary

    s = build_summary(_clinic(tmp_path, CLINIC), "nb")
    # § 53(1)(b) cases by the last day to apply with the right to stay (not by file order)
    assert [(e["case_id"], e["apply_by"]) for e in s["qualify"]] == [
        ("ex-53-physical-own-account", "2027-01-09"), ("ex-53-child-abused-cohabitant", "2027-04-30")]
    lawyer = {e["case_id"]: e["reasons"] for e in s["needs_assessment"]}
    assert "helhetsvurdering" in lawyer["ex-53-single-incident"]["utl-53-1-b"]
    nxt = {e["case_id"]: e["next"] for e in s["undetermined"]}
    assert nxt["ex-53-facts-missing"]["question"].startswith("Har søkeren hatt oppholdstillatelse")
    assert nxt["ex-53-facts-missing"]["answered_by"] == "register"
    # she qualifies under § 53(1)(b): the other § 53 grounds are not asked about
    assert not nxt["ex-53-physical-own-account"]["provisions"][0].startswith("utl-53")
    text = SUMMARY["text"](s, "nb")
    headings = ("DETTE BØR GJØRES", "FYLLER TROLIG", "IKKE ENNÅ", "TRENGER VURDERING", "NESTE SPØRSMÅL",
                "OVERSIKT", "STATUS PER BESTEMMELSE")
    assert [text.index(h) for h in headings] == sorted(text.index(h) for h in headings)
    assert "søk senest 9. januar 2027: ex-53-physical-own-account" in text
    assert "Har søkeren hatt oppholdstillatelse i Norge (en hun har nå eller har hatt)? (slå opp i register eller vedtak; " \
           "§ 53 første ledd bokstav b: mishandling" in text
    from .test_output import english_words

    for fmt, render in SUMMARY.items():
        out = render(s, "nb")
        assert not english_words(out), fmt
        assert "søk senest 9. januar 2027" in out and "ikke ennå" in out, fmt


def _luminance(colour: str) -> float:
    channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def test_the_chart_is_readable_in_words_and_colours(tmp_path: Path) -> None:
    from eligibility.batch.summary import CHART, COLOURS, build_summary, to_html

    for status in CHART:  # white numbers on every bar: WCAG AA contrast (4.5:1)
        assert (1.05) / (_luminance(COLOURS[status]) + 0.05) >= 4.5, status
    page = to_html(build_summary(_clinic(tmp_path, CLINIC), "nb"), "nb")
    chart = page.split("<svg", 1)[1].split("</svg>", 1)[0]
    assert ">§ 53 første ledd bokstav b: mishandling<title>utl-53-1-b</title></text>" in chart
    assert ">ikke ennå</text>" in chart and ">uavklart</text>" in chart
    assert "@page{size:A4" in page and "@media print" in page and "max-width:100%" in page


def test_the_brief_does_not_ask_about_other_section_53_grounds_once_one_is_met(screener: Any) -> None:
    from eligibility.explain.render import first_question

    verdict = screener.screen(load_case_file(ROOT / "cases" / "53-physical-own-account.yaml"), lang="nb")
    assert provision(verdict, "utl-53-1-b").status == "met"
    first = first_question(verdict)
    assert first is not None
    assert not any(p.provision.startswith("utl-53") and first in p.missing for p in verdict.provisions)
