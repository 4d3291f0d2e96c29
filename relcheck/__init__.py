"""relcheck: run a release checklist and tag the release only when every step passed."""

from __future__ import annotations

# A constant, not importlib.metadata.version(): importing importlib.metadata costs ~25 ms,
# and every command needs the version (records, fingerprints, --version). Importing this
# tiny module keeps the package instant to import (see relcheck.__main__.entry).
from relcheck._version import __version__

__all__ = ["__version__"]
