"""The release tag's message: the run summary people read, and trailers relcheck reads back.

``git show v1.2.0`` shows a table of every step; the last paragraph holds git trailers
(``git interpret-trailers --parse`` reads them too) from which ``relcheck verify`` and
``relcheck show v1.2.0`` rebuild the summary::

    Relcheck-Run: 20261126T101500Z-3fa2
    Relcheck-Commit: 3f2a1c9...
    Relcheck-Checklist: relcheck.yaml
    Relcheck-Checklist-Sha256: 9b1e...
    Relcheck-Step: lint passed required 0.210 no lint findings
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from relcheck.models import RunInfo, Status, StepResult

_KEY = "Relcheck-"
_TRAILER = re.compile(r"^Relcheck-([A-Za-z0-9-]+): ?(.*)$")


@dataclass(frozen=True)
class TaggedStep:
    """One step as the tag remembers it."""

    id: str
    status: Status
    optional: bool
    duration: float
    summary: str


@dataclass(frozen=True)
class TagSummary:
    """What a release tag says about the run that made it."""

    run_id: str
    commit: str
    version: str | None
    tag: str | None
    checklist: str
    checklist_sha256: str
    relcheck_version: str
    steps: tuple[TaggedStep, ...] = field(default_factory=tuple)

    @property
    def blocking(self) -> list[TaggedStep]:
        """Required steps that did not pass (empty for a tag relcheck made)."""
        return [s for s in self.steps if not s.optional and not s.status.ok]


def _one_line(text: str) -> str:
    return " ".join(text.split())


def compose(info: RunInfo, results: Iterable[StepResult], title: str | None = None) -> str:
    """The message of the release tag for the run ``info`` with these step results."""
    done = list(results)
    lines = [title or f"Release {info.tag}", ""]
    passed = sum(1 for r in done if r.status.ok)
    lines.append(
        f"Made by relcheck {info.relcheck_version}, run {info.run_id}: every required step "
        f"passed ({passed} of {len(done)} step{'s' * (len(done) != 1)} passed)."
    )
    lines.append("")
    width = max([8, *(len(r.step_id) for r in done)])
    for r in done:
        mark = str(r.status).upper() + ("?" if r.optional and not r.status.ok else "")
        summary = _one_line(r.summary)
        if r.cached_from and r.cached_from not in summary:
            # A cached pass, or (in a fan-out release) the CI job's run that passed it.
            verb = "cached from" if r.status is Status.CACHED else "from"
            summary += f" ({verb} run {r.cached_from})"
        lines.append(f"  {mark:<11} {r.step_id:<{width}}  {r.duration:7.2f}s  {summary}")
    lines.append("")
    trailers = {
        "Run": info.run_id,
        "Commit": info.commit or "",
        "Version": info.version or "",
        "Tag": info.tag or "",
        "Checklist": info.checklist_path,
        "Checklist-Sha256": info.checklist_sha256,
        "Tool": f"relcheck {info.relcheck_version}",
    }
    lines.extend(f"{_KEY}{k}: {_one_line(v)}" for k, v in trailers.items())
    for r in done:
        kind = "optional" if r.optional else "required"
        summary = _one_line(r.summary)
        if r.cached_from:
            verb = "cached from" if r.status is Status.CACHED else "from"
            summary = f"[{verb} {r.cached_from}] {summary}"
        lines.append(f"{_KEY}Step: {r.step_id} {r.status} {kind} {r.duration:.3f} {summary}")
    return "\n".join(lines) + "\n"


def parse(message: str) -> TagSummary | None:
    """The summary a release tag's message carries, or None if it carries none."""
    values: dict[str, str] = {}
    steps: list[TaggedStep] = []
    for line in message.splitlines():
        match = _TRAILER.match(line.strip())
        if not match:
            continue
        key, value = match.group(1), match.group(2).strip()
        if key == "Step":
            step = _parse_step(value)
            if step is None:
                return None
            steps.append(step)
        else:
            values[key] = value
    if "Run" not in values or "Commit" not in values or "Checklist-Sha256" not in values:
        return None
    return TagSummary(
        run_id=values["Run"],
        commit=values["Commit"],
        version=values.get("Version") or None,
        tag=values.get("Tag") or None,
        checklist=values.get("Checklist", ""),
        checklist_sha256=values["Checklist-Sha256"],
        relcheck_version=values.get("Tool", "").removeprefix("relcheck "),
        steps=tuple(steps),
    )


def _parse_step(value: str) -> TaggedStep | None:
    parts = value.split(" ", 4)
    if len(parts) < 4:
        return None
    step_id, status, kind, duration = parts[:4]
    try:
        return TaggedStep(
            id=step_id,
            status=Status(status),
            optional=kind == "optional",
            duration=float(duration),
            summary=parts[4] if len(parts) > 4 else "",
        )
    except ValueError:
        return None
