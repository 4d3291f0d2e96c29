"""``relcheck hook``: install, remove or describe the git hook."""

from __future__ import annotations

import os
import sys

import click

from relcheck.cli.errorhandler import boundary
from relcheck.cli.lookup import find_root
from relcheck.cli.options import CONTEXT, HOOK_NAMES


@click.group(context_settings=CONTEXT)
def hook() -> None:
    """Install, remove or describe the git hook that runs the checklist's checks.

    \b
    The pre-push hook runs `relcheck run --hook pre-push`: the checks (never release
    steps) on exactly the commit being pushed, when it goes to a branch or tag chosen
    under `hook:` in the checklist (default: the release branch and release tags).
    Skip it once with `git push --no-verify` or RELCHECK_SKIP=1.
    """


hook_name_option = click.option(
    "--hook",
    "name",
    default="pre-push",
    show_default=True,
    type=click.Choice(HOOK_NAMES),
    help="Which git hook.",
)


@hook.command(context_settings=CONTEXT)
@hook_name_option
@click.option(
    "-f", "--force", is_flag=True, help="Keep a hook relcheck did not write, and run it first."
)
@boundary
def install(name: str, force: bool) -> None:
    """Write the hook into the repository's hooks folder (core.hooksPath honoured)."""
    from relcheck.git import hooks

    state = hooks.install(find_root(), name, force=force)
    click.echo(
        f"installed the {name} hook: {os.path.relpath(state.path)} -> {state.python} -m relcheck"
    )
    if state.backup:
        click.echo(f"the previous hook runs first: {os.path.relpath(state.backup)}")


@hook.command(context_settings=CONTEXT)
@hook_name_option
@boundary
def uninstall(name: str) -> None:
    """Remove relcheck's hook, and put back the hook it replaced."""
    from relcheck.git import hooks

    state, restored = hooks.uninstall(find_root(), name)
    if not state.exists:
        click.echo(f"no {name} hook installed at {os.path.relpath(state.path)}")
        return
    click.echo(f"removed the {name} hook {os.path.relpath(state.path)}")
    if restored:
        click.echo(f"restored the previous {name} hook")


@hook.command("status", context_settings=CONTEXT)
@hook_name_option
@boundary
def hook_status(name: str) -> None:
    """Say what is installed as the hook; exit 1 when it is not relcheck's."""
    from relcheck.git import hooks

    state = hooks.status(find_root(), name)
    where = os.path.relpath(state.path)
    if not state.exists:
        click.echo(f"{name}: not installed ({where} does not exist); run `relcheck hook install`")
        sys.exit(1)
    if not state.ours:
        click.echo(f"{name}: {where} is a hook relcheck did not write")
        sys.exit(1)
    works = state.python is not None and os.access(state.python, os.X_OK)
    click.echo(f"{name}: installed at {where}")
    click.echo(
        f"  runs: {state.python} -m relcheck run --hook {name}"
        + ("" if works else "  (missing: falls back to relcheck on PATH)")
    )
    if state.backup:
        click.echo(f"  runs first: {os.path.relpath(state.backup)} (the hook it replaced)")
