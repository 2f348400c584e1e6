"""What a screening returns: one `ProvisionResult` per provision, warnings and the firing trace.

Statuses (exactly these four):

* ``met`` — the conditions are fulfilled on the facts given. For a discretionary ("kan gis")
  provision this is rendered *may be granted*, never *entitled*.
* ``not_met`` — a condition fails on the facts given.
* ``undetermined`` — facts are missing; ``missing`` lists them with the question to ask.
* ``needs_assessment`` — the law calls for a holistic judgment the facts cannot settle, or rests on
  a point marked UNVERIFIED in the law notes; ``notes`` say which.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

Status = Literal["met", "not_met", "undetermined", "needs_assessment"]
Kind = Literal["entitlement", "discretionary"]


class Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class Citation(Model):
    law: str
    section: str
    ledd: int | None = None
    bokstav: str | None = None
    text: str  # human citation in the output language
    quote: str
    confidence: str
    rule: str  # versioned rule id, id@valid_from


class Reason(Model):
    rule: str
    status: Status
    text: str
    citation: Citation


class MissingFact(Model):
    path: str
    question: str
    needed_for: list[str]


class ProvisionResult(Model):
    provision: str
    title: str
    status: Status
    kind: Kind
    headline: str
    explanation: str
    citation: Citation
    reasons: list[Reason]  # conditions met or needing assessment
    failed: list[Reason]  # conditions not met
    missing: list[MissingFact]
    notes: list[str]  # UNVERIFIED points and judgment calls


class Warning(Model):
    id: str
    level: Literal["safety", "warning", "info"]
    text: str
    citation: Citation


class Referral(Model):
    """A next step: which service, how urgently, why (the triggering facts), on what legal basis."""

    service: str
    name: str
    urgency: Literal["now", "soon", "planned"]
    reason: str
    basis: str  # citation of the law obliging or enabling the service to help
    basis_quote: str
    basis_confidence: str  # LAW-TEXT when the quote is statute text; otherwise a paraphrase or a note
    does: str
    contact: str
    cost: str
    referral_needed: bool
    triggered_by: list[str]  # versioned rule ids


class TraceEntry(Model):
    rule: str  # engine rule name: node#value[.branch]
    version: str  # versioned rule id
    concluded: Status
    matched: dict[str, Any]
    derived: bool


class Verdict(Model):
    case_id: str
    assessment_date: str
    lang: Literal["nb", "en"]
    engine_version: str
    rules_version: str
    rules_digest: str
    case_digest: str
    provisions: list[ProvisionResult]
    warnings: list[Warning]
    referrals: list[Referral]
    trace: list[TraceEntry]
