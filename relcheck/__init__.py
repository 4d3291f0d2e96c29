"""relcheck: run a release checklist and tag the release only when every step passed."""

from __future__ import annotations

# A constant, not importlib.metadata.version(): importing importlib.metadata costs ~25 ms
# at every start, and every command needs the version (records, fingerprints, --version).
from relcheck._version import __version__

__all__ = ["__version__"]
