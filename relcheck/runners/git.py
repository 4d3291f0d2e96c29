"""The ``git`` runner: is the repository in a state to release? Every check at once."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from relcheck.checklist.durations import Duration
from relcheck.errors import RepoStateError, RunnerError
from relcheck.git import releases
from relcheck.git import repo as gitrepo
from relcheck.git.refname import tag_name_problem, version_problem
from relcheck.git.versions import Fact, committed_version, version_refusal
from relcheck.models import Status, StepResult
from relcheck.runners import _release_state as state
from relcheck.runners._release_state import Finding
from relcheck.runners.registry import Runner, StepContext

_NETWORK_TIMEOUT = Duration(10)


@dataclass(frozen=True)
class GitParams:
    """Which release preconditions to check; each is on unless switched off."""

    __pydantic_config__: ClassVar[dict[str, Any]] = {"extra": "forbid"}

    clean: bool = True  # no uncommitted changes to tracked files
    untracked: Literal["fail", "allow"] = "fail"  # untracked (not ignored) files
    branch: bool = True  # HEAD on `release.branch`, not detached
    upstream: bool = True  # HEAD not behind its upstream
    fetch: bool = False  # fetch the upstream's remote first
    tag: bool = True  # the release tag does not exist yet (locally)
    remote_tag: bool = True  # ... nor on `release.remote`
    version: bool = True  # the version is valid and agrees with pyproject.toml
    changelog: bool = True  # `release.changelog` has a section for the version
    new_commits: bool = True  # at least one commit since the previous release tag
    network_timeout: Duration = _NETWORK_TIMEOUT  # fetch and ls-remote give up after this


class GitRunner(Runner):
    """Checks that the repository is fit to release, before any other step runs."""

    name = "git"
    Params = GitParams
    precondition = True
    description = (
        "Release preconditions: clean tree, release branch, up to date, tag is new, "
        "version and changelog agree, commits since the last release."
    )

    def run(self, params: GitParams, ctx: StepContext) -> StepResult:
        root = ctx.workdir
        # Hook mode does not get here: a push is not a release, and the engine skips the
        # release preconditions for it (engine.run).
        if ctx.info.commit is None:
            raise RunnerError(f"{root} is not a git repository with a commit")
        try:
            return _check_all(params, ctx, root)
        except RepoStateError as exc:
            raise RunnerError(exc.message) from exc


def _check_all(params: GitParams, ctx: StepContext, root: str) -> StepResult:
    findings: list[Finding] = []
    released: str | None = None
    before: str | None = None
    if params.clean:
        own = state.own_paths(root, ctx.sink.log_path, ctx.info.own_paths)
        findings.extend(state.clean(root, params.untracked == "fail", own))
    if params.branch:
        findings.append(_branch(root, ctx))
    if params.upstream:
        findings.append(_upstream(root, ctx, params))
    if params.tag:
        tag_findings, released = _tag(root, ctx, params)
        findings.extend(tag_findings)
    history = None
    if (params.version or params.new_commits) and released is None and ctx.info.version:
        history = _history(root, ctx, params)
        findings.append(_finding("history", releases.history_fact(history)))
    if params.tag and released is None:
        before = _released_before(root, ctx, findings, history)
    if params.version:
        findings.append(_version(root, ctx, history))
    if params.changelog and ctx.checklist.release.changelog:
        findings.append(_changelog(root, ctx))
    if params.new_commits and history is not None and history.problem is None:
        findings.append(
            _finding(
                "new-commits",
                releases.new_commits_fact(root, history, ctx.info.tag, ctx.info.commit or ""),
            )
        )
    for finding in findings:
        ctx.sink.note(("ok   " if finding.ok else "FAIL ") + finding.line())
    failed = [f for f in findings if not f.ok]
    metrics: dict[str, Any] = {
        "checks": len(findings),
        "failed": [f.check for f in failed],
    }
    if released is not None:
        # Nothing will be tagged, so the other checks cannot stop anything: report them
        # in the log, and let the engine end the run as already released.
        metrics["already_released"] = ctx.info.tag
        return StepResult(Status.PASSED, released, metrics=metrics)
    if before is not None:
        metrics["released_before"] = before
    if failed:
        names = ", ".join(f.check for f in failed)
        return StepResult(
            Status.FAILED,
            f"{len(failed)} of {len(findings)} release preconditions failed: {names}",
            metrics=metrics,
            details=tuple(f.line() for f in failed),
        )
    brief = f"; {history.brief()}" if history is not None else ""
    return StepResult(
        Status.PASSED,
        f"{len(findings)} release preconditions hold{brief}",
        metrics=metrics,
        details=tuple(f.line() for f in findings),
    )


def _upstream(root: str, ctx: StepContext, params: GitParams) -> Finding:
    upstream = gitrepo.upstream_of(root)
    if upstream is None:
        return Finding("upstream", True, "the branch has no upstream to compare with")
    if params.fetch:
        remote = gitrepo.remote_of(root, ctx.info.branch or "") or upstream.split("/")[0]
        fetched = gitrepo.fetch(
            root, remote, timeout=params.network_timeout, cancel=ctx.cancel, log=ctx.sink
        )
        if not fetched.ok:
            return Finding(
                "upstream",
                False,
                f"could not fetch {remote!r}: {fetched.error}",
                "check the network and `git remote -v`, or set `fetch: false`",
            )
    ahead, behind = gitrepo.ahead_behind(root, upstream)
    if behind and ahead:
        return Finding(
            "upstream",
            False,
            f"the branch and {upstream} have diverged ({ahead} commits here, {behind} there)",
            "`git pull --rebase`, then run relcheck again",
        )
    if behind:
        return Finding(
            "upstream",
            False,
            f"{state.count(behind, 'commit')} behind {upstream}",
            "`git pull --ff-only`, then run relcheck again",
        )
    if ahead and ctx.checklist.release.push:
        # A pushed tag would name a commit the remote's branch does not have yet.
        return Finding(
            "upstream",
            False,
            f"{state.count(ahead, 'commit')} not pushed to {upstream}, and the tag is pushed",
            "`git push` the branch first, then run relcheck again",
        )
    note = f", {state.count(ahead, 'commit')} not pushed yet" if ahead else ""
    return Finding("upstream", True, f"up to date with {upstream}{note}")


def _tag(root: str, ctx: StepContext, params: GitParams) -> tuple[list[Finding], str | None]:
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
    timeout, cancel, log = params.network_timeout, ctx.cancel, ctx.sink
    existing = gitrepo.local_tag(root, tag)
    if existing is not None:
        if existing.commit != commit:
            return [state.elsewhere(tag, existing.commit, commit, "")], None
        checklist = ctx.checklist
        if not params.remote_tag:  # the remote is not to be asked: what is here decides
            release = dataclasses.replace(checklist.release, push=False)
            checklist = dataclasses.replace(checklist, release=release)
        released, finding = state.local_release(
            root, checklist, ctx.info, existing, timeout=timeout, cancel=cancel, log=log
        )
        return ([finding] if finding else []), released
    remote = ctx.checklist.release.remote
    if not params.remote_tag:
        return [Finding("tag", True, f"{tag} is new here (remote not asked)")], None
    if releases.usable_remote(root, remote) is None:
        if ctx.checklist.release.push:
            fix = f"`git remote add {remote} URL`, or change `release.remote`"
            return [Finding("tag", False, f"there is no remote {remote!r} to push to", fix)], None
        return [Finding("tag", True, f"{tag} is new (no remote {remote!r} to ask)")], None
    there, answer = gitrepo.remote_tag(root, remote, tag, timeout=timeout, cancel=cancel, log=log)
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
        return [state.elsewhere(tag, there.commit, commit, f" on {remote}")], None
    # At the checked commit on the remote only: read the tag object (fetched without
    # making a ref here) to tell a release relcheck made from a hand-made tag.
    if there.annotated and gitrepo.tag_message(root, there.object) is None:
        gitrepo.fetch_tag_object(root, remote, tag, timeout=timeout, cancel=cancel, log=log)
    why = state.not_made_by_relcheck(root, there)
    if why is not None:
        return [state.foreign(tag, why, remote)], None
    return [], (
        f"{tag} is already released on {remote} at {commit[:9]}: nothing to do "
        "(`git fetch --tags` brings the tag here)"
    )


def _released_before(
    root: str, ctx: StepContext, found: list[Finding], history: releases.History | None
) -> str | None:
    """The notice "v1.2.0 is already released at abc123def, an older commit" when the
    release tag exists at an ancestor of the checked commit: the version was released
    before, and this commit has nothing new to release (``--release-if-new`` passes)."""
    tag, commit = ctx.info.tag, ctx.info.commit
    if tag is None or commit is None or not any(f.check == "tag" and not f.ok for f in found):
        return None
    tagged = gitrepo.local_tag(root, tag)
    at = tagged.commit if tagged is not None else None
    if at is None and history is not None:  # only the remote has it (a shallow clone)
        at = next((t.commit for t in history.tags if t.name == tag), None)
    if not at or at == commit or not gitrepo.is_ancestor(root, at, commit):
        return None
    return f"{tag} is already released at {at[:9]}, an older commit"


def _finding(check: str, fact: Fact) -> Finding:
    return Finding(check, fact.ok, fact.text, fact.fix)


def _branch(root: str, ctx: StepContext) -> Finding:
    """On the release branch; a detached HEAD in CI is on the branch the CI names when it
    is that branch's tip (``context.ci_branch_at_head``), and only then."""
    from relcheck.engine.context import ci_branch_at_head

    wanted, on, commit = ctx.checklist.release.branch, ctx.info.branch, ctx.info.commit
    if gitrepo.head(root).branch is not None or commit is None:
        return state.branch(wanted, on, commit)
    ci = ci_branch_at_head(root, ctx.checklist.release.remote, commit)
    if not ci.note:  # no CI variable names a branch: detached is detached
        return state.branch(wanted, None, commit)
    if ci.name is None:
        return Finding(
            "branch",
            False,
            f"HEAD is detached at {commit[:9]}; {ci.note}",
            "release from the tip of the release branch (a CI job started by a push to it)",
        )
    finding = state.branch(wanted, ci.name, commit)
    return Finding("branch", True, f"on {ci.name}: {ci.note}") if finding.ok else finding


def _history(root: str, ctx: StepContext, params: GitParams) -> releases.History:
    release = ctx.checklist.release
    return releases.read(
        root,
        release.tag,
        releases.usable_remote(root, release.remote),
        ask_remote=params.remote_tag,
        timeout=params.network_timeout,
        cancel=ctx.cancel,
        log=ctx.sink,
    )


def _version(root: str, ctx: StepContext, history: releases.History | None) -> Finding:
    from relcheck.engine.context import project_version

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
    has_file, declared = committed_version(root, ctx.info.commit or "HEAD")
    if not has_file:
        declared = project_version(root)
    if declared is not None and declared != version:
        where = f" (as committed in {(ctx.info.commit or '')[:9]})" if has_file else ""
        return Finding(
            "version",
            False,
            f"the release version is {version} but pyproject.toml says {declared}{where}",
            f"bump the version in pyproject.toml to {version} and commit it "
            f"(or release {declared} instead)",
        )
    refused = version_refusal(version, prerelease=ctx.checklist.release.prerelease)
    if refused is not None:
        return _finding("version", refused)
    if history is None or history.problem is not None:
        return Finding("version", True, f"version {version}")
    again = releases.already_released(history, version, ctx.info.tag)
    if again is not None:
        return _finding("version", again)
    maintenance = releases.maintenance_branch(ctx.checklist.release.branch, ctx.info.branch)
    order = releases.newer_fact(
        root, history, version, ctx.info.tag, ctx.info.commit or "", maintenance=maintenance
    )
    return _finding("version", order)


def _changelog(root: str, ctx: StepContext) -> Finding:
    from relcheck.git.changelog import section_line

    path = ctx.checklist.release.changelog or ""
    version = ctx.info.version
    if version is None:
        return Finding("changelog", True, "no version to look for")
    heading = f"## [{version}] - YYYY-MM-DD"
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
        return Finding(
            "changelog",
            False,
            f"{path} has no section for {version}",
            f"add a heading `{heading}` with the changes of this release",
        )
    return Finding("changelog", True, f"{path}:{line} is the section for {version}")
