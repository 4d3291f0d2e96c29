"""What a run does with evidence: find the baseline before the steps, keep the
comparison in the result after them, and write the release notes once a tag is made."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from relcheck.evidence import NO_BASELINE
from relcheck.models import Checklist, RunInfo, RunResult, Step, StepResult, is_release_run

if TYPE_CHECKING:
    from relcheck.evidence.baseline import Baseline

# A run that neither judges gates nor releases does not read the release history when
# the history here has no release tag: it cannot say whether this is a first release.
NO_TAG_HERE = "no previous release tag in this history to compare with"


@dataclass(frozen=True)
class Lookup:
    """The previous release of a run as its baseline, or why there is none."""

    found: Baseline | None
    why_none: str = NO_BASELINE
    # A previous release may exist that cannot be read here: gates fail on it, whatever
    # their `first_release:` says (no tag on doubt).
    doubt: bool = False
    previous: str | None = None  # the previous release's tag, when there is one


def lookup(root: str, directory: str, checklist: Checklist, info: RunInfo) -> Lookup:
    """The previous release of this run, or why there is none: the first release, a
    previous release relcheck did not make or cannot read here (a shallow clone), hook
    mode, or a lookup that failed (a run never stops for want of a baseline)."""
    from relcheck.errors import RelcheckError
    from relcheck.git.describe import previous_release_tag

    if info.mode == "hook":
        return Lookup(None)
    remote: str | None = None  # where the previous release's tag is, when not here
    try:
        tag = previous_release_tag(root, checklist.release.tag, info.tag)
        if tag is None:
            if not (declared(checklist.steps) or info.release_steps):
                return Lookup(None, NO_TAG_HERE)
            # A shallow clone's history has no tag, nor has it a release spelled another
            # way: the release history says whether this is a first release.
            from relcheck.evidence import previous

            before = previous.find(root, checklist.release.tag, checklist.release.remote, info)
            if before.doubt:
                return Lookup(None, before.doubt, doubt=True)
            if before.tag is None:
                return Lookup(None)
            tag, remote = before.tag, before.remote
        from relcheck.evidence import baseline  # only when there is a previous release

        found = baseline.for_tag(root, directory, tag)
    except (RelcheckError, OSError):
        return Lookup(None)
    if found is None and remote is not None:
        from relcheck.evidence.previous import unreadable

        return Lookup(None, unreadable(tag, remote), doubt=True, previous=tag)
    if found is None:
        why = (
            f"the previous release {tag} was not made by relcheck (no record here, no "
            "trailers in its tag): nothing to compare with"
        )
        return Lookup(None, why, previous=tag)
    return Lookup(found, "", previous=tag)


def judge(checklist: Checklist, looked: Lookup) -> Callable[[Step, StepResult], StepResult] | None:
    """The engine's judge when a step declares gates, else None."""
    if not declared(checklist.steps):
        return None  # and the gates' modules are never loaded
    from relcheck.evidence import gates

    return gates.judge_with(looked.found, looked.why_none, doubt=looked.doubt)


def declared(steps: Mapping[str, Step] | list[Step] | tuple[Step, ...]) -> bool:
    """Whether any step declares gates (then the baseline is worth looking up first)."""
    items = steps.values() if isinstance(steps, Mapping) else steps
    return any(s.baseline for s in items)


def attach(
    result: RunResult,
    found: Baseline | None,
    why_none: str = NO_BASELINE,
    previous: str | None = None,
) -> RunResult:
    """``result`` carrying its comparison with ``found`` (or ``why_none`` there is none,
    and the ``previous`` release when there is one all the same)."""
    if result.info.mode == "hook":
        return result
    data: dict[str, Any] = {"note": why_none, "notable": []}
    if found is not None:
        from relcheck.evidence.compare import compare

        data = compare(found, result).as_dict()
    if previous:
        data["previous"] = previous
    return dataclasses.replace(result, baseline=data)


def end_lines(data: Mapping[str, Any]) -> list[str]:
    """The lines at the end of a run: what changed since the previous release."""
    if not data:
        return []
    if "before" not in data:
        return [f"baseline: {data.get('note', NO_BASELINE)}"]
    lines = [f"compared with {data['before']} (run {data.get('before_run', '?')}):"]
    if data.get("note"):
        lines.append(f"  note: {data['note']}")
    notable = list(data.get("notable", ()))
    lines.extend(f"  {line}" for line in notable[:12])
    if len(notable) > 12:
        lines.append(f"  ... and {len(notable) - 12} more (relcheck compare)")
    if not notable:
        lines.append("  nothing notable changed")
    return lines


def tag_message(message: str, ctx_root: str, checklist: Checklist, run: RunResult) -> str:
    """The tag's message with the release notes before its trailers (which stay the
    last paragraph, as git and ``relcheck verify`` read them)."""
    from relcheck import record
    from relcheck.evidence import notes

    looked = lookup(ctx_root, record.runs_dir(run.info.root or ctx_root), checklist, run.info)
    with_baseline = attach(run, looked.found, looked.why_none, looked.previous)
    text = notes.compose(
        ctx_root, with_baseline, checklist.release.tag, checklist.release.changelog
    )
    # A line of the notes (a changelog line, say) must never read as a trailer.
    safe = "\n".join(
        "\\" + line if line.lstrip().startswith("Relcheck-") else line for line in text.splitlines()
    )
    head, marker, trailers = message.rpartition("\nRelcheck-Run:")
    if not marker:
        return message
    return f"{head}\n\n{safe.rstrip()}\n\nRelcheck-Run:{trailers}"


def write_notes(
    root: str, directory: str, result: RunResult, checklist: Checklist, environ: Mapping[str, str]
) -> str | None:
    """After a release: the notes beside the record (``<run id>.md``) and, in GitHub
    Actions, in the step summary. Returns the notes' path; None when nothing was made.
    A checklist without a release step releases nothing: its passing run gets no notes."""
    info = result.info
    if not is_release_run(result) or not (info.release_steps or info.resume):
        return None
    from relcheck.errors import RelcheckError
    from relcheck.evidence import notes

    try:
        text = notes.compose(root, result, checklist.release.tag, checklist.release.changelog)
    except (RelcheckError, OSError):
        return None
    path = os.path.join(directory, f"{result.info.run_id}.md")
    from relcheck.system.fileio import write_atomic

    try:
        write_atomic(path, text.encode("utf-8"), mode=0o600)  # as the record: never via a link
        summary = environ.get("GITHUB_STEP_SUMMARY")
        if summary and environ.get("GITHUB_ACTIONS") == "true":
            with open(summary, "a", encoding="utf-8") as fh:
                fh.write(text + "\n")
    except OSError:
        return None
    return path
