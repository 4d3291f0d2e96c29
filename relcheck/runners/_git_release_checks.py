"""The `git` runner's checks of what is to be released: the tag is new (or the release
is made), the version is valid, new and agrees with pyproject.toml, the changelog has
its section."""

from __future__ import annotations

import dataclasses
import os

from relcheck.api import StepContext
from relcheck.git import refs as gitrefs
from relcheck.git import releases
from relcheck.git import remotes as gitremotes
from relcheck.git import tags as gittags
from relcheck.git.refname import tag_name_problem, version_problem
from relcheck.git.versions import (
    Fact,
    committed_version,
    parse_version,
    version_refusal,
    without_v,
)
from relcheck.runners import _release_tags as release_tags
from relcheck.runners._release_state import Finding


def tag_findings(
    root: str, ctx: StepContext, *, ask_remote: bool, timeout: float
) -> tuple[list[Finding], str | None]:
    """Findings about the release tag, and the "already released" text when it is.

    Released means: a tag relcheck made for this commit (annotated, with its trailers),
    and with `release.push` one the remote has too. Any other tag at the checked commit
    is a problem, never a release."""
    tag, commit = ctx.info.tag, ctx.info.commit or ""
    if tag is None:
        return [], None  # the version check says why there is no tag name
    problem = tag_name_problem(tag)
    if problem:
        return [Finding("tag", False, f"{tag!r}: {problem}", "fix the version")], None
    cancel, log = ctx.cancel, ctx.sink
    existing = gittags.local_tag(root, tag)
    if existing is not None:
        if existing.commit != commit:
            return [release_tags.elsewhere(tag, existing.commit, commit, "")], None
        checklist = ctx.checklist
        if not ask_remote:  # the remote is not to be asked: what is here decides
            release = dataclasses.replace(checklist.release, push=False)
            checklist = dataclasses.replace(checklist, release=release)
        released, finding = release_tags.local_release(
            root, checklist, ctx.info, existing, timeout=timeout, cancel=cancel, log=log
        )
        return ([finding] if finding else []), released
    remote = ctx.checklist.release.remote
    if not ask_remote:
        return [Finding("tag", True, f"{tag} is new here (remote not asked)")], None
    if releases.usable_remote(root, remote) is None:
        if ctx.checklist.release.push:
            fix = f"`git remote add {remote} URL`, or change `release.remote`"
            return [Finding("tag", False, f"there is no remote {remote!r} to push to", fix)], None
        return [Finding("tag", True, f"{tag} is new (no remote {remote!r} to ask)")], None
    there, answer = gitremotes.remote_tag(
        root, remote, tag, timeout=timeout, cancel=cancel, log=log
    )
    if not answer.ok:
        return [
            Finding(
                "tag",
                False,
                f"could not ask {remote!r} whether {tag} exists there: {answer.error}",
                "check the network and `git remote -v`, or set `remote_tag: false`",
            )
        ], None
    if there is None:
        return [Finding("tag", True, f"{tag} is new, here and on {remote}")], None
    if there.commit != commit:
        return [release_tags.elsewhere(tag, there.commit, commit, f" on {remote}")], None
    # At the checked commit on the remote only: read the tag object (fetched without
    # making a ref here) to tell a release relcheck made from a hand-made tag.
    if there.annotated and gittags.tag_message(root, there.object) is None:
        gitremotes.fetch_tag_object(root, remote, tag, timeout=timeout, cancel=cancel, log=log)
    why = release_tags.not_made_by_relcheck(root, there)
    if why is not None:
        return [release_tags.foreign(tag, why, remote)], None
    return [], (
        f"{tag} is already released on {remote} at {commit[:9]}: nothing to do "
        "(`git fetch --tags` brings the tag here)"
    )


def released_before(
    root: str, ctx: StepContext, found: list[Finding], history: releases.History | None
) -> str | None:
    """The notice "v1.2.0 is already released at abc123def, an older commit" when the
    version was released at another commit than the checked one, under the release tag or
    another spelling of it ("1.2.0 is already released as 1.2.0 at ..."): this commit
    has nothing new to release (``--release-if-new`` passes). Also where a shallow clone
    cannot show whether that commit is an ancestor, and where it is not: the version is
    released either way, and only a new version can be."""
    tag, commit, version = ctx.info.tag, ctx.info.commit, ctx.info.version
    if tag is None or commit is None:
        return None
    if any(f.check == "tag" and not f.ok for f in found):
        tagged = gittags.local_tag(root, tag)
        at = tagged.commit if tagged is not None else None
        if at is None and history is not None:  # only the remote has it (a shallow clone)
            at = next((t.commit for t in history.tags if t.name == tag), None)
        where = _elsewhere(root, at, commit)
        if where:
            return f"{tag} is already released at {where}"
    parsed = parse_version(version) if version else None
    if history is None or parsed is None:
        return None
    for other in history.others(tag):
        where = _elsewhere(root, other.commit, commit) if other.version == parsed else None
        if where:
            return f"{version} is already released as {other.name} at {where}"
    return None


def _elsewhere(root: str, at: str | None, commit: str) -> str | None:
    """``at`` (a commit other than ``commit``) and where it stands from ``commit``; None
    when there is no such commit."""
    if not at or at == commit:
        return None
    ancestor = gitrefs.is_ancestor(root, at, commit)
    if ancestor is True:
        return f"{at[:9]}, an older commit"
    if ancestor is False:
        return f"{at[:9]}, a commit outside this branch's history"
    return f"{at[:9]} (this shallow clone cannot show that commit)"


def development_version(ctx: StepContext) -> str | None:
    """The notice "3.2.0.dev is a development version": the release branch between
    releases, which has nothing to release (``--release-if-new`` passes)."""
    version = ctx.info.version
    parsed = parse_version(version) if version else None
    if parsed is None or not parsed.is_devrelease:
        return None
    return f"{version} is a development version"


def release_history(
    root: str, ctx: StepContext, *, ask_remote: bool, timeout: float
) -> releases.History:
    """What was released before, here and (when asked) on the remote."""
    release = ctx.checklist.release
    return releases.read(
        root,
        release.tag,
        releases.usable_remote(root, release.remote),
        ask_remote=ask_remote,
        timeout=timeout,
        cancel=ctx.cancel,
        log=ctx.sink,
    )


def version_finding(root: str, ctx: StepContext, history: releases.History | None) -> Finding:
    from relcheck.git.checklistpath import folder_here
    from relcheck.system.pyproject import project_version

    version, source = ctx.info.version, ctx.checklist.release.version_from
    if version is None:
        fix = {
            "pyproject": "set `version` under [project] in pyproject.toml, or pass --version",
            "git-describe": "pass --version (git describe finds only the previous release)",
            "cli": "pass --version",
        }[source]
        return Finding("version", False, "no release version is known", fix)
    problem = version_problem(version)
    if problem:
        return Finding("version", False, problem, "pass a version such as 1.2.0")
    # The tag names a commit, so the version that counts is the one committed there (the
    # release step asks the same); a pyproject.toml no commit has yet: the work tree's.
    folder = folder_here(root, ctx.info.checklist_path)
    has_file, declared = committed_version(root, ctx.info.commit or "HEAD", folder)
    if not has_file:
        declared = project_version(os.path.join(root, folder))
    if declared is not None and without_v(declared) != version:
        where = f" (as committed in {(ctx.info.commit or '')[:9]})" if has_file else ""
        named = os.path.join(folder, "pyproject.toml")
        return Finding(
            "version",
            False,
            f"the release version is {version} but {named} says {declared}{where}",
            f"bump the version in {named} to {version} and commit it "
            f"(or release {declared} instead)",
        )
    refused = version_refusal(version, prerelease=ctx.checklist.release.prerelease)
    if refused is not None:
        return as_finding("version", refused)
    if history is None or history.problem is not None:
        return Finding("version", True, f"version {version}")
    again = releases.already_released(history, version, ctx.info.tag)
    if again is not None:
        return as_finding("version", again)
    maintenance = releases.maintenance_branch(ctx.checklist.release.branch, ctx.info.branch)
    order = releases.newer_fact(
        root, history, version, ctx.info.tag, ctx.info.commit or "", maintenance=maintenance
    )
    return as_finding("version", order)


def changelog_finding(root: str, ctx: StepContext) -> Finding:
    from relcheck.git.changelog import heading_for, section_line
    from relcheck.git.checklistpath import folder_here
    from relcheck.git.versions import release_of

    # Beside the project's pyproject.toml: each package of a repository has its own.
    folder = folder_here(root, ctx.info.checklist_path)
    path = os.path.join(folder, ctx.checklist.release.changelog or "")
    if ctx.info.version is None:
        return Finding("changelog", True, "no version to look for")
    # A development version is refused on its own; its changelog section is the one of
    # the release it leads to, which dropping .dev will make.
    version = release_of(ctx.info.version)
    heading = heading_for("", version)
    try:
        with open(os.path.join(root, path), encoding="utf-8", errors="replace") as fh:
            text = fh.read()
    except FileNotFoundError:
        return Finding(
            "changelog",
            False,
            f"{path} does not exist",
            f"create it with a section `{heading}`, or set `release.changelog: null`",
        )
    except OSError as exc:
        return Finding("changelog", False, f"cannot read {path}: {exc.strerror}")
    line = section_line(text, version)
    if line is None:
        heading = heading_for(text, version)
        return Finding(
            "changelog",
            False,
            f"{path} has no section for {version}",
            f"add a heading `{heading}` with the changes of this release",
        )
    return Finding("changelog", True, f"{path}:{line} is the section for {version}")


def as_finding(check: str, fact: Fact) -> Finding:
    return Finding(check, fact.ok, fact.text, fact.fix)


def checklist_finding(root: str, ctx: StepContext) -> Finding:
    """Whether this run's checklist is the project's, as committed: only such a run's tag
    proves a release (`relcheck verify`, the hook and "already released" ask the same)."""
    from relcheck.git.checklistpath import not_the_projects

    info = ctx.info
    stray = not_the_projects(
        root, info.commit or "HEAD", info.checklist_path, info.checklist_sha256
    )
    if stray is None:
        return Finding("checklist", True, f"{info.checklist_path} is the project's checklist")
    return Finding("checklist", False, stray[0], stray[1])
