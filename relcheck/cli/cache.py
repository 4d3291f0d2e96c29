"""``relcheck cache``: manage the result cache."""

from __future__ import annotations

import os

import click

from relcheck.cli.errorhandler import boundary
from relcheck.cli.lookup import find_root, known_step
from relcheck.cli.options import CONTEXT


@click.group(context_settings=CONTEXT)
def cache() -> None:
    """Manage the result cache (.relcheck/cache)."""


@cache.command("clear", context_settings=CONTEXT)
@click.argument("step", required=False, metavar="[STEP]")
@boundary
def cache_clear(step: str | None) -> None:
    """Forget cached passes: of STEP only, or all of them."""
    import re

    from relcheck import record
    from relcheck.checklist.schema import STEP_ID_PATTERN
    from relcheck.engine.cache import clear, results_dir

    state_dir = os.path.join(find_root(), record.STATE_DIR)
    if step is not None and re.fullmatch(STEP_ID_PATTERN, step):  # else clear() says why
        base = results_dir(state_dir)
        cached = set(os.listdir(base)) if os.path.isdir(base) else set()
        known_step(step, cached, "the cache")
    removed = clear(state_dir, step)
    what = f"of {step!r}" if step else "of every step"
    click.echo(f"cleared {removed} cached result{'s' * (removed != 1)} {what}")
