"""Batch screening: folders, JSON Lines and CSV files of anonymised cases into one SQLite file.

One run reads its inputs in order, refuses unsafe cases one by one, screens the rest (in this
process, or in ``workers`` spawned processes that each hold their own rule engine), and writes one
row per case to SQLite, many cases to a transaction, in input order:

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
  the cases held for its next transaction (at most 200, or half a second of work), and never
  leaves half a case. A run holds an exclusive
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

The work is split in three modules: `readers` (the inputs), `store` (the results file
and exports) and `runner` (the run). This module is the public entry and re-exports them.
"""

from __future__ import annotations

from .readers import (CASE_SUFFIXES, CSV_SUFFIXES, JSONL_SUFFIXES, _count, _Header, _Input, _Raw,
                            _read_all, _resolve_inputs, check_targets, csv_document)
from .runner import (CHUNK, CRASHED, ENGINES, BatchReport, Failure, _Item, _Pool, _Progress, make_screener,
                           run_batch, screen_document)
from .store import (APPLICATION_ID, COMMIT_CASES, COMMIT_SECONDS, FORMATS, RECEIPT_ZLIB_LEVEL, SCHEMA,
                          SCHEMA_VERSION, STATUSES, _Writer, export_csv, export_jsonl, open_results, read_receipt,
                          store_for)
from ..model.loader import InputError

__all__ = [
    "APPLICATION_ID", "BatchReport", "CASE_SUFFIXES", "CHUNK", "COMMIT_CASES", "COMMIT_SECONDS", "CRASHED",
    "CSV_SUFFIXES", "ENGINES", "FORMATS", "Failure", "InputError", "JSONL_SUFFIXES", "RECEIPT_ZLIB_LEVEL",
    "SCHEMA", "SCHEMA_VERSION", "STATUSES", "check_targets", "csv_document", "export_csv", "export_jsonl",
    "make_screener", "open_results", "read_receipt", "run_batch", "screen_document", "store_for",
]
