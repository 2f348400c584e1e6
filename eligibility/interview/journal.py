"""The interview journal (issue 12 point 4): every answer, in order, never lost.

A journal is a list of events, one JSON object a line. It is only ever appended to, and each append
rewrites the file atomically (`atomic.write_atomically`), so a killed interview leaves the journal
as it was after the last answer, never half a line. Nothing is deleted: ``back`` is an event that
undoes the answer before it, a changed answer is a later event for the same field.

Events: ``{"op": "start", "case_id", "assessment_date", "lang"}``, ``{"op": "answer", "path",
"value"}``, ``{"op": "dont_know", "path"}`` (unknown, goes on the list of things to find out),
``{"op": "declined", "path"}`` (unknown, never asked again), ``{"op": "back"}``.

Journals live in a per-user folder (``$XDG_DATA_HOME/eligibility/interviews`` or
``~/.local/share/eligibility/interviews``), never in the working directory, unless ``--save FILE``
names one; ``interview --forget ID`` deletes one.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..model.atomic import write_atomically

SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
ANSWER, DONT_KNOW, DECLINED, BACK, START = "answer", "dont_know", "declined", "back", "start"


def journal_dir() -> Path:
    """The per-user folder of interview journals (XDG base directory specification)."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "eligibility" / "interviews"


def journal_path(case_id: str) -> Path:
    """Where the journal of ``case_id`` is kept when ``--save`` is not given."""
    if not SAFE_ID.match(case_id):
        raise ValueError(f"interview id '{case_id}' must be letters, digits, '.', '_' or '-' (at most 64)")
    return journal_dir() / f"{case_id}.jsonl"


@dataclass
class State:
    """What the journal says now: the answers in force, and the unknowns by kind."""

    answers: dict[str, Any] = field(default_factory=dict)  # path -> value, in the order answered
    dont_know: list[str] = field(default_factory=list)
    declined: list[str] = field(default_factory=list)
    order: list[str] = field(default_factory=list)  # paths in the order their last answer was given

    def settled(self, path: str) -> bool:
        """Whether ``path`` needs no further asking: answered, not known, or declined."""
        return path in self.answers or path in self.dont_know or path in self.declined


class Journal:
    """An append-only list of interview events kept in ``path``."""

    def __init__(self, path: Path, events: list[dict[str, Any]] | None = None):
        self.path = path
        self.events: list[dict[str, Any]] = events or []

    @classmethod
    def open(cls, path: Path) -> "Journal":
        """The journal at ``path``; a missing file is an empty journal."""
        if not path.exists():
            return cls(path)
        events = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        return cls(path, events)

    def text(self) -> str:
        return "".join(json.dumps(e, sort_keys=True, ensure_ascii=False) + "\n" for e in self.events)

    def append(self, event: dict[str, Any]) -> None:
        """Add one event and write the whole journal atomically (its folder made private)."""
        self.events.append(event)
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        write_atomically(self.path, self.text())

    def digest(self) -> str:
        """The journal's SHA-256, for a receipt."""
        return hashlib.sha256(self.text().encode()).hexdigest()

    def start(self) -> dict[str, Any] | None:
        return next((e for e in self.events if e.get("op") == START), None)

    def state(self) -> State:
        """Replay the events: a later answer to a field wins; ``back`` undoes the latest answer
        still in force (the events stay in the journal)."""
        live: list[dict[str, Any]] = []
        for event in self.events:
            op = event.get("op")
            if op == BACK:
                if live:
                    live.pop()
            elif op in (ANSWER, DONT_KNOW, DECLINED):
                live.append(event)
        state = State()
        for event in live:
            path = event["path"]
            for seen in (state.answers, ):
                seen.pop(path, None)
            for kind in (state.dont_know, state.declined, state.order):
                if path in kind:
                    kind.remove(path)
            if event["op"] == ANSWER:
                state.answers[path] = event["value"]
            elif event["op"] == DONT_KNOW:
                state.dont_know.append(path)
            else:
                state.declined.append(path)
            state.order.append(path)
        return state
