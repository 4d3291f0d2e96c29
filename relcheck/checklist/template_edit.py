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
from dataclasses import dataclass, field
from typing import Any

from relcheck.checklist.detect import Project
from relcheck.checklist.yamledit import (
    TextEdits,
    key_node,
    line_after,
    plain,
    scalars,
    value_node,
    words_in,
    yaml_scalar,
)
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
    edits = TextEdits(text)
    rendered = Rendered(text)
    _release_edits(root, project, edits)
    steps = value_node(root, "steps")
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


def _release_edits(root: Any, project: Project, edits: TextEdits) -> None:
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
    release = value_node(root, "release")
    if not isinstance(release, yaml.MappingNode):
        block = "release:\n" + "".join(f"  {k}: {yaml_scalar(v)}\n" for k, v in wanted.items())
        steps_key = key_node(root, "steps")
        line = steps_key.start_mark.line if steps_key is not None else line_after(root)
        edits.insert_line(line, block)
        return
    indent = " " * (release.value[0][0].start_mark.column if release.value else 2)
    missing = []
    for key, value in wanted.items():
        node = value_node(release, key)
        if isinstance(node, yaml.ScalarNode):
            edits.replace(node, yaml_scalar(value))
        elif node is None:
            missing.append(f"{indent}{key}: {yaml_scalar(value)}\n")
    if missing:
        edits.insert_line(line_after(release), "".join(missing))


def _step_edits(steps: Any, project: Project, edits: TextEdits, rendered: Rendered) -> None:
    import yaml

    items = [n for n in steps.value if isinstance(n, yaml.MappingNode)]
    dropped: dict[str, str] = {}
    for item in items:
        step_id = plain(value_node(item, "id")) or "?"
        why = _missing_prerequisite(item, project)
        if why:
            dropped[step_id] = why
    for item in items:
        step_id = plain(value_node(item, "id")) or "?"
        if step_id in dropped:
            # To its last line: a comment above the next step belongs to that step.
            edits.delete_lines(item.start_mark.line, line_after(item))
            continue
        rendered.kept[step_id] = plain(value_node(item, "uses")) or "command"
        _retarget_tests(item, project, edits)
        needs = value_node(item, "needs")
        if isinstance(needs, yaml.SequenceNode):
            names = [plain(n) for n in needs.value]
            remaining = [n for n in names if n not in dropped]
            if remaining != names:
                key = key_node(item, "needs")
                if key.start_mark.line == item.start_mark.line:  # `- needs:` opens the step
                    listed = ", ".join(yaml_scalar(str(n)) for n in remaining)
                    end = edits.offset(line_after(needs))
                    edits.replace_span(key.start_mark.index, end, f"needs: [{listed}]\n")
                    continue
                edits.delete_lines(key.start_mark.line, line_after(needs))
                if remaining:
                    indent = " " * key.start_mark.column
                    listed = ", ".join(yaml_scalar(str(n)) for n in remaining)
                    edits.insert_line(key.start_mark.line, f"{indent}needs: [{listed}]\n")
    rendered.dropped = dropped


def _tool_steps(project: Project, rendered: Rendered) -> str:
    """A ``run:`` step for each of the project's own checks (black, mypy, tox, ...)."""
    text = ""
    for step_id, argv, found in project.tools:
        if step_id in rendered.kept:
            continue
        rendered.kept[step_id] = "command"
        listed = ", ".join(yaml_scalar(a) for a in argv)
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
        run = yaml_scalar(guess.run)
    else:
        run = "[" + ", ".join(yaml_scalar(a) for a in guess.run) + "]"
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
    words = set(words_in(value_node(item, "run"))) | set(words_in(value_node(item, "with")))
    uses = plain(value_node(item, "uses"))
    if uses == "http" and project.service is not None:
        return f"replaced by a check of the service itself ({project.service.why})"
    if (uses == "ruff" or "ruff" in words) and project.ruff_config is None:
        return "no ruff configuration (ruff.toml, .ruff.toml or [tool.ruff])"
    if (uses == "pytest" or "pytest" in words) and project.tests_dir is None:
        return "no tests folder (tests/ or test/)"
    if (uses in _GIT_RUNNERS or "git" in words) and not project.in_git:
        return "not a git repository"
    for node in scalars(value_node(item, "with")):
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
        uses = rendered.kept.get(plain(value_node(item, "id")) or "")
        try:
            release = uses is not None and step_kind(registry.load(uses)) is StepKind.RELEASE
        except PluginError:
            release = False
        if release:
            return int(item.start_mark.line)
    return line_after(steps)


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


def _retarget_tests(item: Any, project: Project, edits: TextEdits) -> None:
    """Point ``tests`` / ``tests/...`` arguments at the project's tests folder."""
    if project.tests_dir in (None, "tests"):
        return
    for node in scalars(value_node(item, "with")) + scalars(value_node(item, "run")):
        value = str(node.value)
        if value == "tests" or value.startswith("tests/"):
            edits.replace(node, yaml_scalar(project.tests_dir + value.removeprefix("tests")))
