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
