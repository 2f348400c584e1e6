"""The one catalogue of fixed words (eligibility/model/texts.py): every word in nb and en, every word used."""

from __future__ import annotations

import re
from pathlib import Path
from typing import get_args, get_type_hints

import pytest

from eligibility.model import texts
from eligibility.model.case import answered_by

ANSWERED_BY = set(get_args(get_type_hints(answered_by)["return"]))
ROOT = Path(__file__).resolve().parents[1]
# Where each table's words are printed: a key must be named (as a string) in one of these files.
USERS = {
    "screen": ["eligibility/explain/*.py"],
    "summary": ["eligibility/batch/summary.py"],
    "interview": ["eligibility/interview/dialogue.py"],
    "input": ["eligibility/**/*.py", "cli.py"],
}


def _source(table: str) -> str:
    files = {f for pattern in USERS[table] for f in ROOT.glob(pattern) if f.name != "texts.py"}
    return "\n".join(f.read_text(encoding="utf-8") for f in sorted(files))


@pytest.mark.parametrize("table", sorted(texts.CATALOGUE))
def test_every_word_has_nb_and_en_and_is_used(table: str) -> None:
    """One catalogue: each key has non-empty nb and en, the same {placeholders} in both, and is used."""
    source = _source(table)
    for key, words in texts.CATALOGUE[table].items():
        assert set(words) == {"nb", "en"} and all(w.strip() for w in words.values()), (table, key)
        assert set(re.findall(r"\{(\w*)", words["nb"])) == set(re.findall(r"\{(\w*)", words["en"])), (table, key)
    unused = [key for key in texts.CATALOGUE[table] if not _named(key, source)]
    assert not unused, f"{table}: not used: {unused}"


def _named(key: str, source: str) -> bool:
    """The key as a string in the source, or built there from a prefix and who answers the
    question ('by_' + answered_by(path), f"asks_{q.asks}")."""
    if re.search(rf"""["']{re.escape(key)}["']""", source):
        return True
    prefix, _, kind = key.partition("_")
    return kind in ANSWERED_BY and bool(re.search(rf"""["']{prefix}_(["'] \+|\{{)""", source))


def test_the_stages_have_no_word_tables_of_their_own() -> None:
    """The summary and the interview take their words from the catalogue (one lookup: texts.word)."""
    for name in ("eligibility/batch/summary.py", "eligibility/interview/dialogue.py", "cli.py",
                 "eligibility/model/loader.py", "eligibility/batch/readers.py"):
        source = (ROOT / name).read_text(encoding="utf-8")
        assert not re.search(r'^\w+\s*(:[^=]*)?=\s*\{\s*$\n\s*"\w+": \{"(nb|en)"', source, re.M), name


CASE = str(ROOT / "cases" / "53-physical-own-account.yaml")


@pytest.mark.parametrize("args, nb, en", [
    (["screen", CASE, "--as-of", "2005-01-01"], "regelverket gjelder loven fra 2010-01-01", "the rulebook covers"),
    (["screen", "--as-of", "2101-01-01", CASE], "vurderingsdatoen kan være høyst 2100-12-31", "at most 2100-12-31"),
    (["screen", CASE, "--as-of", "26.11.2026"], "«26.11.2026» er ikke en dato", "is not a date"),
    (["rules", "list", "--on", "1.1.2027"], "«1.1.2027» er ikke en dato", "is not a date"),
    (["screen", CASE, "-o", "/no/such/folder/v.txt"], "mappen til «/no/such/folder/v.txt» finnes ikke",
     "the folder of '/no/such/folder/v.txt' does not exist"),
])
def test_date_options_are_refused_in_the_commands_language(args: list[str], nb: str, en: str) -> None:
    """--as-of / --on errors in nb under --lang nb (click's own usage errors stay click's: README)."""
    from click.testing import CliRunner

    from cli import main

    for lang, words, other in (("nb", nb, en), ("en", en, nb)):
        result = CliRunner().invoke(main, [*args, "--lang", lang], catch_exceptions=False)
        assert result.exit_code == 2 and words in result.stderr and other not in result.stderr, result.stderr
        assert ("Invalid value" in result.stderr) == (lang == "en"), result.stderr


def _input_error_calls() -> list[tuple[str, int, object]]:
    """Every `InputError(...)` in eligibility/ and cli.py: (file, line, its key: a string, or the node)."""
    import ast

    calls = []
    for f in sorted([*ROOT.glob("eligibility/**/*.py"), ROOT / "cli.py"]):
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "InputError":
                key = node.args[1] if len(node.args) > 1 else None
                calls.append((f.name, node.lineno, key.value if isinstance(key, ast.Constant) else ast.dump(key)))
    return calls


def test_every_input_error_has_its_words_in_nb_and_en() -> None:
    """An InputError names a key of the catalogue (texts.INPUT), never English to be rewritten; its
    Norwegian differs from its English (bar a text worded in the command's language already)."""
    calls = _input_error_calls()
    assert len(calls) > 60
    # the one call with a key that is not a literal: InputError.elsewhere, passing on its own key
    # keys passed on: InputError.elsewhere (its own key), and law_date's checks for batch --as-of
    passed_on = {("loader.py", "attr='key'"), ("runner.py", "attr='type'")}
    odd = [c for c in calls if c[2] not in texts.INPUT]
    assert {(f, re.search(r"attr='\w+'", str(k))[0]) for f, _, k in odd} == passed_on, odd
    assert {"before_law", "after_law"} <= set(texts.INPUT)
    for key, words in texts.INPUT.items():
        assert key == "worded" or words["nb"] != words["en"], key


@pytest.mark.parametrize("args, nb, en", [
    (["screen", "does-not-exist.yaml"], "does-not-exist.yaml: filen finnes ikke", "does-not-exist.yaml: no such file"),
    (["summary", "nowhere.sqlite"], "nowhere.sqlite: filen finnes ikke", "nowhere.sqlite: no such file"),
    (["screen", "-"], "<stdin>: ikke gyldig YAML: ", "<stdin>: not valid YAML: "),
    (["interview", "--id", "a/b"], "intervju-id «a/b» kan bare ha", "interview id 'a/b' must be"),
    (["screen", CASE, "--only", "utl-99"], "--only: ingen bestemmelse utl-99 (velg blant utl-53-1-b",
     "--only: no provision utl-99 (choose from utl-53-1-b"),
])
def test_input_errors_are_worded_in_the_commands_language(args: list[str], nb: str, en: str) -> None:
    from click.testing import CliRunner

    from cli import main

    for lang, words in (("nb", nb), ("en", en)):
        result = CliRunner().invoke(main, [*args, "--lang", lang], input="case_id: [unclosed\n",
                                    catch_exceptions=False)
        assert result.exit_code == 2 and words in result.stderr, result.stderr
        assert result.stderr.startswith("feil: " if lang == "nb" else "error: "), result.stderr


def test_csv_header_problems_in_nb(tmp_path: Path) -> None:
    """The batch readers' errors have nb words (InputError.text), the stored message stays English."""
    from eligibility.batch.readers import _Header
    from eligibility.model.loader import InputError

    with pytest.raises(InputError) as caught:
        _Header(["case_id", "case_id"], "cases.csv")
    assert caught.value.text("nb") == "kolonne 2 gjentar kolonne 1 (case_id)"
    assert caught.value.message == "column 2 repeats column 1 (case_id)"


@pytest.mark.parametrize("text, nb, en", [
    ("case_id,notes\nk-1,\"unclosed\n", "CSV-syntaksfeil", "CSV syntax error"),
    ("case_id,\"unclosed\n", "CSV-overskriften kan ikke leses: CSV-syntaksfeil", "the CSV header cannot be read: CSV syntax error"),
])
def test_a_csv_file_cut_short_is_told_in_nb(tmp_path: Path, text: str, nb: str, en: str) -> None:
    """The CSV reader's own problems (a syntax error, a row too large) have nb words too."""
    from eligibility.batch.readers import _read_all, _resolve_inputs
    from eligibility.model.loader import InputError

    (tmp_path / "cases.csv").write_text(text, encoding="utf-8")
    try:
        errors = [raw.error for raw in _read_all(_resolve_inputs([tmp_path / "cases.csv"])) if raw.error]
    except InputError as exc:
        errors = [exc]
    assert errors and nb in errors[0].text("nb") and en in errors[0].message, errors[0].message


@pytest.mark.parametrize("text, nb", [("a: &x 1\nb: *x\n", "ankere (&navn)"), ("a: !!str 1\n", "tagger (!tag)")])
def test_refused_yaml_features_are_told_in_nb(text: str, nb: str) -> None:
    from eligibility.model.loader import InputError, parse_text

    with pytest.raises(InputError) as caught:
        parse_text(text.encode(), "case.yaml")
    assert nb in caught.value.text("nb") and "not allowed" in caught.value.message
