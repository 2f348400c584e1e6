"""The interview's conversation (issue 12 points 3, 5-8): questions said aloud, answers read from
a terminal, a file or standard input, and one status line per provision after every answer.

Line-based on purpose (screen readers): prompt_toolkit when it is installed (the ``interview``
extra), plain ``input()`` otherwise, and answer lines from ``--answers FILE`` or a pipe for tests.
Nothing sensitive is printed on quitting: only where the answers are kept.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Callable, Iterator

from ..model.identifiers import guard_refusal, scan_case
from ..model.texts import word
from .interview import Interview, Question, choice_label, template
from .journal import ANSWER, DECLINED, DONT_KNOW

YES = {"ja", "j", "yes", "y"}
NO = {"nei", "n", "no"}
DONT = {"?", "vet ikke", "vetikke", "dont know", "don't know", "dk"}
DECLINE = {"-", "vil ikke svare", "declined", "decline", "won't say", "skip", "hopp over"}
QUIT = {"q", "quit", "avslutt"}
BACK = {"back", "tilbake", "angre", "b"}
WHY = {"why", "hvorfor"}
DATE_NB = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")


def w(key: str, lang: str) -> str:
    """The interview's word ``key`` in ``lang`` (from the catalogue, eligibility/model/texts.py)."""
    return word(key, lang, "interview")


class Unreadable(ValueError):
    """An answer that does not fit its question."""


def options(q: Question, lang: str) -> list[tuple[str, Any]]:
    """The numbered choices of a question: (label, value); the last two are always don't know and
    won't say."""
    if q.answer in ("yes_no",) or q.path in ("abuse.incidents", "permits"):
        base = [(w("yes", lang), True), (w("no", lang), False)]
    elif q.answer == "choice":
        base = [(choice_label(c, lang), c) for c in q.choices]
    elif q.answer == "ended":
        base = [(w("still_together", lang), None), (w("apart_day_unknown", lang), True)]
    else:
        base = []
    return base + [(w("dont_know", lang), DONT_KNOW), (w("declined", lang), DECLINED)]


def parse_date(text: str) -> dt.date:
    m = DATE_NB.match(text)
    try:
        if m:
            return dt.date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
        return dt.date.fromisoformat(text)
    except ValueError:
        raise Unreadable("26.11.2026 / 2026-11-26") from None


def _number(text: str) -> float | int:
    clean = text.replace(" ", "").replace("\u00a0", "").replace(",", ".")
    try:
        value = float(clean)
    except ValueError:
        raise Unreadable("0-9") from None
    return int(value) if value.is_integer() else value


def parse(q: Question, text: str, lang: str) -> tuple[str, Any]:
    """(op, value) for an answer line: ``answer`` with the case value, ``dont_know`` or ``declined``."""
    low = text.strip().lower()
    opts = options(q, lang)
    if low in DONT:
        return DONT_KNOW, None
    if low in DECLINE:
        return DECLINED, None
    numbered = q.answer in ("yes_no", "choice", "ended") or q.path in ("abuse.incidents", "permits")
    if numbered and low.isdigit():
        i = int(low) - 1
        if not 0 <= i < len(opts):
            raise Unreadable(f"1-{len(opts)}")
        value = opts[i][1]
        return (value, None) if value in (DONT_KNOW, DECLINED) else (ANSWER, value)
    for label, value in opts:
        if low == label.lower() and value not in (DONT_KNOW, DECLINED):
            return ANSWER, value
    return ANSWER, _typed(q, text.strip(), low, lang)


def _typed(q: Question, text: str, low: str, lang: str) -> Any:
    kind = q.answer
    if kind == "yes_no" or q.path in ("abuse.incidents", "permits"):
        if low in YES:
            return True
        if low in NO:
            return False
        raise Unreadable(f"{w('yes', lang)} / {w('no', lang)}")
    if kind == "choice":
        if low in q.choices:
            return low
        raise Unreadable(" / ".join(q.choices))
    if kind == "ended":
        if low in YES:
            return None
        return parse_date(text).isoformat()
    if kind == "date":
        return parse_date(text).isoformat()
    if kind == "number":
        return _number(text)
    if kind == "amount":
        m = re.match(r"^(minst|at least|more than|mer enn)\s+(.+)$", low)
        if m:
            key = "at_least" if m.group(1) in ("minst", "at least") else "more_than"
            return {key: _number(m.group(2))}
        return _number(text)
    if kind == "several":
        if low in ("ingen", "none", "0"):
            return []
        picked = []
        for part in re.split(r"[,\s]+", low):
            if part.isdigit() and 1 <= int(part) <= len(q.choices):
                picked.append(q.choices[int(part) - 1])
            elif part in q.choices:
                picked.append(part)
            elif part:
                raise Unreadable(", ".join(q.choices))
        return list(dict.fromkeys(picked))
    if kind == "text_list":
        return [p.strip().lower() for p in text.split(",") if p.strip()]
    if kind == "age_on":
        m = re.match(r"^(\d{1,3})\s+(\S+)$", text)
        if not m:
            raise Unreadable("34 26.11.2026")
        return {"age": int(m.group(1)), "on": parse_date(m.group(2)).isoformat()}
    return text.upper() if q.path.endswith("citizenship") else text


def prompt_lines(q: Question, number: int, lang: str) -> list[str]:
    """A question as it is said aloud: the text, who answers, and the numbered choices or a hint."""
    asks = w(f"asks_{q.asks}", lang)
    lines = [f"[{number}] {q.text(lang)} ({asks})"]
    opts = options(q, lang)
    if q.answer == "several":
        lines.append("    " + " / ".join(f"{i} {choice_label(c, lang)}" for i, c in enumerate(q.choices, 1)))
        lines.append(f"    {w('several_hint', lang)}; ? = {w('dont_know', lang)}, - = {w('declined', lang)}")
    elif len(opts) > 2:
        lines.append("    " + " / ".join(f"{i} {label}" for i, (label, _) in enumerate(opts, 1)))
    else:
        hint = {"date": "date_hint", "number": "number_hint", "amount": "amount_hint"}.get(q.answer, "text_hint")
        lines.append(f"    {w(hint, lang)}; ? = {w('dont_know', lang)}, - = {w('declined', lang)}")
    return lines


def status_lines(interview: Interview) -> list[str]:
    """One line per provision: mark, title, headline (issue 12 point 5)."""
    from ..explain.render import MARK

    assert interview.verdict is not None
    return [f"    {MARK[p.status]} {p.title}: {p.headline}" for p in interview.verdict.provisions]


def lines_from(source: Iterator[str]) -> Callable[[str], str]:
    """A reader of answer lines from a file or a pipe; EOFError when they run out."""
    def read(prompt: str) -> str:
        try:
            line = next(source)
        except StopIteration:
            raise EOFError from None
        print(prompt + line.rstrip("\n"))
        return line.rstrip("\n")
    return read


def terminal_reader() -> Callable[[str], str]:
    """prompt_toolkit's line prompt if installed (history, screen readers), else ``input()``."""
    try:
        from prompt_toolkit import PromptSession
    except ImportError:
        return input
    session: Any = PromptSession()
    return lambda prompt: session.prompt(prompt)


def run(interview: Interview, read: Callable[[str], str], echo: Callable[[str], None], where: str) -> bool:
    """Ask until nothing is left (True) or the caseworker quits (False); every answer is journaled
    before the next question."""
    lang = interview.lang
    while True:
        found = interview.next_question()
        if found is None:
            echo(w("done", lang))
            return True
        path, provisions = found
        q = interview.questions[template(path)]
        lines = prompt_lines(q, len(interview.state.order) + 1, lang)
        item = re.search(r"\[(\d+)\]\.", path)
        if item and int(item.group(1)) > 0:  # which permit or incident, from the second on
            lines[0] += " " + w("item", lang).format(n=int(item.group(1)) + 1)
        for line in lines:
            echo(line)
        while True:
            try:
                text = read("> ")
            except (EOFError, KeyboardInterrupt):
                echo(w("quit", lang).format(f=where))
                return False
            low = text.strip().lower()
            if low in QUIT:
                echo(w("quit", lang).format(f=where))
                return False
            if low in WHY:
                echo("    " + (w("why_safety", lang) if path.startswith("safety.") else
                               w("why", lang).format(p=", ".join(_titles(interview, provisions)))))
                continue
            if low in BACK:
                if any(e.get("op") in (ANSWER, DONT_KNOW, DECLINED) for e in interview.journal.events):
                    interview.back()
                    echo("    " + w("back_done", lang))
                else:
                    echo("    " + w("nothing_to_undo", lang))
                break
            try:
                op, value = parse(q, text, lang)
            except Unreadable as exc:
                echo("    " + w("not_understood", lang).format(why=exc))
                continue
            problem = interview.check(path, value) if op == ANSWER else None
            if problem:
                echo("    " + w("not_understood", lang).format(why=problem))
                continue
            before = interview.verdict
            interview.record(path, op, value)
            for line in urgent_lines(before, interview):  # safety first, the moment it is known
                echo(line)
            if before is not None and _same_status(before, interview):
                echo("    " + w("unchanged", lang))
            else:
                for line in status_lines(interview):
                    echo(line)
            break


def urgent_lines(before: Any, interview: Interview) -> list[str]:
    """The referrals an answer has just made urgent ("now": 112, a shelter, the helpline), to say
    at once rather than at the end of the interview (principle 8: safety first in every output)."""
    from ..explain.render import label

    assert interview.verdict is not None
    known = {r.service for r in before.referrals if r.urgency == "now"} if before is not None else set()
    return [f"    [{label(r.urgency, interview.lang)}] {r.name}: {r.contact}"
            for r in interview.verdict.referrals if r.urgency == "now" and r.service not in known]


def _same_status(before: Any, interview: Interview) -> bool:
    assert interview.verdict is not None
    return [p.status for p in before.provisions] == [p.status for p in interview.verdict.provisions]


def _titles(interview: Interview, provisions: list[str]) -> list[str]:
    assert interview.verdict is not None
    titles = {p.provision: p.title for p in interview.verdict.provisions}
    return [titles.get(p, p) for p in provisions]


def unknowns(interview: Interview) -> list[str]:
    """The four kinds of missing answer (issue 12 point 3), for the end of the interview."""
    lang, out = interview.lang, []

    def listed(key: str, paths: list[str]) -> None:
        if paths:
            out.append(f"{w(key, lang)}:")
            out.extend(f"  - {interview.questions[template(p)].text(lang)}" for p in paths
                       if template(p) in interview.questions)

    listed("to_find_out", interview.state.dont_know)
    listed("declined_list", interview.state.declined)
    listed("stale", interview.stale)
    listed("not_asked", list(interview.open_facts()))
    return out


# --- the command ------------------------------------------------------------------------------------

EXIT_QUIT = 0  # stopping is not an error: the journal is intact


def conduct(case: str | None, lang: str, interview_id: str | None, save: Any, answers: Any,
            as_of: dt.date | None, resume: bool, export: Any, forget: str | None, rules_dir: Any,
            echo: Callable[[str], None], receipt: Any = None) -> int:
    """`eligibility interview`: forget, export, or ask (exit 2 for user mistakes, as everywhere)."""
    import sys
    from pathlib import Path

    import yaml

    from .journal import START, Journal, journal_path
    from ..model.loader import InputError, load_case_file
    from ..explain.screening import Screener
    from .interview import load_questions

    def where(iid: str) -> Path:
        try:
            return Path(save) if save else journal_path(iid)
        except ValueError:
            raise InputError("--id", "bad_interview_id", iid=iid) from None

    if forget:
        path = where(forget)
        existed = path.exists()
        path.unlink(missing_ok=True)
        echo(w("deleted" if existed else "no_such_journal", lang).format(iid=forget))
        return 0
    base: dict[str, Any] = {}
    if case:
        loaded = load_case_file(case, lang=lang)
        base = loaded.model_dump(mode="json", exclude_unset=True)
        findings = scan_case(base)
        if findings:
            path, values = guard_refusal(findings)
            raise InputError(case, "identifier_refused", path, **values)
    iid = interview_id or base.get("case_id") or f"interview-{dt.datetime.now():%Y%m%d-%H%M%S}"
    path = where(iid)
    journal = Journal.open(path)
    start = journal.start()
    if export:
        if start is None:
            raise InputError(str(path), "no_journal")
        interview = _interview(journal, start, rules_dir)
        Path(export).write_text(yaml.safe_dump(interview.data, allow_unicode=True, sort_keys=False), encoding="utf-8")
        echo(w("exported", lang).format(f=export, digest=journal.digest()))
        if receipt:
            write_receipt(interview, receipt)
        return 0
    if start is not None and not resume:
        raise InputError(str(path), "kept_here", iid=iid)
    if start is None:
        if resume:
            raise InputError(str(path), "nothing_to_resume")
        day = as_of or (dt.date.fromisoformat(base["assessment_date"]) if base.get("assessment_date")
                        else dt.date.today())
        base = {**base, "case_id": iid, "assessment_date": day.isoformat()}
        journal.append({"op": START, "base": base, "lang": lang})
        start = journal.start()
    assert start is not None
    interview = _interview(journal, start, rules_dir, lang)
    if answers is not None:
        read = lines_from(iter(answers))
    elif not sys.stdin.isatty():
        read = lines_from(iter(sys.stdin))
    else:
        read = terminal_reader()
    echo(f"{'Intervju' if lang == 'nb' else 'Interview'} {iid}: {path}")
    finished = run(interview, read, echo, str(path))
    if not finished:
        return EXIT_QUIT
    from ..explain.render import to_text

    assert interview.verdict is not None
    echo("")
    echo(to_text(interview.verdict).rstrip("\n"))
    for line in unknowns(interview):
        echo(line)
    if receipt:
        write_receipt(interview, receipt)
    return 0


def write_receipt(interview: Interview, target: Any) -> None:
    """The receipt of the screening of the case the journal makes, with the journal's sha256
    (issue 12 point 4): `eligibility verify` checks it as any receipt."""
    from ..audit import canonical, make_receipt
    from ..model.atomic import write_atomically

    assert interview.verdict is not None
    write_atomically(target, canonical(make_receipt(interview.screener.book, interview.case(), interview.verdict,
                                                    journal_sha256=interview.journal.digest())) + "\n")


def _interview(journal: Any, start: dict[str, Any], rules_dir: Any, lang: str | None = None) -> Interview:
    from .interview import load_questions
    from ..explain.screening import Screener

    base = start["base"]
    return Interview(Screener(rules_dir), journal, load_questions(rules_dir), base,
                     dt.date.fromisoformat(base["assessment_date"]), lang or start.get("lang", "nb"))
