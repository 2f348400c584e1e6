"""From a `Case` to the engine's working memory: one *topic fact* per section of the case.

Splitting the case into topic facts keeps every fact far below durable_rules' limits (64 sibling
tests and 254 properties per fact; engine notes §13). An absent case field is left out of its
topic fact, so rules see it as *unknown* (durable's ``$nex``), never as false.

*Measurements* are facts computed from dates as of the assessment date: ages, full years of
cohabitation, the permit valid on that date, the length of the current stretch of permits that
form the basis for permanent residence. They are arithmetic, not law: every threshold they are
compared with lives in the rules (ADR 0002). A measurement whose inputs are unknown is unknown.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel

from .case import Case, Incident, Permit

Kind = Literal["bool", "enum", "number", "interval", "list", "strings"]


@dataclass(frozen=True)
class FactSpec:
    """What a rule may test: ``path`` as rules write it, where durable finds it, and which case
    fields a caseworker fills in to make it known."""

    path: str
    topic: str
    attr: str
    kind: Kind
    sources: tuple[str, ...]
    values: tuple[Any, ...] = ()  # allowed values for enums
    item_specs: dict[str, "FactSpec"] = field(default_factory=dict)  # for lists of objects
    count_attr: str | None = None


SECTIONS = (
    "applicant", "reference_person", "relationship", "abuse", "home_country_hardship",
    "forced_marriage_lawsuit", "permanent_residence", "safety", "family_application",
)
# Fields that rules reach only through measurements (dates) or that the law makes irrelevant to
# engine tests; they are still part of the case and of the trace.
_NOT_TESTABLE = {"birth_date", "birth_year", "married_on", "cohabitation_started", "entry_date",
                 "death_date", "valid_from", "valid_to", "date", "freed_from_coercion_on", "filed_on",
                 "registered_on", "reference_protection_granted_on", "documents_handed_in_on", "age_on", "held",
                 # measured as ranges (a figure or a lower bound, ADR 0009)
                 "months_abroad_last_3_years", "months_abroad_last_5_years", "expected_income",
                 "previous_year_income"}


def _spec_for(path: str, topic: str, attr: str, annotation: Any, sources: tuple[str, ...]) -> FactSpec | None:
    """Derive a FactSpec from a pydantic field annotation (bool, numbers, literals, lists)."""
    args = [a for a in getattr(annotation, "__args__", (annotation,)) if a is not type(None)]
    literals: list[Any] = []
    kinds: set[str] = set()
    for a in args:
        origin = getattr(a, "__origin__", None)
        if a is bool:
            kinds.add("bool")
        elif a in (int, float):
            kinds.add("number")
        elif origin is Literal or type(a).__name__ == "_LiteralGenericAlias":
            literals.extend(a.__args__)
            kinds.add("enum")
        elif isinstance(a, type) and issubclass(a, str) and hasattr(a, "__members__"):
            literals.extend(m.value for m in a)  # StrEnum
            kinds.add("enum")
        elif origin is list:
            kinds.add("list")
        elif getattr(a, "__origin__", None) is not None and getattr(a, "__metadata__", None) is not None:
            base = a.__origin__
            kinds.add("number" if base in (int, float) else "enum")
        elif a is str:
            kinds.add("enum")
    if len(kinds) != 1:
        return None
    kind = kinds.pop()
    if kind == "list":
        inner = [x for x in args if getattr(x, "__origin__", None) is list][0].__args__[0]
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            items = {}
            for name, info in inner.model_fields.items():
                if name in _NOT_TESTABLE:
                    continue
                spec = _spec_for(f"{path}[].{name}", topic, name, info.annotation, (f"{path}[].{name}",))
                if spec:
                    items[name] = spec
            return FactSpec(path, topic, attr, "list", sources, item_specs=items, count_attr=f"{attr}_count")
        values = tuple(v for v in getattr(inner, "__args__", ()) if isinstance(v, str))
        return FactSpec(path, topic, attr, "strings", sources, values=values, count_attr=f"{attr}_count")
    return FactSpec(path, topic, attr, kind, sources, values=tuple(literals))  # type: ignore[arg-type]


def _build_specs() -> dict[str, FactSpec]:
    specs: dict[str, FactSpec] = {}
    for section in SECTIONS:
        model = Case.model_fields[section].annotation
        for name, info in model.model_fields.items():  # type: ignore[union-attr]
            if name in _NOT_TESTABLE or (section, name) == ("relationship", "cohabitation_ended"):
                continue
            path = f"{section}.{name}"
            spec = _spec_for(path, section, name, info.annotation, (path,))
            if spec:
                specs[path] = spec
    permit_items = {
        name: _spec_for(f"permits[].{name}", "permits", name, info.annotation, (f"permits[].{name}",))
        for name, info in Permit.model_fields.items() if name not in _NOT_TESTABLE
    }
    # "started": begun by the assessment date, from valid_from, or `held` when the dates are unknown.
    permit_items["started"] = FactSpec("permits[].started", "permits", "started", "bool",
                                       ("permits[].valid_from", "permits[].held"))  # see `_started`
    specs["permits"] = FactSpec("permits", "permits", "items", "list", ("permits",),
                                item_specs={k: v for k, v in permit_items.items() if v}, count_attr="count")
    measured = [
        # An unknown age asks for the birth date: it also settles a birth-year-only age on a boundary.
        FactSpec("applicant.age", "applicant", "age", "interval", ("applicant.birth_date",)),
        FactSpec("reference_person.age", "reference_person", "age", "interval", ("reference_person.birth_date",)),
        FactSpec("abuse.incident_count", "abuse", "incidents_count", "number", ("abuse.incidents",)),
        # Months abroad as ranges: a figure, or a lower bound up to the window's length.
        FactSpec("permanent_residence.months_abroad_last_3_years", "permanent_residence",
                 "months_abroad_last_3_years", "interval", ("permanent_residence.months_abroad_last_3_years",)),
        FactSpec("permanent_residence.months_abroad_last_5_years", "permanent_residence",
                 "months_abroad_last_5_years", "interval", ("permanent_residence.months_abroad_last_5_years",)),
        # Incomes as ranges: a figure, or a lower bound ("at least NOK 400,000") with no upper one.
        FactSpec("reference_person.expected_income", "reference_person", "expected_income", "interval",
                 ("reference_person.expected_income",)),
        FactSpec("reference_person.previous_year_income", "reference_person", "previous_year_income", "interval",
                 ("reference_person.previous_year_income",)),
        FactSpec("relationship.cohabitation_ended", "relationship", "cohabitation_ended", "bool",
                 ("relationship.cohabitation_ended",)),
        # Full years as a range (ADR 0009): exact when the end is known; a cohabitation whose end
        # is unknown lasted from none to all of the years up to the assessment date.
        FactSpec("relationship.cohabitation_years", "relationship", "cohabitation_years", "interval",
                 ("relationship.cohabitation_started", "relationship.cohabitation_ended")),
        # § 53(1)(a): the cohabitation ended because the reference person died (see `ended_by_death`).
        FactSpec("relationship.ended_by_death", "relationship", "ended_by_death", "bool",
                 ("relationship.cohabitation_ended", "relationship.end_reason")),
        FactSpec("current_permit.basis", "current_permit", "basis", "enum", ("permits", "permits[].basis", "permits[].valid_to"),
                 values=tuple(Permit.model_fields["basis"].annotation.__args__[0].__args__) + ("none",)),
        FactSpec("current_permit.forms_basis_for_permanent", "current_permit", "forms_basis_for_permanent",
                 "bool", ("permits[].forms_basis_for_permanent",)),
        FactSpec("current_permit.months_to_expiry", "current_permit", "months_to_expiry", "number",
                 ("permits[].valid_to",)),
        FactSpec("current_permit.months_held", "current_permit", "months_held", "number", ("permits[].valid_from",)),
        FactSpec("current_permit.pending_application", "current_permit", "pending_application", "bool",
                 ("application_date",)),
        FactSpec("current_permit.applied_months_before_expiry", "current_permit", "applied_months_before_expiry",
                 "number", ("application_date", "permits[].valid_to")),
        # Whole months the kept permit had been held when the application was lodged (utl. § 61
        # seventh paragraph: nine months' lawful stay under it for a new-basis application).
        FactSpec("current_permit.months_held_at_application", "current_permit", "months_held_at_application",
                 "number", ("permits[].valid_from", "permits[].valid_to")),
        # The application screened under § 53 / § 62 (application_date), as a yyyymmdd range: exact
        # when known; otherwise not before the applicant's first permit began (both are applications
        # by someone who holds or has held a permit), with no upper bound.
        FactSpec("application.lodged_on", "application", "lodged_on", "interval", ("application_date",)),
        # The family-immigration application, handed in, as a yyyymmdd range: exact when the day the
        # documents were handed in is known; otherwise not before its registration, nor before the
        # marriage or cohabitation began (it cannot predate them), with no upper bound.
        FactSpec("family_application.lodged_on", "family_application", "lodged_on", "interval",
                 ("family_application.documents_handed_in_on", "family_application.registered_on")),
        FactSpec("application_permit.basis", "application_permit", "basis", "enum", ("permits", "permits[].valid_to"),
                 values=tuple(Permit.model_fields["basis"].annotation.__args__[0].__args__) + ("none",)),
        FactSpec("permanent_residence.qualifying_years", "permanent_residence", "qualifying_years", "number",
                 ("permits", "permits[].valid_to")),
        # The same stretch counted up to 1 December 2020, when the five-year rule came in: those who
        # had three years by then and applied by 1 February 2021 kept the three-year rule.
        FactSpec("permanent_residence.qualifying_years_by_20201201", "permanent_residence",
                 "qualifying_years_by_20201201", "number", ("permits", "permits[].valid_to")),
        FactSpec("forced_marriage_lawsuit.filed_in_time", "forced_marriage_lawsuit", "filed_in_time", "bool",
                 ("forced_marriage_lawsuit.filed_on", "forced_marriage_lawsuit.freed_from_coercion_on",
                  "relationship.married_on")),
        # Dates as numbers YYYYMMDD, so a rule can compare them with the date a rule changed.
        # As a range: exact when known; otherwise not before the marriage or cohabitation began.
        FactSpec("family_application.registered_ymd", "family_application", "registered_ymd", "interval",
                 ("family_application.registered_on",)),
        FactSpec("family_application.protection_granted_ymd", "family_application", "protection_granted_ymd",
                 "number", ("family_application.reference_protection_granted_on",)),
        FactSpec("family_application.months_protection_to_registration", "family_application",
                 "months_protection_to_registration", "number",
                 ("family_application.reference_protection_granted_on", "family_application.registered_on")),
        FactSpec("family_application.married_after_reference_entry", "family_application",
                 "married_after_reference_entry", "bool", ("family_application.married_before_reference_entry",)),
    ]
    for spec in measured:
        specs[spec.path] = spec
    # When an incident happened, as a range of days written yyyymmdd (rules compare it with a date
    # such as 20181101): its date, or else the cohabitation's dates when it happened during it.
    specs["abuse.incidents"].item_specs["happened"] = FactSpec(
        "abuse.incidents[].happened", "abuse", "happened", "interval", ("abuse.incidents[].date",))
    return specs


FACT_SPECS: dict[str, FactSpec] = _build_specs()
LIST_SPECS: dict[tuple[str, str], FactSpec] = {
    (s.topic, s.attr): s for s in FACT_SPECS.values() if s.kind in ("list", "strings")
}
TOPICS: tuple[str, ...] = tuple(sorted({s.topic for s in FACT_SPECS.values()}))


def full_years(start: dt.date, end: dt.date) -> int:
    """Completed years from ``start`` to ``end`` (an anniversary on 29 February falls on 1 March)."""
    years = end.year - start.year
    try:
        anniversary = start.replace(year=end.year)
    except ValueError:  # 29 February in a non-leap year
        anniversary = dt.date(end.year, 3, 1)
    return years - 1 if end < anniversary else years


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved by whole calendar months, clamped to the month's last day (31 March minus one
    month is 28 or 29 February)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    last = (dt.date(year + (month == 12), month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(day.day, last))


def full_months(start: dt.date, end: dt.date) -> int:
    """Whole calendar months from ``start`` to ``end`` (negative when ``end`` is earlier)."""
    if end < start:
        return -full_months(end, start) - (0 if add_months(end, full_months(end, start)) == start else 1)
    months = (end.year - start.year) * 12 + end.month - start.month
    while months > 0 and add_months(start, months) > end:
        months -= 1
    return months


def months_before(as_of: dt.date, end: dt.date) -> int:
    """The most whole months one can count back from ``end`` without passing ``as_of`` (negative
    once ``end`` is past): the same counting as a deadline "N months before expiry", so that
    ``months_before(d, end) < N`` exactly when ``d`` is after ``add_months(end, -N)``."""
    months = (end.year - as_of.year) * 12 + end.month - as_of.month + 1
    while add_months(end, -months) < as_of:
        months -= 1
    return months


def months_after(start: dt.date, end: dt.date) -> int:
    """The fewest whole months N with ``end`` on or before ``start`` + N months (0 when ``end`` is
    not after ``start``): "within N months after" holds exactly when this is at most N."""
    if end <= start:
        return 0
    months = max(full_months(start, end), 0)
    return months if add_months(start, months) >= end else months + 1


def _family_application(case: Case) -> dict[str, Any]:
    """Measurements for utf. § 10-8: the dates as YYYYMMDD, the months from the reference person's
    protection to the registration, and whether the applicant is a spouse who married after the
    reference person entered Norway (false for a cohabitant; from the dates when not stated)."""
    app, out = case.family_application, {}
    registered = _family_registered(case)
    if registered is not None:
        out["registered_ymd_lo"], out["registered_ymd_hi"] = registered
    if app.reference_protection_granted_on is not None:
        out["protection_granted_ymd"] = int(app.reference_protection_granted_on.strftime("%Y%m%d"))
        if app.registered_on is not None:
            out["months_protection_to_registration"] = months_after(app.reference_protection_granted_on,
                                                                    app.registered_on)
    rel, entry = case.relationship, case.reference_person.entry_date
    before = app.married_before_reference_entry
    if before is None and rel.married_on is not None and entry is not None:
        before = rel.married_on < entry
    if rel.type == "cohabitation":
        out["married_after_reference_entry"] = False
    elif rel.type == "marriage" and before is not None:
        out["married_after_reference_entry"] = not before
    return out


def _age(birth_date: dt.date | None, birth_year: int | None, as_of: dt.date,
         age_on: Any = None) -> tuple[int, int] | None:
    """(lowest, highest) possible age on ``as_of``; exact when the birth date is known. An age on
    a date (``age_on``) bounds it too: its birthday falls in the year after that date."""
    if birth_date is not None:
        age = full_years(birth_date, as_of)
        return age, age
    ranges = []
    if birth_year is not None:
        ranges.append((as_of.year - birth_year - 1, as_of.year - birth_year))
    if age_on is not None:  # born after on - (age + 1) years and at the latest on - age years
        latest = add_months(age_on.on, -12 * age_on.age)
        earliest = add_months(age_on.on, -12 * (age_on.age + 1)) + dt.timedelta(days=1)
        ranges.append((full_years(latest, as_of), full_years(earliest, as_of)))
    if not ranges:
        return None
    lo, hi = max(r[0] for r in ranges), min(r[1] for r in ranges)
    return (lo, hi) if lo <= hi else ranges[-1]


def months_abroad(stated: Any, window: int) -> tuple[float, float] | None:
    """(fewest, most) months abroad in a window of ``window`` months: the figure, or from its lower
    bound ("more than" is a hundredth of a month above it) to the whole window."""
    if stated is None:
        return None
    if isinstance(stated, (int, float)):
        return float(stated), float(stated)
    lo = stated.at_least if stated.at_least is not None else stated.more_than + 0.01
    return min(lo, window), float(window)


NO_UPPER_INCOME = 10**12  # the case model's bound: "at least" an amount, and no more is known


def _incomes(case: Case) -> dict[str, Any]:
    """The reference person's incomes (utf. §§ 10-8, 10-9) as ranges: a figure, or a lower bound
    ({at_least: 400000}, or more_than) with no upper bound (ADR 0009)."""
    out: dict[str, Any] = {}
    for name in ("expected_income", "previous_year_income"):
        stated = getattr(case.reference_person, name)
        if stated is None:
            continue
        if isinstance(stated, int):
            lo = stated
        else:
            lo = stated.at_least if stated.at_least is not None else stated.more_than + 0.01
        out[f"{name}_lo"], out[f"{name}_hi"] = _number(lo), stated if isinstance(stated, int) else NO_UPPER_INCOME
    return out


def _months_abroad(case: Case) -> dict[str, Any]:
    """Both windows of utl. § 62 as ranges; the last three years lie within the last five, so the
    five-year figure is at least the three-year one, and the three-year at most the five-year."""
    pr = case.permanent_residence
    three, five = months_abroad(pr.months_abroad_last_3_years, 36), months_abroad(pr.months_abroad_last_5_years, 60)
    out: dict[str, Any] = {}
    if three is not None and five is not None:
        three, five = (three[0], min(three[1], five[1])), (max(five[0], three[0]), five[1])
    elif three is not None and three[0] > 0:  # the five years hold at least the three years' months
        out["months_abroad_last_5_years_lo"], out["months_abroad_last_5_years_hi"] = _number(three[0]), 60
    for name, found in (("months_abroad_last_3_years", three), ("months_abroad_last_5_years", five)):
        if found is not None:
            out[f"{name}_lo"], out[f"{name}_hi"] = _number(found[0]), _number(found[1])
    return out


def _number(value: Any) -> Any:
    """Floats as durable's JSON parser reads them: it cannot parse exponents (error 204 for
    ``1e-05``), so round to 4 decimals (never below 1e-4, where Python switches to exponents)."""
    if isinstance(value, float):
        rounded = round(value, 4)
        return int(rounded) if rounded.is_integer() else rounded
    return value


def _plain(model: BaseModel) -> dict[str, Any]:
    """The testable, known fields of one section."""
    out: dict[str, Any] = {}
    for name, value in model:
        value = _number(value)
        if value is None or name in _NOT_TESTABLE:
            continue
        if isinstance(value, list):
            out[name] = [_plain(v) if isinstance(v, BaseModel) else v for v in value]
            out[f"{name}_count"] = len(value)
        elif isinstance(value, BaseModel):
            continue
        else:
            out[name] = value
    return out


def begun(permits: list[Permit] | None) -> list[Permit] | None:
    """The permits that count for the time held: all but those known not to have begun (``held:
    false`` with no start date: applied for or granted, not yet in force). A first-time applicant
    whose only permit has not begun has held none (issue 12: her § 53 and § 62 questions cannot matter)."""
    if permits is None:
        return None
    return [p for p in permits if not (p.valid_from is None and p.held is False)]


def end_readings(permits: list[Permit] | None, as_of: dt.date) -> list[list[Permit] | None]:
    """The permit list read each way an unknown end date allows (absent means unknown, ADR 0009):
    as given (an unknown end is no end before ``as_of``), ended the day it began, and ended the
    day before ``as_of`` (an application lodged before then may keep it, utl. § 61). A fact that
    comes out the same in every reading is known; one that differs is unknown, so a permit with no
    end date never makes her hold a valid permit today, or three unbroken years, by default."""
    unsure = [i for i, p in enumerate(permits or ()) if p.valid_to is None and p.valid_from is not None
              and p.valid_from <= as_of]
    if permits is None or not unsure:
        return [permits]
    readings: list[list[Permit] | None] = [permits]
    for end in ("start", "eve"):
        reading = list(permits)
        for i in unsure:
            start = permits[i].valid_from
            assert start is not None
            day = start if end == "start" else max(start, as_of - dt.timedelta(days=1))
            reading[i] = permits[i].model_copy(update={"valid_to": day})
        readings.append(reading)
    return readings


def agreed(readings: list[dict[str, Any]]) -> dict[str, Any]:
    """What every reading says alike (`end_readings`): the rest is unknown."""
    first, rest = readings[0], readings[1:]
    return {key: value for key, value in first.items() if all(key in r and r[key] == value for r in rest)}


def pending_permit(permits: list[Permit] | None, applied: dt.date | None, as_of: dt.date) -> Permit | None:
    """The permit held when the application was lodged, if it has expired by ``as_of`` and no
    permit is valid then: while the application is decided the applicant may stay on its terms
    (utl. § 61 sixth and seventh paragraphs, utf. § 11-7). Whether that is a right depends on how
    long before expiry the application was lodged: the rules compare that with their parameter."""
    if applied is None or applied > as_of or current_permit(permits, as_of) is not None:
        return None
    held = current_permit(permits, applied)
    return held if held is not None and held.valid_to is not None and held.valid_to < as_of else None


def _current_permit(permits: list[Permit] | None, as_of: dt.date, applied: dt.date | None = None) -> dict[str, Any]:
    """The permit valid on ``as_of`` (the latest-starting one if several), or else the one a
    pending application keeps (`pending_permit`). Unknown when the list is unknown or a permit's
    start date is; basis "none" when no permit is valid that day and none is kept."""
    permits = begun(permits)
    if permits is None or any(p.valid_from is None for p in permits):
        return {}
    valid = [p for p in permits if p.valid_from <= as_of and (p.valid_to is None or as_of <= p.valid_to)]  # type: ignore[operator]
    kept = pending_permit(permits, applied, as_of) if not valid else None
    if not valid and kept is None:
        return {"basis": "none"}
    current = kept or max(valid, key=lambda p: (p.valid_from, p.valid_to or dt.date.max))
    out: dict[str, Any] = {"months_held": full_months(current.valid_from, as_of),  # type: ignore[arg-type]
                           "pending_application": kept is not None}
    if kept is not None:
        out["applied_months_before_expiry"] = months_before(applied, kept.valid_to)  # type: ignore[arg-type]
        out["months_held_at_application"] = full_months(kept.valid_from, applied)  # type: ignore[arg-type]
    if current.basis is not None:
        out["basis"] = current.basis
    if current.forms_basis_for_permanent is not None:
        out["forms_basis_for_permanent"] = current.forms_basis_for_permanent
    if current.valid_to is not None and kept is None:
        out["months_to_expiry"] = months_before(as_of, current.valid_to)
    return out


def current_permit(permits: list[Permit] | None, as_of: dt.date) -> Permit | None:
    """The permit valid on ``as_of`` (None when unknown or none)."""
    permits = begun(permits)
    if permits is None or any(p.valid_from is None for p in permits):
        return None
    valid = [p for p in permits if p.valid_from <= as_of and (p.valid_to is None or as_of <= p.valid_to)]  # type: ignore[operator]
    return max(valid, key=lambda p: (p.valid_from, p.valid_to or dt.date.max)) if valid else None


def qualifying_years(permits: list[Permit] | None, as_of: dt.date, applied: dt.date | None = None) -> int | None:
    """Full years of the unbroken stretch, up to ``as_of``, of permits forming the basis for
    permanent residence; ``None`` when a permit's dates or status are unknown. A permit kept by an
    application lodged before it expired (`pending_permit`) counts until ``as_of``: a renewed or
    new permit then runs from the old expiry (utf. §§ 10-24, 10-26; § 11-1 last paragraph)."""
    permits = begun(permits)
    if permits is None:
        return None
    kept = pending_permit(permits, applied, as_of) if all(p.valid_from for p in permits) else None
    if kept is not None:
        permits = [p.model_copy(update={"valid_to": as_of}) if p is kept else p for p in permits]
    if any(p.valid_from is None or p.forms_basis_for_permanent is None for p in permits):
        return None
    spans = sorted((p.valid_from, min(p.valid_to or as_of, as_of)) for p in permits  # type: ignore[type-var]
                   if p.forms_basis_for_permanent and p.valid_from <= as_of)  # type: ignore[operator]
    start: dt.date | None = None
    end: dt.date | None = None
    for s, e in spans:
        if end is not None and s <= end + dt.timedelta(days=1):
            end = max(end, e)
        else:
            start, end = s, e
    if start is None or end is None or end < as_of:
        return 0
    return full_years(start, as_of)


def _qualifying(permits: list[Permit] | None, as_of: dt.date, applied: dt.date | None) -> int | None:
    """`qualifying_years` if every reading of the unknown end dates gives the same (`end_readings`)."""
    found = {qualifying_years(reading, as_of, applied) for reading in end_readings(permits, as_of)}
    return found.pop() if len(found) == 1 else None


def _ymd(day: dt.date) -> int:
    return day.year * 10000 + day.month * 100 + day.day


def _lodged_on(case: Case) -> tuple[int, int] | None:
    """(earliest, latest) day the § 53 / § 62 application was lodged, as yyyymmdd (see the
    `application.lodged_on` spec)."""
    if case.application_date is not None:
        return _ymd(case.application_date), _ymd(case.application_date)
    starts = [p.valid_from for p in begun(case.permits) or []]
    if not starts or any(day is None for day in starts):
        return None
    return _ymd(min(starts)), 99991231  # type: ignore[type-var, arg-type]


def _union_began(case: Case) -> dt.date | None:
    """The day the marriage or cohabitation began: no application as spouse or cohabitant predates it."""
    rel = case.relationship
    return rel.married_on if rel.type == "marriage" else rel.cohabitation_started if rel.type == "cohabitation" else None


def _family_registered(case: Case) -> tuple[int, int] | None:
    """(earliest, latest) day the family-immigration application was registered, as yyyymmdd."""
    registered, began = case.family_application.registered_on, _union_began(case)
    if registered is not None:
        return _ymd(registered), _ymd(registered)
    return (_ymd(began), 99991231) if began is not None else None


def _family_lodged_on(case: Case) -> tuple[int, int] | None:
    """(earliest, latest) day the family-immigration application was handed in, as yyyymmdd (see
    the `family_application.lodged_on` spec)."""
    app = case.family_application
    if app.documents_handed_in_on is not None:
        return _ymd(app.documents_handed_in_on), _ymd(app.documents_handed_in_on)
    bounds = [day for day in (app.registered_on, _union_began(case)) if day is not None]
    return (_ymd(max(bounds)), 99991231) if bounds else None


def _incident(inc: Incident, rel_start: dt.date | None, rel_end: dt.date | None | Literal[True], still_together: bool,
              as_of: dt.date) -> dict[str, Any]:
    out = _plain(inc)
    if inc.during_cohabitation is None and inc.date is not None and rel_start is not None:
        if inc.date < rel_start:
            out["during_cohabitation"] = False
        elif isinstance(rel_end, dt.date):
            out["during_cohabitation"] = inc.date <= rel_end
        elif still_together:
            out["during_cohabitation"] = True
    happened = _happened(inc.date, out.get("during_cohabitation"), rel_start, rel_end, still_together, as_of)
    if happened is not None:
        out["happened_lo"], out["happened_hi"] = (int(d.strftime("%Y%m%d")) for d in happened)
    return out


def lawsuit_filed_in_time(case: Case) -> bool | None:
    """Whether the forced-marriage suit was filed within ekteskapsloven § 16 fourth paragraph
    (applied by § 23 third paragraph): within one year after the applicant became free of the
    coercion, and never later than five years after the marriage. A year counts to the same
    calendar date (DERIVED). Late on either limit is known from that limit's dates alone; in time
    needs both. None when that cannot be told."""
    suit, married = case.forced_marriage_lawsuit, case.relationship.married_on
    if suit.filed_on is None:
        return None
    limits = [add_months(day, months) for day, months in ((suit.freed_from_coercion_on, 12), (married, 60))
              if day is not None]
    if any(suit.filed_on > limit for limit in limits):
        return False
    return True if len(limits) == 2 else None


def _lives_with_violent_partner(case: Case, still_together: bool) -> bool:
    """The couple still live together (``cohabitation_ended: null``, or an end after the
    assessment date) and the partner is recorded as a perpetrator: the applicant lives with the
    abuser (issue 10 point 16). Only ever derives *true*: after a separation the applicant may
    still share a home with a household member or in-law, so nothing is derived then."""
    incidents = case.abuse.incidents or []
    return still_together and any(i.perpetrator == "reference_person" for i in incidents)


def _happened(date: dt.date | None, during: bool | None, rel_start: dt.date | None,
              rel_end: dt.date | None | Literal[True], still_together: bool, as_of: dt.date) -> tuple[dt.date, dt.date] | None:
    """(earliest, latest) day an incident can have happened: its date, or, for one during the
    cohabitation, the cohabitation's start to its end (or the assessment date); None if unknown."""
    if date is not None:
        return date, date
    if during is not True or rel_start is None:
        return None
    end = rel_end if isinstance(rel_end, dt.date) and not still_together else as_of
    return rel_start, max(rel_start, min(end, as_of))


def cohabitation_end(case: Case, as_of: dt.date) -> tuple[bool | None, dt.date | None]:
    """(whether the cohabitation had ended by ``as_of``, the day it ended if known). An end date
    after ``as_of`` has not happened yet. The reference person's death on or before ``as_of`` ends
    it on that day unless an earlier end date is given (a later one is refused by the case model);
    ``null`` (still together) only says that the couple did not separate."""
    rel = case.relationship
    given = "cohabitation_ended" in rel.model_fields_set
    end = rel.cohabitation_ended
    death = case.reference_person.death_date
    if isinstance(end, dt.date) and end <= as_of:
        return True, end
    if death is not None and death <= as_of:
        return True, death
    if given and end is not True:
        return False, None
    return (True, None) if given else (None, None)


def cohabitation_years(start: dt.date | None, ended: bool | None, end: dt.date | None,
                       as_of: dt.date) -> tuple[int, int] | None:
    """(fewest, most) full years of cohabitation by ``as_of`` (ADR 0009): exact when it goes on or
    its end date is known; otherwise it ended, or will end, between its start and ``as_of``."""
    if start is None:
        return None
    most = full_years(start, as_of)
    if ended is False:
        return most, most
    if end is not None:
        years = full_years(start, min(end, as_of))
        return years, years
    return min(0, most), most


def ended_by_death(case: Case, ended: bool | None, end: dt.date | None, as_of: dt.date) -> bool | None:
    """Whether the cohabitation ended because the reference person died (utl. § 53 first paragraph
    letter a): as ``end_reason`` says; false while the couple live together; true when it ended on
    the day of the death; false when it ended on a known earlier day, or on a known day with no
    death recorded (a death is not a fact a caseworker leaves out; ADR 0009). Else unknown."""
    reason = case.relationship.end_reason
    if reason is not None:
        return reason == "death_of_reference_person"
    if ended is False:
        return False
    if end is None:
        return None
    death = case.reference_person.death_date
    return death is not None and death <= as_of and death == end


def _started(permit: Permit, as_of: dt.date) -> dict[str, bool]:
    """Whether the permit had begun by ``as_of``: from its start date, else as `held` says (a
    permit applied for or granted but not yet begun is ``held: false``: not started)."""
    if permit.valid_from is not None:
        return {"started": permit.valid_from <= as_of}
    return {} if permit.held is None else {"started": permit.held}


ITEM_FACT = "item"


def case_facts(case: Case, as_of: dt.date) -> list[dict[str, Any]]:
    """The facts for one case as of a date: one per topic, then one per list element.

    Lists are not tested with durable's array operators, which evaluate ``$or`` inside them
    wrongly (measured: tests/test_adapter.py). Each element becomes its own fact
    ``{"t": "item", "l": <list path>, "i": <index>, ...}``; the topic fact keeps the count.
    """
    topics: dict[str, dict[str, Any]] = {t: {} for t in TOPICS}
    for section in SECTIONS:
        topics[section].update(_plain(getattr(case, section)))

    for who in ("applicant", "reference_person"):
        person = getattr(case, who)
        age = _age(person.birth_date, person.birth_year, as_of, person.age_on)
        if age is not None:
            topics[who]["age_lo"], topics[who]["age_hi"] = age

    rel = case.relationship
    ended, end_date = cohabitation_end(case, as_of)
    still_together = ended is False
    if ended is not None:  # as of the assessment date: an end after that date has not happened yet
        topics["relationship"]["cohabitation_ended"] = ended
    years = cohabitation_years(rel.cohabitation_started, ended, end_date, as_of)
    if years is not None:
        topics["relationship"]["cohabitation_years_lo"], topics["relationship"]["cohabitation_years_hi"] = years
    by_death = ended_by_death(case, ended, end_date, as_of)
    if by_death is not None:
        topics["relationship"]["ended_by_death"] = by_death
    if rel.union_established_before_reference_entry is None and case.reference_person.entry_date is not None:
        start = rel.married_on if rel.type == "marriage" else rel.cohabitation_started
        if start is not None:
            topics["relationship"]["union_established_before_reference_entry"] = start < case.reference_person.entry_date
    if rel.children_together == 0 and rel.expecting_child is False:  # no child: none was conceived
        for name in ("child_conceived_before_reference_entry", "child_conceived_while_both_lawful"):
            topics["relationship"].setdefault(name, False)

    if case.safety.lives_with_abuser is None and _lives_with_violent_partner(case, still_together):
        topics["safety"]["lives_with_abuser"] = True
    if case.abuse.incidents is not None:
        topics["abuse"]["incidents"] = [
            _incident(i, rel.cohabitation_started, end_date or rel.cohabitation_ended, still_together, as_of)
            for i in case.abuse.incidents
        ]
    if case.permits is not None:  # "started": the permit had begun by the assessment date
        topics["permits"] = {"items": [{**_plain(p), **_started(p, as_of)} for p in case.permits],
                             "count": len(case.permits)}
    topics["permanent_residence"].update(_months_abroad(case))
    topics["reference_person"].update(_incomes(case))
    topics["current_permit"] = agreed([_current_permit(reading, as_of, case.application_date)
                                       for reading in end_readings(case.permits, as_of)])
    in_time = lawsuit_filed_in_time(case)
    if in_time is not None:
        topics["forced_marriage_lawsuit"]["filed_in_time"] = in_time
    # As numbers yyyymmdd, for transitional rules keyed to an application date.
    lodged = _lodged_on(case)
    if lodged is not None:
        topics["application"]["lodged_on_lo"], topics["application"]["lodged_on_hi"] = lodged
    topics["family_application"].update(_family_application(case))
    family_lodged = _family_lodged_on(case)
    if family_lodged is not None:
        topics["family_application"]["lodged_on_lo"], topics["family_application"]["lodged_on_hi"] = family_lodged
    # The permit valid on the day she applied (the assessment date if she has not applied by then).
    applied = min(case.application_date, as_of) if case.application_date else as_of
    topics["application_permit"] = {k: v for k, v in agreed([_current_permit(reading, applied) for reading in
                                                              end_readings(case.permits, applied)]).items()
                                    if k == "basis"}
    qualifying = _qualifying(case.permits, as_of, case.application_date)
    if qualifying is not None:
        topics["permanent_residence"]["qualifying_years"] = qualifying
    five_year_rule = dt.date(2020, 12, 1)
    if as_of >= five_year_rule:
        by_2020 = _qualifying(case.permits, five_year_rule, case.application_date)
        if by_2020 is not None:
            topics["permanent_residence"]["qualifying_years_by_20201201"] = by_2020

    facts: list[dict[str, Any]] = []
    items: list[dict[str, Any]] = []
    for topic, attrs in sorted(topics.items()):
        fact: dict[str, Any] = {"t": topic}
        for name, value in attrs.items():
            if isinstance(value, list):
                spec = LIST_SPECS[(topic, name)]
                for index, element in enumerate(value):
                    body = element if isinstance(element, dict) else {"value": element}
                    items.append({"t": ITEM_FACT, "l": spec.path, "i": index, **body})
            else:
                fact[name] = value
        facts.append(fact)
    return facts + items


def source_paths(path: str) -> tuple[str, ...]:
    """The case fields a caseworker fills in to make ``path`` (a rule's fact path) known."""
    spec = FACT_SPECS.get(path.split("[]")[0]) if "[]" in path else FACT_SPECS.get(path)
    if spec is None:
        return (path,)
    if "[]." in path:
        return (path,)
    return spec.sources
