"""relcheck's version, importable without reading package metadata (fast start).

It must equal ``[project] version`` in pyproject.toml, where relcheck's own release
checklist reads the version it tags; tests/test_version.py keeps the two together.
"""

__version__ = "0.1.0"
