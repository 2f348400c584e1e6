"""Reading the inputs of a batch run: folders, case files, JSON Lines and CSV files as raw case
documents, in order, each checked by the loader (size, UTF-8, anchors and aliases, nesting depth)
but not yet guarded or validated (see `eligibility.batch` for the whole run).

* A folder: its ``.yaml``/``.yml``/``.json`` files, sorted by name, not recursive.
* A ``.jsonl`` file: one case per line; blank lines are skipped.
* A ``.csv`` file: one case per row, columns named by dotted paths (`csv_document`); UTF-8 only
  (`_check_utf8`), comma, semicolon or tab. A row over the size bound or a quote never closed
  ends the reading of its file: the rest is one failed entry (``rest_unread``).
"""

from __future__ import annotations

import csv
import json
import re
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Annotated, Any, Iterator, Literal, Union, get_args, get_origin

from pydantic import BaseModel

from ..model.case import Case, _inner_model
from ..model.loader import MAX_BYTES, MAX_DEPTH, InputError, closest_field, parse_text, read_bounded

CASE_SUFFIXES = (".yaml", ".yml", ".json")
JSONL_SUFFIXES = (".jsonl", ".ndjson")
CSV_SUFFIXES = (".csv",)


# ------------------------------------------------------------------------------------------------
# CSV rows as case documents
# ------------------------------------------------------------------------------------------------

_COLUMN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.(?:\d+|[A-Za-z_][A-Za-z0-9_]*))*")
_INT = re.compile(r"[-+]?\d+")
_DECIMAL_COMMA = re.compile(r"[-+]?\d+,\d+")
_NORWEGIAN_DATE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")
_FLOAT = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")


def _leaf_types(annotation: Any) -> set[type]:
    out: set[type] = set()
    stack = [annotation]
    while stack:
        ann = stack.pop()
        origin = get_origin(ann)
        if origin is Annotated:
            stack.append(get_args(ann)[0])
        elif origin in (Union, types.UnionType, list):
            stack.extend(get_args(ann))
        elif origin is Literal:
            out.update(type(v) for v in get_args(ann))
        elif ann is type(None):
            continue
        elif isinstance(ann, type) and issubclass(ann, BaseModel):
            out.add(dict)
        elif isinstance(ann, type):
            out.add(str if issubclass(ann, str) else ann)
    return out


def _is_text_column(parts: list[str]) -> bool:
    """Whether a column holds text only (its cells are never read as numbers or booleans):
    case_id, codes and choices. Columns outside the schema are text too."""
    model: type[BaseModel] | None = Case
    annotation: Any = None
    for part in parts:
        if part.isdigit():
            continue
        info = model.model_fields.get(part) if model is not None else None
        if info is None:
            return True
        annotation = info.annotation
        model = _inner_model(annotation)
    leaves = _leaf_types(annotation)
    return bool(leaves) and leaves <= {str}


def _cell_int(text: str) -> int:
    if len(text) > 41:
        raise ValueError("a number longer than 40 digits")
    return int(text)


def _cell_value(parts: list[str], text: str, text_column: bool) -> Any:
    if text == "null":
        return None
    if text.startswith("["):
        return json.loads(text, parse_int=_cell_int)  # a whole list, e.g. [] for "none"
    if text_column:
        return text
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    if _INT.fullmatch(text) and len(text) <= 41:  # a longer number stays text: the schema refuses it
        return int(text)
    if _FLOAT.fullmatch(text):
        return float(text)
    if _DECIMAL_COMMA.fullmatch(text):  # 3,5 as Norwegian spreadsheets write it
        return float(text.replace(",", "."))
    date = _NORWEGIAN_DATE.fullmatch(text)
    if date:  # 26.11.2026 -> 2026-11-26 (an impossible date stays text and is refused by the schema)
        day, month, year = (int(g) for g in date.groups())
        return f"{year:04d}-{month:02d}-{day:02d}"
    return text


def _short(name: str) -> str:
    return name if len(name) <= 80 else name[:77] + "..."


class _Header:
    """A validated CSV header: the dotted path of every column."""

    def __init__(self, cells: list[str], source: str):
        cells = [c.strip() for c in cells]
        if not any(cells):
            raise InputError(source, "csv_no_header")
        self.columns: list[list[str] | None] = []
        seen: dict[str, int] = {}
        kinds: dict[tuple[str, ...], tuple[bool, str]] = {}  # prefix -> (index segments?, example column)
        for i, name in enumerate(cells, start=1):
            if not name:
                self.columns.append(None)  # an unnamed column must stay empty
                continue
            if not _COLUMN.fullmatch(name):
                raise InputError(source, "csv_not_a_path", i=i)
            if name in seen:
                raise InputError(source, "csv_repeats", i=i, first=seen[name], name=_short(name))
            seen[name] = i
            parts = name.split(".")
            if parts[0].isdigit():
                raise InputError(source, "csv_index_first", i=i, name=_short(name))
            if len(parts) > MAX_DEPTH:  # no field is this deep: a row that fills it fails (kept linear)
                self.columns.append(parts)
                continue
            fix = closest_field(name)
            if fix:  # a typo before anything else (not "may carry free text" in every row)
                raise InputError(source, "csv_unknown_column", name=_short(name), fix=fix, i=i)
            for depth in range(1, len(parts)):
                prefix, index = tuple(parts[:depth]), parts[depth].isdigit()
                previous = kinds.setdefault(prefix, (index, name))
                if previous[0] != index:
                    raise InputError(source, "csv_list_disagree", one=_short(previous[1]), other=_short(name),
                                     prefix=_short(".".join(prefix)))
            self.columns.append(parts)
        self.text = [parts is not None and len(parts) <= MAX_DEPTH and _is_text_column(parts)
                     for parts in self.columns]


def csv_document(header: _Header, cells: list[str]) -> dict[str, Any]:
    """One CSV row as a case document. Empty cells are absent; ``null`` is an explicit null;
    ``true``/``false`` are booleans and numbers are numbers (except in text columns such as
    case_id); a cell starting with ``[`` is a JSON list; anything else (dates) is text. Index
    segments build lists, in index order, leaving out elements whose cells are all empty. As
    spreadsheets in Norwegian settings write them, ``3,5`` is 3.5 and ``26.11.2026`` a date."""
    if len(cells) > len(header.columns):
        raise InputError("", "csv_cells", cells=len(cells), columns=len(header.columns))
    root: dict[Any, Any] = {}
    for i, (parts, raw) in enumerate(zip(header.columns, cells)):
        text = raw.strip()
        if not text:
            continue
        if parts is None:
            raise InputError("", "csv_unnamed", i=i + 1)
        if len(parts) > MAX_DEPTH:
            raise InputError("", "csv_too_deep", i=i + 1, depth=MAX_DEPTH)
        name = ".".join(parts)
        try:
            value = _cell_value(parts, text, header.text[i])
        except (ValueError, RecursionError):  # JSONDecodeError, a huge number, a nesting bomb
            raise InputError("", "csv_list_cell", name, depth=MAX_DEPTH) from None
        node = root
        for depth, part in enumerate(parts):
            key: Any = int(part) if part.isdigit() else part
            if depth == len(parts) - 1:
                if key in node:
                    raise InputError("", "csv_both_filled", name)
                node[key] = value
            else:
                child = node.setdefault(key, {})
                if not isinstance(child, dict):
                    raise InputError("", "csv_both_filled", ".".join(parts[:depth + 1]))
                node = child

    def finish(node: Any) -> Any:
        if isinstance(node, dict):
            if node and all(isinstance(k, int) for k in node):
                return [finish(node[k]) for k in sorted(node)]
            return {k: finish(v) for k, v in node.items()}
        return node

    return finish(root)


# ------------------------------------------------------------------------------------------------
# Reading the inputs
# ------------------------------------------------------------------------------------------------


@dataclass
class _Input:
    arg: str  # as given on the command line
    path: Path
    kind: str  # folder | file | jsonl | csv
    files: list[Path] = field(default_factory=list)
    header: _Header | None = None
    delimiter: str = ","


@dataclass
class _Raw:
    """One case as read, before the guard and validation."""

    input: str
    source: str
    line: int | None
    data: Any = None
    error: InputError | None = None
    rest_unread: bool = False  # this failed entry stands for the rest of its file, which was not read


def _open_check(path: Path, arg: str) -> None:
    try:
        with open(path, "rb"):
            pass
    except PermissionError:
        raise InputError(arg, "permission_denied") from None
    except OSError as exc:
        raise InputError(arg, "cannot_be_read", why=exc.strerror or type(exc).__name__) from None


def _csv_open(path: Path) -> IO[str]:
    return open(path, encoding="utf-8-sig", errors="surrogateescape", newline="")


class _RowTooLarge(Exception):
    pass


class _BoundedLines:
    """The lines of a CSV file for `csv.reader`, at most `MAX_BYTES` characters per row (the
    caller calls `next_row` between rows): a longer row raises `_RowTooLarge` before it is held
    in memory."""

    def __init__(self, fh: IO[str]):
        self.fh, self.used = fh, 0

    def __iter__(self) -> "_BoundedLines":
        return self

    def __next__(self) -> str:
        line = self.fh.readline(MAX_BYTES + 1 - self.used)
        if not line:
            raise StopIteration
        self.used += len(line)
        if self.used > MAX_BYTES:
            raise _RowTooLarge
        return line

    def next_row(self) -> None:
        self.used = 0


def _csv_rows(fh: IO[str], delimiter: str) -> Iterator[tuple[int, list[str] | None, Exception | None]]:
    """(first line, cells, None) per row, then (line, None, why) if the file cannot be read to its
    end: a row over the size bound (`_RowTooLarge`) or a CSV syntax error (an unclosed quote,
    `csv.Error`) ends it."""
    lines = _BoundedLines(fh)
    reader = csv.reader(lines, delimiter=delimiter, strict=True)  # strict: an unclosed quote is an error,
    # not a cell that swallows the rest of the file
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except (_RowTooLarge, csv.Error) as exc:
            yield start, None, exc
            return
        lines.next_row()
        yield start, cells, None




def _check_utf8(path: Path, arg: str) -> None:
    """Refuse a CSV file that is not UTF-8 as a whole, before any of its rows is screened: Excel in
    Norwegian settings saves "CSV" in Windows-1252, where only the rows with æ, ø or å would fail.
    The file is not read as Windows-1252 instead: a guessed encoding could change a value unseen."""
    import codecs

    decoder = codecs.getincrementaldecoder("utf-8")()
    line = 1
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 16):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                line += chunk[:exc.start].count(b"\n")
                break
            line += chunk.count(b"\n")
        else:
            try:
                decoder.decode(b"", final=True)
                return
            except UnicodeDecodeError:
                pass
    windows = True  # Windows-1252, as Excel in Norwegian settings saves "CSV (semikolondelt)"
    with open(path, "rb") as fh:  # single-byte: chunk by chunk, in bounded memory
        while chunk := fh.read(1 << 16):
            try:
                chunk.decode("cp1252")
            except UnicodeDecodeError:
                windows = False
                break
    if windows:
        raise InputError(arg, "csv_cp1252", line=line)
    raise InputError(arg, "csv_other_encoding", line=line)


def _csv_delimiter(path: Path) -> str:
    """Comma, or semicolon or tab when the header uses that instead (as spreadsheets in Norwegian
    settings write CSV). Column names contain none of them."""
    with _csv_open(path) as fh:
        first = fh.readline(MAX_BYTES)
    return next((d for d in (",", ";", "\t") if d in first), ",")


def _resolve_inputs(inputs: list[Path]) -> list[_Input]:
    """Check every INPUT before anything is written: it exists, is readable and of a known kind."""
    out: list[_Input] = []
    seen: set[Path] = set()
    if not inputs:
        raise InputError("batch", "no_input")
    for given in inputs:
        path, arg = Path(given), str(given)
        if not path.exists():
            raise InputError(arg, "no_such_file_or_folder")
        real = path.resolve()
        if real in seen:
            raise InputError(arg, "given_twice")
        seen.add(real)
        if path.is_dir():
            try:
                files = sorted((p for p in path.iterdir() if p.suffix.lower() in CASE_SUFFIXES
                                and not p.name.startswith(".") and p.is_file()), key=lambda p: p.name)
            except PermissionError:
                raise InputError(arg, "permission_denied") from None
            if not files:
                raise InputError(arg, "no_case_files")
            out.append(_Input(arg, path, "folder", files))
            continue
        suffix = path.suffix.lower()
        if not path.is_file():  # read more than once (header, count, cases): a pipe would hang
            raise InputError(arg, "not_regular")
        _open_check(path, arg)
        if suffix in CASE_SUFFIXES:
            out.append(_Input(arg, path, "file", [path]))
        elif suffix in JSONL_SUFFIXES:
            out.append(_Input(arg, path, "jsonl"))
        elif suffix in CSV_SUFFIXES:
            csv.field_size_limit(max(csv.field_size_limit(), MAX_BYTES + 1))
            _check_utf8(path, arg)
            delimiter = _csv_delimiter(path)
            with _csv_open(path) as fh:
                _, first, why = next(_csv_rows(fh, delimiter), (1, [], None))
            if isinstance(why, _RowTooLarge):
                raise InputError(arg, "csv_header_large", kib=MAX_BYTES // 1024)
            if first is None:
                raise InputError(arg, "csv_header_syntax", why=why)
            out.append(_Input(arg, path, "csv", header=_Header(first, arg), delimiter=delimiter))
        else:
            raise InputError(arg, "not_supported")
    return out


def _read_case_file(inp: _Input, path: Path) -> _Raw:
    source = str(path)
    raw = _Raw(inp.arg, source, None)
    try:
        data = read_bounded(path, source)
        raw.data = _parse(data, source, "json" if path.suffix.lower() == ".json" else None)
    except InputError as exc:
        raw.error = exc
    return raw


def _parse(data: bytes, source: str, fmt: str | None) -> Any:
    try:
        return parse_text(data, source, fmt)
    except RecursionError:  # a nesting bomb that still fits the size bound
        raise InputError(source, "too_deep_here") from None
    except InputError:
        raise
    except (ValueError, TypeError, OverflowError, MemoryError) as exc:  # never one case's end of the run
        raise InputError(source, "cannot_be_read", why=type(exc).__name__) from None


def _read_jsonl(inp: _Input) -> Iterator[_Raw]:
    source = str(inp.path)
    with open(inp.path, "rb") as fh:
        number = 0
        while True:
            line = fh.readline(MAX_BYTES + 2)
            if not line:
                return
            number += 1
            raw = _Raw(inp.arg, source, number)
            if len(line) > MAX_BYTES + 1 or (len(line) > MAX_BYTES and not line.endswith(b"\n")):
                while line and not line.endswith(b"\n"):  # skip the rest of the line, bounded memory
                    line = fh.readline(1 << 20)
                raw.error = InputError(source, "line_too_large", kib=MAX_BYTES // 1024)
                yield raw
                continue
            if not line.strip():
                continue
            try:
                raw.data = _parse(line, source, "json")
            except InputError as exc:
                raw.error = exc
            yield raw


def _read_csv(inp: _Input) -> Iterator[_Raw]:
    assert inp.header is not None
    source = str(inp.path)
    csv.field_size_limit(max(csv.field_size_limit(), MAX_BYTES + 1))
    with _csv_open(inp.path) as fh:
        rows = _csv_rows(fh, inp.delimiter)
        next(rows, None)  # the header, checked by _resolve_inputs
        for start, cells, why in rows:
            if cells is None:  # cannot resynchronise: the rest of the file is one failed entry
                error = (InputError(source, "rest_unread_large", kib=MAX_BYTES // 1024)
                         if isinstance(why, _RowTooLarge) else InputError(source, "rest_unread_syntax", why=why))
                yield _Raw(inp.arg, source, start, rest_unread=True, error=error)
                return
            if not any(c.strip() for c in cells) or cells[0].lstrip().startswith("#"):
                continue  # a blank row, or a comment such as the questions of `eligibility template`
            raw = _Raw(inp.arg, source, start)
            try:
                if any("\udc80" <= ch <= "\udcff" for c in cells for ch in c):
                    raise InputError(source, "row_not_utf8")
                if sum(len(c) for c in cells) > MAX_BYTES:
                    raise InputError(source, "row_too_large", kib=MAX_BYTES // 1024)
                document = csv_document(inp.header, cells)
                raw.data = _parse(json.dumps(document, ensure_ascii=False).encode(), source, "json")
            except InputError as exc:
                raw.error = exc.elsewhere(source)
            yield raw


def _read_all(resolved: list[_Input]) -> Iterator[_Raw]:
    for inp in resolved:
        if inp.kind in ("folder", "file"):
            for path in inp.files:
                yield _read_case_file(inp, path)
        elif inp.kind == "jsonl":
            yield from _read_jsonl(inp)
        else:
            yield from _read_csv(inp)


def _count(resolved: list[_Input]) -> int:
    """How many cases the inputs hold (for progress; blank lines and rows not counted)."""
    total = 0
    for inp in resolved:
        if inp.kind in ("folder", "file"):
            total += len(inp.files)
        elif inp.kind == "jsonl":
            with open(inp.path, "rb") as fh:
                total += sum(1 for line in fh if line.strip())
        else:
            with _csv_open(inp.path) as fh:
                total += max(0, sum(1 for _, row, _ in _csv_rows(fh, inp.delimiter)
                                    if row is None or (any(c.strip() for c in row)
                                                       and not row[0].lstrip().startswith("#"))) - 1)
    return total


def check_targets(inputs: list[Path], targets: list[Path]) -> None:
    """Refuse a file the run would write (results or export) that is one of the INPUT files, or a
    case file (.yaml, .yml, .json) in an INPUT folder: it would overwrite a case, or be read as one."""
    for target in targets:
        real = Path(target).resolve()
        for given in inputs:
            path = Path(given).resolve()
            if real == path:
                raise InputError(str(target), "is_an_input")
            if path.is_dir() and real.parent == path and real.suffix.lower() in CASE_SUFFIXES:
                raise InputError(str(target), "in_input_folder", folder=given)
