"""The batch run: every case read in order, refused or validated, screened (in this process, or
in ``workers`` spawned processes that each hold their own rule engine) and written, one row per
case, in input order. See `eligibility.batch` for the whole behaviour.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import re
import sqlite3
import sys
import time
import zlib
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Callable

from pydantic_core import PydanticCustomError

from .. import __version__
from .readers import _count, _Raw, _read_all, _resolve_inputs, check_targets
from .store import CASE_ZLIB_LEVEL, RECEIPT_ZLIB_LEVEL, _lock_results, _now, _Writer, open_results, remove_gone
from ..explain.outcome import Outcome, summary_notes  # noqa: F401 - summary_notes: what the store keeps (ADR 0013)
from ..model.case import Case, law_date
from ..model.identifiers import MAX_MESSAGE, guard_refusal, identifier_kinds, redact, scan_case
from ..model.texts import GUARD_KINDS
from ..model.loader import InputError, closest_field, validate_case

ENGINES = ("durable", "python")
RECEIPTS = ("none", "full")  # none: regenerated when asked (`eligibility receipt`); full: stored
CHUNK = 16  # cases per task sent to a worker process


# ------------------------------------------------------------------------------------------------
# Screening (in this process or in worker processes)
# ------------------------------------------------------------------------------------------------

def make_screener(rules_dir: Path | None, engine: str) -> Any:
    """A Screener on the chosen engine (imported here: importing this module loads no engine)."""
    from ..explain.screening import Screener

    if engine == "python":
        from ..engine.evaluator import PythonEngine

        return Screener(rules_dir, engine=PythonEngine())
    return Screener(rules_dir)


def screen_document(screener: Any, data: Any, as_of: dt.date | None, lang: str,
                    receipts: str = "none") -> tuple[Any, ...]:
    """Screen one validated document: ("ok", case_zlib, provisions, referrals, missing_json,
    assessment_date, apply_by, notes_json, receipt_zlib, receipt_sha256) or ("failed", None,
    message). No verdict (ADR 0013: the stored case is screened again when a verdict is read):
    `Screener.outcome` gives what is stored; the verdict and its receipt are built only with
    ``receipts="full"``, compressed here, in the worker. Never raises."""
    try:
        case = data if isinstance(data, Case) else Case.model_validate(data)
        receipt_zlib = receipt_sha256 = None
        if receipts == "full":
            from ..audit import receipt_json  # lazily: the parent process does not screen

            screening = screener.screening(case, as_of=as_of, lang=lang)
            outcome = Outcome.of(screening.outline)  # the verdict without its trace
            receipt = receipt_json(screener.book, case, screening).encode()
            receipt_zlib = zlib.compress(receipt, RECEIPT_ZLIB_LEVEL)
            receipt_sha256 = hashlib.sha256(receipt).hexdigest()
        else:
            outcome = screener.outcome(case, as_of=as_of, lang=lang)
        text = case_json(case)
        missing, notes = outcome.missing, outcome.notes
        return ("ok", zlib.compress(text.encode(), CASE_ZLIB_LEVEL), list(outcome.provisions),
                list(outcome.referrals),
                json.dumps(missing, ensure_ascii=False, separators=(",", ":")) if missing else None,
                outcome.assessment_date, outcome.apply_by,
                json.dumps(notes, sort_keys=True, ensure_ascii=False, separators=(",", ":")) if notes else None,
                receipt_zlib, receipt_sha256)
    except Exception as exc:  # noqa: BLE001 - one case must never stop the run
        return ("failed", None, f"screening failed ({type(exc).__name__}: {exc})")


def case_json(case: Case) -> str:
    """The case's canonical JSON, whose sha256 is its case digest (`screening.case_digest`)."""
    return json.dumps(case.model_dump(mode="json", exclude_unset=True), sort_keys=True, ensure_ascii=False,
                      separators=(",", ":"))


def _started() -> None:
    return None


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

    def start(self) -> None:
        """Start every worker now (the pool starts them on demand): they load while this process
        reads the first cases."""
        for _ in range(self.workers):
            self.executor.submit(_started)

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
    when: dt.date | None = None  # the day whose law applies (``day`` as a date)
    error: InputError | None = None
    skip: bool = False
    stored_at: tuple[int, str] | None = None  # (seq, input) of the stored row of a skipped case
    result: tuple[Any, ...] | None = None


_CASE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def _refused(data: Any, source: str, clinic_ids: re.Pattern[str] | None) -> tuple[InputError, str | None] | None:
    """The anonymisation guard (`scan_case`) on one raw case: None if it passes, else the error
    (naming the field, never the value) and the case id if that is not what was refused."""
    findings = scan_case(data, clinic_ids)
    if not findings:
        return None
    path, values = guard_refusal(findings)
    typo = next(((f.path, fix) for f in findings if f.kind == "free_text" and (fix := closest_field(f.path))), None)
    case_id = None
    if isinstance(data, dict) and not any(f.path == "case_id" for f in findings):
        cid = data.get("case_id")
        case_id = cid if isinstance(cid, str) and _CASE_ID.fullmatch(cid) else None
    if typo:  # a misspelt field first: "switch the guard off" is not the fix
        return InputError(source, "unknown_field_did_you_mean", typo[0], fix=typo[1]), case_id
    return InputError(source, "identifier_refused", path, **values), case_id


def _check_options(engine: str, lang: str, workers: int, as_of: dt.date | None,
                   id_pattern: str | None) -> re.Pattern[str] | None:
    """Refuse an unusable option (`InputError` naming it); the clinic's case numbering compiled."""
    if engine not in ENGINES:
        raise InputError("--engine", "unknown_engine", engine=engine, engines=", ".join(ENGINES))
    if engine == "python":
        import importlib.util

        if importlib.util.find_spec("eligibility.engine.evaluator") is None:
            raise InputError("--engine", "no_python_engine")
    if lang not in ("nb", "en"):
        raise InputError("--lang", "unknown_lang", lang=lang)
    if workers < 1:
        raise InputError("--workers", "workers_at_least_1")
    if as_of is not None:
        try:
            law_date(as_of)
        except PydanticCustomError as exc:  # law_date's own check: before_law / after_law
            raise InputError("--as-of", exc.type, **(exc.context or {})) from None
    try:
        return re.compile(id_pattern) if id_pattern is not None else None
    except re.error as exc:
        raise InputError("--id-pattern", "not_a_regex", why=exc) from None


def run_batch(inputs: list[Path], out: Path, *, workers: int = 1, as_of: dt.date | None = None,
              lang: str = "nb", allow_identifiers: bool = False, engine: str = "durable",
              progress: bool = False, rules_dir: Path | None = None, id_pattern: str | None = None,
              receipts: str = "none") -> BatchReport:
    """Screen every case of ``inputs`` into the SQLite file ``out`` (created or resumed).

    Raises `InputError` (before anything is written) for an unusable invocation: a missing or
    unreadable INPUT, an unsupported file type, a CSV header that is not dotted field paths, an
    ``out`` that is not a results file, an unknown engine, an ``id_pattern`` (the clinic's case
    numbering, see `scan_case`) that is not a regular expression. An INPUT's name in the error is
    redacted unless ``allow_identifiers``. ``receipts="full"`` stores each case's receipt; by
    default a receipt is regenerated when asked (`eligibility receipt`, ADR 0013).
    """
    from ..law.rulebook import load_rulebook
    from .replay import keep_rulebook
    from ..explain.screening import case_digest  # the digest the verdicts carry (this also loads the engine module)

    clinic_ids = _check_options(engine, lang, workers, as_of, id_pattern)
    if receipts not in RECEIPTS:
        raise InputError("--receipts", "unknown_choice", value=receipts, choices=", ".join(RECEIPTS))
    out = Path(out)
    try:
        resolved = _resolve_inputs(inputs)
    except InputError as exc:  # an INPUT named by an identifier is not echoed either
        if allow_identifiers:
            raise
        raise exc.elsewhere(redact(exc.source) or "", lambda text: redact(text) or "") from None
    check_targets(inputs, [out])
    screener = make_screener(rules_dir, engine) if workers == 1 else None  # one process: screen here
    book = screener.book if screener is not None else load_rulebook(rules_dir)
    con = open_results(out, create=True)
    try:
        lock = _lock_results(con, out)
        keep_rulebook(con, book)  # the rulebook goes with the results: its cases can be screened again
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
            kind = GUARD_KINDS[src_findings[0]]
            item.error = InputError(raw.source, "path_identifies", kind_en=kind["en"], kind_nb=kind["nb"])
            item.key = f"{raw.source}@{seq}"
            return item
        position_key = where(raw)
        item.key = position_key
        if raw.error is not None:
            item.error = raw.error
            return item
        data = raw.data
        refused = None if allow_identifiers else _refused(data, raw.source, clinic_ids)
        if refused is not None:
            item.error, item.case_id = refused
            return item
        try:
            case = validate_case(data, raw.source)
        except InputError as exc:
            item.error = exc
            if isinstance(data, dict) and isinstance(data.get("case_id"), str) and _CASE_ID.fullmatch(data["case_id"]):
                item.case_id = data["case_id"]
            return item
        except RecursionError:
            item.error = InputError(raw.source, "too_deep_here")
            return item
        except Exception as exc:  # noqa: BLE001 - one case's input never ends the run
            item.error = InputError(raw.source, "cannot_be_read", why=type(exc).__name__)
            return item
        item.case_id = case.case_id
        first = position_key
        if not con.execute("INSERT OR IGNORE INTO temp.run_case_ids VALUES (?, ?, ?)",
                           (raw.source, case.case_id, position_key)).rowcount:
            first = con.execute("SELECT position FROM temp.run_case_ids WHERE source = ? AND case_id = ?",
                                (raw.source, case.case_id)).fetchone()[0]
        if first != position_key:
            item.error = InputError(raw.source, "case_id_repeats", "case_id", first=safe(first))
            return item
        item.key = f"{raw.source}#{case.case_id}"
        item.case = case
        item.digest = case_digest(case)
        item.when = as_of or case.assessment_date or today
        item.day = item.when.isoformat()
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
        """What a worker screens: the case validated here, never validated again."""
        return item.case

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
            "assessment_date": item.day, "run_id": run_id, "case_zlib": None, "apply_by": None, "notes_json": None,
            "missing_json": None,
            "receipt_zlib": None, "receipt_sha256": None, "error_path": None, "error_message": None}
        result = item.result
        if item.error is None and result is not None and result[0] == "ok":
            _, case_zlib, provisions, referrals, missing, day, apply_by, notes, receipt_zlib, receipt_sha256 = result
            row.update(status="ok", case_zlib=case_zlib, assessment_date=day, apply_by=apply_by, notes_json=notes,
                       missing_json=missing,
                       receipt_zlib=receipt_zlib, receipt_sha256=receipt_sha256)
            writer.case(row, provisions, referrals)
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
            from .worker import screen_chunk, worker_init

            pool = _Pool(workers, worker_init, (book, engine, os.getpid()), screen_chunk, (as_of, lang, receipts))
            pool.start()
        # Chunks in input order; a chunk's cases are written once its screening is back.
        pending: deque[tuple[list[_Item], list[_Item], Any]] = deque()  # (chunk, sent, pool handle)

        def submit(chunk: list[_Item]) -> None:
            todo = [it for it in chunk if it.error is None and not it.skip]
            handle = None
            if todo and pool is None:
                for it in todo:
                    it.result = screen_document(screener, it.case, as_of, lang, receipts)
            elif todo:
                handle = pool.submit([payload(it) for it in todo])
            pending.append((chunk, todo, handle))

        def drain(limit: int) -> None:
            while pending and (len(pending) > limit or pending[0][2] is None or pending[0][2][1].done()):
                chunk, todo, handle = pending.popleft()
                if handle is not None and not handle[1].done():
                    writer.commit()  # write the cases held before waiting for a worker
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
        remove_gone(con, report.inputs)
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
