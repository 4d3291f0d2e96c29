"""Case a's floor for a release gate written in Python: what one cannot leave out.

``python_floor.py`` starts case a's processes and nothing else. A gate must also know the
version it would release (``pyproject.toml``, with ``tomllib``), pin the checklist it ran
(its sha256), see whether a step changed the tree (the index and ``git status`` before
and after the steps), run the steps side by side (threads) and keep a record that
survives a crash (TOML, written whole and synced). This script does only that, with the
fewest modules it can; bench.py times it in case a. What relcheck costs above this row is
its own code: its modules and classes, the cached checklist, redaction, the lock, process
tracking and the summary.
"""

import hashlib
import os
import subprocess
import threading
import tomllib

import tomli_w


def git(*args: str) -> bytes:
    return subprocess.run(["git", *args], capture_output=True, check=False).stdout


def step(number: int, results: dict[int, dict[str, object]]) -> None:
    done = subprocess.run(["sh", "-c", "true"], capture_output=True, check=False)
    results[number] = {"id": f"s{number}", "passed": done.returncode == 0}


def main() -> None:
    head = git("rev-parse", "HEAD", "HEAD^{tree}", "--abbrev-ref", "HEAD").split()
    with open("pyproject.toml", "rb") as fh:
        version = tomllib.load(fh).get("project", {}).get("version", "0")
    with open("checks/overhead.yaml", "rb") as fh:
        checklist_sha256 = hashlib.sha256(fh.read()).hexdigest()
    git("describe", "--tags", "--abbrev=0", "--match=v*", f"--exclude=v{version}", "HEAD")
    status = ["--no-optional-locks", "status", "--porcelain=v2", "-z", "--untracked-files=no"]
    git("ls-files", "-z", "-s", "-v")
    git(*status)
    results: dict[int, dict[str, object]] = {}
    threads = [threading.Thread(target=step, args=(n, results)) for n in range(1, 6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    git(*status)
    record = {
        "commit": head[0].decode() if head else "",
        "version": version,
        "checklist_sha256": checklist_sha256,
        "steps": [results[n] for n in sorted(results)],
    }
    os.makedirs(".bench-floor", exist_ok=True)
    with open(".bench-floor/record.toml.part", "wb") as fh:
        fh.write(tomli_w.dumps(record).encode())
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(".bench-floor/record.toml.part", ".bench-floor/record.toml")


main()
