"""One question file for every output (issue 12 points 1, 2 and 6): `screen`, its renderers, the
summary and the interview say the words of rules/questions.yaml, label values from its `choices:`
table, and rank missing facts in the interview's order (ADR 0011)."""

from __future__ import annotations

import enum
import typing
from pathlib import Path
from typing import Any, Iterator

import pytest
from pydantic import BaseModel

from eligibility.explain.render import RENDERERS, first_question
from eligibility.explain.screening import Screener, missing_order
from eligibility.model.case import Case
from eligibility.model.loader import load_case_file
from eligibility.model.questions import (QuestionFileError, choice_label, load_questions, question_file, rank,
                                         template)

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = load_questions()


def _values(annotation: Any) -> Iterator[str]:
    """The string values a field's annotation allows (Literal members, StrEnum members)."""
    if typing.get_origin(annotation) is typing.Literal:
        yield from (a for a in typing.get_args(annotation) if isinstance(a, str))
    elif isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        yield from (m.value for m in annotation)
    else:
        for arg in typing.get_args(annotation):
            yield from _values(arg)


def _case_values(model: type[BaseModel] = Case) -> set[str]:
    found: set[str] = set()
    for info in model.model_fields.values():
        found.update(_values(info.annotation))
        stack = [info.annotation]
        while stack:
            ann = stack.pop()
            if isinstance(ann, type) and issubclass(ann, BaseModel):
                found |= _case_values(ann)
            else:
                stack.extend(typing.get_args(ann))
    return found


def test_every_value_of_the_case_model_has_a_label_in_nb_and_en() -> None:
    labels = question_file().labels
    values = _case_values()
    assert {"norwegian_citizen", "utl-53-1-b", "physical", "B1"} <= values  # the reader sees enums and literals
    unlabelled = sorted(v for v in values if v not in labels)
    assert unlabelled == [], "add these to `choices:` in rules/questions.yaml with nb and en"
    for value in values:
        assert labels[value]["nb"] and labels[value]["en"], value


def test_a_choice_without_a_label_is_refused_when_the_file_is_read(tmp_path: Path) -> None:
    (tmp_path / "questions.yaml").write_text(
        "questions:\n- {path: relationship.type, answer: choice, choices: [marriage, civil_union], asks: person,"
        " en: Married, nb: Gift}\nchoices:\n  marriage: {nb: ekteskap, en: marriage}\n", encoding="utf-8")
    with pytest.raises(QuestionFileError, match="civil_union.*nb and en"):
        question_file(tmp_path)


def test_choice_labels_come_from_the_rule_file() -> None:
    assert choice_label("norwegian_citizen", "nb") == "norsk statsborger"
    assert choice_label("utl-40", "en") == "spouse (§ 40)"
    from eligibility.interview.dialogue import prompt_lines

    said = "\n".join(prompt_lines(QUESTIONS["reference_person.status"], 1, "nb"))
    assert "norsk statsborger" in said and "norwegian citizen" not in said


def test_nb_input_errors_label_the_values() -> None:
    from eligibility.model.texts import choice

    assert choice("utl-40", "nb") == "utl-40 (ektefelle (utl. § 40))"
    assert choice("A1", "nb") == "A1"


@pytest.mark.parametrize("lang", ["nb", "en"])
def test_the_screen_asks_in_the_interview_s_words(screener: Screener, lang: str) -> None:
    for name in ("53-facts-missing.yaml", "62-missing-facts.yaml", "41-cohabitants-missing-facts.yaml"):
        verdict = screener.screen(load_case_file(ROOT / "cases" / name), lang=lang)
        for p in verdict.provisions:
            for m in p.missing:
                q = QUESTIONS.get(template(m.path)) or QUESTIONS.get(template(m.path).split("[]")[0])
                assert q is not None, m.path
                assert m.question == q.text(lang), (name, m.path)
                assert m.path not in m.question


def test_the_screen_ranks_missing_facts_like_the_interview(screener: Screener) -> None:
    verdict = screener.screen(load_case_file(ROOT / "cases" / "53-facts-missing.yaml"), lang="en")
    key = missing_order(verdict.provisions, QUESTIONS)
    for p in verdict.provisions:
        assert p.missing == sorted(p.missing, key=lambda m, pid=p.provision: key(m, pid)), p.provision
    by_id = {p.provision: [m.path for m in p.missing] for p in verdict.provisions}
    # gates first: the couple's intention settles § 40 before its income and dates are asked
    forty = by_id["utl-40"]
    assert forty[:2] == ["reference_person.status", "relationship.intend_to_live_together"]
    assert forty.index("relationship.intend_to_live_together") < forty.index("reference_person.expected_income")
    # the caseworker's judgments § 53(1)(b) turns on before the details of each incident
    b = by_id["utl-53-1-b"]
    assert b.index("abuse.account_credible") < b.index("abuse.incidents[0].date")


def test_the_interview_and_the_screen_share_one_ranking() -> None:
    from eligibility.interview import interview

    assert interview.rank is rank and interview.load_questions is load_questions


def test_the_brief_asks_first_what_the_interview_asks_first(screener: Screener) -> None:
    verdict = screener.screen(load_case_file(ROOT / "cases" / "53-facts-missing.yaml"), lang="en")
    first = first_question(verdict)
    assert first is not None and first.path == "permits"  # a gate all four § 53 grounds and § 62 need
    assert f"Ask first: {first.question} (" in RENDERERS["brief"](verdict)
