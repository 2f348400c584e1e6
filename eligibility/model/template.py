"""An empty case to fill in (`eligibility template`): every field of the case schema with the
question that asks for it, as a commented YAML file or as a CSV header for a spreadsheet.

Every field is left out (commented out in YAML, an empty cell in CSV): absent means unknown, and an
empty YAML value would be an explicit null, which says something for some fields
(``relationship.cohabitation_ended: null`` = they still live together).
"""

from __future__ import annotations

import csv
import enum
import io
import types
from typing import Annotated, Any, Iterator, Literal, Union, get_args, get_origin

from pydantic import BaseModel

from .case import Case, _inner_model

HEADINGS = {
    "yaml": {
        "nb": ["Tom sak: fyll inn det du vet. Fjern # foran et felt (og foran gruppen det står i) for å",
               "svare på det; la resten stå: det som ikke er oppgitt, regnes som ukjent.",
               "Datoer skrives 2026-11-26 eller 26.11.2026. Ingen navn, fødselsnummer eller fritekst."],
        "en": ["An empty case: fill in what you know. Remove the # before a field (and before its group) to",
               "answer it; leave the rest: what is not given counts as unknown.",
               "Dates are written 2026-11-26 or 26.11.2026. No names, identity numbers or free text."],
    },
    "csv": {"nb": "# Spørsmål (linjer som begynner med # leses ikke; én sak per linje under)",
            "en": "# Question (rows starting with # are not read; one case per row below)"},
}
CHOICES = {"nb": "svar", "en": "answer"}
NB_WITHOUT_QUESTION = {  # the fields that are not asked in the schema (identifiers and dates of the screening)
    "case_id": "Anonymt saksnummer (påkrevd): bokstaver, sifre, punktum, _ og -; aldri navn eller fødselsnummer.",
    "assessment_date": "Loven anvendes slik den var på denne datoen; standard: i dag.",
    "age": "Fylte år på datoen.",
    "on": "Datoen alderen ble oppgitt for.",
}
LIST = {"nb": "en liste, f.eks.", "en": "a list, e.g."}


def _args(annotation: Any) -> list[Any]:
    """The alternatives of a field's type, without None and Annotated wrappers."""
    out, stack = [], [annotation]
    while stack:
        ann = stack.pop(0)
        origin = get_origin(ann)
        if origin is Annotated:
            stack.insert(0, get_args(ann)[0])
        elif origin in (Union, types.UnionType):
            stack[0:0] = list(get_args(ann))
        elif ann is not type(None):
            out.append(ann)
    return out


def _choices(annotation: Any) -> list[str]:
    values: list[str] = []
    for ann in _args(annotation):
        if get_origin(ann) is list:
            return _choices(get_args(ann)[0])
        if get_origin(ann) is Literal:
            values += [v for v in get_args(ann) if isinstance(v, str)]
        elif isinstance(ann, type) and issubclass(ann, enum.Enum):
            values += [str(m.value) for m in ann]
    return values


def _group(annotation: Any) -> tuple[type[BaseModel] | None, bool]:
    """(the model of a group of fields, whether it is a list of them); (None, _) for a value field
    (one that may also be written as a plain value, such as an income or ``{at_least: N}``)."""
    alternatives = _args(annotation)
    if len(alternatives) != 1:
        return None, False
    ann = alternatives[0]
    many = get_origin(ann) is list
    model = _inner_model(get_args(ann)[0] if many else ann)
    return model, many


def _question(name: str, info: Any, lang: str) -> str:
    extra = info.json_schema_extra
    asked = extra.get("question", {}).get(lang) if isinstance(extra, dict) else None
    text = asked or (NB_WITHOUT_QUESTION.get(name, "") if lang == "nb" else info.description) or ""
    choices = _choices(info.annotation)
    if choices:
        text += f" ({CHOICES[lang]}: {' | '.join(choices)})"
    if _group(info.annotation)[0] is None and any(get_origin(a) is list for a in _args(info.annotation)):
        example = f'["{choices[0]}"]' if choices else "[]"
        text += f" ({LIST[lang]} {example})"
    return text


def fields(model: type[BaseModel] = Case, prefix: str = "", depth: int = 0) -> Iterator[tuple[str, int, str, Any]]:
    """(dotted path, depth, kind, field info) of every field in schema order; kind is ``value``,
    ``group`` or ``list`` (a list of groups: its first element's fields follow with index 0)."""
    for name, info in model.model_fields.items():
        path = f"{prefix}{name}"
        inner, many = _group(info.annotation)
        if inner is None:
            yield path, depth, "value", info
            continue
        yield path, depth, "list" if many else "group", info
        yield from fields(inner, f"{path}.0." if many else f"{path}.", depth + 1)


def yaml_template(lang: str) -> str:
    """A commented YAML case: ``case_id`` to fill in, every other field commented out."""
    lines = [f"# {line}" for line in HEADINGS["yaml"][lang]] + ["", "case_id: ''  # " + _question(
        "case_id", Case.model_fields["case_id"], lang)]
    first_of_list: set[int] = set()
    for path, depth, kind, info in fields():
        if path == "case_id":
            continue
        name = path.rsplit(".", 1)[-1]
        indent = "  " * depth
        parent_is_list = ".0." in f".{path}" and path.split(".")[-2] == "0"
        if parent_is_list and depth not in first_of_list:
            first_of_list.add(depth)
            indent = "  " * (depth - 1) + "  - "
        elif parent_is_list:
            indent = "  " * (depth - 1) + "    "
        if kind != "value":
            first_of_list.discard(depth + 1)
            if depth == 0:
                lines.append("")
        asked = _question(name, info, lang)
        lines.append(f"# {indent}{name}:" + (f"  # {asked}" if asked else ""))
    return "\n".join(lines) + "\n"


def csv_template(lang: str) -> str:
    """A CSV header with every value column (lists with index 0: add ``.1`` columns for more),
    then one commented row with each column's question. Semicolons and a byte-order mark for nb,
    as Excel in Norwegian settings opens a "CSV UTF-8" file."""
    columns = [(path, info) for path, _, kind, info in fields() if kind == "value"]
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";" if lang == "nb" else ",", lineterminator="\r\n")
    writer.writerow([path for path, _ in columns])
    asked = [_question(path.rsplit(".", 1)[-1], info, lang) for path, info in columns]
    writer.writerow([HEADINGS["csv"][lang] + ": " + asked[0]] + asked[1:])
    return ("\ufeff" if lang == "nb" else "") + out.getvalue()
