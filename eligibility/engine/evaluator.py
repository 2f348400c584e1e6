"""A plain-Python forward-chaining engine over the same compiled rules as `adapter.Engine`.

It interprets ``Compiled.definition`` (durable_rules' JSON grammar, engine notes §3) with
durable's semantics as measured on durable_rules 2.0.28, and records firings with the same
action as the adapter (`engine_api.record_firing`). It serves as

* a differential oracle: both engines must agree, firing for firing (tests/test_differential.py);
* the baseline of the batch benchmark (benchmarks/batch.py): the same pipeline with only the
  engine swapped.

Semantics reproduced (each measured against durable, see tests/test_differential.py):

* a pattern is ``{alias: expr}``; a rule's ``all`` joins its patterns over the facts of one case,
  one *distinct* fact per pattern; a rule fires once per combination of matching facts;
* expressions: ``$and``, ``$or``, plain equality ``{attr: value}``, ``$eq $neq $lt $lte $gt $gte``,
  ``$ex``, ``$nex``; every operator except ``$nex`` is false when the attribute is missing
  (``$neq`` included); ``$iany``/``$iall`` over an array's items (``$i``), both false on an
  empty array;
* a right-hand side ``{alias: attr}`` is a correlated join on the fact an earlier pattern matched;
* a fact that satisfies several branches of an ``$or`` in the rule's *first* pattern activates the
  rule once per satisfied branch of the expression's disjunctive normal form (``$and`` multiplies,
  ``$or`` adds); an ``$or`` in a later pattern does not multiply (measured);
* asserting a fact that passes no pattern's own tests is an error (durable's
  ``MessageNotHandledException``), and so is asserting the same content twice
  (``MessageObservedException``).

Comparisons are Python's when both sides are numbers (bools count as 0/1, as in durable) or both
strings. durable's results for mixed types are erratic (a string against a number sometimes
coerces, sometimes not), so this engine refuses them with `EngineError`: facts are typed by the
case schema, and a rule comparing across types is a bug to surface, not a behaviour to copy.

The engine is an agenda: asserting a fact finds the rule activations it completes (indexed by
the fact's type ``t`` and, where every pattern of that type tests it, a second attribute such
as the node name ``n``), and activations run first in, first out until none is left.
Deterministic: the same facts give the same firings in the same order.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any, Callable

from ..law.compiler import Compiled, RuleMeta
from .engine_api import (BOOKKEEPING, EngineError, Firing, Run, check_complete, chunk_facts, derived_index,
                         engine_facts, fold_facts, record_firing)

__all__ = ["PythonEngine", "EngineError", "Firing", "Run"]

_MISSING = object()
_NUMBERS = (int, float, bool)
_COMPARISONS = ("$eq", "$neq", "$lt", "$lte", "$gt", "$gte")
Count = Callable[[dict[str, Any], dict[str, dict[str, Any]] | None], int]


class _Unsupported(EngineError):
    """The compiled definition uses a construct this engine does not interpret."""


def _kind(value: Any) -> str:
    if isinstance(value, _NUMBERS):
        return "number"
    if isinstance(value, str):
        return "string"
    return type(value).__name__


def _compare(op: str, left: Any, right: Any, where: str) -> bool:
    kl, kr = _kind(left), _kind(right)
    if kl != kr or kl not in ("number", "string"):
        raise EngineError(f"{where}: cannot compare a {kl} with a {kr} ({op}); durable's result would be arbitrary")
    if op == "$eq":
        return left == right
    if op == "$neq":
        return left != right
    if op == "$lt":
        return left < right
    if op == "$lte":
        return left <= right
    if op == "$gt":
        return left > right
    return left >= right


def _is_join(rvalue: Any) -> bool:
    return isinstance(rvalue, dict)


def _has_join(expr: Any) -> bool:
    """Whether an expression refers to another pattern's fact (needs bindings to evaluate)."""
    if not isinstance(expr, dict) or len(expr) != 1:
        return False  # malformed: `_ExprCompiler.compile` says why
    (key, value), = expr.items()
    if key in ("$and", "$or"):
        return any(_has_join(e) for e in value)
    if key in _COMPARISONS:
        return isinstance(value, dict) and len(value) == 1 and _is_join(next(iter(value.values())))
    if key in ("$ex", "$nex"):
        return False
    if key in ("$iany", "$iall"):  # {attr: expression over the item "$i"}
        return isinstance(value, dict) and any(_has_join(e) for e in value.values())
    return _is_join(value)


class _ExprCompiler:
    """Turns one pattern's expression into a closure ``count(fact, bound) -> int``: the number of
    satisfied terms of its disjunctive normal form (0 = no match). ``bound`` maps earlier aliases
    to their facts; with ``bound=None`` (the alpha check) a join counts as satisfied."""

    def __init__(self, rule: str, aliases: tuple[str, ...]):
        self.rule, self.aliases = rule, aliases

    def fail(self, expr: Any, why: str) -> _Unsupported:
        return _Unsupported(f"rule {self.rule}: {why}: {expr!r}")

    def check_attr(self, attr: Any) -> None:
        if not isinstance(attr, str) or "." in attr:
            raise self.fail(attr, "attributes are plain names (nested paths are not interpreted)")

    def compile(self, expr: Any) -> Count:
        if not isinstance(expr, dict) or len(expr) != 1:
            raise self.fail(expr, "an expression must be an object with exactly one key")
        (key, value), = expr.items()
        if key == "$and":
            parts = [self.compile(e) for e in value]
            if len(parts) == 1:
                return parts[0]

            def conj(fact: dict[str, Any], bound: Any) -> int:
                n = 1
                for part in parts:
                    n *= part(fact, bound)
                    if not n:
                        return 0
                return n
            return conj
        if key == "$or":
            parts = [self.compile(e) for e in value]

            def disj(fact: dict[str, Any], bound: Any) -> int:
                return sum(part(fact, bound) for part in parts)
            return disj
        if key in ("$iany", "$iall"):
            return self.items(key, value)
        if key in ("$ex", "$nex"):
            if not isinstance(value, dict) or len(value) != 1:
                raise self.fail(expr, "bad existence test")
            (attr, _), = value.items()
            self.check_attr(attr)
            if key == "$ex":
                return lambda fact, bound: 1 if attr in fact else 0
            return lambda fact, bound: 0 if attr in fact else 1
        if key in _COMPARISONS:
            if not isinstance(value, dict) or len(value) != 1:
                raise self.fail(expr, "bad comparison")
            (attr, rvalue), = value.items()
            return self.leaf(key, attr, rvalue)
        if key.startswith("$") and key != "$i":  # "$i": an array's item, inside $iany/$iall
            raise self.fail(expr, f"operator {key} is not interpreted by the plain-Python engine")
        return self.leaf("$eq", key, value)

    def items(self, key: str, value: Any) -> Count:
        """``{"$iany"|"$iall": {attr: expr over "$i"}}``: some (every) item of the array ``attr``
        passes ``expr``; false when ``attr`` is missing, not an array or empty (measured: durable's
        ``$iall`` is false on an empty array)."""
        if not isinstance(value, dict) or len(value) != 1:
            raise self.fail(value, f"bad {key} test")
        (attr, inner), = value.items()
        self.check_attr(attr)
        test = self.compile(inner)
        every = key == "$iall"

        def over(fact: dict[str, Any], bound: Any) -> int:
            array = fact.get(attr)
            if not isinstance(array, list) or not array:
                return 0
            passed = (test({"$i": x}, bound) for x in array)
            return 1 if (all(passed) if every else any(passed)) else 0
        return over

    def leaf(self, op: str, attr: str, rvalue: Any) -> Count:
        self.check_attr(attr)
        where = f"rule {self.rule}, attribute {attr!r}"
        if _is_join(rvalue):
            if len(rvalue) != 1:
                raise self.fail(rvalue, "bad right-hand side")
            (alias, other), = rvalue.items()
            if alias not in self.aliases:
                raise self.fail(rvalue, f"right-hand side refers to {alias!r}, not an earlier pattern")
            self.check_attr(other)

            def join(fact: dict[str, Any], bound: Any) -> int:
                if bound is None:
                    return 1  # alpha check: joins are tested once the earlier facts are bound
                left, right = fact.get(attr, _MISSING), bound[alias].get(other, _MISSING)
                if left is _MISSING or right is _MISSING:
                    return 0
                return 1 if _compare(op, left, right, where) else 0
            return join
        kind = _kind(rvalue)
        if kind not in ("number", "string"):
            raise self.fail(rvalue, "a literal must be a number, a string or a boolean")
        accept = (int, float, bool) if kind == "number" else (str,)

        if op == "$eq":
            def eq(fact: dict[str, Any], bound: Any) -> int:
                value = fact.get(attr, _MISSING)
                if value is _MISSING:
                    return 0
                if isinstance(value, accept):
                    return 1 if value == rvalue else 0
                return 1 if _compare(op, value, rvalue, where) else 0  # raises: mixed types
            return eq
        if op == "$neq":
            def neq(fact: dict[str, Any], bound: Any) -> int:
                value = fact.get(attr, _MISSING)
                if value is _MISSING:
                    return 0  # durable: false on a missing attribute, like every operator but $nex
                if isinstance(value, accept):
                    return 1 if value != rvalue else 0
                return 1 if _compare(op, value, rvalue, where) else 0
            return neq

        def cmp(fact: dict[str, Any], bound: Any) -> int:
            value = fact.get(attr, _MISSING)
            if value is _MISSING:
                return 0
            return 1 if _compare(op, value, rvalue, where) else 0
        return cmp


@dataclass(eq=False)
class _Pattern:
    rule: "_Rule"
    position: int
    alias: str
    t: str | None  # the fact type this pattern tests first (None: no type test, tried on every fact)
    rest: list[Any]  # the top-level tests after the type test
    compiler: _ExprCompiler
    disc: tuple[str, str] | None = None  # a second equality test, used as index key
    alpha: Count | None = None  # the tests on the fact alone (set once the index is known)
    beta: Count | None = None  # the tests that join earlier patterns' facts
    pid: int = 0


@dataclass(eq=False)
class _Rule:
    name: str
    meta: RuleMeta
    consumed: bool
    patterns: list[_Pattern]
    distinct: bool = False  # whether one fact could fill two of its patterns (then they are kept apart)


def _split_pattern(body: Any) -> tuple[str | None, list[Any]]:
    """(the type test's value, the remaining top-level conjuncts)."""
    parts = body["$and"] if isinstance(body, dict) and len(body) == 1 and "$and" in body else [body]
    first = parts[0]
    if isinstance(first, dict) and len(first) == 1 and isinstance(first.get("t"), str):
        return first["t"], list(parts[1:])
    return None, list(parts)


def _string_tests(rest: list[Any]) -> dict[str, str]:
    """Top-level equality tests of an attribute with a string literal."""
    out: dict[str, str] = {}
    for e in rest:
        if isinstance(e, dict) and len(e) == 1:
            (k, v), = e.items()
            if not k.startswith("$") and "." not in k and isinstance(v, str):
                out.setdefault(k, v)
    return out


class _Prepared:
    """A compiled rulebook turned into indexed closures (built once per ruleset)."""

    def __init__(self, compiled: Compiled):
        self.rules: list[_Rule] = []
        for name, rule in compiled.definition.items():
            extra = set(rule) - {"all", "run"}
            if extra or "all" not in rule:
                raise _Unsupported(f"rule {name}: only 'all' rules are interpreted (found {sorted(rule)})")
            self.rules.append(self._rule(name, rule["all"], compiled))
        patterns = [p for r in self.rules for p in r.patterns]
        by_type: dict[str | None, list[_Pattern]] = {}
        for pid, p in enumerate(patterns):
            p.pid = pid
            by_type.setdefault(p.t, []).append(p)
        self.generic: list[_Pattern] = by_type.pop(None, [])
        # Index by type, then by an attribute every pattern of that type tests for equality with
        # a string (the node name "n", the list path "l"), if there is one.
        self.index: dict[str, tuple[str | None, Any]] = {}
        for t, group in by_type.items():
            common = set.intersection(*(set(_string_tests(p.rest)) for p in group))
            if not common:
                self.index[t] = (None, group)
                continue
            attr = min(common)
            keyed: dict[str, list[_Pattern]] = {}
            for p in group:
                p.disc = (attr, _string_tests(p.rest)[attr])
                keyed.setdefault(p.disc[1], []).append(p)
            self.index[t] = (attr, keyed)
        for p in patterns:
            p.alpha = self._alpha(p)
        for rule in self.rules:
            keys = [(p.t, p.disc) for p in rule.patterns]
            rule.distinct = len(keys) > 1 and (len(set(keys)) < len(keys) or any(p.t is None for p in rule.patterns))

    @staticmethod
    def _rule(name: str, patterns: list[Any], compiled: Compiled) -> _Rule:
        meta = compiled.rules.get(name)
        if meta is None:
            raise _Unsupported(f"rule {name} has no RuleMeta")
        rule = _Rule(name, meta, meta.node in compiled.consumed, [])
        aliases: list[str] = []
        for position, pattern in enumerate(patterns):
            if not isinstance(pattern, dict) or len(pattern) != 1:
                raise _Unsupported(f"rule {name}: a pattern must be {{alias: expression}}: {pattern!r}")
            (alias, body), = pattern.items()
            if "$" in alias:
                raise _Unsupported(f"rule {name}: pattern {alias!r} ($not/$all/$any groups) is not interpreted")
            t, rest = _split_pattern(body)
            p = _Pattern(rule, position, alias, t, rest, _ExprCompiler(name, tuple(aliases)))
            join_parts = [e for e in rest if _has_join(e)]
            if join_parts:
                p.beta = p.compiler.compile({"$and": join_parts})
            rule.patterns.append(p)
            aliases.append(alias)
        return rule

    @staticmethod
    def _alpha(p: _Pattern) -> Count:
        rest = [e for e in p.rest if not _has_join(e)]
        if p.disc is not None:  # the index has checked this test already
            attr, value = p.disc
            rest.remove({attr: value})
        if not rest:
            return lambda fact, bound: 1
        return p.compiler.compile({"$and": rest})

    def candidates(self, fact: dict[str, Any]) -> list[_Pattern]:
        """The patterns whose type (and index) test ``fact`` passes."""
        t = fact.get("t")
        entry = self.index.get(t) if t.__class__ is str else None
        out: list[_Pattern] = []
        if entry is not None:
            attr, table = entry
            if attr is None:
                out = table
            else:
                value = fact.get(attr)
                if value.__class__ is str:
                    out = table.get(value, out)
        return out + self.generic if self.generic else out


def _identity(fact: dict[str, Any]) -> Any:
    """A fact's content identity (durable hashes the properties and their JSON text: 1 and 1.0
    are different facts, as are 1 and true)."""
    try:
        return frozenset((k, v.__class__, v) for k, v in fact.items())
    except TypeError:  # an unhashable value (a nested object or list)
        import json
        return json.dumps(fact, sort_keys=True)


class _Session:
    """One case's working memory (an alpha memory per pattern) and agenda."""

    def __init__(self, prepared: _Prepared, run: Run, on_fire: Callable[[RuleMeta, dict[str, Any]], None] | None):
        self.prepared, self.run, self.on_fire = prepared, run, on_fire
        self.memory: dict[int, list[tuple[dict[str, Any], int]]] = {}  # pattern -> (fact, count), in order
        self.seen: set[Any] = set()
        self.agenda: deque[tuple[_Rule, tuple[dict[str, Any], ...]]] = deque()

    def assert_fact(self, fact: dict[str, Any], source: str) -> None:
        identity = _identity(fact)
        if identity in self.seen:
            raise EngineError(f"{source}: the engine saw a fact twice: {fact!r}")
        matches = []
        for p in self.prepared.candidates(fact):
            count = p.alpha(fact, None)  # type: ignore[misc]
            if count:
                matches.append((p, count))
        if not matches:
            raise EngineError(f"{source}: no rule matched a fact, so the rulebook is not exhaustive: {fact!r}")
        self.seen.add(identity)
        memory = self.memory
        for p, count in matches:
            memory.setdefault(p.pid, []).append((fact, count))
        for p, count in matches:
            if len(p.rule.patterns) == 1:
                self.agenda.extend([(p.rule, (fact,))] * count)
            else:
                self._join(p, fact, count)

    def _join(self, fixed: _Pattern, fact: dict[str, Any], fixed_count: int) -> None:
        """Queue every activation of ``fixed.rule`` in which ``fact`` fills ``fixed``: each
        combination of distinct facts, once per satisfied branch of the first pattern."""
        rule = fixed.rule
        patterns = rule.patterns
        memory = self.memory
        for p in patterns:
            if p is not fixed and p.pid not in memory:
                return  # a pattern no fact has matched yet: nothing to join
        n = len(patterns)
        distinct = rule.distinct
        chosen: list[dict[str, Any]] = []
        bound: dict[str, dict[str, Any]] = {}
        agenda = self.agenda
        only = ((fact, fixed_count),)

        def fill(position: int, times: int) -> None:
            if position == n:
                agenda.extend([(rule, tuple(chosen))] * times)
                return
            p = patterns[position]
            for candidate, count in (only if position == fixed.position else memory.get(p.pid, ())):
                if distinct and any(candidate is c for c in chosen):
                    continue  # one distinct fact per pattern
                if p.beta is not None and not p.beta(candidate, bound):
                    continue
                chosen.append(candidate)
                bound[p.alias] = candidate
                # Only the first pattern's $or branches multiply activations (measured).
                fill(position + 1, count if position == 0 else times)
                chosen.pop()
                del bound[p.alias]

        fill(0, 1)

    def quiesce(self) -> None:
        agenda = self.agenda
        run, on_fire = self.run, self.on_fire
        while agenda:
            rule, facts = agenda.popleft()
            matched = {p.alias: {k: v for k, v in f.items() if k not in BOOKKEEPING}
                       for p, f in zip(rule.patterns, facts)}
            try:
                if on_fire is not None:
                    on_fire(rule.meta, matched)
                record_firing(run, rule.meta, derived_index(rule.meta, matched), rule.consumed)
            except EngineError:
                raise
            except Exception as exc:
                raise EngineError(f"a rule action failed: {exc!r}") from exc


class PythonEngine:
    """Runs compiled rulebooks on case facts in plain Python; same interface as `adapter.Engine`."""

    def __init__(self, on_fire: Callable[[RuleMeta, dict[str, Any]], None] | None = None):
        self._prepared: dict[str, _Prepared] = {}
        self._on_fire = on_fire  # test hook: called inside every action, as in the adapter

    def prepare(self, compiled: Compiled) -> _Prepared:
        prepared = self._prepared.get(compiled.name)
        if prepared is None:
            prepared = self._prepared[compiled.name] = _Prepared(compiled)
        return prepared

    def run(self, compiled: Compiled, facts: list[dict[str, Any]]) -> Run:
        """Assert one case's facts, one at a time, each followed by running the agenda empty."""
        prepared = self.prepare(compiled)
        run = Run()
        session = _Session(prepared, run, self._on_fire)
        given = engine_facts(compiled, facts)
        for fact in given:
            session.assert_fact(dict(fact), "the case")
            session.quiesce()
        for fact in fold_facts(compiled, run, facts):  # once every list element has concluded
            session.assert_fact(fact, "the values of a list's elements")
            session.quiesce()
        for level in compiled.chunks:  # each level once the one below has concluded (ADR 0010)
            for fact in chunk_facts(run, level):
                session.assert_fact(fact, "a chunk of concluded rules")
                session.quiesce()
        check_complete(compiled, run)
        return run
