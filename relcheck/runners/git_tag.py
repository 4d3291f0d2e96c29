"""The ``git-tag`` release step: tag the checked commit, push it, or leave nothing behind."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from relcheck import gitrepo
from relcheck.durations import Duration
from relcheck.errors import RepoStateError, RunnerError
from relcheck.models import Checklist, RunInfo, Status, StepResult
from relcheck.refname import tag_name_problem, version_problem
from relcheck.registry import Runner, StepContext
from relcheck.runners import _release_state as state

_PUSH_TIMEOUT = Duration(60)


@dataclass(frozen=True)
class GitTagParams:
    """How the tag is made; its name, signing, push and remote come from `release:`."""

    __pydantic_config__: ClassVar[dict[str, Any]] = {"extra": "forbid"}

    title: str | None = None  # first line of the tag message (default: "Release <tag>")
    push_timeout: Duration = _PUSH_TIMEOUT  # the push gives up (and the tag is removed) after


class GitTagRunner(Runner):
    """Creates the annotated release tag on the checked commit, with the run's summary."""

    name = "git-tag"
    Params = GitTagParams
    release = True
    description = (
        "The release step: an annotated (or signed) tag on the checked commit carrying the "
        "run summary, pushed when `release.push` is true; a failed push removes it again."
    )

    @staticmethod
    def describe(params: GitTagParams, checklist: Checklist, info: RunInfo) -> str | StepResult:
        """What a real run would do, for ``--dry-run``: the same questions the release
        step asks before it tags, answered without tagging. A tag that could not be made
        is a FAILED result ("would fail: ..."), so the dry run fails as the run would."""
        try:
            problem = _would_fail(params, checklist, info)
        except RepoStateError as exc:
            problem = exc.message
        if problem is not None:
            return StepResult(Status.FAILED, f"would fail: {problem}")
        release = checklist.release
        text = f"would tag {info.tag} at {(info.commit or '-')[:7]}"
        text += " (signed)" if release.sign else ""
        return text + (f" and push to {release.remote}" if release.push else "")

    def run(self, params: GitTagParams, ctx: StepContext) -> StepResult:
        try:
            return _release(params, ctx)
        except RepoStateError as exc:
            raise RunnerError(exc.message) from exc


def _would_fail(params: GitTagParams, checklist: Checklist, info: RunInfo) -> str | None:
    """Why a real run's release step would make no tag, or None when it would tag."""
    tag, commit, root = info.tag, info.commit, info.root
    if tag is None or commit is None:
        return "no release version or no commit: nothing to tag"
    problem = tag_name_problem(tag) or (version_problem(info.version) if info.version else None)
    if problem:
        return f"{tag!r}: {problem}"
    existing = gitrepo.local_tag(root, tag)
    if existing is not None and existing.commit != commit:
        return f"tag {tag} exists at {existing.commit[:9]}"
    if existing is not None:
        _, finding = state.local_release(
            root, checklist, info, existing, timeout=float(params.push_timeout)
        )
        return finding.line() if finding is not None else None  # else: already released
    return state.tag_refusal(root, checklist, info)


def _release(params: GitTagParams, ctx: StepContext) -> StepResult:
    from relcheck import tagmessage

    info, release, root = ctx.info, ctx.checklist.release, ctx.workdir
    tag, commit = info.tag, info.commit
    if tag is None or commit is None:
        return StepResult(Status.FAILED, "no release version or no commit: nothing to tag")
    problem = tag_name_problem(tag) or (version_problem(info.version) if info.version else None)
    if problem:
        return StepResult(Status.FAILED, f"refusing to tag {tag!r}: {problem}")
    existing = gitrepo.local_tag(root, tag)
    if existing is not None:
        if existing.commit == commit:
            timeout = min(params.push_timeout, max(1.0, ctx.remaining()))
            released, finding = state.local_release(
                root,
                ctx.checklist,
                info,
                existing,
                timeout=timeout,
                cancel=ctx.cancel,
                log=ctx.sink,
            )
            if finding is not None:
                return StepResult(Status.FAILED, f"refusing to tag: {finding.line()}")
            return StepResult(
                Status.PASSED, released or "already released", metrics={"already_released": tag}
            )
        return StepResult(
            Status.FAILED,
            f"{tag} already exists at {existing.commit[:9]}, not at the checked commit "
            f"{commit[:9]}; an existing tag is never moved",
        )
    # Files a check declared under `writes:` and changed in this run are not changes to
    # release: they were the commit's when the checks began.
    written = tuple(
        str(path) for result in ctx.results.values() for path in result.metrics.get("writes", ())
    )
    own = state.own_paths(root, ctx.sink.log_path, info.own_paths) + written
    refusal = state.tag_refusal(root, ctx.checklist, info, own)
    if refusal is not None:
        return StepResult(Status.FAILED, refusal)
    done = [ctx.results[s.id] for s in ctx.checklist.steps if s.id in ctx.results]
    message = tagmessage.compose(info, done, params.title)
    ctx.sink.note(f"creating {'signed ' if release.sign else ''}tag {tag} at {commit}")
    try:
        made = gitrepo.create_tag(root, tag, commit, message, sign=release.sign)
    except RepoStateError as exc:
        return StepResult(Status.FAILED, f"could not create {tag}: {exc.message}")
    metrics: dict[str, Any] = {
        "tag": tag,
        "commit": commit,
        "tag_object": made.object,
        "signed": release.sign,
        "pushed": False,
    }
    what = f"{'signed tag' if release.sign else 'tag'} {tag} at {commit[:9]}"
    if not release.push:
        return StepResult(Status.PASSED, f"created {what}", metrics=metrics)
    timeout = min(params.push_timeout, max(1.0, ctx.remaining()))
    pushed = gitrepo.push_tag(
        root, release.remote, tag, timeout=timeout, cancel=ctx.cancel, log=ctx.sink
    )
    if pushed.ok:
        return StepResult(
            Status.PASSED,
            f"created {what} and pushed it to {release.remote}",
            metrics={**metrics, "pushed": True},
        )
    # Never a half release: without the push, the local tag goes too, so a rerun starts
    # clean. (If the remote did take it before the timeout, the rerun sees it there at
    # this commit and reports the release as made.)
    left = gitrepo.delete_tag(root, made)
    removal = (
        "the local tag was removed, so a rerun starts clean"
        if left is None
        else f"the local tag could not be removed ({left}): delete it with `git tag -d {tag}`"
    )
    status = Status.INTERRUPTED if ctx.cancel.is_set() else Status.FAILED
    return StepResult(
        status,
        f"pushing {tag} to {release.remote} failed: {_push_reason(pushed)}; {removal}",
        details=tuple(line for line in pushed.error.splitlines() if line.strip()),
        metrics={**metrics, "tag_removed": left is None},
    )


def _push_reason(pushed: gitrepo.NetworkResult) -> str:
    """The line that says why git did not push: the refused ref's reason
    (``remote rejected (pre-receive hook declined)``), else git's first ``fatal:`` or
    ``error:`` line, else its last word."""
    for line in pushed.stdout.splitlines():
        if line.startswith("!"):  # --porcelain: "!<TAB>from:to<TAB>[rejected] (why)"
            return line.split("\t")[-1].strip().replace("[", "", 1).replace("]", "", 1)
    lines = [line.strip() for line in pushed.error.splitlines() if line.strip()]
    for line in lines:
        if line.startswith(("fatal:", "error:")):
            return line.split(":", 1)[1].strip()
    return lines[-1] if lines else "no reason given"
