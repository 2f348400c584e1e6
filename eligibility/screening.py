"""Screen one case: facts in, explained verdicts out.

All inference happens in the rule engine (`adapter`). This module only orchestrates: it picks the
law in force on the assessment date, hands the case's facts to the engine, and turns the engine's
conclusions and firing trace into a `Verdict` explained with the rules' reviewed templates.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from pathlib import Path
from typing import Any

from . import __version__
from .adapter import Engine, Firing, Run
from .case import Case, question
from .compiler import MISSING_LIST, STATUS, Compiled, compile_rulebook
from .facts import FACT_SPECS, add_months, case_facts, current_permit, source_paths
from .rulebook import DATE_PLACEHOLDERS, PLACEHOLDER, Node, Rulebook, format_cite, load_rulebook
from .verdict import Citation, MissingFact, ProvisionResult, Reason, Referral, TraceEntry, Verdict, Warning

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


def headline(status: str, kind: str, lang: str) -> str:
    return HEADLINE.get((status, kind), HEADLINE.get((status, None), {})).get(lang, status)


def canonical_json(data: Any) -> str:
    return json.dumps(data, sort_keys=True, ensure_ascii=False, indent=2) + "\n"


def case_digest(case: Case) -> str:
    payload = json.dumps(case.model_dump(mode="json", exclude_unset=True), sort_keys=True,
                         ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()


class Screener:
    """Holds one rulebook and one engine; screens cases one after the other."""

    def __init__(self, rules_dir: Path | None = None, engine: Engine | None = None):
        self.book: Rulebook = load_rulebook(rules_dir)
        self.engine = engine or Engine()
        self._compiled: dict[tuple[frozenset[str], frozenset[tuple[str, Any]]], Compiled] = {}
        self._by_day: dict[dt.date, Compiled] = {}  # bounded memo: the epoch key costs ~80 µs a case

    def compiled(self, day: dt.date) -> Compiled:
        """The rules in force on ``day``, compiled once per law epoch (the same rule versions and
        parameter values), so any number of assessment dates costs one compile per change in law."""
        if day in self._by_day:
            return self._by_day[day]
        params = frozenset((pid, max((v.valid_from for v in p.values if v.valid_from <= day), default=None))
                           for pid, p in self.book.parameters.items())
        key = (frozenset(n.key for n in self.book.in_force(day).values()), params)
        if key not in self._compiled:
            self._compiled[key] = compile_rulebook(self.book, day)
        if len(self._by_day) >= 4096:
            self._by_day.clear()
        self._by_day[day] = self._compiled[key]
        return self._compiled[key]

    def screen(self, case: Case, as_of: dt.date | None = None, lang: str = "en") -> Verdict:
        day = as_of or case.assessment_date or dt.date.today()
        compiled = self.compiled(day)
        run = self.engine.run(compiled, case_facts(case, day))
        return _Explainer(self.book, compiled, run, lang).verdict(case, day)


def _given(case: Case, path: str) -> bool:
    """Whether the case states the field at ``path`` (``a.b``; list paths are never 'given')."""
    if "[" in path:
        return False
    node: Any = case
    parts = path.split(".")
    for part in parts[:-1]:
        node = getattr(node, part, None)
        if node is None:
            return False
    last = parts[-1]
    return last in getattr(node, "model_fields_set", set()) and (
        getattr(node, last, None) is not None or path == "relationship.cohabitation_ended")


class _Explainer:
    def __init__(self, book: Rulebook, compiled: Compiled, run: Run, lang: str):
        self.book, self.compiled, self.run, self.lang = book, compiled, run, lang
        self.firings_of: dict[str, list[Firing]] = {}  # rule (or condition part) -> its firings, in order
        for firing in run.firings:
            self.firings_of.setdefault(firing.node, []).append(firing)

    # -- pieces ------------------------------------------------------------------------------
    def status(self, node_id: str, negated: bool = False) -> str:
        value = self.run.conclusions.get(node_id)
        if value is None:  # every node concludes exactly one value; anything else is a bug
            raise RuntimeError(f"no conclusion for rule '{node_id}'")
        return STATUS[NEG[value] if negated else value]

    def citation(self, node: Node) -> Citation:
        cite = self.book.citation(node)
        return Citation(text=self.book.cite(node, self.lang), quote=node.source.quote,
                        confidence=node.source.confidence, rule=node.key, **cite)

    def fill(self, template: str) -> str:
        def value(match: Any) -> str:
            name = match.group(1)
            if name in DATE_PLACEHOLDERS:
                day = self.dates.get(name)
                return day.isoformat() if day else ("(ukjent dato)" if self.lang == "nb" else "(date unknown)")
            param = self.compiled.params.get(name) or self.book.parameter(name, self._day)
            if param is None:
                return match.group(0)
            number = param.value
            text = f"{number:,.0f}" if number == int(number) else f"{number:,.1f}"
            return text.replace(",", "\u00a0") if self.lang == "nb" else text
        return PLACEHOLDER.sub(value, template)

    def text(self, node: Node, status: str) -> str | None:
        template = getattr(node.explain, status)
        if template is None:
            return None
        return self.fill(template.get(self.lang))

    def reason(self, node: Node, status: str) -> Reason:
        text = self.text(node, status) or f"{node.title.get(self.lang)}: {headline(status, 'entitlement', self.lang).lower()}"
        return Reason(rule=node.key, status=status, text=text, citation=self.citation(node))

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
        out.append((node, self.status(node_id), self.status(node_id, negated)))
        refs = self.compiled.refs.get(node_id, [])
        if node.any is not None and self.status(node_id) == "met":
            refs = [(r, n) for r, n in refs if self.status(r, n) == "met"]
        elif node.all is not None and self.status(node_id) == "not_met":  # settled: open inputs cannot matter
            refs = [(r, n) for r, n in refs if self.status(r, n) in ("met", "not_met")]
        for ref, neg in refs:
            self.walk(ref, neg != negated, seen, out)

    def missing(self, node_id: str) -> list[str]:
        """Case fields whose absence made a condition undetermined: attributes absent from the
        fact it tested, or from the list elements that came out undetermined."""
        parts = (node_id, f"{node_id}~when", f"{node_id}~assess")
        reads = self.compiled.reads.get(node_id, [])
        out: list[str] = []
        for firing in (f for part in parts for f in self.firings_of.get(part, ())):
            meta = self.compiled.rules[firing.rule]
            if firing.value != "U" or "m" not in firing.matched:
                continue
            fact = firing.matched["m"]
            if meta.derive == "element":
                prefix = f"{meta.list}[]."
                out.extend(f"{meta.list}[{fact['i']}].{p[len(prefix):]}" for p in reads
                           if p.startswith(prefix) and p[len(prefix):] not in fact)
            elif meta.name.endswith(MISSING_LIST):  # the list itself is absent
                out.extend(source_paths(meta.list or ""))
            elif meta.list is None:
                for path in reads:
                    if "[]" in path:
                        continue
                    spec = FACT_SPECS[path]
                    attr = spec.attr + "_lo" if spec.kind == "interval" else spec.attr
                    if attr not in fact:
                        out.extend(source_paths(path))
        return [p for p in dict.fromkeys(out) if not _given(self.case, p)]

    def provision(self, node: Node) -> ProvisionResult:
        status = self.status(node.id)
        kind = node.provision.kind if node.provision else "entitlement"
        collected: list[tuple[Node, str, str]] = []
        self.walk(node.id, False, set(), collected)
        reasons, failed, notes = [], [], []
        missing: dict[str, MissingFact] = {}
        for child, own, effect in collected:
            if child is node:
                continue
            explained = self.text(child, own) is not None  # rules without a text are steps
            if effect in ("met", "needs_assessment") and explained:
                reasons.append(self.reason(child, own))
            elif effect == "not_met" and explained:
                failed.append(self.reason(child, own))
            elif own == "undetermined" and child.when is not None:
                for path in self.missing(child.id):
                    q = question(re.sub(r"\[\d+\]", "[]", path)) or {"en": path, "nb": path}
                    entry = missing.get(path)
                    needed = (entry.needed_for if entry else []) + [child.key]
                    missing[path] = MissingFact(path=path, question=q[self.lang], needed_for=needed)
            if own == "needs_assessment" and child.id in self.compiled.uncertain:
                notes.extend(t.get(self.lang) for t in self.compiled.uncertain[child.id])
        return ProvisionResult(
            provision=node.id,
            title=node.title.get(self.lang),
            status=status,  # type: ignore[arg-type]
            kind=kind,
            headline=headline(status, kind, self.lang),
            explanation=self.text(node, status) or "",
            citation=self.citation(node),
            reasons=reasons,
            failed=failed,
            missing=list(missing.values()),
            notes=list(dict.fromkeys(notes)),
        )

    def referrals(self) -> list[Referral]:
        """One suggestion per service, at the most urgent level any rule asked for, with every
        reason; ordered by urgency, then by the catalogue's order (emergency services first)."""
        rank = {"now": 0, "soon": 1, "planned": 2}
        order = {sid: i for i, sid in enumerate(self.book.services)}
        position = self.book.position
        merged: dict[str, dict[str, Any]] = {}
        nodes = (n for n in self.compiled.nodes.values() if n.referral)
        for node in sorted(nodes, key=lambda n: (rank[n.referral.urgency], position[n.key])):  # type: ignore[union-attr]
            rule = node.referral
            status = self.status(node.id)
            if rule is None or status not in rule.show_when:
                continue
            entry = merged.setdefault(rule.service, {"urgency": rule.urgency, "reasons": [], "rules": []})
            if rank[rule.urgency] < rank[entry["urgency"]]:
                entry["urgency"] = rule.urgency
            entry["reasons"].append(self.text(node, status) or "")
            entry["rules"].append(node.key)
        out = []
        for sid, entry in merged.items():
            service = self.book.services[sid]
            basis = service.basis
            law = basis.law or "utlendingsloven"
            short = self.book.meta.laws[law].short.get(self.lang)
            out.append(Referral(
                service=sid, name=service.name.get(self.lang), urgency=entry["urgency"],
                reason=" ".join(dict.fromkeys(r for r in entry["reasons"] if r)),
                basis=format_cite(short, basis.section or "", basis.ledd, basis.bokstav, self.lang),
                basis_quote=basis.quote, basis_confidence=basis.confidence, does=service.does.get(self.lang), contact=service.contact.get(self.lang),
                cost=service.cost.get(self.lang), referral_needed=service.referral_needed, triggered_by=entry["rules"]))
        out.sort(key=lambda r: (rank[r.urgency], order[r.service], r.service))
        return out

    def trace(self) -> list[TraceEntry]:
        """Every firing in order, with the facts it matched named as the case names them."""
        out = []
        for firing in self.run.firings:
            meta = self.compiled.rules[firing.rule]
            out.append(TraceEntry(rule=firing.rule, version=meta.key, concluded=STATUS[firing.value],  # type: ignore[arg-type]
                                  matched=self._matched(meta, firing), derived=firing.derived))
        return out

    def _matched(self, meta: Any, firing: Firing) -> dict[str, Any]:
        node = meta.node.split("~")[0]
        reads = self.compiled.reads.get(node, [])
        if meta.derive == "element":
            item = firing.matched["m"]
            prefix = f"{meta.list}[]."
            return {f"{meta.list}[{item['i']}]": {p[len(prefix):]: item.get(p[len(prefix):])
                                                  for p in reads if p.startswith(prefix)}}
        if meta.derive == "step":
            acc, element = firing.matched["a"], firing.matched["e"]
            return {f"{meta.list}[:{acc['i']}]": STATUS[acc["v"]], f"{meta.list}[{element['i']}]": STATUS[element["v"]]}
        if meta.list is not None:  # start, end, or the list is unknown
            count = FACT_SPECS[meta.list].count_attr or ""
            matched: dict[str, Any] = {f"{meta.list} (count)": firing.matched["m"].get(count)}
            if "a" in firing.matched:
                matched[f"{meta.list}[:{firing.matched['a']['i']}]"] = STATUS[firing.matched["a"]["v"]]
            return matched
        if meta.topic is not None:
            fact = firing.matched.get("m", {})
            values: dict[str, Any] = {}
            for path in reads:
                spec = FACT_SPECS[path]
                if spec.kind == "interval":
                    lo, hi = fact.get(spec.attr + "_lo"), fact.get(spec.attr + "_hi")
                    values[path] = None if lo is None else (lo if lo == hi else [lo, hi])
                else:
                    values[path] = fact.get(spec.attr)
            return values
        return {fact["n"]: STATUS[fact["v"]] for fact in firing.matched.values()}

    def verdict(self, case: Case, day: dt.date) -> Verdict:
        self._day = day
        self.case = case
        self.dates: dict[str, dt.date] = {}
        permit = current_permit(case.permits, day)
        notice = self.book.parameter("application_notice_months", day) if "application_notice_months" in self.book.parameters else None
        if permit is not None and permit.valid_to is not None:
            self.dates["permit_expires"] = permit.valid_to
            if notice is not None:
                self.dates["apply_by"] = add_months(permit.valid_to, -int(notice.value))
        roots = sorted((n for n in self.compiled.nodes.values() if n.provision),
                       key=lambda n: (n.provision.order if n.provision else 0, n.id))
        warnings = []
        for node in sorted((n for n in self.compiled.nodes.values() if n.notice), key=lambda n: n.id):
            status = self.status(node.id)
            if node.notice is not None and status in node.notice.show_when:
                warnings.append(Warning(id=node.id, level=node.notice.level, text=self.text(node, status) or "",
                                        citation=self.citation(node)))
        warnings.sort(key=lambda w: ({"safety": 0, "warning": 1, "info": 2}[w.level], w.id))
        return Verdict(
            case_id=case.case_id,
            assessment_date=day.isoformat(),
            lang=self.lang,  # type: ignore[arg-type]
            engine_version=__version__,
            rules_version=self.book.version,
            rules_digest=self.book.digest,
            case_digest=case_digest(case),
            provisions=[self.provision(n) for n in roots],
            warnings=warnings,
            referrals=self.referrals(),
            trace=self.trace(),
        )
