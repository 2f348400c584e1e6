"""The rulebook: YAML rule files, validated, versioned by date, hashed.

One file per legal unit (``rules/utl-53.yaml``), plus ``rules/parameters.yaml`` (dated thresholds)
and ``rules/rulebook.yaml`` (version and law names). Files are read with ``yaml.safe_load`` only and
validated against the schema below; a file that does not validate is refused with a message naming
the file, the rule id and the field (`RuleFileError`).

A *node* is one rule: it concludes a three-valued derived fact (met / not met / undetermined /
needs assessment) either from case facts (``when``) or from other nodes (``all`` / ``any``). A node
carrying ``provision`` is a verdict; one carrying ``notice`` is a warning shown when it is met.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from . import diskcache
from .ruledigest import SAFE_LOADER, canonical, default_rules_dir

VALUES = ("met", "not_met", "undetermined", "needs_assessment")
Value = Literal["met", "not_met", "undetermined", "needs_assessment"]
ID = r"^[a-z0-9][a-z0-9.-]*[a-z0-9]$"
PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")
# Dates computed from the case for templates (besides parameter ids): the expiry of the permit
# valid on the assessment date, and the last day to apply under utl. § 61 seventh paragraph.
DATE_PLACEHOLDERS = ("permit_expires", "apply_by")


class RuleFileError(Exception):
    """A rule file that cannot be used, with where exactly the problem is."""

    def __init__(self, file: str, rule: str | None, field: str | None, message: str):
        self.file, self.rule, self.field, self.message = file, rule, field, message
        where = file + (f": rule '{rule}'" if rule else "") + (f": field '{field}'" if field else "")
        super().__init__(f"{where}: {message}")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(Strict):
    """A reviewed text in Norwegian bokmål and English."""

    nb: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def get(self, lang: str) -> str:
        return self.nb if lang == "nb" else self.en


SourceKind = Literal["statute", "regulation", "preparatory_works", "circular", "practice"]
# Kinds that are not a law's text: cited by their document, never as a section of a law.
DOCUMENT_KINDS = ("preparatory_works", "circular", "practice")
_DOCUMENT_LABEL = {
    "practice": {"nb": "{by}-praksis", "en": "{by} practice"},
    "circular": {"nb": "Rundskriv/retningslinje", "en": "Circular/guideline"},
    "preparatory_works": {"nb": "Forarbeider", "en": "Preparatory works"},
}


class Source(Strict):
    """Where a rule comes from: law, section, paragraph (ledd), letter (bokstav), verbatim quote,
    and its kind. A statute or regulation is cited by section; preparatory works, a circular or
    practice by its ``document`` (e.g. UNE decision N2307420111), never as a section of a law."""

    kind: SourceKind | None = None  # defaults to the kind of the law (statute or regulation)
    document: str | None = None  # for preparatory works, circulars and practice: which document
    by: str = "UNE"  # for practice: whose practice (UNE, UDI)
    law: str | None = None  # defaults to the file's law
    section: str | None = None  # defaults to the file's section
    ledd: int | None = Field(default=None, ge=1, le=20)
    bokstav: str | None = Field(default=None, pattern=r"^[a-z]$")
    quote: str = Field(min_length=3, max_length=600)
    confidence: Literal["LAW-TEXT", "OFFICIAL", "DERIVED", "SECONDARY", "UNVERIFIED"] = "LAW-TEXT"
    conditions: list[str] = Field(default_factory=list)  # atomic-condition ids in the law notes
    reference: str | None = None  # e.g. a regulation, guideline or decision the quote is from

    @model_validator(mode="after")
    def _document(self) -> "Source":
        if self.kind in DOCUMENT_KINDS and not self.document:
            raise ValueError(f"a source of kind '{self.kind}' needs 'document' (which decision, circular or bill)")
        return self


class Provision(Strict):
    kind: Literal["entitlement", "discretionary"]
    order: int = 0


class Notice(Strict):
    """A message shown when the rule's result is in ``show_when`` (default: met), with the
    explanation text for that result."""

    level: Literal["safety", "warning", "info"]
    show_when: list[Value] = Field(default_factory=lambda: ["met"], min_length=1)


class ReferralRule(Strict):
    """A referral suggested when the rule's result is in ``show_when``; the explanation text for
    that result is the reason, naming the facts that triggered it."""

    service: str = Field(pattern=ID)
    urgency: Literal["now", "soon", "planned"]
    show_when: list[Value] = Field(default_factory=lambda: ["met"], min_length=1)


class Service(Strict):
    """One entry of the services catalogue (rules/services.yaml)."""

    id: str = Field(pattern=ID)
    name: Text
    does: Text
    contact: Text  # only contact facts the law notes mark as verified; otherwise "see dinutvei.no"
    cost: Text
    referral_needed: bool
    basis: Source  # the law that obliges or enables the service to help


class ServiceFile(Strict):
    services: list[Service] = Field(min_length=1)


class Explain(Strict):
    met: Text | None = None
    not_met: Text | None = None
    undetermined: Text | None = None
    needs_assessment: Text | None = None


Ref = str | dict[Literal["not"], str]


class Node(Strict):
    id: str = Field(pattern=ID, max_length=80)
    valid_from: dt.date
    valid_to: dt.date | None = None  # last day in force
    title: Text
    source: Source
    when: dict[str, Any] | None = None
    needs_assessment_when: dict[str, Any] | None = None
    # An UNVERIFIED point: known facts give needs_assessment with this note. With
    # needs_assessment_when, it is the note shown when that gives needs assessment (met stays met).
    uncertain: Text | None = None
    # A condition the applicant can fulfil herself (moving out): when it is the only thing keeping a
    # provision from being met, the provision is "met as soon as" this text (`outlook`).
    can_change_herself: Text | None = None
    all: list[Ref] | None = Field(default=None, min_length=1)
    any: list[Ref] | None = Field(default=None, min_length=1)
    provision: Provision | None = None
    notice: Notice | None = None
    referral: ReferralRule | None = None
    explain: Explain = Field(default_factory=Explain)

    @model_validator(mode="after")
    def _one_body(self) -> "Node":
        bodies = [b for b in ("when", "all", "any") if getattr(self, b) is not None]
        if len(bodies) != 1:
            raise ValueError("a rule needs exactly one of 'when', 'all' or 'any'")
        if self.needs_assessment_when is not None and self.when is None:
            raise ValueError("'needs_assessment_when' only goes with 'when'")
        if self.valid_to is not None and self.valid_to < self.valid_from:
            raise ValueError("'valid_to' is before 'valid_from'")
        return self

    def in_force(self, day: dt.date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)

    @property
    def refs(self) -> list[tuple[str, bool]]:
        """(node id, negated) for each input of an all/any rule."""
        out = []
        for ref in (self.all or self.any or []):
            out.append((ref["not"], True) if isinstance(ref, dict) else (ref, False))
        return out

    @property
    def key(self) -> str:
        """The versioned rule id used in traces: ``id@valid_from``."""
        return f"{self.id}@{self.valid_from.isoformat()}"


class RuleFile(Strict):
    unit: str = Field(pattern=ID)
    law: str
    section: str
    title: Text
    nodes: list[Node] = Field(min_length=1)


class ParameterValue(Strict):
    valid_from: dt.date
    value: float | int | None = None
    multiply: float | None = None  # value = multiply × another parameter (e.g. 3.2 G)
    of: str | None = None
    unverified: Text | None = None  # the amount or its date is not confirmed: results need assessment
    source: str | None = Field(default=None, min_length=3, max_length=600)  # where this dated value is stated

    @model_validator(mode="after")
    def _shape(self) -> "ParameterValue":
        if (self.value is None) == (self.multiply is None or self.of is None):
            raise ValueError("give either 'value' or both 'multiply' and 'of'")
        return self


class Parameter(Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: Text
    unit: str
    reference: Source
    values: list[ParameterValue] = Field(min_length=1)


class ParameterFile(Strict):
    parameters: list[Parameter]


class LawName(Strict):
    short: Text
    id: str  # Lovdata id, e.g. LOV-2008-05-15-35
    kind: Literal["statute", "regulation"] = "statute"
    id_unverified: str | None = None  # why the id is not confirmed by the law notes


class Meta(Strict):
    version: str
    laws: dict[str, LawName]


@dataclass(frozen=True)
class ResolvedParameter:
    id: str
    value: float
    valid_from: dt.date
    unverified: Text | None


_SAFE_LOADER = SAFE_LOADER  # see ruledigest: the rules' identity is read with the same loader


def _read_yaml(path: Path, raw: bytes | None = None) -> Any:
    """The data in the YAML file at ``path`` (its bytes ``raw`` when they were read already)."""
    try:
        text = (path.read_bytes() if raw is None else raw).decode("utf-8")
        # as reading in text mode does (universal newlines)
        return yaml.load(text.replace("\r\n", "\n").replace("\r", "\n"), Loader=_SAFE_LOADER)  # noqa: S506
    except (OSError, UnicodeDecodeError) as exc:
        raise RuleFileError(path.name, None, None, f"cannot read: {exc}") from None
    except yaml.YAMLError as exc:
        raise RuleFileError(path.name, None, None, f"not valid YAML: {exc}") from None


class _ParsedFiles:
    """The rule files' parsed YAML, read from the cache (`diskcache`, ADR 0014) when the files
    hold exactly the bytes it was parsed from: PyYAML's constructor took most of a cold load.
    The cached data is validated like freshly parsed data; only the parsing is saved."""

    KIND = "rules"

    def __init__(self, directory: Path):
        self.raw: dict[str, bytes] = {}
        for path in sorted(directory.glob("*.yaml")):
            try:
                self.raw[path.name] = path.read_bytes()
            except OSError:
                pass  # reported by `read`, which reads it again
        sha = hashlib.sha256(f"yaml {yaml.__version__} {_SAFE_LOADER.__name__}, tags 1\n".encode())
        for name, raw in self.raw.items():
            sha.update(f"{name} {len(raw)}\n".encode() + raw)
        self.key = sha.hexdigest()[:32]
        cached = diskcache.read_entry(self.KIND, self.key, object_hook=_from_json)
        self.cached: dict[str, Any] = cached if isinstance(cached, dict) else {}
        self.parsed: dict[str, Any] = {}

    def read(self, path: Path) -> Any:
        if path.name in self.cached:
            data = self.cached[path.name]
        else:
            data = _read_yaml(path, self.raw.get(path.name))
        self.parsed[path.name] = data
        return data

    def save(self) -> None:
        """Cache what was parsed, if anything was and it reads back from JSON as it was."""
        if set(self.parsed) <= set(self.cached) or set(self.parsed) != set(self.raw):
            return
        try:
            data = _to_json(self.parsed)
        except TypeError:
            return
        if json.loads(json.dumps(data), object_hook=_from_json) == self.parsed:
            diskcache.write_entry(self.KIND, self.key, data)


def _to_json(data: Any) -> Any:
    """YAML data as JSON data, dates tagged; TypeError for what JSON would not give back."""
    if isinstance(data, dict):
        if not all(isinstance(k, str) and not k.startswith("$") for k in data):
            raise TypeError("a key JSON would not give back")
        return {k: _to_json(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_to_json(v) for v in data]
    if isinstance(data, dt.datetime):
        return {"$datetime": data.isoformat()}
    if isinstance(data, dt.date):
        return {"$date": data.isoformat()}
    if data is None or isinstance(data, (str, bool, int, float)):
        return data
    raise TypeError(f"not JSON data: {type(data).__name__}")


def _from_json(obj: dict[str, Any]) -> Any:
    if len(obj) == 1:
        if "$date" in obj:
            return dt.date.fromisoformat(obj["$date"])
        if "$datetime" in obj:
            return dt.datetime.fromisoformat(obj["$datetime"])
    return obj


def _validation_error(file: str, data: Any, exc: ValidationError) -> RuleFileError:
    err = exc.errors()[0]
    loc = list(err["loc"])
    rule = None
    if len(loc) >= 2 and loc[0] in ("nodes", "parameters") and isinstance(loc[1], int):
        try:
            rule = str(data[loc[0]][loc[1]].get("id")) if isinstance(data[loc[0]][loc[1]], dict) else None
        except (IndexError, KeyError, TypeError):
            rule = None
        loc = loc[2:]
    field = ".".join(str(p) for p in loc) or None
    return RuleFileError(file, rule, field, err["msg"])


_canonical = canonical  # one canonical form for `Rulebook.digest` and `ruledigest.rules_identity`


class Rulebook:
    """All rule files of one rules directory, validated and cross-checked."""

    def __init__(self, directory: Path, meta: Meta, files: dict[str, RuleFile],
                 parameters: dict[str, Parameter], digests: dict[str, str],
                 services: dict[str, Service] | None = None):
        self.directory = directory
        self.services = services or {}
        self.meta = meta
        self.files = files
        self.parameters = parameters
        self.file_digests = digests
        self.versions: dict[str, list[Node]] = {}
        self.unit_of: dict[str, RuleFile] = {}
        for rule_file in files.values():
            for node in rule_file.nodes:
                self.versions.setdefault(node.id, []).append(node)
                self.unit_of[node.key] = rule_file

    @property
    def version(self) -> str:
        return self.meta.version

    @cached_property
    def digest(self) -> str:
        """sha256 over the canonicalised content of every rule file (names sorted)."""
        return hashlib.sha256(_canonical(self.file_digests)).hexdigest()

    @cached_property
    def position(self) -> dict[str, int]:
        """Each rule version's place in the rulebook (files by name, rules in file order)."""
        return {n.key: i for i, n in enumerate(n for f in self.files.values() for n in f.nodes)}

    def in_force(self, day: dt.date) -> dict[str, Node]:
        """The version of each rule that is in force on ``day``."""
        active = {}
        for node_id, versions in self.versions.items():
            for node in versions:
                if node.in_force(day):
                    active[node_id] = node
        return active

    def change_dates(self) -> list[dt.date]:
        """Every date on which the law this rulebook encodes changes: a rule version comes into
        force or lapses, or a parameter takes a new value (ADR 0003). Each starts a law epoch."""
        days = {n.valid_from for versions in self.versions.values() for n in versions}
        days |= {n.valid_to + dt.timedelta(days=1) for versions in self.versions.values()
                 for n in versions if n.valid_to}
        days |= {v.valid_from for p in self.parameters.values() for v in p.values}
        return sorted(days)

    def parameter(self, pid: str, day: dt.date) -> ResolvedParameter | None:
        param = self.parameters[pid]
        candidates = [v for v in param.values if v.valid_from <= day]
        if not candidates:
            return None
        chosen = max(candidates, key=lambda v: v.valid_from)
        if chosen.value is not None:
            return ResolvedParameter(pid, float(chosen.value), chosen.valid_from, chosen.unverified)
        base = self.parameter(chosen.of or "", day)
        if base is None:
            return None
        return ResolvedParameter(pid, round((chosen.multiply or 0) * base.value, 2), chosen.valid_from,
                                 chosen.unverified or base.unverified)

    def kind(self, source: Source, default_law: str = "utlendingsloven") -> str:
        """The kind of a source: its own, else its law's (statute or regulation)."""
        law = self.meta.laws.get(source.law or default_law)
        return source.kind or (law.kind if law else "statute")

    def cite_source(self, source: Source, lang: str, default_law: str = "utlendingsloven",
                    default_section: str = "") -> str:
        """'utl. § 53 første ledd bokstav b' for a law; 'UNE-praksis (N2307420111)' for practice."""
        kind = self.kind(source, default_law)
        if kind in DOCUMENT_KINDS:
            return format_document(kind, source.document or "", source.by, lang)
        law = source.law or default_law
        return format_cite(self.meta.laws[law].short.get(lang) if law in self.meta.laws else law,
                           source.section or default_section, source.ledd, source.bokstav, lang)

    def cite(self, node: Node, lang: str) -> str:
        """A human citation: 'utl. § 53 første ledd bokstav b' / 'Immigration Act section 53(1)(b)',
        or the document for preparatory works, circulars and practice."""
        unit = self.unit_of[node.key]
        return self.cite_source(node.source, lang, unit.law, unit.section)

    def citation(self, node: Node) -> dict[str, Any]:
        unit = self.unit_of[node.key]
        return {
            "law": node.source.law or unit.law,
            "section": node.source.section or unit.section,
            "ledd": node.source.ledd,
            "bokstav": node.source.bokstav,
            "kind": self.kind(node.source, unit.law),
        }


_ORDINAL_NB = ["første", "annet", "tredje", "fjerde", "femte", "sjette", "sjuende", "åttende", "niende", "tiende"]
_ORDINAL_EN = ["first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth"]


def format_document(kind: str, document: str, by: str, lang: str) -> str:
    """A citation of preparatory works, a circular or practice: 'UNE practice (N2307420111)'."""
    return f"{_DOCUMENT_LABEL[kind][lang].format(by=by)} ({document})"


def format_cite(law_short: str, section: str, ledd: int | None, bokstav: str | None, lang: str) -> str:
    if lang == "nb":
        text = f"{law_short} § {section}"
        if ledd:
            text += f" {_ORDINAL_NB[ledd - 1] if ledd <= 10 else str(ledd) + '.'} ledd"
        if bokstav:
            text += f" bokstav {bokstav}"
        return text
    text = f"{law_short} section {section}"
    if ledd:
        text += f" {_ORDINAL_EN[ledd - 1] if ledd <= 10 else str(ledd)} paragraph"
    if bokstav:
        text += f" letter ({bokstav})"
    return text


LAW_SOURCES = "law-sources.md"


def law_sources_path(directory: Path | None = None) -> Path:
    """The law-sources document shipped with the rules (the "law notes" the rules cite by section)."""
    return (Path(directory) if directory else default_rules_dir()) / LAW_SOURCES


def load_rulebook(directory: Path | None = None) -> Rulebook:
    """Read, validate and cross-check every rule file in ``directory``."""
    directory = Path(directory) if directory else default_rules_dir()
    if not directory.is_dir():
        raise RuleFileError(str(directory), None, None, "rules directory not found (set ELIGIBILITY_RULES)")
    meta_path = directory / "rulebook.yaml"
    param_path = directory / "parameters.yaml"
    digests: dict[str, str] = {}
    files_read = _ParsedFiles(directory)

    def parse(path: Path, model: type[BaseModel]) -> Any:
        data = files_read.read(path)
        if not isinstance(data, dict):
            raise RuleFileError(path.name, None, None, "the file must hold a mapping")
        try:
            parsed = model.model_validate(data)
        except ValidationError as exc:
            raise _validation_error(path.name, data, exc) from None
        digests[path.name] = hashlib.sha256(_canonical(data)).hexdigest()
        return parsed

    if not meta_path.is_file():
        raise RuleFileError("rulebook.yaml", None, None, "missing")
    meta: Meta = parse(meta_path, Meta)
    params: dict[str, Parameter] = {}
    if param_path.is_file():
        for p in parse(param_path, ParameterFile).parameters:
            if p.id in params:
                raise RuleFileError(param_path.name, p.id, "id", "duplicate parameter id")
            params[p.id] = p
    files: dict[str, RuleFile] = {}
    services: dict[str, Service] = {}
    service_path = directory / "services.yaml"
    if service_path.is_file():
        for service in parse(service_path, ServiceFile).services:
            if service.id in services:
                raise RuleFileError(service_path.name, service.id, "id", "duplicate service id")
            if (service.basis.law or "utlendingsloven") not in meta.laws:
                raise RuleFileError(service_path.name, service.id, "basis.law", f"unknown law '{service.basis.law}'")
            services[service.id] = service
    for path in sorted(directory.glob("*.yaml")):
        if path.name == "questions.yaml":  # the interview's questions: part of the rulebook's digest
            digests[path.name] = hashlib.sha256(_canonical(files_read.read(path))).hexdigest()
            continue
        if path.name in ("rulebook.yaml", "parameters.yaml", "services.yaml"):
            continue
        files[path.name] = parse(path, RuleFile)
    book = Rulebook(directory, meta, files, params, digests, services)
    _cross_check(book)
    files_read.save()
    return book


def _cross_check(book: Rulebook) -> None:
    """Checks across files: unique versions, known references, known laws, templates and texts."""
    from .logic import parse_expression  # local import: logic depends on the rulebook's types

    seen: dict[tuple[str, dt.date], str] = {}
    for name, rule_file in book.files.items():
        if rule_file.law not in book.meta.laws:
            raise RuleFileError(name, None, "law", f"unknown law '{rule_file.law}'")
        for node in rule_file.nodes:
            key = (node.id, node.valid_from)
            if key in seen:
                raise RuleFileError(name, node.id, "valid_from", f"a version from this date is already in {seen[key]}")
            seen[key] = name
            for other in book.versions[node.id]:
                if other is not node and _overlap(node, other):
                    raise RuleFileError(name, node.id, "valid_from", "validity overlaps another version of this rule")
            for ref, _neg in node.refs:
                if ref not in book.versions:
                    raise RuleFileError(name, node.id, "all" if node.all else "any", f"unknown rule '{ref}'")
            for field in ("when", "needs_assessment_when"):
                expr = getattr(node, field)
                if expr is not None:
                    try:
                        parse_expression(expr, book.parameters)
                    except ValueError as exc:
                        raise RuleFileError(name, node.id, f"{field}{exc.args[1] if len(exc.args) > 1 else ''}",
                                            str(exc.args[0])) from None
            for value in VALUES:
                text = getattr(node.explain, value)
                if text is None:
                    continue
                for lang in ("nb", "en"):
                    for placeholder in PLACEHOLDER.findall(text.get(lang)):
                        if placeholder not in book.parameters and placeholder not in DATE_PLACEHOLDERS:
                            raise RuleFileError(name, node.id, f"explain.{value}.{lang}",
                                                f"unknown placeholder '{{{placeholder}}}'")
            if node.notice and any(getattr(node.explain, v) is None for v in node.notice.show_when):
                raise RuleFileError(name, node.id, "explain", "a notice needs a text for each result in 'show_when'")
            if node.referral:
                if node.referral.service not in book.services:
                    raise RuleFileError(name, node.id, "referral.service",
                                        f"unknown service '{node.referral.service}' (not in services.yaml)")
                if any(getattr(node.explain, v) is None for v in node.referral.show_when):
                    raise RuleFileError(name, node.id, "explain",
                                        "a referral needs a reason text for each result in 'show_when'")
            if node.provision and not (node.explain.met and node.explain.not_met):
                raise RuleFileError(name, node.id, "explain", "a provision needs 'met' and 'not_met' explanations")


def _overlap(a: Node, b: Node) -> bool:
    a_end = a.valid_to or dt.date.max
    b_end = b.valid_to or dt.date.max
    return a.valid_from <= b_end and b.valid_from <= a_end
