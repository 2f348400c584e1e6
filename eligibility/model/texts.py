"""The fixed words of every screening output, in Norwegian bokmål and English (issue 13).

The rules own their texts (rules/*.yaml, reviewed per language); everything else a caseworker
reads in `eligibility screen` comes from `WORDS` here: headings, status and kind labels, urgency
labels, dates and the wording of input errors (the labels of the case file's values are in
rules/questions.yaml, with the questions). A test screens every
example case in every format under ``--lang nb`` and fails on English words outside names.
"""

from __future__ import annotations

import datetime as dt
import re

from .questions import choice_label

WORDS: dict[str, dict[str, str]] = {
    "case": {"nb": "Sak", "en": "Case"},
    "as_of": {"nb": "vurdert etter loven per", "en": "assessed under the law as of"},
    "rules": {"nb": "regelverk", "en": "rules"},
    "case_digest": {"nb": "sakens sha256", "en": "case sha256"},
    "met": {"nb": "oppfylt", "en": "met"},
    "not_met": {"nb": "ikke oppfylt", "en": "not met"},
    "undetermined": {"nb": "uavklart", "en": "undetermined"},
    "needs_assessment": {"nb": "krever vurdering", "en": "needs assessment"},
    "not_yet": {"nb": "ikke ennå", "en": "not yet"},
    "entitlement": {"nb": "rettighet", "en": "entitlement"},
    "discretionary": {"nb": "skjønn", "en": "discretionary"},
    "missing": {"nb": "Manglende opplysninger – spør om dette", "en": "Missing facts – ask for these"},
    "by_person": {"nb": "spør søkeren", "en": "ask the applicant"},
    "by_caseworker": {"nb": "saksbehandlers vurdering", "en": "the caseworker's judgment"},
    "by_register": {"nb": "slå opp i register eller vedtak", "en": "look it up in a register or decision"},
    "can_change": {"nb": "kan endre", "en": "can change"},
    "next_question": {"nb": "Spør først", "en": "Ask first"},
    "n_missing": {"nb": "{n} opplysninger mangler", "en": "{n} facts missing"},
    "notes": {"nb": "Merknader", "en": "Notes"},
    "warnings": {"nb": "Viktig", "en": "Important"},
    "why": {"nb": "Begrunnelse", "en": "Why"},
    "referrals": {"nb": "Neste steg", "en": "Next steps"},
    "provisions": {"nb": "Vurdering per bestemmelse", "en": "Assessment per provision"},
    "others": {"nb": "Øvrige bestemmelser (ikke oppfylt)", "en": "Other provisions (not met)"},
    "details_hint": {"nb": "Alle detaljer: --only {ids}", "en": "Full details: --only {ids}"},
    "now": {"nb": "NÅ", "en": "NOW"},
    "soon": {"nb": "SNART", "en": "SOON"},
    "planned": {"nb": "PLANLEGG", "en": "PLAN"},
    "why_referral": {"nb": "Hvorfor", "en": "Why"},
    "basis": {"nb": "Grunnlag", "en": "Legal basis"},
    "paraphrase": {"nb": "sammendrag av kilden, ikke lovtekst", "en": "paraphrase, not statute text"},
    "contact": {"nb": "Kontakt", "en": "Contact"},
    "trace": {"nb": "Regelkjøring", "en": "Trace"},
    "trace_rule": {"nb": "regel", "en": "rule"},
    "trace_version": {"nb": "versjon", "en": "version"},
    "trace_concluded": {"nb": "konklusjon", "en": "concluded"},
    "trace_read": {"nb": "opplysninger", "en": "read"},
    "disclaimer": {
        "nb": "Dette er en foreløpig vurdering av oppgitte opplysninger, ikke et vedtak. Søk juridisk råd.",
        "en": "This is a preliminary screening of the facts given, not a decision. Seek legal advice.",
    },
}

MONTHS = {
    "nb": ["januar", "februar", "mars", "april", "mai", "juni", "juli", "august", "september", "oktober",
           "november", "desember"],
    "en": ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"],
}
ISO_DATE = re.compile(r"(?<![\w-])(\d{4})-(\d{2})-(\d{2})(?![\w-])")


def word(key: str, lang: str) -> str:
    """The fixed word ``key`` in ``lang`` (KeyError for a word not in the catalogue)."""
    return WORDS[key][lang]


def long_date(day: dt.date | str, lang: str) -> str:
    """'1. februar 2027' / '1 February 2027'."""
    if isinstance(day, str):
        day = dt.date.fromisoformat(day)
    month = MONTHS[lang][day.month - 1]
    return f"{day.day}. {month} {day.year}" if lang == "nb" else f"{day.day} {month} {day.year}"


def long_dates(text: str, lang: str) -> str:
    """Every ISO date (2027-07-31) in ``text`` written out; anything that is not a real date is left."""
    def one(match: re.Match[str]) -> str:
        try:
            return long_date(dt.date(int(match[1]), int(match[2]), int(match[3])), lang)
        except ValueError:
            return match[0]

    return ISO_DATE.sub(one, text)


# --- the values a case file may hold: labelled in rules/questions.yaml (`choices:`) ----------------------
def choice(value: str, lang: str) -> str:
    """'physical (fysisk vold)': the value to write in the case file, with its label if it has one."""
    label = choice_label(value, lang)
    return value if label in (value, value.replace("_", " ")) else f"{value} ({label})"


# --- input errors (pydantic's error types, worded for a caseworker) ---------------------------------
ERRORS: dict[str, dict[str, str]] = {
    "bool": {"nb": "skal være true (ja) eller false (nei)", "en": "must be true (yes) or false (no)"},
    "date": {"nb": "skal være en dato skrevet DD.MM.ÅÅÅÅ eller ÅÅÅÅ-MM-DD, f.eks. 01.02.2027",
             "en": "must be a date written DD.MM.YYYY or YYYY-MM-DD, e.g. 2027-02-01"},
    "int": {"nb": "skal være et helt tall", "en": "must be a whole number"},
    "number": {"nb": "skal være et tall", "en": "must be a number"},
    "string": {"nb": "skal være tekst", "en": "must be text"},
    "list": {"nb": "skal være en liste", "en": "must be a list"},
    "mapping": {"nb": "skal være en gruppe med felt", "en": "must be a group of fields"},
    "choice": {"nb": "skal være en av: {choices}", "en": "must be one of: {choices}"},
    "too_small": {"nb": "er for lite (minst {limit})", "en": "is too small (at least {limit})"},
    "too_large": {"nb": "er for stort (høyst {limit})", "en": "is too large (at most {limit})"},
    "too_long": {"nb": "har for mange elementer (høyst {limit})", "en": "has too many items (at most {limit})"},
    "extra": {"nb": "ukjent felt (sjekk stavemåten; `eligibility schema` viser feltene)",
              "en": "unknown field (check the spelling; `eligibility schema` lists the fields)"},
    "missing": {"nb": "mangler", "en": "is missing"},
    "invalid": {"nb": "har en ugyldig verdi", "en": "has an invalid value"},
    "field": {"nb": "gjelder spørsmålet «{question}»", "en": "the question «{question}»"},
    "more": {"nb": "og {n} problem(er) til", "en": "and {n} more problem(s)"},
}
# The case model's own checks (PydanticCustomError types in model/case.py): the English text is the
# model's message; these are their Norwegian words, filled from the error's context.
CHECKS_NB: dict[str, str] = {
    "date_out_of_range": "en dato skal ligge mellom {first} og {last}",
    "before_law": "regelverket gjelder loven fra {first} (utlendingsloven 2008 i kraft); en tidligere "
                  "vurderingsdato kan ikke vurderes",
    "after_law": "vurderingsdatoen kan være høyst {last}",
    "one_bound": "oppgi nøyaktig én av at_least (minst) eller more_than (mer enn), f.eks. {{at_least: 8}}",
    "birth_inconsistent": "birth_year ({year}) er ikke året i birth_date ({date}): oppgi bare én av dem, eller rett den",
    "age_inconsistent": "age_on (alder {age} den {on}) passer ikke med fødselsdatoen eller fødselsåret: oppgi "
                        "bare én av dem, eller rett den",
    "windows_inconsistent": "months_abroad_last_3_years ({three}) er mer enn months_abroad_last_5_years ({five}): "
                            "de siste tre årene er en del av de siste fem, så tell begge periodene på nytt",
    "ended_after_death": "relationship.cohabitation_ended ({end}) er etter reference_person.death_date ({death}): "
                         "samlivet tok slutt senest den dagen referansepersonen døde; oppgi dagen paret flyttet fra "
                         "hverandre, eller dødsdagen",
    "replaced_field": "feltet {old} er fjernet: {instead_nb}",
}
ERROR_KINDS = {
    "bool_parsing": "bool", "bool_type": "bool",
    "date_parsing": "date", "date_from_datetime_parsing": "date", "date_type": "date",
    "date_from_datetime_inexact": "date",
    "int_parsing": "int", "int_type": "int", "int_from_float": "int",
    "float_parsing": "number", "float_type": "number", "finite_number": "number",
    "string_type": "string", "list_type": "list", "dict_type": "mapping", "model_type": "mapping",
    "model_attributes_type": "mapping", "literal_error": "choice", "enum": "choice",
    "greater_than_equal": "too_small", "greater_than": "too_small", "less_than_equal": "too_large",
    "less_than": "too_large", "too_long": "too_long", "extra_forbidden": "extra", "missing": "missing",
}


def error_message(error: dict, lang: str, question: str | None) -> str:
    """A pydantic error (one item of ``ValidationError.errors()``) worded for a caseworker in
    ``lang``, with the field named in words (its question) when it has one."""
    kind = ERROR_KINDS.get(error["type"])
    ctx = error.get("ctx") or {}
    if kind == "choice":
        values = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        text = ERRORS["choice"][lang].format(choices=", ".join(choice(v, lang) for v in values))
    elif kind in ("too_small", "too_large"):
        limit = next((ctx[k] for k in ("ge", "gt", "le", "lt") if k in ctx), "")
        text = ERRORS[kind][lang].format(limit=limit)
    elif kind == "too_long":
        text = ERRORS[kind][lang].format(limit=ctx.get("max_length", ""))
    elif kind is not None:
        text = ERRORS[kind][lang]
    elif lang == "nb" and error["type"] in CHECKS_NB:
        text = CHECKS_NB[error["type"]].format(**ctx)
    else:
        text = error["msg"] if lang == "en" else ERRORS["invalid"][lang]
    if question and kind != "extra":
        text += " – " + ERRORS["field"][lang].format(question=question)
    return text


# --- file errors (eligibility/model/loader.py words them in English; nb replaces the known openings) -----
FILE_ERRORS_NB: tuple[tuple[str, str], ...] = (
    ("no such file or folder", "filen eller mappen finnes ikke"),
    ("no such file", "filen finnes ikke"),
    ("is a directory, not a case file", "er en mappe, ikke en saksfil"),
    ("permission denied", "ingen tilgang til filen"),
    ("cannot be read", "kan ikke leses"),
    ("file is larger than", "filen er større enn"),
    ("not UTF-8 text", "ikke UTF-8-tekst (lagre filen som UTF-8)"),
    ("not valid YAML", "ikke gyldig YAML"),
    ("not valid JSON", "ikke gyldig JSON"),
    ("nested deeper than a case can be", "nøstet dypere enn en sak kan være"),
    ("a case must be a mapping of fields", "en sak skal være en gruppe med felt"),
)


def input_error(message: str, lang: str) -> str:
    """An input error in ``lang``: in nb, the known English openings of file errors are replaced
    (the parser's own detail after a colon, e.g. YAML's, is kept as it is: it quotes the file)."""
    if lang != "nb":
        return message
    message = re.sub(r"\(line (\d+), column (\d+)\)", r"(linje \1, kolonne \2)", message)
    for en, nb in FILE_ERRORS_NB:
        if f": {en}" in message:
            return message.replace(f": {en}", f": {nb}", 1)
    return message
