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
from typing import Any, Callable

from durable import engine as _durable

from .compiler import Compiled, RuleMeta
from .engine_api import BOOKKEEPING as _BOOKKEEPING
from .engine_api import EngineError, Firing, Run, check_complete, engine_facts, record_firing

__all__ = ["Engine", "EngineError", "Firing", "Run"]


class _Host(_durable.Host):
    """A durable Host without its background timer threads (engine notes §8)."""

    def _run(self) -> None:  # noqa: D401 - overrides durable's thread start
        return None


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
                fact = record_firing(run, meta, matched, consumed)
                if fact is not None:
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
        batch = [dict(f, sid=sid) for f in engine_facts(compiled, facts)]
        try:
            for fact in batch:
                state = self._host.assert_fact(compiled.name, fact)
                if run.errors:
                    raise EngineError(f"a rule action failed: {run.errors[0]!r}") from run.errors[0]
                if isinstance(state, dict) and state.get("exception"):
                    raise EngineError(f"the rule engine reported: {state['exception']}")
            check_complete(compiled, run)
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
