"""What every rule engine behind `Screener` shares, with no engine imported (ADR 0001).

`adapter.Engine` (durable_rules) and `evaluator.PythonEngine` (plain Python) both take a
`Compiled` rulebook and a case's facts and return a `Run`. The pieces here are what a firing
*means*, independent of the engine that found it: which fact a rule derives from what it
matched, which facts an engine is given, and how a firing is recorded and checked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

from ..law.compiler import FOLD_COUNT, Chunk, Compiled, RuleMeta, fold_attr
from ..model.facts import ITEM_FACT


class EngineError(RuntimeError):
    """The rule engine failed on a case. Never a user mistake: an internal error."""


class Firing(NamedTuple):  # a tuple: made about 200 times a case, at a third of a frozen dataclass's cost
    """One rule firing: which rule concluded what. The facts it matched are not kept: the trace
    is rebuilt per rule from the conclusions and the case's facts (ADR 0010, per-rule trace)."""

    rule: str  # durable rule name, e.g. "utl-53-1-b#T.0"
    node: str
    value: str
    derived: bool  # whether the conclusion was asserted for further rules
    index: int | None = None  # the list element (or fold step), for the rules of a `some` condition


@dataclass
class Run:
    conclusions: dict[str, str] = field(default_factory=dict)  # node -> T/F/U/J
    derived: dict[tuple[str, str, int | None], str] = field(default_factory=dict)  # list element, fold step
    firings: list[Firing] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)


# Keys an engine adds to facts (durable: session id, fact id, state marker); never part of a match.
BOOKKEEPING = ("sid", "id", "$s")


# The rules whose conclusion depends on which fact they matched (the list element); every other
# rule's conclusion is its name alone, so an engine need not decode what it matched.
NEEDS_MATCH = frozenset({"element"})


def derived_index(meta: RuleMeta, matched: dict[str, Any] | None) -> int | None:
    """The list element a firing of an ``element`` rule concludes about; None for a rule's own
    value. Only ``NEEDS_MATCH`` rules read ``matched``."""
    if meta.derive == "element":
        return matched["m"]["i"]  # type: ignore[index]
    return None


def engine_facts(compiled: Compiled, facts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The facts an engine is given: only those some rule tests (an untested fact in a batch has
    crashed durable's C core outright), the topic facts merged as the compiler grouped them."""
    grouped = {m for g in compiled.groups for m in g.members}
    out = merged(compiled, [f for f in facts if f["t"] in grouped])
    return out + [f for f in facts if (f["t"] in compiled.topics and f["t"] not in grouped)
                  or (f["t"] == ITEM_FACT and f["l"] in compiled.lists)]


def merged(compiled: Compiled, facts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``facts`` asserted as one per group that holds them (ADR 0010, further step): member
    ``k``'s attributes prefixed ``"<k>:"``. Raises `EngineError` when a group's member is
    missing: its rules would read absent attributes as unknown facts."""
    by_type = {f["t"]: f for f in facts}
    out = []
    for group in compiled.groups:
        if not any(m in by_type for m in group.members):
            continue
        fact: dict[str, Any] = {"t": group.type}
        for k, member in enumerate(group.members):
            if member not in by_type:
                raise EngineError(f"the engine was given no '{member}' fact")
            fact.update((f"{k}:{attr}", value) for attr, value in by_type[member].items() if attr != "t")
        out.append(fact)
    return out


def record_firing(run: Run, meta: RuleMeta, index: int | None, consumed: bool) -> None:
    """Record one firing of ``meta`` (about list element ``index``, see `derived_index`) in
    ``run``. Nothing is asserted for it: a rule's value reaches the rules that read it in a chunk
    fact, an element's value in its list's fold fact.

    Raises `EngineError` when the rule concludes a value other than the one already concluded
    for the same node (or list element, or step of a fold): the compiler's rules are exclusive,
    so that is a bug."""
    if meta.derive == "node":  # a rule's own value: it reaches the rules that read it in a chunk fact
        previous = run.conclusions.get(meta.node)
        if previous is not None and previous != meta.value:
            raise EngineError(f"rule {meta.name} concluded {meta.value} for {meta.node}, which was already {previous}")
        run.conclusions[meta.node] = meta.value
        run.firings.append(Firing(meta.name, meta.node, meta.value, previous is None and consumed))
        return
    key = ("element", meta.node, index)
    previous = run.derived.get(key)
    if previous is not None and previous != meta.value:
        raise EngineError(f"rule {meta.name} concluded {meta.value} for {key}, which was already {previous}")
    run.derived[key] = meta.value
    run.firings.append(Firing(meta.name, meta.node, meta.value, previous is None, index))


def fold_facts(compiled: Compiled, run: Run, facts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One fact per list some condition tests (ADR 0010, further step): the list's count (absent
    when the list is unknown) and, for each condition on it, every element's value in order, for
    the rules that fold them (Kleene OR, with ``$iany``/``$iall``). ``facts`` are the case's facts
    (a topic whose only rules are about its list is not given to the engine). Raises
    `EngineError` if an element has no value (the engine stopped early)."""
    out = []
    for fold in compiled.folds:
        topic = next((f for f in facts if f["t"] == fold.topic), {})
        fact: dict[str, Any] = {"t": fold.type}
        if fold.count in topic:
            fact[FOLD_COUNT] = topic[fold.count]
            indexes = sorted(f["i"] for f in facts if f["t"] == ITEM_FACT and f["l"] == fold.list)
            for part in fold.parts:
                try:
                    fact[fold_attr(part)] = [run.derived[("element", part, i)] for i in indexes]
                except KeyError:
                    raise EngineError(f"the engine stopped before concluding every element of {part}") from None
        out.append(fact)
    return merged(compiled, out) if compiled.groups else out


def chunk_facts(run: Run, chunks: tuple[Chunk, ...]) -> list[dict[str, Any]]:
    """The chunk facts of one level (ADR 0010): the values concluded so far for each chunk's
    inputs. Raises `EngineError` if an input has no value yet (the engine stopped early)."""
    out = []
    for chunk in chunks:
        try:
            fact = {attr: run.conclusions[node] for node, attr in chunk.attrs}
        except KeyError as exc:
            raise EngineError(f"the engine stopped before concluding rule {exc.args[0]}") from None
        fact["t"] = chunk.type
        out.append(fact)
    return out


def check_complete(compiled: Compiled, run: Run) -> None:
    """Every rule in force must have concluded exactly one value. durable can stop running a
    session's actions without raising (measured: more than 10 s of wall-clock time inside one
    action, e.g. after a clock step); a partial run must never pass for a verdict."""
    missing = sorted(set(compiled.nodes) - set(run.conclusions))
    if missing:
        raise EngineError(f"the engine stopped before concluding {len(missing)} rule(s), e.g. {missing[:3]}")
