"""Compile the rules in force on a date into one durable_rules ruleset (JSON grammar, engine notes §3).

Every node yields one derived fact ``{"t": "node", "n": <id>, "v": T|F|U|J}``, where
T = met, F = not met, U = undetermined (facts missing), J = needs assessment (a human judgment or
an UNVERIFIED point of law). For each node the compiler emits rules whose conditions are mutually
exclusive and exhaustive, so exactly one value is ever concluded per node. That is checked at
run time by the adapter, and it is what makes the forward chaining order-independent without
negation or salience.

``all`` and ``any`` are Kleene AND and OR in which *undetermined* dominates *needs assessment*:
a missing fact could still settle the question, so asking for it comes first.

Every rule fires once (ADR 0010): a condition's branches are exclusive (`logic.Compiler3`), and
``all``/``any`` rules and the join of ``when`` with ``needs_assessment_when`` read their inputs'
values from one *chunk* fact per group of rules of the same level, with exclusive single-pattern
tests (the first deciding input wins). The engine asserts each level's chunks once the level below
has concluded. A ``some`` condition's elements are folded by one fact holding their values, tested
with ``$iany``/``$iall``: no rule joins facts.

The compiler refuses a rulebook that would exceed durable's measured limits (notes §5–§6).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from ..model.facts import FACT_SPECS, ITEM_FACT
from .logic import (MAX_PATTERN_ENTRIES, Compiler3, Some, _and, params_used, parse_expression, pattern_entries,
                    paths, split, topics)
from .rulebook import Node, ResolvedParameter, Rulebook, RuleFileError

T, F, U, J = "T", "F", "U", "J"
STATUS = {T: "met", F: "not_met", U: "undetermined", J: "needs_assessment"}
NODE_FACT = "node"
MISSING_LIST = "U.list-unknown"  # the rule concluding undetermined because a whole list is absent

# durable_rules limits (engine notes §5–§6), with a margin.
MAX_NODE_NAMES = 400  # create_ruleset hangs at about 512 distinct tests under one alpha node
# The hang is about distinct tests under one alpha node (MAX_NODE_NAMES), not the number of rules:
# the 2026 rulebook replicated three times under new node names (2,796 rules) was created in 0.14 s
# (ADR 0007; benchmarks/limits.py measures it). This bound only keeps per-session memory (about
# 20 KB a rule) in view.
MAX_RULES = 2000
MAX_PROPERTIES = 250  # error 302 at 255 properties per fact
MAX_SIBLING_TESTS = 60  # error 303 when one fact matches more than 64 sibling alpha nodes
# One all/any rule's inputs travel in one chunk fact (ADR 0010), tested up to four ways each.
MAX_INPUTS = (MAX_SIBLING_TESTS + 1) // 4


class RulebookLimitError(RuleFileError):
    pass


@dataclass(frozen=True)
class RuleMeta:
    """What one durable rule means: which node, which value, and what it matched."""

    name: str
    node: str  # the node (or condition part) the derived fact is about
    key: str  # node id @ version
    value: str
    inputs: tuple[str, ...] = ()  # combination: the node ids it tests, in order, on one chunk fact
    attrs: tuple[str, ...] = ()  # the chunk fact's attribute holding each input's value
    topic: str | None = None  # condition: the fact it matched (alias m)
    derive: str = "node"  # node | element (one list element of a `some` condition)
    list: str | None = None  # the list path, for rules of a `some` condition


@dataclass(frozen=True)
class Chunk:
    """One chunk fact (ADR 0010): the values of some rules' inputs, each under a short attribute
    name, asserted once every input is concluded."""

    type: str  # the fact's "t", e.g. "c2.0" (level 2, first chunk)
    attrs: tuple[tuple[str, str], ...]  # (input node id, attribute)


@dataclass(frozen=True)
class Fold:
    """The fold fact of one list: its type, where the list's count is (topic fact, attribute),
    and the conditions (parts) whose element values it carries."""

    type: str
    list: str
    topic: str
    count: str
    parts: tuple[str, ...]


@dataclass(frozen=True)
class Group:
    """Facts asserted as one (ADR 0010, further step): the case's topic facts, or the fold facts,
    merged while the merged fact passes at most `MAX_SIBLING_TESTS` tests at once. Member ``k``'s
    attributes are named ``"<k>:<attribute>"`` in the merged fact and in its rules."""

    type: str  # e.g. "topics.0", "folds.0"
    members: tuple[str, ...]  # the facts' own types ("applicant", "fold:permits"), in prefix order


@dataclass
class Compiled:
    name: str
    definition: dict[str, Any]
    rules: dict[str, RuleMeta]
    topics: tuple[str, ...]
    consumed: frozenset[str]
    nodes: dict[str, Node]
    refs: dict[str, list[tuple[str, bool]]]
    reads: dict[str, list[str]]  # condition node -> fact paths it reads
    lists: frozenset[str]  # list paths whose elements some rule tests
    params: dict[str, ResolvedParameter]
    uncertain: dict[str, list[Any]] = field(default_factory=dict)  # node -> notes (Text)
    chunks: tuple[tuple[Chunk, ...], ...] = ()  # per level from 1: the chunk facts to assert, in order
    folds: tuple[Fold, ...] = ()  # one fact per list some condition tests (ADR 0010, further step)
    groups: tuple[Group, ...] = ()  # topic and fold facts asserted merged (ADR 0010, further step)


def _active_graph(book: Rulebook, day: dt.date) -> tuple[dict[str, Node], dict[str, list[tuple[str, bool]]]]:
    """Nodes in force on ``day`` that a provision or notice needs, with references to rules not in
    force dropped (a requirement that did not exist yet neither helps nor blocks)."""
    in_force = book.in_force(day)
    refs: dict[str, list[tuple[str, bool]]] = {}
    resolved: dict[str, bool] = {}

    def alive(node_id: str, stack: tuple[str, ...] = ()) -> bool:
        if node_id in resolved:
            return resolved[node_id]
        if node_id in stack:
            raise RuleFileError(book.unit_of[in_force[node_id].key].unit + ".yaml", node_id, "all",
                                "rules refer to each other in a cycle")
        node = in_force.get(node_id)
        if node is None:
            resolved[node_id] = False
            return False
        if node.when is not None:
            resolved[node_id] = True
            return True
        kept = [(r, neg) for r, neg in node.refs if alive(r, stack + (node_id,))]
        refs[node_id] = kept
        resolved[node_id] = bool(kept)
        return bool(kept)

    roots = sorted(n for n, node in in_force.items() if node.provision or node.notice or node.referral)
    needed: dict[str, Node] = {}

    def collect(node_id: str) -> None:
        if node_id in needed or not alive(node_id):
            return
        needed[node_id] = in_force[node_id]
        for ref, _ in refs.get(node_id, []):
            collect(ref)

    for root in roots:
        collect(root)
    return needed, {k: v for k, v in refs.items() if k in needed}


def compile_rulebook(book: Rulebook, day: dt.date) -> Compiled:
    """The durable ruleset for the law in force on ``day``."""
    nodes, refs = _active_graph(book, day)
    params: dict[str, ResolvedParameter] = {}

    def resolve(pid: str) -> float:
        value = book.parameter(pid, day)
        if value is None:
            raise RuleFileError("parameters.yaml", pid, "values", f"no value in force on {day.isoformat()}")
        params[pid] = value
        return value.value

    definition: dict[str, Any] = {}
    rules: dict[str, RuleMeta] = {}
    consumed = set(r for rs in refs.values() for r, _ in rs)
    reads: dict[str, list[str]] = {}
    uncertain: dict[str, list[Any]] = {}
    used_topics: set[str] = set()
    tables: dict[str, tuple[str, Table]] = {}  # node -> (rule version, its join table)

    for node_id in sorted(nodes):
        node = nodes[node_id]
        file = book.unit_of[node.key].unit + ".yaml"
        if node.when is not None:
            when = parse_expression(node.when, book.parameters)
            assess = (parse_expression(node.needs_assessment_when, book.parameters)
                      if node.needs_assessment_when is not None else None)
            exprs = [when] + ([assess] if assess else [])
            node_topics = set().union(*(topics(e) for e in exprs))
            if len(node_topics) != 1:
                raise RuleFileError(file, node_id, "when",
                                    f"a condition reads one section of the case; this one reads {sorted(node_topics)}: "
                                    "split it into rules combined with 'all' or 'any'")
            topic = node_topics.pop()
            used_topics.add(topic)
            reads[node_id] = list(dict.fromkeys(p for e in exprs for p in paths(e)))
            notes = [node.uncertain] if node.uncertain else []
            unverified_amount = False
            for pid in sorted(set().union(*(params_used(e) for e in exprs))):
                resolve(pid)
                if params[pid].unverified:
                    notes.append(params[pid].unverified)
                    unverified_amount = True
            if notes:
                uncertain[node_id] = notes
            # Met/not met map to needs assessment for an UNVERIFIED point (met only) or an
            # unconfirmed amount (both): the facts are known, the law or the figure is not.
            mapping = {T: J if notes else T, F: J if unverified_amount else F, U: U}
            c3 = Compiler3(resolve)
            parts = [(node_id if assess is None else f"{node_id}~when", when)]
            if assess is not None:
                parts.append((f"{node_id}~assess", assess))
                mapping = {T: T, F: F, U: U}  # the join of the two parts maps met
            for part_id, expr in parts:
                for name, rule, meta in _condition_rules(part_id, node, expr, topic, c3, mapping, file):
                    definition[name] = rule
                    rules[name] = meta
            if assess is not None:
                consumed.update(p for p, _ in parts)
                # Here `uncertain` is the note of the needs-assessment outcome (the facts it is about
                # are in needs_assessment_when), so it does not turn met into needs assessment.
                tables[node_id] = (node.key, _assessment_table(node_id, unverified_amount, unverified_amount))
        else:
            if len(refs[node_id]) > MAX_INPUTS:
                raise RulebookLimitError(file, node_id, "any" if node.any is not None else "all",
                                         f"combines {len(refs[node_id])} rules; at most {MAX_INPUTS} fit the engine "
                                         "(ADR 0010): group them into sub-rules")
            tables[node_id] = (node.key, _combination_table(node_id, refs[node_id], node.any is not None))

    chunks = _chunk_rules(tables, definition, rules)
    folds = _folds(rules)
    tested = {str(_first_type(r)) for r in definition.values()}
    groups = (_merge_facts("topics", sorted(used_topics & tested), definition)
              + _merge_facts("folds", [f.type for f in folds], definition))
    _check_limits(definition, nodes, used_topics, {g.type: " + ".join(g.members) for g in groups})
    return Compiled(
        name=epoch_name(definition, rules, nodes, {pid: book.parameter(pid, day) for pid in book.parameters},
                        uncertain),
        definition=definition,
        rules=rules,
        topics=tuple(sorted(used_topics & tested)),
        consumed=frozenset(consumed),
        nodes=nodes,
        refs=refs,
        reads=reads,
        lists=frozenset(m.list for m in rules.values() if m.list),
        params=params,
        uncertain=uncertain,
        chunks=chunks,
        folds=folds,
        groups=groups,
    )


def _folds(rules: dict[str, RuleMeta]) -> tuple[Fold, ...]:
    """The fold fact of each list some condition tests, its parts in name order."""
    parts: dict[str, set[str]] = {}
    topic: dict[str, str] = {}
    for meta in rules.values():
        if meta.list and meta.topic:
            parts.setdefault(meta.list, set()).add(meta.node)
            if meta.derive != "element":
                topic[meta.list] = meta.topic
    return tuple(Fold(fold_type(lst), lst, topic[lst], FACT_SPECS[lst].count_attr or "", tuple(sorted(ps)))
                 for lst, ps in sorted(parts.items()))


def epoch_name(definition: dict[str, Any], rules: dict[str, RuleMeta], nodes: dict[str, Node],
               params: dict[str, ResolvedParameter | None], uncertain: dict[str, list[Any]]) -> str:
    """The name of one compiled law epoch: a digest of everything that can change an output.

    Two epochs can compile to the same engine definition and still differ in what a firing
    means: an UNVERIFIED point maps "met" to "needs assessment" only in the meta, a new rule
    version changes only its key, a new amount may only show in an explanation. Engines cache
    rulesets, sessions and derived-fact texts by this name, so it covers the metas, the rule
    versions, every parameter in force (``params``: None where none is) and the notes as well:
    a verdict must never depend on the cases screened before it."""
    identity = {
        "definition": definition,
        "rules": {name: dataclasses.astuple(meta) for name, meta in rules.items()},
        "nodes": sorted(node.key for node in nodes.values()),
        "params": {pid: None if p is None else [p.value, p.valid_from.isoformat(),
                                                p.unverified.model_dump() if p.unverified else None]
                   for pid, p in params.items()},
        "uncertain": {nid: [n.model_dump() if hasattr(n, "model_dump") else n for n in notes]
                      for nid, notes in uncertain.items()},
    }
    text = json.dumps(identity, sort_keys=True, ensure_ascii=False, default=str)
    return "eligibility_" + hashlib.sha256(text.encode()).hexdigest()[:20]


FOLD_COUNT = "c"  # the fold fact's attribute holding the list's count (absent: the list is unknown)


def fold_type(lst: str) -> str:
    """The type of the fact that folds the list ``lst`` (its count, its elements' values)."""
    return f"fold:{lst}"


def fold_attr(part_id: str) -> str:
    """The fold fact's attribute holding the element values of one ``some`` condition (part): its
    id with no dot (a dot would be a nested path to durable)."""
    return "v:" + part_id.replace(".", ":")


def _condition_rules(part_id: str, node: Node, expr: Any, topic: str, c3: Compiler3, mapping: dict[str, str],
                     file: str) -> list[tuple[str, dict[str, Any], RuleMeta]]:
    """Engine rules for one condition: plain patterns over a topic fact, or, for ``some``, element
    rules plus a fold (Kleene OR) over one fact holding the elements' values."""
    out: list[tuple[str, dict[str, Any], RuleMeta]] = []

    def pattern(alias: str, base: list[dict[str, Any]], alt: dict[str, Any] | None) -> dict[str, Any]:
        body = _and(base + ([alt] if alt else []))
        if pattern_entries(body) > MAX_PATTERN_ENTRIES:
            raise RulebookLimitError(file, node.id, "when",
                                     f"compiles to a test too large for durable_rules ({pattern_entries(body)} "
                                     f"expression entries, limit {MAX_PATTERN_ENTRIES}): split the condition")
        return {alias: body}

    if not isinstance(expr, Some):
        for value, expr_v in ((T, c3.T(expr)), (F, c3.F(expr)), (U, c3.U(expr))):
            for k, alt in enumerate(split(expr_v)):
                name = f"{part_id}#{value}.{k}"
                out.append((name, {"all": [pattern("m", [{"t": topic}], alt)]},
                            RuleMeta(name, part_id, node.key, mapping[value], topic=topic)))
        return out

    where, lst, count = expr.where, expr.spec.path, expr.spec.count_attr
    item = [{"t": ITEM_FACT}, {"l": lst}]
    for value, expr_v in ((T, c3.T(where)), (F, c3.F(where)), (U, c3.U(where))):
        for k, alt in enumerate(split(expr_v)):
            name = f"{part_id}#element.{value}.{k}"
            out.append((name, {"all": [pattern("m", list(item), alt)]},
                        RuleMeta(name, part_id, node.key, value, topic=ITEM_FACT, derive="element", list=lst)))
    # The fold along the list (Kleene OR), over one fact per list holding its count and every
    # element's value for each condition on it, asserted once the element rules have concluded
    # (`engine_api.fold_facts`): T if one is T, U if none is T and one is U, F if all are F (durable's
    # $iany and $iall are false on an empty array); F for an empty list, U for an absent one.
    fold, values = [{"t": fold_type(lst)}], fold_attr(part_id)
    for value, test in ((T, {"$iany": {values: {"$i": T}}}),
                        (U, _and([{"$iall": {values: {"$neq": {"$i": T}}}}, {"$iany": {values: {"$i": U}}}])),
                        (F, {"$iall": {values: {"$i": F}}}),
                        (F, {FOLD_COUNT: 0}),
                        (U, {"$nex": {FOLD_COUNT: 1}})):
        name = f"{part_id}#{MISSING_LIST}" if FOLD_COUNT in test.get("$nex", {}) else \
            f"{part_id}#{value}.{'empty' if FOLD_COUNT in test else 'fold'}"
        out.append((name, {"all": [{"m": _and(fold + [test])}]},
                    RuleMeta(name, part_id, node.key, mapping[value], topic=topic, list=lst)))
    return out


# A join table: (rule name, value, tests), each test (input node, "$eq" or "$neq", value). Its rows
# are exclusive and exhaustive over the inputs' values, so exactly one row fires (ADR 0010).
Test3 = tuple[str, str, str]
Table = list[tuple[str, str, list[Test3]]]


def _assessment_table(node_id: str, uncertain: bool, unverified_amount: bool) -> Table:
    """Join a condition's ``when`` (w) and ``needs_assessment_when`` (a): met when w holds; needs
    assessment when w does not hold but a does; not met when both are false; undetermined
    otherwise. With an UNVERIFIED note, met becomes needs assessment; with an unconfirmed
    amount, not met does too."""
    w, a = f"{node_id}~when", f"{node_id}~assess"
    rows: list[tuple[str, list[Test3]]] = [
        (T, [(w, "$eq", T)]),
        (J, [(w, "$neq", T), (a, "$eq", T)]),
        (F, [(w, "$eq", F), (a, "$eq", F)]),
        (U, [(w, "$eq", U), (a, "$neq", T)]),
        (U, [(w, "$eq", F), (a, "$eq", U)]),
    ]
    out: Table = []
    for k, (value, tests) in enumerate(rows):
        if (uncertain and value == T) or (unverified_amount and value == F):
            value = J
        out.append((f"{node_id}#{value}.{k}", value, tests))
    return out


def _combination_table(node_id: str, inputs: list[tuple[str, bool]], is_any: bool) -> Table:
    """Kleene AND (all) or OR (any) over node values, undetermined before needs-assessment, as
    exclusive rows: for AND, F.i when input i is the first that is false; U.i when none is false
    and input i is the first undetermined; J.i when none is false or undetermined and input i is
    the first needing assessment; T when none is false, undetermined or needing assessment. OR is
    the dual. Every row is a prefix of one decision list (no input decides, none is U, none is J),
    so durable shares its tests along one chain (ADR 0010, further step)."""
    def flip(value: str, neg: bool) -> str:
        return {T: F, F: T}.get(value, value) if neg else value

    decided, default = (T, F) if is_any else (F, T)
    decide = [flip(decided, neg) for _, neg in inputs]  # the input value that decides the node
    refs = [r for r, _ in inputs]
    phases = [[(r, "$neq", decide[k]) for k, r in enumerate(refs)], [(r, "$neq", U) for r in refs],
              [(r, "$neq", J) for r in refs]]
    out: Table = []
    for phase, (value, wanted) in enumerate(((decided, decide), (U, [U] * len(refs)), (J, [J] * len(refs)))):
        before = [t for p in phases[:phase] for t in p]
        for i, ref in enumerate(refs):
            out.append((f"{node_id}#{value}.{i}", value, before + phases[phase][:i] + [(ref, "$eq", wanted[i])]))
    out.append((f"{node_id}#{default}", default, [t for p in phases for t in p]))
    assert len(out) == 3 * len(inputs) + 1
    return out


def _levels(tables: dict[str, tuple[str, Table]]) -> dict[str, int]:
    """Level of each joined node: one more than its deepest input (a condition is level 0)."""
    level: dict[str, int] = {}

    def of(node: str) -> int:
        if node not in tables:
            return 0
        if node not in level:
            level[node] = 1 + max(of(r) for _, _, tests in tables[node][1] for r, _, _ in tests)
        return level[node]

    for node in tables:
        of(node)
    return level


def _chunk_rules(tables: dict[str, tuple[str, Table]], definition: dict[str, Any],
                 rules: dict[str, RuleMeta]) -> tuple[tuple[Chunk, ...], ...]:
    """Every join table as single-pattern rules over chunk facts (ADR 0010). The nodes of one
    level share chunks, packed in name order while one chunk fact passes at most
    `MAX_SIBLING_TESTS` distinct tests (error 303)."""
    level = _levels(tables)
    packed: list[list[tuple[str, dict[str, str], set[str]]]] = [[] for _ in range(max(level.values(), default=0))]
    placed: dict[str, tuple[str, dict[str, str]]] = {}
    for node in sorted(tables, key=lambda n: (level[n], n)):
        table, chunks = tables[node][1], packed[level[node] - 1]
        for ctype, attrs, tests in chunks + [(f"c{level[node]}.{len(chunks)}", {}, set())]:
            trial = dict(attrs)
            for _, _, row in table:
                for ref, _, _ in row:
                    trial.setdefault(ref, f"a{len(trial)}")
            more = tests | {json.dumps({op: {trial[r]: v}}) if op != "$eq" else json.dumps({trial[r]: v})
                            for _, _, row in table for r, op, v in row}
            if simultaneous_tests(more) <= MAX_SIBLING_TESTS or not attrs:  # alone: _check_limits decides
                if not attrs:
                    chunks.append((ctype, attrs, tests))
                attrs.update(trial)
                tests |= more
                placed[node] = (ctype, attrs)
                break
    for node, (key, table) in tables.items():
        ctype, attrs = placed[node]
        for name, value, row in table:
            inputs = tuple(dict.fromkeys(r for r, _, _ in row))
            atoms = [{attrs[r]: v} if op == "$eq" else {op: {attrs[r]: v}} for r, op, v in row]
            definition[name] = {"all": [{"m": {"$and": [{"t": ctype}] + atoms}}]}
            rules[name] = RuleMeta(name, node, key, value, inputs=inputs, attrs=tuple(attrs[r] for r in inputs))
    return tuple(tuple(Chunk(ctype, tuple(attrs.items())) for ctype, attrs, _ in chunks) for chunks in packed)


def _merge_facts(kind: str, types: list[str], definition: dict[str, Any]) -> tuple[Group, ...]:
    """Merge the facts of ``types`` into as few as fit durable's limit (first fit, most tests
    first), and rewrite their rules to test the merged fact: its type, member ``k``'s attributes
    prefixed ``"<k>:"``. Renamed apart, the members' tests add up (`simultaneous_tests`)."""
    tests: dict[str, set[str]] = {t: set() for t in types}
    for rule in definition.values():
        body = _body(rule)
        if body[0].get("t") in tests:
            _collect_tests({"$and": body[1:]}, tests[body[0]["t"]])
    bins: list[tuple[list[str], int]] = []
    for t in sorted(types, key=lambda t: (-simultaneous_tests(tests[t]), t)):
        size = simultaneous_tests(tests[t])
        for k, (members, used) in enumerate(bins):
            if used + size <= MAX_SIBLING_TESTS:
                members.append(t)
                bins[k] = (members, used + size)
                break
        else:
            bins.append(([t], size))
    groups = tuple(Group(f"{kind}.{k}", tuple(members)) for k, (members, _) in enumerate(bins))
    where = {t: (g.type, f"{k}:") for g in groups for k, t in enumerate(g.members)}
    for name, rule in definition.items():
        body = _body(rule)
        if body[0].get("t") in where:
            group, prefix = where[body[0]["t"]]
            parts = [{"t": group}] + [_renamed(e, prefix) for e in body[1:]]
            definition[name] = {"all": [{alias: _and(parts) for alias in rule["all"][0]}]}
    return groups


def _renamed(expr: Any, prefix: str) -> Any:
    """A pattern expression with every attribute it tests prefixed (items ``$i`` left alone)."""
    (key, value), = expr.items()
    if key in ("$and", "$or"):
        return {key: [_renamed(e, prefix) for e in value]}
    if key.startswith("$"):  # {"$op": {attribute: operand}}; $iany/$iall: the operand is over "$i"
        (attr, operand), = value.items()
        return {key: {prefix + attr: operand}}
    return {prefix + key: value}


def _body(rule: dict[str, Any]) -> list[Any]:
    """A single-pattern rule's top-level tests, its type test first."""
    body = next(iter(rule["all"][0].values()))
    return body["$and"] if "$and" in body else [body]


def _first_type(rule: dict[str, Any]) -> Any:
    """The fact type (``t``) a single-pattern rule tests first."""
    body = next(iter(rule["all"][0].values()))
    return (body["$and"][0] if "$and" in body else body).get("t")


def _collect_tests(expr: Any, out: set[str]) -> None:
    """Every plain test (as canonical JSON) inside a pattern expression."""
    if not isinstance(expr, dict):
        return
    for key, value in expr.items():
        if key in ("$and", "$or"):
            for part in value:
                _collect_tests(part, out)
        else:
            out.add(json.dumps({key: value}, sort_keys=True))


def simultaneous_tests(tests: set[str]) -> int:
    """An upper bound on how many of these tests one fact can pass at once: equality tests on the
    same attribute count once (one value matches at most one of them); every other test counts."""
    eq_attrs: set[str] = set()
    others = 0
    for text in tests:
        (key, _), = json.loads(text).items()
        if key.startswith("$") and key not in ("$i",):
            others += 1
        else:
            eq_attrs.add(key)
    return len(eq_attrs) + others


def _check_limits(definition: dict[str, Any], nodes: dict[str, Node], used_topics: set[str],
                  merged: dict[str, str]) -> None:
    """Refuse a rulebook beyond durable's measured limits; ``merged`` names each merged fact's members."""
    if len(nodes) > MAX_NODE_NAMES:
        raise RulebookLimitError("rules/", None, None,
                                 f"{len(nodes)} rules in force at once; durable_rules hangs near 512 (limit {MAX_NODE_NAMES})")
    if len(definition) > MAX_RULES:
        raise RulebookLimitError("rules/", None, None,
                                 f"{len(definition)} engine rules (limit {MAX_RULES}, ADR 0007)")
    # Measured (benchmarks/limits.py): asserting a fact that passes more than 64 sibling tests
    # fails with error 303, whether they test one attribute or many.
    per_fact: dict[str, set[str]] = {}
    for rule in definition.values():
        for pattern in rule["all"]:
            body = next(iter(pattern.values()))
            parts = body["$and"] if "$and" in body else [body]
            _collect_tests({"$and": parts[1:]}, per_fact.setdefault(str(parts[0].get("t")), set()))
    for fact, tests in sorted(per_fact.items()):
        bound = simultaneous_tests(tests)
        if bound > MAX_SIBLING_TESTS:
            raise RulebookLimitError("rules/", None, None,
                                     f"one '{merged.get(fact, fact)}' fact could pass {bound} tests at once; durable_rules fails beyond "
                                     f"64 (limit {MAX_SIBLING_TESTS}): merge thresholds or split the section")
    for topic in used_topics:
        props = sum(2 if s.kind == "interval" else 1 + (1 if s.count_attr else 0)
                    for s in FACT_SPECS.values() if s.topic == topic)
        if props + 2 > MAX_PROPERTIES:
            raise RulebookLimitError("rules/", None, None, f"the '{topic}' fact would carry {props} properties")
