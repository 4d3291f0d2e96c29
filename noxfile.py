"""The test suite on every supported Python this machine has: ``nox`` (or ``nox -s tests``).

A missing interpreter is skipped with a message, not an error, so one file serves a laptop
with one Python and a CI image with three. ``.ci/run`` runs the suite with its own
interpreter first, then asks nox for the others.
"""

from __future__ import annotations

import nox

SUPPORTED_PYTHONS = ["3.11", "3.12", "3.13"]

nox.options.sessions = ["tests"]
nox.options.error_on_missing_interpreters = False
nox.options.default_venv_backend = "venv"


@nox.session(python=SUPPORTED_PYTHONS)
def tests(session: nox.Session) -> None:
    """Install relcheck with its dev tools, then run the suite as the README says."""
    session.install("--quiet", "-e", ".[dev]")
    session.run("python", "-m", "pytest", *session.posargs)
