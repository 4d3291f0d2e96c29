"""Run the test suite three times while every CPU is kept busy: a check for load-flaky tests.

    python tools/stress_suite.py [--runs N] [-- PYTEST ARGS...]

Starts one busy-loop process per CPU, runs ``python -m pytest`` (parallel by default) the
given number of times, prints each run's wall time and result, and exits non-zero if any
run failed. Timing-dependent tests show up here long before they show up in CI.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _spin() -> None:
    """Keep one CPU busy until killed."""
    while True:
        pass


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="how many suite runs (default 3)")
    parser.add_argument("pytest_args", nargs="*", help="passed to pytest (after --)")
    args = parser.parse_args(argv)

    spinners = [
        multiprocessing.Process(target=_spin, daemon=True) for _ in range(os.cpu_count() or 1)
    ]
    for spinner in spinners:
        spinner.start()
    print(f"{len(spinners)} busy processes started", flush=True)
    failed = 0
    try:
        for run in range(1, args.runs + 1):
            began = time.monotonic()
            proc = subprocess.run(
                [sys.executable, "-m", "pytest", "-q", *args.pytest_args],
                cwd=ROOT,
                check=False,
            )
            took = time.monotonic() - began
            verdict = "passed" if proc.returncode == 0 else f"FAILED (exit {proc.returncode})"
            print(f"run {run}/{args.runs}: {verdict} in {took:.0f}s", flush=True)
            failed += proc.returncode != 0
    finally:
        for spinner in spinners:
            spinner.terminate()
        for spinner in spinners:
            spinner.join()
    print(f"{failed} of {args.runs} runs failed" if failed else f"all {args.runs} runs passed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
