"""The anonymisation guard: refuse cases that carry personal identifiers, never echoing them.

Scans every key and value of a raw case document for Norwegian national identity numbers and
D-numbers (11 digits with both mod-11 check digits valid), phone numbers and e-mail addresses, and
flags fields outside the case schema that carry text (they may hold names, addresses or notes).
Digits are read with their separators (`15.03.85.33182`, `912_34_567`), in time linear in the
text. The case's own ``case_id`` is the clinic's numbering: an id of digits only is not read as a
bare phone number (docs/adr/0005-anonymisation-guard-rules.md). Messages name the field, never
the value; `redact` scrubs any message before it is stored.
"""

from __future__ import annotations

import calendar
import itertools
import operator
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from .case import Case, _inner_model
from .texts import GUARD_KINDS, INPUT

MAX_MESSAGE = 400

_W1 = (3, 7, 6, 1, 8, 9, 4, 5, 2)
_W2 = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)


def _control(digits: str, weights: tuple[int, ...]) -> int | None:
    k = 11 - sum(int(d) * w for d, w in zip(digits, weights)) % 11
    return 0 if k == 11 else None if k == 10 else k


def national_id_check_digits(first_nine: str) -> str | None:
    """The two mod-11 control digits of a fødselsnummer / D-number, or None if none exist."""
    k1 = _control(first_nine, _W1)
    if k1 is None:
        return None
    k2 = _control(first_nine + str(k1), _W2)
    return None if k2 is None else f"{k1}{k2}"


def is_national_id(digits: str) -> bool:
    """11 digits whose two control digits are valid (fødselsnummer, D-number, H-number)."""
    return len(digits) == 11 and digits.isascii() and digits.isdigit() \
        and national_id_check_digits(digits[:9]) == digits[9:]


def _id_kind(digits: str) -> str:
    return "d_number" if digits[0] in "4567" else "national_id"  # a D-number adds 4 to the day's first digit


# Scanning is linear in the length of the text: no pattern below can backtrack over an unbounded
# run (issue 9: the old e-mail pattern took minutes on a 256 KiB string of digits).
#
# Digits are read as *chains*: runs of digits joined by one to three separators (spaces, dots,
# hyphens, underscores, slashes, and their Unicode look-alikes), each run a *group*. An identity
# number is any window of consecutive groups with 11 digits in all (`15.03.85.33182`,
# `150385_33182`); a phone number is a window in one of the ways Norwegians write one.
_SEPARATORS = " ._/-\u00a0\u2009\u202f\u2010\u2011\u2012\u2013"
_SEP = "[" + "".join(re.escape(c) for c in _SEPARATORS) + "]"
_CHAIN = re.compile(rf"\d+(?:{_SEP}{{1,3}}\d+)*")  # greedy, nothing after it can fail: no backtracking
_SEPARATOR_RUN = re.compile(rf"({_SEP}{{1,3}})")
_NUMBERING = re.compile(rf"[\d{re.escape(_SEPARATORS)}]+")  # digits and separators only
# An e-mail address: a local part starting where a run of its characters starts (the lookbehind
# stops the retries inside one run that made the old pattern quadratic), then a domain.
_LOCAL = r"[\w.!#$%&'*+/=?^`{|}~-]"
_EMAIL = re.compile(rf"(?<!{_LOCAL}){_LOCAL}++@[\w-]++(?:\.[\w-]++)+")
_PHONE_INTL = re.compile(r"(?<![\w+])(?:\+|00)\s?\(?\d[\d\s()._/\u2010-\u2013-]{5,22}\d")  # bounded
_NON_DIGIT = re.compile(r"\D")
PHONE_SHAPES = {(8,), (2, 2, 2, 2), (3, 2, 3), (4, 4)}  # 91234567, 91 23 45 67, 912 34 567, 9123 4567
GROUPED_PHONE_SHAPES = PHONE_SHAPES - {(8,)}
_PHONE_FIRST_GROUPS = {shape[0] for shape in PHONE_SHAPES}
Findings = list[tuple[str, tuple[int, int]]]  # (kind, span in the text)


def _ascii_digits(digits: str) -> str:
    return digits if digits.isascii() else "".join(str(unicodedata.decimal(c)) for c in digits)


def _might_hold(text: str) -> bool:
    """The quick check: every identifier has an "@" or at least eight digits."""
    return "@" in text or (len(text) >= 8 and len(_NON_DIGIT.sub("", text)) >= 8)


def _is_date_digits(digits: str) -> bool:
    """Eight digits that read as YYYYMMDD or DDMMYYYY (dates are not phone numbers)."""
    for y, m, d in ((digits[:4], digits[4:6], digits[6:]), (digits[4:], digits[2:4], digits[:2])):
        year, month, day = int(y), int(m), int(d)
        if 1900 <= year <= 2100 and 1 <= month <= 12 and 1 <= day <= calendar.monthrange(year, month)[1]:
            return True
    return False


_W1_ZERO, _W2_ZERO = 48 * sum(_W1), 48 * sum(_W2)  # the weighted sums of ASCII "0"s


def _control_digits_valid(raw: bytes, at: int) -> bool:
    """`is_national_id` for the 11 ASCII digits at ``raw[at:]``, without building a string (the
    scan checks up to one window per digit group)."""
    k1 = 11 - (sum(map(operator.mul, raw[at:at + 9], _W1)) - _W1_ZERO) % 11
    if k1 % 11 != raw[at + 9] - 48:  # k1 = 11 means 0; k1 = 10 never matches a digit
        return False
    k2 = 11 - (sum(map(operator.mul, raw[at:at + 10], _W2)) - _W2_ZERO) % 11
    return k2 % 11 == raw[at + 10] - 48


def _scan_chain(text: str, start: int, end: int, shapes: set[tuple[int, ...]]) -> Findings:
    """Identity numbers and phone numbers in one chain of digit groups: windows of consecutive
    groups with 11 digits and valid control digits, or with 8 digits written in one of ``shapes``
    (the first digit 2-9, not a date, not a year and a serial: `2026-1234`, though `2026 1234`). Each group
    starts at most one window of each length, found by its digit offset: linear in the chain."""
    parts = _SEPARATOR_RUN.split(text[start:end])  # group, separators, group, ...: split in C
    places = list(itertools.accumulate(map(len, parts), initial=start))
    spans = list(zip(places[0::2], places[1::2]))  # (start, end) of each group in the text
    digits = _ascii_digits("".join(parts[0::2]))
    raw = digits.encode("ascii")
    lengths = list(map(len, parts[0::2]))
    offsets = list(itertools.accumulate(lengths, initial=0))
    group_at = {offset: i for i, offset in enumerate(offsets)}  # digit offset -> index of the group starting there
    out: Findings = []
    for i, (a, _) in enumerate(spans):
        at = offsets[i]
        j = group_at.get(at + 11)
        if j is not None and _control_digits_valid(raw, at):
            out.append((_id_kind(digits[at]), (a, spans[j - 1][1])))
        j = group_at.get(at + 8) if lengths[i] in _PHONE_FIRST_GROUPS else None
        if j is not None and tuple(lengths[i:j]) in shapes and digits[at] in "23456789":
            eight = digits[at:at + 8]
            year_serial = j - i == 2 and lengths[i] == 4 and not parts[2 * i + 1].isspace() \
                and 1900 <= int(eight[:4]) <= 2099  # 2026-1234: a case number, 2026 1234: a phone number
            if not _is_date_digits(eight) and not year_serial:
                out.append(("phone", (a, spans[j - 1][1])))
    return out


def _text_findings(text: str, as_case_id: bool = False, clinic_id: bool = False) -> Findings:
    """(kind, span) of every identifier in a string."""
    if not _might_hold(text):  # most values: choices, dates, short ids
        return []
    return _scan_text(text, as_case_id, clinic_id)


def _scan_text(text: str, as_case_id: bool = False, clinic_id: bool = False) -> Findings:
    """Every identifier in ``text``. As a case_id (``as_case_id``), an id of digits and separators
    only is the clinic's own numbering: only a phone number written in groups (`912-34-567`) is
    refused in it. An id the clinic declared its numbering (``clinic_id``: it matches
    ``--id-pattern``) is scanned for identity numbers and e-mail addresses only."""
    numbering = clinic_id or as_case_id and _NUMBERING.fullmatch(text) is not None
    shapes = set() if clinic_id else GROUPED_PHONE_SHAPES if numbering else PHONE_SHAPES
    out: Findings = []
    for chain in _CHAIN.finditer(text):
        if chain.end() - chain.start() >= 8:  # fewer characters cannot hold eight digits
            out.extend(_scan_chain(text, chain.start(), chain.end(), shapes))
    out.extend(("email", m.span()) for m in _EMAIL.finditer(text))
    if not numbering:
        for m in _PHONE_INTL.finditer(text):
            digits = _NON_DIGIT.sub("", m.group(0))
            digits = digits[2:] if m.group(0).startswith("00") else digits
            if 8 <= len(digits) <= 15:
                out.append(("phone", m.span()))
    return out


_SMALL = 10_000_000  # a number below this has fewer than 8 digits, and fewer than 10 in octal: never an identifier


def _number_finding(value: int | float, as_case_id: bool = False) -> str | None:
    """A number that looks like an identifier: 11 digits with valid control digits (also with the
    leading zero lost, or read as YAML octal), a Norwegian mobile number (8 digits starting with 4
    or 9), or 47 followed by one. A number as a case_id is the clinic's numbering: never a phone."""
    if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
        return None
    n = abs(int(value))
    if n < _SMALL:
        return None
    s = str(n)
    for candidate in (s.zfill(11) if len(s) in (10, 11) else "", "0" + format(n, "o")):
        if is_national_id(candidate):
            return _id_kind(candidate)
    if as_case_id:
        return None
    if (len(s) == 8 and s[0] in "49") or (len(s) == 10 and s.startswith("47") and s[2] in "49"):
        return "phone"
    return None


_KIND_ORDER = {"national_id": 0, "d_number": 1, "email": 2, "phone": 3}


def identifier_kinds(value: Any, as_case_id: bool = False, clinic_id: bool = False) -> list[str]:
    """The kinds of identifier a scalar value looks like (empty: none), the most identifying first.
    ``as_case_id``/``clinic_id``: the rule for the case's own id (see `_scan_text`)."""
    if isinstance(value, str):
        kinds = {kind for kind, _ in _text_findings(value, as_case_id, clinic_id)}
        return sorted(kinds, key=_KIND_ORDER.__getitem__)
    if isinstance(value, (int, float)):
        kind = _number_finding(value, as_case_id)
        return [kind] if kind else []
    return []


def redact(text: str | None) -> str | None:
    """``text`` with every identifier replaced by ``[redacted]``."""
    if not text:
        return text
    spans = sorted(span for _, span in _text_findings(text))
    if not spans:
        return text
    out, pos = [], 0
    for start, end in spans:
        if start < pos:  # overlapping findings: extend the redaction
            if end > pos:
                pos = end
            continue
        out.append(text[pos:start] + "[redacted]")
        pos = end
    out.append(text[pos:])
    return "".join(out)


_SAFE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]{0,63}")


@dataclass(frozen=True)
class Finding:
    """A field of a raw case document that may identify a person. Never holds the value."""

    path: str  # dotted, as the loader names fields; identifying key names are replaced by <field>
    kind: str

    def message(self, lang: str = "en") -> str:
        return GUARD_KINDS[self.kind][lang]


_FieldInfo = tuple[type[BaseModel] | None, str, list[str]]  # (model inside the field, path segment, key kinds)
_FIELDS: dict[type[BaseModel], dict[str, _FieldInfo]] = {}


def _key(key: Any) -> tuple[str, list[str]]:
    """(path segment, identifier kinds) of a key: an identifying or odd name is shown as <field>."""
    text = str(key)
    kinds = identifier_kinds(text)
    return (text if not kinds and _SAFE_NAME.fullmatch(text) else "<field>"), kinds


def _fields(model: type[BaseModel]) -> dict[str, _FieldInfo]:
    """The fields of a model, each with what `scan_case` needs to know of it (memoised per model)."""
    table = _FIELDS.get(model)
    if table is None:
        table = _FIELDS[model] = {name: (_inner_model(info.annotation), *_key(name))
                                  for name, info in model.model_fields.items()}
    return table


def _has_text(value: Any) -> bool:
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, dict):
        return any(_has_text(k) or _has_text(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_text(v) for v in value)
    return False


MAX_CLINIC_ID = 64  # --id-pattern is tried on case ids up to the schema's length only


def scan_case(data: Any, id_pattern: re.Pattern[str] | None = None) -> list[Finding]:
    """Every field of a raw (parsed, not yet validated) case that may identify someone: keys and
    values that look like identifiers, and fields outside the schema that carry text. The case's
    own ``case_id`` is checked by the case_id rule (`_scan_text`); ``id_pattern`` is the clinic's
    numbering (``--id-pattern``): a case_id matching it in full is never a phone number."""
    findings: list[Finding] = []

    def id_rule(value: Any, path: list[str]) -> tuple[bool, bool]:
        """(as_case_id, clinic_id) for a value at ``path``."""
        if path != ["case_id"]:
            return False, False
        return True, (id_pattern is not None and isinstance(value, str) and len(value) <= MAX_CLINIC_ID
                      and id_pattern.fullmatch(value) is not None)

    def walk(value: Any, path: list[str], model: type[BaseModel] | None, known: bool) -> None:
        if isinstance(value, dict):
            fields = _fields(model) if model is not None else None
            for key, child in value.items():
                field = fields.get(key) if fields is not None and isinstance(key, str) else None
                if field is not None:
                    inner, seg, key_kinds = field
                else:
                    inner, (seg, key_kinds) = None, _key(key)
                sub = path + [seg]
                unknown = field is None and known and model is not None  # a field the schema does not have
                if key_kinds:
                    findings.append(Finding(".".join(sub), key_kinds[0]))
                elif unknown and seg == "<field>":
                    findings.append(Finding(".".join(sub), "field_name"))
                if unknown and _has_text(child):
                    findings.append(Finding(".".join(sub), "free_text"))
                    continue  # its text is refused as a whole; do not look inside
                walk(child, sub, inner, known and field is not None)
        elif isinstance(value, list):
            for i, child in enumerate(value):
                walk(child, path + [str(i)], model, known)
        elif isinstance(value, str) and _might_hold(value) or (  # the quick checks, without the calls
                isinstance(value, (int, float)) and not -_SMALL < value < _SMALL):
            for kind in identifier_kinds(value, *id_rule(value, path)):
                findings.append(Finding(".".join(path) or "(document)", kind))

    walk(data, [], Case, True)
    return list(dict.fromkeys(findings))


def guard_refusal(findings: list[Finding]) -> tuple[str, dict[str, str]]:
    """(path, values of the catalogue's ``identifier_refused``) refusing a case for its findings,
    naming the fields, never the values."""
    first = findings[0]
    others = list(dict.fromkeys(f.path for f in findings[1:] if f.path != first.path))
    shown = ", ".join(others[:5]) + (", ..." if len(others) > 5 else "")
    return first.path, {"kind_en": first.message("en"), "kind_nb": first.message("nb"),
                        "also_en": f" (also: {shown})" if others else "", "also_nb": f" (også: {shown})" if others else ""}


def guard_message(findings: list[Finding], lang: str = "en") -> tuple[str, str]:
    """(path, message in ``lang``) refusing a case for its findings."""
    path, values = guard_refusal(findings)
    worded = {k[:-len(lang) - 1]: v for k, v in values.items() if k.endswith("_" + lang)}
    return path, INPUT["identifier_refused"][lang].format(**worded)
