"""What a screening returns: one `ProvisionResult` per provision, warnings and the per-rule trace.

Statuses (exactly these four):

* ``met`` — the conditions are fulfilled on the facts given. For a discretionary ("kan gis")
  provision this is rendered *may be granted*, never *entitled*.
* ``not_met`` — a condition fails on the facts given. When the only failing conditions are ones
  the applicant can fulfil herself (moving out), ``becomes_met_when`` names them: "not yet", met as
  soon as she does (`outlook`).
* ``undetermined`` — facts are missing; ``missing`` lists them with the question to ask.
* ``needs_assessment`` — the law calls for a holistic judgment the facts cannot settle, or rests on
  a point marked UNVERIFIED in the law notes; ``notes`` say which.
"""

from __future__ import annotations

import json
import math
import re
from json.encoder import encode_basestring  # json.dumps's own string encoder (public in json.encoder)
from typing import Any, Callable, Literal, TypeVar

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
    kind: str  # statute, regulation, preparatory_works, circular or practice
    rule: str  # versioned rule id, id@valid_from
    # the section's page on Lovdata for statute and regulation (`lovdata_url`); None for preparatory
    # works, circulars and practice, whose source `text` names
    url: str | None = None


def lovdata_url(law_id: str, section: str) -> str | None:
    """The Lovdata page of one section: LOV-2008-05-15-35, 53 -> https://lovdata.no/lov/2008-05-15-35/§53
    (FOR-... -> /forskrift/...; rules/law-sources.md § 0.3); None for an id of another form."""
    found = re.fullmatch(r"(LOV|FOR)-(\d{4}-\d{2}-\d{2}-\d+)", law_id)
    if not found or not section:
        return None
    return f"https://lovdata.no/{'lov' if found[1] == 'LOV' else 'forskrift'}/{found[2]}/§{section}"


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
    # status not_met, but met as soon as the applicant fulfils these conditions herself (versioned
    # rule ids of rules with can_change_herself; `outlook`): "not yet", never read as a refusal
    becomes_met_when: list[str] = []


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
    """One rule in force (or condition part, ``<rule>~when``/``~assess``) and what it concluded
    from what it read: the statuses of the rules it combines, or the case's facts it tested."""

    rule: str  # rule id, or condition part
    version: str  # versioned rule id
    concluded: Status
    read: dict[str, Any]


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
    # the last day to apply on a new basis (§ 53) with the right to stay while the application is
    # decided (utl. § 61 seventh paragraph): the current permit's expiry less the notice; None when
    # no current permit's expiry is known. The clinic's summary sorts the § 53 cases by it.
    apply_by: str | None = None


# --- building verdicts without validating them again ------------------------------------------------
# The explainer builds every value from validated rules and cases, with the field types; validating
# them again costs as much as the rest of explaining (the trace alone is ~230 entries a case).

M = TypeVar("M", bound=BaseModel)


def _constructed(model: type[M], values: dict[str, Any]) -> M:
    """An instance holding ``values`` (every field, in field order), through pydantic's public
    ``model_construct``: no validation (ADR 0010: no writing a model's internals)."""
    return model.model_construct(**values)


def _checked(model: type[M], build: Callable[..., M], sample: dict[str, Any]) -> Callable[..., M]:
    """``build`` if it makes the same instance as validating does (checked once, on ``sample``),
    else ``model`` itself (validating): pydantic may store instances differently one day."""
    fast, slow = build(**sample), model(**sample)
    fields = list(model.model_fields)
    same = (fast == slow and [getattr(fast, n) for n in fields] == [getattr(slow, n) for n in fields]
            and fast.model_fields_set == slow.model_fields_set and repr(fast) == repr(slow)
            and fast.model_dump() == slow.model_dump() and fast.model_dump_json() == slow.model_dump_json())
    return build if same else model


def constructor(model: type[M], sample: dict[str, Any]) -> Callable[..., M]:
    """A constructor of ``model`` for values this program built with exactly the field types
    (every field given, by name): half the cost of validating them again."""
    names = tuple(model.model_fields)

    def build(**values: Any) -> M:
        if len(values) != len(names):
            raise TypeError(f"{model.__name__} takes exactly the fields {', '.join(names)}")
        return _constructed(model, {name: values[name] for name in names})

    return _checked(model, build, sample)


def _trace_entry(*, rule: str, version: str, concluded: str, read: dict[str, Any]) -> TraceEntry:
    return TraceEntry.model_construct(rule=rule, version=version, concluded=concluded, read=read)


_TRACE_FIELDS = tuple(TraceEntry.model_fields)
_CITATION = Citation(law="utlendingsloven", section="53", ledd=1, bokstav=None, text="utl. § 53 første ledd",
                     quote='"Søkeren" \\ har\n rett', confidence="LAW-TEXT", kind="statute", rule="r@2010-01-01")
_REASON = Reason(rule="r@2010-01-01", status="met", text="Vilkåret er oppfylt – ø", citation=_CITATION)
make_trace_entry = _checked(TraceEntry, _trace_entry, dict(rule="r", version="r@2010-01-01", concluded="met",
                                                      read={"a": [1, None, "x"]}))
make_missing_fact = constructor(MissingFact, dict(path="a.b", question="Når?", needed_for=["r@2010-01-01"]))
make_provision_result = constructor(ProvisionResult, dict(
    provision="p", title="Tittel", status="met", kind="entitlement", headline="h", explanation="", citation=_CITATION,
    reasons=[_REASON], failed=[], missing=[make_missing_fact(path="a.b", question="q?", needed_for=["r"])],
    notes=["n"], becomes_met_when=["r@2010-01-01"]))
_REFERRAL = dict(service="s", name="n", urgency="now", reason="r", basis="b", basis_quote="q",
                 basis_confidence="LAW-TEXT", does="d", contact="c", cost="0", referral_needed=False,
                 triggered_by=["r@2010-01-01"])
make_referral = constructor(Referral, _REFERRAL)
_SAMPLE_VERDICT = dict(
    case_id="c", assessment_date="2026-11-26", lang="nb", engine_version="0", rules_version="1", rules_digest="d",
    case_digest="d", provisions=[make_provision_result(
        provision="p", title="t", status="undetermined", kind="discretionary", headline="h", explanation="e",
        citation=_CITATION, reasons=[], failed=[_REASON], missing=[], notes=[], becomes_met_when=[])],
    warnings=[Warning(id="w", level="safety", text="t", citation=_CITATION)],
    referrals=[Referral(**_REFERRAL)],
    trace=[make_trace_entry(rule="r", version="r@2010-01-01", concluded="met", read={"x": {"y": 1}})],
    apply_by="2027-01-31")
make_verdict = constructor(Verdict, _SAMPLE_VERDICT)


# --- canonical JSON -------------------------------------------------------------------------------

def dumps(data: Any, allow_nan: bool = True) -> str:
    """Compact JSON as a verdict is stored: sorted keys, no whitespace, UTF-8 text (receipts use it
    with ``allow_nan=False``: `audit.canonical`)."""
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=allow_nan)


def json_object(members: dict[str, str]) -> str:
    """The compact JSON object of ``members`` (name -> its value already encoded as JSON), with
    the names sorted as ``json.dumps(..., sort_keys=True)`` sorts them."""
    return "{" + ",".join([encode_basestring(name) + ":" + text for name, text in sorted(members.items())]) + "}"


class NotPlainJSON(Exception):
    """A value the encoders below do not write (the caller takes the slow, exact path instead)."""


def encode_plain(value: Any) -> str:
    """``value`` exactly as ``json.dumps(value, sort_keys=True, ensure_ascii=False,
    separators=(",", ":"), allow_nan=False)`` writes it, for plain JSON types only."""
    kind = type(value)
    if kind is str:
        return encode_basestring(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if kind is int:
        return int.__repr__(value)
    if kind is float and math.isfinite(value):
        return float.__repr__(value)
    if kind is dict:
        if not all(type(k) is str for k in value):
            raise NotPlainJSON
        return "{" + ",".join([encode_basestring(k) + ":" + encode_plain(v) for k, v in sorted(value.items())]) + "}"
    if kind is list:
        return "[" + ",".join([encode_plain(v) for v in value]) + "]"
    raise NotPlainJSON


def _reusable_encoder() -> Callable[[Any], str] | None:
    """``json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"),
    allow_nan=False)`` with one public `json.JSONEncoder` made once (json.dumps with arguments
    makes one per call, which costs more than encoding a small dict); None if it writes differently."""
    encoder = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False,
                               check_circular=False)
    encode_json = encoder.encode
    sample = {"b": [1, None, 1.5, -0.0, True, "ø\"\\\n\u2028"], "a": {"z": 10**20, "y": False}}
    same = encode_json(sample) == json.dumps(sample, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return encode_json if same else None


_ENCODE_JSON = _reusable_encoder()


def encode_json(value: Any) -> str:
    """``value`` exactly as ``json.dumps(value, sort_keys=True, ensure_ascii=False,
    separators=(",", ":"), allow_nan=False)`` writes it; `NotPlainJSON` where that would not
    write plain JSON (NaN, a value of another type)."""
    if _ENCODE_JSON is None:
        return encode_plain(value)
    try:
        return _ENCODE_JSON(value)
    except (TypeError, ValueError, RecursionError):
        raise NotPlainJSON from None


Memo = dict[int, tuple[Any, str]]  # id of an immutable instance shared between verdicts -> (it, its JSON)
_MEMBERS: dict[type[BaseModel], list[tuple[str, str]]] = {}  # model -> (field, its JSON name + ":"), sorted


def encode(value: Any, memo: Memo | None = None) -> str:
    """``value`` (a model of this module, a list, or a plain JSON value) exactly as
    ``dumps(value.model_dump(mode="json"))`` (or ``dumps(value)``) writes it, reusing the JSON of
    the instances in ``memo``; `NotPlainJSON` for a value that is not plain JSON (NaN included).
    Only for models whose fields serialise as themselves (`PLAIN`)."""
    kind = type(value)
    if kind is str:
        return encode_basestring(value)
    if kind is list:
        return "[" + ",".join([encode(item, memo) for item in value]) + "]"
    if isinstance(value, BaseModel):
        if memo is not None:
            found = memo.get(id(value))
            if found is not None and found[0] is value:
                return found[1]
        members = _MEMBERS.get(kind)
        if members is None:
            members = _MEMBERS[kind] = [(n, encode_basestring(n) + ":") for n in sorted(kind.model_fields)]
        return "{" + ",".join([name + encode(getattr(value, field), memo) for field, name in members]) + "}"
    return encode_plain(value)


def _serialise_as_themselves(model: type[BaseModel]) -> bool:
    """Whether ``model_dump(mode="json")`` writes every field of ``model`` under its own name as
    the value it holds (no aliases, exclusions, serialisers or computed fields)."""
    decorators = model.__pydantic_decorators__
    return (not model.model_computed_fields and not decorators.field_serializers and not decorators.model_serializers
            and all(f.alias is None and f.serialization_alias is None and not f.exclude
                    for f in model.model_fields.values()))


_MODELS = (Citation, Reason, MissingFact, ProvisionResult, Warning, Referral, TraceEntry, Verdict)
_SAMPLE = Verdict(**_SAMPLE_VERDICT)
# Whether `encode` writes these models as dumps(model_dump(mode="json")) does (checked once here).
PLAIN = (all(_serialise_as_themselves(m) for m in _MODELS)
         and encode(_SAMPLE) == dumps(_SAMPLE.model_dump(mode="json")))
