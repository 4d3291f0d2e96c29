"""The pre-push hook's guard of release tags: a pushed release tag must be one relcheck
made for a passing run of its commit with the project's committed checklist, checked as
`relcheck verify` checks it; such a tag needs no checks run again."""

from __future__ import annotations

from relcheck.engine import session as runflow
from relcheck.engine.pushedcommit import committed_checklist, missing_checklist
from relcheck.errors import RelcheckError
from relcheck.git import prepush
from relcheck.models import Checklist
from relcheck.system.terminal import note


def guard_release_tags(
    request: runflow.RunRequest, refs: list[prepush.PushedRef]
) -> tuple[int, list[prepush.PushedRef]]:
    """Verify each pushed release tag; return 1 when one is not a tag relcheck made for a
    passing run of its commit (the push is refused), and the refs left to check."""
    from relcheck.git import door
    from relcheck.git import refs as gitrefs

    root, code, left = request.root, 0, []
    for ref in refs:
        obj = ""
        if not ref.deletes and ref.remote_ref.startswith("refs/tags/"):
            obj = door.git(root, "rev-parse", "--verify", "-q", ref.local_sha, check=False)
        if not obj:  # not a tag
            left.append(ref)
            continue
        commit = gitrefs.ref_commit(root, obj)
        checklist = _release_checklist(request, commit)
        if checklist is None or _version(ref, checklist) is None:
            left.append(ref)  # not a release tag of this project: the hook's usual checks
            continue
        if commit is None:
            code = _refuse_no_commit(ref, checklist, gitrefs.peeled_kind(root, obj) or "")
        elif not _passes(request, ref, obj, commit, checklist):
            code = 1
    return code, left


def _release_checklist(request: runflow.RunRequest, commit: str | None) -> Checklist | None:
    """The checklist that says what a release tag is: the commit's, else the working
    tree's; None when it has no `git-tag` step, or when neither the commit nor the
    working tree has a checklist."""
    checklist = committed_checklist(request, commit) if commit else None
    if checklist is None:
        try:
            checklist = runflow.load(request)
        except RelcheckError:
            if commit and missing_checklist(request, commit) is None:
                raise  # the commit has one: the working tree's error is the run's to show
            return None
    return checklist if any(step.uses == "git-tag" for step in checklist.steps) else None


def _version(ref: prepush.PushedRef, checklist: Checklist) -> str | None:
    from relcheck.git.versions import tag_version

    parsed = tag_version(ref.name, checklist.release.tag)
    return None if parsed is None else str(parsed)


def _fix(ref: prepush.PushedRef) -> str:
    local = ref.local_ref.removeprefix("refs/tags/")
    return (
        f"fix: delete it with `git tag -d {local}`, and let `relcheck run` make the release "
        "tag: it tags only a commit on which every required step passed. "
        "`git push --no-verify` skips this check once"
    )


def _refuse_no_commit(ref: prepush.PushedRef, checklist: Checklist, kind: str) -> int:
    what = f"a {kind}" if kind else "no commit"
    note(
        f"pre-push refused: {ref.name} points at {what}, not a commit: a release tag (it "
        f"names version {_version(ref, checklist)}) must name the commit that was released"
    )
    note(_fix(ref))
    return 1


def _passes(
    request: runflow.RunRequest,
    ref: prepush.PushedRef,
    obj: str,
    commit: str,
    checklist: Checklist,
) -> bool:
    """Whether the release tag ``ref`` (object ``obj``, of ``commit``) verifies; says
    which way, and when not, why and the fix."""
    from relcheck.git import verify

    head = (
        f"pre-push refused: {ref.name} is a release tag (it names version "
        f"{_version(ref, checklist)}), but"
    )
    missing = missing_checklist(request, commit)
    if missing is not None:
        note(
            f"{head} {commit[:9]} has no {missing}: no relcheck run can have checked it, "
            "so nothing shows that it passed the project's checks"
        )
        note(_fix(ref))
        return False
    rules = verify.ReleaseRules(checklist.release.tag, checklist.release.version_from)
    verdict = verify.check(request.root, ref.name, obj, rules)
    if verdict.ok:
        run = verdict.record.summary.run_id if verdict.record else "-"
        note(
            f"{ref.name}: a release tag relcheck made for a passing run of {commit[:9]} "
            f"(run {run}): verified, pushed without running the checks again"
        )
        return True
    note(f"{head} not one relcheck made for a passing run of {commit[:9]}:")
    for problem in verdict.problems:
        note(f"  {problem}")
    note(_fix(ref))
    return False
