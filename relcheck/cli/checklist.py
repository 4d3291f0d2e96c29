"""``relcheck validate`` and ``relcheck list``: check a checklist, and show its steps in order."""

from __future__ import annotations

import os

import click

from relcheck.cli.errorhandler import boundary
from relcheck.cli.lookup import find_root
from relcheck.cli.options import CONTEXT, checklist_option


@click.command(context_settings=CONTEXT)
@click.argument("path", required=False, metavar="[PATH]")
@checklist_option
@boundary
def validate(path: str | None, checklist: str | None) -> None:
    """Check a checklist file and print every problem as FILE:LINE:COL: message.

    PATH and -c/--checklist are the same; other commands take -c.
    """
    from relcheck.checklist.load import find_checklist, load_checklist
    from relcheck.errors import UsageError

    if path and checklist and path != checklist:
        raise UsageError("give the checklist once: as PATH or as --checklist, not both")
    target = path or find_checklist(find_root(), checklist)
    loaded = load_checklist(target)
    count = len(loaded.steps)
    click.echo(f"{os.path.relpath(target)}: valid ({count} step{'s' * (count != 1)})")


@click.command("list", context_settings=CONTEXT)
@checklist_option
@boundary
def list_steps(checklist: str | None) -> None:
    """List the steps in run order, with runner, needs and owner."""
    from relcheck.checklist import cache as checklist_cache
    from relcheck.checklist.load import find_checklist
    from relcheck.engine.plan import run_order
    from relcheck.record import STATE_DIR

    root = find_root()
    path = find_checklist(root, checklist)
    loaded = checklist_cache.load(path, root, os.path.join(root, STATE_DIR))
    from relcheck.system.redact import printable

    rows = [("STEP", "RUNNER", "NEEDS", "OWNER", "")]
    for step, kind in run_order(loaded):
        owner = printable(step.owner or "-")
        rows.append((step.id, step.uses, ",".join(step.needs) or "-", owner, kind))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    for row in rows:
        click.echo("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=False)) + "  " + row[4])
