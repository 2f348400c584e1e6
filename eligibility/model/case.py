"""Case facts: what a caseworker or clinic knows about one anonymised case.

Every fact is optional: **absent means unknown** (never false, never a default). The one place
where an explicit ``null`` carries meaning is ``relationship.cohabitation_ended``: absent = unknown,
``null`` = the couple still live together, a date (or ``true``) = cohabitation has ended.

Unknown field names are rejected (``extra="forbid"``) so that a typo never passes silently.
Each field carries the question a caseworker can ask to fill it in (nb and en), exported with the
JSON Schema and used to list missing facts.
"""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError


def ask(en: str, nb: str, **kwargs: Any) -> Any:
    """A field with the question that asks for it, in English and Norwegian bokmål."""
    return Field(default=None, description=en, json_schema_extra={"question": {"en": en, "nb": nb}}, **kwargs)


class Facts(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=True)


def refuse_replaced(data: Any, replaced: dict[str, tuple[str, str]]) -> Any:
    """Refuse a field that has been removed, naming what replaces it (a clear error, not "unknown field")."""
    if isinstance(data, dict):
        for old, instead in replaced.items():
            if old in data:
                en, nb = instead
                raise PydanticCustomError(
                    "replaced_field", "the field {old} has been removed: {instead}",
                    {"old": old, "instead": en, "instead_nb": nb},
                )
    return data


# A removed field: what replaces it, in English and in Norwegian.
REPLACED_PERMANENT_RESIDENCE = {
    "months_abroad": (
        "give months_abroad_last_3_years and months_abroad_last_5_years instead (utl. § 62 counts at most "
        "7 months abroad in the last three years, or 10 in the last five)",
        "oppgi months_abroad_last_3_years og months_abroad_last_5_years i stedet (utl. § 62 tillater høyst "
        "7 måneder i utlandet de siste tre årene, eller 10 de siste fem)"),
}

REPLACED_RELATIONSHIP = {
    "established_before_reference_entry": (
        "give union_established_before_reference_entry (marriage or cohabitation, utl. § 41 a) and "
        "child_conceived_before_reference_entry (utl. § 40 a, § 41) instead",
        "oppgi union_established_before_reference_entry (ekteskap eller samboerskap, utl. § 41 a) og "
        "child_conceived_before_reference_entry (utl. § 40 a, § 41) i stedet"),
    "established_while_both_lawful": (
        "give union_established_while_both_lawful (marriage or cohabitation, utl. § 41 a) and "
        "child_conceived_while_both_lawful (utl. § 40 a, § 41) instead",
        "oppgi union_established_while_both_lawful (ekteskap eller samboerskap, utl. § 41 a) og "
        "child_conceived_while_both_lawful (utl. § 40 a, § 41) i stedet"),
}


Year = Annotated[int, Field(ge=1900, le=2100)]

# Dates. The rulebook holds the law from utlendingsloven 2008's entry into force (2010-01-01): an
# assessment date before it would apply law that is not in the rules. Every date ends at 2100-12-31,
# the bound of `Year`: later dates are typos (no permit, marriage or birth is dated there), and the
# date arithmetic of the measurements (ages, months, deadlines) then stays far from `date.max`.
LAW_FROM, LAST_DAY, FIRST_DAY = dt.date(2010, 1, 1), dt.date(2100, 12, 31), dt.date(1900, 1, 1)


def _plausible(day: dt.date) -> dt.date:
    if not FIRST_DAY <= day <= LAST_DAY:
        raise PydanticCustomError("date_out_of_range", "a date must be between {first} and {last}",
                                  {"first": FIRST_DAY.isoformat(), "last": LAST_DAY.isoformat()})
    return day


def law_date(day: dt.date) -> dt.date:
    """An assessment date the rulebook covers (2010-01-01 to 2100-12-31); a validation error otherwise."""
    if day < LAW_FROM:
        raise PydanticCustomError("before_law", "the rulebook covers the law from {first} (utlendingsloven 2008 in "
                                  "force); an earlier assessment date cannot be screened", {"first": LAW_FROM.isoformat()})
    if day > LAST_DAY:
        raise PydanticCustomError("after_law", "an assessment date must be at most {last}", {"last": LAST_DAY.isoformat()})
    return day


Day = Annotated[dt.date, AfterValidator(_plausible)]
AssessmentDay = Annotated[dt.date, AfterValidator(law_date)]
CountryCode = Annotated[str, Field(pattern=r"^[A-Z]{2}$")]
LanguageCode = Annotated[str, Field(pattern=r"^[a-z]{2,3}$")]


class ReferenceStatus(StrEnum):
    """The reference person's status in Norway (utl. § 40 first paragraph, § 40 a, § 62 second paragraph)."""

    norwegian_citizen = "norwegian_citizen"
    nordic_citizen = "nordic_citizen"
    permanent_residence = "permanent_residence"
    protection = "protection"  # utl. § 28
    humanitarian = "humanitarian"  # utl. § 38
    collective_protection = "collective_protection"  # utl. § 34
    resettlement = "resettlement"  # utl. § 35 third paragraph
    family_permit = "family_permit"  # utl. chapter 6
    other_basis_permit = "other_basis_permit"  # e.g. work: a permit forming the basis for permanent residence
    permit_not_basis = "permit_not_basis"  # a permit that does not form the basis for permanent residence
    eea_national = "eea_national"


class PermanentResidenceBasis(StrEnum):
    protection = "protection"
    humanitarian = "humanitarian"
    collective_protection = "collective_protection"
    resettlement = "resettlement"
    family_permit = "family_permit"
    other = "other"


class AgeOn(Facts):
    """An age as a decision or a document states it, without a birth date: ``{age: 34, on: 2025-03-01}``."""

    age: int = Field(ge=0, le=130, description="Full years of age on the date.")
    on: Day = Field(description="The date the age was stated for.")


Income = Annotated[int, Field(ge=0, le=10**12)]  # NOK a year


class AtLeast(Facts):
    """A figure known only from below, as decisions state it: ``{at_least: 8}`` or ``{more_than: 7}``
    ("more than seven months abroad")."""

    at_least: float | None = Field(default=None, ge=0)
    more_than: float | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _one_bound(self) -> "AtLeast":
        if (self.at_least is None) == (self.more_than is None):
            raise PydanticCustomError("one_bound", "give exactly one of at_least or more_than, e.g. {{at_least: 8}}")
        return self


def _birth_consistent(birth_date: dt.date | None, birth_year: int | None, age_on: AgeOn | None) -> None:
    """A birth date, a birth year and an age on a date must fit one another."""
    if birth_date is not None and birth_year is not None and birth_date.year != birth_year:
        raise PydanticCustomError("birth_inconsistent", "birth_year ({year}) is not the year of birth_date ({date}): "
                                  "give one of them, or correct it", {"year": birth_year, "date": birth_date.isoformat()})
    if age_on is None:
        return
    years = [d.year for d in (birth_date,) if d is not None] + ([birth_year] if birth_year is not None else [])
    first, last = age_on.on.year - age_on.age - 1, age_on.on.year - age_on.age
    if any(not first <= y <= last for y in years):
        raise PydanticCustomError("age_inconsistent", "age_on (age {age} on {on}) does not fit the birth date or year: "
                                  "give one of them, or correct it", {"age": age_on.age, "on": age_on.on.isoformat()})


class Applicant(Facts):
    birth_date: Day | None = ask("What is the applicant's date of birth?", "Hva er søkerens fødselsdato?")
    birth_year: Year | None = ask("In what year was the applicant born?", "Hvilket år er søkeren født?")
    age_on: AgeOn | None = ask(
        "If only an age is known: how old was the applicant, and on what date?",
        "Hvis bare alderen er kjent: hvor gammel var søkeren, og på hvilken dato?",
    )
    citizenship: CountryCode | None = ask(
        "What is the applicant's citizenship (ISO 3166 alpha-2)?", "Hvilket statsborgerskap har søkeren (ISO 3166 alfa-2)?"
    )
    languages: list[LanguageCode] | None = ask(
        "Which languages does the applicant speak (ISO 639 codes)?", "Hvilke språk snakker søkeren (ISO 639-koder)?"
    )
    needs_interpreter: bool | None = ask("Does the applicant need an interpreter?", "Trenger søkeren tolk?")

    @model_validator(mode="after")
    def _consistent(self) -> "Applicant":
        _birth_consistent(self.birth_date, self.birth_year, self.age_on)
        return self


class ReferencePerson(Facts):
    """The person the applicant came to live with (utl. § 39)."""

    birth_date: Day | None = ask(
        "What is the reference person's date of birth?", "Hva er referansepersonens fødselsdato?"
    )
    birth_year: Year | None = ask("In what year was the reference person born?", "Hvilket år er referansepersonen født?")
    age_on: AgeOn | None = ask(
        "If only an age is known: how old was the reference person, and on what date?",
        "Hvis bare alderen er kjent: hvor gammel var referansepersonen, og på hvilken dato?",
    )
    status: ReferenceStatus | None = ask(
        "What is the reference person's status in Norway (citizenship or permit basis)?",
        "Hvilken status har referansepersonen i Norge (statsborgerskap eller tillatelsesgrunnlag)?",
    )
    permanent_residence_basis: PermanentResidenceBasis | None = ask(
        "If the reference person has permanent residence: what permit was it based on?",
        "Hvis referansepersonen har permanent oppholdstillatelse: hvilken tillatelse bygget den på?",
    )
    lives_in_norway: bool | None = ask(
        "Does the reference person live in Norway, or will they settle here?",
        "Er referansepersonen bosatt i Norge, eller skal vedkommende bosette seg her?",
    )
    entry_date: Day | None = ask(
        "When did the reference person enter Norway?", "Når reiste referansepersonen inn i Norge?"
    )
    death_date: Day | None = ask(
        "If the reference person has died: on what date?", "Hvis referansepersonen er død: hvilken dato?"
    )
    years_work_or_education: float | None = ask(
        "How many years of full-time work or education in Norway does the reference person have?",
        "Hvor mange år med fulltids arbeid eller utdanning i Norge har referansepersonen?",
        ge=0, le=100,
    )
    expected_income: Income | AtLeast | None = ask(
        "What is the reference person's expected yearly income (NOK)? A figure known only from below: {at_least: 400000}.",
        "Hva er referansepersonens forventede årsinntekt (kroner)? Et beløp man bare vet nedre grense for: {at_least: 400000}.",
    )
    previous_year_income: Income | AtLeast | None = ask(
        "What was the reference person's income last year per the tax settlement (NOK)? A figure known only from below: {at_least: 400000}.",
        "Hva var referansepersonens inntekt i fjor etter skatteoppgjøret (kroner)? Et beløp man bare vet nedre grense for: {at_least: 400000}.",
    )
    received_social_assistance_12_months: bool | None = ask(
        "Has the reference person received financial social assistance (økonomisk stønad under the Social Services "
        "Act) in the last 12 months, other than while waiting for a National Insurance benefit or housing allowance?",
        "Har referansepersonen mottatt økonomisk stønad etter sosialtjenesteloven de siste tolv månedene, utenom "
        "stønad i påvente av trygdeytelser eller bostøtte?",
    )

    @model_validator(mode="after")
    def _consistent(self) -> "ReferencePerson":
        _birth_consistent(self.birth_date, self.birth_year, self.age_on)
        return self


class Relationship(Facts):
    type: Literal["marriage", "cohabitation"] | None = ask(
        "Are the applicant and the reference person married or cohabitants?",
        "Er søkeren og referansepersonen gift eller samboere?",
    )
    married_on: Day | None = ask("When did they marry?", "Når giftet de seg?")
    marriage_recognised_in_norway: bool | None = ask(
        "If they married abroad: is the marriage recognised as valid in Norway (Marriage Act sections 18 a to 18 c)?",
        "Hvis de giftet seg i utlandet: er ekteskapet anerkjent som gyldig i Norge (ekteskapsloven §§ 18 a til 18 c)?",
    )
    cohabitation_started: Day | None = ask("When did they start living together?", "Når flyttet de sammen?")
    cohabitation_ended: Day | Literal[True] | None = ask(
        "Has the cohabitation ended (do they no longer live together)? If so, when?",
        "Er samlivet opphørt (bor de ikke lenger sammen)? I så fall: når?",
    )
    end_reason: Literal["separation", "death_of_reference_person"] | None = ask(
        "Did the cohabitation end by separation or because the reference person died?",
        "Opphørte samlivet ved samlivsbrudd eller fordi referansepersonen døde?",
    )
    ended_by: Literal["applicant", "reference_person", "mutual"] | None = ask(
        "Who ended the relationship? (This never changes the result under § 53.)",
        "Hvem avsluttet forholdet? (Dette endrer aldri resultatet etter § 53.)",
    )
    breakup_caused_by_abuse: bool | None = ask(
        "Was the abuse the reason for the breakup? (No causal link is required under § 53.)",
        "Var mishandlingen årsaken til bruddet? (Det kreves ingen årsakssammenheng etter § 53.)",
    )
    intend_to_live_together: bool | None = ask(
        "Do the parties intend to live together (continue the cohabitation)?",
        "Har partene til hensikt å bo sammen (fortsette samlivet)?",
    )
    children_together: int | None = ask(
        "How many children do they have together?", "Hvor mange felles barn har de?", ge=0, le=30
    )
    expecting_child: bool | None = ask("Are they expecting a child together?", "Venter de barn sammen?")
    either_married_to_other: bool | None = ask(
        "Is either party married to someone else?", "Er noen av partene gift med en annen?"
    )
    lasting_obstacle_to_divorce: bool | None = ask(
        "Is there a lasting obstacle to ending that other marriage?",
        "Er det varige hindringer for å oppløse det andre ekteskapet?",
    )
    # When the couple's union began and when a child was conceived are separate facts: § 41 a looks
    # only at the marriage or cohabitation, § 40 a second paragraph at the marriage or the child,
    # and § 41 second paragraph (cohabitants) only at the child (issue 10 point 12).
    union_established_before_reference_entry: bool | None = ask(
        "Were they married, or did the cohabitation start, before the reference person entered Norway?",
        "Ble ekteskapet inngått, eller samlivet etablert, før referansepersonen reiste inn i Norge?",
    )
    child_conceived_before_reference_entry: bool | None = ask(
        "Did they conceive a child together before the reference person entered Norway?",
        "Unnfanget de et felles barn før referansepersonen reiste inn i Norge?",
    )
    union_established_while_both_lawful: bool | None = ask(
        "Were they married, or did they live in an established cohabitation in Norway, while both had a Norwegian permit or Norwegian or Nordic citizenship?",
        "Ble ekteskapet inngått, eller levde de i et etablert samliv i Norge, mens begge hadde norsk tillatelse eller norsk eller nordisk statsborgerskap?",
    )
    child_conceived_while_both_lawful: bool | None = ask(
        "Did they conceive a child together while both had a Norwegian residence permit?",
        "Unnfanget de et felles barn mens begge hadde oppholdstillatelse i Norge?",
    )

    @model_validator(mode="before")
    @classmethod
    def _replaced_fields(cls, data: Any) -> Any:
        return refuse_replaced(data, REPLACED_RELATIONSHIP)


class FamilyApplication(Facts):
    """The family-immigration application under utl. §§ 40/41 (as spouse or cohabitant), with its
    two dates: registered online and paid (utf. § 10-8: 2.7 G or 3.2 G, the refugee deadline) and
    handed in (utl. § 41 a and utf. § 10-10 transitional rules). Not the application screened under
    § 53 or § 62: that is the case's ``application_date``."""

    registered_on: Day | None = ask(
        "When was the family-immigration application (as spouse or cohabitant) registered online with the fee paid, "
        "or lodged if that was earlier? For a renewal: the first family-immigration application.",
        "Når ble søknaden om familieinnvandring (som ektefelle eller samboer) registrert på nettet og gebyret betalt, "
        "eller levert hvis det var tidligere? Ved fornyelse: den første søknaden om familieinnvandring.",
    )
    documents_handed_in_on: Day | None = ask(
        "On what date did the applicant hand in the family-immigration application's documents to the police, "
        "embassy or application centre?",
        "Hvilken dato leverte søkeren dokumentene til søknaden om familieinnvandring hos politiet, ambassaden eller "
        "søknadssenteret?",
    )
    reference_protection_granted_on: Day | None = ask(
        "If the reference person has protection (refugee status): on what date were they granted it "
        "(the date in the decision letter)?",
        "Hvis referansepersonen har beskyttelse (flyktningstatus): hvilken dato fikk vedkommende det "
        "(datoen i vedtaksbrevet)?",
    )
    married_before_reference_entry: bool | None = ask(
        "Did the spouses marry before the reference person entered Norway?",
        "Giftet ektefellene seg før referansepersonen reiste inn i Norge?",
    )
    prevented_from_applying_in_time: bool | None = ask(
        "Was the applicant prevented, by circumstances outside their control, from applying earlier?",
        "Var søkeren forhindret fra å søke tidligere på grunn av forhold utenfor søkerens kontroll?",
    )


PermitBasis = Literal[
    "utl-40", "utl-41", "utl-53", "utl-28", "utl-38", "utl-34", "utl-48", "utl-62",
    # § 53 with the paragraph and letter printed on the decision ("utl-53" when not recorded):
    # utf. § 11-12 first paragraph letter b exempts only a § 53(1)(b) permit from self-support.
    "utl-53-1-a", "utl-53-1-b", "utl-53-2", "utl-53-3",
    "eea-card", "student", "work", "other",
]


class Permit(Facts):
    """One of the applicant's residence permits, as printed on the decision."""

    basis: PermitBasis | None = ask(
        "What legal basis is printed on the permit decision?", "Hvilket rettsgrunnlag står i vedtaket om tillatelsen?"
    )
    valid_from: Day | None = ask("From what date is the permit valid?", "Fra hvilken dato gjelder tillatelsen?")
    valid_to: Day | None = ask("Until what date is the permit valid?", "Til hvilken dato gjelder tillatelsen?")
    held: bool | None = ask(
        "Has the applicant held this permit (it has begun), even if its dates are not known?",
        "Har søkeren hatt denne tillatelsen (den har begynt å gjelde), selv om datoene ikke er kjent?",
    )
    forms_basis_for_permanent: bool | None = ask(
        "Does the permit form the basis for permanent residence?",
        "Danner tillatelsen grunnlag for permanent oppholdstillatelse?",
    )


class Incident(Facts):
    """One incident or pattern of abuse (utl. § 53 first paragraph letter b)."""

    kind: Literal[
        "physical", "psychological", "sexual", "threats", "isolation", "economic_control", "deportation_threats"
    ] | None = ask("What kind of abuse was it?", "Hva slags mishandling var det?")
    perpetrator: Literal["reference_person", "household_member", "in_law", "other"] | None = ask(
        "Who committed it?", "Hvem utøvde den?"
    )
    victim: Literal["applicant", "child"] | None = ask(
        "Who was exposed to it: the applicant or a child?", "Hvem ble utsatt for den: søkeren eller et barn?"
    )
    during_cohabitation: bool | None = ask(
        "Did it happen while the couple lived together?", "Skjedde det mens paret bodde sammen?"
    )
    date: Day | None = ask("When did it happen?", "Når skjedde det?")
    severity: Literal["low", "moderate", "high"] | None = ask(
        "How serious was it (e.g. strangulation or death threats are high)?",
        "Hvor alvorlig var det (f.eks. kvelertak eller drapstrusler er høy)?",
    )
    repeated: bool | None = ask(
        "Did it happen more than once, as a pattern?", "Skjedde det flere ganger, som et mønster?"
    )


EvidenceKind = Literal[
    "own_account", "police_report", "medical_record", "shelter_confirmation", "witness", "messages"
]


class Abuse(Facts):
    incidents: list[Incident] | None = ask(
        "What abuse has the applicant or a child been exposed to? (An empty list means none.)",
        "Hvilken mishandling har søkeren eller et barn vært utsatt for? (Tom liste betyr ingen.)",
        max_length=200,
    )
    reduced_quality_of_life: bool | None = ask(
        "Has the abuse reduced the applicant's quality of life?", "Har mishandlingen gitt søkeren redusert livskvalitet?"
    )
    account_credible: bool | None = ask(
        "Is the applicant's own account coherent and credible?", "Er søkerens egen forklaring sammenhengende og troverdig?"
    )
    evidence: list[EvidenceKind] | None = ask(
        "What evidence is there (own account, police report, medical record, shelter confirmation, witness, messages)?",
        "Hvilken dokumentasjon finnes (egen forklaring, anmeldelse, journal, bekreftelse fra krisesenter, vitne, meldinger)?",
        max_length=20,
    )
    evidence_independent: bool | None = ask(
        "Does any of the evidence record what someone else saw or found (injuries seen by a doctor or the police, "
        "a witness who saw or heard it), rather than retell the applicant's own account?",
        "Viser noe av dokumentasjonen hva andre selv har sett eller funnet (skader en lege eller politiet har sett, "
        "et vitne som så eller hørte det), og ikke bare søkerens egen forklaring gjengitt?",
    )


class HomeCountryHardship(Facts):
    """utl. § 53 second paragraph."""

    expected: bool | None = ask(
        "Will the breakup cause unreasonable difficulties in the home country because of social and cultural conditions there?",
        "Vil samlivsbruddet gi urimelige vanskeligheter i hjemlandet på grunn av sosiale og kulturelle forhold der?",
    )


class ForcedMarriageLawsuit(Facts):
    """utl. § 53 third paragraph; ekteskapsloven §§ 16 and 23."""

    filed: bool | None = ask(
        "Has a lawsuit been filed under ekteskapsloven § 16 third paragraph or § 23 third paragraph (forced marriage)?",
        "Er det reist søksmål etter ekteskapsloven § 16 tredje ledd eller § 23 tredje ledd (tvangsekteskap)?",
    )
    outcome: Literal["pending", "annulled", "divorced", "dismissed"] | None = ask(
        "What is the state of the lawsuit?", "Hvor står søksmålet?"
    )
    applicant_used_coercion: bool | None = ask(
        "Did the applicant exercise or assist in coercion at the marriage?",
        "Har søkeren utøvd eller medvirket til tvang ved ekteskapsinngåelsen?",
    )
    freed_from_coercion_on: Day | None = ask(
        "On what date did the applicant become free of the coercion?", "Hvilken dato ble søkeren fri fra tvangen?"
    )
    filed_on: Day | None = ask(
        "On what date was the lawsuit filed with the court?", "Hvilken dato ble søksmålet reist for retten?"
    )


class PermanentResidence(Facts):
    """utl. § 62."""

    # § 62(1)(a) and (2) count time abroad in two windows (7 months in 3 years, 10 in 5 years):
    # one number cannot answer both, so each window is its own fact (issue 10 point 11).
    # A figure or a lower bound ({at_least: 8}, {more_than: 7}) when a decision says "more than
    # seven months" (issue 10 point 13; ADR 0009).
    months_abroad_last_3_years: Annotated[float, Field(ge=0, le=36)] | AtLeast | None = ask(
        "How many months in total has the applicant been outside Norway in the last three years?",
        "Hvor mange måneder totalt har søkeren vært utenfor Norge de siste tre årene?",
    )
    months_abroad_last_5_years: Annotated[float, Field(ge=0, le=60)] | AtLeast | None = ask(
        "How many months in total has the applicant been outside Norway in the last five years?",
        "Hvor mange måneder totalt har søkeren vært utenfor Norge de siste fem årene?",
    )
    norwegian_oral_level: Literal["none", "A1", "A2", "B1", "B2", "C1", "C2"] | None = ask(
        "What level did the applicant reach in the oral Norwegian test?",
        "Hvilket nivå oppnådde søkeren på muntlig prøve i norsk?",
    )
    tests_exempt: bool | None = ask(
        "Is the applicant exempted from the Norwegian and social-studies tests?",
        "Er søkeren fritatt fra prøvene i norsk og samfunnskunnskap?",
    )
    social_studies_passed: bool | None = ask(
        "Has the applicant passed the social-studies test?", "Har søkeren bestått prøven i samfunnskunnskap?"
    )
    self_supporting_12_months: bool | None = ask(
        "Has the applicant supported themselves for the last 12 months?",
        "Har søkeren vært selvforsørget de siste tolv månedene?",
    )
    self_support_exempt: bool | None = ask(
        "Does the applicant belong to a group exempt from self-support (pupil, student, disability benefit, documented illness)?",
        "Tilhører søkeren en gruppe som er unntatt fra kravet om selvforsørgelse (elev, student, uføretrygd, dokumentert sykdom)?",
    )
    meets_temporary_permit_conditions: bool | None = ask(
        "Does the applicant still meet the conditions of the temporary permit?",
        "Oppfyller søkeren fortsatt vilkårene for den midlertidige tillatelsen?",
    )
    criminal_matter_pending: bool | None = ask(
        "Is the applicant suspected, charged or sentenced in a matter that may lead to expulsion (§ 66)?",
        "Er søkeren mistenkt, siktet eller dømt i en sak som kan føre til utvisning (§ 66)?",
    )
    additional_residence_time_running: bool | None = ask(
        "Is an additional residence time (tilleggstid) still running?", "Løper det fortsatt en tilleggstid?"
    )
    # Conditions of earlier periods (issue 10 point 10): asked so they are checked, never assumed met.
    received_social_assistance_12_months: bool | None = ask(
        "Has the applicant received financial social assistance (økonomisk stønad under the Social Services Act) in the "
        "last 12 months, other than supplementary assistance or assistance while waiting for a benefit or housing allowance?",
        "Har søkeren mottatt økonomisk stønad etter sosialtjenesteloven de siste tolv månedene, utenom supplerende "
        "sosialhjelp eller stønad i påvente av trygdeytelser eller bostøtte?",
    )
    norwegian_training_completed: bool | None = ask(
        "Has the applicant completed the compulsory training in Norwegian and social studies, or been exempted from it "
        "(for example by a municipal decision or A2 in all parts of the Norwegian test)?",
        "Har søkeren gjennomført pliktig opplæring i norsk og samfunnskunnskap, eller er søkeren fritatt fra den "
        "(for eksempel ved vedtak fra kommunen eller A2 på alle delprøver i norsk)?",
    )

    @model_validator(mode="before")
    @classmethod
    def _replaced_fields(cls, data: Any) -> Any:
        return refuse_replaced(data, REPLACED_PERMANENT_RESIDENCE)

    @model_validator(mode="after")
    def _windows_nest(self) -> "PermanentResidence":
        three, five = self.months_abroad_last_3_years, self.months_abroad_last_5_years
        if isinstance(three, AtLeast):  # only its lower bound can contradict the five-year figure
            three = three.at_least if three.at_least is not None else three.more_than
        if three is not None and isinstance(five, (int, float)) and three > five:
            raise PydanticCustomError(
                "windows_inconsistent",
                "months_abroad_last_3_years ({three}) is more than months_abroad_last_5_years ({five}): the last "
                "three years are part of the last five, so count both windows again",
                {"three": three, "five": five},
            )
        return self


class Safety(Facts):
    """What the referral suggestions act on."""

    immediate_danger: bool | None = ask("Is the applicant in immediate danger?", "Er søkeren i akutt fare?")
    lives_with_abuser: bool | None = ask(
        "Does the applicant still live with the abuser?", "Bor søkeren fortsatt sammen med den som utøver vold?"
    )
    at_shelter: bool | None = ask(
        "Is the applicant staying at a crisis shelter now?", "Bor søkeren på krisesenter nå?"
    )
    housing_need: bool | None = ask("Does the applicant need somewhere to live?", "Trenger søkeren et sted å bo?")
    own_income: bool | None = ask("Does the applicant have an income of their own?", "Har søkeren egen inntekt?")
    children_in_household: bool | None = ask(
        "Are there children in the household?", "Er det barn i husstanden?"
    )
    forced_marriage_indicators: bool | None = ask(
        "Are there signs of forced marriage?", "Er det tegn på tvangsekteskap?"
    )
    honour_violence_indicators: bool | None = ask(
        "Are there signs of honour-related violence or negative social control?",
        "Er det tegn på æresrelatert vold eller negativ sosial kontroll?",
    )


class Case(Facts):
    """One anonymised case. ``assessment_date`` is the date as of which the law is applied."""

    case_id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", description="Opaque, anonymised case id.")
    assessment_date: AssessmentDay | None = Field(
        default=None, description="The law is applied as of this date; default: today."
    )
    # The application screened under § 53 (a new permit on an independent basis) or § 62 (permanent
    # residence), or a renewal: the one that keeps the current permit while it is decided (utl. § 61
    # sixth and seventh paragraphs, utf. § 11-7). The family-immigration application under §§ 40/41
    # has its own dates in `family_application` (the two can be years apart).
    application_date: Day | None = ask(
        "When did the applicant lodge the application now pending or to be decided: for an independent permit "
        "(§ 53), for permanent residence (§ 62), or for renewal? (Not the family-immigration application: give "
        "that under family_application.)",
        "Når leverte søkeren søknaden som nå er til behandling: om selvstendig tillatelse (§ 53), permanent "
        "oppholdstillatelse (§ 62) eller fornyelse? (Ikke søknaden om familieinnvandring: den oppgis under "
        "family_application.)",
    )
    applicant: Applicant = Field(default_factory=Applicant)
    reference_person: ReferencePerson = Field(default_factory=ReferencePerson)
    relationship: Relationship = Field(default_factory=Relationship)
    family_application: FamilyApplication = Field(default_factory=FamilyApplication)
    permits: list[Permit] | None = ask(
        "Which residence permits has the applicant held (basis and dates)?",
        "Hvilke oppholdstillatelser har søkeren hatt (grunnlag og datoer)?",
        max_length=50,
    )
    abuse: Abuse = Field(default_factory=Abuse)
    home_country_hardship: HomeCountryHardship = Field(default_factory=HomeCountryHardship)
    forced_marriage_lawsuit: ForcedMarriageLawsuit = Field(default_factory=ForcedMarriageLawsuit)
    permanent_residence: PermanentResidence = Field(default_factory=PermanentResidence)
    safety: Safety = Field(default_factory=Safety)

    @model_validator(mode="after")
    def _ended_by_death_at_the_latest(self) -> "Case":
        """A cohabitation ends at the latest when the reference person dies (utl. § 53(1)(a))."""
        end, death = self.relationship.cohabitation_ended, self.reference_person.death_date
        if isinstance(end, dt.date) and death is not None and end > death:
            raise PydanticCustomError(
                "ended_after_death",
                "relationship.cohabitation_ended ({end}) is after reference_person.death_date ({death}): the "
                "cohabitation ended at the latest on the day the reference person died; give the day the couple "
                "stopped living together, or the day of the death",
                {"end": end.isoformat(), "death": death.isoformat()},
            )
        return self


# Who answers a question (issue 13 point 4): the applicant herself unless named here. "register":
# the answer is in a public register or on a decision the caseworker can look up (UDI's decisions
# and case register, Folkeregisteret, Skatteetaten's tax settlement, NAV, the courts, the test
# results); "caseworker": a judgment the caseworker (or a lawyer) makes on what she has told.
ANSWERED_BY: dict[str, Literal["caseworker", "register"]] = {
    "application_date": "register",
    "reference_person.status": "register",
    "reference_person.permanent_residence_basis": "register",
    "reference_person.entry_date": "register",
    "reference_person.death_date": "register",
    "reference_person.previous_year_income": "register",
    "reference_person.received_social_assistance_12_months": "register",
    "relationship.married_on": "register",
    "relationship.marriage_recognised_in_norway": "register",
    "family_application.registered_on": "register",
    "family_application.documents_handed_in_on": "register",
    "family_application.reference_protection_granted_on": "register",
    "permits": "register",
    "permits[].basis": "register",
    "permits[].valid_from": "register",
    "permits[].valid_to": "register",
    "permits[].forms_basis_for_permanent": "register",
    "forced_marriage_lawsuit.filed_on": "register",
    "forced_marriage_lawsuit.outcome": "register",
    "permanent_residence.norwegian_oral_level": "register",
    "permanent_residence.social_studies_passed": "register",
    "permanent_residence.norwegian_training_completed": "register",
    "permanent_residence.received_social_assistance_12_months": "register",
    "permanent_residence.criminal_matter_pending": "register",
    "abuse.account_credible": "caseworker",
    "abuse.evidence_independent": "caseworker",
    "abuse.incidents[].severity": "caseworker",
    "home_country_hardship.expected": "caseworker",
    "relationship.lasting_obstacle_to_divorce": "caseworker",
    "family_application.prevented_from_applying_in_time": "caseworker",
    "permanent_residence.tests_exempt": "caseworker",
    "permanent_residence.self_support_exempt": "caseworker",
    "permanent_residence.meets_temporary_permit_conditions": "caseworker",
    "permanent_residence.additional_residence_time_running": "caseworker",
}


def answered_by(path: str) -> Literal["person", "caseworker", "register"]:
    """Who answers the question for ``path`` (``permits[0].valid_from`` as ``permits[].valid_from``)."""
    return ANSWERED_BY.get(re.sub(r"\[\d+\]", "[]", path), "person")


def question(path: str) -> dict[str, str] | None:
    """The nb/en question for a case path such as ``abuse.incidents[].severity``."""
    model: type[BaseModel] = Case
    parts = path.replace("[]", "").split(".")
    info = None
    for i, part in enumerate(parts):
        info = model.model_fields.get(part)
        if info is None:
            return None
        if i < len(parts) - 1:
            model = _inner_model(info.annotation)
            if model is None:
                return None
    extra = info.json_schema_extra if info is not None else None
    return dict(extra["question"]) if isinstance(extra, dict) and "question" in extra else None


def _inner_model(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model inside ``Model``, ``Model | None`` or ``list[Model] | None``."""
    stack = [annotation]
    while stack:
        ann = stack.pop()
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            return ann
        stack.extend(getattr(ann, "__args__", ()))
    return None
