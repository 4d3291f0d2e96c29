"""Adapt a checklist template to a project by editing its text, so its comments survive.

The ``release:`` values are set to what the project has (version source, default
branch, remote, changelog); steps that need a tool the project does not use are left
out, and dropped from the ``needs`` of the steps that remain (ruff without a ruff
configuration, pytest without a tests folder, a configuration file the project does
not have); a tests path follows the project's folder. Steps are recognised by what
they use, run or read, so this works on whatever steps a template holds, whether they
say ``run: [ruff, check, .]`` or ``uses: ruff``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from relcheck.errors import UsageError

SCHEMA_PATH = ".relcheck/schema.json"  # relative to the checklist, for editors
MODELINE = "# yaml-language-server: $schema="
_GIT_RUNNERS = ("git", "git-tag")  # relcheck's own runners that need a repository
# A relative path to a configuration file, as a runner parameter (config-drift's sides).
_CONFIG_FILE = re.compile(r"^[\w.-]+(/[\w.-]+)*\.(toml|ya?ml|json|env|ini|cfg)$")
PLACEHOLDER_ID = "write-checks"
PLACEHOLDER_STEP = """\
  - id: write-checks
    uses: manual
    with: {prompt: "The release checks in this checklist have been written"}
    expect: replace this step with the project's lint, tests and other checks
"""


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


@dataclass
class Rendered:
    """A template adapted to a project, and what was changed, for the person to read."""

    text: str
    kept: dict[str, str] = field(default_factory=dict)  # step id -> runner
    dropped: dict[str, str] = field(default_factory=dict)  # step id -> why


# -- adapting a template ----------------------------------------------------------------
def render(text: str, project: Project, schema_path: str | None = SCHEMA_PATH) -> Rendered:
    """``text`` (a template) adapted to ``project``."""
    import yaml

    root = yaml.compose(text, Loader=yaml.SafeLoader)
    if not isinstance(root, yaml.MappingNode):
        raise UsageError("the template is not a checklist: expected a mapping at the top")
    edits = _Edits(text)
    rendered = Rendered(text)
    _release_edits(root, project, edits)
    steps = _value(root, "steps")
    if isinstance(steps, yaml.SequenceNode):
        _step_edits(steps, project, edits, rendered)
        added = _tool_steps(project, rendered) + _service_step(project, rendered)
        if added:
            edits.insert_line(_before_release(steps, rendered), added)
        if not any(_is_check(uses) for uses in rendered.kept.values()):
            # Preconditions and a tag with nothing checked in between is no checklist.
            edits.insert_line(_before_release(steps, rendered), PLACEHOLDER_STEP)
    rendered.text = _modeline(edits.apply(), schema_path)
    return rendered


def _modeline(text: str, schema_path: str | None) -> str:
    lines = text.split("\n")
    if lines and lines[0].startswith(MODELINE):
        lines.pop(0)
    if schema_path:
        lines.insert(0, MODELINE + schema_path)
    return "\n".join(lines)


def _release_edits(root: Any, project: Project, edits: _Edits) -> None:
    import yaml

    wanted: dict[str, str] = {
        "version_from": project.version_from,
        "branch": project.branch,
        "changelog": project.changelog or "null",
    }
    if project.tag:
        wanted = {"tag": project.tag, **wanted}
    if project.remote:
        wanted["remote"] = project.remote
    else:
        wanted["push"] = "false"  # nowhere to push to
    release = _value(root, "release")
    if not isinstance(release, yaml.MappingNode):
        block = "release:\n" + "".join(f"  {k}: {_scalar(v)}\n" for k, v in wanted.items())
        steps_key = _key(root, "steps")
        line = steps_key.start_mark.line if steps_key is not None else _line_after(root)
        edits.insert_line(line, block)
        return
    indent = " " * (release.value[0][0].start_mark.column if release.value else 2)
    missing = []
    for key, value in wanted.items():
        node = _value(release, key)
        if isinstance(node, yaml.ScalarNode):
            edits.replace(node, _scalar(value))
        elif node is None:
            missing.append(f"{indent}{key}: {_scalar(value)}\n")
    if missing:
        edits.insert_line(_line_after(release), "".join(missing))


def _step_edits(steps: Any, project: Project, edits: _Edits, rendered: Rendered) -> None:
    import yaml

    items = [n for n in steps.value if isinstance(n, yaml.MappingNode)]
    dropped: dict[str, str] = {}
    for item in items:
        step_id = _plain(_value(item, "id")) or "?"
        why = _missing_prerequisite(item, project)
        if why:
            dropped[step_id] = why
    for item in items:
        step_id = _plain(_value(item, "id")) or "?"
        if step_id in dropped:
            # To its last line: a comment above the next step belongs to that step.
            edits.delete_lines(item.start_mark.line, _line_after(item))
            continue
        rendered.kept[step_id] = _plain(_value(item, "uses")) or "command"
        _retarget_tests(item, project, edits)
        needs = _value(item, "needs")
        if isinstance(needs, yaml.SequenceNode):
            names = [_plain(n) for n in needs.value]
            remaining = [n for n in names if n not in dropped]
            if remaining != names:
                key = _key(item, "needs")
                if key.start_mark.line == item.start_mark.line:  # `- needs:` opens the step
                    listed = ", ".join(_scalar(str(n)) for n in remaining)
                    end = edits.offset(_line_after(needs))
                    edits.replace_span(key.start_mark.index, end, f"needs: [{listed}]\n")
                    continue
                edits.delete_lines(key.start_mark.line, _line_after(needs))
                if remaining:
                    indent = " " * key.start_mark.column
                    listed = ", ".join(_scalar(str(n)) for n in remaining)
                    edits.insert_line(key.start_mark.line, f"{indent}needs: [{listed}]\n")
    rendered.dropped = dropped


def _tool_steps(project: Project, rendered: Rendered) -> str:
    """A ``run:`` step for each of the project's own checks (black, mypy, tox, ...)."""
    text = ""
    for step_id, argv, found in project.tools:
        if step_id in rendered.kept:
            continue
        rendered.kept[step_id] = "command"
        listed = ", ".join(_scalar(a) for a in argv)
        text += (
            f"  # The project's own {step_id} ({found}), run in the project's environment.\n"
            f"  - id: {step_id}\n"
            f"    run: [{listed}]\n"
            f"    expect: {step_id} finds nothing to fix\n"
        )
    return text


def _service_step(project: Project, rendered: Rendered) -> str:
    """For a web service: the template's integration step (which checks staging) becomes
    one that starts the project's service on a free port and asks it a question."""
    guess = project.service
    if guess is None or "integration" in rendered.kept:
        return ""
    if isinstance(guess.run, str):
        run = _scalar(guess.run)
    else:
        run = "[" + ", ".join(_scalar(a) for a in guess.run) + "]"
    rendered.kept["integration"] = "http"
    needs = "    needs: [unit]\n" if rendered.kept.get("unit") else ""
    return (
        f"  # The service ({guess.why}), started on a free port for this step and stopped\n"
        f"  # after it; adjust `run` if it starts differently.\n"
        f"  - id: integration\n"
        f"    uses: http\n"
        f"{needs}"
        f"    expect: the service starts and answers {guess.path}\n"
        f"    rollback: none needed; the release is not tagged\n"
        f"    service:\n"
        f"      run: {run}\n"
        f"      ready: http://127.0.0.1:{{port}}{guess.path}\n"
        f"      ready_timeout: 30s\n"
        f"    with:\n"
        f"      url: ${{RELCHECK_SERVICE_URL}}{guess.path}\n"
        f"      expect: {{status: 2xx}}\n"
    )


def _missing_prerequisite(item: Any, project: Project) -> str | None:
    """Why a step cannot work in this project, or None."""
    # What the step runs, not what its notes say (a rollback note may mention git).
    words = set(_words(_value(item, "run"))) | set(_words(_value(item, "with")))
    uses = _plain(_value(item, "uses"))
    if uses == "http" and project.service is not None:
        return f"replaced by a check of the service itself ({project.service.why})"
    if (uses == "ruff" or "ruff" in words) and project.ruff_config is None:
        return "no ruff configuration (ruff.toml, .ruff.toml or [tool.ruff])"
    if (uses == "pytest" or "pytest" in words) and project.tests_dir is None:
        return "no tests folder (tests/ or test/)"
    if (uses in _GIT_RUNNERS or "git" in words) and not project.in_git:
        return "not a git repository"
    for node in _scalars(_value(item, "with")):
        value = str(node.value)
        if _CONFIG_FILE.match(value) and not os.path.exists(os.path.join(project.root, value)):
            return f"{value} is not in the project"
    return None


def _before_release(steps: Any, rendered: Rendered) -> int:
    """The line of the first kept release step (the tag), else the line after the steps."""
    from relcheck.api import StepKind, step_kind
    from relcheck.errors import PluginError
    from relcheck.runners import registry

    for item in steps.value:
        uses = rendered.kept.get(_plain(_value(item, "id")) or "")
        try:
            release = uses is not None and step_kind(registry.load(uses)) is StepKind.RELEASE
        except PluginError:
            release = False
        if release:
            return int(item.start_mark.line)
    return _line_after(steps)


def _is_check(uses: str) -> bool:
    """True unless the runner is a precondition or a release step (by its class)."""
    from relcheck.api import StepKind, step_kind
    from relcheck.errors import PluginError
    from relcheck.runners import registry

    try:
        cls = registry.load(uses)
    except PluginError:
        return True  # unknown here; validation will say so
    return step_kind(cls) is StepKind.CHECK


def _retarget_tests(item: Any, project: Project, edits: _Edits) -> None:
    """Point ``tests`` / ``tests/...`` arguments at the project's tests folder."""
    if project.tests_dir in (None, "tests"):
        return
    for node in _scalars(_value(item, "with")) + _scalars(_value(item, "run")):
        value = str(node.value)
        if value == "tests" or value.startswith("tests/"):
            edits.replace(node, _scalar(project.tests_dir + value.removeprefix("tests")))


# -- YAML node helpers ------------------------------------------------------------------
def _key(mapping: Any, name: str) -> Any:
    for key, _value_node in mapping.value:
        if getattr(key, "value", None) == name:
            return key
    return None


def _value(mapping: Any, name: str) -> Any:
    import yaml

    if not isinstance(mapping, yaml.MappingNode):
        return None
    for key, value in mapping.value:
        if getattr(key, "value", None) == name:
            return value
    return None


def _plain(node: Any) -> str | None:
    import yaml

    return str(node.value) if isinstance(node, yaml.ScalarNode) else None


def _scalars(node: Any) -> list[Any]:
    import yaml

    if node is None:
        return []
    if isinstance(node, yaml.ScalarNode):
        return [node]
    if isinstance(node, yaml.SequenceNode):
        return [s for child in node.value for s in _scalars(child)]
    if isinstance(node, yaml.MappingNode):
        return [s for _k, v in node.value for s in _scalars(v)]
    return []


def _words(node: Any) -> Iterator[str]:
    for scalar in _scalars(node):
        yield from re.findall(r"[A-Za-z0-9_.-]+", str(scalar.value))


def _line_after(node: Any) -> int:
    """The first line after ``node``'s content.

    A block collection's end mark is where the next token starts, possibly lines later,
    so its last line is its last child's.
    """
    import yaml

    if isinstance(node, yaml.CollectionNode) and not node.flow_style and node.value:
        last = node.value[-1]
        return _line_after(last[1] if isinstance(last, tuple) else last)
    end_line, end_column = int(node.end_mark.line), int(node.end_mark.column)
    if end_column == 0 and end_line > node.start_mark.line:  # a block scalar's newline
        return end_line
    return end_line + 1


def _scalar(value: str) -> str:
    """``value`` as a YAML scalar, quoted when plain text would change its meaning."""
    import yaml

    if value in ("null", "true", "false"):
        return value
    if "{" in value:  # a tag pattern: double quotes, as the templates write it
        import json

        return json.dumps(value)
    dumped: str = yaml.safe_dump(value, default_flow_style=True, width=1000)
    return dumped.removesuffix("\n...\n").strip()


class _Edits:
    """Text edits by position, applied last to first so positions stay true."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._lines = text.splitlines(keepends=True)
        self._starts = [0]
        for line in self._lines:
            self._starts.append(self._starts[-1] + len(line))
        self._edits: list[tuple[int, int, str]] = []

    def offset(self, line: int) -> int:
        return self._starts[min(line, len(self._lines))]

    def replace(self, node: Any, text: str) -> None:
        self.replace_span(node.start_mark.index, node.end_mark.index, text)

    def replace_span(self, start: int, end: int, text: str) -> None:
        self._edits.append((start, end, text))

    def delete_lines(self, first: int, end: int) -> None:
        self._edits.append((self.offset(first), self.offset(end), ""))

    def insert_line(self, line: int, text: str) -> None:
        at = self.offset(line)
        if at == len(self.text) and self.text and not self.text.endswith("\n"):
            text = "\n" + text
        self._edits.append((at, at, text))

    def apply(self) -> str:
        out = self.text
        for start, end, text in sorted(self._edits, key=lambda e: (e[0], e[1]), reverse=True):
            out = out[:start] + text + out[end:]
        return out
