"""Read case files safely: YAML or JSON, from a path or stdin, refusing hostile input.

Case files come from many hands. A file is refused, with a message that names the problem and
where in the case it is (never a stack trace, never the offending value itself), when it:

* is larger than `MAX_BYTES` or not UTF-8;
* uses YAML anchors or aliases (of no use in a case file; the classic "billion laughs" vector) or
  YAML tags;
* nests deeper than any valid case can (`MAX_DEPTH`);
* does not match the case schema (unknown fields included: a typo never passes silently).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from .case import Case

MAX_BYTES = 256 * 1024
MAX_DEPTH = 8  # case → abuse → incidents → [i] → field is 4; leave room, refuse bombs


class InputError(ValueError):
    """A case that cannot be used, with the path inside the case where the problem is."""

    def __init__(self, source: str, message: str, path: str | None = None):
        self.source, self.message, self.path = source, message, path
        super().__init__(f"{source}: {path + ': ' if path else ''}{message}")


def _refuse_yaml_features(text: str) -> None:
    """Refuse anchors, aliases and explicit tags before the document is built (a YAML alias bomb
    expands only when built)."""
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.AliasEvent):
            raise yaml.YAMLError("YAML aliases (*name) are not allowed in case files")
        if getattr(event, "anchor", None) is not None:
            raise yaml.YAMLError("YAML anchors (&name) are not allowed in case files")
        if getattr(event, "tag", None) is not None:  # only explicitly written tags are set here
            raise yaml.YAMLError("YAML tags (!tag) are not allowed in case files")


def _depth(value: Any, level: int = 0) -> int:
    if isinstance(value, dict):
        return max([_depth(v, level + 1) for v in value.values()], default=level + 1)
    if isinstance(value, list):
        return max([_depth(v, level + 1) for v in value], default=level + 1)
    return level


def parse_text(raw: bytes, source: str, fmt: str | None = None) -> Any:
    """Decode and parse a case document (JSON if it looks like JSON or ``fmt == 'json'``)."""
    if len(raw) > MAX_BYTES:
        raise InputError(source, f"file is larger than {MAX_BYTES // 1024} KiB")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(source, f"not UTF-8 text (byte {exc.start})") from None
    text = text.removeprefix("\ufeff")
    try:
        if fmt == "json" or (fmt is None and text.lstrip().startswith(("{", "["))):
            data = json.loads(text)
        else:
            _refuse_yaml_features(text)
            data = yaml.safe_load(text)
    except RecursionError:
        raise InputError(source, f"nested deeper than a case can be ({MAX_DEPTH} levels)") from None
    except json.JSONDecodeError as exc:
        raise InputError(source, f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise InputError(source, f"not valid YAML: {problem}{where}") from None
    try:
        too_deep = _depth(data) > MAX_DEPTH
    except RecursionError:
        too_deep = True
    if too_deep:
        raise InputError(source, f"nested deeper than a case can be ({MAX_DEPTH} levels)")
    return data


def validate_case(data: Any, source: str) -> Case:
    """Validate a parsed document as a `Case`; the error names the field path."""
    if not isinstance(data, dict):
        raise InputError(source, "a case must be a mapping of fields (case_id, applicant, ...)")
    try:
        return Case.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        path = ".".join(str(p) for p in err["loc"] if not (isinstance(p, str) and p.startswith(("function-", "literal["))))
        message = err["msg"]
        if err["type"] == "extra_forbidden":
            message = "unknown field (check the spelling; `eligibility schema` lists the fields)"
        more = f" (and {len(exc.errors()) - 1} more problem(s))" if len(exc.errors()) > 1 else ""
        raise InputError(source, message + more, path or None) from None


def load_case_file(path: Path | str, fmt: str | None = None) -> Case:
    """Read and validate one case file; ``-`` reads standard input."""
    import sys

    if str(path) == "-":
        raw = sys.stdin.buffer.read(MAX_BYTES + 1)
        source = "<stdin>"
    else:
        p = Path(path)
        source = str(path)
        try:
            if p.stat().st_size > MAX_BYTES:
                raise InputError(source, f"file is larger than {MAX_BYTES // 1024} KiB")
            raw = p.read_bytes()
        except FileNotFoundError:
            raise InputError(source, "no such file") from None
        except IsADirectoryError:
            raise InputError(source, "is a directory, not a case file") from None
        except PermissionError:
            raise InputError(source, "permission denied") from None
        if fmt is None and p.suffix.lower() == ".json":
            fmt = "json"
    return validate_case(parse_text(raw, source, fmt), source)
