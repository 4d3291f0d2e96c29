"""Hook mode: ``relcheck run --hook pre-push``, as the installed hook calls it.

It checks what is pushed: for each pushed commit that lands on a branch (or tag) chosen
by the checklist's ``hook:`` section, the checks (never release steps) run on exactly that
commit, in a temporary worktree when the working tree is not that commit.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
from collections.abc import Callable, Iterator, Mapping
from typing import TextIO

from relcheck.engine import session as runflow
from relcheck.engine.pushedcommit import committed_checklist, missing_checklist
from relcheck.errors import ChecklistError, Problem, RelcheckError, UsageError
from relcheck.git import checkout, prepush
from relcheck.git import refs as gitrefs
from relcheck.models import Checklist, Outcome, RunResult, Status
from relcheck.report import Reporter
from relcheck.system.cienv import flag
from relcheck.system.interrupts import Cancellation, handle_signals
from relcheck.system.terminal import note


def pushed_refs(
    hook: str, root: str, stdin: TextIO | None, environ: Mapping[str, str]
) -> list[prepush.PushedRef]:
    """What is pushed: pre-commit's variables, else git's lines on stdin; HEAD's branch
    when there is no push input (another hook, or a run by hand at a terminal)."""
    if hook == "pre-push":
        from_env = prepush.from_pre_commit(environ)
        if from_env is not None:
            return from_env
        if stdin is None:  # closed when relcheck started: nothing is pushed through it
            return []
        if not stdin.isatty():
            return prepush.parse_lines(_read_text(stdin))
        note("no pre-push input on stdin: checking HEAD as if it were pushed")
    head = gitrefs.head(root)
    if head.commit is None:
        return []
    ref = f"refs/heads/{head.branch}" if head.branch else "HEAD"
    return [prepush.PushedRef(ref, head.commit, ref, prepush.ZERO_SHA)]


def _read_text(stdin: TextIO) -> str:
    """Git's pre-push lines, whatever the locale says stdin's encoding is: ref names are
    bytes, and a branch named in UTF-8 must not stop the hook under an ASCII locale."""
    raw = getattr(stdin, "buffer", None)
    if raw is None:
        return stdin.read()
    return bytes(raw.read()).decode("utf-8", "surrogateescape")


@contextlib.contextmanager
def as_committed(tree: str, within: str) -> Iterator[None]:
    """Errors in the pushed commit's checklist name the file as committed and the commit
    and refs (``within``), not the temporary worktree gone by the time one reads them."""

    def committed(path: str) -> str:
        inside = os.path.relpath(os.path.abspath(path), tree)
        return path if inside.startswith("..") else inside

    try:
        yield
    except ChecklistError as exc:
        problems = [
            Problem(
                dataclasses.replace(p.location, path=committed(p.location.path), within=within),
                p.message,
            )
            for p in exc.problems
        ]
        raise ChecklistError(problems) from None
    except RelcheckError as exc:
        exc.message = f"{exc.message.replace(tree + os.sep, '')} (in {within})"
        raise


def _working_checklist(request: runflow.RunRequest) -> Checklist | None:
    try:
        return runflow.load(request)
    except RelcheckError:
        return None


def _hook_steps(checklist: Checklist, tree: str) -> tuple[str, ...]:
    known = {s.id for s in checklist.steps}
    unknown = [s for s in checklist.hook.steps if s not in known]
    if unknown:
        where = os.path.relpath(checklist.path, tree)  # as in the repository
        raise UsageError(
            f"{where}: hook.steps names unknown step(s): {', '.join(unknown)}",
            hint=f"steps are: {', '.join(sorted(known))}",
        )
    return checklist.hook.steps


def run_hook(
    hook: str,
    request: runflow.RunRequest,
    make_reporter: Callable[[], Reporter],
    stdin: TextIO | None,
    environ: Mapping[str, str],
) -> int:
    """Run the hook's checks; return the exit code (non-zero refuses the push)."""
    if flag(environ, "RELCHECK_SKIP"):
        note(f"RELCHECK_SKIP is set: the {hook} checks are skipped")
        return 0
    if hook == "pre-push":
        for line in checkout.remove_leftovers(request.root).notes():
            note(line)
    refs = pushed_refs(hook, request.root, stdin, environ)
    if not refs:
        note("nothing to check: the push sends no commits")
        return 0
    if all(ref.deletes for ref in refs):
        note("nothing to check: the push only deletes refs")
        return 0
    if hook == "pre-push":
        # Before anything else, and for every pusher: a release tag must be one relcheck
        # made for a passing run, or it says what was never checked.
        from relcheck.engine.hooktags import guard_release_tags

        refused, refs = guard_release_tags(request, refs)
        if refused:
            return refused
        if not refs:
            return 0
    if environ.get("RELCHECK_RUN_ID"):
        # A step of a relcheck run (the release step pushing its tag) is pushing: that
        # run has checked this commit already, and holds the lock a second run would need.
        note(f"pushed by a step of relcheck run {environ['RELCHECK_RUN_ID']}: nothing to check")
        return 0
    targets: list[prepush.Target] = []
    unselected: list[str] = []
    by_sha: dict[str, list[prepush.PushedRef]] = {}
    for ref in refs:
        if not ref.deletes:
            by_sha.setdefault(ref.local_sha, []).append(ref)
    for sha, pushed in by_sha.items():
        names = ", ".join(r.remote_ref for r in pushed)
        commit = gitrefs.ref_commit(request.root, sha)
        if commit is None:  # a tag of a tree or a blob: no commit to check
            kind = gitrefs.peeled_kind(request.root, sha)
            what = f"a {kind}" if kind else "an object that is not here"
            note(f"nothing to check: {names} points at {what}, not a commit")
            continue
        # Another hook checks the working tree, which has a checklist HEAD may not have.
        missing = missing_checklist(request, commit) if hook == "pre-push" else None
        if missing is not None:
            # A branch of web pages, or a commit from before the project used relcheck:
            # it has no checks to run. (A release tag on one was refused above.)
            note(f"nothing to check: {names} ({commit[:9]}) has no {missing}")
            continue
        # The pushed commit's own checklist says which refs its hook checks; when it
        # does not load, the working tree's does; when neither does, the commit is
        # checked, and its run says what is wrong with its checklist.
        chosen = committed_checklist(request, sha) or _working_checklist(request)
        found = prepush.targets(chosen, pushed)
        targets.extend(found)
        if chosen is not None and not found:
            patterns = chosen.hook.branches or prepush.default_patterns(chosen)
            unselected.append(
                f"{', '.join(r.remote_ref for r in pushed)} not selected by hook.branches "
                f"({', '.join(patterns)})"
            )
    if not targets:
        if unselected:
            note(f"nothing to check: {'; '.join(unselected)}")
        return 0
    confirm = [s.strip() for s in environ.get("RELCHECK_CONFIRM", "").split(",") if s.strip()]
    if confirm:
        from relcheck.git.identity import user_identity

        who = user_identity(request.root)
        request = dataclasses.replace(
            request, confirmations={**request.confirmations, **dict.fromkeys(confirm, who)}
        )
    code = 0
    for target in targets:
        code = max(code, _check(hook, target, request, make_reporter))
        if code >= 130:
            break
    return code


def _check(
    hook: str,
    target: prepush.Target,
    request: runflow.RunRequest,
    make_reporter: Callable[[], Reporter],
) -> int:
    root = request.root
    sha = checkout.resolve_commit(root, target.sha)
    with handle_signals(Cancellation()) as cancellation:
        if hook != "pre-push":
            # Before a commit or merge, what will be committed is the working tree itself.
            place: contextlib.AbstractContextManager[str] = contextlib.nullcontext(root)
        else:
            needed = checkout.needs_worktree(root, sha)
            place = checkout.checkout(root, sha, needed)
            if needed:
                note(
                    f"checking {sha[:12]} ({', '.join(target.refs)}) in a clean temporary "
                    "worktree: the working tree is not exactly that commit"
                )
        with place as tree:
            reporter = make_reporter()
            with as_committed(tree, f"{sha[:9]}, {', '.join(target.refs)}"):
                loaded = runflow.load(dataclasses.replace(request, workdir=tree))
            run_request = dataclasses.replace(
                request,
                mode="hook",
                workdir=None if tree == root else tree,
                commit=sha,
                branch=target.branch,
                only=_hook_steps(loaded, tree),
                dry_run=False,
                interactive=False,
            )
            result, record_path = runflow.execute(run_request, reporter, cancellation)
    reporter.finish(result, record_path)
    code = runflow.exit_code(result, cancellation)
    if result.outcome is not Outcome.PASSED:
        verb = "refused" if hook == "pre-push" else "stopped"
        stopped = _stopped_by(result, cancellation)
        note(
            f"{hook} {verb}: {stopped or result.message or result.outcome}. "
            f"Full record: relcheck show {result.info.run_id}"
        )
        if hook == "pre-push" and stopped:
            # Nothing failed: there is nothing to fix, only the push to make again.
            note("nothing was pushed; `git push` again to run the checks and push")
        elif hook == "pre-push":
            note(f"fix: {push_fix(result)}")
    return code


def _stopped_by(result: RunResult, cancellation: Cancellation) -> str | None:
    """How a run stopped by a signal stopped, in words; None for a run that ended."""
    if result.outcome is Outcome.INTERRUPTED:
        how = "interrupted (Ctrl-C)"
    elif result.outcome is Outcome.TERMINATED:
        import signal

        number = cancellation.signal or signal.SIGTERM
        how = f"stopped by {signal.Signals(number).name}"
    else:
        return None
    return f"{how} before the checks finished"


def push_fix(result: RunResult) -> str:
    """One command that lets this push through when only confirmations are missing;
    else what to fix, then the same push again."""
    failed = [
        r
        for r in result.steps
        if not r.optional and r.status not in (Status.PASSED, Status.CACHED, Status.SKIPPED)
    ]
    confirm = [r.metrics.get("confirm_env") for r in failed]
    if failed and all(confirm):
        return f"`RELCHECK_CONFIRM={','.join(str(c) for c in confirm)} git push`"
    shown = ", ".join(repr(r.step_id) for r in failed) or "the steps above"
    return (
        f"make {shown} pass, commit, and `git push` again "
        "(`git push --no-verify` skips the checks once)"
    )
