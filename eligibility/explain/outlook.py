""""Not yet" is not "not met": a provision that fails only on conditions the applicant can fulfil
herself (today: ending the cohabitation, utl. § 53 første ledd bokstav b) is met as soon as she
does. Which conditions those are is data: ``can_change_herself`` on a rule in rules/*.yaml.

The outlook re-reads the provision's ``all``/``any`` tree with those conditions taken as met, in the
same Kleene logic as the compiler (undetermined before needs assessment). Only when that gives
*met* does the provision get ``becomes_met_when``; its status stays ``not_met``.
"""

from __future__ import annotations

from typing import Callable

from ..law.compiler import Compiled

MET, NOT_MET, UNDETERMINED, ASSESS = "met", "not_met", "undetermined", "needs_assessment"
FLIP = {MET: NOT_MET, NOT_MET: MET}


def _combine(values: list[str], is_any: bool) -> str:
    """Kleene AND (all) or OR (any), undetermined before needs assessment (`compiler`)."""
    decided, default = (MET, NOT_MET) if is_any else (NOT_MET, MET)
    if decided in values:
        return decided
    for value in (UNDETERMINED, ASSESS):
        if value in values:
            return value
    return default


def becomes_met_when(compiled: Compiled, status: Callable[[str], str], root: str) -> list[str]:
    """The versioned ids of the conditions under ``root`` that she can fulfil herself and that
    fail now, when fulfilling them would make ``root`` met; else an empty list."""
    if status(root) != NOT_MET:
        return []
    changed: dict[str, str] = {}

    def value(node_id: str) -> str:
        node = compiled.nodes[node_id]
        if node.can_change_herself is not None and status(node_id) == NOT_MET:
            changed[node_id] = node.key
            return ASSESS if node_id in compiled.uncertain else MET
        refs = compiled.refs.get(node_id)
        if node.when is not None or not refs:
            return status(node_id)
        values = [value(ref) for ref, _ in refs]
        values = [FLIP.get(v, v) if negated else v for v, (_, negated) in zip(values, refs)]
        return _combine(values, node.any is not None)

    outcome = value(root)  # the rule graph has no cycles (`compiler` refuses them)
    return sorted(changed.values()) if outcome == MET and changed else []


NOT_YET = {
    "entitlement": {"nb": "Oppfylt {when}", "en": "Met {when}"},
    "discretionary": {"nb": "Kan innvilges {when} (skjønn, ikke en rettighet)",
                      "en": "May be granted {when} (discretionary, not an entitlement)"},
}
AND = {"nb": " og ", "en": " and "}


def not_yet_headline(compiled: Compiled, keys: list[str], kind: str, lang: str) -> str:
    """"Oppfylt så snart samlivet er brutt": the headline of a provision met as soon as the
    applicant fulfils the conditions ``keys`` herself, worded by those rules."""
    by_key = {n.key: n for n in compiled.nodes.values()}
    when = AND[lang].join(dict.fromkeys(by_key[k].can_change_herself.get(lang)  # type: ignore[union-attr]
                                        for k in keys))
    return NOT_YET.get(kind, NOT_YET["entitlement"])[lang].format(when=when)
