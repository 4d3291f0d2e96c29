"""The ``git`` runner: is the repository in a state to release? Every check at once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from relcheck.api import Duration, Runner, RunnerError, Status, StepContext, StepResult
from relcheck.errors import RepoStateError
from relcheck.git import refs as gitrefs
from relcheck.git import releases
from relcheck.git import remotes as gitremotes
from relcheck.runners import _git_release_checks as checks
from relcheck.runners import _release_state as state
from relcheck.runners._release_state import Finding

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
        findings.append(checks.checklist_finding(root, ctx))
        tag_findings, released = checks.tag_findings(
            root, ctx, ask_remote=params.remote_tag, timeout=params.network_timeout
        )
        findings.extend(tag_findings)
    history = None
    if (params.version or params.new_commits) and released is None and ctx.info.version:
        history = checks.release_history(
            root, ctx, ask_remote=params.remote_tag, timeout=params.network_timeout
        )
        findings.append(checks.as_finding("history", releases.history_fact(history)))
    if params.tag and released is None:
        before = checks.released_before(root, ctx, findings, history)
    if params.version:
        findings.append(checks.version_finding(root, ctx, history))
    if params.changelog and ctx.checklist.release.changelog:
        findings.append(checks.changelog_finding(root, ctx))
    if params.new_commits and history is not None and history.problem is None:
        findings.append(
            checks.as_finding(
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
    development = checks.development_version(ctx)
    if development is not None:
        metrics["development_version"] = development
    dropped = sorted({f.check for f in failed if not f.keep_fix_on_refusal})
    if dropped:  # the engine says these without their fix when it only refuses the release
        metrics["fix_dropped_on_refusal"] = dropped
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
    upstream = gitrefs.upstream_of(root)
    if upstream is None:
        return Finding("upstream", True, "the branch has no upstream to compare with")
    if params.fetch:
        remote = gitremotes.remote_of(root, ctx.info.branch or "") or upstream.split("/")[0]
        fetched = gitremotes.fetch(
            root, remote, timeout=params.network_timeout, cancel=ctx.cancel, log=ctx.sink
        )
        if not fetched.ok:
            return Finding(
                "upstream",
                False,
                f"could not fetch {remote!r}: {fetched.error}",
                "check the network and `git remote -v`, or set `fetch: false`",
            )
    ahead, behind = gitrefs.ahead_behind(root, upstream)
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


def _branch(root: str, ctx: StepContext) -> Finding:
    """On the release branch; a detached HEAD in CI is on the branch the CI names when it
    is that branch's tip (``cibranch.ci_branch_at_head``), and only then."""
    from relcheck.git.cibranch import ci_branch_at_head

    wanted, on, commit = ctx.checklist.release.branch, ctx.info.branch, ctx.info.commit
    if gitrefs.head(root).branch is not None or commit is None:
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
