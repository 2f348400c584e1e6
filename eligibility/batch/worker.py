"""A worker process of a parallel batch run: it screens the cases the parent process read,
guarded and validated, under law epochs the parent compiled.

Each worker used to load the rulebook and compile every law epoch it met again, and validate
every case again: at N = 1,000 that was about 30 % of a run (issue 11 item 5). Now the parent
sends the rulebook once (when the worker starts), the validated `Case` objects, and for each
case the file of its compiled epoch, which a worker loads once. This module imports the rule
engine; only worker processes import it.
"""

from __future__ import annotations

import datetime as dt
import os
import pickle
import signal
import threading
import time
from pathlib import Path
from typing import Any

from ..law.compiler import Compiled
from ..law.rulebook import Rulebook
from ..explain.screening import Screener

_WORKER: dict[str, Any] = {}
_MEMO = 4096  # days remembered, as `Screener.compiled` does


class EpochScreener(Screener):
    """A Screener that takes each law epoch from a file the parent process wrote
    (`ParentEpochs`) instead of compiling it again; a day with no such file is compiled here."""

    def __init__(self, book: Rulebook, engine: Any = None):
        super().__init__(engine=engine, book=book)
        self.epoch_files: dict[dt.date, str] = {}  # day -> file of its compiled epoch
        self._loaded: dict[str, Compiled] = {}  # file -> its epoch, loaded once

    def compiled(self, day: dt.date) -> Compiled:
        file = self.epoch_files.get(day)
        if file is None:
            return super().compiled(day)
        found = self._loaded.get(file)
        if found is None:
            with open(file, "rb") as fh:  # written by this run's parent in its private folder
                found = self._loaded[file] = pickle.load(fh)
        return found

    def learn(self, day: dt.date, file: str | None) -> None:
        """Remember where the epoch of ``day`` is (the parent sends it with each case)."""
        if file is not None and day not in self.epoch_files:
            if len(self.epoch_files) >= _MEMO:
                self.epoch_files.clear()
            self.epoch_files[day] = file


class ParentEpochs:
    """The law epochs of a parallel run, compiled once in the parent process (`Screener.compiled`
    finds a day's epoch) and written to ``folder`` (private to the run) for the workers to load."""

    def __init__(self, book: Rulebook, folder: Path):
        self.screener = Screener(book=book)  # used for `compiled` only: it never runs a case
        self.folder = folder
        self.files: dict[int, str] = {}  # id of a compiled epoch (kept alive by the screener) -> file

    def file(self, day: dt.date) -> str:
        compiled = self.screener.compiled(day)
        found = self.files.get(id(compiled))
        if found is None:
            path = self.folder / f"epoch-{len(self.files)}.pickle"
            with open(path, "wb") as fh:
                pickle.dump(compiled, fh, protocol=pickle.HIGHEST_PROTOCOL)
            found = self.files[id(compiled)] = str(path)
        return found


def _watch_parent(ppid: int) -> None:
    while True:
        time.sleep(1.0)
        if os.getppid() != ppid:  # the batch process died (e.g. killed): do not linger
            os._exit(1)


def worker_init(book: Rulebook, engine: str, ppid: int) -> None:
    """Start a worker: the parent's rulebook (not loaded from the rules folder again)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and stops the pool
    threading.Thread(target=_watch_parent, args=(ppid,), daemon=True).start()
    engine_object = None
    if engine == "python":
        from ..engine.evaluator import PythonEngine

        engine_object = PythonEngine()
    _WORKER["screener"] = EpochScreener(book, engine_object)


def screen_chunk(payloads: list[tuple[Any, dt.date | None, str | None]], as_of: dt.date | None,
                 lang: str) -> list[tuple[Any, ...]]:
    """Screen (case, day, epoch file) triples: see `runner.screen_document`."""
    from .runner import screen_document

    screener: EpochScreener = _WORKER["screener"]
    out = []
    for case, day, file in payloads:
        if day is not None:
            screener.learn(day, file)
        out.append(screen_document(screener, case, as_of, lang))
    return out
