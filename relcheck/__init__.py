"""relcheck: run a release checklist and tag the release only when every step passed."""

from __future__ import annotations

__all__ = ["__version__"]


def __getattr__(name: str) -> str:
    # Looked up on first use, not at import: importing the package stays instant, so
    # nothing runs before `relcheck` can handle a Ctrl-C (relcheck.__main__.entry).
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            value = version("relcheck")
        except PackageNotFoundError:  # a source tree that was never installed
            value = "0+unknown"
        globals()["__version__"] = value
        return value
    raise AttributeError(f"module 'relcheck' has no attribute {name!r}")
