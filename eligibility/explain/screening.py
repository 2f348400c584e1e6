"""Screen one case: facts in, explained verdicts out.

All inference happens in the rule engine (`adapter`). This module only orchestrates: it picks the
law in force on the assessment date, hands the case's facts to the engine, and turns the engine's
conclusions into a `Verdict` explained with the rules' reviewed templates.

Explaining is split in two. `_Explanations` holds what depends only on the rulebook, the law in
force (one compiled law epoch) and the language: citations, templates with their parameters
filled in, reasons, the provisions, notices and referral rules in order, and how each rule's
trace entry is rebuilt from the conclusions and the case's facts (ADR 0010). `Screener` builds it
once per epoch and language. `_Explainer` reads one case's run through it.

`Screener.screen` returns the `Verdict`. `Screener.screening`, for storing, encodes each trace
entry as canonical JSON straight from the run instead of building `TraceEntry` objects, so that the verdict's JSON (`Screening.verdict_json`) and its
receipt (`audit.receipt_json`) are written without serialising the trace again; both are
byte-identical to serialising the verdict. `Screener.outcome`, for a batch that stores no receipt
(ADR 0013), reads only what the batch stores from the run (`outcome.Outcome`), building no verdict.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from json.encoder import encode_basestring  # what json.dumps(ensure_ascii=False) encodes strings with
from pathlib import Path
from typing import Any, Callable, Iterable, TypeVar, Union

from pydantic import BaseModel

from .. import __version__
from ..engine.adapter import Engine
from ..model.case import AtLeast, Case
from ..model.questions import Question, asked, load_questions, rank
from ..law.compiler import STATUS, Compiled, RuleMeta
from ..law.epochcache import compiled_epoch
from ..engine.engine_api import Run
from ..model.facts import FACT_SPECS, ITEM_FACT, add_months, case_facts, current_permit, source_paths
from .outcome import Outcome, notes_of
from .outlook import becomes_met_when, not_yet_headline
from ..law.rulebook import DATE_PLACEHOLDERS, PLACEHOLDER, Node, ResolvedParameter, Rulebook, load_rulebook
from ..model.texts import long_date
from .verdict import (Citation, MissingFact, ProvisionResult, Reason, Referral, TraceEntry, Verdict, Warning,
                      Memo, NotPlainJSON, PLAIN, dumps, encode, encode_json, json_object, lovdata_url,
                      make_missing_fact, make_provision_result, make_referral, make_trace_entry, make_verdict)

HEADLINE = {
    ("met", "entitlement"): {"en": "Entitled: the conditions are met", "nb": "Rett til tillatelse: vilkårene er oppfylt"},
    ("met", "discretionary"): {"en": "May be granted (discretionary, not an entitlement)",
                               "nb": "Kan innvilges (skjønn, ikke en rettighet)"},
    ("not_met", None): {"en": "Not met", "nb": "Ikke oppfylt"},
    ("undetermined", None): {"en": "Undetermined: facts are missing", "nb": "Uavklart: opplysninger mangler"},
    ("needs_assessment", None): {"en": "Needs assessment by a lawyer or caseworker",
                                 "nb": "Krever vurdering av jurist eller saksbehandler"},
}
NEG = {"T": "F", "F": "T", "U": "U", "J": "J"}
URGENCY_RANK = {"now": 0, "soon": 1, "planned": 2}
WARNING_RANK = {"safety": 0, "warning": 1, "info": 2}


def headline(status: str, kind: str, lang: str) -> str:
    return HEADLINE.get((status, kind), HEADLINE.get((status, None), {})).get(lang, status)


def canonical_json(data: Any) -> str:
    return json.dumps(data, sort_keys=True, ensure_ascii=False, indent=2) + "\n"


def _case_json(case: Case, allow_nan: bool) -> str:
    return json.dumps(case.model_dump(mode="json", exclude_unset=True), sort_keys=True, ensure_ascii=False,
                      separators=(",", ":"), allow_nan=allow_nan)


def case_digest(case: Case) -> str:
    return hashlib.sha256(_case_json(case, allow_nan=True).encode()).hexdigest()


class Screener:
    """Holds one rulebook and one engine; screens cases one after the other."""

    def __init__(self, rules_dir: Path | None = None, engine: Engine | None = None, book: Rulebook | None = None):
        self.book: Rulebook = book if book is not None else load_rulebook(rules_dir)
        self.engine = engine or Engine()
        self._compiled: dict[tuple[frozenset[str], frozenset[tuple[str, Any]]], Compiled] = {}
        self._by_day: dict[dt.date, Compiled] = {}  # bounded memo: the epoch key costs ~80 µs a case
        # (id of a compiled epoch, language) -> its explanations; each holds its Compiled, which
        # `_compiled` keeps alive for the screener's lifetime, so an id is never reused.
        self._explanations: dict[tuple[int, str], _Explanations] = {}

    def compiled(self, day: dt.date) -> Compiled:
        """The rules in force on ``day``, compiled once per law epoch (the same rule versions and
        parameter values), so any number of assessment dates costs one compile per change in law."""
        if day in self._by_day:
            return self._by_day[day]
        params = frozenset((pid, max((v.valid_from for v in p.values if v.valid_from <= day), default=None))
                           for pid, p in self.book.parameters.items())
        key = (frozenset(n.key for n in self.book.in_force(day).values()), params)
        if key not in self._compiled:
            self._compiled[key] = compiled_epoch(self.book, day)  # from the disk cache if there (ADR 0014)
        if len(self._by_day) >= 4096:
            self._by_day.clear()
        self._by_day[day] = self._compiled[key]
        return self._compiled[key]

    def explanations(self, compiled: Compiled, day: dt.date, lang: str) -> _Explanations:
        """The case-independent part of explaining under ``compiled`` (the epoch of ``day``) in
        ``lang``, built on first use. Every parameter resolves to the same value on every day of
        an epoch (the epoch key holds each parameter's value in force), so any day of it will do."""
        key = (id(compiled), lang)
        found = self._explanations.get(key)
        if found is None:
            other = self._explanations.get((id(compiled), "en" if lang == "nb" else "nb"))
            trace = other.trace if other is not None else _Trace(compiled)
            found = self._explanations[key] = _Explanations(self.book, compiled, lang, day, trace)
        return found

    def screen(self, case: Case, as_of: dt.date | None = None, lang: str = "en") -> Verdict:
        return self._screen(case, as_of, lang, encode=False).verdict

    def screening(self, case: Case, as_of: dt.date | None = None, lang: str = "en",
                  trace: bool = True) -> Screening:
        """`screen`, for storing: `Screening.verdict_json` and `audit.receipt_json` give the
        verdict's JSON and its receipt byte for byte as serialising the verdict does, at a
        fraction of the cost; `Screening.verdict` builds the whole verdict only if asked. With
        ``trace=False`` the trace is not encoded (a batch that stores no receipt, ADR 0013):
        `Screening.outline` is whole, the trace is rebuilt only if `Screening.verdict` is asked."""
        return self._screen(case, as_of, lang, encode=True, trace=trace)

    def outcome(self, case: Case, as_of: dt.date | None = None, lang: str = "en") -> Outcome:
        """What a batch stores of the screening (ADR 0013): equal to ``Outcome.of(screen(...))``,
        computed from the engine's run without building the verdict or its texts (only the few
        notes the summary shows are worded)."""
        day = as_of or case.assessment_date or dt.date.today()
        return self._explainer(case, day, lang).outcome(case, day)

    def _explainer(self, case: Case, day: dt.date, lang: str) -> _Explainer:
        """The case's facts run through the law in force on ``day``, ready to be explained."""
        compiled = self.compiled(day)
        facts = case_facts(case, day)
        run = self.engine.run(compiled, facts)
        return _Explainer(self.explanations(compiled, day, lang), run, facts)

    def _screen(self, case: Case, as_of: dt.date | None, lang: str, encode: bool, trace: bool = True) -> Screening:
        day = as_of or case.assessment_date or dt.date.today()
        return self._explainer(case, day, lang).explain(case, day, encode, trace)


class Screening:
    """One screened case: its `verdict`, and the texts a batch stores, `verdict_json()` (with or
    without the trace) and `audit.receipt_json`. From `Screener.screening`, which encodes each trace entry as canonical
    JSON while reading the engine's run (``trace_json``; None if an entry is not plain JSON) and builds the trace's `TraceEntry`
    objects only if `verdict` is asked for. ``outline`` is the verdict without its trace."""

    def __init__(self, verdict: Verdict, trace_json: tuple[EntryJSON, ...] | None = None,
                 case_json: str | None = None, trace: Callable[[], list[TraceEntry]] | None = None,
                 memo: Memo | None = None):
        self.outline = verdict
        self.trace_json = trace_json
        self.case_json = case_json  # the case's canonical JSON, when encoded and strict JSON
        self._trace = trace  # builds the trace the outline leaves out; None: ``verdict`` is whole
        self._verdict = verdict if trace is None else None
        self._memo = memo  # the JSON of the citations, reasons and warnings shared between verdicts

    @property
    def verdict(self) -> Verdict:
        if self._verdict is None:
            assert self._trace is not None
            self._verdict = self.outline.model_copy(update={"trace": self._trace()})
        return self._verdict

    @property
    def encoded(self) -> bool:
        return self.trace_json is not None

    def verdict_json(self, trace: bool = True) -> str:
        """Exactly ``json.dumps(verdict.model_dump(mode="json"), sort_keys=True,
        ensure_ascii=False, separators=(",", ":"))``, without serialising the trace again; with
        ``trace=False``, the same with ``model_dump(mode="json", exclude={"trace"})``."""
        members = self._outline_members()
        if members is None or (trace and self.trace_json is None):
            doc = self.verdict.model_dump(mode="json", exclude=None if trace else {"trace"})
            return dumps(doc)
        if trace:
            assert self.trace_json is not None
            members["trace"] = "[" + ",".join(self.trace_json) + "]"
        return json_object(members)

    def _outline_members(self) -> dict[str, str] | None:
        """The verdict's members but the trace, as JSON; None if `encode` cannot write them."""
        if not PLAIN:
            return None
        try:
            return {name: encode(getattr(self.outline, name), self._memo)
                    for name in Verdict.model_fields if name != "trace"}
        except NotPlainJSON:
            return None

    def trace_text(self) -> str:
        """The canonical JSON of the verdict's ``trace`` (a receipt's ``trace`` too)."""
        if self.trace_json is None:
            raise ValueError("the trace of this screening was not encoded")
        return "[" + ",".join(self.trace_json) + "]"


def nearest_question(path: str, rules_dir: Path | None = None) -> dict[str, str]:
    """The question for ``path`` from rules/questions.yaml (the interview's words), else for the
    nearest field above it (``permits[].x`` asks about ``permits``): a raw path is never the
    question (issue 13 point 4); the path only if no field above it has one."""
    return asked(path, rules_dir) or {"en": path, "nb": path}

_DATE_CHECK = Citation(law="", section="", text="", quote="", confidence="DERIVED", kind="input_check",
                       rule="input.date-after-assessment")
_DATE_CHECK_TEXT = {"nb": "kontroll av datoene i saken", "en": "a check of the case's dates"}
_NOT_DATED_EVENTS = {"assessment_date", "permits"}  # the assessment itself; validity periods run ahead


def _dated_facts(value: Any, path: list[str]) -> Iterable[tuple[list[str], dt.date]]:
    """(path, date) of every date in a case's facts, in schema order."""
    if isinstance(value, list):
        for i, item in enumerate(value):
            yield from _dated_facts(item, path + [str(i)])
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            if not path and name in _NOT_DATED_EVENTS:
                continue
            yield from _dated_facts(getattr(value, name), path + [name])
    elif isinstance(value, dt.date):
        yield path, value


def future_dated(case: Case, day: dt.date, lang: str) -> list[Warning]:
    """A warning for every fact dated after the assessment date (a separation or an incident in
    the future is a typo more often than a plan): the screening takes the date as given."""
    out = []
    for parts, date in _dated_facts(case, []):
        if date <= day:
            continue
        path = ".".join(parts)
        found = asked(".".join("[]" if p.isdigit() else p for p in parts).replace(".[]", "[]"))
        number = next((f" ({'nr.' if lang == 'nb' else 'no.'} {int(p) + 1})" for p in parts if p.isdigit()), "")
        words = f"«{found[lang]}»{number}" if found else path
        text = (f"{words} er besvart med {long_date(date, lang)}, etter vurderingsdatoen {long_date(day, lang)}: "
                "sjekk datoen; vurderingen bygger på datoen slik den står"
                if lang == "nb" else
                f"{words} ({path}) is answered {long_date(date, lang)}, after the assessment date "
                f"{long_date(day, lang)}: check the date; the screening takes it as given")
        out.append(Warning(id=f"date-after-assessment:{path}", level="warning", text=text,
                           citation=_DATE_CHECK.model_copy(update={"text": _DATE_CHECK_TEXT[lang]})))
    return out


def safety_first(missing: Iterable[MissingFact]) -> list[MissingFact]:
    """Missing facts with the safety questions (``safety.*``) first, the rest in the order the
    rules read them: safety first in every output (issue 10 point 16)."""
    return sorted(missing, key=lambda m: not m.path.startswith("safety."))


MissingKey = Callable[[MissingFact, str], tuple]


def missing_order(provisions: list[ProvisionResult], questions: dict[str, Question]) -> MissingKey:
    """The interview's order (ADR 0011) as a sort key of a provision's missing fact: safety first,
    then `questions.rank` over the undetermined provisions that list it (gates, § 53, the most open
    provisions, statute order, the question file). One order for `screen`, its renderers and the
    interview."""
    by_path = path_order([(p.provision, p.status, [m.path for m in p.missing]) for p in provisions], questions)
    return lambda m, provision: by_path(m.path, provision)


Ranked = Callable[[str, tuple[str, ...]], tuple]  # `questions.rank` of a path, given its open provisions


def path_order(provisions: list[tuple[str, str, list[str]]], questions: dict[str, Question],
               ranked: Ranked | None = None) -> Callable[[str, str], tuple]:
    """`missing_order` on (provision, status, missing fact paths): the key of a path missing for
    a provision. ``ranked``: `questions.rank` with these questions and this order of provisions,
    remembered (`_Explanations.rank`)."""
    if ranked is None:
        order = {provision: i for i, (provision, _, _) in enumerate(provisions)}
        ranked = lambda path, open_provisions: rank(path, list(open_provisions), questions, order)  # noqa: E731
    open_: dict[str, tuple[str, ...]] = {}
    for provision, status, paths in provisions:
        if status == "undetermined":
            for path in paths:
                open_[path] = open_.get(path, ()) + (provision,)

    def key(path: str, provision: str) -> tuple:
        return (not path.startswith("safety."), ranked(path, open_.get(path) or (provision,)))
    return key


def rank_missing(provisions: list[ProvisionResult], questions: dict[str, Question]) -> list[ProvisionResult]:
    """Each provision's missing facts in the interview's order (`missing_order`)."""
    key = missing_order(provisions, questions)
    return [p if len(p.missing) < 2 else
            p.model_copy(update={"missing": sorted(p.missing, key=lambda m, pid=p.provision: key(m, pid))})
            for p in provisions]


def _items(case: Any, path: str) -> list[Any] | None:
    """The list at ``path`` (``permits``, ``abuse.incidents``), or None."""
    node: Any = case
    for part in path.split("."):
        node = getattr(node, part, None)
        if node is None:
            return None
    return node if isinstance(node, list) else None


def _in_items(case: Any, path: str) -> list[str]:
    """``permits[].valid_to`` as the items of a known list that lack it (``permits[1].valid_to``):
    one question per permit, never the same fact twice in two spellings; other paths as they are."""
    if "[]." not in path:
        return [path]
    head, field = path.rsplit("[].", 1)
    items = _items(case, head)
    if items is None or "[" in field:
        return [path]
    return [f"{head}[{i}].{field}" for i, item in enumerate(items) if not _given(item, field)]


def _given(case: Any, path: str) -> bool:
    """Whether the case states the field at ``path`` (``a.b``; ``permits[].valid_to``: in every
    item of a list the case gives; a list itself, ``permits``, is never 'given')."""
    if "[]." in path:
        head, field = path.rsplit("[].", 1)
        items = _items(case, head)
        return bool(items) and "[" not in field and all(_given(item, field) for item in items)
    if "[" in path:
        return False
    node: Any = case
    parts = path.split(".")
    for part in parts[:-1]:
        node = getattr(node, part, None)
        if node is None:
            return False
    last = parts[-1]
    value = getattr(node, last, None)
    if path == "relationship.cohabitation_ended":  # `true` (ended, day unknown) still lacks the day
        return last in node.model_fields_set and value is not True
    if isinstance(value, AtLeast):  # a lower bound that left the rule open still lacks the figure
        return False
    return last in getattr(node, "model_fields_set", set()) and value is not None


# --- the per-rule trace (ADR 0010) ---------------------------------------------------------------

EntryJSON = str  # one trace entry's canonical JSON


class _CaseFacts:
    """The facts one case gave the engine: each topic's fact, and each list's element facts in order."""

    def __init__(self, facts: list[dict[str, Any]]):
        self.topics: dict[str, dict[str, Any]] = {}
        self.items: dict[str, list[dict[str, Any]]] = {}
        for fact in facts:
            if fact["t"] == ITEM_FACT:
                self.items.setdefault(fact["l"], []).append(fact)
            else:
                self.topics[fact["t"]] = fact


class _Trace:
    """How the trace of one compiled law epoch is rebuilt from a case's conclusions and facts:
    one entry per rule in force and per condition part (``<rule>~when``, ``<rule>~assess``), in
    rule id order with a rule's parts before it. Shared by both languages."""

    def __init__(self, compiled: Compiled):
        metas: dict[str, list[RuleMeta]] = {}
        for meta in compiled.rules.values():
            metas.setdefault(meta.node, []).append(meta)
        self.rules = {node: _TraceRule(compiled, node, found) for node, found in metas.items()}
        order: list[str] = []
        for node_id in sorted(compiled.nodes):
            order += [part for part in (f"{node_id}~when", f"{node_id}~assess", node_id) if part in self.rules]
        order += sorted(set(self.rules) - set(order))
        self.order = [self.rules[node] for node in order]


def _exact(fact: dict[str, Any], name: str, attr: str) -> bool:
    """Whether ``fact`` holds the attribute as one value: a measured range (``<name>_lo``/``_hi``)
    only when both ends are the same."""
    return attr in fact and (attr == name or fact[attr] == fact.get(name + "_hi"))


def _measured(fact: dict[str, Any], attr: str) -> Any:
    """A measured range's value: one value, or [lowest, highest]; None when unknown."""
    lo, hi = fact.get(attr + "_lo"), fact.get(attr + "_hi")
    return None if lo is None else (lo if lo == hi else [lo, hi])


class _TraceRule:
    """One rule (or condition part) in the trace: what it read, as the case names it (``read``:
    the statuses of the rules it combines, or the case's facts it tested), its entry and the
    entry's canonical JSON, and the case fields whose absence left it undetermined (``missing``)."""

    def __init__(self, compiled: Compiled, node: str, metas: list[RuleMeta]):
        self.node, self.version = node, metas[0].key
        self.inputs = tuple(dict.fromkeys(i for meta in metas for i in meta.inputs))
        self.list = next((meta.list for meta in metas if meta.list), None)
        self.topic = next((meta.topic for meta in metas if meta.topic and meta.derive != "element"), None)
        self.reads = compiled.reads.get(node.split("~")[0], [])
        prefix = f"{self.list}[]."
        self.subs = [p[len(prefix):] for p in self.reads if p.startswith(prefix)]  # list element attributes
        self.fields = [(path, FACT_SPECS[path]) for path in self.reads
                       if self.topic is not None and self.list is None and "[]" not in path]
        self.head = f'{{"concluded":'
        self.tail = f',"rule":{encode_basestring(node)},"version":{encode_basestring(self.version)}}}'
        self._item_probes_found: list[tuple[str, str, tuple[str, ...]]] | None = None

    # -- what it read -----------------------------------------------------------------------------
    def read(self, conclusions: dict[str, str], facts: _CaseFacts) -> dict[str, Any]:
        if self.inputs:
            return {node: STATUS[conclusions[node]] for node in self.inputs}
        if self.list is not None:
            return self._list(facts)
        if self.topic is not None:
            fact = facts.topics.get(self.topic, {})
            return {path: _measured(fact, spec.attr) if spec.kind == "interval" else fact.get(spec.attr)
                    for path, spec in self.fields}
        return {}

    def _list(self, facts: _CaseFacts) -> dict[str, Any]:
        """The list's count, then each element's attributes the rule tests."""
        lst = self.list or ""
        count = FACT_SPECS[lst].count_attr or ""
        out: dict[str, Any] = {f"{lst} (count)": facts.topics.get(self.topic or "", {}).get(count)}
        for item in facts.items.get(lst, ()):
            out[f"{lst}[{item['i']}]"] = {sub: item.get(sub) if attr == sub else _measured(item, sub)
                                          for sub, attr, _ in self._item_probes()}
        return out

    # -- the entry and its JSON ---------------------------------------------------------------------
    def entry(self, value: str, read: dict[str, Any]) -> TraceEntry:
        if type(self.node) is str:
            return make_trace_entry(rule=self.node, version=self.version, concluded=STATUS[value], read=read)
        return TraceEntry(rule=self.node, version=self.version, concluded=STATUS[value], read=read)

    def encoded(self, value: str, read: dict[str, Any]) -> EntryJSON | None:
        """The entry's canonical JSON (keys sorted: concluded, read, rule, version); None if what
        it read is not plain JSON."""
        try:
            return f'{self.head}{encode_basestring(STATUS[value])},"read":{encode_json(read)}{self.tail}'
        except NotPlainJSON:
            return None

    # -- why it is undetermined -----------------------------------------------------------------------
    def missing(self, run: Run, facts: _CaseFacts) -> list[str]:
        """The case fields whose absence made this condition (part) conclude undetermined: absent
        from the fact it tested, or from the list elements that came out undetermined."""
        if self.inputs or self.topic is None:
            return []
        fact = facts.topics.get(self.topic, {})
        if self.list is None:
            if run.conclusions.get(self.node) != "U":
                return []
            probes = [(spec.attr + "_lo" if spec.kind == "interval" else spec.attr, source_paths(path))
                      for path, spec in self.fields]
            absent = [p for attr, paths in probes if attr not in fact for p in paths]
            if not absent:  # everything is there, so a measured range left it open: ask what settles it
                absent = [p for attr, paths in probes
                          if attr.endswith("_lo") and not _exact(fact, attr[:-3], attr) for p in paths]
            return absent
        out: list[str] = []
        if run.conclusions.get(self.node) == "U" and (FACT_SPECS[self.list].count_attr or "") not in fact:
            out += source_paths(self.list)  # the list itself is absent
        for item in facts.items.get(self.list, ()):
            if run.derived.get(("element", self.node, item["i"])) == "U":
                out += self._element_missing(item)
        return out

    def _element_missing(self, item: dict[str, Any]) -> list[str]:
        probes = self._item_probes()
        absent = [(sub, sources) for sub, attr, sources in probes if attr not in item]
        if not absent:  # everything is there, so a range of days left it open: ask for its date
            absent = [(sub, sources) for sub, attr, sources in probes if not _exact(item, sub, attr)]
        return [path.replace("[]", f"[{item['i']}]", 1) for _, sources in absent for path in sources]

    def _item_probes(self) -> list[tuple[str, str, tuple[str, ...]]]:
        """(element attribute as rules name it, as the fact holds it, the case fields that make it
        known) for each list-element attribute the rule reads. A measured one is made known by the
        fields it is measured from; a range (an interval) is held as ``<name>_lo``/``_hi``."""
        if self._item_probes_found is None:
            specs = FACT_SPECS[self.list or ""].item_specs
            self._item_probes_found = []
            for sub in self.subs:
                spec = specs.get(sub)
                attr = sub + "_lo" if spec is not None and spec.kind == "interval" else sub
                self._item_probes_found.append((sub, attr, spec.sources if spec else (f"{self.list}[].{sub}",)))
        return self._item_probes_found


# --- explanations --------------------------------------------------------------------------------

SharedModel = TypeVar("SharedModel", Citation, Reason, Warning)
Template = Union[str, tuple[str, ...]]  # filled text, or literals alternating with date placeholder names


class _Explanations:
    """What explaining needs that depends only on the rulebook, one compiled law epoch and the
    language, computed on first use and kept: nothing in it depends on a case."""

    def __init__(self, book: Rulebook, compiled: Compiled, lang: str, day: dt.date, trace: _Trace):
        self.book, self.compiled, self.lang, self._day, self.trace = book, compiled, lang, day, trace
        self.questions = load_questions(book.directory)
        nodes = compiled.nodes.values()
        self.roots = sorted((n for n in nodes if n.provision),
                            key=lambda n: (n.provision.order if n.provision else 0, n.id))
        self.notices = sorted((n for n in nodes if n.notice), key=lambda n: n.id)
        position = book.position
        self.referral_rules = sorted(
            (n for n in nodes if n.referral),
            key=lambda n: (URGENCY_RANK[n.referral.urgency], position[n.key]))  # type: ignore[union-attr]
        self.service_order = {sid: i for i, sid in enumerate(book.services)}
        self.notice_months = (book.parameter("application_notice_months", day)
                              if "application_notice_months" in book.parameters else None)
        self.unknown_date = "(ukjent dato)" if lang == "nb" else "(date unknown)"
        self._citations: dict[str, Citation] = {}
        self.json_memo: Memo = {}  # the JSON of the citations, reasons and warnings kept below
        self._templates: dict[tuple[str, str], Template | None] = {}
        self._reasons: dict[tuple[str, str], Reason] = {}
        self._warnings: dict[tuple[str, str], Warning] = {}
        self._notes: dict[str, list[str]] = {}
        self._questions: dict[str, str] = {}
        self._parts: dict[str, tuple[str, ...]] = {}
        self._root_order = {node.id: i for i, node in enumerate(self.roots)}  # a verdict's provisions
        self._ranks: dict[tuple[str, tuple[str, ...]], tuple] = {}
        self._services: dict[str, dict[str, Any]] = {}

    # -- texts -------------------------------------------------------------------------------------
    def citation(self, node: Node) -> Citation:
        found = self._citations.get(node.key)
        if found is None:
            cite = self.book.citation(node)
            law = self.book.meta.laws.get(cite["law"])
            url = lovdata_url(law.id, cite["section"]) if law and cite["kind"] in ("statute", "regulation") else None
            found = self._citations[node.key] = self._shared(Citation(
                text=self.book.cite(node, self.lang), quote=node.source.quote, confidence=node.source.confidence,
                rule=node.key, url=url, **cite))
        return found

    def _shared(self, model: SharedModel) -> SharedModel:
        """Keep ``model`` (immutable, shared by the verdicts of every case) with its JSON."""
        if PLAIN:
            self.json_memo[id(model)] = (model, encode(model, self.json_memo))
        return model

    def template(self, node: Node, status: str) -> Template | None:
        """The node's explanation for ``status`` with parameters filled in; None if it has none."""
        key = (node.key, status)
        if key in self._templates:
            return self._templates[key]
        text = getattr(node.explain, status)
        found = self._templates[key] = None if text is None else self._prepare(text.get(self.lang))
        return found

    def _prepare(self, template: str) -> Template:
        """Fill a template's parameters; keep its date placeholders (they depend on the case) as
        the odd items of a tuple, or return the finished text when it has none."""
        pieces = PLACEHOLDER.split(template)  # literal, name, literal, name, ..., literal
        out = [pieces[0]]
        for name, literal in zip(pieces[1::2], pieces[2::2]):
            if name in DATE_PLACEHOLDERS:
                out += [name, literal]
            else:
                out[-1] += self._parameter_text(name) + literal
        return out[0] if len(out) == 1 else tuple(out)

    def _parameter_text(self, name: str) -> str:
        param: ResolvedParameter | None = self.compiled.params.get(name) or self.book.parameter(name, self._day)
        if param is None:
            return "{" + name + "}"
        number = param.value
        text = f"{number:,.0f}" if number == int(number) else f"{number:,.1f}"
        return text.replace(",", "\u00a0") if self.lang == "nb" else text

    def fill(self, template: Template, dates: dict[str, dt.date]) -> str:
        if isinstance(template, str):
            return template
        out = list(template)
        for i in range(1, len(out), 2):
            day = dates.get(out[i])
            out[i] = day.isoformat() if day else self.unknown_date
        return "".join(out)

    def text(self, node: Node, status: str, dates: dict[str, dt.date]) -> str | None:
        template = self.template(node, status)
        return None if template is None else self.fill(template, dates)

    def reason_text(self, node: Node, status: str, dates: dict[str, dt.date]) -> str:
        """A reason's text: the rule's explanation, else its title and the status."""
        return (self.text(node, status, dates)
                or f"{node.title.get(self.lang)}: {headline(status, 'entitlement', self.lang).lower()}")

    def reason(self, node: Node, status: str, dates: dict[str, dt.date]) -> Reason:
        key = (node.key, status)
        found = self._reasons.get(key)
        if found is not None:
            return found
        text = self.reason_text(node, status, dates)
        reason = Reason(rule=node.key, status=status, text=text, citation=self.citation(node))  # type: ignore[arg-type]
        if not isinstance(self.template(node, status), tuple):  # the same for every case
            self._reasons[key] = self._shared(reason)
        return reason

    def warning(self, node: Node, status: str, dates: dict[str, dt.date]) -> Warning:
        key = (node.key, status)
        found = self._warnings.get(key)
        if found is not None:
            return found
        level = node.notice.level  # type: ignore[union-attr]
        warning = Warning(id=node.id, level=level, text=self.text(node, status, dates) or "",
                          citation=self.citation(node))
        if not isinstance(self.template(node, status), tuple):
            self._warnings[key] = self._shared(warning)
        return warning

    def rank(self, path: str, open_provisions: tuple[str, ...]) -> tuple:
        """`questions.rank` of a missing fact among a verdict's provisions, remembered: it depends
        on the case only through its arguments (`path_order`)."""
        key = (path, open_provisions)
        found = self._ranks.get(key)
        if found is None:
            if len(self._ranks) >= 4096:
                self._ranks.clear()
            found = self._ranks[key] = rank(path, list(open_provisions), self.questions, self._root_order)
        return found

    def notes(self, node_id: str) -> list[str]:
        """The notes of an uncertain (UNVERIFIED) rule."""
        found = self._notes.get(node_id)
        if found is None:
            found = self._notes[node_id] = [t.get(self.lang) for t in self.compiled.uncertain[node_id]]
        return found

    def parts(self, node_id: str) -> tuple[str, ...]:
        """The rule and its condition parts (the engine concludes on each separately)."""
        found = self._parts.get(node_id)
        if found is None:
            found = self._parts[node_id] = (node_id, f"{node_id}~when", f"{node_id}~assess")
        return found

    def question(self, path: str) -> str:
        """The question to ask for a missing case field (the path itself if there is none)."""
        found = self._questions.get(path)
        if found is None:
            q = nearest_question(re.sub(r"\[\d+\]", "[]", path), self.book.directory)
            found = q[self.lang]
            if len(self._questions) < 4096:
                self._questions[path] = found
        return found

    def service(self, sid: str) -> dict[str, Any]:
        """A referral's fields that come from the services catalogue."""
        found = self._services.get(sid)
        if found is None:
            service = self.book.services[sid]
            basis = service.basis
            law = basis.law or "utlendingsloven"
            found = self._services[sid] = dict(
                name=service.name.get(self.lang),
                basis=self.book.cite_source(basis, self.lang, law),
                basis_quote=basis.quote, basis_confidence=basis.confidence, does=service.does.get(self.lang),
                contact=service.contact.get(self.lang), cost=service.cost.get(self.lang),
                referral_needed=service.referral_needed)
        return found


class _Explainer:
    """The explanation of one case: its engine run read through the epoch's `_Explanations`."""

    def __init__(self, explanations: _Explanations, run: Run, facts: list[dict[str, Any]]):
        self.ex, self.run, self.facts = explanations, run, _CaseFacts(facts)
        self.compiled, self.lang = explanations.compiled, explanations.lang
        self.conclusions = run.conclusions
        self._missing: dict[str, list[str]] = {}
        self.dates: dict[str, dt.date] = {}

    # -- pieces ------------------------------------------------------------------------------
    def status(self, node_id: str, negated: bool = False) -> str:
        value = self.conclusions.get(node_id)
        if value is None:  # every node concludes exactly one value; anything else is a bug
            raise RuntimeError(f"no conclusion for rule '{node_id}'")
        return STATUS[NEG[value] if negated else value]

    # -- the walk under one provision ----------------------------------------------------------
    def walk(self, node_id: str, negated: bool, seen: set[str], out: list[tuple[Node, str, str]]) -> None:
        """Collect (rule, its own status, its effect on the provision) for the rules that explain
        a value: the inputs of ``all`` (only the settled ones once it is not met); for ``any``,
        only the inputs that made it met, or all of them when it is not met. The effect differs
        from the status under ``{not: rule}``."""
        if node_id in seen:
            return
        seen.add(node_id)
        node = self.compiled.nodes[node_id]
        own = self.status(node_id)
        out.append((node, own, self.status(node_id, negated)))
        refs = self.compiled.refs.get(node_id, [])
        if node.any is not None and own == "met":
            refs = [(r, n) for r, n in refs if self.status(r, n) == "met"]
        elif node.all is not None and own == "not_met":  # settled: open inputs cannot matter
            refs = [(r, n) for r, n in refs if self.status(r, n) in ("met", "not_met")]
        for ref, neg in refs:
            self.walk(ref, neg != negated, seen, out)

    def missing(self, node_id: str) -> list[str]:
        """Case fields whose absence made a condition undetermined: attributes absent from the
        fact it tested, or from the list elements that came out undetermined."""
        found = self._missing.get(node_id)
        if found is None:
            out: list[str] = []
            rules = self.ex.trace.rules
            for part in self.ex.parts(node_id):
                if part in rules:
                    out.extend(rules[part].missing(self.run, self.facts))
            found = self._missing[node_id] = list(dict.fromkeys(
                item for p in dict.fromkeys(out) if not _given(self.case, p) and not self._awaits_list(p, out)
                for item in _in_items(self.case, p)))
        return found

    def _awaits_list(self, path: str, listed: list[str]) -> bool:
        """An item's field of a list the case does not give waits for the list's own question
        ("has she had a permit?" before "until when is the permit valid?")."""
        head = path.split("[]")[0]
        return "[]." in path and head in listed and _items(self.case, head) is None

    def provision(self, node: Node) -> ProvisionResult:
        ex = self.ex
        status = self.status(node.id)
        kind = node.provision.kind if node.provision else "entitlement"
        collected: list[tuple[Node, str, str]] = []
        self.walk(node.id, False, set(), collected)
        reasons, failed, notes = [], [], []
        missing: dict[str, MissingFact] = {}
        for child, own, effect in collected:
            if child is node:
                continue
            explained = ex.template(child, own) is not None  # rules without a text are steps
            if effect in ("met", "needs_assessment") and explained:
                reasons.append(ex.reason(child, own, self.dates))
            elif effect == "not_met" and explained:
                failed.append(ex.reason(child, own, self.dates))
            elif own == "undetermined" and child.when is not None:
                for path in self.missing(child.id):
                    entry = missing.get(path)
                    needed = (entry.needed_for if entry else []) + [child.key]
                    missing[path] = make_missing_fact(path=path, question=ex.question(path), needed_for=needed)
            if own == "needs_assessment" and child.id in self.compiled.uncertain:
                notes.extend(ex.notes(child.id))
        not_yet = becomes_met_when(self.compiled, self.status, node.id)
        return make_provision_result(
            provision=node.id,
            title=node.title.get(self.lang),
            status=status,  # type: ignore[arg-type]
            kind=kind,
            headline=(not_yet_headline(self.compiled, not_yet, kind, self.lang) if not_yet
                      else headline(status, kind, self.lang)),
            explanation=ex.text(node, status, self.dates) or "",
            citation=ex.citation(node),
            reasons=reasons,
            failed=failed,
            missing=safety_first(missing.values()),
            notes=list(dict.fromkeys(notes)),
            becomes_met_when=not_yet,
        )

    def warnings(self) -> list[Warning]:
        out = []
        for node in self.ex.notices:
            status = self.status(node.id)
            if node.notice is not None and status in node.notice.show_when:
                out.append(self.ex.warning(node, status, self.dates))
        out.sort(key=lambda w: (WARNING_RANK[w.level], w.id))
        return out

    def referrals(self) -> list[Referral]:
        """One suggestion per service, at the most urgent level any rule asked for, with every
        reason; ordered by urgency, then by the catalogue's order (emergency services first)."""
        rank = URGENCY_RANK
        merged: dict[str, dict[str, Any]] = {}
        for node in self.ex.referral_rules:
            rule = node.referral
            status = self.status(node.id)
            if rule is None or status not in rule.show_when:
                continue
            entry = merged.setdefault(rule.service, {"urgency": rule.urgency, "reasons": [], "rules": []})
            if rank[rule.urgency] < rank[entry["urgency"]]:
                entry["urgency"] = rule.urgency
            entry["reasons"].append(self.ex.text(node, status, self.dates) or "")
            entry["rules"].append(node.key)
        out = []
        for sid, entry in merged.items():
            out.append(make_referral(
                service=sid, urgency=entry["urgency"], reason=" ".join(dict.fromkeys(r for r in entry["reasons"] if r)),
                triggered_by=entry["rules"], **self.ex.service(sid)))
        order = self.ex.service_order
        out.sort(key=lambda r: (rank[r.urgency], order[r.service], r.service))
        return out

    def trace(self) -> list[TraceEntry]:
        """One entry per rule in force and condition part: its conclusion and what it read."""
        conclusions, facts = self.conclusions, self.facts
        return [rule.entry(conclusions[rule.node], rule.read(conclusions, facts)) for rule in self.ex.trace.order]

    def trace_json(self) -> tuple[EntryJSON, ...] | None:
        """Each trace entry's canonical JSON (see `Screening`); None if an entry holds a value
        that is not plain JSON."""
        conclusions, facts = self.conclusions, self.facts
        texts = tuple([rule.encoded(conclusions[rule.node], rule.read(conclusions, facts))
                       for rule in self.ex.trace.order])
        return None if None in texts else texts  # type: ignore[return-value]

    def _read_dates(self, case: Case, day: dt.date) -> None:
        """The case's dates the texts name: the current permit's expiry and the apply-by date."""
        self.case = case
        permit = current_permit(case.permits, day)
        notice = self.ex.notice_months
        if permit is not None and permit.valid_to is not None:
            self.dates["permit_expires"] = permit.valid_to
            if notice is not None:
                self.dates["apply_by"] = add_months(permit.valid_to, -int(notice.value))

    def explain(self, case: Case, day: dt.date, encode: bool = False, trace: bool = True) -> Screening:
        self._read_dates(case, day)
        warnings = self.warnings() + future_dated(case, day, self.lang)
        warnings.sort(key=lambda w: WARNING_RANK[w.level])  # stable: safety first, then in schema order
        case_json = None
        if encode:
            try:
                case_json = _case_json(case, allow_nan=False)
                digest = hashlib.sha256(case_json.encode()).hexdigest()
            except ValueError:  # not strict JSON (NaN): the receipt will say so
                digest = case_digest(case)
        else:
            digest = case_digest(case)
        provisions = rank_missing([self.provision(n) for n in self.ex.roots], self.ex.questions)
        referrals = self.referrals()
        # Validated only if a value may not have its field's type (the language comes from the caller).
        build = make_verdict if self.lang in ("nb", "en") and type(case.case_id) is str else Verdict
        outline = dict(
            case_id=case.case_id,
            assessment_date=day.isoformat(),
            lang=self.lang,
            engine_version=__version__,
            rules_version=self.ex.book.version,
            rules_digest=self.ex.book.digest,
            case_digest=digest,
            provisions=provisions,
            warnings=warnings,
            referrals=referrals,
            apply_by=self.dates["apply_by"].isoformat() if "apply_by" in self.dates else None,
        )
        if not encode:
            return Screening(build(**outline, trace=self.trace()))
        trace_json = self.trace_json() if trace else None
        return Screening(build(**outline, trace=[]), trace_json, case_json, self.trace, self.ex.json_memo)

    # -- what a batch stores (`Screener.outcome`) ---------------------------------------------------
    def outcome(self, case: Case, day: dt.date) -> Outcome:
        """`Outcome.of` the verdict, read from the run: the same walks as `provision`, `referrals`
        and `rank_missing`, without their texts and objects."""
        self._read_dates(case, day)
        rows, opened, not_yet, reasons = [], [], {}, {}
        for node in self.ex.roots:
            status = self.status(node.id)
            kind = node.provision.kind if node.provision else "entitlement"
            collected: list[tuple[Node, str, str]] = []
            self.walk(node.id, False, set(), collected)
            collected = [c for c in collected if c[0] is not node]
            paths = dict.fromkeys(path for child, own, _ in collected if own == "undetermined" and child.when is not None
                                  for path in self.missing(child.id))
            rows.append((node.id, node.title.get(self.lang), status, kind))
            opened.append((node.id, status, sorted(paths, key=lambda p: not p.startswith("safety."))))
            if status == "not_met" and (keys := becomes_met_when(self.compiled, self.status, node.id)):
                not_yet[node.id] = {"headline": not_yet_headline(self.compiled, keys, kind, self.lang),
                                    "rules": [k.split("@")[0] for k in keys]}
            elif status == "needs_assessment":
                reasons[node.id] = self._assessment_note(node, status, kind, collected)
        key = path_order(opened, self.ex.questions, self.ex.rank)
        missing = tuple((pid, tuple(sorted(paths, key=lambda p, pid=pid: key(p, pid)) if len(paths) > 1 else paths))
                        for pid, _, paths in opened if paths)
        return Outcome(assessment_date=day.isoformat(),
                       apply_by=self.dates["apply_by"].isoformat() if "apply_by" in self.dates else None,
                       provisions=tuple(rows), missing=missing, referrals=self.referral_rows(),
                       notes=notes_of(not_yet, reasons))

    def _assessment_note(self, node: Node, status: str, kind: str, collected: list[tuple[Node, str, str]]) -> str:
        """Why a provision needs assessment (`outcome.summary_notes`): its first note, else its
        first reason needing assessment, else its explanation, else its headline."""
        ex = self.ex
        for child, own, _ in collected:
            if own == "needs_assessment" and child.id in self.compiled.uncertain and ex.notes(child.id):
                return ex.notes(child.id)[0]
        for child, own, effect in collected:
            if own == "needs_assessment" and effect in ("met", "needs_assessment") and ex.template(child, own) is not None:
                return ex.reason_text(child, own, self.dates)
        return ex.text(node, status, self.dates) or headline(status, kind, self.lang)

    def referral_rows(self) -> tuple[tuple[str, str | None, str], ...]:
        """(service, name, urgency) of `referrals`, in its order."""
        rank = URGENCY_RANK
        merged: dict[str, str] = {}
        for node in self.ex.referral_rules:
            rule = node.referral
            if rule is None or self.status(node.id) not in rule.show_when:
                continue
            if rule.service not in merged or rank[rule.urgency] < rank[merged[rule.service]]:
                merged[rule.service] = rule.urgency
        order = self.ex.service_order
        ranked = sorted(merged.items(), key=lambda r: (rank[r[1]], order[r[0]], r[0]))
        return tuple((sid, self.ex.service(sid)["name"], urgency) for sid, urgency in ranked)
