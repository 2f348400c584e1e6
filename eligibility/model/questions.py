"""The questions a caseworker asks and the labels of the case file's values, read from
``rules/questions.yaml`` (data, issue 12 point 6), and the order the questions are asked in
(ADR 0011).

Kept at the bottom of the pipeline (ADR 0012) so that the screening, its renderers, the batch
summary and the interview say the same words in nb and en and rank missing facts the same way,
without an import running back up the pipeline. Reads YAML with the safe loader only.
"""

from __future__ import annotations

import functools
import importlib.resources
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

LANGS = ("nb", "en")
KEY_PROVISION = "utl-53"  # the independent permit: its facts are asked first (ADR 0011)
_INDEX = re.compile(r"\[\d+\]")


class QuestionFileError(ValueError):
    """rules/questions.yaml is not as the interview and the screening need it."""


def default_rules_dir() -> Path:
    """$ELIGIBILITY_RULES if set; else the rules installed with the package (``eligibility/rules``
    in a wheel); else ``rules/`` beside the package in a source checkout or editable install."""
    env = os.environ.get("ELIGIBILITY_RULES")
    if env:
        return Path(env)
    installed = importlib.resources.files("eligibility").joinpath("rules")
    if isinstance(installed, Path) and (installed / "rulebook.yaml").is_file():
        return installed
    return Path(__file__).resolve().parents[2] / "rules"


@dataclass(frozen=True)
class Question:
    """One entry of rules/questions.yaml."""

    path: str
    answer: str
    asks: str
    en: str
    nb: str
    position: int
    choices: tuple[str, ...] = ()
    safety: bool = False
    gate: bool = False
    sensitive: bool = False
    parks: bool = True
    after: str | None = None
    or_from: tuple[str, ...] = ()  # asked after "don't know": the facts the engine works it out from
    needs: str | None = None  # asked only once this fact is known (details of something unknown are not)

    def text(self, lang: str) -> str:
        return self.nb if lang == "nb" else self.en


@dataclass(frozen=True)
class QuestionFile:
    """The questions keyed by case path (list items as ``abuse.incidents[].kind``) and the labels
    of the values (value -> {nb, en})."""

    questions: dict[str, Question]
    labels: dict[str, dict[str, str]]


def template(path: str) -> str:
    """``abuse.incidents[0].kind`` -> ``abuse.incidents[].kind``."""
    return _INDEX.sub("[]", path)


def _question(i: int, q: dict[str, Any]) -> Question:
    missing = [k for k in ("path", "answer", "asks", "en", "nb") if not q.get(k)]
    if missing:
        raise QuestionFileError(f"questions.yaml: question {i + 1} ({q.get('path', '?')}) has no "
                                f"{', '.join(missing)}: give every question these fields")
    return Question(path=q["path"], answer=q["answer"], asks=q["asks"], en=q["en"], nb=q["nb"], position=i,
                    choices=tuple(q.get("choices") or ()), safety=bool(q.get("safety")), gate=bool(q.get("gate")),
                    sensitive=bool(q.get("sensitive")), parks=bool(q.get("parks", True)), after=q.get("after"),
                    or_from=tuple(q.get("or_from") or ()), needs=q.get("needs"))


def _labels(data: Any) -> dict[str, dict[str, str]]:
    if not isinstance(data, dict):
        raise QuestionFileError("questions.yaml: `choices:` must map each value to its labels {nb: ..., en: ...}")
    out: dict[str, dict[str, str]] = {}
    for value, label in data.items():
        if not isinstance(label, dict) or any(not isinstance(label.get(lang), str) or not label[lang]
                                               for lang in LANGS):
            raise QuestionFileError(f"questions.yaml: choices.{value} needs a label in nb and en: "
                                    f"{{nb: ..., en: ...}}")
        out[str(value)] = {lang: label[lang] for lang in LANGS}
    return out


@functools.lru_cache(maxsize=8)
def _read(path: Path) -> QuestionFile:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get("questions"), list):
        raise QuestionFileError(f"{path}: must hold a list `questions:` and a table `choices:`")
    questions = {q.path: q for q in (_question(i, q) for i, q in enumerate(data["questions"]))}
    labels = _labels(data.get("choices") or {})
    for q in questions.values():  # the values offered as numbered choices
        unlabelled = [c for c in q.choices if c not in labels] if q.answer in ("choice", "several") else []
        if unlabelled:
            raise QuestionFileError(f"questions.yaml: {q.path}: the choices {', '.join(unlabelled)} have no "
                                    "label: add them to `choices:` with nb and en")
    return QuestionFile(questions, labels)


def question_file(rules_dir: Path | None = None) -> QuestionFile:
    """The question file of ``rules_dir`` (default: the shipped rules), read once. A rules folder
    without one uses the shipped questions (the questions are words, not law)."""
    path = Path(rules_dir or default_rules_dir()) / "questions.yaml"
    if not path.is_file():
        path = default_rules_dir() / "questions.yaml"
    return _read(path.resolve())


def load_questions(rules_dir: Path | None = None) -> dict[str, Question]:
    """The questions of ``rules_dir``, keyed by case path (list items as ``abuse.incidents[].kind``)."""
    return question_file(rules_dir).questions


def asked(path: str, rules_dir: Path | None = None) -> dict[str, str] | None:
    """The nb/en question for ``path`` (``permits[0].valid_from`` as ``permits[].valid_from``),
    else for the nearest field above it (``permits[].started`` asks about ``permits``); None if
    neither has one: a raw path is never the question."""
    questions = question_file(rules_dir).questions
    parts = template(path).split(".")
    while parts:
        here = ".".join(parts)
        # an item of a list asks the list's own question ("has she had a permit?"), not the
        # interview's "another one?" (``permits[]``)
        q = questions.get(here.removesuffix("[]")) if here.endswith("[]") else questions.get(here)
        if q is not None:
            return {"nb": q.nb, "en": q.en}
        parts.pop()
    return None


def choice_label(value: str, lang: str, rules_dir: Path | None = None) -> str:
    """The label of a case file's value in ``lang`` ('physical' -> 'fysisk vold')."""
    found = question_file(rules_dir).labels.get(value)
    return found[lang] if found else value.replace("_", " ")


def rank(path: str, provisions: list[str], questions: dict[str, Question], order: dict[str, int]) -> tuple:
    """The sort key of a missing fact (ADR 0011): gates first, then facts a § 53 provision needs,
    the sensitive ones (details of the abuse) last among them, then the others; then the number
    of open ``provisions`` it can change; ties by statute order (``order``: provision -> its place
    in the verdict) and the question file. § 53(1)(b) is what can free her: its details come
    before § 40 income or § 62 test levels, late within § 53 and always skippable."""
    q = questions.get(template(path))
    return (not (q is not None and q.gate), not any(p.startswith(KEY_PROVISION) for p in provisions),
            q is not None and q.sensitive, -len(provisions),
            min((order.get(p, 99) for p in provisions), default=99), q.position if q else 10_000, path)
