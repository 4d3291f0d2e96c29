"""GitHub Actions output: a log group per step, ``::error``/``::warning`` annotations for
failed steps, and a Markdown table appended to ``$GITHUB_STEP_SUMMARY``.

Workflow commands are documented at
https://docs.github.com/actions/reference/workflow-commands-for-github-actions.
"""

from __future__ import annotations

import os
import secrets
import sys
from collections.abc import Iterator, Mapping
from typing import TextIO

from relcheck.durations import format_duration
from relcheck.models import Annotation, Outcome, RunResult, Status, Step, StepResult

_LOG_LINES = 2000  # of a step's log shown in its group; the whole log is in the record
_LOG_BYTES = 1024 * 1024  # read from the end of a log for those lines, at most
_ANNOTATIONS_PER_STEP = 10  # GitHub shows at most 10 error annotations per job step
_ICONS = {
    Status.PASSED: "✅ passed",
    Status.CACHED: "✅ cached",
    Status.FAILED: "❌ failed",
    Status.ERROR: "❌ error",
    Status.TIMED_OUT: "❌ timed out",
    Status.SKIPPED: "⏭️ skipped",
    Status.INTERRUPTED: "⏹️ interrupted",
}


def escape_data(text: str) -> str:
    """A workflow command's message: ``%``, CR and LF encoded."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A workflow command's property value: as data, plus ``:`` and ``,``."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


REFUSALS = ("nothing to release:", "the release would be refused:")  # see engine.refusal


def command(name: str, message: str, **properties: object) -> str:
    """``::name key=value,...::message``, escaped."""
    props = ",".join(
        f"{key}={escape_property(str(value))}"
        for key, value in properties.items()
        if value is not None
    )
    return f"::{name}{' ' + props if props else ''}::{escape_data(message)}"


def _level(result: StepResult, annotation: Annotation | None = None) -> str:
    wanted = annotation.level if annotation is not None else "error"
    if wanted == "error" and result.optional:
        return "warning"  # an optional step's failure does not block the release
    return wanted if wanted in ("error", "warning", "notice") else "error"


def _relative(path: str, root: str) -> str:
    if os.path.isabs(path) and root and path.startswith(root.rstrip(os.sep) + os.sep):
        return os.path.relpath(path, root)
    return path


def annotation_commands(run: RunResult) -> Iterator[str]:
    """The annotation commands for a run's failed steps."""
    for result in run.steps:
        if not result.status.fails_run:
            continue
        title = f"relcheck: {result.step_id} {result.status.words}"
        if result.annotations:
            for found in result.annotations[:_ANNOTATIONS_PER_STEP]:
                yield command(
                    _level(result, found),
                    found.message,
                    file=_relative(found.path, run.info.root) if found.path else None,
                    line=found.line,
                    col=found.column,
                    title=title,
                )
            hidden = len(result.annotations) - _ANNOTATIONS_PER_STEP
            if hidden > 0:
                yield command(
                    _level(result), f"{hidden} more finding(s) in the step log", title=title
                )
            continue
        lines = [result.summary, *result.details[:10]]
        if result.owner:
            lines.append(f"owner: {result.owner}")
        if result.expect:
            lines.append(f"expected: {result.expect}")
        yield command(_level(result), "\n".join(lines), title=title)


def _cell(text: object) -> str:
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").strip() or " "


def step_summary(run: RunResult, record_path: str | None = None) -> str:
    """The Markdown appended to ``$GITHUB_STEP_SUMMARY``."""
    info = run.info
    head = "passed" if run.outcome is Outcome.PASSED else str(run.outcome).upper()
    facts = [f"run `{info.run_id}`"]
    for label, value in (
        ("commit", (info.commit or "")[:12]),
        ("branch", info.branch),
        ("version", info.version),
        ("tag", info.tag),
    ):
        if value:
            facts.append(f"{label} `{value}`")
    lines = [f"### relcheck: {head}", "", " · ".join(facts), ""]
    if run.message:
        lines += [f"> {_cell(run.message)}", ""]
    lines += ["| Step | Status | Duration | Summary |", "| --- | --- | ---: | --- |"]
    for r in run.steps:
        status = _ICONS.get(r.status, str(r.status))
        if r.optional and r.status.fails_run:
            status += " (optional)"
        duration = format_duration(r.duration) if r.status is not Status.SKIPPED else "-"
        lines.append(f"| {_cell(r.step_id)} | {status} | {duration} | {_cell(r.summary)} |")
    if record_path:
        lines += ["", f"Record: `{record_path}`"]
    return "\n".join(lines) + "\n\n"


def _log_lines(result: StepResult) -> list[str]:
    """The end of a step's log (already masked), else its recorded output tail."""
    from relcheck.system.fileio import read_tail

    text, cut = result.output_tail, False
    if result.log_path:
        try:  # the log as relcheck wrote it: a FIFO or a link a step left there is not read
            data, cut = read_tail(result.log_path, _LOG_BYTES)
            text = data.decode("utf-8", errors="replace")
            if cut and "\n" in text:
                text = text.partition("\n")[2]  # from the first whole line
        except OSError:
            pass
    lines = text.rstrip("\n").split("\n") if text.strip() else []
    if cut:
        lines = [f"... (earlier lines in {result.log_path})", *lines[-_LOG_LINES:]]
    elif len(lines) > _LOG_LINES:
        earlier = f"... ({len(lines) - _LOG_LINES} earlier lines in {result.log_path})"
        lines = [earlier, *lines[-_LOG_LINES:]]
    return lines


class GithubReporter:
    """Log groups as steps finish; annotations and the step summary when the run ends."""

    def __init__(self, stream: TextIO | None = None, environ: Mapping[str, str] | None = None):
        self.stream = stream or sys.stdout
        self.environ = os.environ if environ is None else environ

    def _print(self, text: str) -> None:
        print(text, file=self.stream, flush=True)

    def on_event(self, kind: str, step: Step, result: StepResult | None) -> None:
        if kind != "finish" or result is None or result.status is Status.SKIPPED:
            return
        lines = _log_lines(result)
        self._print(f"::group::{escape_data(f'{result.step_id}: {result.status.words}')}")
        # A step's output must not be read as workflow commands (it could set outputs or
        # unmask values): pause command processing around it with a one-time token.
        token = secrets.token_hex(16)
        self._print(f"::stop-commands::{token}")
        for line in lines or ["(no output)"]:
            self._print(line)
        self._print(f"::{token}::")
        self._print("::endgroup::")

    def on_output(self, step_id: str, text: str) -> None:
        return None

    def finish(self, run: RunResult, record_path: str | None) -> None:
        for line in annotation_commands(run):
            self._print(line)
        # A release refused while the checks decided the run (a feature branch, "nothing
        # to release"): a notice on the run's page, not an error.
        refusal = next(
            (
                text
                for r in run.steps
                if r.status is Status.SKIPPED
                and (text := r.summary.removeprefix("not run: ")).startswith(REFUSALS)
            ),
            None,
        )
        if refusal is not None:
            self._print(command("notice", refusal, title="relcheck: no release"))
        summary_path = self.environ.get("GITHUB_STEP_SUMMARY")
        if summary_path:
            try:
                with open(summary_path, "a", encoding="utf-8") as fh:
                    fh.write(step_summary(run, record_path))
            except OSError as exc:
                self._print(command("warning", f"relcheck could not write the step summary: {exc}"))
