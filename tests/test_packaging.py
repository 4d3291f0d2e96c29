"""What `pip install .` puts in site-packages: every package relcheck imports."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_subpackage_is_listed_for_the_wheel() -> None:
    listed = set(
        tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    )
    found = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for init in (ROOT / "relcheck").rglob("__init__.py")
    }
    assert found - listed == set(), "packages missing from [tool.setuptools] packages"


def _pyproject() -> dict[str, object]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_nox_runs_every_python_the_classifiers_promise() -> None:
    import ast

    tree = ast.parse((ROOT / "noxfile.py").read_text())
    (versions,) = [
        ast.literal_eval(node.value)
        for node in tree.body
        if isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == "SUPPORTED_PYTHONS" for t in node.targets)
    ]
    project = _pyproject()["project"]
    assert isinstance(project, dict)
    promised = [
        c.rsplit(" :: ", 1)[1]
        for c in project["classifiers"]
        if c.startswith("Programming Language :: Python :: 3.")
    ]
    assert versions == promised
    assert project["requires-python"] == f">={versions[0]}"


def test_the_build_backend_understands_the_spdx_license_string() -> None:
    # PEP 639's `license = "MIT"` needs setuptools 77; an older one rejects the table.
    from packaging.requirements import Requirement
    from packaging.version import Version

    data = _pyproject()
    assert isinstance(data["project"], dict) and data["project"]["license"] == "MIT"
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
    build = data["build-system"]
    assert isinstance(build, dict)
    (setuptools,) = [Requirement(r) for r in build["requires"] if r.startswith("setuptools")]
    assert not setuptools.specifier.contains(Version("76.1.0"))
    assert setuptools.specifier.contains(Version("77.0.0"))
