"""Measure the durable_rules limits and defects that eligibility's compiler and adapter rely on.

Run: python benchmarks/limits.py        (prints one line per measurement; about 10 seconds)

This script talks to durable directly on purpose: it measures the engine, not our code. Each
measurement runs in a child process, because some of these failures abort the interpreter.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

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
    results = {name: measure(name, body) for name, body in CASES.items()}
    width = max(map(len, results))
    for name, result in results.items():
        print(f"{name:<{width}}  {result}")
    if "--json" in sys.argv:
        print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
