"""The one catalogue of fixed words, in Norwegian bokmål and English (issue 13).

The rules own their texts (rules/*.yaml, reviewed per language); everything else a caseworker
reads comes from here, one table per stage in `CATALOGUE`, looked up by `word`: the screening's
headings, status and kind labels (`WORDS`), the batch summary's (`SUMMARY`), the interview's
(`INTERVIEW`), input errors (`INPUT`: an `InputError` carries its key), dates and the wording of
a case's validation errors (the labels of the case file's values are in rules/questions.yaml, with
the questions). Tests check every key has nb and en and is used (tests/test_texts.py), and screen
every example case in every format under ``--lang nb`` for English words outside names.
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
    "notes": {"nb": "Merknader", "en": "Notes"},
    "warnings": {"nb": "Viktig", "en": "Important"},
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

# --- `eligibility summary` (eligibility/batch/summary.py) -----------------------------------------------
SUMMARY: dict[str, dict[str, str]] = {
    "title": {"en": "Batch screening summary", "nb": "Oppsummering av screening"},
    "file": {"en": "Results file", "nb": "Resultatfil"},
    "run": {"en": "Latest run", "nb": "Siste kjøring"},
    "rules": {"en": "rules", "nb": "regelverk"},
    "as_of": {"en": "law as of", "nb": "loven per"},
    "each_case": {"en": "each case's assessment date", "nb": "hver sakens vurderingsdato"},
    "engine": {"en": "engine", "nb": "motor"},
    "incomplete": {"en": "the run did not complete (killed or interrupted): run `eligibility batch` again "
                         "with the same --out to complete it",
                   "nb": "kjøringen ble ikke fullført (avbrutt): kjør `eligibility batch` igjen med samme "
                         "--out for å fullføre"},
    "identifiers": {"en": "WARNING: identifiers were allowed (--allow-identifiers) in run(s) {runs}: this file "
                          "may contain personal data",
                    "nb": "ADVARSEL: identifikatorer ble tillatt (--allow-identifiers) i kjøring(er) {runs}: "
                          "filen kan inneholde personopplysninger"},
    "cases": {"en": "Cases", "nb": "Saker"},
    "screened": {"en": "screened", "nb": "screenet"},
    "failed": {"en": "failed", "nb": "feilet"},
    "by_provision": {"en": "Statuses per provision", "nb": "Status per bestemmelse"},
    "provision": {"en": "Provision", "nb": "Bestemmelse"},
    "total": {"en": "total", "nb": "totalt"},
    "todo": {"en": "What to do", "nb": "Dette bør gjøres"},
    "qualify": {"en": "Likely qualify under § 53 first paragraph letter b: apply, the earliest deadline first",
                "nb": "Fyller trolig vilkårene etter § 53 første ledd bokstav b: søk, den korteste fristen først"},
    "apply_by": {"en": "apply by {date}", "nb": "søk senest {date}"},
    "no_deadline": {"en": "deadline not known", "nb": "frist ikke kjent"},
    "next_question": {"en": "Undetermined: the next question per case", "nb": "Uavklart: neste spørsmål per sak"},
    "by_person": {"en": "ask the applicant", "nb": "spør søkeren"},
    "by_caseworker": {"en": "the caseworker's judgment", "nb": "saksbehandlers vurdering"},
    "by_register": {"en": "look it up in a register or decision", "nb": "slå opp i register eller vedtak"},
    "overview": {"en": "Overview", "nb": "Oversikt"},
    "not_yet": {"en": "Not yet: met as soon as the applicant does what she can do herself (e.g. moves out)",
                "nb": "Ikke ennå: oppfylt så snart søkeren selv gjør det som mangler (f.eks. flytter ut)"},
    "lawyer": {"en": "Need a lawyer's assessment", "nb": "Trenger vurdering av jurist"},
    "top_missing": {"en": "Most frequent missing facts", "nb": "Hyppigst manglende opplysninger"},
    "fact": {"en": "Fact", "nb": "Opplysning"},
    "question": {"en": "Question", "nb": "Spørsmål"},
    "n_cases": {"en": "cases", "nb": "saker"},
    "referrals": {"en": "Referrals by service", "nb": "Henvisninger per tjeneste"},
    "service": {"en": "Service", "nb": "Tjeneste"},
    "failures": {"en": "Failures", "nb": "Feil"},
    "where": {"en": "Where", "nb": "Hvor"},
    "field": {"en": "Field", "nb": "Felt"},
    "message": {"en": "Message", "nb": "Melding"},
    "none": {"en": "none", "nb": "ingen"},
    "chart": {"en": "Statuses per provision (number of cases)", "nb": "Status per bestemmelse (antall saker)"},
    "disclaimer": {"en": "A screening of the facts given, not a decision. Seek legal advice.",
                   "nb": "En foreløpig vurdering av oppgitte opplysninger, ikke et vedtak. Søk juridisk råd."},
    "met": {"en": "met", "nb": "oppfylt"},
    "not_met": {"en": "not met", "nb": "ikke oppfylt"},
    "undetermined": {"en": "undetermined", "nb": "uavklart"},
    "needs_assessment": {"en": "needs assessment", "nb": "krever vurdering"},
    "not_yet_status": {"en": "not yet", "nb": "ikke ennå"},
    "now": {"en": "now", "nb": "nå"},
    "soon": {"en": "soon", "nb": "snart"},
    "planned": {"en": "planned", "nb": "planlagt"},
}

# --- `eligibility interview` (eligibility/interview/dialogue.py) ----------------------------------------
INTERVIEW: dict[str, dict[str, str]] = {
    "yes": {"nb": "Ja", "en": "Yes"},
    "no": {"nb": "Nei", "en": "No"},
    "dont_know": {"nb": "Vet ikke", "en": "Don't know"},
    "declined": {"nb": "Vil ikke svare", "en": "Won't say"},
    "still_together": {"nb": "Bor fortsatt sammen", "en": "Still live together"},
    "apart_day_unknown": {"nb": "Bor ikke sammen, dato ukjent", "en": "Live apart, date unknown"},
    "asks_person": {"nb": "spør søkeren", "en": "ask the applicant"},
    "asks_caseworker": {"nb": "din vurdering", "en": "your judgment"},
    "asks_register": {"nb": "se vedtak eller register", "en": "check the decision or register"},
    "date_hint": {"nb": "dato, f.eks. 26.11.2026", "en": "a date, e.g. 26.11.2026 or 2026-11-26"},
    "number_hint": {"nb": "et tall", "en": "a number"},
    "amount_hint": {"nb": "et tall, eller «minst N» når bare nedre grense er kjent",
                    "en": "a number, or 'at least N' when only a lower bound is known"},
    "several_hint": {"nb": "tallene, skilt med komma, eller «ingen»", "en": "the numbers, separated by commas, or 'none'"},
    "text_hint": {"nb": "skriv svaret", "en": "type the answer"},
    "not_understood": {"nb": "Forstod ikke svaret: {why}. Prøv igjen.", "en": "Could not read the answer: {why}. Try again."},
    "why": {"nb": "Spørres fordi svaret fortsatt kan endre: {p}.", "en": "Asked because the answer can still change: {p}."},
    "why_safety": {"nb": "Spørres først: sikkerheten hennes går foran alt annet.", "en": "Asked first: her safety comes before anything else."},
    "quit": {"nb": "Avsluttet. Svarene er lagret; fortsett med: eligibility interview --resume --save {f}",
             "en": "Stopped. The answers are kept; continue with: eligibility interview --resume --save {f}"},
    "done": {"nb": "Ingen flere spørsmål kan endre resultatet.", "en": "No further question can change the result."},
    "to_find_out": {"nb": "Å finne ut (vet ikke)", "en": "To find out (don't know)"},
    "declined_list": {"nb": "Ville ikke svare", "en": "Declined to answer"},
    "stale": {"nb": "Ikke aktuelt lenger (svar beholdt, ikke brukt)", "en": "No longer applicable (kept, not used)"},
    "not_asked": {"nb": "Ikke spurt ennå", "en": "Not asked yet"},
    "unchanged": {"nb": "(ingen endring i status)", "en": "(no change in status)"},
    "item": {"nb": "(gjelder nr. {n})", "en": "(about no. {n})"},
    "back_done": {"nb": "Angret forrige svar.", "en": "Undid the last answer."},
    "deleted": {"nb": "slettet: {iid}", "en": "deleted: {iid}"},
    "no_such_journal": {"nb": "ingen journal: {iid}", "en": "no journal: {iid}"},
    "exported": {"nb": "{f}: journalens sha256 {digest}", "en": "{f}: journal sha256 {digest}"},
    "nothing_to_undo": {"nb": "Ingenting å angre.", "en": "Nothing to undo."},
}


MONTHS = {
    "nb": ["januar", "februar", "mars", "april", "mai", "juni", "juli", "august", "september", "oktober",
           "november", "desember"],
    "en": ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"],
}
ISO_DATE = re.compile(r"(?<![\w-])(\d{4})-(\d{2})-(\d{2})(?![\w-])")


def word(key: str, lang: str, table: str = "screen") -> str:
    """The fixed word ``key`` in ``lang`` from one of the catalogue's tables (`CATALOGUE`: screen,
    summary, interview, input); KeyError for a word not in the catalogue."""
    return CATALOGUE[table][key][lang]


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


# --- input errors (`InputError(source, key, path, **args)`: the key names its words here) -------------------
# Anything in {braces} is filled from the error: names, numbers, and a parser's or the system's own detail
# (which quotes the file or the system, so it is kept as it is).
_REST_NB = "; denne raden og resten av filen ble ikke lest (radene før ble lest; lagrede resultater fra filen beholdes)"
_REST_EN = ("; this row and the rest of this file were not read (the rows before it were; stored results of this "
            "file are kept)")
_SAVE_NB = "lagre den som «CSV UTF-8» (i Excel: Fil > Lagre som > «CSV UTF-8 (kommadelt)») og kjør på nytt"
_SAVE_EN = ('save it as "CSV UTF-8" (in Excel: Fil > Lagre som > "CSV UTF-8 (kommadelt)"; File > Save As > '
            '"CSV UTF-8 (Comma delimited)") and run again')
# What the anonymisation guard found a field to look like (eligibility/model/identifiers.py).
GUARD_KINDS: dict[str, dict[str, str]] = {
    "national_id": {"nb": "ser ut som et norsk fødselsnummer", "en": "looks like a Norwegian national identity number (fødselsnummer)"},
    "d_number": {"nb": "ser ut som et D-nummer", "en": "looks like a D-number"},
    "phone": {"nb": "ser ut som et telefonnummer", "en": "looks like a phone number"},
    "email": {"nb": "ser ut som en e-postadresse", "en": "looks like an e-mail address"},
    "free_text": {"nb": "er ikke et felt i saksskjemaet og kan inneholde identifiserende fritekst (navn, adresser, notater)",
                  "en": "is not a field of the case schema and may carry identifying free text (names, addresses, notes)"},
    "field_name": {"nb": "er ikke et felt i saksskjemaet, og selve navnet kan identifisere noen",
                   "en": "is not a field of the case schema, and its name itself may identify someone"},
}

INPUT: dict[str, dict[str, str]] = {
    # reading a case file (model/loader.py)
    "no_such_file": {"nb": "filen finnes ikke", "en": "no such file"},
    "folder_not_case": {"nb": "er en mappe, ikke en saksfil", "en": "is a directory, not a case file"},
    "permission_denied": {"nb": "ingen tilgang til filen", "en": "permission denied"},
    "cannot_be_read": {"nb": "kan ikke leses ({why})", "en": "cannot be read ({why})"},
    "too_large": {"nb": "filen er større enn {kib} KiB", "en": "file is larger than {kib} KiB"},
    "not_utf8": {"nb": "ikke UTF-8-tekst (lagre filen som UTF-8) (byte {byte})", "en": "not UTF-8 text (byte {byte})"},
    "too_deep": {"nb": "nøstet dypere enn en sak kan være ({depth} nivåer)",
                 "en": "nested deeper than a case can be ({depth} levels)"},
    "too_deep_here": {"nb": "nøstet dypere enn en sak kan være", "en": "nested deeper than a case can be"},
    "not_valid_at": {"nb": "ikke gyldig {fmt}: {problem} (linje {line}, kolonne {column})",
                     "en": "not valid {fmt}: {problem} (line {line}, column {column})"},
    "not_valid": {"nb": "ikke gyldig {fmt}: {problem}", "en": "not valid {fmt}: {problem}"},
    "not_convertible": {"nb": "ikke gyldig {fmt}: en verdi som ikke kan tolkes",
                        "en": "not valid {fmt}: a value that cannot be converted"},
    "too_many_digits": {"nb": "ikke gyldig {fmt}: et tall med mer enn {digits} sifre",
                        "en": "not valid {fmt}: a number longer than {digits} digits"},
    "yaml_aliases": {"nb": "ikke gyldig YAML: YAML-aliaser (*navn) er ikke tillatt i saksfiler",
                     "en": "not valid YAML: YAML aliases (*name) are not allowed in case files"},
    "yaml_anchors": {"nb": "ikke gyldig YAML: YAML-ankere (&navn) er ikke tillatt i saksfiler",
                     "en": "not valid YAML: YAML anchors (&name) are not allowed in case files"},
    "yaml_tags": {"nb": "ikke gyldig YAML: YAML-tagger (!tag) er ikke tillatt i saksfiler",
                  "en": "not valid YAML: YAML tags (!tag) are not allowed in case files"},
    "yaml_too_many": {"nb": "ikke gyldig YAML: mer enn {n} nøkler og verdier: ingen sak har så mange",
                      "en": "not valid YAML: more than {n} keys and values: no case holds that many"},
    "not_a_mapping": {"nb": "en sak skal være en gruppe med felt (case_id, applicant, ...)",
                      "en": "a case must be a mapping of fields (case_id, applicant, ...)"},
    # a message already worded in the command's language by its own table (ERRORS, CHECKS_NB, the
    # anonymisation guard): passed on as it is
    "worded": {"nb": "{text}", "en": "{text}"},
    # options
    "not_a_date": {"nb": "«{value}» er ikke en dato (skriv ÅÅÅÅ-MM-DD)", "en": "'{value}' is not a date (use YYYY-MM-DD)"},
    "before_law": {"nb": CHECKS_NB["before_law"],
                   "en": "the rulebook covers the law from {first} (utlendingsloven 2008 in force); an earlier "
                         "assessment date cannot be screened"},
    "after_law": {"nb": CHECKS_NB["after_law"], "en": "an assessment date must be at most {last}"},
    "no_target_folder": {"nb": "mappen til «{value}» finnes ikke (opprett den først)",
                         "en": "the folder of '{value}' does not exist (create it first)"},
    "unknown_engine": {"nb": "ukjent motor «{engine}» (en av {engines})", "en": "unknown engine '{engine}' (one of {engines})"},
    "no_python_engine": {"nb": "den rene Python-motoren (eligibility/engine/evaluator.py) er ikke installert",
                         "en": "the plain-Python engine (eligibility/engine/evaluator.py) is not installed"},
    "unknown_lang": {"nb": "ukjent språk «{lang}» (nb eller en)", "en": "unknown language '{lang}' (nb or en)"},
    "workers_at_least_1": {"nb": "må være minst 1", "en": "must be at least 1"},
    "not_a_regex": {"nb": "er ikke et regulært uttrykk ({why})", "en": "is not a regular expression ({why})"},
    "unknown_choice": {"nb": "ukjent valg «{value}» (en av {choices})", "en": "unknown choice '{value}' (one of {choices})"},
    "bad_interview_id": {"nb": "intervju-id «{iid}» kan bare ha bokstaver, sifre, «.», «_» og «-» (høyst 64)",
                         "en": "interview id '{iid}' must be letters, digits, '.', '_' or '-' (at most 64)"},
    # the interview's journal (interview/dialogue.py)
    "no_journal": {"nb": "ingen intervjujournal her: oppgi --save FIL eller --id ID for et intervju",
                   "en": "no interview journal here: give --save FILE or --id ID of an interview"},
    "kept_here": {"nb": "et intervju er allerede lagret her: legg til --resume for å fortsette det, eller "
                        "--forget {iid} for å slette det",
                  "en": "an interview is already kept here: add --resume to continue it, or --forget {iid} to delete it"},
    "nothing_to_resume": {"nb": "ikke noe intervju å fortsette her", "en": "no interview to resume here"},
    # batch inputs (batch/readers.py, batch/runner.py)
    "no_input": {"nb": "ingen INPUT oppgitt (en mappe, en saksfil, en .jsonl- eller en .csv-fil)",
                 "en": "no INPUT given (a folder, a case file, a .jsonl or a .csv file)"},
    "no_such_file_or_folder": {"nb": "filen eller mappen finnes ikke", "en": "no such file or folder"},
    "given_twice": {"nb": "oppgitt mer enn én gang", "en": "given more than once"},
    "no_case_files": {"nb": "mappen har ingen saksfiler (.yaml, .yml, .json)",
                      "en": "the folder has no case files (.yaml, .yml, .json)"},
    "not_regular": {"nb": "ikke en vanlig fil (en navngitt rørledning eller en enhet): lagre den i en fil først",
                    "en": "not a regular file (a named pipe or a device): save it to a file first"},
    "not_supported": {"nb": "ikke en støttet inndata: oppgi en mappe, en .yaml/.yml/.json-saksfil, en .jsonl-fil "
                            "eller en .csv-fil",
                      "en": "not a supported input: give a folder, a .yaml/.yml/.json case file, a .jsonl file or "
                            "a .csv file"},
    "csv_header_large": {"nb": "CSV-overskriften kan ikke leses: raden er større enn {kib} KiB",
                         "en": "the CSV header cannot be read: the row is larger than {kib} KiB"},
    "csv_header_syntax": {"nb": "CSV-overskriften kan ikke leses: CSV-syntaksfeil ({why})",
                          "en": "the CSV header cannot be read: CSV syntax error ({why})"},
    "csv_no_header": {"nb": "CSV-filen har ingen overskriftsrad (feltstier med punktum, f.eks. relationship.type)",
                      "en": "the CSV file has no header row (dotted field paths, e.g. relationship.type)"},
    "csv_not_a_path": {"nb": "kolonne {i} i overskriften er ikke en feltsti med punktum (bokstaver, sifre og _ skilt "
                             "med punktum, f.eks. permits.0.basis)",
                       "en": "column {i} of the header is not a dotted field path (letters, digits and _ separated "
                             "by dots, e.g. permits.0.basis)"},
    "csv_repeats": {"nb": "kolonne {i} gjentar kolonne {first} ({name})", "en": "column {i} repeats column {first} ({name})"},
    "csv_index_first": {"nb": "kolonne {i} ({name}) begynner med en listeindeks",
                        "en": "column {i} ({name}) starts with a list index"},
    "csv_unknown_column": {"nb": "ukjent kolonne `{name}`; mente du `{fix}`? (kolonne {i} i overskriften)",
                           "en": "unknown column `{name}`; did you mean `{fix}`? (column {i} of the header)"},
    "csv_list_disagree": {"nb": "kolonnene {one} og {other} er uenige om {prefix} er en liste",
                          "en": "columns {one} and {other} disagree on whether {prefix} is a list"},
    "csv_cells": {"nb": "raden har {cells} celler, overskriften {columns}", "en": "the row has {cells} cells, the header {columns}"},
    "csv_unnamed": {"nb": "kolonne {i} har ikke noe navn i overskriften, men en verdi i denne raden",
                    "en": "column {i} has no name in the header but a value in this row"},
    "csv_too_deep": {"nb": "kolonne {i} er nøstet dypere enn en sak kan være ({depth} nivåer)",
                     "en": "column {i} is nested deeper than a case can be ({depth} levels)"},
    "csv_list_cell": {"nb": "en celle som begynner med [ skal være en JSON-liste med høyst {depth} nivåer",
                      "en": "a cell starting with [ must be a JSON list of at most {depth} levels"},
    "csv_both_filled": {"nb": "både denne cellen og cellene til elementene er fylt ut",
                        "en": "this cell and the cells of its elements are both filled"},
    "csv_cp1252": {"nb": "ikke UTF-8-tekst (linje {line}): det ser ut som Windows-1252, slik Excel med norske "
                         "innstillinger lagrer «CSV (semikolondelt)»; " + _SAVE_NB,
                   "en": "not UTF-8 text (line {line}): it looks like Windows-1252, as Excel in Norwegian settings "
                         'saves "CSV (semikolondelt)"; ' + _SAVE_EN},
    "csv_other_encoding": {"nb": "ikke UTF-8-tekst (linje {line}): den har en annen tegnkoding; " + _SAVE_NB,
                           "en": "not UTF-8 text (line {line}): it is in some other encoding; " + _SAVE_EN},
    "row_not_utf8": {"nb": "ikke UTF-8-tekst: " + _SAVE_NB, "en": "not UTF-8 text: " + _SAVE_EN},
    "line_too_large": {"nb": "linjen er større enn {kib} KiB", "en": "line is larger than {kib} KiB"},
    "row_too_large": {"nb": "raden er større enn {kib} KiB", "en": "row is larger than {kib} KiB"},
    "rest_unread_large": {"nb": "raden er større enn {kib} KiB" + _REST_NB, "en": "the row is larger than {kib} KiB" + _REST_EN},
    "rest_unread_syntax": {"nb": "CSV-syntaksfeil ({why})" + _REST_NB, "en": "CSV syntax error ({why})" + _REST_EN},
    "path_identifies": {"nb": "filens sti {kind}; gi den nytt navn (saker skal være anonymisert)",
                        "en": "the file's path {kind}; rename it (cases must be anonymised)"},
    "no_provision": {"nb": "ingen bestemmelse {unknown} (velg blant {known})",
                     "en": "no provision {unknown} (choose from {known})"},
    "unknown_field_did_you_mean": {"nb": "ukjent felt; mente du `{fix}`?", "en": "unknown field; did you mean `{fix}`?"},
    # the anonymisation guard (ADR 0005): what the field looks like (`GUARD_KINDS`), and the others
    "identifier_refused": {"nb": "{kind}; saker skal være anonymisert: fjern det, eller kjør med "
                                 "--allow-identifiers for å godta identifikatorer (det blir registrert i "
                                 "resultatene){also}",
                           "en": "{kind}; cases must be anonymised: remove it, or screen with "
                                 "--allow-identifiers to accept identifiers (recorded in the results){also}"},
    "case_id_repeats": {"nb": "case_id gjentar saken på {first} (saks-id-er skal være unike i en fil)",
                        "en": "case_id repeats the case at {first} (case ids must be unique within a file)"},
    "is_an_input": {"nb": "er en av inndataene: oppgi en annen fil å skrive til",
                    "en": "is one of the inputs: give another file to write to"},
    "in_input_folder": {"nb": "er en saksfil i inndatamappen {folder}: skriv resultatene et annet sted",
                        "en": "is a case file in the input folder {folder}: write the results elsewhere"},
    # results files (batch/store.py, batch/replay.py, `eligibility summary` and `receipt`)
    "results_is_folder": {"nb": "er en mappe, ikke en resultatfil", "en": "is a folder, not a results file"},
    "folder_missing": {"nb": "mappen finnes ikke", "en": "its folder does not exist"},
    "cannot_be_opened": {"nb": "kan ikke åpnes ({why})", "en": "cannot be opened ({why})"},
    "not_results": {"nb": "er ikke en resultatfil fra eligibility (ikke skrevet av `eligibility batch`)",
                    "en": "is not an eligibility results file (not written by `eligibility batch`)"},
    "not_results_why": {"nb": "er ikke en resultatfil fra eligibility ({why})",
                        "en": "is not an eligibility results file ({why})"},
    "newer_results": {"nb": "ble skrevet av en nyere eligibility (skjema {version})",
                      "en": "was written by a newer eligibility (schema {version})"},
    "older_results": {"nb": "har resultater fra en eldre eligibility (resultatskjema {version}; denne versjonen skriver "
                            "skjema {current}: saker lagres, ikke vurderinger; kvitteringer ved behov). Oppgi en ny "
                            "--out (sakene screenes på nytt); `eligibility summary` leser fortsatt denne filen",
                      "en": "holds results of an older eligibility (results schema {version}; this version writes "
                            "schema {current}: cases stored, not verdicts; receipts on demand). Give a new --out "
                            "(its cases are screened again); `eligibility summary` still reads this file"},
    "older_no_cases": {"nb": "har resultater fra en eldre eligibility (resultatskjema {version}) uten sakene: å lage "
                             "dem på nytt krever en resultatfil fra `eligibility batch` 0.3 eller senere, "
                             "resultatskjema 4 (kjør batchen på nytt med en ny --out)",
                       "en": "holds results of an older eligibility (results schema {version}) without the cases: "
                             "regenerating needs a results file of `eligibility batch` 0.3 or later, results "
                             "schema 4 (run the batch again with a new --out)"},
    "busy": {"nb": "en annen `eligibility batch` skriver til denne resultatfilen; vent til den er ferdig",
             "en": "another `eligibility batch` is writing this results file; wait until it ends"},
    "rules_changed": {"nb": "regelfilene ble endret mens batchen startet; kjør den på nytt",
                      "en": "the rule files changed while the batch started; run it again"},
    "no_rulebook_of_cases": {"nb": "har ikke regelverket {digest} som sakene ble screenet med",
                             "en": "does not hold the rulebook {digest} its cases were screened with"},
    "rulebook_digest": {"nb": "det lagrede regelverket {digest} stemmer ikke med sin sjekksum",
                        "en": "its stored rulebook {digest} does not match its digest"},
    "no_rulebook": {"nb": "har ikke regelverket {digest}", "en": "does not hold the rulebook {digest}"},
    "is_an_export": {"nb": "er en eksport; oppsummer resultatfilen {sibling}", "en": "is an export; summarise its results file {sibling}"},
    "all_alone": {"nb": "eksporterer alle saker: oppgi ingen CASE_ID og ingen -o, bare --to MAPPE",
                  "en": "exports every case: give no CASE_ID and no -o, only --to FOLDER"},
    "to_folder": {"nb": "oppgi mappen kvitteringene skal skrives til (med --all)",
                  "en": "give the folder to write the receipts to (with --all)"},
    "case_id_needed": {"nb": "oppgi saks-id-en (eller --all --to MAPPE for alle saker)",
                       "en": "give the case id (or --all --to FOLDER for every case)"},
    "no_screened_case": {"nb": "ingen screenet sak med denne saks-id-en eller nøkkelen i {results}",
                         "en": "no screened case with this case id or key in {results}"},
    "several_cases": {"nb": "flere saker har denne saks-id-en; oppgi nøkkelen i stedet: {keys}",
                      "en": "several cases have this case id; give the key instead: {keys}"},
    "file_not_folder": {"nb": "er en fil, ikke en mappe", "en": "is a file, not a folder"},
}


# The one catalogue: every table of fixed words, by the stage that prints them (`word` looks them up).
CATALOGUE: dict[str, dict[str, dict[str, str]]] = {
    "screen": WORDS, "summary": SUMMARY, "interview": INTERVIEW, "input": INPUT,
}
