"""Batch screening: folders, JSON Lines and CSV files of anonymised cases into one SQLite file.

One run reads its inputs in order, refuses unsafe cases one by one, screens the rest (in this
process, or in ``workers`` spawned processes that each hold their own rule engine), and writes one
row per case to SQLite in small transactions, in input order:

* **Inputs.** A folder (its ``.yaml``/``.yml``/``.json`` files, sorted by name, not recursive), a
  single case file, a ``.jsonl`` file (one case per line; blank lines are skipped) or a ``.csv``
  file (one case per row, columns named by dotted paths: see `csv_document`). Every case, whatever
  its container, goes through the loader's checks (size, UTF-8, anchors and aliases, nesting
  depth, schema) and the anonymisation guard (`scan_case`).
* **Isolation.** A case that cannot be read, is refused or crashes the engine becomes a ``failed``
  row with the path inside the case and a message; the run goes on.
* **Anonymisation guard.** Before screening, every key and value of the raw document is scanned
  for Norwegian national identity numbers and D-numbers (11 digits with both mod-11 check digits
  valid), phone numbers and e-mail addresses, and every field outside the case schema that carries
  text is refused (it may hold names, addresses or notes). Messages name the field, never the
  value; every message stored or printed also goes through `redact`. ``allow_identifiers``
  switches the guard off and is recorded in the ``runs`` table.
* **Resume.** A case whose key (source + case_id), case digest, rules digest, language and
  assessment date match a stored ``ok`` row is skipped. Every transaction leaves whole cases
  (the case row with its provisions, referrals and missing facts), so a killed run loses at most
  the cases of its last open transaction, and never leaves half a case. A run holds an exclusive
  lock on the results file; runs it finds still ``running`` ended without finishing and are
  marked ``killed``.
* **Files not read to their end.** A CSV row over the size bound or a quote never closed ends the
  reading of its file: the rows before it stay, the rest is one failed entry, and the stored rows
  of that file are not removed as gone.
* **Bounded memory.** The run keeps nothing per case in memory once the case is written: the
  stored row of a case is looked up by its key when the case is read, and the keys of this run
  (for the repeated-case-id check and for removing the rows of cases no longer in the inputs)
  are kept in TEMP tables of the results file's connection.
* **Stored verdicts and receipts.** A case's verdict is stored as the JSON of ``eligibility screen
  --format json`` *without* its ``trace``: the decision receipt, stored next to it, holds every
  rule firing. The receipt is stored zlib-compressed (`read_receipt` returns its canonical text);
  ``verdict_sha256`` is the sha256 of the stored verdict text, ``receipt_sha256`` that of the
  uncompressed receipt text.

The SQLite schema is `SCHEMA` (version `SCHEMA_VERSION`); `summary` reads it. A results file of
an older schema is still read (summary, exports) but never written: a run needs a new ``--out``.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import hashlib
import json
import os
import re
import signal
import sqlite3
import sys
import threading
import time
import types
import zlib
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Annotated, Any, Callable, Iterator, Literal, Union, get_args, get_origin

from pydantic import BaseModel

from . import __version__
from .case import Case, _inner_model, law_date
from .atomic import open_atomically
from .loader import MAX_BYTES, MAX_DEPTH, InputError, closest_field, parse_text, read_bounded, validate_case
from .identifiers import KIND_TEXT, MAX_MESSAGE, guard_message, identifier_kinds, redact, scan_case

CASE_SUFFIXES = (".yaml", ".yml", ".json")
JSONL_SUFFIXES = (".jsonl", ".ndjson")
CSV_SUFFIXES = (".csv",)
ENGINES = ("durable", "python")
FORMATS = ("sqlite", "jsonl", "csv")
STATUSES = ("met", "not_met", "undetermined", "needs_assessment")

APPLICATION_ID = 0x454C4731  # "ELG1": marks a results file as ours (PRAGMA application_id)
SCHEMA_VERSION = 3  # 2: cases.receipt_json / receipt_sha256; 3: verdicts without trace, receipt_zlib
RECEIPT_ZLIB_LEVEL = 6
CHUNK = 16  # cases per task sent to a worker process
COMMIT_CASES, COMMIT_SECONDS = 50, 0.25  # a transaction holds at most this many cases / seconds

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    started TEXT NOT NULL,            -- UTC, ISO 8601
    finished TEXT,                    -- NULL: the run was killed or is still going
    status TEXT NOT NULL,             -- running | complete | interrupted | killed (found running by a later run)
    as_of TEXT,                       -- --as-of, or NULL (each case's assessment_date, else the day of the run)
    lang TEXT NOT NULL,
    rules_version TEXT NOT NULL,
    rules_digest TEXT NOT NULL,
    engine TEXT NOT NULL,             -- durable | python
    allow_identifiers INTEGER NOT NULL,  -- 1: the anonymisation guard was switched off
    inputs TEXT NOT NULL,             -- JSON list of the INPUT arguments
    workers INTEGER NOT NULL,
    program_version TEXT NOT NULL,
    screened INTEGER, failed INTEGER, skipped INTEGER, total INTEGER, seconds REAL
);
CREATE TABLE IF NOT EXISTS cases (
    key TEXT PRIMARY KEY,             -- source#case_id, or source:line / source for a case without a usable id
    case_id TEXT,
    input TEXT NOT NULL,              -- the INPUT argument the case came from
    source TEXT NOT NULL,             -- the file
    line INTEGER,                     -- line (JSONL) or first line of the row (CSV); NULL for a case file
    seq INTEGER NOT NULL,             -- position in the inputs of the run that last saw the case
    status TEXT NOT NULL CHECK (status IN ('ok', 'failed')),
    case_digest TEXT,                 -- sha256 of the validated case (as in the verdict)
    rules_digest TEXT NOT NULL,
    lang TEXT NOT NULL,
    assessment_date TEXT,             -- the date whose law was applied
    verdict_json TEXT,                -- the verdict of `eligibility screen --format json`, compact, WITHOUT
                                      -- its "trace": the receipt's "firings" hold every rule firing
    verdict_sha256 TEXT,              -- sha256 of verdict_json exactly as stored (UTF-8)
    receipt_zlib BLOB,                -- the decision receipt (canonical JSON, UTF-8; `eligibility verify`
                                      -- replays it), zlib-compressed: batch.read_receipt gives the text
    receipt_sha256 TEXT,              -- sha256 of the uncompressed receipt text
    error_path TEXT,                  -- where in the case the problem is (failed rows)
    error_message TEXT,
    run_id INTEGER NOT NULL REFERENCES runs(id)
);
CREATE INDEX IF NOT EXISTS cases_seq ON cases(seq);
CREATE INDEX IF NOT EXISTS cases_input ON cases(input);
CREATE TABLE IF NOT EXISTS provisions (
    case_key TEXT NOT NULL REFERENCES cases(key),
    ord INTEGER NOT NULL,             -- order of the provision in the verdict
    provision TEXT NOT NULL,
    title TEXT NOT NULL,
    status TEXT NOT NULL,
    kind TEXT NOT NULL,
    PRIMARY KEY (case_key, provision)
);
CREATE INDEX IF NOT EXISTS provisions_status ON provisions(provision, status);
CREATE TABLE IF NOT EXISTS referrals (
    case_key TEXT NOT NULL REFERENCES cases(key),
    service TEXT NOT NULL,
    name TEXT NOT NULL,
    urgency TEXT NOT NULL,
    PRIMARY KEY (case_key, service)
);
CREATE TABLE IF NOT EXISTS missing (
    case_key TEXT NOT NULL REFERENCES cases(key),
    provision TEXT NOT NULL,
    path TEXT NOT NULL,
    PRIMARY KEY (case_key, provision, path)
);
"""


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
            raise InputError(source, "the CSV file has no header row (dotted field paths, e.g. relationship.type)")
        self.columns: list[list[str] | None] = []
        seen: dict[str, int] = {}
        kinds: dict[tuple[str, ...], tuple[bool, str]] = {}  # prefix -> (index segments?, example column)
        for i, name in enumerate(cells, start=1):
            if not name:
                self.columns.append(None)  # an unnamed column must stay empty
                continue
            if not _COLUMN.fullmatch(name):
                raise InputError(source, f"column {i} of the header is not a dotted field path "
                                         "(letters, digits and _ separated by dots, e.g. permits.0.basis)")
            if name in seen:
                raise InputError(source, f"column {i} repeats column {seen[name]} ({_short(name)})")
            seen[name] = i
            parts = name.split(".")
            if parts[0].isdigit():
                raise InputError(source, f"column {i} ({_short(name)}) starts with a list index")
            if len(parts) > MAX_DEPTH:  # no field is this deep: a row that fills it fails (kept linear)
                self.columns.append(parts)
                continue
            fix = closest_field(name)
            if fix:  # a typo before anything else (not "may carry free text" in every row)
                raise InputError(source, f"unknown column `{_short(name)}`; did you mean `{fix}`? "
                                         f"(column {i} of the header)")
            for depth in range(1, len(parts)):
                prefix, index = tuple(parts[:depth]), parts[depth].isdigit()
                previous = kinds.setdefault(prefix, (index, name))
                if previous[0] != index:
                    raise InputError(source, f"columns {_short(previous[1])} and {_short(name)} disagree on "
                                             f"whether {_short('.'.join(prefix))} is a list")
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
        raise InputError("", f"the row has {len(cells)} cells, the header {len(header.columns)}")
    root: dict[Any, Any] = {}
    for i, (parts, raw) in enumerate(zip(header.columns, cells)):
        text = raw.strip()
        if not text:
            continue
        if parts is None:
            raise InputError("", f"column {i + 1} has no name in the header but a value in this row")
        if len(parts) > MAX_DEPTH:
            raise InputError("", f"column {i + 1} is nested deeper than a case can be ({MAX_DEPTH} levels)")
        name = ".".join(parts)
        try:
            value = _cell_value(parts, text, header.text[i])
        except (ValueError, RecursionError):  # JSONDecodeError, a huge number, a nesting bomb
            raise InputError("", "a cell starting with [ must be a JSON list of at most "
                                 f"{MAX_DEPTH} levels", name) from None
        node = root
        for depth, part in enumerate(parts):
            key: Any = int(part) if part.isdigit() else part
            if depth == len(parts) - 1:
                if key in node:
                    raise InputError("", "this cell and the cells of its elements are both filled", name)
                node[key] = value
            else:
                child = node.setdefault(key, {})
                if not isinstance(child, dict):
                    raise InputError("", "this cell and the cells of its elements are both filled",
                                     ".".join(parts[:depth + 1]))
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
        raise InputError(arg, "permission denied") from None
    except OSError as exc:
        raise InputError(arg, f"cannot be read ({exc.strerror or type(exc).__name__})") from None


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


def _csv_rows(fh: IO[str], delimiter: str) -> Iterator[tuple[int, list[str] | None, str | None]]:
    """(first line, cells, None) per row, then (line, None, why) if the file cannot be read to its
    end: a row over the size bound or a CSV syntax error (an unclosed quote) ends it."""
    lines = _BoundedLines(fh)
    reader = csv.reader(lines, delimiter=delimiter, strict=True)  # strict: an unclosed quote is an error,
    # not a cell that swallows the rest of the file
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except _RowTooLarge:
            yield start, None, f"the row is larger than {MAX_BYTES // 1024} KiB"
            return
        except csv.Error as exc:
            yield start, None, f"CSV syntax error ({exc})"
            return
        lines.next_row()
        yield start, cells, None


_SAVE_AS_UTF8 = ('save it as "CSV UTF-8" (in Excel: Fil > Lagre som > "CSV UTF-8 (kommadelt)"; '
                 'File > Save As > "CSV UTF-8 (Comma delimited)") and run again')


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
    guess = ("it looks like Windows-1252, as Excel in Norwegian settings saves "
             '"CSV (semikolondelt)"')
    with open(path, "rb") as fh:  # single-byte: chunk by chunk, in bounded memory
        while chunk := fh.read(1 << 16):
            try:
                chunk.decode("cp1252")
            except UnicodeDecodeError:
                guess = "it is in some other encoding"
                break
    raise InputError(arg, f"not UTF-8 text (line {line}): {guess}; {_SAVE_AS_UTF8}")


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
        raise InputError("batch", "no INPUT given (a folder, a case file, a .jsonl or a .csv file)")
    for given in inputs:
        path, arg = Path(given), str(given)
        if not path.exists():
            raise InputError(arg, "no such file or folder")
        real = path.resolve()
        if real in seen:
            raise InputError(arg, "given more than once")
        seen.add(real)
        if path.is_dir():
            try:
                files = sorted((p for p in path.iterdir() if p.suffix.lower() in CASE_SUFFIXES
                                and not p.name.startswith(".") and p.is_file()), key=lambda p: p.name)
            except PermissionError:
                raise InputError(arg, "permission denied") from None
            if not files:
                raise InputError(arg, "the folder has no case files (.yaml, .yml, .json)")
            out.append(_Input(arg, path, "folder", files))
            continue
        suffix = path.suffix.lower()
        if not path.is_file():  # read more than once (header, count, cases): a pipe would hang
            raise InputError(arg, "not a regular file (a named pipe or a device): save it to a file first")
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
            if first is None:
                raise InputError(arg, f"the CSV header cannot be read: {why}")
            out.append(_Input(arg, path, "csv", header=_Header(first, arg), delimiter=delimiter))
        else:
            raise InputError(arg, "not a supported input: give a folder, a .yaml/.yml/.json case file, "
                                  "a .jsonl file or a .csv file")
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
        raise InputError(source, "nested deeper than a case can be") from None
    except InputError:
        raise
    except (ValueError, TypeError, OverflowError, MemoryError) as exc:  # never one case's end of the run
        raise InputError(source, f"cannot be read ({type(exc).__name__})") from None


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
                raw.error = InputError(source, f"line is larger than {MAX_BYTES // 1024} KiB")
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
                yield _Raw(inp.arg, source, start, rest_unread=True, error=InputError(
                    source, f"{why}; this row and the rest of this file were not read (the rows before it "
                            "were; stored results of this file are kept)"))
                return
            if not any(c.strip() for c in cells) or cells[0].lstrip().startswith("#"):
                continue  # a blank row, or a comment such as the questions of `eligibility template`
            raw = _Raw(inp.arg, source, start)
            try:
                if any("\udc80" <= ch <= "\udcff" for c in cells for ch in c):
                    raise InputError(source, f"not UTF-8 text: {_SAVE_AS_UTF8}")
                if sum(len(c) for c in cells) > MAX_BYTES:
                    raise InputError(source, f"row is larger than {MAX_BYTES // 1024} KiB")
                document = csv_document(inp.header, cells)
                raw.data = _parse(json.dumps(document, ensure_ascii=False).encode(), source, "json")
            except InputError as exc:
                raw.error = InputError(source, exc.message, exc.path)
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


# ------------------------------------------------------------------------------------------------
# Screening (in this process or in worker processes)
# ------------------------------------------------------------------------------------------------

_WORKER: dict[str, Any] = {}


def make_screener(rules_dir: Path | None, engine: str) -> Any:
    """A Screener on the chosen engine; imported here so that the parent process of a parallel
    run never needs the rule engine."""
    from .screening import Screener

    if engine == "python":
        from .evaluator import PythonEngine

        return Screener(rules_dir, engine=PythonEngine())
    return Screener(rules_dir)


def _watch_parent(ppid: int) -> None:
    while True:
        time.sleep(1.0)
        if os.getppid() != ppid:  # the batch process died (e.g. killed): do not linger
            os._exit(1)


def _worker_init(rules_dir: Path | None, engine: str, ppid: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and stops the pool
    threading.Thread(target=_watch_parent, args=(ppid,), daemon=True).start()
    _WORKER["screener"] = make_screener(rules_dir, engine)


def screen_document(screener: Any, data: Any, as_of: dt.date | None, lang: str) -> tuple[Any, ...]:
    """Screen one validated document: ("ok", verdict_json, provisions, referrals, missing,
    assessment_date, verdict_sha256, receipt_zlib, receipt_sha256) or ("failed", None, message).
    The verdict JSON leaves out the trace (the receipt holds every firing); the receipt is
    compressed here, in the worker. Never raises."""
    try:
        case = data if isinstance(data, Case) else Case.model_validate(data)
        from .audit import receipt_json  # lazily: the parent process does not screen

        screening = screener.screening(case, as_of=as_of, lang=lang)
        outline = screening.outline  # the verdict without its trace
        text = screening.verdict_json(trace=False)
        provisions = [(p.provision, p.title, p.status, p.kind) for p in outline.provisions]
        missing = list(dict.fromkeys((p.provision, m.path) for p in outline.provisions for m in p.missing))
        referrals = [(r.service, r.name, r.urgency) for r in outline.referrals]
        receipt = receipt_json(screener.book, case, screening).encode()
        return ("ok", text, provisions, referrals, missing, outline.assessment_date,
                hashlib.sha256(text.encode()).hexdigest(), zlib.compress(receipt, RECEIPT_ZLIB_LEVEL),
                hashlib.sha256(receipt).hexdigest())
    except Exception as exc:  # noqa: BLE001 - one case must never stop the run
        return ("failed", None, f"screening failed ({type(exc).__name__}: {exc})")


def _screen_chunk(payloads: list[Any], as_of: dt.date | None, lang: str) -> list[tuple[Any, ...]]:
    screener = _WORKER["screener"]
    return [screen_document(screener, data, as_of, lang) for data in payloads]


CRASHED = ("failed", None, "the rule engine crashed on this case (its worker process died); "
                           "the run went on in a fresh worker")


class _Pool:
    """Worker processes (spawned: durable_rules is never shared or forked) that screen chunks of
    cases. If a worker dies, the chunks it took are screened again one case at a time in a fresh
    pool, so that only the case that kills a worker fails."""

    def __init__(self, workers: int, initializer: Callable[..., None], initargs: tuple[Any, ...],
                 fn: Callable[..., list[tuple[Any, ...]]], args: tuple[Any, ...]):
        import multiprocessing

        self.workers, self.initializer, self.initargs, self.fn, self.args = workers, initializer, initargs, fn, args
        self.context = multiprocessing.get_context("spawn")
        self.executor = self._new()

    def _new(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(self.workers, mp_context=self.context, initializer=self.initializer,
                                   initargs=self.initargs)

    def submit(self, payloads: list[Any]) -> tuple[ProcessPoolExecutor, Future[Any]]:
        try:
            return self.executor, self.executor.submit(self.fn, payloads, *self.args)
        except BrokenProcessPool:
            self._restart(self.executor)
            return self.executor, self.executor.submit(self.fn, payloads, *self.args)

    def _restart(self, broken: ProcessPoolExecutor) -> None:
        if broken is self.executor:
            self.executor.shutdown(wait=False, cancel_futures=True)
            self.executor = self._new()

    def result(self, handle: tuple[ProcessPoolExecutor, Future[Any]], payloads: list[Any]) -> list[tuple[Any, ...]]:
        executor, future = handle
        try:
            return future.result()
        except BrokenProcessPool:
            self._restart(executor)
        out = []
        for payload in payloads:
            executor = self.executor
            try:
                out.extend(executor.submit(self.fn, [payload], *self.args).result())
            except BrokenProcessPool:
                out.append(CRASHED)
                self._restart(executor)
        return out

    def close(self, cancel: bool = False) -> None:
        self.executor.shutdown(wait=not cancel, cancel_futures=cancel)


# ------------------------------------------------------------------------------------------------
# The results file
# ------------------------------------------------------------------------------------------------


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()


def open_results(path: Path, *, create: bool) -> sqlite3.Connection:
    """Open (or create) a results file; refuses a file that is not one (InputError). A results
    file of an older schema is opened to be read (``create=False``: summary, exports), and refused
    to be written (``create=True``): a run needs a new ``--out``."""
    path = Path(path)
    if path.is_dir():
        raise InputError(str(path), "is a folder, not a results file")
    if not create and not path.exists():
        raise InputError(str(path), "no such file")
    if create and not path.parent.exists():
        raise InputError(str(path), "its folder does not exist")
    existed = path.exists() and path.stat().st_size > 0
    try:
        con = sqlite3.connect(path, isolation_level=None, timeout=30)
    except sqlite3.Error as exc:
        raise InputError(str(path), f"cannot be opened ({exc})") from None
    try:
        app = con.execute("PRAGMA application_id").fetchone()[0]
        if (existed or not create) and app != APPLICATION_ID:
            raise InputError(str(path), "is not an eligibility results file (not written by `eligibility batch`)")
        version = con.execute("PRAGMA user_version").fetchone()[0]
        if existed and version > SCHEMA_VERSION:
            raise InputError(str(path), f"was written by a newer eligibility (schema {version})")
        if existed and create and version < SCHEMA_VERSION:
            raise InputError(str(path), f"holds results of an older eligibility (results schema {version}; this "
                                        f"version writes schema {SCHEMA_VERSION}: verdicts without their trace, "
                                        "receipts compressed). Give a new --out (its cases are screened again); "
                                        "`eligibility summary` still reads this file")
        if create:
            con.execute("PRAGMA journal_mode=WAL")
            con.execute("PRAGMA synchronous=NORMAL")
            con.executescript(f"BEGIN; {SCHEMA} PRAGMA application_id={APPLICATION_ID}; "
                              f"PRAGMA user_version={SCHEMA_VERSION}; COMMIT;")
    except sqlite3.DatabaseError as exc:
        con.close()
        raise InputError(str(path), f"is not an eligibility results file ({exc})") from None
    except BaseException:
        con.close()
        raise
    return con


def read_receipt(con: sqlite3.Connection, key: str) -> str | None:
    """The decision receipt of the case ``key`` of a results file: its canonical JSON text, checked
    against ``receipt_sha256``, or None for a case without one (a failed case). KeyError if the
    file has no such case; ValueError if the stored receipt does not match its digest."""
    version = con.execute("PRAGMA user_version").fetchone()[0]
    columns = {1: "NULL, NULL", 2: "receipt_json, receipt_sha256"}.get(version, "receipt_zlib, receipt_sha256")
    row = con.execute(f"SELECT {columns} FROM cases WHERE key = ?", (key,)).fetchone()
    if row is None:
        raise KeyError(key)
    stored, digest = row[0], row[1]
    if stored is None:
        return None
    data = zlib.decompress(stored) if isinstance(stored, bytes) else stored.encode()
    if hashlib.sha256(data).hexdigest() != digest:
        raise ValueError(f"the stored receipt of {key} does not match its receipt_sha256")
    return data.decode()


class _Writer:
    """Writes whole cases in small transactions."""

    def __init__(self, con: sqlite3.Connection):
        self.con = con
        self.open = 0
        self.since = time.monotonic()

    def _begin(self) -> None:
        if not self.open:
            self.con.execute("BEGIN IMMEDIATE")
            self.since = time.monotonic()

    def case(self, row: dict[str, Any], provisions: list[tuple[Any, ...]] = (), referrals: list[tuple[Any, ...]] = (),
             missing: list[tuple[Any, ...]] = ()) -> None:
        self._begin()
        key = row["key"]
        for table in ("provisions", "referrals", "missing"):
            self.con.execute(f"DELETE FROM {table} WHERE case_key = ?", (key,))
        names = list(row)
        self.con.execute(f"INSERT OR REPLACE INTO cases ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
                         [row[n] for n in names])
        self.con.executemany("INSERT INTO provisions (case_key, ord, provision, title, status, kind) "
                             "VALUES (?, ?, ?, ?, ?, ?)", [(key, i, *p) for i, p in enumerate(provisions)])
        self.con.executemany("INSERT INTO referrals (case_key, service, name, urgency) VALUES (?, ?, ?, ?)",
                             [(key, *r) for r in referrals])
        self.con.executemany("INSERT INTO missing (case_key, provision, path) VALUES (?, ?, ?)",
                             [(key, *m) for m in missing])
        self.open += 1
        self.maybe_commit()

    def reseq(self, key: str, seq: int, input: str) -> None:
        """A skipped case takes its place in this run's order (and the INPUT it came from now)."""
        self._begin()
        self.con.execute("UPDATE cases SET seq = ?, input = ? WHERE key = ?", (seq, input, key))
        self.open += 1
        self.maybe_commit()

    def maybe_commit(self) -> None:
        if self.open and (self.open >= COMMIT_CASES or time.monotonic() - self.since >= COMMIT_SECONDS):
            self.commit()

    def commit(self) -> None:
        if self.open:
            self.con.execute("COMMIT")
            self.open = 0

    def rollback(self) -> None:
        if self.open:
            with contextlib.suppress(sqlite3.Error):
                self.con.execute("ROLLBACK")
            self.open = 0


# ------------------------------------------------------------------------------------------------
# The run
# ------------------------------------------------------------------------------------------------


@dataclass
class Failure:
    where: str  # source, or source:line
    case_id: str | None
    path: str | None
    message: str


@dataclass
class BatchReport:
    out: Path
    run_id: int
    screened: int = 0
    failed: int = 0
    skipped: int = 0
    total: int = 0
    seconds: float = 0.0
    failures: list[Failure] = field(default_factory=list)  # the first few, for the terminal
    inputs: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.total / self.seconds if self.seconds else 0.0


class _Progress:
    def __init__(self, enabled: bool, total: int, stream: IO[str] | None = None):
        self.enabled, self.total, self.stream = enabled, total, stream or sys.stderr
        self.start = time.monotonic()
        self.last = 0.0
        self.shown = False

    def update(self, done: int, force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if not force and now - self.last < 0.2:
            return
        self.last = now
        elapsed = max(now - self.start, 1e-9)
        rate = done / elapsed
        left = max(self.total - done, 0)
        eta = f"{int(left / rate) // 60}:{int(left / rate) % 60:02d}" if rate > 0 else "?"
        self.stream.write(f"\r{done}/{self.total} cases  {rate:,.0f}/s  ETA {eta}   ")
        self.stream.flush()
        self.shown = True

    def close(self, done: int) -> None:
        if self.enabled:
            self.update(done, force=True)
            self.stream.write("\n")
            self.stream.flush()


@dataclass
class _Item:
    seq: int
    raw: _Raw
    key: str = ""
    case_id: str | None = None
    case: Case | None = None
    digest: str | None = None
    day: str | None = None
    error: InputError | None = None
    skip: bool = False
    stored_at: tuple[int, str] | None = None  # (seq, input) of the stored row of a skipped case
    result: tuple[Any, ...] | None = None


_CASE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def check_targets(inputs: list[Path], targets: list[Path]) -> None:
    """Refuse a file the run would write (results or export) that is one of the INPUT files, or a
    case file (.yaml, .yml, .json) in an INPUT folder: it would overwrite a case, or be read as one."""
    for target in targets:
        real = Path(target).resolve()
        for given in inputs:
            path = Path(given).resolve()
            if real == path:
                raise InputError(str(target), "is one of the inputs: give another file to write to")
            if path.is_dir() and real.parent == path and real.suffix.lower() in CASE_SUFFIXES:
                raise InputError(str(target), f"is a case file in the input folder {given}: write the results "
                                              "elsewhere")


def _lock_results(con: sqlite3.Connection, out: Path) -> int | None:
    """Hold an exclusive lock on the results file for the whole run (released when the process
    ends, however it ends), and mark the runs that ended without finishing (killed, or the machine
    stopped) as ``killed``: no other run can still be going."""
    try:
        import fcntl
    except ImportError:  # no advisory locks (Windows): a run marked running may then still be going
        return None
    fd = os.open(out, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise InputError(str(out), "another `eligibility batch` is writing this results file; "
                                   "wait until it ends") from None
    con.execute("UPDATE runs SET status = 'killed' WHERE status = 'running'")
    return fd


def run_batch(inputs: list[Path], out: Path, *, workers: int = 1, as_of: dt.date | None = None,
              lang: str = "nb", allow_identifiers: bool = False, engine: str = "durable",
              progress: bool = False, rules_dir: Path | None = None, id_pattern: str | None = None) -> BatchReport:
    """Screen every case of ``inputs`` into the SQLite file ``out`` (created or resumed).

    Raises `InputError` (before anything is written) for an unusable invocation: a missing or
    unreadable INPUT, an unsupported file type, a CSV header that is not dotted field paths, an
    ``out`` that is not a results file, an unknown engine, an ``id_pattern`` (the clinic's case
    numbering, see `scan_case`) that is not a regular expression. An INPUT's name in the error is
    redacted unless ``allow_identifiers``.
    """
    from .rulebook import load_rulebook
    from .screening import case_digest  # the digest the verdicts carry (this also loads the engine module)

    if engine not in ENGINES:
        raise InputError("--engine", f"unknown engine '{engine}' (one of {', '.join(ENGINES)})")
    if engine == "python":
        import importlib.util

        if importlib.util.find_spec("eligibility.evaluator") is None:
            raise InputError("--engine", "the plain-Python engine (eligibility/evaluator.py) is not installed")
    if lang not in ("nb", "en"):
        raise InputError("--lang", f"unknown language '{lang}' (nb or en)")
    if workers < 1:
        raise InputError("--workers", "must be at least 1")
    if as_of is not None:
        try:
            law_date(as_of)
        except ValueError as exc:
            raise InputError("--as-of", str(exc)) from None
    try:
        clinic_ids = re.compile(id_pattern) if id_pattern is not None else None
    except re.error as exc:
        raise InputError("--id-pattern", f"is not a regular expression ({exc})") from None
    out = Path(out)
    try:
        resolved = _resolve_inputs(inputs)
    except InputError as exc:  # an INPUT named by an identifier is not echoed either
        if allow_identifiers:
            raise
        raise InputError(redact(exc.source) or "", redact(exc.message) or "", exc.path) from None
    check_targets(inputs, [out])
    screener = make_screener(rules_dir, engine) if workers == 1 else None  # one process: screen here
    book = screener.book if screener is not None else load_rulebook(rules_dir)
    con = open_results(out, create=True)
    try:
        lock = _lock_results(con, out)
    except BaseException:
        con.close()
        raise

    def safe(text: str) -> str:
        return text if allow_identifiers else (redact(text) or "")

    label = {i.arg: safe(i.arg) for i in resolved}  # the `input` column: never an identifier
    report = BatchReport(out=out, run_id=0, inputs=list(label.values()))
    started = time.monotonic()
    cur = con.execute(
        "INSERT INTO runs (started, status, as_of, lang, rules_version, rules_digest, engine, allow_identifiers, "
        "inputs, workers, program_version) VALUES (?, 'running', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (_now(), as_of.isoformat() if as_of else None, lang, book.version, book.digest, engine,
         int(allow_identifiers), json.dumps(report.inputs, ensure_ascii=False), workers, __version__))
    run_id = report.run_id = int(cur.lastrowid or 0)
    # What this run has seen, on disk (temp tables live as long as the connection), not in memory:
    # the key of every case (rows of these inputs with other keys are removed at the end), and
    # where each case id of a file was first seen (a case id must be unique within its file).
    con.execute("CREATE TEMP TABLE run_keys (key TEXT PRIMARY KEY) WITHOUT ROWID")
    con.execute("CREATE TEMP TABLE unread_sources (source TEXT PRIMARY KEY) WITHOUT ROWID")
    con.execute("CREATE TEMP TABLE run_case_ids (source TEXT NOT NULL, case_id TEXT NOT NULL, "
                "position TEXT NOT NULL, PRIMARY KEY (source, case_id)) WITHOUT ROWID")
    today = dt.date.today()
    writer = _Writer(con)
    bar = _Progress(progress, _count(resolved) if progress else 0)
    pool: _Pool | None = None
    status = "interrupted"

    def where(raw: _Raw) -> str:
        return f"{raw.source}:{raw.line}" if raw.line is not None else raw.source

    def prepare(seq: int, raw: _Raw) -> _Item:
        item = _Item(seq, raw)
        raw.input = label[raw.input]
        src_findings = [] if allow_identifiers else identifier_kinds(raw.source)
        if src_findings:  # never store the identifying file name; key the case by position
            raw.source = safe(raw.source)
            item.error = InputError(raw.source, f"the file's path {KIND_TEXT[src_findings[0]]}; rename it "
                                                "(cases must be anonymised)")
            item.key = f"{raw.source}@{seq}"
            return item
        position_key = where(raw)
        item.key = position_key
        if raw.error is not None:
            item.error = raw.error
            return item
        data = raw.data
        if not allow_identifiers:
            findings = scan_case(data, clinic_ids)
            if findings:
                path, message = guard_message(findings)
                typo = next(((f.path, fix) for f in findings if f.kind == "free_text"
                             and (fix := closest_field(f.path))), None)
                if typo:  # a misspelt field first: "switch the guard off" is not the fix
                    path, message = typo[0], f"unknown field; did you mean `{typo[1]}`?"
                item.error = InputError(raw.source, message, path)
                if isinstance(data, dict) and not any(f.path == "case_id" for f in findings):
                    cid = data.get("case_id")
                    item.case_id = cid if isinstance(cid, str) and _CASE_ID.fullmatch(cid) else None
                return item
        try:
            case = validate_case(data, raw.source)
        except InputError as exc:
            item.error = exc
            if isinstance(data, dict) and isinstance(data.get("case_id"), str) and _CASE_ID.fullmatch(data["case_id"]):
                item.case_id = data["case_id"]
            return item
        except RecursionError:
            item.error = InputError(raw.source, "nested deeper than a case can be")
            return item
        except Exception as exc:  # noqa: BLE001 - one case's input never ends the run
            item.error = InputError(raw.source, f"cannot be read ({type(exc).__name__})")
            return item
        item.case_id = case.case_id
        first = position_key
        if not con.execute("INSERT OR IGNORE INTO temp.run_case_ids VALUES (?, ?, ?)",
                           (raw.source, case.case_id, position_key)).rowcount:
            first = con.execute("SELECT position FROM temp.run_case_ids WHERE source = ? AND case_id = ?",
                                (raw.source, case.case_id)).fetchone()[0]
        if first != position_key:
            item.error = InputError(raw.source, f"case_id repeats the case at {safe(first)} (case ids must be "
                                                "unique within a file)", "case_id")
            return item
        item.key = f"{raw.source}#{case.case_id}"
        item.case = case
        item.digest = case_digest(case)
        item.day = (as_of or case.assessment_date or today).isoformat()
        # The row as it was before this run (a row this run wrote has its run_id: the same key can
        # come twice only from one file reached through two INPUTs, and then both are compared with
        # the row before the run).
        previous = con.execute("SELECT case_digest, rules_digest, lang, assessment_date, status, seq, input "
                               "FROM cases WHERE key = ? AND run_id != ?", (item.key, run_id)).fetchone()
        item.skip = previous is not None and previous[:5] == (item.digest, book.digest, lang, item.day, "ok")
        if item.skip:
            item.stored_at = previous[5:7]
        return item

    def payload(item: _Item) -> Any:
        return item.raw.data

    def write(item: _Item) -> None:
        raw = item.raw
        report.total += 1
        if item.skip:
            report.skipped += 1
            if item.stored_at != (item.seq, raw.input):
                writer.reseq(item.key, item.seq, raw.input)
            return
        row: dict[str, Any] = {
            "key": item.key, "case_id": item.case_id, "input": raw.input, "source": raw.source, "line": raw.line,
            "seq": item.seq, "case_digest": item.digest, "rules_digest": book.digest, "lang": lang,
            "assessment_date": item.day, "run_id": run_id, "verdict_json": None, "verdict_sha256": None,
            "receipt_zlib": None, "receipt_sha256": None, "error_path": None, "error_message": None}
        result = item.result
        if item.error is None and result is not None and result[0] == "ok":
            _, text, provisions, referrals, missing, day, verdict_sha256, receipt_zlib, receipt_sha256 = result
            row.update(status="ok", verdict_json=text, assessment_date=day, verdict_sha256=verdict_sha256,
                       receipt_zlib=receipt_zlib, receipt_sha256=receipt_sha256)
            writer.case(row, provisions, referrals, missing)
            report.screened += 1
            return
        if item.error is not None:
            path, message = item.error.path, item.error.message
        else:
            path, message = None, (result[2] if result else "not screened")
        path = safe(path) if path else None
        message = safe(message)[:MAX_MESSAGE]
        row.update(status="failed", error_path=path, error_message=message)
        writer.case(row)
        if raw.rest_unread:  # its stored rows past this point were not seen, not removed from the file
            con.execute("INSERT OR IGNORE INTO temp.unread_sources VALUES (?)", (raw.source,))
        report.failed += 1
        if len(report.failures) < 20:
            report.failures.append(Failure(where(raw), item.case_id, path, message))

    try:
        if workers > 1:
            pool = _Pool(workers, _worker_init, (rules_dir, engine, os.getpid()), _screen_chunk, (as_of, lang))
        # Chunks in input order; a chunk's cases are written once its screening is back.
        pending: deque[tuple[list[_Item], list[_Item], Any]] = deque()  # (chunk, sent, pool handle)

        def submit(chunk: list[_Item]) -> None:
            todo = [it for it in chunk if it.error is None and not it.skip]
            handle = None
            if todo and pool is None:
                for it in todo:
                    it.result = screen_document(screener, it.case, as_of, lang)
            elif todo:
                handle = pool.submit([payload(it) for it in todo])
            pending.append((chunk, todo, handle))

        def drain(limit: int) -> None:
            while pending and (len(pending) > limit or pending[0][2] is None or pending[0][2][1].done()):
                chunk, todo, handle = pending.popleft()
                if handle is not None and not handle[1].done():
                    writer.commit()  # never hold a transaction open while waiting for a worker
                if handle is not None and pool is not None:
                    for it, res in zip(todo, pool.result(handle, [payload(it) for it in todo])):
                        it.result = res
                for it in chunk:
                    write(it)
                con.executemany("INSERT OR IGNORE INTO temp.run_keys VALUES (?)", [(it.key,) for it in chunk])
                bar.update(report.total)
            writer.maybe_commit()

        chunk: list[_Item] = []
        for seq, raw in enumerate(_read_all(resolved), start=1):
            item = prepare(seq, raw)
            chunk.append(item)
            if len(chunk) >= (CHUNK if pool is not None else 1):
                submit(chunk)
                chunk = []
                drain(limit=3 * workers if pool is not None else 0)
        if chunk:
            submit(chunk)
        drain(limit=0)
        writer.commit()
        # The results mirror their inputs: cases of these inputs that are gone (a file removed, a
        # case id changed, a failed line since fixed) are removed; not those of a file that could
        # not be read to its end (its unread cases are not gone).
        args = report.inputs
        con.execute("BEGIN IMMEDIATE")
        con.execute(f"CREATE TEMP TABLE stale AS SELECT key FROM cases WHERE input IN ({', '.join('?' * len(args))}) "
                    "AND key NOT IN (SELECT key FROM temp.run_keys) "
                    "AND source NOT IN (SELECT source FROM temp.unread_sources)", args)
        for table, column in (("provisions", "case_key"), ("referrals", "case_key"), ("missing", "case_key"),
                              ("cases", "key")):
            con.execute(f"DELETE FROM main.{table} WHERE {column} IN (SELECT key FROM temp.stale)")
        con.execute("COMMIT")
        status = "complete"
    except BaseException:
        writer.rollback()
        if con.in_transaction:  # interrupted while removing the rows of cases no longer in the inputs
            with contextlib.suppress(sqlite3.Error):
                con.execute("ROLLBACK")
        if pool is not None:
            pool.close(cancel=True)
            pool = None
        raise
    finally:
        if pool is not None:
            pool.close()
        bar.close(report.total)
        report.seconds = time.monotonic() - started
        with contextlib.suppress(sqlite3.Error):
            writer.commit()
            con.execute("UPDATE runs SET finished = ?, status = ?, screened = ?, failed = ?, skipped = ?, "
                        "total = ?, seconds = ? WHERE id = ?",
                        (_now(), status, report.screened, report.failed, report.skipped, report.total,
                         round(report.seconds, 3), run_id))
        con.close()
        if lock is not None:
            os.close(lock)  # releases the lock
    return report


# ------------------------------------------------------------------------------------------------
# Exports
# ------------------------------------------------------------------------------------------------


def _export_rows(con: sqlite3.Connection, inputs: list[str] | None) -> Iterator[sqlite3.Row]:
    con.row_factory = sqlite3.Row
    where = f"WHERE input IN ({', '.join('?' * len(inputs))})" if inputs else ""
    yield from con.execute("SELECT key, case_id, source, line, status, verdict_json, error_path, error_message "
                           f"FROM cases {where} ORDER BY seq, key", inputs or [])


def export_jsonl(results: Path, target: Path, inputs: list[str] | None = None) -> int:
    """One line per case in input order: the verdict JSON as stored (without its trace: the
    receipt in the results file holds every firing), or for a failed case
    ``{"case_id", "source", "line", "status": "failed", "error": {"path", "message"}}``."""
    con = open_results(results, create=False)
    n = 0
    try:
        with open_atomically(target) as fh:
            for row in _export_rows(con, inputs):
                if row["status"] == "ok":
                    fh.write(row["verdict_json"] + "\n")
                else:
                    fh.write(json.dumps({"case_id": row["case_id"], "source": row["source"], "line": row["line"],
                                         "status": "failed", "error": {"path": row["error_path"],
                                                                       "message": row["error_message"]}},
                                        sort_keys=True, ensure_ascii=False, separators=(",", ":")) + "\n")
                n += 1
    finally:
        con.close()
    return n


def _inert(text: str | None) -> str:
    """A text cell a spreadsheet shows as text: one starting with = + - @ or a tab or carriage
    return (a formula to Excel and LibreOffice, e.g. a file named =1+2.yaml) gets a leading '."""
    text = text or ""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def export_csv(results: Path, target: Path, inputs: list[str] | None = None) -> int:
    """One row per case in input order: case_id, source, line, status, error_path, error_message
    and one column per provision with its status. Text that a spreadsheet would run as a formula
    is written with a leading ' (`_inert`)."""
    con = open_results(results, create=False)
    try:
        where = f"WHERE c.input IN ({', '.join('?' * len(inputs))})" if inputs else ""
        order = [p for (p,) in con.execute(
            f"SELECT p.provision FROM provisions p JOIN cases c ON c.key = p.case_key {where} "
            "GROUP BY p.provision ORDER BY MIN(p.ord), p.provision", inputs or [])]
        n = 0
        with open_atomically(target) as fh:
            out = csv.writer(fh, lineterminator="\n")
            out.writerow(["case_id", "source", "line", "status", "error_path", "error_message", *order])
            for row in _export_rows(con, inputs):
                statuses = dict(con.execute("SELECT provision, status FROM provisions WHERE case_key = ?",
                                            (row["key"],)).fetchall())
                out.writerow([_inert(row["case_id"]), _inert(row["source"]),
                              row["line"] if row["line"] is not None else "", row["status"],
                              _inert(row["error_path"]), _inert(row["error_message"]),
                              *(statuses.get(p, "") for p in order)])
                n += 1
    finally:
        con.close()
    return n


def store_for(out: Path, fmt: str) -> Path:
    """Where the SQLite results live: ``out`` itself, or ``out`` + ``.sqlite`` for an export."""
    return Path(out) if fmt == "sqlite" else Path(str(out) + ".sqlite")
