"""Verdicts and receipts regenerated from a results file (ADR 0013): a batch stores each case's
canonical JSON (compressed) and every rulebook it screened with, not the verdict or the receipt.
Screening is deterministic (same case, same rulebook, same date and language: the same answer), so
screening the stored case again with the stored rulebook gives the verdict and the receipt byte for
byte, even after the rules on disk have changed.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3
import tempfile
import zlib
from pathlib import Path
from typing import Any, Iterator

from ..law.rulebook import Rulebook, load_rulebook
from ..model.case import Case
from ..model.loader import InputError, validate_case
from .store import open_results, read_receipt

_RULE_FILE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}\.ya?ml")
RULEBOOK_ZLIB_LEVEL = 9  # once per rulebook: the smallest
# Screeners of stored rulebooks, by rules digest, shared by every `Replay` of this process: a
# Screener compiles each law epoch into the rule engine, which keeps what it compiled for the
# life of the process (a new Screener per results file read grew a test process to 16 GB).
_SCREENERS: dict[str, Any] = {}
MAX_SCREENERS = 8


def rulebook_snapshot(book: Rulebook) -> bytes:
    """Every file of ``book`` (those its digest covers) as canonical JSON {name: text}, compressed."""
    files = {name: (book.directory / name).read_text(encoding="utf-8") for name in sorted(book.file_digests)}
    data = json.dumps(files, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
    return zlib.compress(data, RULEBOOK_ZLIB_LEVEL)


def keep_rulebook(con: sqlite3.Connection, book: Rulebook) -> None:
    """Store ``book`` in the results file unless it is there already (one row per rules digest).
    The files are read again from disk: refused if they changed since the rulebook was loaded."""
    if con.execute("SELECT 1 FROM rulebooks WHERE rules_digest = ?", (book.digest,)).fetchone():
        return
    snapshot = rulebook_snapshot(book)
    with tempfile.TemporaryDirectory(prefix="eligibility-rules-") as tmp:
        if _write_rulebook(snapshot, Path(tmp)).digest != book.digest:
            raise InputError(str(book.directory), "rules_changed")
    con.execute("INSERT INTO rulebooks (rules_digest, rules_version, files_zlib) VALUES (?, ?, ?)",
                (book.digest, book.version, snapshot))


def _write_rulebook(snapshot: bytes, folder: Path) -> Rulebook:
    """Write a stored rulebook's files into ``folder`` and load them."""
    files = json.loads(zlib.decompress(snapshot))
    if not isinstance(files, dict) or not all(isinstance(n, str) and _RULE_FILE.fullmatch(n) and
                                              isinstance(t, str) for n, t in files.items()):
        raise ValueError("a stored rulebook is not a table of rule files")
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return load_rulebook(folder)


class Replay:
    """Screens the stored cases of one results file again, each with the rulebook it was screened
    with (loaded from the file once per rules digest)."""

    def __init__(self, con: sqlite3.Connection, source: str):
        self.con, self.source = con, source
        version = con.execute("PRAGMA user_version").fetchone()[0]
        if version < 4:
            raise InputError(source, "older_no_cases", version=version)

    def screener(self, digest: str) -> Any:
        from ..explain.screening import Screener

        if digest not in _SCREENERS:
            row = self.con.execute("SELECT files_zlib FROM rulebooks WHERE rules_digest = ?", (digest,)).fetchone()
            if row is None:
                raise InputError(self.source, "no_rulebook_of_cases", digest=digest[:12])
            with tempfile.TemporaryDirectory(prefix="eligibility-rules-") as tmp:
                book = _write_rulebook(row[0], Path(tmp))
            if book.digest != digest:
                raise InputError(self.source, "rulebook_digest", digest=digest[:12])
            if len(_SCREENERS) >= MAX_SCREENERS:
                _SCREENERS.pop(next(iter(_SCREENERS)))
            _SCREENERS[digest] = Screener(book=book)
        return _SCREENERS[digest]

    def write_rulebook(self, digest: str, folder: Path) -> Path:
        """The stored rulebook ``digest`` as rule files in ``folder`` (for `eligibility verify --rules`)."""
        row = self.con.execute("SELECT files_zlib FROM rulebooks WHERE rules_digest = ?", (digest,)).fetchone()
        if row is None:
            raise InputError(self.source, "no_rulebook", digest=digest[:12])
        _write_rulebook(row[0], folder)
        return folder

    def case(self, key: str) -> tuple[Case, sqlite3.Row | tuple[Any, ...]]:
        """The stored case ``key`` (validated again, checked against its digest) and its row
        (rules_digest, assessment_date, lang). KeyError: no such case; ValueError: not screened."""
        from ..explain.screening import case_digest

        row = self.con.execute("SELECT case_zlib, case_digest, rules_digest, assessment_date, lang, status "
                               "FROM cases WHERE key = ?", (key,)).fetchone()
        if row is None:
            raise KeyError(key)
        if row[5] != "ok" or row[0] is None:
            raise ValueError(f"{key} was not screened (a failed case)")
        case = validate_case(json.loads(zlib.decompress(row[0])), key)
        if case_digest(case) != row[1]:
            raise ValueError(f"the stored case {key} does not match its case_digest")
        return case, row

    def screening(self, key: str) -> tuple[Any, Case, Any]:
        case, row = self.case(key)
        screener = self.screener(row[2])
        return screener, case, screener.screening(case, as_of=dt.date.fromisoformat(row[3]), lang=row[4])

    def verdict_json(self, key: str) -> str:
        """The stored case's verdict: `eligibility screen --format json` without its trace."""
        return self.screening(key)[2].verdict_json(trace=False)

    def receipt_json(self, key: str) -> str:
        """The case's receipt: the one stored (`batch --receipts full`), else regenerated."""
        stored = read_receipt(self.con, key)
        if stored is not None:
            return stored
        from ..audit import receipt_json

        screener, case, screening = self.screening(key)
        return receipt_json(screener.book, case, screening)


def case_keys(con: sqlite3.Connection, case_id: str) -> list[str]:
    """The keys of the screened cases whose key or case id is ``case_id``."""
    return [k for (k,) in con.execute("SELECT key FROM cases WHERE status = 'ok' AND (key = ? OR case_id = ?) "
                                      "ORDER BY seq, key", (case_id, case_id))]


def receipt_name(key: str) -> str:
    """A file name for the receipt of the case ``key`` (source#case_id): safe on any file system."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", key).strip("._")[:180] + ".receipt.json"


def export_receipts(results: Path, folder: Path) -> Iterator[Path]:
    """Write the receipt of every screened case of ``results`` into ``folder`` (one file each, in
    input order, named by `receipt_name`, numbered when two names clash) and every rulebook they
    name into ``folder/rules-<digest[:12]>`` (for `eligibility verify --rules`)."""
    from ..model.atomic import write_atomically

    con = open_results(results, create=False)
    try:
        replay = Replay(con, str(results))
        folder.mkdir(parents=True, exist_ok=True)
        for (digest,) in con.execute("SELECT DISTINCT rules_digest FROM cases WHERE status = 'ok'").fetchall():
            replay.write_rulebook(digest, folder / f"rules-{digest[:12]}")
        used: set[str] = set()
        for (key,) in con.execute("SELECT key FROM cases WHERE status = 'ok' ORDER BY seq, key").fetchall():
            name = receipt_name(key)
            n = 1
            while name.lower() in used:
                n += 1
                name = receipt_name(key).replace(".receipt.json", f"-{n}.receipt.json")
            used.add(name.lower())
            write_atomically(folder / name, replay.receipt_json(key) + "\n")
            yield folder / name
    finally:
        con.close()
