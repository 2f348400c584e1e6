"""What a batch stores of one screening (ADR 0013): the provisions' statuses, the missing facts in
the verdict's order, the referrals, the apply-by date and the few case-dependent notes the summary
shows. `Screener.outcome` computes it straight from the engine's run, without the verdict's texts
and objects; `Outcome.of` reads the same from a whole verdict (``--receipts full``, and the test
that holds the two equal)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

Row = tuple[Any, ...]


@dataclass(frozen=True)
class Outcome:
    """One screened case as a batch stores it, in the verdict's order."""

    assessment_date: str
    apply_by: str | None
    provisions: tuple[tuple[str, str | None, str, str], ...]  # (provision, title, status, kind)
    missing: tuple[tuple[str, tuple[str, ...]], ...]  # (provision, missing fact paths) if any are missing
    referrals: tuple[tuple[str, str | None, str], ...]  # (service, name, urgency)
    notes: dict[str, Any]  # `summary_notes`

    @classmethod
    def of(cls, verdict: Any) -> Outcome:
        """The outcome a `Verdict` (with or without its trace) gives."""
        return cls(
            assessment_date=verdict.assessment_date,
            apply_by=verdict.apply_by,
            provisions=tuple((p.provision, p.title, p.status, p.kind) for p in verdict.provisions),
            missing=tuple((p.provision, tuple(dict.fromkeys(m.path for m in p.missing)))
                          for p in verdict.provisions if p.missing),
            referrals=tuple((r.service, r.name, r.urgency) for r in verdict.referrals),
            notes=summary_notes(verdict),
        )


def summary_notes(verdict: Any) -> dict[str, Any]:
    """What `eligibility summary` shows of a verdict's case-dependent texts: ``not_yet`` (provision
    -> {headline, rules}: not met only on what the applicant can change herself) and ``reasons``
    (provision -> why it needs assessment: its first note, else its first reason needing
    assessment, else its explanation). Empty members are left out."""
    not_yet: dict[str, Any] = {}
    reasons: dict[str, str] = {}
    for p in verdict.provisions:
        if p.status == "not_met" and p.becomes_met_when:
            not_yet[p.provision] = {"headline": p.headline, "rules": [r.split("@")[0] for r in p.becomes_met_when]}
        elif p.status == "needs_assessment":
            judged = [r.text for r in p.reasons if r.status == "needs_assessment"]
            reasons[p.provision] = (p.notes or judged or [p.explanation or p.headline])[0]
    return notes_of(not_yet, reasons)


def notes_of(not_yet: dict[str, Any], reasons: dict[str, str]) -> dict[str, Any]:
    """The summary notes with their empty members left out."""
    return {name: value for name, value in (("not_yet", not_yet), ("reasons", reasons)) if value}
