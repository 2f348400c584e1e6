"""Interview mode (issue 12; ADR 0011): whole interviews driven through ``--answers``, the order of
the questions, the four kinds of missing answer, and the journal that never loses an answer."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from cli import main
from eligibility.interview.dialogue import Unreadable, parse, prompt_lines
from eligibility.interview.interview import SAFETY_ORDER as SAFETY, Interview, load_questions, statuses, template
from eligibility.interview.journal import ANSWER, DECLINED, DONT_KNOW, Journal, journal_dir
from eligibility.explain.screening import Screener

DAY = dt.date(2026, 12, 1)
QUESTIONS = load_questions()


def run(args: list[str], answers: list[str]) -> Any:
    return CliRunner().invoke(main, ["interview", *args], input="\n".join(answers) + "\n")


def asked(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("[")]


def interview(screener: Screener, tmp_path: Path, base: dict[str, Any] | None = None) -> Interview:
    base = {"case_id": "t", "assessment_date": DAY.isoformat(), **(base or {})}
    return Interview(screener, Journal(tmp_path / "j.jsonl"), QUESTIONS, base, DAY, "en")


def answer_all(iv: Interview, facts: dict[str, Any], limit: int = 120) -> list[str]:
    """Answer every question from ``facts`` ("don't know" when absent); the paths asked, in order."""
    paths: list[str] = []
    found = iv.next_question()
    while found is not None and len(paths) < limit:
        path = found[0]
        paths.append(path)
        if path in facts:
            iv.record(path, ANSWER, facts[path])
        else:
            iv.record(path, DONT_KNOW)
        found = iv.next_question()
    return paths


# --- order (ADR 0011) ----------------------------------------------------------------------------------

def test_safety_questions_come_first_when_abuse_is_not_ruled_out(screener: Screener, tmp_path: Path) -> None:
    paths = answer_all(interview(screener, tmp_path), {}, limit=4)
    assert paths == ["safety.immediate_danger", "safety.lives_with_abuser", "safety.children_in_household",
                     "safety.at_shelter"]


SAFE = ("assessment_date: 2026-12-01\nsafety: {immediate_danger: false, lives_with_abuser: false, "
        "children_in_household: false, at_shelter: false}\n")


def test_safety_facts_the_case_file_gives_are_not_asked_again(home: Path) -> None:
    base = home / "base.yaml"
    base.write_text(SAFE + "case_id: w4\n")
    result = run([str(base), "--lang", "en"], ["q"])
    assert "immediate danger" not in result.output


def test_no_safety_questions_when_there_was_no_abuse(screener: Screener, tmp_path: Path) -> None:
    paths = answer_all(interview(screener, tmp_path, {"abuse": {"incidents": []}}), {}, limit=3)
    assert not any(p.startswith("safety.") for p in paths)


def test_a_woman_who_left_is_not_asked_about_income_after_saying_she_will_not_live_with_him(
        screener: Screener, tmp_path: Path) -> None:
    facts = {"relationship.cohabitation_ended": "2026-10-01", "relationship.type": "marriage",
             "relationship.intend_to_live_together": False, "reference_person.status": "norwegian_citizen",
             "permits": True, "abuse.incidents": True}
    paths = answer_all(interview(screener, tmp_path), facts)
    assert "relationship.intend_to_live_together" in paths
    assert not any(p.startswith("reference_person.expected_income") or p.endswith("previous_year_income")
                   for p in paths)


def test_a_married_couple_is_not_asked_about_cohabitation_under_41(screener: Screener, tmp_path: Path) -> None:
    facts = {"relationship.type": "marriage", "relationship.cohabitation_ended": None, "permits": True,
             "reference_person.status": "norwegian_citizen", "relationship.intend_to_live_together": True}
    paths = answer_all(interview(screener, tmp_path), facts)
    assert paths.index("relationship.type") < 12
    for only_41 in ("relationship.either_married_to_other", "relationship.lasting_obstacle_to_divorce",
                    "relationship.expecting_child", "relationship.children_together"):
        assert only_41 not in paths


def test_gates_before_details_and_sensitive_details_last(screener: Screener, tmp_path: Path) -> None:
    facts = {"permits": True, "abuse.incidents": True, "relationship.cohabitation_ended": "2026-10-01"}
    paths = answer_all(interview(screener, tmp_path), facts)
    flags = [QUESTIONS[template(p)] for p in paths if not p.startswith("safety.")]
    first_detail = next(i for i, q in enumerate(flags) if not q.gate and not q.after)  # follow-ups at once
    assert all(not q.gate for q in flags[first_detail:] if q.path in ("permits", "abuse.incidents"))
    sensitive = [i for i, q in enumerate(flags) if q.sensitive]
    assert sensitive and min(sensitive) > max(i for i, q in enumerate(flags) if not q.sensitive and
                                              q.path.startswith("abuse.") and not q.path.startswith("abuse.incidents"))


def test_the_abuse_details_come_before_section_40_and_62_details(screener: Screener, tmp_path: Path) -> None:
    """§ 53(1)(b) is what can free her: the details of the abuse (sensitive, late within § 53) were
    asked only after every § 62 and § 40 fact (the Norwegian test level, his income), so § 53(1)(b)
    stayed undetermined through 30 questions."""
    facts = {"permits": True, "abuse.incidents": True, "relationship.cohabitation_ended": "2026-10-01",
             "relationship.end_reason": "separation", "forced_marriage_lawsuit.filed": False,
             "reference_person.status": "norwegian_citizen", "relationship.type": "marriage"}
    paths = answer_all(interview(screener, tmp_path), facts)
    kind = paths.index("abuse.incidents[0].kind")
    others = [i for i, p in enumerate(paths) if p.startswith(("permanent_residence.", "reference_person.expected_income",
                                                              "reference_person.previous_year_income"))]
    assert others and kind < min(others), paths


def test_once_they_live_apart_it_asks_whether_he_died(screener: Screener, tmp_path: Path) -> None:
    """The screening reads an end with no death recorded as a separation (ADR 0009), so it cannot
    list the death as missing: the interview asks right after the end date (§ 53(1)(a))."""
    facts = {"permits": True, "relationship.cohabitation_ended": "2026-06-14",
             "relationship.end_reason": "death_of_reference_person"}
    iv = interview(screener, tmp_path)
    paths = answer_all(iv, facts)
    assert paths[paths.index("relationship.cohabitation_ended") + 1] == "relationship.end_reason"
    assert iv.verdict is not None and statuses(iv.verdict)["utl-53-1-a"] != "not_met"


def test_an_irrelevant_fact_is_never_asked(screener: Screener, tmp_path: Path) -> None:
    """Fields no rule reads (who ended the relationship, the interpreter) are never asked."""
    paths = answer_all(interview(screener, tmp_path), {"permits": True, "abuse.incidents": True})
    assert "relationship.ended_by" not in paths and "applicant.needs_interpreter" not in paths


def test_the_question_that_settles_most_comes_first_within_its_tier(screener: Screener, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 12 item 2: among the relevant candidates, the one whose answers settle the most open
    provisions on average; § 53 facts still before the others. Whether there was abuse at all
    (either answer settles a § 53 provision) before how the cohabitation ended (no single answer
    settles one); the kind of relationship (settles § 41 either way) before the reference
    person's status. (Off by default, `TRY` = 1: it cost more time than it saved questions.)"""
    import eligibility.interview.interview as module

    monkeypatch.setattr(module, "TRY", 3)
    iv = interview(screener, tmp_path)
    for path in SAFETY:
        iv.record(path, ANSWER, False)
    asked = []
    for _ in range(5):
        found = iv.next_question()
        assert found is not None
        asked.append(found[0])
        iv.record(found[0], DONT_KNOW)
    assert asked == ["permits", "abuse.incidents", "forced_marriage_lawsuit.filed",
                     "relationship.cohabitation_ended", "relationship.type"]


def test_a_permit_s_end_date_is_asked_when_it_settles_section_62(screener: Screener, tmp_path: Path) -> None:
    """A permit given with no end date was read as still valid, so its end date was never asked
    (ADR 0009: an unknown end is read every way it allows), yet one that ended in 2019 settles § 62."""
    base = {"permits": [{"basis": "utl-40", "valid_from": "2016-07-01", "forms_basis_for_permanent": True}]}
    iv = interview(screener, tmp_path, base)
    paths = answer_all(iv, {"permits[0].valid_to": "2019-06-30", "permits[1]": False})
    assert "permits[0].valid_to" in paths
    assert iv.verdict is not None and statuses(iv.verdict)["utl-62"] == "not_met"


def test_a_permit_whose_dates_are_unknown_asks_whether_it_has_begun(screener: Screener) -> None:
    """`started` is read from the start date, else from `held` (`facts._started`): with neither,
    the screening must list `held` too, or a permit granted but not begun is never settled."""
    from eligibility.model.case import Case

    case = Case.model_validate({"case_id": "t", "assessment_date": DAY.isoformat(), "permits": [{"basis": "utl-40"}]})
    missing = {m.path for p in screener.screen(case).provisions for m in p.missing}
    assert {"permits[0].held", "permits[0].valid_from"} <= missing, sorted(missing)


# --- whole interviews through --answers ----------------------------------------------------------------

def test_from_nothing_to_a_full_verdict_without_writing_a_file(home: Path) -> None:
    result = run(["--id", "w1", "--as-of", "2026-12-01", "--lang", "en"], ["?"] * 200)
    assert result.exit_code == 0, result.output
    assert "No further question can change the result." in result.output
    assert "To find out (don't know):" in result.output
    assert list((home / "work").iterdir()) == []  # never the working directory
    assert (home / "data" / "eligibility" / "interviews" / "w1.jsonl").is_file()


def test_norwegian_questions_with_labelled_choices_and_who_answers(home: Path) -> None:
    result = run(["--id", "w2", "--as-of", "2026-12-01"], ["q"])
    assert "[1] Er søkeren i akutt fare? (spør søkeren)" in result.output
    assert "1 Ja / 2 Nei / 3 Vet ikke / 4 Vil ikke svare" in result.output


def test_danger_now_is_answered_with_112_and_a_shelter_at_once_not_at_the_end(home: Path) -> None:
    """Principle 8: the moment she says she is in danger, the caseworker reads 112 and a shelter."""
    result = run(["--id", "w9", "--as-of", "2026-12-01", "--lang", "en"], ["1", "q"])
    after = result.output.split("> 1", 1)[1].split("[2]", 1)[0]
    assert "[NOW] Police (emergency number 112)" in after and "shelter" in after, after
    calm = run(["--id", "w10", "--as-of", "2026-12-01", "--lang", "en"], ["2", "q"])
    assert "[NOW]" not in calm.output.split("> 2", 1)[1].split("[2]", 1)[0]


def test_the_interview_s_own_errors_and_notes_are_in_norwegian(home: Path) -> None:
    run(["--id", "w11", "--as-of", "2026-12-01"], ["2", "q"])
    again = run(["--id", "w11", "--as-of", "2026-12-01"], ["q"])
    assert again.exit_code == 2 and "et intervju er allerede lagret her" in again.output
    assert "slettet: w11" in CliRunner().invoke(main, ["interview", "--forget", "w11"]).output


def test_declined_is_never_asked_again_and_shows_in_the_result(home: Path) -> None:
    result = run(["--id", "w3", "--as-of", "2026-12-01", "--lang", "en"], ["4"] + ["?"] * 200)
    assert result.exit_code == 0
    assert result.output.count("Is the applicant in immediate danger?") == 2  # asked once, listed once
    assert "Declined to answer:\n  - Is the applicant in immediate danger?" in result.output


def test_back_undoes_without_deleting_and_the_new_answer_wins(home: Path) -> None:
    save = home / "j.jsonl"
    result = run(["--save", str(save), "--as-of", "2026-12-01", "--lang", "en"], ["1", "back", "2", "q"])
    assert result.exit_code == 0
    assert "Undid the last answer." in result.output
    events = [json.loads(line) for line in save.read_text().splitlines()]
    assert [e["op"] for e in events] == ["start", "answer", "back", "answer"]
    assert Journal.open(save).state().answers == {"safety.immediate_danger": False}


def test_resume_after_a_kill_continues_where_it_stopped(home: Path) -> None:
    save = home / "j.jsonl"
    first = run(["--save", str(save), "--as-of", "2026-12-01", "--lang", "en"], ["2", "2"])  # answers run out
    assert first.exit_code == 0 and "continue with" in first.output
    again = run(["--save", str(save), "--lang", "en"], ["2"])
    assert again.exit_code == 2 and "--resume" in again.output
    resumed = run(["--save", str(save), "--resume", "--lang", "en"], ["?"] * 200)
    assert resumed.exit_code == 0
    assert asked(resumed.output)[0].startswith("[3] Are there children in the household?")
    assert "No further question can change the result." in resumed.output


def test_dates_in_both_forms_and_export_screens_the_same(home: Path, tmp_path: Path) -> None:
    save, exported = home / "j.jsonl", home / "case.yaml"
    base = home / "base.yaml"
    base.write_text(SAFE + "case_id: w5\npermits: [{basis: utl-40, held: true}]\n"  # abuse and lawsuit known:
                    "abuse: {incidents: [{kind: physical, perpetrator: reference_person, victim: applicant}]}\n"
                    "forced_marriage_lawsuit: {filed: false}\n")  # the cohabitation question comes first
    result = run([str(base), "--save", str(save), "--lang", "en"], ["26.10.2026", "q"])
    assert "[1] Do they still live together?" in result.output
    run([str(base), "--save", str(save), "--export", str(exported)], [])
    data = yaml.safe_load(exported.read_text())
    assert data["relationship"]["cohabitation_ended"] == "2026-10-26"
    screened = CliRunner().invoke(main, ["screen", str(exported), "--format", "json"])
    assert screened.exit_code == 0, screened.output


def test_an_identifier_as_an_answer_is_refused(screener: Screener, tmp_path: Path) -> None:
    """The anonymisation guard applies to every answer: the loop asks again and journals nothing."""
    iv = interview(screener, tmp_path)
    assert "national identity number" in (iv.check("reference_person.expected_income", 12345678911) or "")
    assert "phone number" in (iv.check("reference_person.expected_income", 91234567) or "")
    assert iv.check("reference_person.expected_income", 450000) is None


def test_the_guard_speaks_the_interview_s_language(screener: Screener, tmp_path: Path, home: Path) -> None:
    """Under --lang nb the anonymisation guard said 'looks like a phone number' in English."""
    base = {"case_id": "t", "assessment_date": DAY.isoformat()}
    iv = Interview(screener, Journal(tmp_path / "nb.jsonl"), QUESTIONS, base, DAY, "nb")
    assert iv.check("reference_person.expected_income", 91234567) == "ser ut som et telefonnummer"
    case = home / "c.yaml"
    case.write_text("case_id: t\nreference_person: {expected_income: 91234567}\n", encoding="utf-8")
    result = run([str(case), "--as-of", "2026-12-01"], ["q"])
    assert result.exit_code == 2 and "saker skal være anonymisert" in result.output, result.output
    assert "looks like" not in result.output and "cases must be" not in result.output


def test_forget_deletes_the_journal(home: Path) -> None:
    run(["--id", "w7", "--as-of", "2026-12-01"], ["2", "q"])
    path = journal_dir() / "w7.jsonl"
    assert path.is_file()
    result = CliRunner().invoke(main, ["interview", "--forget", "w7"])
    assert result.exit_code == 0 and not path.exists()


def test_quitting_prints_nothing_of_the_answers(home: Path) -> None:
    result = run(["--id", "w8", "--as-of", "2026-12-01", "--lang", "en"], ["1", "q"])
    tail = result.output.split("> q", 1)[1]
    assert tail.strip().startswith("Stopped. The answers are kept")
    assert "immediate danger" not in tail


def test_a_changed_answer_keeps_answers_that_no_longer_apply_as_stale(screener: Screener, tmp_path: Path) -> None:
    iv = interview(screener, tmp_path, {"abuse": {"incidents": []}, "permits": []})
    iv.record("relationship.type", ANSWER, "cohabitation")
    iv.record("relationship.either_married_to_other", ANSWER, False)
    iv.record("relationship.type", ANSWER, "marriage")
    assert "relationship.either_married_to_other" in iv.stale
    assert "either_married_to_other" not in json.dumps(iv.data)
    assert iv.state.answers["relationship.either_married_to_other"] is False  # kept in the journal


# --- questions (data) and answers ----------------------------------------------------------------------

def test_every_question_is_said_aloud_in_both_languages_with_who_answers() -> None:
    for q in QUESTIONS.values():
        assert q.asks in ("person", "caseworker", "register"), q.path
        for lang in ("nb", "en"):
            text = "\n".join(prompt_lines(q, 1, lang))
            assert q.path not in text and "{at_least" not in text, (q.path, lang)
    assert QUESTIONS["abuse.account_credible"].asks == "caseworker"


def test_no_question_names_a_field_and_every_choice_is_a_value_the_case_takes(screener: Screener,
                                                                               tmp_path: Path) -> None:
    iv = interview(screener, tmp_path, {"permits": [{}], "abuse": {"incidents": [{}]}})
    for q in QUESTIONS.values():
        for lang in ("nb", "en"):
            assert not re.search(r"\b[a-z]+_[a-z_]+\b", q.text(lang)), (q.path, lang)
        path = q.path.replace("[]", "[0]")
        for value in q.choices if q.answer == "choice" else ():
            assert iv.check(path, value) is None, (q.path, value)


def test_answers_are_read_as_a_person_says_them() -> None:
    date_q, yes_q = QUESTIONS["relationship.married_on"], QUESTIONS["safety.immediate_danger"]
    assert parse(date_q, "26.11.2026", "nb") == (ANSWER, "2026-11-26")
    assert parse(date_q, "2026-11-26", "en") == (ANSWER, "2026-11-26")
    assert parse(yes_q, "Ja", "nb") == (ANSWER, True)
    assert parse(yes_q, "vet ikke", "nb") == (DONT_KNOW, None)
    assert parse(yes_q, "vil ikke svare", "nb") == (DECLINED, None)
    income = QUESTIONS["reference_person.expected_income"]
    assert parse(income, "minst 400 000", "nb") == (ANSWER, {"at_least": 400000})
    with pytest.raises(Unreadable):
        parse(date_q, "31.02.2026", "nb")


# --- every full status reached (several permits, several incidents) ---------------------------------

def _from_file(full: dict[str, Any], path: str) -> tuple[str, Any]:
    """What a caseworker holding the full case file answers: its value, yes/no for a list or a
    further item, and "don't know" where the file is silent."""
    node: Any = full
    for part in re.split(r"\.|(?=\[)", path):
        if part.startswith("["):
            i = int(part[1:-1])
            node = node[i] if isinstance(node, list) and i < len(node) else None
            if node is None and path.endswith("]"):
                return ANSWER, False
        else:
            node = node.get(part) if isinstance(node, dict) else None
        if node is None:
            return DONT_KNOW, None
    if path.endswith("]") or path in ("permits", "abuse.incidents"):
        return ANSWER, bool(node)
    return ANSWER, node


def interview_from_file(screener: Screener, tmp_path: Path, name: str) -> tuple[Interview, dict[str, str], list[str]]:
    from eligibility.model.loader import load_case_file
    from eligibility.model.case import Case

    full = load_case_file(Path("cases") / f"{name}.yaml").model_dump(mode="json", exclude_unset=True)
    day = dt.date.fromisoformat(full["assessment_date"])
    iv = Interview(screener, Journal(tmp_path / "j.jsonl"), QUESTIONS,
                   {"case_id": "t", "assessment_date": day.isoformat()}, day, "en")
    paths: list[str] = []
    found = iv.next_question()
    while found is not None and len(paths) < 150:
        paths.append(found[0])
        iv.record(found[0], *_from_file(full, found[0]))
        found = iv.next_question()
    return iv, statuses(screener.screen(Case.model_validate(full), as_of=day)), paths


@pytest.mark.parametrize("name, item", [("62-a1-oral", "permits[1].basis"),
                                        ("53-single-serious-incident", "abuse.incidents[1].date")])
def test_a_further_permit_or_incident_is_asked_for_when_it_can_change_a_status(
        screener: Screener, tmp_path: Path, name: str, item: str) -> None:
    iv, target, paths = interview_from_file(screener, tmp_path, name)
    assert item in paths
    assert statuses(iv.verdict) == target


@pytest.mark.parametrize("name, asked", [
    ("53-facts-missing", "relationship.type"),  # a gate of a parked § 41 still settles it
    ("40-reunification-with-refugee", "applicant.birth_year"),  # birth date unknown: the year
    ("53b-in-law-household", "relationship.cohabitation_started"),  # incident date unknown
    ("40-refugee-spouse-income-exempt", "reference_person.entry_date"),  # parked § 40, pursued last
])
def test_every_status_of_the_full_case_is_reached(screener: Screener, tmp_path: Path, name: str,
                                                  asked: str) -> None:
    iv, target, paths = interview_from_file(screener, tmp_path, name)
    assert asked in paths
    assert statuses(iv.verdict) == target


def test_another_item_waits_until_the_last_items_questions_are_done(screener: Screener, tmp_path: Path) -> None:
    iv = interview(screener, tmp_path, {"abuse": {"incidents": []}})
    iv.record("permits", ANSWER, True)
    assert iv.another_item() == {}
    for path in ("permits[0].basis", "permits[0].valid_from", "permits[0].valid_to",
                 "permits[0].forms_basis_for_permanent", "permits[0].held"):
        iv.record(path, DONT_KNOW)
    assert "permits[1]" in iv.another_item()
    iv.record("permits[1]", ANSWER, True)
    assert iv.data["permits"] == [{}, {}]
    iv.record("permits[1]", ANSWER, False)  # changed: the second item is gone again
    assert iv.data["permits"] == [{}]


def test_details_of_an_unknown_thing_are_not_asked(screener: Screener, tmp_path: Path) -> None:
    """Nobody who does not know whether a forced-marriage lawsuit was filed knows its outcome."""
    paths = answer_all(interview(screener, tmp_path), {"abuse.incidents": True})
    assert "forced_marriage_lawsuit.filed" in paths
    assert not [p for p in paths if p.startswith("forced_marriage_lawsuit.") and p != "forced_marriage_lawsuit.filed"]
    assert "reference_person.status" in paths and "reference_person.permanent_residence_basis" not in paths


def test_questions_about_a_second_permit_say_which(home: Path) -> None:
    """Once a second permit is opened, its questions name it (the texts say "the permit")."""
    case = home / "c.yaml"
    case.write_text(yaml.safe_dump({"case_id": "w9", "assessment_date": DAY.isoformat(),
                                    "abuse": {"incidents": []}, "permits": [{"basis": "utl-40",
                                    "valid_from": "2021-01-10", "valid_to": "2023-03-31",
                                    "forms_basis_for_permanent": True}]}), encoding="utf-8")
    result = run([str(case), "--lang", "en", "--id", "w9"], ["?"] * 8 + ["1"] + ["?"] * 80 + ["q"])
    lines = asked(result.output)
    opened = next(i for i, line in enumerate(lines) if "another residence permit" in line)
    assert any("(about no. 2)" in line for line in lines[opened + 1:]), lines
