"""Interview benchmark (issue 12): how many questions the interview needs, and how long it takes
from an answer to the next question. A benchmark, not a test: it prints numbers.

For each example case (and, with --generated N, cases made by hiding facts of the examples at
random, seeded), the interview starts from nothing (case id and assessment date only) and an
oracle answers from the full case: its value, or "don't know" when the case does not have it. It
counts the questions until none is left, and checks that the statuses come back to the full case's.
The baseline is a fixed questionnaire in schema order (rules/questions.yaml) that stops as soon as
every status is the full case's: the best such a form could do.

    PYTHONPATH=. python benchmarks/interview.py [--generated 20]
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from eligibility.model.case import Case  # noqa: E402
from eligibility.interview.interview import LIST_PARENTS, Interview, build_case, load_questions, statuses, template  # noqa: E402
from eligibility.interview.journal import ANSWER, DONT_KNOW, Journal  # noqa: E402
from eligibility.model.loader import load_case_file  # noqa: E402
from eligibility.explain.screening import Screener  # noqa: E402

MISSING = object()


def lookup(data: Any, path: str) -> Any:
    """The value at ``path`` (``a.b``, ``a.list[0].c``) in the full case, or MISSING."""
    node = data
    for part in path.replace("[", ".[").split("."):
        if part.startswith("["):
            i = int(part[1:-1])
            if not isinstance(node, list) or i >= len(node):
                return MISSING
            node = node[i]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            return MISSING
    return node


def oracle(full: dict[str, Any], path: str) -> tuple[str, Any]:
    value = lookup(full, path)
    if path.endswith("]"):  # "another item?": the full case's list has it or not
        return (ANSWER, value is not MISSING) if isinstance(lookup(full, path.rsplit("[", 1)[0]), list) \
            else (DONT_KNOW, None)
    if value is MISSING:
        return DONT_KNOW, None
    if path in LIST_PARENTS:
        return ANSWER, bool(value)
    return ANSWER, value


def interview_count(screener: Screener, questions: Any, full: dict[str, Any], day: dt.date,
                    times: list[float], target: dict[str, str],
                    trace: list[tuple[str, list[str]]] | None = None,
                    silent: list[int] | None = None) -> tuple[int, int, dict[str, str]]:
    """Questions the interview asks with the oracle answering: until the statuses are the full
    case's (and stay so), and until it stops; and the statuses it ends with."""
    base = {"case_id": full["case_id"], "assessment_date": day.isoformat()}
    with tempfile.TemporaryDirectory() as tmp:
        journal = Journal(Path(tmp) / "j.jsonl")
        interview = Interview(screener, journal, questions, base, day, "en")
        asked, reached, ops = 0, 0, []
        found = interview.next_question()
        while found is not None and asked < 200:
            path, _ = found
            op, value = oracle(full, path)
            asked += 1
            ops.append(op)
            before = statuses(interview.verdict)
            t = time.perf_counter()
            interview.record(path, op, value)
            found = interview.next_question()
            times.append(time.perf_counter() - t)
            if trace is not None:
                after = statuses(interview.verdict)
                trace.append((path, [p for p in after if after[p] != before.get(p)]))
            if statuses(interview.verdict) != target:
                reached = asked + 1
        assert interview.verdict is not None
        if silent is not None:  # of the questions until the full statuses, those the file is silent on
            silent.append(ops[:min(reached, asked)].count(DONT_KNOW))
        return min(reached, asked), asked, statuses(interview.verdict)


def schema_order_count(screener: Screener, questions: Any, full: dict[str, Any], day: dt.date,
                       target: dict[str, str]) -> int:
    """Questions a fixed form in schema order asks before every status is the full case's."""
    answers: dict[str, Any] = {}
    base = {"case_id": full["case_id"], "assessment_date": day.isoformat()}
    asked = 0
    for q in questions.values():
        paths = [q.path]
        if "[]" in q.path:  # every item of the full case's list; "another?" once per item (the last: no)
            items = lookup(full, q.path.split("[]")[0])
            count = len(items) if isinstance(items, list) else 0
            paths = [q.path.replace("[]", f"[{i}]") for i in range(count + 1 if q.path.endswith("]") else count)]
            paths = paths[1:] if q.path.endswith("]") else paths
        for path in paths:
            asked += 1
            op, value = oracle(full, path)
            if op == ANSWER:
                answers[path] = value
            data, _ = build_case(base, answers)
            verdict = screener.screen(Case.model_validate(data), as_of=day)
            if statuses(verdict) == target:
                return asked
    return asked


def hidden(full: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """The case with about a third of its facts removed (sections' fields, never the id or date)."""
    data = copy.deepcopy(full)
    for key, value in list(data.items()):
        if isinstance(value, dict):
            for field in list(value):
                if rng.random() < 1 / 3:
                    del value[field]
        elif key not in ("case_id", "assessment_date") and rng.random() < 1 / 3:
            del data[key]
    return data


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--generated", type=int, default=0)
    parser.add_argument("--trace", action="store_true",
                        help="per case, the questions asked and the provisions whose status each changed; "
                             "then the questions that never changed a status in any case")
    args = parser.parse_args()
    screener, questions = Screener(), load_questions()
    fulls = []
    for path in sorted((ROOT / "cases").glob("*.yaml")):
        case = load_case_file(path)
        fulls.append(case.model_dump(mode="json", exclude_unset=True))
    rng = random.Random(12)
    fulls += [hidden(rng.choice(fulls[:]), rng) for _ in range(args.generated)]
    counts, totals, baselines, same, times = [], [], [], 0, []
    silent: list[int] = []
    asked_any: dict[str, int] = {}
    changed_any: dict[str, int] = {}
    for full in fulls:
        day = dt.date.fromisoformat(full.get("assessment_date") or "2026-12-01")
        target = statuses(screener.screen(Case.model_validate(full), as_of=day))
        trace: list[tuple[str, list[str]]] | None = [] if args.trace else None
        n, total, ended = interview_count(screener, questions, full, day, times, target, trace, silent)
        if trace is not None:
            print(f"{full['case_id']}: {n} questions to the full statuses, {total} in all")
            for i, (path, changed) in enumerate(trace, 1):
                print(f"  {i:3d} {path}: {', '.join(changed) or '-'}")
                asked_any[template(path)] = asked_any.get(template(path), 0) + 1
                changed_any[template(path)] = changed_any.get(template(path), 0) + bool(changed)
        counts.append(n)
        totals.append(total)
        baselines.append(schema_order_count(screener, questions, full, day, target))
        same += ended == target
    if args.trace:
        never = sorted((n, q) for q, n in asked_any.items() if not changed_any[q] and not q.startswith("safety."))
        print("asked, never changed a status (times asked):")
        for n, q in reversed(never):
            print(f"  {n:4d} {q}")
    times.sort()
    p95 = times[int(0.95 * (len(times) - 1))] * 1000
    print(f"cases: {len(fulls)} ({len(fulls) - args.generated} examples, {args.generated} generated)")
    print(f"schema questions: {len(questions)}")
    print(f"interview questions until the statuses are the full case's: mean {statistics.mean(counts):.1f}, "
          f"max {max(counts)}")
    print(f"  of which the full case is silent on (answered don't know): mean {statistics.mean(silent):.1f}")
    print(f"interview questions until it stops (nothing left to ask): mean {statistics.mean(totals):.1f}, "
          f"max {max(totals)}")
    print(f"schema-order form (stopping as soon as every status is final): mean {statistics.mean(baselines):.1f}, "
          f"max {max(baselines)}")
    print(f"ratio interview / schema order (means): {statistics.mean(counts) / statistics.mean(baselines):.2f}")
    print(f"same statuses as the full case: {same}/{len(fulls)}")
    print(f"answer -> next question: median {statistics.median(times) * 1000:.0f} ms, p95 {p95:.0f} ms "
          f"({len(times)} answers)")


if __name__ == "__main__":
    main()
