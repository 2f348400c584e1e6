"""Time a cold `eligibility screen` of an example case: a fresh interpreter per run, with the disk
cache of compiled law epochs (ADR 0014) and with ``--no-cache``, and ``--version``, alternating so
that a shared machine's load falls on all three alike. Prints wall and CPU seconds (the process's
user + system time, less sensitive to other work on the machine), minimum and median.

Run: python benchmarks/cold.py [RUNS]   (default 7 runs of each; about 10 seconds)

The cache goes to a temporary folder, filled by one run first. Bytecode is cached in a temporary
folder too (``PYTHONPYCACHEPREFIX``), as an installed package has it, even where
``PYTHONDONTWRITEBYTECODE`` is set.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = "cases/53-physical-own-account.yaml"
TARGET_SCREEN, TARGET_VERSION = 0.25, 0.2
VARIANTS = {
    "screen, cache": ["-m", "cli", "screen", EXAMPLE],
    "screen, --no-cache": ["-m", "cli", "--no-cache", "screen", EXAMPLE],
    "--version": ["-m", "cli", "--version"],
}


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall, CPU) seconds of one run of ``cmd``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, check=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def main(runs: int) -> None:
    with tempfile.TemporaryDirectory() as cache, tempfile.TemporaryDirectory() as pyc:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env.update(ELIGIBILITY_CACHE_DIR=cache, PYTHONPYCACHEPREFIX=pyc)
        for args in VARIANTS.values():  # fill the epoch cache and the bytecode cache
            timed([sys.executable, *args], env)
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in VARIANTS}
        for _ in range(runs):
            for name, args in VARIANTS.items():
                times[name].append(timed([sys.executable, *args], env))
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average "
          f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}, {runs} runs each")
    for name, pairs in times.items():
        wall, cpu = [p[0] for p in pairs], [p[1] for p in pairs]
        print(f"  {name:20s} wall min {min(wall):.3f} median {statistics.median(wall):.3f} s | "
              f"CPU min {min(cpu):.3f} median {statistics.median(cpu):.3f} s")
    screen = statistics.median(p[0] for p in times["screen, cache"])
    version = statistics.median(p[0] for p in times["--version"])
    print(f"  cold screen <= {TARGET_SCREEN} s: {'met' if screen <= TARGET_SCREEN else 'NOT met'} (median wall)")
    print(f"  --version < {TARGET_VERSION} s: {'met' if version < TARGET_VERSION else 'NOT met'} (median wall)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 7)
