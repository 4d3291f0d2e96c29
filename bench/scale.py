"""relcheck with many steps: how its own time grows with the checklist.

    .venv/bin/python bench/bench.py --scale            # 3 runs of each scenario
    .venv/bin/python bench/bench.py --scale --runs 5

Runs the relcheck installed beside the Python that runs this script (the project's
development environment), not ``bench/.venv``: nothing is compared, so no peer is
needed. Each scenario is a checklist of ``run: "true"`` steps in a fresh repository:

- ``chain``: 3000 steps, each ``needs`` the one before (plain output, ``-q``);
- ``chain, live view``: the same in a pseudo-terminal (the live view redraws);
- ``parallel``: 500 independent steps with ``--jobs 200``;
- ``list``: ``relcheck list`` of the 3000-step chain (load, validate, plan).

It prints, per scenario, the median wall time, relcheck's own CPU time (user + system
of the relcheck process, read inside it at exit: not its steps') and the steps' CPU
time. The steps' processes are the same in every version of relcheck; the own time is
what relcheck adds.
"""

from __future__ import annotations

import fcntl
import os
import pty
import select
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

# Reports the process's own and its children's CPU time on stderr as it exits.
_PROBE = (
    "import atexit, os, resource, sys\n"
    "def _report():\n"
    "    own = resource.getrusage(resource.RUSAGE_SELF)\n"
    "    kids = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
    "    with open(os.environ['SCALE_PROBE'], 'w') as fh:\n"
    "        fh.write(f'{own.ru_utime + own.ru_stime} {kids.ru_utime + kids.ru_stime}')\n"
    "atexit.register(_report)\n"
    "sys.argv = ['relcheck', *sys.argv[1:]]\n"
    "from relcheck.cli.main import main\n"
    "main()\n"
)


def _repo(folder: Path, count: int, *, chain: bool) -> Path:
    folder.mkdir()
    lines = ["version: 1", "steps:"]
    for i in range(count):
        lines += [f"  - id: s{i}", '    run: "true"']
        if chain and i:
            lines.append(f"    needs: [s{i - 1}]")
    (folder / "relcheck.yaml").write_text("\n".join(lines) + "\n")
    (folder / "pyproject.toml").write_text('[project]\nname = "scale"\nversion = "1.0.0"\n')
    (folder / ".gitignore").write_text(".relcheck/\n")
    git = ["git", "-c", "user.name=Bench", "-c", "user.email=bench@example.invalid"]
    subprocess.run([*git, "init", "-q", "-b", "main"], cwd=folder, check=True)
    subprocess.run([*git, "add", "-A"], cwd=folder, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "scale"], cwd=folder, check=True)
    return folder


def _in_terminal(argv: list[str], cwd: Path, env: dict[str, str]) -> int:
    """Run ``argv`` with a 40x120 pseudo-terminal as its output; drain what it draws."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    proc = subprocess.Popen(
        argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=slave, stderr=slave
    )
    os.close(slave)
    try:
        while True:
            ready, _, _ = select.select([master], [], [], 1.0)
            if ready:
                try:
                    if not os.read(master, 65536):
                        break
                except OSError:  # EIO: the terminal's other side is closed
                    break
            elif proc.poll() is not None:
                break
    finally:
        os.close(master)
    return proc.wait()


def _once(args: list[str], cwd: Path, *, terminal: bool) -> tuple[float, float, float, int]:
    """Wall seconds, relcheck's own CPU seconds, its steps' CPU seconds, exit status."""
    probe = cwd.parent / "probe.txt"
    env = {**os.environ, "SCALE_PROBE": str(probe), "TERM": "xterm-256color"}
    env.pop("CI", None)
    argv = [sys.executable, "-c", _PROBE, *args]
    subprocess.run(["rm", "-rf", str(cwd / ".relcheck")], check=True)
    start = time.perf_counter()
    if terminal:
        code = _in_terminal(argv, cwd, env)
    else:
        code = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, check=False).returncode
    wall = time.perf_counter() - start
    own, kids = (float(x) for x in probe.read_text().split())
    return wall, own, kids, code


def main(runs: int) -> None:
    """Run every scenario ``runs`` times; print a Markdown table of medians."""
    cpus = os.cpu_count()
    load = os.getloadavg()[0]
    print(f"python {sys.version.split()[0]}, {cpus} CPUs, load average {load:.1f}, {runs} runs")
    work = Path(tempfile.mkdtemp(prefix="relcheck-scale-"))
    try:
        chain = _repo(work / "chain", 3000, chain=True)
        wide = _repo(work / "wide", 500, chain=False)
        scenarios = [
            ("3000-step chain, -q", chain, ["run", "-q", "--no-cache", "--dry-run"], False),
            ("3000-step chain, live view", chain, ["run", "--no-cache", "--dry-run"], True),
            (
                "500 steps, --jobs 200, -q",
                wide,
                ["run", "-q", "--no-cache", "--dry-run", "--jobs", "200"],
                False,
            ),
            ("relcheck list, 3000-step chain", chain, ["list"], False),
        ]
        print("\n| scenario | wall s | relcheck CPU s | steps' CPU s | exit |")
        print("|---|---:|---:|---:|---:|")
        for title, repo, args, terminal in scenarios:
            samples = [_once(args, repo, terminal=terminal) for _ in range(runs)]
            wall, own, kids = (statistics.median(s[i] for s in samples) for i in range(3))
            codes = sorted({s[3] for s in samples})
            print(f"| {title} | {wall:.1f} | {own:.2f} | {kids:.2f} | {codes} |", flush=True)
    finally:
        subprocess.run(["rm", "-rf", str(work)], check=False)
