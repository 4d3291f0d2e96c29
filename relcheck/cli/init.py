"""``relcheck init``: write a checklist for this project from a template."""

from __future__ import annotations

import click

from relcheck.cli.errorhandler import boundary
from relcheck.cli.lookup import find_root
from relcheck.cli.options import CONTEXT, checklist_option


@click.command(context_settings=CONTEXT)
@click.option(
    "-t",
    "--template",
    metavar="NAME",
    help="Template to start from (see --list), or a template file's path [default: library].",
    shell_complete=lambda _ctx, _param, incomplete: _template_names(incomplete),
)
@click.option("--list", "list_templates", is_flag=True, help="List the templates and exit.")
@click.option("--force", is_flag=True, help="Overwrite an existing checklist.")
@checklist_option
@boundary
def init(template: str | None, list_templates: bool, force: bool, checklist: str | None) -> None:
    """Write a relcheck.yaml for this project from a template, adapted to what the
    project has (version source, ruff configuration, tests folder, changelog, default
    branch and remote), and the JSON Schema editors use beside it."""
    from relcheck.checklist import scaffold

    if list_templates:
        available = scaffold.templates()
        width = max(len(name) for name in available)
        for name, text in available.items():
            click.echo(f"{name:<{width}}  {scaffold.describe(text)}")
        return
    root = find_root()
    result = scaffold.write_checklist(root, template, checklist=checklist, force=force)
    for line in result:
        click.echo(line)


def _template_names(incomplete: str) -> list[str]:
    """Shell completion of ``init --template``: the shipped templates' names."""
    from relcheck.checklist import scaffold

    return [name for name in scaffold.templates() if name.startswith(incomplete)]
