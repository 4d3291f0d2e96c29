"""Release notes in Markdown: the changelog section of the version, the commits and
files since the previous release, the command that made it, each check's result, and
what improved or regressed against the previous release."""

from __future__ import annotations

import datetime as dt
import posixpath
import re
from collections.abc import Mapping
from typing import Any

from relcheck.models import RunResult

_ATX_LEVEL = re.compile(r"^ {0,3}(#{1,6})\s")


def previous_tag(root: str, tag: str, template: str, rev: str | None = None) -> str | None:
    """The release tag before ``tag``: the newest matching one reachable from ``rev``
    (default: the tag itself; the commit being tagged, before the tag exists)."""
    from relcheck.git.describe import previous_tag as nearest_tag

    pattern = template.replace("{version}", "*") if "{version}" in template else "*"
    return nearest_tag(root, pattern, tag, rev or f"{tag}^{{commit}}")


def _not_listed(root: str, previous: str) -> str:
    """Why the commits since ``previous`` are not listed: not in this history."""
    from relcheck.git import refs as gitrefs

    where = "this shallow clone" if gitrefs.is_shallow(root) else "this repository"
    return (
        f"The commits since {previous} are not listed: {previous} is not in the history of {where}."
    )


def changelog_section(text: str, version: str) -> str | None:
    """The body of ``version``'s section of a changelog (heading excluded)."""
    from relcheck.git.changelog import headings, section_line

    start = section_line(text, version)
    if start is None:
        return None
    lines = text.splitlines()
    level_match = _ATX_LEVEL.match(lines[start - 1])
    level = len(level_match.group(1)) if level_match else 2
    end = len(lines)
    for line, _heading in headings(text):
        if line <= start:
            continue
        match = _ATX_LEVEL.match(lines[line - 1])
        if match is None or len(match.group(1)) <= level:
            end = line - 1
            break
    return "\n".join(lines[start:end]).strip("\n")


def _git_lines(root: str, *args: str) -> list[str]:
    from relcheck.git import door

    return [line for line in door.git(root, *args, check=False).splitlines() if line]


def _split(line: str) -> tuple[str, str, str]:
    return line.partition(" ")


def _cell(value: object) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ").strip() or " "


def _changes(data: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    from relcheck.evidence.compare import Delta  # only with a previous release

    improved: list[str] = []
    regressed: list[str] = []
    for step in data.get("steps", ()):
        for m in step.get("metrics", ()):
            delta = Delta(step["id"], m["metric"], m.get("before"), m.get("after"))
            if not delta.notable:
                continue
            if delta.verdict == "improved":
                improved.append(delta.line())
            elif delta.verdict == "regressed":
                regressed.append(delta.line())
    return improved, regressed


def compose(
    root: str, run: RunResult, template: str, changelog: str | None, *, note: str | None = None
) -> str:
    """The notes of the release ``run`` made (or would make)."""
    from relcheck.git import refs as gitrefs

    info = run.info
    tag = info.tag or info.version or info.run_id
    rev = info.commit or "HEAD"
    out = [f"# Release {tag}", ""]
    when = dt.datetime.fromtimestamp(run.ended_at, dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    out.append(
        f"Released {when} from commit `{(info.commit or '?')[:12]}`"
        + (f" on `{info.branch}`" if info.branch else "")
        + f" by relcheck run `{info.run_id}`."
    )
    if note:
        out += ["", f"> {note}"]
    out += ["", "Command:", "", "```", info.command or "relcheck run (not recorded)", "```"]
    if changelog and info.version:
        from relcheck.git.checklistpath import folder_here

        folder = folder_here(root, info.checklist_path) if info.checklist_path else ""
        raw = gitrefs.show_file(root, rev, posixpath.join(folder, changelog))
        section = changelog_section(raw.decode("utf-8", "replace"), info.version) if raw else None
        out += ["", f"## Changelog ({changelog})", ""]
        out.append(section or f"_{changelog} has no section for {info.version}._")
    data = run.baseline
    previous = previous_tag(root, info.tag, template, info.commit) if info.tag else None
    # The previous release the run found when this history has no tag of it (a shallow
    # clone), or has it spelled unlike the template (``1.2.0`` for ``v{version}``).
    named = previous or data.get("previous")
    if not named:
        out += ["", "## Changes", "", "The first release: no previous release tag."]
    elif previous is None and gitrefs.is_ancestor(root, named, rev) is not True:
        out += ["", f"## Changes since {named}", "", _not_listed(root, named)]
    else:
        commits = _git_lines(root, "log", "--no-merges", "--format=%h %s", f"{named}..{rev}")
        files = _git_lines(root, "diff", "--name-status", "--no-renames", named, rev)
        out += ["", f"## Changes since {named}", ""]
        out.append(f"{len(commits)} commit{'s' * (len(commits) != 1)}:")
        out += [""] + [f"- `{sha}` {subject}" for sha, _, subject in map(_split, commits)]
        out += ["", f"{len(files)} file{'s' * (len(files) != 1)} touched:", ""]
        out += [f"- {f.split(chr(9), 1)[0]} `{f.split(chr(9), 1)[-1]}`" for f in files]
    out += ["", "## Checks", "", "| step | status | duration | summary |", "|---|---|---:|---|"]
    for r in run.steps:
        out.append(f"| {_cell(r.step_id)} | {r.status} | {r.duration:.2f}s | {_cell(r.summary)} |")
    if data.get("before"):
        improved, regressed = _changes(data)
        out += ["", f"## Compared with {data['before']}", ""]
        if data.get("note"):
            out += [f"> {data['note']}", ""]
        out += ["Improved:", ""] + ([f"- {x}" for x in improved] or ["- nothing notable"])
        out += ["", "Regressed:", ""] + ([f"- {x}" for x in regressed] or ["- nothing notable"])
    elif data.get("previous"):
        out += ["", f"## Compared with {data['previous']}", "", f"Not compared: {data['note']}."]
    return "\n".join(out) + "\n"
