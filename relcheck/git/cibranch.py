"""The branch a CI job is on when its checkout left HEAD detached, taken only when HEAD is
that branch's tip."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from relcheck.git import refs as gitrefs


@dataclass(frozen=True)
class CiBranch:
    """The branch a CI job names for a detached HEAD, if HEAD is that branch's tip."""

    name: str | None  # None: not taken (or no CI variable names a branch)
    note: str  # how it was verified, or why it was not taken; "" when no CI names one


def ci_branch_at_head(
    root: str, remote: str, commit: str, environ: Mapping[str, str] = os.environ
) -> CiBranch:
    """The branch CI variables name (GITHUB_REF_NAME, CI_COMMIT_BRANCH, ...), taken for a
    detached HEAD only when ``commit`` is that branch's tip: here (``refs/heads/<b>``,
    ``refs/remotes/<remote>/<b>``) or, failing that, on ``remote`` (``git ls-remote``).
    A job for another commit (a pull request's merge commit, an older commit) is on no
    branch."""
    from relcheck.git import remotes as gitremotes  # only when CI names a branch
    from relcheck.git.refname import tag_name_problem
    from relcheck.git.releases import reason
    from relcheck.system.cienv import ci_branch

    named = ci_branch(environ)
    if named is None:
        return CiBranch(None, "")
    branch, variable = named
    if tag_name_problem(branch):  # branch names follow the same ref-name rules
        return CiBranch(None, f"{variable}={branch!r} is not a branch name")
    known = gitremotes.remotes(root)
    order = [remote, *(r for r in known if r != remote)] if remote in known else known
    for ref in [f"refs/heads/{branch}", *(f"refs/remotes/{r}/{branch}" for r in order)]:
        if gitrefs.ref_commit(root, ref) == commit:
            shown = ref.removeprefix("refs/remotes/").removeprefix("refs/heads/")
            return CiBranch(branch, f"HEAD is the tip of {shown}, the branch {variable} names")
    if remote not in known:
        return CiBranch(None, f"{variable} names {branch!r}, but HEAD is not its tip here")
    heads, answer = gitremotes.remote_refs(
        root, remote, "heads", timeout=10.0, pattern=f"refs/heads/{branch}"
    )
    if heads is None:
        return CiBranch(
            None,
            f"{variable} names {branch!r}, but {remote!r} could not be asked whether HEAD is "
            f"its tip ({reason(answer.error)})",
        )
    tip = heads.get(branch)
    if tip == commit:
        return CiBranch(branch, f"HEAD is the tip of {branch} on {remote}, as {variable} says")
    where = f"{remote}/{branch} is at {tip[:9]}" if tip else f"{remote} has no branch {branch!r}"
    return CiBranch(None, f"{variable} names {branch!r}, but HEAD is not its tip ({where})")
