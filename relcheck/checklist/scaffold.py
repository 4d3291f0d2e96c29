"""`relcheck init`: write a checklist for a project from a template.

What is found (``relcheck.checklist.detect``) goes to ``relcheck.checklist.template_edit``,
which adapts the template's text; the result is validated before it replaces anything.
"""

from __future__ import annotations

import os

from relcheck.checklist.detect import Project, detect, is_repository, missing_tools
from relcheck.checklist.template_edit import MODELINE, PLACEHOLDER_ID, SCHEMA_PATH, render
from relcheck.errors import UsageError
from relcheck.git import door
from relcheck.git import tags as gittags

__all__ = ["describe", "template_text", "templates", "write_checklist"]

TEMPLATES_PACKAGE = "relcheck.checklists"
DEFAULT_TEMPLATE = "library"
SERVICE_TEMPLATE = "python-service"


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
    if is_repository(root):
        probe = os.path.join(".relcheck", "runs", "probe.toml")
        return bool(door.git(root, "check-ignore", "--no-index", probe, check=False))
    return False
