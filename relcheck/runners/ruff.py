"""The ``ruff`` runner: lint (and optionally format-check) with the project's own ruff.

Check only, whatever the project's configuration says: ``fix = true`` in pyproject.toml
would otherwise let a lint step rewrite the files it was asked to judge, and pass.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections import Counter
from dataclasses import dataclass
from typing import Any, ClassVar

from relcheck.api import Annotation, Runner, Status, StepContext, StepResult
from relcheck.runners import _ruff_tool
from relcheck.runners._support import interrupted_or_timed_out
from relcheck.system.process_output import clean_text
from relcheck.system.process_result import CommandResult

MAX_DETAILS = 20  # failure lines shown and recorded; the log has every finding
_TAIL_LINES = 40
# Options that make ruff write files (or never end); a check must not change what it checks.
_WRITES = {
    "--fix": "fixes the files it checks",
    "--fix-only": "fixes the files it checks",
    "--unsafe-fixes": "asks for fixes, which a check never applies",
    "--add-noqa": "writes noqa comments into the files it checks",
    "--diff": "prints fixes instead of findings",
    "--watch": "never ends",
    "-w": "never ends",
}


@dataclass(frozen=True)
class RuffParams:
    """``paths`` to check (default: the project), ``format`` adds ``ruff format --check``."""

    __pydantic_config__: ClassVar[dict[str, Any]] = {"extra": "forbid"}

    paths: tuple[str, ...] = ()  # relative to the repository root
    format: bool = False
    max_findings: int = 0
    select: tuple[str, ...] = ()  # rule codes or prefixes, passed as --select
    extra_args: tuple[str, ...] = ()  # passed to `ruff check` before the paths
    ruff: str | None = None  # the ruff to run: a path (relative to the repository) or a name
    python: str | None = None  # run the ruff installed beside this interpreter

    def __post_init__(self) -> None:
        if self.max_findings < 0:
            raise ValueError("`max_findings` must be 0 or more")
        for arg in self.extra_args:
            why = _WRITES.get(arg.split("=", 1)[0])
            if why is not None:
                raise ValueError(
                    f"`extra_args` may not hold {arg!r}: it {why}, and a check must never "
                    "change what it checks; run `ruff check --fix` yourself and commit the result"
                )


@dataclass(frozen=True)
class Finding:
    """One lint finding, or one file `ruff format` would change."""

    path: str
    line: int
    column: int
    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column} {self.code} {self.message}"


class RuffRunner(Runner):
    """Runs ``ruff check`` (and ``ruff format --check``); passes within ``max_findings``."""

    name = "ruff"
    Params = RuffParams
    cacheable = True
    cache_tools = ("ruff",)  # a ruff upgrade in the project's environment runs it again
    description = "Lint with ruff (and check formatting); findings by rule, file and line."

    def run(self, params: RuffParams, ctx: StepContext) -> StepResult:
        tool = _ruff_tool.find(
            ctx.info.root,  # the repository's environment, also from a temporary worktree
            dict(ctx.env),
            given=params.ruff,
            python=params.python,
            run=lambda argv: ctx.run_command(argv, capture=True),
        )
        ctx.sink.note(f"running {tool.describe()}: {tool.path}")
        ruff = tool.path
        check = [ruff, "check", "--output-format", "json", "--force-exclude"]
        if params.select:
            check += ["--select", ",".join(params.select)]
        # --no-fix after the user's arguments: it outranks `fix = true` in any configuration.
        check += [*params.extra_args, "--no-fix", *params.paths]
        result, findings, stop = _run_ruff(check, ctx)
        if stop is not None:
            return _which(stop, tool)
        # A pass over no files at all is most likely a wrong `paths`; say so.
        no_files = b"No Python files found" in result.stderr
        if params.format:
            unformatted, stop = _format_check(tool, params, ctx)
            if stop is not None:
                return _which(stop, tool)
            findings += unformatted
        outcome = _which(_result(findings, params), tool)
        if no_files:
            summary = f"{outcome.summary} (ruff found no Python files to check)"
            return dataclasses.replace(outcome, summary=summary)
        return outcome


def _format_check(
    tool: _ruff_tool.Ruff, params: RuffParams, ctx: StepContext
) -> tuple[list[Finding], StepResult | None]:
    """Files ``ruff format --check`` would change: from its JSON, or from the text an
    older ruff prints (it has no ``--output-format`` for ``format``)."""
    plain = [tool.path, "format", "--check", "--force-exclude", *params.paths]
    if tool.json_format_check:
        fmt = [tool.path, "format", "--check", "--output-format", "json", "--force-exclude"]
        result, unformatted, stop = _run_ruff([*fmt, *params.paths], ctx)
        if stop is None or b"--output-format" not in result.stderr:
            return unformatted, stop
        ctx.sink.note(f"{tool.describe()} has no JSON output for format; reading its text")
    result = ctx.run_command(plain, capture=True)
    stop = interrupted_or_timed_out(result, ctx.step.timeout)
    if stop is None and result.returncode not in (0, 1):
        stop = _ruff_failed(result, ctx.workdir)
    if stop is not None:
        return [], stop
    return [
        Finding(_relative(path, ctx.workdir), 1, 1, "unformatted", "File would be reformatted")
        for path in _ruff_tool.unformatted_from_text(result.stdout)
    ], None


def _which(result: StepResult, tool: _ruff_tool.Ruff) -> StepResult:
    """The result with the ruff that produced it: in the metrics always, and in the
    summary when it is not the project's own."""
    metrics = {
        **result.metrics,
        "ruff": {"version": tool.version or "unknown", "path": tool.path, "from": tool.source},
    }
    summary = result.summary
    if tool.bundled:
        summary += f" ({tool.describe()}: the project has no ruff of its own)"
    return dataclasses.replace(result, metrics=metrics, summary=summary)


def _run_ruff(
    argv: list[str], ctx: StepContext
) -> tuple[CommandResult, list[Finding], StepResult | None]:
    """Run one ruff command; its findings, or the result that ends the step (error, stop)."""
    result = ctx.run_command(argv, capture=True)
    unfinished = interrupted_or_timed_out(result, ctx.step.timeout)
    if unfinished is not None:
        return result, [], unfinished
    if result.returncode not in (0, 1):
        # Exit 2: ruff could not run (bad configuration, bad arguments). Say ruff's words.
        return result, [], _ruff_failed(result, ctx.workdir)
    try:
        data = json.loads(result.stdout or b"[]")
    except ValueError as exc:
        return (
            result,
            [],
            StepResult(
                Status.ERROR,
                f"ruff printed something that is not JSON ({exc}); see the log",
                exit_code=result.returncode,
            ),
        )
    return result, [_finding(item, ctx.workdir) for item in data], None


def _finding(item: dict[str, Any], root: str) -> Finding:
    location = item.get("location") or {}
    return Finding(
        path=_relative(item.get("filename") or "", root),
        line=int(location.get("row") or 1),
        column=int(location.get("column") or 1),
        # Syntax errors have no rule code in some ruff versions.
        code=item.get("code") or item.get("name") or "syntax-error",
        message=str(item.get("message", "")).strip(),
    )


def _relative(filename: str, root: str) -> str:
    path = os.path.relpath(filename, root) if os.path.isabs(filename) else filename
    return path.replace(os.sep, "/")


def _ruff_failed(result: CommandResult, root: str) -> StepResult:
    text = clean_text(result.stderr or result.stdout).replace(root + os.sep, "")
    lines = [line.rstrip() for line in text.splitlines() if line.strip()]
    causes = [line.strip().removeprefix("Cause:").strip() for line in lines if "Cause:" in line]
    last = lines[-1].strip() if lines else ""
    gutter = last.startswith("|") or last.split("|")[0].strip().isdigit()
    if last and not gutter and last not in causes and not last.startswith("ruff failed"):
        causes.append(last)
    reason = "; ".join(causes) or (last or result.describe())
    return StepResult(
        Status.ERROR,
        f"ruff failed ({result.describe()}): {reason}",
        exit_code=result.returncode,
        details=tuple(lines[:MAX_DETAILS]),
    )


def _result(findings: list[Finding], params: RuffParams) -> StepResult:
    by_rule = Counter(f.code for f in findings)
    files = sorted({f.path for f in findings})
    metrics: dict[str, Any] = {
        "findings": len(findings),
        "files": len(files),
        "by_rule": dict(sorted(by_rule.items())),
    }
    if params.format:
        metrics["unformatted_files"] = by_rule.get("unformatted", 0)
    findings.sort(key=lambda f: (f.path, f.line, f.column, f.code))
    listing = [str(f) for f in findings]
    tail = "\n".join(listing[:_TAIL_LINES])
    if not findings:
        what = "no findings" + (", every file formatted" if params.format else "")
        return StepResult(Status.PASSED, what, exit_code=0, metrics=metrics, output_tail=tail)
    noun = "finding" if len(findings) == 1 else "findings"
    rules = ", ".join(
        f"{code} ×{n}" for code, n in sorted(by_rule.items(), key=lambda kv: (-kv[1], kv[0]))
    )
    file_noun = "file" if len(files) == 1 else "files"
    summary = f"{len(findings)} {noun} in {len(files)} {file_noun}: {rules}"
    annotations = tuple(
        Annotation(f"{f.code} {f.message}", path=f.path, line=f.line, column=f.column)
        for f in findings
    )
    if len(findings) <= params.max_findings:
        return StepResult(
            Status.PASSED,
            f"{summary} (within max_findings {params.max_findings})",
            exit_code=1,
            metrics=metrics,
            annotations=tuple(
                Annotation(a.message, a.path, a.line, a.column, level="warning")
                for a in annotations
            ),
            output_tail=tail,
        )
    details = listing[:MAX_DETAILS]
    if len(listing) > MAX_DETAILS:
        details = [*listing[: MAX_DETAILS - 1], f"... and {len(listing) - MAX_DETAILS + 1} more"]
    return StepResult(
        Status.FAILED,
        summary,
        exit_code=1,
        metrics=metrics,
        details=tuple(details),
        annotations=annotations,
        output_tail=tail,
    )
