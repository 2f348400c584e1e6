"""Read case files safely: YAML or JSON, from a path or stdin, refusing hostile input.

Case files come from many hands. A file is refused, with a message that names the problem and
where in the case it is (never a stack trace, never the offending value itself), when it:

* is larger than `MAX_BYTES` or not UTF-8;
* uses YAML anchors or aliases (of no use in a case file; the classic "billion laughs" vector) or
  YAML tags;
* nests deeper than any valid case can (`MAX_DEPTH`), or writes a number longer than
  `MAX_DIGITS` digits;
* does not match the case schema (unknown fields included: a typo never passes silently).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any, Callable, get_args

import yaml
from pydantic import BaseModel, ValidationError

from .case import Case
from .questions import asked as asked_for
from .texts import CHECKS_NB, ERRORS, INPUT, error_message

MAX_BYTES = 256 * 1024
MAX_DEPTH = 8  # case → abuse → incidents → [i] → field is 4; leave room, refuse bombs
MAX_DIGITS = 40  # no case field holds a longer number (income is at most 10^12); int() of a huge one is slow


class InputError(ValueError):
    """A case or option that cannot be used: where (``source``, and ``path`` inside the case), and
    what, as a key of the catalogue's input errors (`texts.INPUT`) with the values to fill in (a
    value worded per language is given as ``name_nb`` and ``name_en`` and fills ``{name}``).
    ``message`` is the English text (stored in results files); `text` words it in a language."""

    def __init__(self, source: str, key: str, path: str | None = None, /, **fill: Any):
        self.source, self.key, self.path, self.fill = source, key, path, fill
        self.message = self.text("en")
        super().__init__(f"{source}: {path + ': ' if path else ''}{self.message}")

    def text(self, lang: str) -> str:
        """The problem in ``lang`` (a key not in the catalogue is shown as it is: never a crash)."""
        words = INPUT.get(self.key)
        if not words:
            return self.key
        # a value given per language (``kind_nb``, ``kind_en``) fills ``{kind}`` in that language
        worded = {k[:-len(lang) - 1]: v for k, v in self.fill.items() if k.endswith("_" + lang)}
        return words[lang].format(**{**self.fill, **worded})

    def worded(self, lang: str) -> str:
        """'source: path: problem' in ``lang``: what the command line prints after 'feil:'/'error:'."""
        return f"{self.source}: {self.path + ': ' if self.path else ''}{self.text(lang)}"

    def elsewhere(self, source: str, redact: Callable[[str], str] = str) -> "InputError":
        """The same problem told of another ``source`` (its filled-in text passed through ``redact``)."""
        fill = {k: redact(v) if isinstance(v, str) else v for k, v in self.fill.items()}
        return InputError(source, self.key, self.path, **fill)


# libyaml's parser when PyYAML has it (the pure-Python one is ten times slower); the same safe
# constructors and resolvers either way.
_SafeBase: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
MAX_EVENTS = 10_000  # keys, values and collections: the largest valid case (200 incidents) has about 4,000
MAX_FLOW = 64  # [ and { open at once: a case needs MAX_DEPTH; the YAML parsers slow quadratically in it
_BRACKETS = re.compile(r"[\[\]{}]")


class _CaseLoader(_SafeBase):  # type: ignore[misc, valid-type]
    """The safe loader, reading a date as its text (pydantic checks it and names the field: an
    impossible date such as 2024-02-30 is the case's error, not the loader's crash) and refusing
    numbers longer than `MAX_DIGITS` digits before converting them."""

    def construct_yaml_int(self, node: yaml.Node) -> Any:
        if isinstance(node, yaml.ScalarNode) and len(node.value) > MAX_DIGITS:
            raise yaml.constructor.ConstructorError(None, None, f"a number longer than {MAX_DIGITS} digits",
                                                    node.start_mark)
        return super().construct_yaml_int(node)

    def construct_yaml_timestamp(self, node: yaml.Node) -> Any:  # type: ignore[override]
        return self.construct_scalar(node)


_CaseLoader.add_constructor("tag:yaml.org,2002:int", _CaseLoader.construct_yaml_int)
_CaseLoader.add_constructor("tag:yaml.org,2002:timestamp", _CaseLoader.construct_yaml_timestamp)


class _TooLong(ValueError):
    pass


def _json_int(text: str) -> int:
    if len(text) > MAX_DIGITS + 1:
        raise _TooLong(f"a number longer than {MAX_DIGITS} digits")
    return int(text)


def _refuse_yaml_features(text: str, source: str) -> None:
    """Refuse (`InputError`) anchors, aliases and explicit tags, flow nesting deeper than `MAX_FLOW` and more than
    `MAX_EVENTS` nodes, before the document is built (a YAML alias bomb expands only when built)."""
    depth = 0
    for bracket in _BRACKETS.finditer(text):  # no case value holds a bracket: every one is structure
        depth = depth + 1 if bracket.group() in "[{" else max(depth - 1, 0)
        if depth > MAX_FLOW:
            raise RecursionError  # refused as nested too deep, before the parser's quadratic time
    for count, event in enumerate(yaml.parse(text, Loader=_SafeBase)):
        if count > MAX_EVENTS:  # refused before the (slow, Python) construction of the document
            raise InputError(source, "yaml_too_many", n=f"{MAX_EVENTS:,}")
        if isinstance(event, yaml.AliasEvent):
            raise InputError(source, "yaml_aliases")
        if getattr(event, "anchor", None) is not None:
            raise InputError(source, "yaml_anchors")
        if getattr(event, "tag", None) is not None:  # only explicitly written tags are set here
            raise InputError(source, "yaml_tags")


def _depth(value: Any, level: int = 0) -> int:
    if isinstance(value, dict):
        return max([_depth(v, level + 1) for v in value.values()], default=level + 1)
    if isinstance(value, list):
        return max([_depth(v, level + 1) for v in value], default=level + 1)
    return level


def parse_text(raw: bytes, source: str, fmt: str | None = None) -> Any:
    """Decode and parse a case document: JSON if ``fmt == 'json'``, YAML if ``fmt == 'yaml'``; with
    no ``fmt``, JSON if it looks like JSON (starts with ``{`` or ``[``) and parses as JSON, else YAML."""
    if len(raw) > MAX_BYTES:
        raise InputError(source, "too_large", kib=MAX_BYTES // 1024)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(source, "not_utf8", byte=exc.start) from None
    text = text.removeprefix("\ufeff")
    if fmt is None and text.lstrip().startswith(("{", "[")):  # JSON, or a YAML flow mapping such as {case_id: x}
        try:
            return _checked(_load(text, source, "json"), source)
        except InputError as exc:
            try:
                return _checked(_load(text, source, "yaml"), source)
            except InputError:
                raise exc from None
    return _checked(_load(text, source, fmt or "yaml"), source)


def _load(text: str, source: str, fmt: str) -> Any:
    """Parse JSON or YAML text; every failure is an `InputError` with the line and column."""
    try:
        if fmt == "json":
            return json.loads(text, parse_int=_json_int)
        _refuse_yaml_features(text, source)
        return yaml.load(text, Loader=_CaseLoader)  # noqa: S506 - a SafeLoader subclass
    except InputError:
        raise
    except RecursionError:
        raise InputError(source, "too_deep", depth=MAX_DEPTH) from None
    except json.JSONDecodeError as exc:
        raise InputError(source, "not_valid_at", fmt="JSON", problem=exc.msg, line=exc.lineno,
                         column=exc.colno) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        name = "JSON" if fmt == "json" else "YAML"
        if mark:
            raise InputError(source, "not_valid_at", fmt=name, problem=problem, line=mark.line + 1,
                             column=mark.column + 1) from None
        raise InputError(source, "not_valid", fmt=name, problem=problem) from None
    except ValueError as exc:  # a value the parser cannot convert (the message never quotes the value)
        name = "JSON" if fmt == "json" else "YAML"
        if isinstance(exc, _TooLong):
            raise InputError(source, "too_many_digits", fmt=name, digits=MAX_DIGITS) from None
        raise InputError(source, "not_convertible", fmt=name) from None


def _checked(data: Any, source: str) -> Any:
    """Refuse a document nested deeper than any case can be."""
    try:
        too_deep = _depth(data) > MAX_DEPTH
    except RecursionError:
        too_deep = True
    if too_deep:
        raise InputError(source, "too_deep", depth=MAX_DEPTH)
    return data


_NORWEGIAN_DATE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")


def _holds_date(annotation: Any) -> bool:
    return annotation is dt.date or any(_holds_date(a) for a in get_args(annotation))


def norwegian_dates(data: Any, model: type[BaseModel] = Case) -> Any:
    """The document with every date field written the Norwegian way, ``26.11.2026``, rewritten as
    ``2026-11-26`` (an impossible date such as ``31.02.2026`` becomes ``2026-02-31``, which the
    schema refuses naming the field). Other values and fields outside the schema are left alone."""
    from .case import _inner_model

    if isinstance(data, list):
        return [norwegian_dates(item, model) for item in data]
    if not isinstance(data, dict):
        return data
    out = {}
    for key, value in data.items():
        info = model.model_fields.get(key) if isinstance(key, str) else None
        if info is None:
            out[key] = value
            continue
        match = _NORWEGIAN_DATE.fullmatch(value) if isinstance(value, str) else None
        if match and _holds_date(info.annotation):
            day, month, year = (int(g) for g in match.groups())
            value = f"{year:04d}-{month:02d}-{day:02d}"
        elif isinstance(value, (dict, list)) and (inner := _inner_model(info.annotation)) is not None:
            value = norwegian_dates(value, inner)
        out[key] = value
    return out


def closest_field(path: str) -> str | None:
    """The field a misspelt dotted path most likely means (``relationship.cohabitaton_ended`` ->
    ``relationship.cohabitation_ended``), or None if a segment is like no field of the case schema
    or the path is already right. List indices (``permits.0.basis``) are kept as written."""
    from difflib import get_close_matches

    from .case import _inner_model

    model: type[BaseModel] | None = Case
    fixed: list[str] = []
    for part in path.split("."):
        if part.isdigit():
            fixed.append(part)
            continue
        if model is None:
            return None
        fields = model.model_fields
        name = part if part in fields else next(iter(get_close_matches(part, list(fields), n=1, cutoff=0.8)), None)
        if name is None:
            return None
        fixed.append(name)
        model = _inner_model(fields[name].annotation)
    suggestion = ".".join(fixed)
    return suggestion if suggestion != path else None


def _union_tag(part: Any) -> bool:
    """pydantic's name for a member of a union in an error's location (``constrained-float``,
    ``function-after[...]``, ``literal[...]``): not a field, field names are snake_case."""
    return isinstance(part, str) and ("-" in part or "[" in part)


def validate_case(data: Any, source: str, lang: str = "en") -> Case:
    """Validate a parsed document as a `Case`; the error names the field path (and, in Norwegian,
    the field in words: the question the case file answers there, `texts.error_message`)."""
    if not isinstance(data, dict):
        raise InputError(source, "not_a_mapping")
    try:
        return Case.model_validate(norwegian_dates(data))
    except ValidationError as exc:
        errors = exc.errors()
        # a value that fits a union's shape but fails its check (e.g. a bound without a number)
        # is better told by that check than by "must be a number" from the union's other member
        err = next((e for e in errors if e["type"] in CHECKS_NB), errors[0])
        path = ".".join(str(p) for p in err["loc"] if not _union_tag(p))
        if lang == "nb":
            asked = asked_for(re.sub(r"\.\d+(?=\.|$)", "[]", path)) if path else None
            message = error_message(err, lang, asked.get(lang) if asked else None)
            more = f" ({ERRORS['more'][lang].format(n=len(errors) - 1)})" if len(errors) > 1 else ""
        else:
            message = err["msg"].removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                message = "unknown field (check the spelling; `eligibility schema` lists the fields)"
            more = f" (and {len(errors) - 1} more problem(s))" if len(errors) > 1 else ""
        fix = closest_field(path) if err["type"] == "extra_forbidden" else None
        if fix:  # a typo first: the field it most likely means
            message = f"ukjent felt; mente du `{fix}`?" if lang == "nb" else f"unknown field; did you mean `{fix}`?"
        if err["type"] == "string_type" and isinstance(err.get("input"), bool):
            message += (" (YAML leser NO, no, yes, on og off uten anførselstegn som ja/nei: sett verdien i "
                        "anførselstegn, f.eks. citizenship: 'NO' for Norge)" if lang == "nb" else
                        " (YAML reads an unquoted NO, no, yes, on or off as true/false: quote it, e.g. "
                        "citizenship: 'NO' for Norway)")
        raise InputError(source, "worded", path or None, text=message + more) from None


def read_bounded(path: Path, source: str) -> bytes:
    """A file's bytes, opened once and read at most `MAX_BYTES` + 1 bytes (so a named pipe or a
    device such as /dev/zero is read once and never without bound)."""
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise InputError(source, "no_such_file") from None
    except IsADirectoryError:
        raise InputError(source, "folder_not_case") from None
    except PermissionError:
        raise InputError(source, "permission_denied") from None
    except OSError as exc:
        raise InputError(source, "cannot_be_read", why=exc.strerror or type(exc).__name__) from None
    if len(raw) > MAX_BYTES:
        raise InputError(source, "too_large", kib=MAX_BYTES // 1024)
    return raw


def load_case_file(path: Path | str, fmt: str | None = None, lang: str = "en") -> Case:
    """Read and validate one case file; ``-`` reads standard input. ``lang`` words schema errors."""
    import sys

    if str(path) == "-":
        raw = sys.stdin.buffer.read(MAX_BYTES + 1)
        source = "<stdin>"
    else:
        source = str(path)
        raw = read_bounded(Path(path), source)
        if fmt is None and Path(path).suffix.lower() == ".json":
            fmt = "json"
    return validate_case(parse_text(raw, source, fmt), source, lang)
