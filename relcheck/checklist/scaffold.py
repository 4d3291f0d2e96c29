"""`relcheck init`: look at a project and write a checklist for it from a template.

What is found (``detect``) goes to ``relcheck.checklist.template_edit``, which adapts the
template's text; the result is validated before it replaces anything.
"""

from __future__ import annotations

import os
import shutil
from typing import Any

from relcheck.checklist.template_edit import (
    MODELINE,
    PLACEHOLDER_ID,
    SCHEMA_PATH,
    Project,
    Rendered,
    ServiceGuess,
    render,
)
from relcheck.errors import UsageError
from relcheck.git import door
from relcheck.git import refs as gitrefs
from relcheck.git import remotes as gitremotes
from relcheck.git import tags as gittags

__all__ = ["Project", "Rendered", "describe", "detect", "render", "templates", "write_checklist"]

TEMPLATES_PACKAGE = "relcheck.checklists"
DEFAULT_TEMPLATE = "library"
_RUFF_FILES = ("ruff.toml", ".ruff.toml")
_TEST_DIRS = ("tests", "test")
_CHANGELOGS = (
    *("CHANGELOG.md", "CHANGELOG.rst", "CHANGES.md", "CHANGES.rst", "HISTORY.md"),
    *("HISTORY.rst", "NEWS.md", "NEWS.rst", "NEWS", "CHANGELOG", "CHANGES"),
)
SERVICE_TEMPLATE = "python-service"
# Web frameworks and servers, as distribution names in the dependencies.
_WEB = ("fastapi", "uvicorn", "gunicorn", "flask", "django")


# -- what the project has ---------------------------------------------------------------
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
        in_git=_in_git(root),
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
    names = set()
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


def _in_git(root: str) -> bool:
    return os.path.exists(os.path.join(root, ".git"))


def _remote(root: str) -> str | None:
    if not _in_git(root):
        return None
    remotes = door.git(root, "remote", check=False).split()
    if "origin" in remotes:
        return "origin"
    return remotes[0] if remotes else None


def _tag_style(root: str, remote: str | None) -> tuple[str | None, int]:
    """The ``release.tag`` pattern the project's version tags follow (``v{version}`` or
    ``{version}``, whichever most of them use), and how many tags name a version; a
    shallow clone's tags are the remote's."""
    if not _in_git(root):
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
    if _in_git(root):
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


# -- templates --------------------------------------------------------------------------
def templates() -> dict[str, str]:
    """Template name -> its text, from the installed ``relcheck.checklists`` package."""
    from importlib.resources import files

    found = {}
    for entry in files(TEMPLATES_PACKAGE).iterdir():
        if entry.name.endswith(".yaml"):
            found[entry.name.removesuffix(".yaml")] = entry.read_text(encoding="utf-8")
    return dict(sorted(found.items()))


def describe(text: str) -> str:
    """A template's one-line description: its first comment (that is not the modeline),
    with the lines it continues on."""
    words: list[str] = []
    for line in text.splitlines():
        if line.startswith(MODELINE):
            continue
        if not line.startswith("#"):
            if words:
                break
            continue
        words.append(line.lstrip("#").strip())
    summary = " ".join(w for w in words if w)
    return summary.removeprefix("relcheck checklist for ")


def template_text(name: str) -> str:
    """A shipped template by name, or a template file by path."""
    available = templates()
    if name in available:
        return available[name]
    if os.path.sep in name or name.endswith((".yaml", ".yml")):
        try:
            with open(name, encoding="utf-8") as fh:
                return fh.read()
        except OSError as exc:
            raise UsageError(f"cannot read template {name}: {exc.strerror or exc}") from exc
    raise UsageError(
        f"no template named {name!r}",
        hint=f"templates: {', '.join(available)} (see `relcheck init --list`), or a file path",
    )


# -- writing ----------------------------------------------------------------------------
def write_checklist(
    root: str, template: str | None, *, checklist: str | None = None, force: bool = False
) -> list[str]:
    """Write the adapted template (validated first) and the schema; return what to tell.
    Without a ``template``: the service template for a web service, else the library's."""
    from relcheck.checklist.load import find_checklist, load_checklist
    from relcheck.checklist.schema_export import runner_classes, schema_text
    from relcheck.system.fileio import write_text

    path = find_checklist(root, checklist)
    shown = os.path.relpath(path)
    if os.path.exists(path) and not force:
        raise UsageError(f"{shown} already exists", hint="pass --force to overwrite it")
    project = detect(root)
    if template is None:
        template = SERVICE_TEMPLATE if project.service else DEFAULT_TEMPLATE
    rendered = render(template_text(template), project)
    schema_file = os.path.join(os.path.dirname(path), SCHEMA_PATH)
    # The schema first: the checklist's first line points at it.
    write_text(schema_file, schema_text(runner_classes()))
    draft = os.path.join(os.path.dirname(path), f".{os.path.basename(path)}.init")
    write_text(draft, rendered.text)
    try:
        loaded = load_checklist(draft)  # never leave a checklist that does not load
        os.replace(draft, path)
    finally:
        if os.path.exists(draft):
            os.unlink(draft)
    count = len(loaded.steps)
    lines = [f"wrote {shown} from the {template} template ({count} step{'s' * (count != 1)})"]
    facts = [
        f"version from {project.version_from}",
        *(
            [f"tags {project.tag!r} as its {project.version_tags} version tags are spelled"]
            if project.tag
            else []
        ),
        f"release branch {project.branch}",
        f"remote {project.remote}" if project.remote else "no remote: the tag is not pushed",
        f"changelog {project.changelog}" if project.changelog else "no changelog",
    ]
    lines.append("  " + "; ".join(facts))
    if project.service:
        lines.append(f"  a web service ({project.service.why}): its integration step starts it")
    for step_id, _argv, where in project.tools:
        lines.append(f"  added {step_id}: the project's own check ({where})")
    for step_id, why in rendered.dropped.items():
        if not why.startswith("replaced by"):  # said above, as the web service
            lines.append(f"  left out {step_id}: {why}")
    lines.extend(f"  {line}" for line in missing_tools(project, root))
    lines.append(f"  editor schema: {os.path.relpath(schema_file)}")
    if not _ignores_state(root):
        lines.append("  add .relcheck/ to .gitignore: it holds run records, logs and the schema")
    version = ""
    if loaded.release.version_from == "git-describe":
        # The version is the tag to be made: a run that may release names it.
        version = f" --version {next_version(root, project)}"
    command = f"relcheck validate && relcheck run --dry-run{version}"
    if any(step.id == PLACEHOLDER_ID for step in loaded.steps):
        # Until a person writes the checks, the placeholder step fails a run, as it should.
        lines.append(f"next: replace the {PLACEHOLDER_ID} step with the project's checks")
        lines.append(f"then: {command}")
    else:
        lines.append(f"next: {command}")
    return lines


def next_version(root: str, project: Project) -> str:
    """A version for the next release: the changelog's newest version when it is newer
    than every version tag, else the last tag's with its last number raised, else 0.1.0."""
    import re

    from relcheck.git.changelog import headings
    from relcheck.git.versions import parse_version, tag_version

    pattern = project.tag or "v{version}"
    tagged = [tag_version(n, pattern) for n in gittags.tag_commits(root)] if project.in_git else []
    latest = max((v for v in tagged if v is not None), default=None)
    if project.changelog:
        try:
            with open(os.path.join(root, project.changelog), encoding="utf-8") as fh:
                text = fh.read()
        except (OSError, UnicodeDecodeError):
            text = ""
        for _line, heading in headings(text):
            match = re.search(r"(?<![\w.])v?(\d+(?:\.\d+)+)", heading)
            found = parse_version(match.group(1)) if match else None
            if found is not None:
                if latest is None or found > latest:
                    return str(found)
                break
    if latest is None:
        return "0.1.0"
    parts = list(latest.release) + [0] * (3 - len(latest.release))
    parts[-1] += 1
    return ".".join(str(p) for p in parts)


def _ignores_state(root: str) -> bool:
    """Does git (or, outside git, a .gitignore) already ignore ``.relcheck/``?"""
    if _in_git(root):
        probe = os.path.join(".relcheck", "runs", "probe.toml")
        return bool(door.git(root, "check-ignore", "--no-index", probe, check=False))
    return False
