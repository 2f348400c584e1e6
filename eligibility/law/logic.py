"""Three-valued conditions over one topic fact, compiled to durable_rules' JSON grammar.

A rule's ``when`` is data (ADR 0002)::

    {fact: relationship.cohabitation_ended, is: true}
    {fact: applicant.age, at_least: {param: adult_age}}
    {all: [...]}, {any: [...]}, {not: ...}
    {some: abuse.incidents, where: {all: [{item: perpetrator, in: [reference_person]}, ...]}}
    {fact: safety.immediate_danger, known: false}

``known`` tests knowledge itself: it is true or false, never unknown. It lets a rule act on a fact
nobody has asked about yet (ask the safety questions first; refer to a shelter unless the
applicant is known to be at one) without ever reading *unknown* as *false*.

Each expression *e* compiles to three durable expressions T(e), F(e) and U(e) that are mutually
exclusive and together exhaustive over every possible fact (strong Kleene logic, where *unknown*
means the attribute is absent). durable makes every operator false on a missing attribute, which
is exactly the behaviour T and F need; U tests absence with ``$nex``. Negations (not-T, not-F) are
built structurally so they stay small. ``some`` (a list has an element such that ...) is compiled
by the rule compiler into element rules and a fold; see `compiler`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ..model.facts import FACT_SPECS, FactSpec

OPS = {
    # op: (durable op when true, durable op when false)
    "is": ("$eq", "$neq"),
    "is_not": ("$neq", "$eq"),
    "at_least": ("$gte", "$lt"),
    "more_than": ("$gt", "$lte"),
    "at_most": ("$lte", "$gt"),
    "less_than": ("$lt", "$gte"),
}
SET_OPS = ("in", "not_in")
KNOWN = "known"  # {fact: x, known: true}: whether the case states x (never unknown itself)


@dataclass(frozen=True)
class Test:
    path: str  # as written in the rule (``applicant.age``, or ``perpetrator`` for list items)
    spec: FactSpec
    op: str
    value: Any
    item: bool = False  # tests a list element (inside ``some``)


@dataclass(frozen=True)
class And:
    parts: tuple["Expr", ...]


@dataclass(frozen=True)
class Or:
    parts: tuple["Expr", ...]


@dataclass(frozen=True)
class Not:
    part: "Expr"


@dataclass(frozen=True)
class Some:
    spec: FactSpec
    where: "Expr"


Expr = Test | And | Or | Not | Some


@dataclass(frozen=True)
class ParamRef:
    id: str


def parse_expression(data: Any, params: dict[str, Any], list_spec: FactSpec | None = None, at: str = "",
                     top: bool = True) -> Expr:
    """Parse a YAML expression. Raises ``ValueError(message, field_path)``. ``some`` may only
    stand at the top of a rule's condition (combine such rules with ``all``/``any``)."""
    if not isinstance(data, dict) or not data:
        raise ValueError("an expression must be a non-empty mapping", at)
    keys = set(data)
    if keys == {"all"} or keys == {"any"}:
        key = keys.pop()
        items = data[key]
        if not isinstance(items, list) or not items:
            raise ValueError(f"'{key}' needs a non-empty list", at)
        parts = tuple(parse_expression(x, params, list_spec, f"{at}.{key}[{i}]", False) for i, x in enumerate(items))
        return And(parts) if key == "all" else Or(parts)
    if keys == {"not"}:
        return Not(parse_expression(data["not"], params, list_spec, f"{at}.not", False))
    if "some" in keys:
        if keys != {"some", "where"}:
            raise ValueError("'some' takes exactly 'some' and 'where'", at)
        if not top:
            raise ValueError("'some' must stand at the top of a condition; put it in a rule of its own "
                             "and combine rules with 'all' or 'any'", at)
        spec = FACT_SPECS.get(data["some"])
        if spec is None or spec.kind not in ("list", "strings"):
            raise ValueError(f"'{data['some']}' is not a list fact", f"{at}.some")
        return Some(spec, parse_expression(data["where"], params, spec, f"{at}.where", False))
    if "fact" in keys or "item" in keys:
        return _parse_test(data, params, list_spec, at)
    raise ValueError(f"unknown expression keys {sorted(keys)}", at)


def _parse_test(data: dict[str, Any], params: dict[str, Any], list_spec: FactSpec | None, at: str) -> Test:
    if "item" in data:
        if list_spec is None:
            raise ValueError("'item' is only allowed inside 'some ... where'", at)
        name = data["item"]
        if list_spec.kind == "strings":
            if name != "value":
                raise ValueError("items of a list of words are tested as 'item: value'", f"{at}.item")
            spec = FactSpec(f"{list_spec.path}[]", list_spec.topic, "", "enum", list_spec.sources, list_spec.values)
        else:
            spec = list_spec.item_specs.get(name)  # type: ignore[assignment]
            if spec is None:
                raise ValueError(f"unknown item field '{name}' of '{list_spec.path}'", f"{at}.item")
        path, is_item = name, True
    else:
        if list_spec is not None:
            raise ValueError("inside 'some ... where' test list elements with 'item'", at)
        path, is_item = data["fact"], False
        spec = FACT_SPECS.get(path)  # type: ignore[assignment]
        if spec is None:
            raise ValueError(f"unknown fact path '{path}'", f"{at}.fact")
        if spec.kind in ("list", "strings"):
            raise ValueError(f"'{path}' is a list: test it with 'some'", f"{at}.fact")
    ops = [k for k in data if k not in ("fact", "item")]
    if len(ops) != 1:
        raise ValueError("a test needs exactly one operator (is, is_not, in, not_in, at_least, more_than, at_most, "
                         "less_than, known)", at)
    op = ops[0]
    raw = data[op]
    if op == KNOWN:
        if not isinstance(raw, bool):
            raise ValueError("'known' takes true or false", f"{at}.{op}")
        return Test(path, spec, op, raw, is_item)
    if op not in OPS and op not in SET_OPS:
        raise ValueError(f"unknown operator '{op}'", f"{at}.{op}")
    value = _parse_value(raw, op, spec, params, f"{at}.{op}")
    if spec.kind == "interval" and op not in ("at_least", "more_than", "at_most", "less_than"):
        raise ValueError(f"'{path}' is a measured range: compare it with at_least, more_than, at_most or less_than", f"{at}.{op}")
    return Test(path, spec, op, value, is_item)


def _parse_value(raw: Any, op: str, spec: FactSpec, params: dict[str, Any], at: str) -> Any:
    if op in SET_OPS:
        if not isinstance(raw, list) or not raw:
            raise ValueError(f"'{op}' needs a non-empty list", at)
        return tuple(_parse_value(v, "is", spec, params, f"{at}[{i}]") for i, v in enumerate(raw))
    if isinstance(raw, dict):
        if set(raw) != {"param"} or raw["param"] not in params:
            raise ValueError(f"unknown parameter {raw}", at)
        if spec.kind not in ("number", "interval"):
            raise ValueError("parameters compare with numbers only", at)
        return ParamRef(raw["param"])
    if spec.kind == "bool":
        if not isinstance(raw, bool) or op not in ("is", "is_not"):
            raise ValueError(f"'{spec.path}' is yes/no: use 'is: true' or 'is: false'", at)
    elif spec.kind in ("number", "interval"):
        if isinstance(raw, bool) or not isinstance(raw, (int, float)):
            raise ValueError(f"'{spec.path}' is a number", at)
    elif spec.kind == "enum":
        if spec.values and raw not in spec.values:
            raise ValueError(f"'{raw}' is not a value of '{spec.path}' ({', '.join(map(str, spec.values))})", at)
        if op not in ("is", "is_not", "in", "not_in"):
            raise ValueError(f"'{spec.path}' takes is, is_not, in or not_in", at)
    return raw


def paths(expr: Expr, prefix: str = "") -> list[str]:
    """Fact paths an expression reads, in order, as the case names them."""
    if isinstance(expr, Test):
        return [f"{prefix}{expr.path}"] if expr.item else [expr.path]
    if isinstance(expr, (And, Or)):
        return [p for part in expr.parts for p in paths(part, prefix)]
    if isinstance(expr, Not):
        return paths(expr.part, prefix)
    return [f"{expr.spec.path}[]." + p if expr.spec.kind == "list" else f"{expr.spec.path}[]"
            for p in (paths(expr.where, "") if expr.spec.kind == "list" else [""])]


def topics(expr: Expr) -> set[str]:
    if isinstance(expr, Test):
        return {expr.spec.topic}
    if isinstance(expr, (And, Or)):
        return set().union(*(topics(p) for p in expr.parts))
    if isinstance(expr, Not):
        return topics(expr.part)
    return {expr.spec.topic}


def params_used(expr: Expr) -> set[str]:
    if isinstance(expr, Test):
        values = expr.value if isinstance(expr.value, tuple) else (expr.value,)
        return {v.id for v in values if isinstance(v, ParamRef)}
    if isinstance(expr, (And, Or)):
        return set().union(*(params_used(p) for p in expr.parts))
    if isinstance(expr, Not):
        return params_used(expr.part)
    return params_used(expr.where)


# --- compilation to durable JSON --------------------------------------------------------------

NEVER = None  # a condition that cannot hold (e.g. "this word in a list of words is missing")
D = dict[str, Any] | None


def _and(parts: list[D]) -> D:
    if any(p is NEVER for p in parts):
        return NEVER
    flat: list[dict[str, Any]] = []
    for p in parts:
        flat.extend(p["$and"] if set(p) == {"$and"} else [p])  # type: ignore[arg-type]
    return flat[0] if len(flat) == 1 else {"$and": flat}


def _or(parts: list[D]) -> D:
    flat: list[dict[str, Any]] = []
    for p in parts:
        if p is not NEVER:
            flat.extend(p["$or"] if set(p) == {"$or"} else [p])
    if not flat:
        return NEVER
    return flat[0] if len(flat) == 1 else {"$or": flat}


def _first(holds: list[D], before: list[D]) -> D:
    """Exclusive OR: branch k is ``holds[k]`` with ``before[j]`` (part j does not hold) for j < k."""
    return _or([_and(before[:k] + [holds[k]]) for k in range(len(holds))])


def _first_unknown(before: list[D], unknown: list[D], after: list[D]) -> D:
    """Exclusive "some part is unknown": branch k is part k unknown, the parts before it
    ``before`` (known, not deciding) and the parts after it ``after`` (not deciding)."""
    return _or([_and(before[:k] + [unknown[k]] + after[k + 1:]) for k in range(len(unknown))])


class Compiler3:
    """T/F/U for one expression, with parameters resolved to numbers for one date."""

    def __init__(self, resolve: Any):
        self.resolve = resolve

    def _attr(self, test: Test, name: str | None = None) -> str:
        attr = name if name is not None else test.spec.attr
        return attr or "value"  # an element of a list of words is the fact's "value"

    def _val(self, value: Any) -> Any:
        return self.resolve(value.id) if isinstance(value, ParamRef) else value

    def T(self, e: Expr) -> D:
        return self.five(e)[0]

    def F(self, e: Expr) -> D:
        return self.five(e)[1]

    def U(self, e: Expr) -> D:
        return self.five(e)[2]

    def NT(self, e: Expr) -> D:
        """Not true: false or unknown."""
        return self.five(e)[3]

    def NF(self, e: Expr) -> D:
        """Not false: true or unknown."""
        return self.five(e)[4]

    def five(self, e: Expr) -> tuple[D, D, D, D, D]:
        """(T, F, U, not-T, not-F), built structurally so negations stay small.

        Every ``$or`` is exclusive (ADR 0010): durable fires a rule once per branch of its
        pattern that holds, so a disjunction is "the first part that holds": part k, and every
        part before it known not to. Then each condition rule fires at most once per fact."""
        if isinstance(e, Test):
            t, f, u = self._test(e)
            return t, f, u, _or([f, u]), _or([t, u])
        if isinstance(e, Not):
            t, f, u, nt, nf = self.five(e.part)
            return f, t, u, nf, nt
        if isinstance(e, (And, Or)):
            parts = [self.five(p) for p in e.parts]
            ts, fs, us, nts, nfs = ([p[i] for p in parts] for i in range(5))
            if isinstance(e, And):  # undetermined: true up to the first unknown part, not false after
                return _and(ts), _first(fs, nfs), _first_unknown(ts, us, nfs), _first(nts, ts), _and(nfs)
            return _first(ts, nts), _and(fs), _first_unknown(fs, us, nts), _and(nts), _first(nfs, fs)
        raise ValueError("'some' is compiled by the rule compiler, not inside an expression")

    def _test(self, test: Test) -> tuple[D, D, D]:
        if test.op == KNOWN:
            attr = self._attr(test, test.spec.attr + "_lo") if test.spec.kind == "interval" else self._attr(test)
            stated, absent = {"$ex": {attr: 1}}, {"$nex": {attr: 1}}
            return (stated, absent, NEVER) if test.value else (absent, stated, NEVER)
        if test.spec.kind == "interval":
            return self._interval(test)
        a = self._attr(test)
        missing: D = NEVER if test.item and not test.spec.attr else {"$nex": {a: 1}}
        if test.op in SET_OPS:
            values = [self._val(v) for v in test.value]
            yes = _or([{a: v} for v in values])
            no = _and([{"$neq": {a: v}} for v in values])
            return (yes, no, missing) if test.op == "in" else (no, yes, missing)
        t_op, f_op = OPS[test.op]
        v = self._val(test.value)
        t = {a: v} if t_op == "$eq" else {t_op: {a: v}}
        f = {a: v} if f_op == "$eq" else {f_op: {a: v}}
        return t, f, missing

    def _interval(self, test: Test) -> tuple[D, D, D]:
        lo, hi = self._attr(test, test.spec.attr + "_lo"), self._attr(test, test.spec.attr + "_hi")
        v = self._val(test.value)
        # op: (T = test on lo/hi, F = test on lo/hi); not-T and not-F are their complements.
        table = {
            "at_least": (("$gte", lo), ("$lt", hi)),
            "more_than": (("$gt", lo), ("$lte", hi)),
            "at_most": (("$lte", hi), ("$gt", lo)),
            "less_than": (("$lt", hi), ("$gte", lo)),
        }
        complement = {"$gte": "$lt", "$lt": "$gte", "$gt": "$lte", "$lte": "$gt"}
        (t_op, t_attr), (f_op, f_attr) = table[test.op]
        t = {t_op: {t_attr: v}}
        f = {f_op: {f_attr: v}}
        u = _or([{"$nex": {lo: 1}},
                 _and([{complement[t_op]: {t_attr: v}}, {complement[f_op]: {f_attr: v}}])])
        return t, f, u


# --- fitting durable's pattern size -------------------------------------------------------------
# durable stores the $and/$or groups of one pattern in a fixed array of 32 entries (rete.h
# MAX_SEQUENCE_EXPRESSIONS; each group costs two; error 113 beyond), and it fires a rule once per
# matching $or branch anyway. So an expression too large for one pattern is split into several
# engine rules for the same conclusion, distributing $and over $or only as far as needed.
# Alternatives whose plain tests contradict each other (a = x ∧ a = y, a = x ∧ a ≠ x, a missing
# ∧ any test on a) are dropped.

MAX_PATTERN_ENTRIES = 31  # durable fails with error 113 at 32
_OPERATORS = {"$eq", "$neq", "$lt", "$lte", "$gt", "$gte", "$ex", "$nex"}


def _atom_key(atom: dict[str, Any]) -> str:
    return json.dumps(atom, sort_keys=True)


def _constraints(term: list[dict[str, Any]]) -> bool:
    """False when the conjunction can never hold."""
    eq: dict[str, Any] = {}
    neq: dict[str, set[str]] = {}
    missing: set[str] = set()
    tested: set[str] = set()
    for atom in term:
        (key, body), = atom.items()
        if key in _OPERATORS:
            (attr, value), = body.items()
            if key == "$nex":
                missing.add(attr)
                continue
            tested.add(attr)
            if key == "$neq":
                neq.setdefault(attr, set()).add(json.dumps(value))
            continue
        attr, value = key, body
        tested.add(attr)
        if attr in eq and eq[attr] != json.dumps(value):
            return False
        eq[attr] = json.dumps(value)
    if missing & tested:
        return False
    return not any(attr in neq and value in neq[attr] for attr, value in eq.items())


def split(expr: D) -> list[dict[str, Any]]:
    """Alternatives of ``expr``, each small enough for one durable pattern: a top-level ``$or``
    becomes separate alternatives, and an ``$and`` is distributed over its largest ``$or`` only
    while the pattern is still too large. Contradictory
    alternatives are dropped."""
    if expr is NEVER:
        return []
    if not _possible(expr):
        return []
    if pattern_entries(expr) + 2 <= MAX_PATTERN_ENTRIES:  # + the pattern's own $and
        return [expr]
    (key, body), = expr.items()
    if key == "$or":
        return [alt for part in body for alt in split(part)]
    if key == "$and":
        widest = max(range(len(body)), key=lambda i: pattern_entries(body[i]))
        branches = _branches(body[widest])
        if len(branches) > 1:
            rest = body[:widest] + body[widest + 1:]
            return [alt for b in branches for alt in split(_and(rest + [b]))]
    return [expr]  # cannot be split further; the compiler reports its size


def _branches(expr: dict[str, Any]) -> list[dict[str, Any]]:
    (key, body), = expr.items()
    if key == "$or":
        return list(body)
    if key == "$and":
        widest = max(range(len(body)), key=lambda i: pattern_entries(body[i]))
        inner = _branches(body[widest])
        if len(inner) > 1:
            rest = body[:widest] + body[widest + 1:]
            return [_and(rest + [b]) for b in inner]  # type: ignore[misc]
    return [expr]


def _possible(expr: dict[str, Any]) -> bool:
    """False when the plain tests directly under a top-level ``$and`` contradict each other."""
    (key, body), = expr.items()
    atoms = body if key == "$and" else [expr]
    plain = [a for a in atoms if next(iter(a)) not in ("$and", "$or")]
    return _constraints(plain)


def pattern_entries(expr: Any) -> int:
    """Expression-sequence entries durable needs for one pattern (two per $and/$or group)."""
    if isinstance(expr, dict):
        return sum((2 if k in ("$and", "$or") else 0) + pattern_entries(v) for k, v in expr.items())
    if isinstance(expr, list):
        return sum(pattern_entries(x) for x in expr)
    return 0
