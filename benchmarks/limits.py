"""Measure the durable_rules limits and defects that eligibility's compiler and adapter rely on,
and the bound on reading one hostile case.

Run: python benchmarks/limits.py          (prints one line per measurement; about 30 seconds)
     python benchmarks/limits.py --input  (only the input bound)
     add --guard to also time the anonymisation guard on each input (minutes while its e-mail
     and phone patterns backtrack)

The first part talks to durable directly on purpose: it measures the engine, not our code.

The second part (`INPUT_CASES`) measures our input handling against its bound: **every case is
read (parsed, checked and validated, or refused with its error) in under `READ_SECONDS` and
`READ_MB` of peak memory, whatever its content within the size bound** (`loader.MAX_BYTES`).
Each hostile input fills the size bound; with ``--guard``, "+guard" adds the anonymisation guard
(`scan_case`), which a batch runs on every case before validating it. The script exits 1 when a
read breaks the bound (the guard column is shown, not enforced here: identifiers.py owns it).

Each measurement runs in a child process, because some of these failures abort the interpreter
(and so that peak memory, ``VmHWM``, is the case's alone on top of the imports).
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

PRELUDE = textwrap.dedent("""
    import json, sys
    from durable import engine
    class Host(engine.Host):
        def _run(self):  # no background threads (engine notes §8)
            pass
    def ruleset(rules):
        host = Host()
        host.register_rulesets({"rs": {name: dict(rule, run=lambda c: fired.append(name)) for name, rule in rules.items()}})
        return host
    fired = []
""")

CASES = {
    "64 sibling tests one fact passes": """
        host = ruleset({f"r{k}": {"all": [{"m": {"$and": [{"t": "x"}, {"$gte": {"a": k}}]}}]} for k in range(64)})
        host.assert_fact("rs", {"t": "x", "sid": "1", "a": 1000}); print("ok")
    """,
    "65 sibling tests one fact passes (error 303 expected)": """
        host = ruleset({f"r{k}": {"all": [{"m": {"$and": [{"t": "x"}, {"$gte": {"a": k}}]}}]} for k in range(65)})
        host.assert_fact("rs", {"t": "x", "sid": "1", "a": 1000}); print("ok")
    """,
    "200 equality tests on one attribute": """
        host = ruleset({f"r{k}": {"all": [{"m": {"$and": [{"t": "x"}, {"a": k}]}}]} for k in range(200)})
        host.assert_fact("rs", {"t": "x", "sid": "1", "a": 0}); print("ok")
    """,
    "pattern with 15 $and/$or groups (30 entries)": """
        expr = {"a": 1}
        for _ in range(14):
            expr = {"$or": [expr, {"b": 2}]}
        host = ruleset({"r": {"all": [{"m": {"$and": [{"t": "x"}, expr]}}]}}); print("ok")
    """,
    "pattern with 16 $and/$or groups (error 113 expected)": """
        expr = {"a": 1}
        for _ in range(15):
            expr = {"$or": [expr, {"b": 2}]}
        host = ruleset({"r": {"all": [{"m": {"$and": [{"t": "x"}, expr]}}]}}); print("ok")
    """,
    "$or inside $iall: a != x or b != y with the first branch true (fires if correct)": """
        host = ruleset({"r": {"all": [{"m": {"$and": [{"t": "x"}, {"$iall": {"l": {"$or": [
            {"$neq": {"$i.a": "x"}}, {"$neq": {"$i.b": True}}]}}}]}}]}})
        try:
            host.assert_fact("rs", {"t": "x", "sid": "1", "l": [{"a": "y", "b": True}]})
        except engine.MessageNotHandledException:
            pass
        print("fired" if fired else "did not fire (wrong)")
    """,
    "$or in a plain pattern, same test (fires if correct)": """
        host = ruleset({"r": {"all": [{"m": {"$and": [{"t": "x"}, {"$or": [{"$neq": {"a": "x"}}, {"$neq": {"b": True}}]}]}}]}})
        host.assert_fact("rs", {"t": "x", "sid": "1", "a": "y", "b": True})
        print("fired" if fired else "did not fire (wrong)")
    """,
    "1,800 rules over 130 conclusion names (rule count alone; names stay few)": """
        import time
        t = time.time()
        host = ruleset({f"r{k}": {"all": [{"m": {"$and": [{"t": "node"}, {"n": f"c{k % 130}"}, {"v": "TFUJ"[k % 4]}]}},
                                          {"x": {"$and": [{"t": "node"}, {"n": f"c{(k + 1) % 130}"}]}}]}
                        for k in range(1800)})
        host.assert_fact("rs", {"t": "node", "sid": "1", "n": "c1", "v": "F"})
        print(f"ok in {time.time() - t:.1f} s")
    """,
    "float written with an exponent (1e-05)": """
        host = ruleset({"r": {"all": [{"m": {"$and": [{"t": "x"}, {"$gte": {"a": 0}}]}}]}})
        host.assert_fact("rs", {"t": "x", "sid": "1", "a": 1e-05}); print("ok")
    """,
    "batch holding a fact no rule tests": """
        host = ruleset({"r": {"all": [{"m": {"t": "x"}}]}})
        host.assert_facts("rs", [{"t": "x", "sid": "1"}, {"t": "unknown", "sid": "1", "v": "a"}]); print("ok")
    """,
    "$not activation after a higher-priority rule asserts the blocking fact (should not fire)": """
        def block(c):
            fired.append("T"); c.assert_fact({"t": "node", "n": "X"})
        host = Host()
        host.register_rulesets({"rs": {
            "T": {"pri": 0, "all": [{"m": {"t": "x"}}], "run": block},
            "U": {"pri": 3, "all": [{"m": {"t": "x"}}, {"b$not": {"$and": [{"t": "node"}, {"n": "X"}]}}],
                  "run": lambda c: fired.append("U")},
            "seen": {"all": [{"m": {"t": "node"}}], "run": lambda c: None}}})
        host.assert_fact("rs", {"t": "x", "sid": "1"})
        print("fired (no retraction)" if "U" in fired else "did not fire")
    """,
}


READ_SECONDS, READ_MB = 1.0, 200

INPUT_PRELUDE = textwrap.dedent("""
    import json, sys, time, tempfile
    from pathlib import Path
    from eligibility.model.loader import MAX_BYTES, InputError, parse_text, validate_case
    from eligibility.model.identifiers import scan_case
    from eligibility.batch import _read_all, _resolve_inputs

    def peak_mb():
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def fill(head, unit, tail=""):
        n = (MAX_BYTES - len(head) - len(tail)) // len(unit)
        return head + unit * n + tail

    def read_document(text, fmt=None, guard=False):
        try:
            data = parse_text(text.encode(), "case", fmt)
            if guard:
                scan_case(data)
            validate_case(data, "case")
        except InputError:
            pass

    def read_file(name, text, guard=False):
        folder = Path(tempfile.mkdtemp())
        (folder / name).write_text(text, encoding="utf-8")
        try:
            for raw in _read_all(_resolve_inputs([folder / name])):
                if raw.data is not None:
                    read_document(json.dumps(raw.data), "json", guard)
        except InputError:
            pass

    def timed(fn, *args):
        start = time.perf_counter()
        fn(*args)
        return time.perf_counter() - start
""")

INPUT_CASES = {
    "YAML: one 256 KiB string of digits": "fill('case_id: x\\napplicant: {citizenship: \"', '0', '\"}\\n')",
    "YAML: one 256 KiB string with @ and dots": "fill('case_id: x\\napplicant: {citizenship: \"', 'a.b@', '\"}\\n')",
    "YAML: a list nested 130,000 deep": "fill('case_id: x\\npermits: ', '[')",
    "YAML: 20,000 incidents": "fill('case_id: x\\nabuse:\\n  incidents:\\n', '  - {kind: physical}\\n')",
    "YAML: a number of 260,000 digits": "fill('case_id: x\\nrelationship: {children_together: ', '9', '}\\n')",
    "YAML: impossible dates in 10,000 permits": "fill('case_id: x\\npermits:\\n', '  - {valid_to: 2024-02-30}\\n')",
    "JSON: a list nested 260,000 deep": "fill('{\"case_id\": \"x\", \"permits\": ', '[')",
    "JSON: a number of 260,000 digits": "fill('{\"case_id\": \"x\", \"relationship\": {\"children_together\": ', '9', '}}')",
    "CSV: a header column of 130,000 segments": "('csv', fill('case_id,', 'a.', 'a\\nx,1\\n'))",
    "CSV: a header of 40,000 columns": "('csv', 'case_id,' + ','.join(f'c{i}' for i in range(40000)) + '\\nx\\n')",
    "CSV: a cell of a list nested 250,000 deep": "('csv', fill('case_id,permits\\nx,', '['))",
    "CSV: a row of 2 MB (over the bound)": "('csv', 'case_id,permits\\nx,' + 'y' * (8 * MAX_BYTES) + '\\n')",
    "CSV: an unclosed quote before 1 MB of rows": "('csv', 'case_id\\n\"x\\n' + 'y\\n' * (MAX_BYTES * 2))",
}


def measure_input(name: str, expr: str, guard: bool) -> tuple[float, float] | str:
    body = textwrap.dedent(f"""
        payload = {expr}
        if isinstance(payload, tuple):
            seconds = timed(read_file, "cases." + payload[0], payload[1], {guard})
        else:
            seconds = timed(read_document, payload, None, {guard})
        print(json.dumps([seconds, peak_mb()]))
    """)
    try:
        done = subprocess.run([sys.executable, "-c", INPUT_PRELUDE + body], capture_output=True, text=True,
                              timeout=600, cwd=Path(__file__).resolve().parent.parent)
    except subprocess.TimeoutExpired:
        return "over 600 s"
    if done.returncode != 0:
        return f"error: {((done.stderr.strip().splitlines() or ['?'])[-1])[:120]}"
    seconds, mb = json.loads(done.stdout)
    return seconds, mb


def input_bound() -> bool:
    """Print the read (and read + guard) time and peak memory of each hostile input; True if every
    read is within the bound."""
    ok = True
    width = max(map(len, INPUT_CASES))
    print(f"{'input (each fills the size bound)':<{width}}  {'read':>8} {'peak MB':>8}  {'+guard':>8} {'peak MB':>8}")
    for name, expr in INPUT_CASES.items():
        cells = []
        for guard in (False, True) if "--guard" in sys.argv else (False,):
            result = measure_input(name, expr, guard)
            if isinstance(result, str):
                cells.append(f"{result:>17}")
                ok = ok and guard
                continue
            seconds, mb = result
            if not guard and (seconds >= READ_SECONDS or mb >= READ_MB):
                ok = False
            cells.append(f"{seconds:>7.3f}s {mb:>8.0f}")
        print(f"{name:<{width}}  {'  '.join(cells)}")
    print(f"bound: every read under {READ_SECONDS:g} s and {READ_MB} MB peak: {'kept' if ok else 'BROKEN'}")
    return ok


def measure(name: str, body: str) -> str:
    code = PRELUDE + textwrap.dedent(body)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    if done.returncode < 0:
        return f"process killed by signal {-done.returncode}"
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["?"])[-1]
        return f"error: {last[:120]}"
    return done.stdout.strip()


def main() -> None:
    if "--input" in sys.argv:
        sys.exit(0 if input_bound() else 1)
    results = {name: measure(name, body) for name, body in CASES.items()}
    width = max(map(len, results))
    for name, result in results.items():
        print(f"{name:<{width}}  {result}")
    if "--json" in sys.argv:
        print(json.dumps(results, indent=2))
    print()
    if not input_bound():
        sys.exit(1)


if __name__ == "__main__":
    main()
