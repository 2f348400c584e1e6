"""The anonymisation guard: refuse cases that carry personal identifiers, never echoing them.

Scans every key and value of a raw case document for Norwegian national identity numbers and
D-numbers (11 digits with both mod-11 check digits valid), phone numbers and e-mail addresses, and
flags fields outside the case schema that carry text (they may hold names, addresses or notes).
Messages name the field, never the value; `redact` scrubs any message before it is stored.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from .case import Case, _inner_model

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


_NID = re.compile(r"(?<!\d)(\d{6})[ .-]?(\d{5})(?!\d)")
_EMAIL = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE_INTL = re.compile(r"(?<![\w+])(?:\+|00)\s?\(?\d[\d\s().-]{5,22}\d")
_PHONE_NO = re.compile(r"(?<![\d+])(?:\d{8}|\d{2} \d{2} \d{2} \d{2}|\d{3} \d{2} \d{3}|\d{4} \d{4})(?!\d)")
_NON_DIGIT = re.compile(r"\D")
# Every identifier above contains one of these: "@" (e-mail), "+" or "00" (international phone
# numbers), six digits in a row (identity numbers, 8-digit phone numbers) or a digit, a space and
# a digit (phone numbers written in groups). A string without any is not scanned further.
_MAYBE = re.compile(r"[@+]|00|\d{6}|\d \d")


def _is_date_digits(digits: str) -> bool:
    """Eight digits that read as YYYYMMDD or DDMMYYYY (dates are not phone numbers)."""
    for y, m, d in ((digits[:4], digits[4:6], digits[6:]), (digits[4:], digits[2:4], digits[:2])):
        year, month, day = int(y), int(m), int(d)
        if 1900 <= year <= 2100 and 1 <= month <= 12 and 1 <= day <= calendar.monthrange(year, month)[1]:
            return True
    return False


def _text_findings(text: str) -> list[tuple[str, tuple[int, int]]]:
    """(kind, span) of every identifier in a string."""
    if not _MAYBE.search(text):  # most values: choices, dates, short ids
        return []
    return _scan_text(text)


def _scan_text(text: str) -> list[tuple[str, tuple[int, int]]]:
    out: list[tuple[str, tuple[int, int]]] = []
    for m in _NID.finditer(text):
        digits = m.group(1) + m.group(2)
        if is_national_id(digits):
            out.append((_id_kind(digits), m.span()))
    for m in _EMAIL.finditer(text):
        out.append(("email", m.span()))
    for m in _PHONE_INTL.finditer(text):
        digits = _NON_DIGIT.sub("", m.group(0))
        digits = digits[2:] if m.group(0).startswith("00") else digits
        if 8 <= len(digits) <= 15:
            out.append(("phone", m.span()))
    for m in _PHONE_NO.finditer(text):
        digits = m.group(0).replace(" ", "")
        if digits[0] in "23456789" and not _is_date_digits(digits):
            out.append(("phone", m.span()))
    return out


_SMALL = 10_000_000  # a number below this has fewer than 8 digits, and fewer than 10 in octal: never an identifier


def _number_finding(value: int | float) -> str | None:
    """A number that looks like an identifier: 11 digits with valid control digits (also with the
    leading zero lost, or read as YAML octal), a Norwegian mobile number (8 digits starting with 4
    or 9), or 47 followed by one."""
    if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
        return None
    n = abs(int(value))
    if n < _SMALL:
        return None
    s = str(n)
    for candidate in (s.zfill(11) if len(s) in (10, 11) else "", "0" + format(n, "o")):
        if is_national_id(candidate):
            return _id_kind(candidate)
    if (len(s) == 8 and s[0] in "49") or (len(s) == 10 and s.startswith("47") and s[2] in "49"):
        return "phone"
    return None


def identifier_kinds(value: Any) -> list[str]:
    """The kinds of identifier a scalar value looks like (empty: none)."""
    if isinstance(value, str):
        return list(dict.fromkeys(kind for kind, _ in _text_findings(value)))
    if isinstance(value, (int, float)):
        kind = _number_finding(value)
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


KIND_TEXT = {
    "national_id": "looks like a Norwegian national identity number (fødselsnummer)",
    "d_number": "looks like a D-number",
    "phone": "looks like a phone number",
    "email": "looks like an e-mail address",
    "free_text": "is not a field of the case schema and may carry identifying free text (names, addresses, notes)",
    "field_name": "is not a field of the case schema, and its name itself may identify someone",
}
_SAFE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]{0,63}")


@dataclass(frozen=True)
class Finding:
    """A field of a raw case document that may identify a person. Never holds the value."""

    path: str  # dotted, as the loader names fields; identifying key names are replaced by <field>
    kind: str

    def message(self) -> str:
        return KIND_TEXT[self.kind]


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


def scan_case(data: Any) -> list[Finding]:
    """Every field of a raw (parsed, not yet validated) case that may identify someone: keys and
    values that look like identifiers, and fields outside the schema that carry text."""
    findings: list[Finding] = []

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
        elif isinstance(value, str) and _MAYBE.search(value) or (  # the quick checks, without the calls
                isinstance(value, (int, float)) and not -_SMALL < value < _SMALL):
            for kind in identifier_kinds(value):
                findings.append(Finding(".".join(path) or "(document)", kind))

    walk(data, [], Case, True)
    return list(dict.fromkeys(findings))


def guard_message(findings: list[Finding]) -> tuple[str, str]:
    """(path, message) refusing a case for its findings, naming the fields, never the values."""
    first = findings[0]
    message = (f"{first.message()}; cases must be anonymised: remove it, or screen with "
               f"--allow-identifiers to accept identifiers (recorded in the results)")
    others = list(dict.fromkeys(f.path for f in findings[1:] if f.path != first.path))
    if others:
        shown = ", ".join(others[:5]) + (", ..." if len(others) > 5 else "")
        message += f" (also: {shown})"
    return first.path, message
