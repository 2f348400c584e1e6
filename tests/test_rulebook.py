"""Rule files are validated, refused with file / rule id / field, and compiled within durable's limits."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from eligibility.law.compiler import MAX_INPUTS, MAX_SIBLING_TESTS, RulebookLimitError, compile_rulebook
from eligibility.law.rulebook import RuleFileError, law_sources_path, load_rulebook

from .conftest import ROOT

GOOD_NODE = {
    "id": "demo.cond",
    "valid_from": "2010-01-01",
    "title": {"nb": "Prøve", "en": "Test"},
    "source": {"ledd": 1, "quote": "samlivet er opphørt"},
    "when": {"fact": "relationship.cohabitation_ended", "is": True},
    "explain": {"met": {"nb": "ja", "en": "yes"}, "not_met": {"nb": "nei", "en": "no"}},
}
PROVISION = {
    "id": "demo.provision",
    "valid_from": "2010-01-01",
    "title": {"nb": "Prøve", "en": "Test"},
    "provision": {"kind": "entitlement"},
    "source": {"ledd": 1, "quote": "skal etter søknad gis"},
    "all": ["demo.cond"],
    "explain": {"met": {"nb": "ja", "en": "yes"}, "not_met": {"nb": "nei", "en": "no"}},
}


def rules_dir(tmp_path: Path, nodes: list[dict[str, Any]]) -> Path:
    directory = tmp_path / "rules"
    directory.mkdir()
    shutil.copy(ROOT / "rules" / "rulebook.yaml", directory)
    shutil.copy(ROOT / "rules" / "parameters.yaml", directory)
    document = {"unit": "demo", "law": "utlendingsloven", "section": "53",
                "title": {"nb": "Prøve", "en": "Demo"}, "nodes": nodes}
    (directory / "demo.yaml").write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    return directory


def refused(tmp_path: Path, nodes: list[dict[str, Any]]) -> RuleFileError:
    with pytest.raises(RuleFileError) as info:
        load_rulebook(rules_dir(tmp_path, nodes))
    return info.value


def with_(node: dict[str, Any], **changes: Any) -> dict[str, Any]:
    out = dict(node)
    for key, value in changes.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = value
    return out


def test_the_shipped_rulebook_loads_and_compiles_on_every_change_date() -> None:
    book = load_rulebook(ROOT / "rules")
    days = {n.valid_from for versions in book.versions.values() for n in versions}
    for day in sorted(days) + [dt.date(2026, 11, 26)]:
        compiled = compile_rulebook(book, day)
        assert any(n.provision for n in compiled.nodes.values())


def test_every_shipped_rule_cites_its_source_with_a_quote_in_both_languages() -> None:
    book = load_rulebook(ROOT / "rules")
    for versions in book.versions.values():
        for node in versions:
            assert len(node.source.quote) >= 3, node.key
            assert node.title.nb and node.title.en, node.key
            citation = book.citation(node)
            assert citation["law"] in book.meta.laws and citation["section"], node.key


def test_a_good_minimal_rulebook_loads(tmp_path: Path) -> None:
    book = load_rulebook(rules_dir(tmp_path, [GOOD_NODE, PROVISION]))
    assert set(book.versions) == {"demo.cond", "demo.provision"}
    assert len(book.digest) == 64


@pytest.mark.parametrize("node, rule, field, words", [
    (with_(GOOD_NODE, source={"ledd": 1}), "demo.cond", "source.quote", "Field required"),
    (with_(GOOD_NODE, when={"fact": "relationship.cohabitation_endd", "is": True}), "demo.cond", "when.fact", "unknown fact path"),
    (with_(GOOD_NODE, when={"fact": "relationship.type", "is": "marriag"}), "demo.cond", "when.is", "not a value"),
    (with_(GOOD_NODE, when={"fact": "relationship.cohabitation_ended", "is": "yes"}), "demo.cond", "when.is", "yes/no"),
    (with_(GOOD_NODE, when={"fact": "applicant.age", "is": 18}), "demo.cond", "when.is", "measured range"),
    (with_(GOOD_NODE, when={"all": [{"some": "permits", "where": {"item": "basis", "is": "utl-40"}}]}),
     "demo.cond", "when.all[0]", "top of a condition"),
    (with_(GOOD_NODE, when={"fact": "reference_person.expected_income", "at_least": {"param": "nope"}}),
     "demo.cond", "when.at_least", "unknown parameter"),
    (with_(GOOD_NODE, when={"eval": "__import__('os')"}), "demo.cond", "when", "unknown expression keys"),
    (with_(GOOD_NODE, all=["demo.cond"]), "demo.cond", None, "exactly one of"),
    (with_(GOOD_NODE, explain={"met": {"nb": "ja {nope}", "en": "yes"}}), "demo.cond", "explain.met.nb", "unknown placeholder"),
    (with_(GOOD_NODE, explain={"met": {"nb": "ja"}}), "demo.cond", "explain.met.en", "Field required"),
    (with_(GOOD_NODE, colour="blue"), "demo.cond", "colour", "Extra inputs"),
])
def test_a_bad_rule_is_refused_naming_file_rule_and_field(tmp_path: Path, node: dict[str, Any], rule: str,
                                                          field: str | None, words: str) -> None:
    error = refused(tmp_path, [node, PROVISION])
    assert error.file == "demo.yaml"
    assert error.rule == rule
    if field:
        assert error.field == field
    assert words in error.message
    assert "demo.yaml" in str(error) and rule in str(error)


def test_overlapping_versions_of_a_rule_are_refused(tmp_path: Path) -> None:
    later = with_(GOOD_NODE, valid_from="2015-01-01")
    error = refused(tmp_path, [GOOD_NODE, later, PROVISION])
    assert error.rule == "demo.cond" and "overlaps" in error.message


def test_a_reference_to_an_unknown_rule_is_refused(tmp_path: Path) -> None:
    error = refused(tmp_path, [GOOD_NODE, with_(PROVISION, all=["demo.cond", "demo.typo"])])
    assert error.rule == "demo.provision" and "demo.typo" in error.message


def test_yaml_is_read_safely_never_executed(tmp_path: Path) -> None:
    directory = rules_dir(tmp_path, [GOOD_NODE, PROVISION])
    (directory / "evil.yaml").write_text("unit: !!python/object/apply:os.system ['true']\n", encoding="utf-8")
    with pytest.raises(RuleFileError) as info:
        load_rulebook(directory)
    assert info.value.file == "evil.yaml" and "not valid YAML" in info.value.message


def test_versions_are_chosen_by_the_assessment_date(tmp_path: Path) -> None:
    old = with_(GOOD_NODE, valid_to="2018-10-31")
    new = with_(GOOD_NODE, valid_from="2018-11-01", when={"fact": "relationship.cohabitation_ended", "is": False})
    book = load_rulebook(rules_dir(tmp_path, [old, new, PROVISION]))
    assert compile_rulebook(book, dt.date(2018, 10, 31)).nodes["demo.cond"].key == "demo.cond@2010-01-01"
    assert compile_rulebook(book, dt.date(2018, 11, 1)).nodes["demo.cond"].key == "demo.cond@2018-11-01"


def test_a_rulebook_one_fact_could_overwhelm_is_refused(tmp_path: Path) -> None:
    """durable fails with error 303 when one fact passes more than 64 sibling tests
    (benchmarks/limits.py); the compiler refuses such a rulebook up front."""
    nodes = [with_(GOOD_NODE, id=f"demo.c{i}", when={"fact": "reference_person.expected_income", "at_least": i})
             for i in range(MAX_SIBLING_TESTS + 1)]
    book = load_rulebook(rules_dir(tmp_path, grouped(nodes)))
    with pytest.raises(RulebookLimitError, match="reference_person"):
        compile_rulebook(book, dt.date(2026, 1, 1))


def test_tests_that_cannot_match_together_are_within_the_limit(tmp_path: Path) -> None:
    """`is` compiles to = (met) and ≠ (not met); every ≠ can match at once, every = only one."""
    nodes = [with_(GOOD_NODE, id=f"demo.c{i}", when={"fact": "reference_person.years_work_or_education", "is": i})
             for i in range(MAX_SIBLING_TESTS - 2)]
    book = load_rulebook(rules_dir(tmp_path, grouped(nodes)))
    compile_rulebook(book, dt.date(2026, 1, 1))


def grouped(nodes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``nodes`` and a provision requiring all of them, through sub-rules of 10 (ADR 0010: one
    rule combines at most `MAX_INPUTS`)."""
    groups = [with_(GOOD_NODE, id=f"demo.g{k}", when=None, all=[n["id"] for n in nodes[k:k + 10]])
              for k in range(0, len(nodes), 10)]
    return nodes + groups + [with_(PROVISION, all=[g["id"] for g in groups])]


def test_a_rule_combining_too_many_rules_is_refused_with_its_name(tmp_path: Path) -> None:
    """ADR 0010: a rule's inputs travel in one chunk fact, which durable lets pass at most 64
    tests; the compiler names the rule and says how to fix it."""
    nodes = [with_(GOOD_NODE, id=f"demo.c{i}", when={"fact": "relationship.children_together", "at_least": i})
             for i in range(MAX_INPUTS + 1)]
    book = load_rulebook(rules_dir(tmp_path, nodes + [with_(PROVISION, any=[n["id"] for n in nodes], all=None)]))
    with pytest.raises(RulebookLimitError, match=f"demo.provision.*combines {MAX_INPUTS + 1} rules"):
        compile_rulebook(book, dt.date(2026, 1, 1))


def law_sources_text() -> str:
    """The shipped law-sources document, with markdown emphasis, guillemets, block-quote markers and
    line breaks taken out so that a quote matches however the document lays it out."""
    import re

    text = law_sources_path(ROOT / "rules").read_text(encoding="utf-8")
    text = re.sub(r"(?m)^>\s?", "", text)
    return norm_quote(text)


def norm_quote(text: str) -> str:
    import re

    return re.sub(r"\s+", " ", re.sub(r"[*«»]", "", text)).strip()


def test_every_law_text_quote_is_verbatim_in_the_shipped_law_sources() -> None:
    """A quote tagged LAW-TEXT must stand in the statute text quoted by rules/law-sources.md, the
    document shipped with the rules: never a paraphrase passed off as the Act."""
    law = law_sources_text()
    book = load_rulebook(ROOT / "rules")
    sources = [(n.key, n.source) for f in book.files.values() for n in f.nodes]
    sources += [(p.id, p.reference) for p in book.parameters.values()]
    sources += [(s.id, s.basis) for s in book.services.values()]
    wrong = [(key, src.quote) for key, src in sources if src.confidence == "LAW-TEXT" and not quoted_in(src.quote, law)]
    assert not wrong, wrong


def quoted_in(quote: str, law: str, gap: int = 6000) -> bool:
    """Whether ``quote`` stands in ``law``; "…" marks words left out, so its parts must stand in
    order, each within ``gap`` characters of the one before (the same section of the document)."""
    parts = [norm_quote(p) for p in quote.split("…") if norm_quote(p)]
    start = law.find(parts[0]) if parts else -1
    while start >= 0:
        end, ok = start + len(parts[0]), True
        for part in parts[1:]:
            found = law.find(part, end, end + gap + len(part))
            if found < 0:
                ok = False
                break
            end = found + len(part)
        if ok:
            return True
        start = law.find(parts[0], start + 1)
    return False


def test_an_elided_quote_must_keep_its_parts_in_order() -> None:
    law = norm_quote("Vilkåret gjelder ikke når a) ekteskapet var inngått før innreise")
    assert quoted_in("a) ekteskapet … før innreise", law)
    assert not quoted_in("før innreise … a) ekteskapet", law)
    assert not quoted_in("a) ekteskapet … etter innreise", law)


def test_every_law_notes_section_the_rules_cite_is_in_the_shipped_law_sources() -> None:
    """"law notes § 18", "notes § 15.4" and "§ 19 item 5" in a rule file name a section heading of
    rules/law-sources.md, so an installed copy resolves every citation without ../shared."""
    import re

    headings = set(re.findall(r"(?m)^#{2,3} (\d+(?:\.\d+)?)\.? ", law_sources_path(ROOT / "rules").read_text(encoding="utf-8")))
    cited: set[str] = set()
    for path in sorted((ROOT / "rules").glob("*.yaml")):
        for chain in re.findall(r"notes,? (§ \d+(?:\.\d+)?(?:(?:,| and) § \d+(?:\.\d+)?)*)", path.read_text(encoding="utf-8")):
            cited.update(re.findall(r"\d+(?:\.\d+)?", chain))
    assert cited and not cited - headings, sorted(cited - headings)


def _lovdata_forms(law_id: str) -> list[str]:
    """How the law notes may write a Lovdata id: as the id, or «lov 4. juli 1991 nr. 47»."""
    months = ["januar", "februar", "mars", "april", "mai", "juni", "juli", "august", "september", "oktober",
              "november", "desember"]
    _kind, year, month, day, number = law_id.split("-")
    return [law_id, f"{int(day)}. {months[int(month) - 1]} {year} nr. {number}"]


def test_every_law_id_is_in_the_law_notes_or_marked_unverified() -> None:
    """Issue 10 point 15: a Lovdata id our law sources do not give is marked, never silently trusted."""
    notes = "\n".join(line for line in law_sources_path(ROOT / "rules").read_text(encoding="utf-8").splitlines()
                      if "UNVERIFIED" not in line)
    book = load_rulebook(ROOT / "rules")
    for name, law in book.meta.laws.items():
        found = any(form in notes for form in _lovdata_forms(law.id))
        assert found != bool(law.id_unverified), (name, law.id, "in notes" if found else "not in notes")
    assert {n for n, law in book.meta.laws.items() if law.id_unverified} == {
        "straffeprosessloven", "straffeloven", "rettshjelploven"}


# --- issue 10 point 14: every citation carries its kind -------------------------------------------------

UNE_DECISION = r"\b(N\d{10}|PB\d{6})\b"


def _all_sources(book: Any) -> list[tuple[str, Any, str]]:
    """(where, source, default law) for every rule version and every service basis."""
    out = [(node.key, node.source, rule_file.law) for rule_file in book.files.values() for node in rule_file.nodes]
    return out + [(f"service {sid}", s.basis, "utlendingsloven") for sid, s in book.services.items()]


def test_every_source_has_a_kind_and_practice_is_never_cited_as_a_section() -> None:
    import re

    book = load_rulebook(ROOT / "rules")
    for where, source, law in _all_sources(book):
        kind = book.kind(source, law)
        assert kind in ("statute", "regulation", "preparatory_works", "circular", "practice"), where
        for lang in ("nb", "en"):
            text = book.cite_source(source, lang, law, "53")
            if kind in ("preparatory_works", "circular", "practice"):
                assert "§" not in text and "section" not in text, (where, text)
        # A quote that is not statute text, taken from a UNE decision, is UNE practice.
        if source.confidence != "LAW-TEXT" and re.search(UNE_DECISION, source.reference or "") and \
                "klageren" in source.quote:
            assert kind == "practice", where


@pytest.mark.parametrize("lang, text", [("nb", "UNE-praksis (N2307420111)"), ("en", "UNE practice (N2307420111)")])
def test_the_reduced_quality_of_life_condition_is_cited_as_une_practice(screener: Any, lang: str, text: str) -> None:
    from eligibility.model.case import Case

    case = Case.model_validate({
        "case_id": "t", "assessment_date": "2026-11-26",
        "permits": [{"basis": "utl-40", "valid_from": "2020-01-01", "valid_to": "2027-12-31"}],
        "relationship": {"type": "marriage", "cohabitation_started": "2020-01-01", "cohabitation_ended": "2026-09-01"},
        "abuse": {"incidents": [{"kind": "physical", "perpetrator": "reference_person", "victim": "applicant",
                                 "during_cohabitation": True, "severity": "high", "repeated": True}],
                  "account_credible": True, "reduced_quality_of_life": True}})
    verdict = screener.screen(case, lang=lang)
    p53 = next(p for p in verdict.provisions if p.provision == "utl-53-1-b")
    cited = {r.rule.split("@")[0]: r.citation for r in p53.reasons}
    quality = cited["utl-53.reduced-quality-of-life"]
    assert (quality.kind, quality.text) == ("practice", text)
    assert p53.citation.kind == "statute"
    from eligibility.explain.render import to_html, to_json, to_markdown, to_text
    for render in (to_text, to_markdown, to_html):
        assert text in render(verdict), render.__name__
    assert '"kind": "practice"' in to_json(verdict)


def test_a_regulation_is_cited_with_kind_regulation() -> None:
    book = load_rulebook(ROOT / "rules")
    kinds = {book.citation(n)["kind"] for f in book.files.values() for n in f.nodes
             if (n.source.law or f.law) == "utlendingsforskriften"}
    assert kinds == {"regulation"}


def test_practice_without_its_document_is_refused(tmp_path: Path) -> None:
    directory = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", directory)
    path = directory / "utl-53.yaml"
    text = path.read_text(encoding="utf-8").replace("      document: N2307420111\n", "", 1)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RuleFileError) as info:
        load_rulebook(directory)
    assert info.value.rule == "utl-53.reduced-quality-of-life" and "document" in str(info.value)
