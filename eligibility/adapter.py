"""The one module that talks to durable_rules (ADR 0001).

It follows the safe usage pattern measured in ``../shared/engine/durable_rules-notes.md`` §13:

* one `Host` per process, used from one thread, with durable's background dispatcher threads
  disabled (they segfault under load and are only needed for timers);
* rulesets registered from data under a name that carries their digest, from a fresh copy;
* case data asserted as facts, never events; one session per case, deleted in ``finally``;
* each rule's action is a closure that knows its rule, records the firing and the facts it matched,
  and asserts the derived fact only if another rule consumes it;
* every error is surfaced: an exception inside an action is re-raised to the caller as
  `EngineError` instead of being swallowed into durable's session state, and a node concluding two
  different values (which the compiler's exclusive rules make impossible) is an error too.
"""

from __future__ import annotations

import copy
import itertools
from dataclasses import dataclass, field
from typing import Any, Callable

from durable import engine as _durable

from .compiler import NODE_FACT, Compiled, RuleMeta
from .facts import ITEM_FACT


class EngineError(RuntimeError):
    """The rule engine failed on a case. Never a user mistake: an internal error."""


@dataclass(frozen=True)
class Firing:
    rule: str  # durable rule name, e.g. "utl-53-1-b#T.0"
    node: str
    value: str
    matched: dict[str, Any]  # alias -> matched fact (without engine bookkeeping)
    derived: bool  # whether the conclusion was asserted for further rules
    index: int | None = None  # the list element, for the rules of a `some` condition


@dataclass
class Run:
    conclusions: dict[str, str] = field(default_factory=dict)  # node -> T/F/U/J
    derived: dict[tuple[str, str, int | None], str] = field(default_factory=dict)
    firings: list[Firing] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)


def _derived_fact(meta: RuleMeta, matched: dict[str, Any]) -> dict[str, Any]:
    """The fact a rule concludes: a node's value, one list element's value, or a step of the
    fold along a list (the value of the elements before index ``i``)."""
    if meta.derive == "element":
        return {"t": "element", "n": meta.node, "i": matched["m"]["i"], "v": meta.value}
    if meta.derive == "start":
        return {"t": "acc", "n": meta.node, "i": 0, "v": meta.value}
    if meta.derive == "step":
        return {"t": "acc", "n": meta.node, "i": matched["a"]["i"] + 1, "v": meta.value}
    return {"t": NODE_FACT, "n": meta.node, "v": meta.value}


class _Host(_durable.Host):
    """A durable Host without its background timer threads (engine notes §8)."""

    def _run(self) -> None:  # noqa: D401 - overrides durable's thread start
        return None


_BOOKKEEPING = ("sid", "id", "$s")


class Engine:
    """Runs compiled rulebooks on case facts. One per process; not thread-safe by design."""

    def __init__(self, on_fire: Callable[[RuleMeta, dict[str, Any]], None] | None = None):
        self._host = _Host()
        self._registered: set[str] = set()
        self._sessions = itertools.count(1)
        self._run: Run | None = None
        self._on_fire = on_fire  # test hook: called inside every action

    def _register(self, compiled: Compiled) -> None:
        if compiled.name in self._registered:
            return
        definition = copy.deepcopy(compiled.definition)  # durable mutates what it is given
        for name, rule in definition.items():
            rule["run"] = self._action(compiled, compiled.rules[name])
        self._host.register_rulesets({compiled.name: definition})
        self._registered.add(compiled.name)

    def _action(self, compiled: Compiled, meta: RuleMeta) -> Callable[[Any], None]:
        consumed = meta.node in compiled.consumed

        def act(c: Any) -> None:
            run = self._run
            if run is None:  # pragma: no cover - durable only calls actions during run()
                return
            try:
                matched = {alias: {k: v for k, v in fact.items() if k not in _BOOKKEEPING}
                           for alias, fact in c._m.items()}
                if self._on_fire is not None:
                    self._on_fire(meta, matched)
                fact = _derived_fact(meta, matched)
                key = (fact["t"], fact["n"], fact.get("i"))
                previous = run.derived.get(key)
                if previous is not None and previous != meta.value:
                    raise EngineError(f"rule {meta.name} concluded {meta.value} for {key}, which was already {previous}")
                first = previous is None
                run.derived[key] = meta.value
                if meta.derive == "node":
                    run.conclusions[meta.node] = meta.value
                assert_it = first and (meta.derive != "node" or consumed)
                run.firings.append(Firing(meta.name, meta.node, meta.value, matched, assert_it, fact.get("i")))
                if assert_it:
                    c.assert_fact(fact)
            except BaseException as exc:  # durable would swallow it: keep it for the caller
                run.errors.append(exc)
                raise

        return act

    def run(self, compiled: Compiled, facts: list[dict[str, Any]]) -> Run:
        """Assert one case's topic facts in a fresh session and collect what the rules conclude."""
        self._register(compiled)
        sid = str(next(self._sessions))
        run = Run()
        self._run = run
        # Assert only facts some rule tests (an untested fact in a batch has crashed durable's C
        # core outright), one at a time, so a fact no rule handles raises instead.
        batch = [dict(f, sid=sid) for f in facts
                 if f["t"] in compiled.topics or (f["t"] == ITEM_FACT and f["l"] in compiled.lists)]
        try:
            for fact in batch:
                state = self._host.assert_fact(compiled.name, fact)
                if run.errors:
                    raise EngineError(f"a rule action failed: {run.errors[0]!r}") from run.errors[0]
                if isinstance(state, dict) and state.get("exception"):
                    raise EngineError(f"the rule engine reported: {state['exception']}")
        except _durable.MessageNotHandledException as exc:
            raise EngineError(f"no rule matched a fact, so the rulebook is not exhaustive: {exc}") from None
        except _durable.MessageObservedException as exc:
            raise EngineError(f"the engine saw a fact twice: {exc}") from None
        except EngineError:
            raise
        except Exception as exc:  # durable's C errors (e.g. error code 303) and anything else
            raise EngineError(f"the rule engine failed: {exc}") from exc
        finally:
            self._run = None
            try:
                self._host.delete_state(compiled.name, sid)
            except Exception:  # noqa: BLE001 - a session that was never created has nothing to free
                pass
        return run
