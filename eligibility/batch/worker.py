"""A worker process of a parallel batch run: it screens the cases the parent process read,
guarded and validated.

Each worker used to load the rulebook again and validate every case again (issue 11 item 5). Now
the parent sends the rulebook once (when the worker starts) and the validated `Case` objects; a
worker compiles each law epoch once, on first use (`Screener.compiled` remembers it). Sharing
compiled epochs between processes is issue 11 item 7's on-disk cache, in a data format, never a
pickle. This module imports the rule engine; only worker processes import it.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import threading
import time
from typing import Any

from ..law.rulebook import Rulebook
from ..explain.screening import Screener

_WORKER: dict[str, Any] = {}


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
    _WORKER["screener"] = Screener(engine=engine_object, book=book)


def screen_chunk(payloads: list[Any], as_of: dt.date | None, lang: str, receipts: str = "none") -> list[tuple[Any, ...]]:
    """Screen validated cases: see `runner.screen_document`."""
    from .runner import screen_document

    screener: Screener = _WORKER["screener"]
    return [screen_document(screener, case, as_of, lang, receipts) for case in payloads]
