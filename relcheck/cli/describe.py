"""``relcheck runners`` and ``relcheck schema``: describe the runners and the checklist format."""

from __future__ import annotations

import click

from relcheck.cli.errorhandler import boundary
from relcheck.cli.options import CONTEXT


@click.command(context_settings=CONTEXT)
@boundary
def runners() -> None:
    """List installed runners, where each comes from, and its parameters."""
    from relcheck.api import StepKind, step_kind
    from relcheck.checklist.runner_docs import describe_params
    from relcheck.runners import registry

    labels = {StepKind.RELEASE: " [release step]", StepKind.PRECONDITION: " [precondition]"}
    for name, info in sorted(registry.installed().items()):
        cls = info.load()
        kind = labels.get(step_kind(cls), "")
        click.echo(f"{name}{kind}  (from {info.distribution}: {info.value})")
        if getattr(cls, "description", ""):
            click.echo(f"    {cls.description}")
        for line in describe_params(cls.Params):
            click.echo(f"    {line}")


@click.command(context_settings=CONTEXT)
@click.option("--markdown", is_flag=True, help="The reference page (Markdown) instead.")
@click.option(
    "--builtin-only", is_flag=True, help="Only relcheck's own runners, not installed plugins."
)
@click.option("-o", "--output", metavar="PATH", help="Write to PATH instead of standard output.")
@boundary
def schema(markdown: bool, builtin_only: bool, output: str | None) -> None:
    """Print the JSON Schema of the checklist format, with every installed runner's
    `with:` parameters (for editors: see docs/how-to/editor.md)."""
    from relcheck.checklist.schema_export import runner_classes, schema_text

    runners = runner_classes(builtin_only=builtin_only)
    if markdown:
        from relcheck.checklist.reference import reference_markdown

        text = reference_markdown(runners)
    else:
        text = schema_text(runners)
    from relcheck.system.fileio import write_or_echo

    write_or_echo(text, output)
