"""`relcheck init`: look at a project and write a checklist for it from a template.

What is found (``detect``) goes to ``relcheck.template_edit``, which adapts the
template's text; the result is validated before it replaces anything.
"""

from __future__ import annotations

import os
from typing import Any

from relcheck import gitrepo
from relcheck.errors import UsageError
from relcheck.template_edit import MODELINE, SCHEMA_PATH, Project, Rendered, render

__all__ = ["Project", "Rendered", "describe", "detect", "render", "templates", "write_checklist"]

TEMPLATES_PACKAGE = "relcheck.checklists"
DEFAULT_TEMPLATE = "library"
_RUFF_FILES = ("ruff.toml", ".ruff.toml")
_TEST_DIRS = ("tests", "test")
_CHANGELOGS = ("CHANGELOG.md", "CHANGES.md", "HISTORY.md")


# -- what the project has ---------------------------------------------------------------
def detect(root: str) -> Project:
    """Look at ``root``: pyproject, ruff configuration, tests, changelog, git."""
    pyproject = _read_pyproject(root)
    project = pyproject.get("project", {})
    has_static_version = "version" in project and "version" not in project.get("dynamic", [])
    ruff = next((n for n in _RUFF_FILES if os.path.isfile(os.path.join(root, n))), None)
    if ruff is None and "ruff" in pyproject.get("tool", {}):
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
    )


def _read_pyproject(root: str) -> dict[str, Any]:
    import tomllib

    path = os.path.join(root, "pyproject.toml")
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        return {}
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(f"{path}: cannot read: {exc}") from exc


def _in_git(root: str) -> bool:
    return os.path.exists(os.path.join(root, ".git"))


def _remote(root: str) -> str | None:
    if not _in_git(root):
        return None
    remotes = gitrepo.git(root, "remote", check=False).split()
    if "origin" in remotes:
        return "origin"
    return remotes[0] if remotes else None


def _tag_style(root: str, remote: str | None) -> tuple[str | None, int]:
    """The ``release.tag`` pattern the project's version tags follow (``v{version}`` or
    ``{version}``, whichever most of them use), and how many tags name a version; a
    shallow clone's tags are the remote's."""
    if not _in_git(root):
        return None, 0
    from relcheck.versions import parse_version

    found = list(gitrepo.tag_commits(root))
    if remote and gitrepo.is_shallow(root):
        there, _ = gitrepo.remote_refs(root, remote, "tags", timeout=10.0)
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
            ref = gitrepo.git(
                root, "symbolic-ref", "-q", "--short", f"refs/remotes/{remote}/HEAD", check=False
            )
            if ref.startswith(f"{remote}/"):
                return ref.removeprefix(f"{remote}/")
        current = gitrepo.git(root, "symbolic-ref", "-q", "--short", "HEAD", check=False)
        if current:
            return current
        configured = gitrepo.git(root, "config", "init.defaultBranch", check=False)
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
    root: str, template: str, *, checklist: str | None = None, force: bool = False
) -> list[str]:
    """Write the adapted template (validated first) and the schema; return what to tell."""
    from relcheck.checklist import find_checklist, load_checklist
    from relcheck.fileio import write_text
    from relcheck.schema_export import runner_classes, schema_text

    path = find_checklist(root, checklist)
    shown = os.path.relpath(path)
    if os.path.exists(path) and not force:
        raise UsageError(f"{shown} already exists", hint="pass --force to overwrite it")
    project = detect(root)
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
    for step_id, why in rendered.dropped.items():
        lines.append(f"  left out {step_id}: {why}")
    lines.append(f"  editor schema: {os.path.relpath(schema_file)}")
    if not _ignores_state(root):
        lines.append("  add .relcheck/ to .gitignore: it holds run records, logs and the schema")
    lines.append("next: relcheck validate && relcheck run --dry-run")
    return lines


def _ignores_state(root: str) -> bool:
    """Does git (or, outside git, a .gitignore) already ignore ``.relcheck/``?"""
    if _in_git(root):
        probe = os.path.join(".relcheck", "runs", "probe.toml")
        return bool(gitrepo.git(root, "check-ignore", "--no-index", probe, check=False))
    return False
