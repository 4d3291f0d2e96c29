"""``relcheck run`` as a click command, built from the options relcheck.cli.run_checklist
declares (a plainly spelt ``relcheck run`` never loads this module or click)."""

from __future__ import annotations

import click

from relcheck.cli.options import CONTEXT
from relcheck.cli.optiontable import with_options
from relcheck.cli.run_checklist import RUN_OPTIONS, run_checklist

run = click.command("run", context_settings=CONTEXT)(with_options(RUN_OPTIONS)(run_checklist))
