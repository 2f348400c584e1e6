"""Measure the anonymisation guard (issue 9, points 3 and 4): what it refuses, what it lets
through, and how long it takes on adversarial strings.

Run (from the repository root):

    python benchmarks/guard.py                # about half a minute
    python benchmarks/guard.py --n 2000       # identifiers and ids per form (default 5000)

It prints figures; it is not a test and asserts nothing. Everything random comes from one fixed
seed, so two runs print the same rates. Every identity number is generated with the mod-11
algorithm from random birth dates and individual numbers; none is looked up or real by intent.

1. **Refusal rate of real identifiers** (should be 100 %): fødselsnumre and D-numbers in every
   separator variant, in a text field and in ``case_id`` (the variants a case_id can hold);
   Norwegian phone numbers in their written forms in a text field, and the grouped forms in
   ``case_id``; e-mail addresses.
2. **False-positive rate on realistic clinic case ids** (should be about 0 %): uniformly random
   8-digit ids, two-digit year + six-digit serial, ``2026-000123``, ``2026-0123``, ``K-12345678``
   (without and with ``--id-pattern 'K-\\d{8}'``), and 11-digit serials (which collide with a
   valid identity number by chance: the one rate that cannot be zero).
3. **Time on adversarial strings** of 16, 64 and 256 KiB (`identifier_kinds` then `redact`, best of
   3): linear means the 256 KiB time is about 4x the 64 KiB time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import re
import sys
import time
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from eligibility.model.identifiers import identifier_kinds, national_id_check_digits, redact, scan_case  # noqa: E402

SEED = 20261202
KIB = 1024


def identity_number(r: random.Random, d_number: bool) -> str:
    """A random valid fødselsnummer (or D-number: 4 added to the day's first digit)."""
    while True:
        born = dt.date(1940, 1, 1) + dt.timedelta(days=r.randrange(365 * 85))
        day = born.day + (40 if d_number else 0)
        nine = f"{day:02d}{born.month:02d}{born.year % 100:02d}{r.randrange(1000):03d}"
        control = national_id_check_digits(nine)
        if control is not None:
            return nine + control


ID_FORMS: dict[str, Callable[[str], str]] = {
    "15038533182": lambda n: n,
    "150385 33182": lambda n: f"{n[:6]} {n[6:]}",
    "150385-33182": lambda n: f"{n[:6]}-{n[6:]}",
    "150385.33182": lambda n: f"{n[:6]}.{n[6:]}",
    "150385_33182": lambda n: f"{n[:6]}_{n[6:]}",
    "15-03-85-33182": lambda n: f"{n[:2]}-{n[2:4]}-{n[4:6]}-{n[6:]}",
    "15.03.85.33182": lambda n: f"{n[:2]}.{n[2:4]}.{n[4:6]}.{n[6:]}",
    "15 03 85 331 82": lambda n: f"{n[:2]} {n[2:4]} {n[4:6]} {n[6:9]} {n[9:]}",
    "15/03/85 33182": lambda n: f"{n[:2]}/{n[2:4]}/{n[4:6]} {n[6:]}",
}
PHONE_FORMS: dict[str, Callable[[str], str]] = {
    "91234567": lambda p: p,
    "912 34 567": lambda p: f"{p[:3]} {p[3:5]} {p[5:]}",
    "912.34.567": lambda p: f"{p[:3]}.{p[3:5]}.{p[5:]}",
    "912-34-567": lambda p: f"{p[:3]}-{p[3:5]}-{p[5:]}",
    "912_34_567": lambda p: f"{p[:3]}_{p[3:5]}_{p[5:]}",
    "91 23 45 67": lambda p: f"{p[:2]} {p[2:4]} {p[4:6]} {p[6:]}",
    "91.23.45.67": lambda p: f"{p[:2]}.{p[2:4]}.{p[4:6]}.{p[6:]}",
    "9123 4567": lambda p: f"{p[:4]} {p[4:]}",
    "+47 91234567": lambda p: f"+47 {p}",
    "+47 912 34 567": lambda p: f"+47 {p[:3]} {p[3:5]} {p[5:]}",
    "0047 91234567": lambda p: f"0047 {p}",
}
CASE_ID_CHARS = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def phone_number(r: random.Random) -> str:
    """A Norwegian mobile (4x, 9x) or landline (2x-7x) number."""
    first = r.choice("49") if r.random() < 0.7 else r.choice("234567")
    return first + f"{r.randrange(10**7):07d}"


def rate(values: list[str], refused: Callable[[str], bool]) -> str:
    hits = sum(1 for v in values if refused(v))
    return f"{100 * hits / len(values):6.2f} % ({hits}/{len(values)})"


def in_text(value: str) -> bool:
    return bool(identifier_kinds(f"ring {value} i morgen"))


def in_case_id(pattern: re.Pattern[str] | None = None) -> Callable[[str], bool]:
    return lambda value: bool(scan_case({"case_id": value}, pattern))


def refusals(r: random.Random, n: int) -> None:
    print("1. Refusal rate of real identifiers (want 100 %)")
    for d_number in (False, True):
        numbers = [identity_number(r, d_number) for _ in range(n)]
        for form, write in ID_FORMS.items():
            written = [write(x) for x in numbers]
            line = f"   {'D-number' if d_number else 'fødselsnummer':13} {form:16} text {rate(written, in_text)}"
            if all(CASE_ID_CHARS.fullmatch(w) for w in written):
                line += f"   case_id {rate(written, in_case_id())}"
            print(line)
    phones = [phone_number(r) for _ in range(n)]
    for form, write in PHONE_FORMS.items():
        written = [write(p) for p in phones]
        line = f"   {'phone':13} {form:16} text {rate(written, in_text)}"
        if form != "91234567" and all(CASE_ID_CHARS.fullmatch(w) for w in written):
            line += f"   case_id {rate(written, in_case_id())}"
        print(line)
    emails = [f"{r.choice(['kari', 'ola.n', 'a_b'])}{r.randrange(1000)}@{r.choice(['example.no', 'post.example.com'])}"
              for _ in range(n)]
    print(f"   {'e-mail':13} {'kari1@example.no':16} text {rate(emails, in_text)}")
    print("   (a phone number that reads as a date, e.g. 22 03 19 85, is not refused: dates are not phones)")


def false_positives(r: random.Random, n: int) -> None:
    print("2. False-positive rate on clinic case ids (want about 0 %)")
    forms: dict[str, Callable[[], str]] = {
        "12345678 (uniform 8 digits)": lambda: f"{r.randrange(10**8):08d}",
        "26000123 (YY + 6 digits)": lambda: f"{r.randrange(100):02d}{r.randrange(10**6):06d}",
        "2026-000123": lambda: f"20{r.randrange(100):02d}-{r.randrange(10**6):06d}",
        "2026-0123": lambda: f"20{r.randrange(100):02d}-{r.randrange(10**4):04d}",
        "K-12345678": lambda: f"K-{r.randrange(10**8):08d}",
        "12345678901 (11 digits)": lambda: f"{r.randrange(10**11):011d}",
    }
    for form, make in forms.items():
        ids = [make() for _ in range(n)]
        line = f"   {form:30} {rate(ids, in_case_id())}"
        if form.startswith("K-"):
            clinic = re.compile(r"K-\d{8}")
            line += f"   with --id-pattern '{clinic.pattern}': {rate(ids, in_case_id(clinic))}"
        print(line)


ADVERSARIAL: dict[str, Callable[[int], str]] = {
    "'0' * n": lambda n: "0" * n,
    "'a@' * n": lambda n: "a@" * (n // 2),
    "'a.' * n": lambda n: "a." * (n // 2),
    "'1 ' * n": lambda n: "1 " * (n // 2),
    "'12-' * n": lambda n: "12-" * (n // 3),
    "'12 12 12 12 123 ' * n": lambda n: "12 12 12 12 123 " * (n // 16),
    "'00 ' * n": lambda n: "00 " * (n // 3),
    "'+0' * n": lambda n: "+0" * (n // 2),
    "'0' * n + '@'": lambda n: "0" * (n - 1) + "@",
}


def timings() -> None:
    print("3. Time on adversarial strings (identifier_kinds + redact, best of 3, ms)")
    sizes = (16 * KIB, 64 * KIB, 256 * KIB)
    print(f"   {'string':24}" + "".join(f"{s // KIB:>8} KiB" for s in sizes) + "   256/64")
    for name, make in ADVERSARIAL.items():
        ms = []
        for size in sizes:
            text = make(size)
            best = float("inf")
            for _ in range(3):
                start = time.perf_counter()
                identifier_kinds(text)
                redact(text)
                best = min(best, time.perf_counter() - start)
            ms.append(best * 1000)
        print(f"   {name:24}" + "".join(f"{m:12.1f}" for m in ms) + f"   {ms[2] / ms[1]:5.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=5000, help="identifiers and ids per form")
    args = parser.parse_args()
    r = random.Random(SEED)
    refusals(r, args.n)
    false_positives(r, args.n)
    timings()


if __name__ == "__main__":
    main()
