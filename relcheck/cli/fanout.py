"""``relcheck plan`` and ``relcheck release``: fan the checks out over CI jobs, release
from their records."""

from __future__ import annotations

import os
import sys

import click

from relcheck.cli.errorhandler import boundary
from relcheck.cli.lookup import find_root
from relcheck.cli.options import CONTEXT, check_version_option, checklist_option
from relcheck.cli.outcome import execute_request, finish, guard_output


@click.command(context_settings=CONTEXT)
@checklist_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "github-matrix"]),
    default="text",
    show_default=True,
    help="text for people; json or github-matrix to fan the checks out over CI jobs.",
)
@click.option(
    "--group-by",
    type=click.Choice(["component", "wave", "step"]),
    default="component",
    show_default=True,
    help="component: steps linked by needs share a job; wave: one group per parallel "
    "wave; step: a job per step. Steps linked by needs always share a job.",
)
@click.option(
    "--version",
    "release_version",
    metavar="VERSION",
    help="The release version, for the printed release command (needed when "
    "release.version_from is cli or git-describe).",
)
@click.option(
    "--jobs-per-group",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Split a group of independent steps over up to N jobs.",
)
@boundary
def plan(
    checklist: str | None,
    fmt: str,
    group_by: str,
    jobs_per_group: int,
    release_version: str | None,
) -> None:
    """Show the step graph: order, parallel waves, and CI jobs for a fan-out."""
    import json

    from relcheck.checklist.load import find_checklist, load_checklist
    from relcheck.engine.plan import levels, matrix, release_command

    check_version_option(release_version)
    loaded = load_checklist(find_checklist(find_root(), checklist))
    release = release_command(loaded, release_version)
    jobs = matrix(loaded, group_by=group_by, jobs_per_group=jobs_per_group)
    if fmt == "github-matrix":
        click.echo(json.dumps({"include": jobs}))
        return
    waves = levels(loaded)
    from relcheck.engine.cache import cached_passes
    from relcheck.engine.session import tool_env

    cached = cached_passes(loaded.steps, find_root(), tool_env(os.environ))
    if fmt == "json":
        steps = [
            {
                "id": s.id,
                "runner": s.uses,
                "kind": str(s.kind),
                "needs": list(s.needs),
                "optional": s.optional,
                "wave": number,
                "cached_from": cached.get(s.id),
            }
            for number, wave in enumerate(waves, start=1)
            for s in wave
        ]
        click.echo(
            json.dumps(
                {
                    "checklist_sha256": loaded.sha256,
                    "steps": steps,
                    "jobs": jobs,
                    "release": release,
                },
                indent=2,
            )
        )
        return
    for number, wave in enumerate(waves, start=1):
        kind = wave[0].kind
        label = {"precondition": "preconditions", "release": "release"}.get(kind, "parallel")
        click.echo(f"wave {number} ({label}):")
        for s in wave:
            needs = f"  needs {', '.join(s.needs)}" if s.needs else ""
            optional = "  (optional)" if s.optional else ""
            reuse = f"  (cached: passed in run {cached[s.id]})" if s.id in cached else ""
            click.echo(f"  {s.id:<20} {s.uses:<14}{needs}{optional}{reuse}")
    click.echo("")
    click.echo(f"CI jobs (--group-by {group_by}):")
    for job in jobs:
        click.echo(f"  {job['name']}: relcheck run {job['only']} --record-dir records")
    click.echo(f"  release: {release}")


@click.command(context_settings=CONTEXT)
@checklist_option
@click.option(
    "--from-records",
    "record_dirs",
    multiple=True,
    required=True,
    metavar="DIR",
    help="Folder of the jobs' run records (repeatable; searched recursively).",
)
@click.option("--dry-run", is_flag=True, help="Verify the records; do not tag.")
@click.option("--version", "release_version", metavar="VERSION", help="Release version.")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@boundary
def release(
    checklist: str | None,
    record_dirs: tuple[str, ...],
    dry_run: bool,
    release_version: str | None,
    fmt: str,
) -> None:
    """Release from the records of fanned-out CI jobs: every check must have passed
    exactly once, on this commit and checklist; then the release steps run."""
    from relcheck.checklist.load import find_checklist, load_checklist
    from relcheck.engine import fanout
    from relcheck.engine.session import RunRequest, execute
    from relcheck.git import refs as gitrefs
    from relcheck.models import StepKind
    from relcheck.system.interrupts import Cancellation, handle_signals

    check_version_option(release_version)
    root = find_root()
    loaded = load_checklist(find_checklist(root, checklist))
    head = gitrefs.head(root)
    tree = head.tree
    prior = fanout.gather(
        loaded,
        fanout.find_records(record_dirs),
        head=head.commit,
        tree=tree,
        check_ids=[s.id for s in loaded.steps if s.kind is StepKind.CHECK],
    )
    from relcheck.report.select import make_reporter
    from relcheck.system.cienv import is_ci

    streams = guard_output()
    reporter = make_reporter(fmt=fmt, ci=is_ci(os.environ), environ=os.environ)
    request = RunRequest(
        root=root,
        checklist=checklist,
        dry_run=dry_run,
        cli_version=release_version,
        mode="release",
        prior=prior,
        own_paths=record_dirs,  # downloaded into the checkout, they are not changes
    )
    with handle_signals(Cancellation()) as cancellation:
        outcome = execute_request(execute, request, reporter, cancellation)
        # Still inside: a late Ctrl-C must not turn a finished run into exit 130.
        code = finish(reporter, *outcome, streams, cancellation)
    sys.exit(code)
