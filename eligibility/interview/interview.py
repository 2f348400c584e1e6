"""Interview mode (issue 12): ask only the facts that matter, safety first, never lose an answer.

The loop is: screen what is known (the durable engine, as everywhere on the production path), take
the facts the screening lists as missing (ADR 0009: only facts some value could change), order them
(ADR 0011: safety, gates, § 53, how many open provisions each can still change, sensitive last,
statute order), confirm the first by screening again with each of its answers, ask it, journal the
answer, and screen again. Question texts, who answers and the flags come from
``rules/questions.yaml`` (data); this module has no question text of its own.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Iterable

from pydantic import ValidationError

from ..model.case import Case
from ..model.identifiers import guard_message, scan_case
from .journal import ANSWER, BACK, DECLINED, DONT_KNOW, Journal, State
from ..explain.screening import Screener
from ..model.questions import (KEY_PROVISION, Question, choice_label, load_questions, rank,  # noqa: F401
                               template)
from ..explain.verdict import Verdict

SAFETY_ORDER = ("safety.immediate_danger", "safety.lives_with_abuser", "safety.children_in_household",
                "safety.at_shelter")
LIST_PARENTS = ("abuse.incidents", "permits")  # asked as yes/no: yes opens one item, no is an empty list
_ITEM = re.compile(r"(\w+)\[(\d+)\]")
TRY = 1  # relevant candidates compared by how much they settle: 3 saved 0.5 of 29.4 questions and
# doubled the p95 from an answer to the next question past 100 ms (ADR 0011 Measurements), so 1


def _parks(q: Question | None) -> bool:
    return q is not None and q.gate and q.parks


# --- the case the answers make ----------------------------------------------------------------------

def _set(data: dict[str, Any], path: str, value: Any) -> bool:
    """Put ``value`` at ``path`` (``a.b``, ``a.list[0].c``) in ``data``; False if its list item is
    not there (its parent was answered "no", or changed)."""
    parts = path.split(".")
    node: Any = data
    for part in parts[:-1]:
        m = re.fullmatch(r"(\w+)\[(\d+)\]", part)
        if m:
            items = node.get(m.group(1))
            if not isinstance(items, list) or int(m.group(2)) >= len(items):
                return False
            node = items[int(m.group(2))]
        else:
            node = node.setdefault(part, {})
    last = parts[-1]
    item = _ITEM.fullmatch(last)
    if item:  # "another item?": yes opens item i, which must be the next one
        items = node.get(item.group(1))
        if not isinstance(items, list) or len(items) < int(item.group(2)):
            return False
        if value is True and len(items) == int(item.group(2)):
            items.append({})
        return True
    if path in LIST_PARENTS:
        value = [{}] if value is True else [] if value is False else value
    node[last] = value
    return True


def build_case(base: dict[str, Any], answers: dict[str, Any], skip: Iterable[str] = ()) -> tuple[dict[str, Any], list[str]]:
    """The case data the answers make (parents before list items), and the answers that no longer
    apply because their list item is gone."""
    import copy

    data = copy.deepcopy(base)
    unused: list[str] = []
    skipped = set(skip)
    for path in sorted(answers, key=lambda p: (p.count("["), p.count("."), p)):  # lists, items, fields
        if path in skipped:
            continue
        if not _set(data, path, answers[path]):
            unused.append(path)
    return data, unused


# --- relevance and order (ADR 0011) ----------------------------------------------------------------

def statuses(verdict: Verdict) -> dict[str, str]:
    return {p.provision: p.status for p in verdict.provisions}


def _fingerprint(verdict: Verdict) -> dict[str, tuple[str, tuple[str, ...]]]:
    return {p.provision: (p.status, tuple(m.path for m in p.missing)) for p in verdict.provisions}


def candidates(verdict: Verdict, data: dict[str, Any], parked: set[str] = frozenset(),
               gates: set[str] = frozenset()) -> dict[str, list[str]]:
    """Missing fact -> the open provisions it can still change, in statute order. A list-item
    field without an index is given to every item that lacks it. A parked provision asks only its
    other ``gates``: one of them can still settle it (a marriage settles § 41)."""
    out: dict[str, list[str]] = {}
    for p in verdict.provisions:
        if p.status != "undetermined":
            continue
        for m in p.missing:
            if p.provision in parked and template(m.path) not in gates:
                continue
            for path in _item_paths(m.path, data):
                out.setdefault(path, []).append(p.provision)
    return out


def _item_paths(path: str, data: dict[str, Any]) -> list[str]:
    """``permits[].basis`` -> the items that lack it, in order (``permits[1].basis``); other
    paths as they are."""
    if "[]" not in path:
        return [path]
    parent, field = path.split("[]", 1)
    items = _lookup(data, parent)
    if not isinstance(items, list):
        return []
    return [f"{parent}[{i}]{field}" for i, item in enumerate(items)
            if isinstance(item, dict) and field.lstrip(".") not in item]


def _lookup(data: dict[str, Any], path: str) -> Any:
    node: Any = data
    for part in path.split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node


def _lookup_item(data: dict[str, Any], path: str) -> Any:
    """The value at ``path``, list items included (``abuse.incidents[1].date``); None if absent."""
    node: Any = data
    for part in re.split(r"\.|(?=\[)", path):
        m = re.fullmatch(r"\[(\d+)\]", part)
        if m:
            node = node[int(m.group(1))] if isinstance(node, list) and int(m.group(1)) < len(node) else None
        else:
            node = node.get(part) if isinstance(node, dict) else None
        if node is None:
            return None
    return node


def safety_needed(data: dict[str, Any]) -> bool:
    """Safety first whenever abuse is mentioned or its absence is unknown (issue 12 point 2)."""
    return _lookup(data, "abuse.incidents") != []


class Interview:
    """One interview: a journal, what it makes of the case, and which question comes next."""

    def __init__(self, screener: Screener, journal: Journal, questions: dict[str, Question],
                 base: dict[str, Any], as_of: dt.date, lang: str):
        self.screener, self.journal, self.questions = screener, journal, questions
        self.base, self.as_of, self.lang = base, as_of, lang
        self.state: State = journal.state()
        self.stale: list[str] = []
        self.data: dict[str, Any] = {}
        self.verdict: Verdict | None = None
        self._irrelevant: set[str] = set()
        self._item_cache: dict[str, list[str]] = {}
        self._tried: dict[tuple[str, str], dict[str, tuple[str, tuple[str, ...]]] | None] = {}
        self.refresh()

    # -- state ------------------------------------------------------------------------------------
    def screen(self, data: dict[str, Any]) -> Verdict:
        return self.screener.screen(Case.model_validate(data), as_of=self.as_of, lang=self.lang)

    def refresh(self) -> None:
        """Replay the journal and screen: answers whose list item is gone, or that no longer change
        anything after a changed answer, are stale (kept and shown, not used)."""
        self.state = self.journal.state()
        self.data, unused = build_case(self.base, self.state.answers)
        self.stale = unused
        if unused:
            self.data, _ = build_case(self.base, self.state.answers, skip=unused)
        self.verdict = self.screen(self.data)
        self._irrelevant = set()
        self._item_cache = {}
        self._tried = {}
        if self._changed():
            self._mark_stale()

    def _changed(self) -> bool:
        """Whether an answer was changed or undone (only then can earlier answers go stale)."""
        seen: set[str] = set()
        for e in self.journal.events:
            if e.get("op") == BACK:
                return True
            if e.get("op") in (ANSWER, DONT_KNOW, DECLINED):
                if e["path"] in seen:
                    return True
                seen.add(e["path"])
        return False

    def _mark_stale(self) -> None:
        """An answer is stale when leaving it out leaves every provision's status and missing facts
        as they are and it is not a safety fact (those always matter to the referrals)."""
        assert self.verdict is not None
        now = _fingerprint(self.verdict)
        for path in list(self.state.answers):
            if path in self.stale or path.startswith("safety.") or path in LIST_PARENTS or path.endswith("]"):
                continue
            without, _ = build_case(self.base, self.state.answers, skip=set(self.stale) | {path})
            try:
                verdict = self.screen(without)
            except ValidationError:
                continue
            if _fingerprint(verdict) == now and path not in candidates(verdict, without):
                self.stale.append(path)
        if self.stale:
            self.data, _ = build_case(self.base, self.state.answers, skip=self.stale)

    # -- the next question ------------------------------------------------------------------------
    def open_facts(self, parking: bool = True) -> dict[str, list[str]]:
        """Missing facts not yet answered, known unknown or declined, with the provisions each can
        change; without ``parking``, the parked provisions' questions too."""
        assert self.verdict is not None
        gates = {path for path, q in self.questions.items() if q.gate}
        parked = self.parked() if parking else set()
        found = self._or_from(candidates(self.verdict, self.data, parked, gates))
        unknown = set(self.state.dont_know) | set(self.state.declined)
        found = {p: provs for p, provs in found.items() if not self.state.settled(p) and p not in self._irrelevant
                 and template(p) in self.questions and self.questions[template(p)].needs not in unknown}
        return {**found, **self.another_item(parked)}

    def _or_from(self, found: dict[str, list[str]]) -> dict[str, list[str]]:
        """Add the facts a "don't know" or declined fact is worked out from (``or_from`` in the
        question file), same list item, for the same provisions: the date of an incident and the
        start of the cohabitation say whether it happened while they lived together."""
        out = dict(found)
        unknown = set(self.state.dont_know) | set(self.state.declined)
        for path, provisions in found.items():
            q = self.questions.get(template(path))
            if path not in unknown or q is None:
                continue
            item = path[:path.index("]") + 1] if "[" in path else ""
            for alt in q.or_from:
                alt = alt.replace(template(item), item, 1) if item else alt
                if _lookup_item(self.data, alt) is None:
                    out.setdefault(alt, [])
                    out[alt] += [p for p in provisions if p not in out[alt]]
        return out

    def another_item(self, parked: set[str] = frozenset()) -> dict[str, list[str]]:
        """"Another permit?" / "another incident?" (``permits[1]``): asked once the last item's
        own questions are done (parked or not), and only if a further item could change a
        provision that is not ``parked``.
        Exact: the case is screened with one more item whose every field is unknown. A settled
        provision can change if and only if its status then differs (three-valued logic); an open
        one if the screening lists a field of the new item as missing (ADR 0009: only fields some
        value of which could change a condition are listed)."""
        assert self.verdict is not None
        out: dict[str, list[str]] = {}
        open_paths = [p for p in candidates(self.verdict, self.data) if not self.state.settled(p)]
        for parent in LIST_PARENTS:
            items = _lookup(self.data, parent)
            if not isinstance(items, list) or not items:
                continue
            path = f"{parent}[{len(items)}]"
            if self.state.settled(path) or template(path) not in self.questions or \
                    any(p.startswith(f"{parent}[") for p in open_paths):
                continue
            changed = [p for p in self._item_changes(parent, path) if p not in parked]
            if changed:
                out[path] = changed
        return out

    def _item_changes(self, parent: str, path: str) -> list[str]:
        """The provisions whose status one more unknown item in ``parent`` changes (cached per state)."""
        key = path
        if key not in self._item_cache:
            data, _ = build_case(self.data, {path: True})
            try:
                verdict = self.screen(data)
            except ValidationError:
                verdict = self.verdict
            now = statuses(self.verdict)  # type: ignore[arg-type]
            self._item_cache[key] = [p.provision for p in verdict.provisions  # type: ignore[union-attr]
                                     if p.status != now[p.provision] or p.status == "undetermined" and
                                     any(m.path.startswith((f"{path}.", f"{parent}[].")) for m in p.missing)]
        return self._item_cache[key]

    def parked(self) -> set[str]:
        """Provisions not pursued: a gate question they still need was answered "don't know" or
        declined, so their other questions cannot settle them (ADR 0011). Never § 53: the facts of
        the independent permit are gathered even while a gate of it is still to be found out."""
        assert self.verdict is not None
        unknown = set(self.state.dont_know) | set(self.state.declined)
        return {p.provision for p in self.verdict.provisions if not p.provision.startswith(KEY_PROVISION)
                and any(m.path in unknown and _parks(self.questions.get(template(m.path))) for m in p.missing)}

    def next_question(self) -> tuple[str, list[str]] | None:
        """The next question and the provisions it can still change; None when nothing is left."""
        if safety_needed(self.data):
            for path in SAFETY_ORDER:
                if not self.state.settled(path) and _lookup(self.data, path) is None:
                    return path, []
        for q in self.questions.values():
            if q.after and self.state.answers.get(q.after) not in (None, False, []) and \
                    not self.state.settled(q.path) and _lookup(self.data, q.path) is None:
                return q.path, []
        order = {p.provision: i for i, p in enumerate(self.verdict.provisions)} if self.verdict else {}
        for parking in (True, False):  # parked provisions are pursued last, not never (ADR 0011)
            found = self.open_facts(parking)
            ranked = sorted(found, key=lambda p: rank(p, found[p], self.questions, order))
            best = self._settles_most(ranked, found)
            if best is not None:
                return best, found[best]
        return None

    def _tier(self, path: str, provisions: list[str]) -> tuple[bool, bool]:
        """Sensitive questions late and § 53 first (ADR 0011): the settle count reorders only
        within one tier."""
        q = self.questions.get(template(path))
        return (q is not None and q.sensitive, not any(p.startswith(KEY_PROVISION) for p in provisions))

    def _settles_most(self, ranked: list[str], found: dict[str, list[str]]) -> str | None:
        """Among the first ``TRY`` relevant candidates of the first tier (ADR 0011 order), the one
        whose answers settle the most undecided provisions on average; ties by that order. The
        irrelevant ones met on the way are set aside for this state."""
        tried: list[str] = []
        for path in ranked:
            if tried and (len(tried) >= TRY or self._tier(path, found[path]) != self._tier(tried[0], found[tried[0]])):
                break
            if self._relevant(path):
                tried.append(path)
            else:
                self._irrelevant.add(path)
        if len(tried) < 2:
            return tried[0] if tried else None
        return max(tried, key=lambda p: (self._settled_by(p), -tried.index(p)))

    def _settled_by(self, path: str) -> float:
        """How many provisions undecided now one answer to ``path`` settles, on average over its
        answer classes (a "don't know" settles nothing and is not counted)."""
        assert self.verdict is not None
        open_now = {p.provision for p in self.verdict.provisions if p.status == "undetermined"}
        counts = []
        for value in self._answer_classes(path):
            after = self._screen_with(path, value)
            if after is not None:
                counts.append(sum(after[p][0] != "undetermined" for p in open_now))
        return sum(counts) / len(counts) if counts else 0.0

    def _answer_classes(self, path: str) -> list[Any]:
        """Values that stand for the answers to ``path``: yes and no, each choice, a list's yes (one
        item) and no (none). Dates and numbers: their two ends (coarse: the screening's ranges
        decide whether they matter at all, ADR 0009)."""
        q = self.questions.get(template(path))
        if path in LIST_PARENTS or path.endswith("]") or q is None or q.answer == "yes_no":
            return [True, False]
        if q.answer == "choice":
            return list(q.choices)
        if q.answer == "date":
            return [self.as_of.replace(year=self.as_of.year - 60), self.as_of]
        if q.answer in ("number", "amount"):
            return [0, 10_000_000]
        return []

    def _screen_with(self, path: str, value: Any) -> dict[str, tuple[str, tuple[str, ...]]] | None:
        """The fingerprint of the case with ``path`` answered ``value`` (cached per state), or None
        if that answer does not make a valid case."""
        key = (path, repr(value))
        if key not in self._tried:
            data, unused = build_case(self.data, {path: value})
            try:
                self._tried[key] = None if unused else _fingerprint(self.screen(data))
            except ValidationError:
                self._tried[key] = None
        return self._tried[key]

    def _relevant(self, path: str) -> bool:
        """Confirm a yes/no or choice question by screening with each answer: some answer must change
        a provision's status or its conditions' missing facts (ADR 0011). Dates, numbers and lists
        are taken as the screening lists them (its ranges are exact, ADR 0009)."""
        q = self.questions.get(template(path))
        if q is None or path in LIST_PARENTS or path.endswith("]") or q.answer not in ("yes_no", "choice"):
            return True
        assert self.verdict is not None
        now = _fingerprint(self.verdict)
        return any(after is not None and after != now  # lazily: stops at the first answer that changes
                   for after in (self._screen_with(path, v) for v in self._answer_classes(path)))

    # -- answering --------------------------------------------------------------------------------
    def record(self, path: str, op: str, value: Any = None) -> None:
        event: dict[str, Any] = {"op": op, "path": path}
        if op == ANSWER:
            event["value"] = value
        self.journal.append(event)
        self.refresh()

    def back(self) -> None:
        self.journal.append({"op": BACK})
        self.refresh()

    def check(self, path: str, value: Any) -> str | None:
        """Why ``value`` cannot be the answer to ``path`` (the case would not validate, or it holds
        an identifier), or None."""
        data, unused = build_case(self.data, {path: value})
        if unused:
            return "that question no longer applies"
        findings = scan_case(data)
        if findings:
            return guard_message(findings, self.lang)[1].split(";")[0]
        try:
            Case.model_validate(data)
        except ValidationError as exc:
            return "; ".join(e["msg"] for e in exc.errors()[:2])
        return None

    def case(self) -> Case:
        return Case.model_validate(self.data)

