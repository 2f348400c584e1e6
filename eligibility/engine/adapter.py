"""The one module that talks to durable_rules (ADR 0001, ADR 0004).

It drives durable's C core (`durable_rules_engine`) directly rather than through its Python
`Host`, because the Host's per-firing wrapping (closures, JSON state round trips, action leases)
cost more than the rules themselves, and because actions run here, in our own loop, where an
exception cannot be swallowed into session state. The safe usage pattern of
``../shared/engine/durable_rules-notes.md`` §13 still holds:

* one `Engine` per process, used from one thread; no timers, so no dispatcher threads at all;
* rulesets registered from data under a name that carries their digest;
* case data asserted as facts, never events, one at a time and only facts some rule tests;
* every firing is recorded by rule name, with the list element it concluded about; only the rules
  of a list (element values, fold steps) have what they matched decoded, since a rule's name alone
  says what every other rule concluded (ADR 0010, adapter glue); a rule's value reaches the rules that read
  it in a chunk fact, asserted once the level below has concluded (ADR 0010);
* every error is surfaced as `EngineError`: a fact no rule handles, a fact seen twice, durable's
  C errors, an exception in our action code, a run that stopped before every rule concluded.

One session per compiled ruleset is **reused** from case to case (ADR 0004): creating a session
allocates memory for every join node of the ~840 engine rules and cost about 1 ms a case, more
than all the rules' matching. After a case, every fact it asserted is retracted, newest first, and
the session must then hold no fact and no pending action; anything else (an error, a refused
retraction) deletes the session, and the next case starts a fresh one. A spurious
"already observed" (durable's 32-bit fact index, about once in 10,000 sessions) is retried once in
a fresh session.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Callable

import durable_rules_engine as _core

from ..law.compiler import Compiled, RuleMeta
from .engine_api import BOOKKEEPING as _BOOKKEEPING
from .engine_api import (NEEDS_MATCH, EngineError, Firing, Run, check_complete, chunk_facts, derived_index, engine_facts,
                         fold_facts, record_firing)

__all__ = ["Engine", "EngineError", "Firing", "Run"]

# Result codes of durable's assert_fact / retract_fact (src/rules/rules.h).
_OK, _NOT_HANDLED, _OBSERVED, _DEFERRED = 0, 1, 2, 3

# One encoder for all facts (``json.dumps`` with a keyword builds a new encoder per call, which
# cost more than durable's assert); non-ASCII text is passed as is, as durable's binding does.
_encode = json.JSONEncoder(ensure_ascii=False).encode
_decode = json.JSONDecoder().decode


_BY_NAME: dict[str, dict[str, tuple[RuleMeta, bool]]] = {}  # compiled epoch name -> `_by_name`


def _by_name(compiled: Compiled) -> dict[str, tuple[RuleMeta, bool]]:
    """The rules whose firing is recorded from their name alone, with whether their node is
    consumed by other rules: those whose conclusion does not depend on what they matched (all but
    `NEEDS_MATCH`), when every rule name of ``compiled`` is written in JSON as itself (no quote,
    backslash or control character), so that a name can be read from durable's message without
    decoding; else none."""
    found = _BY_NAME.get(compiled.name)
    if found is None:
        plain = all('"' not in name and "\\" not in name and name.isprintable() for name in compiled.rules)
        found = _BY_NAME[compiled.name] = {
            name: (meta, meta.node in compiled.consumed) for name, meta in compiled.rules.items()
            if plain and meta.derive not in NEEDS_MATCH}
    return found


class _Observed(EngineError):
    """durable reported a fact as already observed in this session."""


@dataclass
class _Session:
    """One durable session (sid) of one ruleset, reused case after case while it stays clean."""

    sid: str
    acted: bool = False  # an action has run in it (deleting a session in which none ran segfaults)
    asserted: list[str] = field(default_factory=list)  # JSON of every fact of the current case


class Engine:
    """Runs compiled rulebooks on case facts. One per process; not thread-safe by design."""

    def __init__(self, on_fire: Callable[[RuleMeta, dict[str, Any]], None] | None = None):
        self._handles: dict[str, int] = {}
        self._sessions: dict[str, _Session] = {}
        self._next_sid = 0
        self._on_fire = on_fire  # test hook: called for every firing, before it is recorded

    # -- rulesets and sessions ------------------------------------------------------------------

    def _handle(self, compiled: Compiled) -> int:
        handle = self._handles.get(compiled.name)
        if handle is None:
            definition = {name: {k: v for k, v in rule.items() if k != "run"}
                          for name, rule in compiled.definition.items()}
            try:
                handle = _core.create_ruleset(compiled.name, json.dumps(definition, ensure_ascii=False))
            except Exception as exc:  # durable's C errors (e.g. 113: too many expression entries)
                raise EngineError(f"the rule engine refused the compiled rules: {exc}") from exc
            self._handles[compiled.name] = handle
        return handle

    def _session(self, compiled: Compiled) -> _Session:
        session = self._sessions.get(compiled.name)
        if session is None:
            self._next_sid += 1
            session = self._sessions[compiled.name] = _Session(str(self._next_sid))
        return session

    def _discard(self, compiled: Compiled, session: _Session) -> None:
        """Drop a session whose state is no longer known to be empty."""
        self._sessions.pop(compiled.name, None)
        if session.acted:  # a session in which no action ran is left alone (its deletion segfaults)
            try:
                _core.delete_state(self._handles[compiled.name], session.sid)
            except Exception:  # noqa: BLE001 - nothing more can be freed
                pass

    def _clear(self, handle: int, session: _Session) -> None:
        """Retract the case's facts, newest first; the session must end empty and idle."""
        while session.asserted:
            code, _ = _core.retract_fact(handle, session.asserted.pop())
            if code not in (_OK, _DEFERRED):
                raise EngineError(f"the rule engine could not retract a fact (code {code})")
        if _core.start_action(handle) is not None:
            raise EngineError("a retraction made a rule fire")
        if _core.get_facts(handle, session.sid) != "[]":  # nothing of this case may reach the next
            raise EngineError("the engine kept facts of a case after retracting them")

    # -- one case -------------------------------------------------------------------------------

    def run(self, compiled: Compiled, facts: list[dict[str, Any]]) -> Run:
        """Assert one case's topic facts and collect what the rules conclude."""
        try:
            return self._run_once(compiled, facts)
        except _Observed:  # spurious (see the module docstring): once more, in a fresh session
            return self._run_once(compiled, facts)

    def _run_once(self, compiled: Compiled, facts: list[dict[str, Any]]) -> Run:
        handle = self._handle(compiled)
        session = self._session(compiled)
        run = Run()
        try:
            given = engine_facts(compiled, facts)
            for fact in given:
                self._assert(handle, session, compiled, run, fact)
            for fact in fold_facts(compiled, run, facts):  # once every list element has concluded
                self._assert(handle, session, compiled, run, fact)
            for level in compiled.chunks:  # each level once the one below has concluded (ADR 0010)
                for fact in chunk_facts(run, level):
                    self._assert(handle, session, compiled, run, fact)
            check_complete(compiled, run)
            self._clear(handle, session)
        except EngineError:
            self._discard(compiled, session)
            raise
        except Exception as exc:  # durable's C errors (e.g. error code 303) and our own
            self._discard(compiled, session)
            raise EngineError(f"the rule engine failed: {exc!r}") from exc
        except BaseException:  # KeyboardInterrupt and the like: never reuse a half-run session
            self._discard(compiled, session)
            raise
        return run

    def _assert(self, handle: int, session: _Session, compiled: Compiled, run: Run, fact: dict[str, Any]) -> None:
        """Assert one fact (of the case, a fold or a chunk) and run every action it enables, to
        quiescence. No action asserts a fact: each records its rule's conclusion."""
        state = self._put(handle, session, fact)
        started = _core.start_action_for_state(handle, state)
        message = started[1] if started else None
        consumed = compiled.consumed
        by_name = _by_name(compiled) if self._on_fire is None else {}
        while message:
            session.acted = True
            known = by_name.get(message[2:message.find('"', 2)])  # the rule's name says what it concluded
            if known is not None:
                record_firing(run, known[0], None, known[1])
            else:
                for meta, matched in self._fired(compiled, message):
                    if self._on_fire is not None:
                        self._on_fire(meta, matched)
                    record_firing(run, meta, derived_index(meta, matched), meta.node in consumed)
            message = _core.complete_and_start_action(handle, state)

    def _fired(self, compiled: Compiled, message: str) -> list[tuple[RuleMeta, dict[str, Any] | None]]:
        """The rules an action message of durable names, each with what it matched, decoded.

        The message is ``{"<rule name>":{<alias>:<fact>,...}}``, one rule per action (durable runs
        one action per rule match; a missed firing would fail `check_complete` and the
        exactly-once test). `_assert` reads the name up to its closing quote instead, when the
        compiler's rule names hold no quote or backslash (`_by_name`) and the rule's
        conclusion does not depend on what it matched (all but `NEEDS_MATCH`): decoding every
        firing's facts was most of the engine's Python time (ADR 0010, adapter glue)."""
        out: list[tuple[RuleMeta, dict[str, Any] | None]] = []
        for name, matched in _decode(message).items():
            for f in matched.values():  # durable's bookkeeping is never part of a match
                for key in _BOOKKEEPING:
                    f.pop(key, None)
            out.append((compiled.rules[name], matched))
        return out

    def _put(self, handle: int, session: _Session, fact: dict[str, Any], text: str | None = None) -> int:
        """Assert one fact (``text``: its JSON with the session id, if already known) in the
        session; return durable's state handle for running its actions."""
        if text is None:
            text = _encode(dict(fact, sid=session.sid))
        code, state = _core.assert_fact(handle, text)
        if code == _OBSERVED:
            raise _Observed(f"the engine saw a fact twice: {fact.get('t')}")
        if code == _NOT_HANDLED:
            raise EngineError(f"no rule matched a fact, so the rulebook is not exhaustive: {fact.get('t')}")
        session.asserted.append(text)
        return state

    def close(self) -> None:
        """Free every session and ruleset (optional: a process exit frees them too)."""
        for name, session in list(self._sessions.items()):
            if session.acted:
                try:
                    _core.delete_state(self._handles[name], session.sid)
                except Exception:  # noqa: BLE001
                    pass
        self._sessions.clear()
