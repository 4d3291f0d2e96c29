"""Render what a release tag carries: ``relcheck show TAG`` and ``relcheck verify TAG``."""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING

import click

from relcheck.models import StepResult
from relcheck.report.text import step_line
from relcheck.system.redact import printable

if TYPE_CHECKING:
    from relcheck.git.verify import TagRecord, Verdict


def show_tag(record: TagRecord, fmt: str) -> None:
    """Print the run summary a release tag carries."""
    summary, obj = record.summary, record.tag
    tag = obj.name
    if fmt == "json":
        data = {
            "tag": tag,
            "commit": obj.commit,
            "tagger": obj.tagger,
            "tagged_at": _when(obj.tagged_at),
            "signed": obj.signed,
            "run_id": summary.run_id,
            "run_commit": summary.commit,
            "version": summary.version,
            "checklist": summary.checklist,
            "checklist_sha256": summary.checklist_sha256,
            "relcheck_version": summary.relcheck_version,
            "steps": [
                {
                    "id": s.id,
                    "status": str(s.status),
                    "optional": s.optional,
                    "duration": s.duration,
                    "summary": s.summary,
                }
                for s in summary.steps
            ],
        }
        click.echo(json.dumps(data, indent=2))
        return
    for line in header(record):
        click.echo(printable(line))
    click.echo("")
    width = max([12, *(len(s.id) for s in summary.steps)])
    for s in summary.steps:
        result = StepResult(
            s.status, s.summary, step_id=s.id, duration=s.duration, optional=s.optional
        )
        click.echo(step_line(result, width))


def header(record: TagRecord) -> list[str]:
    summary, obj = record.summary, record.tag
    signed = ", signed" if obj.signed else ""
    return [
        f"tag {obj.name} -> {obj.commit}  (by {obj.tagger}, {_when(obj.tagged_at)}{signed})",
        f"  made by run {summary.run_id}  relcheck {summary.relcheck_version or '-'}",
        f"  checklist {summary.checklist}  sha256 {summary.checklist_sha256[:12]}  "
        f"version {summary.version or '-'}",
    ]


def print_verdict(verdict: Verdict) -> None:
    """Each check of ``relcheck verify`` and the verdict line."""
    # Everything here comes from a tag anyone could have pushed: printable only.
    if verdict.record is not None:
        for line in header(verdict.record):
            click.echo(printable(line))
    for ok, text in verdict.checks:
        click.echo(f"  {'ok  ' if ok else 'FAIL'}  {printable(text)}")
    for note in verdict.notes:
        click.echo(f"  note  {printable(note)}")
    checked = ", ".join(dict.fromkeys(text.split(":", 1)[0] for _, text in verdict.checks))
    click.echo(f"checked: {checked} (from the tag object and the tagged commit; no run is redone)")
    if verdict.ok:
        click.echo(f"relcheck: {printable(verdict.tag)} verified")
    else:
        failed = sum(1 for ok, _ in verdict.checks if not ok)
        click.echo(
            f"relcheck: {printable(verdict.tag)} does not verify: "
            f"{failed} problem{'s' * (failed != 1)}"
        )


def _when(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.UTC).strftime("%Y-%m-%d %H:%M:%SZ")
