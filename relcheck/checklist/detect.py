"""What `relcheck init` finds in a project: its version source, release branch, remote,
tag style, changelog, tests, its own checks and whether it is a web service."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from typing import Any

from relcheck.git import door
from relcheck.git import refs as gitrefs
from relcheck.git import remotes as gitremotes
from relcheck.git import tags as gittags

_RUFF_FILES = ("ruff.toml", ".ruff.toml")
_TEST_DIRS = ("tests", "test")
_CHANGELOGS = (
    *("CHANGELOG.md", "CHANGELOG.rst", "CHANGES.md", "CHANGES.rst", "HISTORY.md"),
    *("HISTORY.rst", "NEWS.md", "NEWS.rst", "NEWS", "CHANGELOG", "CHANGES"),
)
# Web frameworks and servers, as distribution names in the dependencies.
_WEB = ("fastapi", "uvicorn", "gunicorn", "flask", "django")


@dataclass(frozen=True)
class Project:
    """What ``init`` found in a project."""

    root: str
    version_from: str  # pyproject | git-describe
    ruff_config: str | None
    tests_dir: str | None
    changelog: str | None
    branch: str
    remote: str | None
    in_git: bool = True  # the project is a git repository
    tag: str | None = None  # the release.tag pattern its version tags follow, if any
    version_tags: int = 0  # how many of its tags name a version
    # The project's own checks, as steps: (id, argv, where it was found).
    tools: tuple[tuple[str, tuple[str, ...], str], ...] = ()
    # A web service the project is: the step that starts it and checks it answers.
    service: ServiceGuess | None = None


@dataclass(frozen=True)
class ServiceGuess:
    """How to start the project's web service for an integration step, and why init
    thinks it is one."""

    why: str  # "a Procfile", "flask in the dependencies", ...
    run: str | tuple[str, ...]  # `{port}` becomes a free port (also $PORT)
    path: str = "/"  # what the integration step asks for; also the ready check


def detect(root: str) -> Project:
    """Look at ``root``: pyproject, ruff configuration, tests, changelog, git."""
    from relcheck.system import pyproject as project_file

    pyproject = project_file.read(root)
    project = project_file.table(pyproject, "project")
    dynamic = project.get("dynamic", [])
    has_static_version = "version" in project and not (
        isinstance(dynamic, list) and "version" in dynamic
    )
    ruff = next((n for n in _RUFF_FILES if os.path.isfile(os.path.join(root, n))), None)
    if ruff is None and "ruff" in project_file.table(pyproject, "tool"):
        ruff = "pyproject.toml [tool.ruff]"
    remote = _remote(root)
    tag, version_tags = _tag_style(root, remote)
    return Project(
        root=root,
        version_from="pyproject" if has_static_version else "git-describe",
        ruff_config=ruff,
        tests_dir=next((d for d in _TEST_DIRS if os.path.isdir(os.path.join(root, d))), None),
        changelog=next((n for n in _CHANGELOGS if os.path.isfile(os.path.join(root, n))), None),
        branch=_default_branch(root, remote),
        remote=remote,
        in_git=is_repository(root),
        tag=tag,
        version_tags=version_tags,
        tools=_tools(root, pyproject),
        service=_service(root, pyproject),
    )


def _tools(root: str, pyproject: dict[str, Any]) -> tuple[tuple[str, tuple[str, ...], str], ...]:
    """The project's own checks, from their configuration, that are installed where its
    steps run (its environment, else PATH): a check that cannot start is left out."""
    from relcheck.system import projectenv
    from relcheck.system import pyproject as project_file

    tool = project_file.table(pyproject, "tool")
    setup_cfg = _ini_sections(os.path.join(root, "setup.cfg"))
    tox_ini = _ini_sections(os.path.join(root, "tox.ini"))

    def file(name: str) -> str | None:
        return name if os.path.isfile(os.path.join(root, name)) else None

    def section(name: str) -> str | None:
        if f"tool:{name}" in setup_cfg or name in setup_cfg:
            return f"[{name}] in setup.cfg"
        return f"[{name}] in tox.ini" if name in tox_ini else None

    found = {
        "flake8": (("flake8",), file(".flake8") or section("flake8")),
        "black": (("black", "--check", "."), "[tool.black]" if "black" in tool else None),
        "isort": (
            ("isort", "--check-only", "."),
            ("[tool.isort]" if "isort" in tool else None) or file(".isort.cfg") or section("isort"),
        ),
        "mypy": (
            ("mypy", "."),
            ("[tool.mypy]" if "mypy" in tool else None)
            or file("mypy.ini")
            or file(".mypy.ini")
            or section("mypy"),
        ),
        "tox": (("tox",), file("tox.ini") or ("[tool.tox]" if "tox" in tool else None)),
        "nox": (("nox",), file("noxfile.py")),
        "pre-commit": (
            ("pre-commit", "run", "--all-files"),
            file(".pre-commit-config.yaml"),
        ),
    }
    env = projectenv.find(root, os.environ)
    path = os.environ.get("PATH", os.defpath)
    tools = []
    for step_id, (argv, where) in found.items():
        if where is None:
            continue
        installed = (env is not None and env.tool(argv[0])) or shutil.which(argv[0], path=path)
        if installed:
            tools.append((step_id, argv, where))
    return tuple(tools)


def missing_tools(project: Project, root: str) -> list[str]:
    """Configured checks that were left out because they are not installed."""
    found = {t[0] for t in project.tools}
    configured = [
        ("flake8", ".flake8"),
        ("tox", "tox.ini"),
        ("nox", "noxfile.py"),
        ("pre-commit", ".pre-commit-config.yaml"),
        ("mypy", "mypy.ini"),
    ]
    return [
        f"left out {tool}: {name} configures it, but {tool} is not installed in the "
        "project's environment (.venv, the active one, or PATH)"
        for tool, name in configured
        if tool not in found and os.path.isfile(os.path.join(root, name))
    ]


def _ini_sections(path: str) -> set[str]:
    import configparser

    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(path, encoding="utf-8")
    except (configparser.Error, UnicodeDecodeError):
        return set()
    return set(parser.sections())


def _service(root: str, pyproject: dict[str, Any]) -> ServiceGuess | None:
    """The project as a web service: a Procfile, or a web framework or server in its
    dependencies; with a best guess at the command that starts it."""
    procfile = os.path.join(root, "Procfile")
    if os.path.isfile(procfile):
        with open(procfile, encoding="utf-8", errors="replace") as fh:
            for line in fh:
                kind, _, command = line.partition(":")
                if kind.strip() == "web" and command.strip():
                    return ServiceGuess("a Procfile", command.strip())
    deps = _dependency_names(root, pyproject)
    web = [name for name in _WEB if name in deps]
    if not web:
        return None
    why = f"{web[0]} in the dependencies"
    if "django" in web and os.path.isfile(os.path.join(root, "manage.py")):
        return ServiceGuess(
            why, ("python", "manage.py", "runserver", "127.0.0.1:{port}", "--noreload")
        )
    if "fastapi" in web or ("uvicorn" in web and "flask" not in web and "django" not in web):
        app = _module_with(root, ("FastAPI(", "Starlette(")) or "main"
        return ServiceGuess(
            why,
            ("python", "-m", "uvicorn", f"{app}:app", "--host", "127.0.0.1", "--port", "{port}"),
            "/openapi.json" if "fastapi" in web else "/",
        )
    if "flask" in web:
        app = _module_with(root, ("Flask(",)) or "app"
        return ServiceGuess(why, ("python", "-m", "flask", "--app", app, "run", "--port", "{port}"))
    app = _module_with(root, ("Flask(", "get_wsgi_application(")) or "wsgi"
    return ServiceGuess(
        why, ("python", "-m", "gunicorn", "--bind", "127.0.0.1:{port}", f"{app}:app")
    )


def _dependency_names(root: str, pyproject: dict[str, Any]) -> set[str]:
    """Distribution names the project depends on (pyproject.toml, requirements.txt)."""
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name

    from relcheck.system import pyproject as project_file

    declared = project_file.table(pyproject, "project").get("dependencies", [])
    lines = [d for d in declared if isinstance(d, str)] if isinstance(declared, list) else []
    try:
        with open(os.path.join(root, "requirements.txt"), encoding="utf-8") as fh:
            lines += [ln.split("#")[0].strip() for ln in fh]
    except (OSError, UnicodeDecodeError):
        pass
    names: set[str] = set()
    for line in lines:
        try:
            names.add(canonicalize_name(Requirement(line).name))
        except InvalidRequirement:
            continue
    return names


def _module_with(root: str, markers: tuple[str, ...]) -> str | None:
    """The dotted module (main, app, pkg.main, ...) whose source makes the application."""
    candidates = ["main.py", "app.py", "wsgi.py", "asgi.py", "server.py"]
    for folder in sorted(os.listdir(root)):
        if os.path.isfile(os.path.join(root, folder, "__init__.py")):
            candidates += [f"{folder}/{name}" for name in ("main.py", "app.py", "wsgi.py")]
    for candidate in candidates:
        try:
            with open(os.path.join(root, candidate), encoding="utf-8") as fh:
                text = fh.read(200_000)
        except (OSError, UnicodeDecodeError):
            continue
        if any(marker in text for marker in markers):
            return candidate.removesuffix(".py").replace("/", ".")
    return None


def is_repository(root: str) -> bool:
    return os.path.exists(os.path.join(root, ".git"))


def _remote(root: str) -> str | None:
    if not is_repository(root):
        return None
    remotes = door.git(root, "remote", check=False).split()
    if "origin" in remotes:
        return "origin"
    return remotes[0] if remotes else None


def _tag_style(root: str, remote: str | None) -> tuple[str | None, int]:
    """The ``release.tag`` pattern the project's version tags follow (``v{version}`` or
    ``{version}``, whichever most of them use), and how many tags name a version; a
    shallow clone's tags are the remote's."""
    if not is_repository(root):
        return None, 0
    from relcheck.git.versions import parse_version

    found = list(gittags.tag_commits(root))
    if remote and gitrefs.is_shallow(root):
        there, _ = gitremotes.remote_refs(root, remote, "tags", timeout=10.0)
        found += list(there or {})
    names = [n for n in set(found) if parse_version(n) is not None]
    prefixed = sum(1 for n in names if n[:1] in "vV")
    if not names:
        return None, 0
    return ("v{version}" if prefixed * 2 >= len(names) else "{version}"), len(names)


def _default_branch(root: str, remote: str | None) -> str:
    """The remote's default branch, else the current one, else git's default, else main."""
    if is_repository(root):
        if remote:
            ref = door.git(
                root, "symbolic-ref", "-q", "--short", f"refs/remotes/{remote}/HEAD", check=False
            )
            if ref.startswith(f"{remote}/"):
                return ref.removeprefix(f"{remote}/")
        current = door.git(root, "symbolic-ref", "-q", "--short", "HEAD", check=False)
        if current:
            return current
        configured = door.git(root, "config", "init.defaultBranch", check=False)
        if configured:
            return configured
    return "main"
