"""Canary secrets planted in the environment, the checklist and URLs, printed whole and
split across output chunks: none may appear in terminal output, records, logs or error
messages, and records and logs are readable by their owner only."""

from __future__ import annotations

import re
import stat
import sys
from pathlib import Path

import pytest

from tests.helpers import run_relcheck
from tests.reliability.support import FIGURES, check_run

# Environment variables whose names mark them as secret, each with a canary value.
ENV_CANARIES = {
    "RELTEST_TOKEN": "canary-token-1f3a",
    "DEPLOY_SECRET": "canary-secret-77b2",
    "DB_PASSWORD": "canary-password-9c1d",
    "SIGNING_KEY": "canary-key-4e8f",
    "LISTED_NAME": "canary-listed-2a6b",  # an ordinary name, listed under `secrets:`
    "HTTP_AUTHORIZATION": "canary-authz-0b9a",  # holds AUTHOR, and is a credential
}
STEP_ENV_CANARY = "canary-stepenv-5d0c"  # written into the checklist as API_TOKEN
URL_CANARY = "canary-urlpass-8e3f"  # a password inside a URL
CANARIES = [*ENV_CANARIES.values(), STEP_ENV_CANARY, URL_CANARY]

SPLIT = (
    "import os, sys, time\n"
    "names = ['RELTEST_TOKEN', 'DEPLOY_SECRET', 'DB_PASSWORD', 'SIGNING_KEY', 'LISTED_NAME',"
    " 'API_TOKEN']\n"
    f"values = [os.environ[n] for n in names] + ['https://ci:{URL_CANARY}@example.invalid/x']\n"
    "for value in values:\n"
    "    half = len(value) // 2\n"
    "    os.write(1, b'before ' + value[:half].encode())\n"
    "    time.sleep(0.05)\n"
    "    os.write(1, value[half:].encode() + b' after\\n')\n"
    "sys.exit(1)\n"
)


def _checklist(split_script: Path) -> str:
    return f"""
        version: 1
        secrets: [LISTED_NAME]
        steps:
          - id: whole
            env: {{API_TOKEN: {STEP_ENV_CANARY}}}
            run: |
              echo "$RELTEST_TOKEN $DEPLOY_SECRET $DB_PASSWORD $SIGNING_KEY $LISTED_NAME"
              echo "$HTTP_AUTHORIZATION"
              echo "token=$API_TOKEN url=https://deploy:{URL_CANARY}@example.invalid/repo.git"
              echo "$RELTEST_TOKEN" >&2
              exit 1
          - id: split
            env: {{API_TOKEN: {STEP_ENV_CANARY}}}
            run: ["{sys.executable}", "{split_script}"]
          - id: in-summary
            uses: command
            with: {{run: "true", cwd: {ENV_CANARIES["RELTEST_TOKEN"]}}}
        """


def report_files(folder: Path) -> dict[str, str]:
    """Reports a run wrote outside .relcheck (JUnit, and any report added later: give it
    a path under ``folder`` in the test's arguments and it is searched too)."""
    return {p.name: p.read_text(errors="replace") for p in folder.glob("*.xml")}


def _leaks(texts: dict[str, str]) -> list[tuple[str, str]]:
    return [(where, c) for where, text in texts.items() for c in CANARIES if c in text]


def _files(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): p.read_text(errors="replace")
        for p in (root / ".relcheck").rglob("*")
        if p.is_file()
    }


@pytest.mark.parametrize("args", [["run"], ["run", "-v"], ["run", "--format", "json"]])
def test_canary_secrets_never_appear_in_output_records_or_logs(
    git_repo: Path, checklist, run_env: dict[str, str], tmp_path: Path, args: list[str]
) -> None:
    script = tmp_path / "split.py"
    script.write_text(SPLIT)
    checklist(_checklist(script))
    junit = tmp_path / "junit.xml"
    args = [*args, "--junit", str(junit)]
    proc = run_relcheck(*args, cwd=git_repo, env={**run_env, **ENV_CANARIES})
    assert proc.returncode == 1, proc.stdout + proc.stderr
    check_run(proc.returncode, proc.stdout + proc.stderr, git_repo)
    files = {**_files(git_repo), **report_files(tmp_path)}
    assert "junit.xml" in files
    assert any(name.endswith(".log") for name in files)
    leaks = _leaks({"stdout": proc.stdout, "stderr": proc.stderr, **files})
    FIGURES.add("secret canaries", len(CANARIES))
    FIGURES.add("secret leaks", len(leaks))
    assert not leaks
    # The masked values are still visible as masked, so the output stays readable.
    assert "before *** after" in files[next(n for n in files if n.endswith("split.log"))]
    assert "https://***@example.invalid" in "".join(files.values())


def test_a_secret_in_a_checklist_error_is_masked(
    git_repo: Path, checklist, run_env: dict[str, str]
) -> None:
    token = ENV_CANARIES["RELTEST_TOKEN"]
    checklist(
        f"""
        version: 1
        steps:
          - id: a
            run: 'true'
            timeout: {token}
          - id: b
            uses: {token}
        """
    )
    proc = run_relcheck("run", cwd=git_repo, env={**run_env, **ENV_CANARIES})
    assert proc.returncode == 2
    assert re.search(r"relcheck\.yaml:5:\d+: .*got '\*\*\*'", proc.stderr), proc.stderr
    leaks = _leaks({"stdout": proc.stdout, "stderr": proc.stderr})
    FIGURES.add("secret canaries", 1)
    FIGURES.add("secret leaks", len(leaks))
    assert not leaks
    check_run(proc.returncode, proc.stdout + proc.stderr, git_repo)


def test_a_secret_in_an_internal_error_is_masked_in_message_and_crash_log(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from relcheck.cli.errorhandler import boundary

    token = ENV_CANARIES["RELTEST_TOKEN"]
    monkeypatch.setenv("RELTEST_TOKEN", token)
    monkeypatch.setenv("TMPDIR", str(tmp_path))

    @boundary
    def command() -> None:
        raise RuntimeError(f"connecting with {token}")

    with pytest.raises(SystemExit) as exit_info:
        command()
    assert exit_info.value.code == 70
    err = capsys.readouterr().err
    log = Path(re.search(r"traceback in (\S+);", err).group(1))  # type: ignore[union-attr]
    text = log.read_text()
    assert "connecting with ***" in text
    leaks = _leaks({"stderr": err, "crash log": text})
    FIGURES.add("secret canaries", 1)
    FIGURES.add("secret leaks", len(leaks))
    assert not leaks
    assert stat.S_IMODE(log.stat().st_mode) & 0o077 == 0
    assert stat.S_IMODE(log.parent.stat().st_mode) & 0o077 == 0


def test_records_and_logs_are_readable_by_their_owner_only(
    git_repo: Path, checklist, run_env: dict[str, str]
) -> None:
    checklist("version: 1\nsteps:\n  - id: a\n    run: echo hello\n")
    proc = run_relcheck("run", "--dry-run", cwd=git_repo, env=run_env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    files = [p for p in (git_repo / ".relcheck").rglob("*") if p.is_file()]
    assert any(p.suffix == ".toml" for p in files)
    assert any(p.suffix == ".log" for p in files)
    open_to_others = [
        str(p) for p in files if stat.S_IMODE(p.stat().st_mode) & (stat.S_IRWXG | stat.S_IRWXO)
    ]
    assert not open_to_others


def test_installed_hook_files_are_executable_and_not_writable_by_others(
    git_repo: Path, run_env: dict[str, str]
) -> None:
    proc = run_relcheck("hook", "install", cwd=git_repo, env=run_env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    hook = git_repo / ".git" / "hooks" / "pre-push"
    assert stat.S_IMODE(hook.stat().st_mode) == 0o755


def test_masking_leaves_ordinary_values_readable(
    git_repo: Path, checklist, run_env: dict[str, str]
) -> None:
    # Names that look secret but are not (the commit author, a library flag) must not
    # turn every "false" or the author's name into ***.
    checklist(
        """
        version: 1
        steps:
          - id: plain
            run: echo "author=$GIT_AUTHOR_NAME parallel=$TOKENIZERS_PARALLELISM done=false"
        """
    )
    env = {**run_env, "GIT_AUTHOR_NAME": "Rel Check", "TOKENIZERS_PARALLELISM": "false"}
    proc = run_relcheck("run", "--dry-run", "-v", cwd=git_repo, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    check_run(proc.returncode, proc.stdout + proc.stderr, git_repo)
    assert "author=Rel Check parallel=false done=false" in proc.stdout
