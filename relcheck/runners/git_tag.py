"""The ``git-tag`` release step: tag the checked commit, push it, or leave nothing behind."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, ClassVar

from relcheck.api import (
    Checklist,
    Duration,
    RunInfo,
    Runner,
    RunnerError,
    Status,
    StepContext,
    StepResult,
)
from relcheck.errors import RepoStateError
from relcheck.git import door
from relcheck.git import remotes as gitremotes
from relcheck.git import tags as gittags
from relcheck.git.refname import tag_name_problem, version_problem
from relcheck.models import Outcome, RunResult
from relcheck.runners import _release_state as state
from relcheck.runners import _release_tags as release_tags

_PUSH_TIMEOUT = Duration(60)
# How long, at most, the remote is asked after a push error whether it has the tag.
_TRUTH_TIMEOUT = 15.0


@dataclass(frozen=True)
class GitTagParams:
    """How the tag is made; its name, signing, push and remote come from `release:`."""

    __pydantic_config__: ClassVar[dict[str, Any]] = {"extra": "forbid"}

    title: str | None = None  # first line of the tag message (default: "Release <tag>")
    push_timeout: Duration = _PUSH_TIMEOUT  # the push gives up after; the remote is then asked
    notes: bool = False  # put the release notes (relcheck notes) in the tag's message


class GitTagRunner(Runner):
    """Creates the annotated release tag on the checked commit, with the run's summary."""

    name = "git-tag"
    Params = GitTagParams
    release = True
    description = (
        "The release step: an annotated (or signed) tag on the checked commit carrying the "
        "run summary, pushed when `release.push` is true; after a push error the remote is "
        "asked, and the local tag is removed only when the remote does not have it."
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
        existing = gittags.local_tag(info.root, info.tag) if info.tag else None
        if existing is not None:  # made by relcheck for this commit, or it would fail
            left = f"; the release would resume with {', '.join(info.resume)}"
            return f"{info.tag} exists at {existing.commit[:7]}: would not tag again" + (
                left if info.resume else ""
            )
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
    existing = gittags.local_tag(root, tag)
    if existing is not None and existing.commit != commit:
        return f"tag {tag} exists at {existing.commit[:9]}"
    if existing is not None:
        _, finding = release_tags.local_release(
            root, checklist, info, existing, timeout=float(params.push_timeout)
        )
        return finding.line() if finding is not None else None  # else: already released
    return state.tag_refusal(root, checklist, info)


def _release(params: GitTagParams, ctx: StepContext) -> StepResult:
    from relcheck.git import tagmessage

    info, release, root = ctx.info, ctx.checklist.release, ctx.workdir
    tag, commit = info.tag, info.commit
    if tag is None or commit is None:
        return StepResult(Status.FAILED, "no release version or no commit: nothing to tag")
    problem = tag_name_problem(tag) or (version_problem(info.version) if info.version else None)
    if problem:
        return StepResult(Status.FAILED, f"refusing to tag {tag!r}: {problem}")
    existing = gittags.local_tag(root, tag)
    if existing is not None:
        if existing.commit == commit:
            timeout = min(params.push_timeout, max(1.0, ctx.remaining()))
            released, finding = release_tags.local_release(
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
    if params.notes:
        message = _with_notes(message, ctx, done)
    ctx.sink.note(f"creating {'signed ' if release.sign else ''}tag {tag} at {commit}")
    try:
        made = gittags.create_tag(root, tag, commit, message, sign=release.sign)
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
    pushed = gitremotes.push_tag(
        root, release.remote, tag, timeout=timeout, cancel=ctx.cancel, log=ctx.sink
    )
    if pushed.ok:
        return StepResult(
            Status.PASSED,
            f"created {what} and pushed it to {release.remote}",
            metrics={**metrics, "pushed": True},
        )
    return _after_push_error(root, release.remote, made, what, pushed, params, ctx)


def _after_push_error(
    root: str,
    remote: str,
    made: gittags.TagRef,
    what: str,
    pushed: door.NetworkResult,
    params: GitTagParams,
    ctx: StepContext,
) -> StepResult:
    """What is true after a push that did not end well: the remote is asked (a push
    stopped by a timeout or a signal may have landed before it was stopped, as a slow
    ``post-receive`` hook shows), and the local tag goes only when the remote lacks it."""
    tag, reason = made.name, _push_reason(pushed)
    details = tuple(line for line in pushed.error.splitlines() if line.strip())
    metrics: dict[str, Any] = {
        "tag": tag,
        "commit": made.commit,
        "tag_object": made.object,
        "signed": ctx.checklist.release.sign,
        "push_error": reason,
    }
    # A fresh event: the run's own may be set already (the push was interrupted), and
    # the answer is needed all the more then.
    timeout = min(_TRUTH_TIMEOUT, float(params.push_timeout))
    there, answer = gitremotes.remote_tag(
        root, remote, tag, timeout=timeout, cancel=threading.Event(), log=ctx.sink
    )
    interrupted = ctx.cancel.is_set()
    if answer.ok and there is not None and there.object == made.object:
        return StepResult(
            Status.PASSED,
            f"created {what} and pushed it to {remote}: git push said {reason!r}, but "
            f"`git ls-remote` shows {remote} has {tag} at {made.commit[:9]}: the release is made",
            details=details,
            metrics={**metrics, "pushed": True, "remote_checked": True},
        )
    if (
        answer.ok
        and there is not None
        and release_tags.made_by_another_run(root, remote, there, made.commit, timeout=timeout)
    ):
        # Two runs of one commit raced and the other pushed first: the release exists,
        # as the checklist asks. This run's own tag object is not the remote's: it goes.
        left = gittags.delete_tag(root, made)
        return StepResult(
            Status.PASSED,
            f"{remote} already has {tag} at {made.commit[:9]}, made by another relcheck run "
            f"of this commit: the release is made (`git fetch --tags` brings that tag here)"
            + ("" if left is None else f"; delete this run's own with `git tag -d {tag}`"),
            details=details,
            metrics={**metrics, "pushed": False, "already_released": tag, "remote_checked": True},
        )
    status = Status.INTERRUPTED if interrupted else Status.FAILED
    if not answer.ok and pushed.stopped:
        # Unknown: git was stopped, so the tag may be there. Removing it here would
        # hide a release that exists; keeping it lets the next run (or a person) ask.
        return StepResult(
            status,
            f"pushing {tag} to {remote} failed: {reason}; could not ask {remote} whether "
            f"it has {tag} ({_push_reason(answer)}): the local tag is kept; see `git "
            f"ls-remote {remote} refs/tags/{tag}`, then push it (`git push {remote} "
            f"refs/tags/{tag}`) or delete it (`git tag -d {tag}`)",
            details=details,
            metrics={**metrics, "tag_removed": False},
        )
    if not answer.ok:  # git ended by itself and did not report the tag accepted
        found = f"git did not push it ({remote} could not be asked: {_push_reason(answer)})"
    elif there is None:
        found = f"{remote} does not have {tag} (`git ls-remote`)"
    else:
        found = f"{remote} has another {tag}, at {there.commit[:9]}"
    left = gittags.delete_tag(root, made)
    removal = (
        "the local tag was removed, so a rerun starts clean"
        if left is None
        else f"the local tag could not be removed ({left}): delete it with `git tag -d {tag}`"
    )
    return StepResult(
        status,
        f"pushing {tag} to {remote} failed: {reason}; {found}; {removal}",
        details=details,
        metrics={**metrics, "pushed": False, "tag_removed": left is None},
    )


def _push_reason(pushed: door.NetworkResult) -> str:
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


def _with_notes(message: str, ctx: StepContext, done: list[StepResult]) -> str:
    """The release notes inside the tag's message, before its trailers."""
    import time

    from relcheck.evidence.stage import tag_message

    now = time.time()
    run = RunResult(
        ctx.info, Outcome.PASSED, min([now, *(r.started_at for r in done)]), now, tuple(done)
    )
    return tag_message(message, ctx.workdir, ctx.checklist, run)
