"""``relcheck verify``: check that a release tag was made by a passing run."""

from __future__ import annotations

import sys

import click

from relcheck.cli.errorhandler import boundary
from relcheck.cli.lookup import find_root, require_repository
from relcheck.cli.options import CONTEXT


@click.command(context_settings=CONTEXT)
@click.argument("tag")
@boundary
def verify(tag: str) -> None:
    """Check that release TAG was made by a run in which every required step passed, on
    the commit it points at, with the project's checklist as committed there, whose hash
    it carries (exit 0, else 1)."""
    from relcheck.git.verify import verify as verify_tag
    from relcheck.report.tag import print_verdict

    root = find_root()
    require_repository(root, "verify")
    verdict = verify_tag(root, tag)
    print_verdict(verdict)
    sys.exit(0 if verdict.ok else 1)
