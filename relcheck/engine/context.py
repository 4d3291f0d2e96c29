"""Work out what a run is about: repository, commit, branch, version, tag, run id."""

from __future__ import annotations

import os
import time

from relcheck import __version__
from relcheck.errors import UsageError
from relcheck.git import describe as gitdescribe
from relcheck.git import refs as gitrefs
from relcheck.git.versions import without_v
from relcheck.models import Checklist, RunInfo, StepKind
from relcheck.system.pyproject import project_version


def new_run_id() -> str:
    """A sortable, unique run id: ``20261126T101500Z-3fa2``."""
    now = time.time()
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now))
    # The suffix starts with the milliseconds (3 hex digits), so ids of runs made in the
    # same second still sort in order: `--failed` and `latest` rely on that order.
    millis = int(now % 1 * 1000)
    return f"{stamp}-{millis:03x}{os.urandom(1).hex()[0]}"


def resolve_version(
    checklist: Checklist, root: str, cli_version: str | None, *, releasing: bool = False
) -> str | None:
    """The release version, from the command line, pyproject.toml or git describe, as
    PEP 440 reads it: without a leading ``v`` (the tag template says whether tags have
    one).

    ``releasing`` is true for runs that may reach the release steps: there a version
    that only ``--version`` can give must be given, before any step runs."""
    if cli_version:
        from relcheck.git.refname import tag_name_problem, version_problem

        version = without_v(cli_version)  # a CI tag build passes its tag name, v1.3.0
        tag = render_tag(checklist.release.tag, version) or ""
        problem = version_problem(version) or tag_name_problem(tag)
        if problem:
            raise UsageError(f"--version {cli_version!r}: {problem}")
        return version
    source = checklist.release.version_from
    if source == "pyproject":
        from relcheck.git.checklistpath import folder_here

        # The project the checklist belongs to: in a repository of several packages,
        # the pyproject.toml nearest the checklist.
        real = os.path.realpath
        folder = folder_here(root, os.path.relpath(real(checklist.path), real(root)))
        declared = project_version(os.path.join(root, folder))
        return without_v(declared) if declared is not None else None
    if releasing and source == "cli":
        raise UsageError(
            "version_from: cli needs --version VERSION", hint="relcheck run --version 1.3.0"
        )
    if source == "git-describe":
        # A new release has no tag yet, so git describe cannot name it: it names the
        # previous release (for the new-commits check), and --version the new one.
        if releasing:
            previous = gitdescribe.describe_version(root, checklist.release.tag, exact=False)
            raise UsageError(
                "version_from: git-describe needs --version VERSION",
                hint=f"the previous release is {previous[0]}"
                if previous
                else "there is no earlier release tag",
            )
        at_head = gitdescribe.describe_version(root, checklist.release.tag, exact=True)
        return without_v(at_head[1]) if at_head else None
    return None


def render_tag(template: str, version: str | None) -> str | None:
    """The tag name for ``version`` (None when there is no version)."""
    if version is None:
        return None if "{version}" in template else template
    return template.replace("{version}", version)


def build_run_info(
    checklist: Checklist,
    root: str,
    *,
    cli_version: str | None = None,
    dry_run: bool = False,
    only: tuple[str, ...] = (),
    skipped: dict[str, str] | None = None,
    mode: str = "run",
    commit: str | None = None,
) -> RunInfo:
    """The RunInfo for a run of ``checklist`` in ``root``."""
    head = gitrefs.head(root)
    branch = head.branch
    if branch is None and head.commit and commit in (None, head.commit) and mode != "hook":
        from relcheck.git.cibranch import ci_branch_at_head  # a detached HEAD only

        branch = ci_branch_at_head(root, checklist.release.remote, head.commit).name
    releasing = mode in ("run", "release") and not only
    version = resolve_version(checklist, root, cli_version, releasing=releasing)
    return RunInfo(
        run_id=new_run_id(),
        root=root,
        # From the top of the tree, as the tag records it: `-c ../relcheck.yaml` given in
        # a subfolder is relcheck.yaml, the path a release tag is checked against.
        checklist_path=os.path.relpath(os.path.realpath(checklist.path), os.path.realpath(root)),
        checklist_sha256=checklist.sha256,
        commit=commit or head.commit,
        tree=head.tree if commit in (None, head.commit) else None,
        branch=branch,
        version=version,
        tag=render_tag(checklist.release.tag, version),
        relcheck_version=__version__,
        dry_run=dry_run,
        only=only,
        skipped=skipped or {},
        mode=mode,
        release_steps=tuple(s.id for s in checklist.steps if s.kind is StepKind.RELEASE),
    )
