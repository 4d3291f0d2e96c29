"""Time relcheck against a plain shell script, pre-commit, lefthook, go-task and just.

    python3 bench/bench.py                # set up bench/.venv, then every case, 10 runs each
    python3 bench/bench.py --runs 20 --cases a,version
    .venv/bin/python bench/bench.py --scale    # many steps: relcheck's own time (scale.py)

The first run creates ``bench/.venv`` and installs the peers pinned in
``bench/requirements.txt`` plus relcheck itself from this checkout (not editable, as a
user installs it). Each case builds its configuration in a sample repository (a package
with ten pytest tests, committed, clean), then runs every tool in turn, round-robin, after
two uncounted warm-up runs each. It prints, per case, the median wall time, min-max, the
peak RSS of the largest process the tool waited for (``wait4``), and relcheck's time as a
ratio of each tool's. Figures from one machine vary with its load: compare only rows of
the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent
VENV = HERE / ".venv"
BIN = VENV / "bin"
CASES = ("a", "b", "c", "d", "e", "hook", "version")


def q(text: str) -> str:
    """A YAML scalar for ``text`` (a JSON string is a valid double-quoted YAML scalar)."""
    return json.dumps(text)


def sh(cmds: list[str]) -> str:
    return "".join(f"{c}\n" for c in cmds)


def setup_venv(reinstall: bool) -> None:
    if not (BIN / "python").exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        reinstall = True
    if reinstall:
        pip = [str(BIN / "python"), "-m", "pip", "install", "-q"]
        subprocess.run([*pip, "-r", str(HERE / "requirements.txt")], check=True)
        subprocess.run([*pip, "--force-reinstall", "--no-deps", str(PROJECT)], check=True)
        subprocess.run([*pip, str(PROJECT)], check=True)


def bench_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "GIT_", "VIRTUAL"))}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', os.defpath)}"
    env["PRE_COMMIT_HOME"] = str(home / "pre-commit")  # never the user's ~/.cache
    env["HOME"] = str(home)
    env["GIT_CONFIG_NOSYSTEM"] = "1"
    for who in ("AUTHOR", "COMMITTER"):
        env[f"GIT_{who}_NAME"] = "Bench"
        env[f"GIT_{who}_EMAIL"] = "bench@example.invalid"
    return env


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"))


def build_repo(repo: Path, env: dict[str, str]) -> None:
    """The sample project: package tinycalc, 3 modules, 10 tests; configs for each tool."""
    write(
        repo / "pyproject.toml",
        '[project]\nname = "tinycalc"\nversion = "1.0.0"\n\n'
        '[tool.pytest.ini_options]\npythonpath = ["."]\n',
    )
    write(
        repo / ".gitignore",
        ".relcheck/\n.bench-floor/\n__pycache__/\n.pytest_cache/\n.ruff_cache/\n",
    )
    write(repo / "tinycalc/__init__.py", '"""Tiny calculator."""\n')
    write(repo / "tinycalc/add.py", "def add(a: int, b: int) -> int:\n    return a + b\n")
    write(repo / "tinycalc/mul.py", "def mul(a: int, b: int) -> int:\n    return a * b\n")
    write(repo / "tinycalc/neg.py", "def neg(a: int) -> int:\n    return -a\n")
    tests = ["from tinycalc.add import add", "from tinycalc.mul import mul", ""]
    for i in range(10):
        tests += ["", f"def test_{i}() -> None:", f"    assert add({i}, 1) == mul({i} + 1, 1)", ""]
    write(repo / "tests/test_calc.py", "\n".join(tests))

    steps = {
        "overhead": [(f"s{i}", "true") for i in range(1, 6)],
        "parallel": [(f"p{i}", "sleep 0.5") for i in range(1, 5)],
        "realistic": [
            ("ruff", "ruff check ."),
            ("pytest", "pytest -q"),
            ("git-clean", 'test -z "$(git status --porcelain)"'),
        ],
        "many": [(f"t{i}", "true") for i in range(1, 101)],
    }
    py_inputs = '["tinycalc/**", "tests/**", "pyproject.toml"]'
    for name, items in steps.items():
        lines = ["version: 1", "steps:"]
        for sid, cmd in items:
            extra = f", inputs: {py_inputs}" if sid in ("ruff", "pytest") else ""
            lines.append(f"  - {{id: {sid}, run: {q(cmd)}{extra}}}")
        write(repo / f"checks/{name}.yaml", "\n".join(lines) + "\n")
        # Each step in its own `sh -c`, as relcheck, lefthook and just run a step.
        write(repo / f"checks/{name}.sh", sh([f"sh -c {shlex.quote(c)}" for _, c in items]))
        hooks = "".join(
            f"      - {{id: {sid}, name: {sid}, entry: {q(_entry(cmd))}, "
            "language: unsupported, pass_filenames: false, always_run: true}\n"
            for sid, cmd in items
        )
        write(repo / f".pre-commit-{name}.yaml", f"repos:\n  - repo: local\n    hooks:\n{hooks}")
    write(
        repo / "checks/parallel-amp.sh",
        sh([*(f"sh -c {shlex.quote(c)} &" for _, c in steps["parallel"]), "wait"]),
    )
    lefthook = []
    for name, items in steps.items():
        lefthook.append(f"{name}:\n  parallel: {str(name == 'parallel').lower()}\n  jobs:")
        lefthook += [f"    - {{name: {sid}, run: {q(cmd)}}}" for sid, cmd in items]
    lefthook.append("realistic-parallel:\n  parallel: true\n  jobs:")
    lefthook += [f"    - {{name: {s}, run: {q(c)}}}" for s, c in steps["realistic"]]
    write(repo / "lefthook.yml", "\n".join(lefthook) + "\n")
    task = ["version: '3'", "tasks:"]
    just = []
    for name, items in steps.items():
        if name == "parallel":
            task += [f"  {s}: {{cmds: [{q(c)}]}}" for s, c in items]
            task.append(f"  parallel: {{deps: [{', '.join(s for s, _ in items)}]}}")
            just += [f"{s}:\n    {c}\n" for s, c in items]
            just.append(f"[parallel]\nparallel: {' '.join(s for s, _ in items)}\n")
        else:
            task.append(f"  {name}:\n    cmds:")
            task += [f"      - {q(c)}" for _, c in items]
            just.append(f"{name}:\n" + "".join(f"    {c}\n" for _, c in items))
    write(repo / "Taskfile.yml", "\n".join(task) + "\n")
    write(repo / "justfile", "\n".join(just))
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "sample"]):
        subprocess.run(["git", *args], cwd=repo, env=env, check=True)


def _entry(cmd: str) -> str:
    return f"sh -c {cmd!r}" if "$" in cmd else cmd


def lefthook_binary() -> str | None:
    found = sorted(VENV.glob("lib/python*/site-packages/lefthook/bin/*/lefthook"))
    return str(found[0]) if found else None


def tools(case: str) -> list[tuple[str, list[str]]]:
    """(label, argv) of every tool for ``case``; relcheck first, the floor second."""
    relcheck = [str(BIN / "relcheck"), "run", "-q"]
    lefthook_bin = lefthook_binary()
    names = {"a": "overhead", "b": "parallel", "c": "realistic", "d": "realistic", "e": "many"}
    if case == "hook":
        # The pre-push hook on an unchanged tree, against a cached run of the same
        # checklist: what the hook adds (reading the push, the committed checklist).
        checklist = ["-c", "checks/realistic.yaml"]
        return [
            ("relcheck pre-push hook", [*relcheck[:2], "--hook", "pre-push", "-q", *checklist]),
            ("relcheck run (cached)", [*relcheck, *checklist]),
        ]
    if case == "version":
        return [
            ("relcheck --version", [str(BIN / "relcheck"), "--version"]),
            ("python -c pass", [str(BIN / "python"), "-c", "pass"]),
        ]
    name = names[case]
    rows = [
        (
            "relcheck" + (" --no-cache" if case == "c" else " (cached)" if case == "d" else ""),
            [*relcheck, "-c", f"checks/{name}.yaml", *(["--no-cache"] if case == "c" else [])],
        ),
        ("sh script", ["sh", f"checks/{name}.sh"]),
    ]
    if case == "a":
        # The same processes from a 20-line Python script: the floor of a Python tool.
        rows.append(
            ("python, the same processes", [str(BIN / "python"), str(HERE / "python_floor.py")])
        )
        # ... with what a release gate cannot leave out (version, tree check, record).
        rows.append(
            (
                "python, a release gate's least",
                [str(BIN / "python"), str(HERE / "python_gate_floor.py")],
            )
        )
        # ... after importing what relcheck imports from the standard library.
        rows.append(
            (
                "python, relcheck's stdlib + the same",
                [str(BIN / "python"), str(HERE / "python_stdlib_floor.py")],
            )
        )
        rows.append(("python -c pass", [str(BIN / "python"), "-c", "pass"]))
    if case == "b":
        rows.append(("sh script, & + wait (floor)", ["sh", "checks/parallel-amp.sh"]))
    rows.append(
        ("pre-commit", ["pre-commit", "run", "--all-files", "-c", f".pre-commit-{name}.yaml"])
    )
    rows.append(("lefthook (pip shim)", ["lefthook", "run", name]))
    if lefthook_bin:
        rows.append(("lefthook (Go binary)", [lefthook_bin, "run", name]))
        if case in ("c", "d"):
            rows.append(
                ("lefthook parallel (Go binary)", [lefthook_bin, "run", f"{name}-parallel"])
            )
    for label, exe in (("go-task", "task"), ("just", "just")):
        if (BIN / exe).exists():
            rows.append((label, [str(BIN / exe), name]))
    return rows


def time_once(
    argv: list[str], cwd: Path, env: dict[str, str], stdin: Path | None = None
) -> tuple[float, float, int]:
    """Wall seconds, peak RSS in MiB (largest process waited for), exit status."""
    start = time.perf_counter()
    with open(stdin or os.devnull, "rb") as given:
        proc = subprocess.Popen(
            argv, cwd=cwd, env=env, stdin=given,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_maxrss / 1024, proc.returncode


def run_case(
    case: str, repo: Path, env: dict[str, str], runs: int, prepare: Callable[[], None]
) -> list[tuple[str, list[float], float]]:
    rows = tools(case)
    prepare()
    stdin = None
    if case == "hook":  # git's pre-push line for HEAD, kept outside the repository
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=repo,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        stdin = repo.parent / "push.txt"
        stdin.write_text(f"refs/heads/main {head} refs/heads/main {'0' * 40}\n")
    samples: dict[str, list[float]] = {label: [] for label, _ in rows}
    peaks: dict[str, float] = dict.fromkeys(samples, 0.0)
    for n in range(runs + 2):
        for label, argv in rows:
            wall, peak, code = time_once(argv, repo, env, stdin)
            if code != 0:
                again = subprocess.run(
                    argv, cwd=repo, env=env, capture_output=True, text=True, check=False
                )
                raise SystemExit(
                    f"case {case}: `{' '.join(argv)}` exited {code}\n{again.stdout}{again.stderr}"
                )
            if n >= 2:  # two warm-up rounds: bytecode written, caches filled
                samples[label].append(wall)
                peaks[label] = max(peaks[label], peak)
    return [(label, samples[label], peaks[label]) for label, _ in rows]


def own_peak(repo: Path, env: dict[str, str], checklist: str) -> float:
    """relcheck's own peak RSS in MiB for one run (not its steps'), read inside it."""
    code = (
        "import atexit, resource, sys\n"
        "atexit.register(lambda: sys.stderr.write("
        "'PEAK %d\\n' % resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))\n"
        f"sys.argv = ['relcheck', 'run', '-q', '--no-cache', '-c', {checklist!r}]\n"
        "from relcheck.cli.main import main\nmain()\n"
    )
    proc = subprocess.run(
        [str(BIN / "python"), "-c", code],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    for line in proc.stderr.splitlines():
        if line.startswith("PEAK "):
            return int(line.split()[1]) / 1024
    return float("nan")


def report(case: str, rows: list[tuple[str, list[float], float]]) -> None:
    titles = {
        "a": "a. 5 steps of `true` (overhead)",
        "b": "b. 4 independent steps of `sleep 0.5` (parallel; floor 0.5 s)",
        "c": "c. realistic: ruff check, pytest (10 tests), git status check; first run",
        "d": "d. realistic again on an unchanged tree (relcheck's cache; peers rerun all)",
        "e": "e. 100 steps of `true`",
        "hook": "hook. the pre-push hook vs a cached run of case c's checklist, unchanged tree",
        "version": "start-up: `relcheck --version` vs `python -c pass`",
    }
    print(f"\n### {titles[case]}\n")
    print("| tool | median ms | min–max ms | peak MiB | relcheck ÷ tool |")
    print("|---|---:|---:|---:|---:|")
    ours = statistics.median(rows[0][1])
    for label, samples, peak in rows:
        median = statistics.median(samples)
        ratio = "-" if label == rows[0][0] else f"{ours / median:.2f}"
        print(
            f"| {label} | {median * 1000:.0f} | {min(samples) * 1000:.0f}–"
            f"{max(samples) * 1000:.0f} | {peak:.1f} | {ratio} |"
        )
    sys.stdout.flush()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=10, help="counted runs per tool and case")
    parser.add_argument("--cases", default=",".join(CASES), help="comma-separated: a,b,...")
    parser.add_argument("--reinstall", action="store_true", help="reinstall bench/.venv")
    parser.add_argument(
        "--scale",
        action="store_true",
        help="only the many-steps scenarios, with the relcheck of this Python (3 runs each)",
    )
    args = parser.parse_args()
    if args.scale:
        from scale import main as scale_main

        scale_main(args.runs if "--runs" in sys.argv else 3)
        return
    cases = [c.strip() for c in args.cases.split(",") if c.strip()]
    setup_venv(args.reinstall)
    work = Path(tempfile.mkdtemp(prefix="relcheck-bench-"))
    try:
        env = bench_env(work)
        repo = work / "repo"
        build_repo(repo, env)
        state = repo / ".relcheck"
        versions = subprocess.run(
            [str(BIN / "python"), "-m", "pip", "list", "--format=freeze"],
            capture_output=True, text=True, env=env, check=True,
        ).stdout.split()  # fmt: skip
        wanted = (
            "relcheck",
            "pre-commit",
            "lefthook",
            "go-task-bin",
            "rust-just",
            "ruff",
            "pytest",
        )
        found = [v for v in versions if v.split("==")[0].replace("_", "-").lower() in wanted]
        print("versions:", ", ".join(found))
        print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, {args.runs} runs each")
        results: dict[str, list[tuple[str, list[float], float]]] = {}
        for case in cases:
            results[case] = run_case(
                case,
                repo,
                env,
                args.runs,
                lambda: shutil.rmtree(state, ignore_errors=True),
            )
            report(case, results[case])
        if "c" in cases:
            # The first run validates the checklist (PyYAML, pydantic); later ones load it
            # from the validated-checklist cache.
            first = own_peak(repo, env, "checks/realistic.yaml")
            again = own_peak(repo, env, "checks/realistic.yaml")
            print(
                f"\nrelcheck's own peak RSS, case c: {again:.1f} MiB "
                f"({first:.1f} MiB when it validates a new or edited checklist)"
            )
        if "e" in results:
            e = statistics.median(results["e"][0][1])
            floor = statistics.median(results["e"][1][1])
            print(f"per step, case e: {(e - floor) * 1000 / 100:.2f} ms above the sh script")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
