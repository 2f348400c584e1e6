"""The SQLite results file of a batch run: its schema, opening and resuming it, the run's lock,
whole cases written many to a transaction, receipts read back, and exports (JSON Lines, CSV).

A results file of an older schema is still read (summary, exports) but never written: a run
needs a new ``--out``. See `eligibility.batch` for what a row holds.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import hashlib
import json
import os
import sqlite3
import time
import zlib
from pathlib import Path
from typing import Any, Iterator

from ..model.atomic import open_atomically
from ..model.loader import InputError

FORMATS = ("sqlite", "jsonl", "csv")
STATUSES = ("met", "not_met", "undetermined", "needs_assessment")

APPLICATION_ID = 0x454C4731  # "ELG1": marks a results file as ours (PRAGMA application_id)
SCHEMA_VERSION = 4  # 2: cases.receipt_json / receipt_sha256; 3: verdicts without trace, receipt_zlib;
# 4 (ADR 0013): no stored verdict: the canonical case (case_zlib) and the rulebook (rulebooks), the
# verdict and the receipt regenerated when read; receipts stored only with --receipts full
CASE_ZLIB_LEVEL = 6
RECEIPT_ZLIB_LEVEL = 6
COMMIT_CASES, COMMIT_SECONDS = 200, 0.5  # cases are held at most this many / this long, then
# written in one transaction

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
    case_zlib BLOB,                   -- the validated case, canonical JSON (sha256 = case_digest), zlib-
                                      -- compressed: screened again with the rulebook of rules_digest
                                      -- (table rulebooks) it gives the verdict and the receipt (ADR 0013)
    apply_by TEXT,                    -- the verdict's apply_by (utl. § 61 seventh paragraph)
    missing_json TEXT,                -- the missing facts, [[provision, [path, ...]], ...] in the verdict's
                                      -- order (safety first); NULL when none
    notes_json TEXT,                  -- what the summary shows of the verdict's case-dependent texts,
                                      -- {"not_yet": {provision: {headline, rules}}, "reasons": {provision:
                                      -- text}}; NULL when there is none
    receipt_zlib BLOB,                -- only with `batch --receipts full`: the decision receipt (canonical
                                      -- JSON), zlib-compressed: batch.read_receipt gives the text
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
    provision TEXT NOT NULL,          -- its title: table titles
    status TEXT NOT NULL,
    kind TEXT NOT NULL,
    PRIMARY KEY (case_key, provision)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS provisions_status ON provisions(provision, status);
CREATE TABLE IF NOT EXISTS referrals (
    case_key TEXT NOT NULL REFERENCES cases(key),
    service TEXT NOT NULL,            -- its name: table titles
    urgency TEXT NOT NULL,
    PRIMARY KEY (case_key, service)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS titles (   -- a provision's title or a service's name, once per rulebook and language
    rules_digest TEXT NOT NULL,
    lang TEXT NOT NULL,
    id TEXT NOT NULL,                 -- provision or service id
    text TEXT NOT NULL,
    PRIMARY KEY (rules_digest, lang, id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS rulebooks (  -- every rulebook a case was screened with, to screen it again
    rules_digest TEXT PRIMARY KEY,
    rules_version TEXT NOT NULL,
    files_zlib BLOB NOT NULL          -- canonical JSON {file name: its text}, zlib-compressed
);
"""




def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()


def open_results(path: Path, *, create: bool) -> sqlite3.Connection:
    """Open (or create) a results file; refuses a file that is not one (InputError). A results
    file of an older schema is opened to be read (``create=False``: summary, exports), and refused
    to be written (``create=True``): a run needs a new ``--out``."""
    path = Path(path)
    if path.is_dir():
        raise InputError(str(path), "results_is_folder")
    if not create and not path.exists():
        raise InputError(str(path), "no_such_file")
    if create and not path.parent.exists():
        raise InputError(str(path), "folder_missing")
    existed = path.exists() and path.stat().st_size > 0
    try:
        con = sqlite3.connect(path, isolation_level=None, timeout=30)
    except sqlite3.Error as exc:
        raise InputError(str(path), "cannot_be_opened", why=exc) from None
    try:
        app = con.execute("PRAGMA application_id").fetchone()[0]
        if (existed or not create) and app != APPLICATION_ID:
            raise InputError(str(path), "not_results")
        version = con.execute("PRAGMA user_version").fetchone()[0]
        if existed and version > SCHEMA_VERSION:
            raise InputError(str(path), "newer_results", version=version)
        if existed and create and version < SCHEMA_VERSION:
            raise InputError(str(path), "older_results", version=version, current=SCHEMA_VERSION)
        if create:
            con.execute("PRAGMA journal_mode=WAL")
            con.execute("PRAGMA synchronous=NORMAL")
            con.executescript(f"BEGIN; {SCHEMA} PRAGMA application_id={APPLICATION_ID}; "
                              f"PRAGMA user_version={SCHEMA_VERSION}; COMMIT;")
    except sqlite3.DatabaseError as exc:
        con.close()
        raise InputError(str(path), "not_results_why", why=exc) from None
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
    """Writes whole cases, many at a time: cases are held until `commit` (at most `COMMIT_CASES`
    cases or `COMMIT_SECONDS`), then written in one transaction with one statement per table,
    so a killed run loses at most the cases held, and never leaves half a case. A case whose key
    has no stored row has nothing to delete first."""

    def __init__(self, con: sqlite3.Connection):
        self.con = con
        self.rows: dict[str, tuple[dict[str, Any], list[tuple[Any, ...]], list[tuple[Any, ...]],
                                   list[tuple[Any, ...]]]] = {}  # key -> the case (a later one replaces it)
        self.moves: list[tuple[int, str, str]] = []  # (seq, input, key) of skipped cases
        self.titles: dict[tuple[str, str, str], str] = {}  # (rules digest, lang, id) -> title or name
        self.since = time.monotonic()

    @property
    def open(self) -> int:
        return len(self.rows) + len(self.moves)

    def _hold(self) -> None:
        if not self.open:
            self.since = time.monotonic()

    def case(self, row: dict[str, Any], provisions: list[tuple[Any, ...]] = (),
             referrals: list[tuple[Any, ...]] = ()) -> None:
        self._hold()
        self.rows.pop(row["key"], None)  # the same key twice (one file under two INPUTs): the last stays
        self.rows[row["key"]] = (row, [(p, status, kind) for p, _, status, kind in provisions],
                                 [(service, urgency) for service, _, urgency in referrals])
        for ident, text in [(p[0], p[1]) for p in provisions] + [(r[0], r[1]) for r in referrals]:
            self.titles.setdefault((row["rules_digest"], row["lang"], ident), text)  # first seen, as in the verdict
        self.maybe_commit()

    def reseq(self, key: str, seq: int, input: str) -> None:
        """A skipped case takes its place in this run's order (and the INPUT it came from now)."""
        self._hold()
        self.moves.append((seq, input, key))
        self.maybe_commit()

    def maybe_commit(self) -> None:
        if self.open and (self.open >= COMMIT_CASES or time.monotonic() - self.since >= COMMIT_SECONDS):
            self.commit()

    def commit(self) -> None:
        if not self.open:
            return
        self.con.execute("BEGIN IMMEDIATE")
        try:
            self._write()
            self.con.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                self.con.execute("ROLLBACK")
            raise
        finally:
            self.rows, self.moves = {}, []

    def _write(self) -> None:
        keys = list(self.rows)
        stored = [k for i in range(0, len(keys), 500) for (k,) in self.con.execute(
            f"SELECT key FROM cases WHERE key IN ({', '.join('?' * len(keys[i:i + 500]))})", keys[i:i + 500])]
        for table in ("provisions", "referrals"):
            self.con.executemany(f"DELETE FROM {table} WHERE case_key = ?", [(k,) for k in stored])
        if keys:
            names = list(self.rows[keys[0]][0])
            self.con.executemany(f"INSERT OR REPLACE INTO cases ({', '.join(names)}) "
                                 f"VALUES ({', '.join('?' * len(names))})",
                                 [[row[n] for n in names] for row, *_ in self.rows.values()])
        self.con.executemany("INSERT INTO provisions (case_key, ord, provision, status, kind) VALUES (?, ?, ?, ?, ?)",
                             [(k, i, *p) for k, (_, ps, _) in self.rows.items() for i, p in enumerate(ps)])
        self.con.executemany("INSERT OR IGNORE INTO titles (rules_digest, lang, id, text) VALUES (?, ?, ?, ?)",
                             [(*key, text) for key, text in self.titles.items() if text is not None])
        self.titles = {key: None for key in self.titles}  # written: never again in this run (a few dozen keys)
        self.con.executemany("INSERT INTO referrals (case_key, service, urgency) VALUES (?, ?, ?)",
                             [(k, *r) for k, (_, _, rs) in self.rows.items() for r in rs])
        self.con.executemany("UPDATE cases SET seq = ?, input = ? WHERE key = ?", self.moves)

    def rollback(self) -> None:
        """Drop the cases held (an interrupted run keeps only whole transactions)."""
        self.rows, self.moves = {}, []


def remove_gone(con: sqlite3.Connection, inputs: list[str]) -> None:
    """The results mirror their inputs: remove the cases of ``inputs`` this run did not see (a file
    removed, a case id changed, a failed line since fixed), except those of a file that could not
    be read to its end (its unread cases are not gone). Reads the run's TEMP tables ``run_keys``
    and ``unread_sources``; one transaction."""
    con.execute("BEGIN IMMEDIATE")
    con.execute(f"CREATE TEMP TABLE stale AS SELECT key FROM cases WHERE input IN ({', '.join('?' * len(inputs))}) "
                "AND key NOT IN (SELECT key FROM temp.run_keys) "
                "AND source NOT IN (SELECT source FROM temp.unread_sources)", inputs)
    for table, column in (("provisions", "case_key"), ("referrals", "case_key"),
                          ("cases", "key")):
        con.execute(f"DELETE FROM main.{table} WHERE {column} IN (SELECT key FROM temp.stale)")
    con.execute("COMMIT")


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
        raise InputError(str(out), "busy") from None
    con.execute("UPDATE runs SET status = 'killed' WHERE status = 'running'")
    return fd


# ------------------------------------------------------------------------------------------------
# Exports
# ------------------------------------------------------------------------------------------------


def _export_rows(con: sqlite3.Connection, inputs: list[str] | None) -> Iterator[sqlite3.Row]:
    con.row_factory = sqlite3.Row
    where = f"WHERE input IN ({', '.join('?' * len(inputs))})" if inputs else ""
    verdict = "verdict_json" if con.execute("PRAGMA user_version").fetchone()[0] < 4 else "NULL AS verdict_json"
    yield from con.execute(f"SELECT key, case_id, source, line, status, {verdict}, error_path, error_message "
                           f"FROM cases {where} ORDER BY seq, key", inputs or [])


def export_jsonl(results: Path, target: Path, inputs: list[str] | None = None) -> int:
    """One line per case in input order: the verdict JSON without its trace (`eligibility receipt`
    gives the rules' trace), regenerated from the stored case (ADR 0013; a results file of schema 3
    or older: as stored), or for a failed case
    ``{"case_id", "source", "line", "status": "failed", "error": {"path", "message"}}``."""
    con = open_results(results, create=False)
    n = 0
    try:
        replay = None
        with open_atomically(target) as fh:
            for row in _export_rows(con, inputs):
                if row["status"] == "ok" and row["verdict_json"] is None:
                    if replay is None:
                        from .replay import Replay

                        replay = Replay(con, str(results))
                    fh.write(replay.verdict_json(row["key"]) + "\n")
                elif row["status"] == "ok":
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
