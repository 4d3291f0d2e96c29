"""Find what a command works on: the repository's root, a step id the user can mean."""

from __future__ import annotations

import os


def find_root() -> str:
    """The root of the repository the command runs in."""
    from relcheck.git.location import find_root as repository_root

    return repository_root()


def require_repository(root: str, command: str) -> None:
    """Refuse (exit 3) to work outside a git repository."""
    from relcheck.errors import RepoStateError

    if not os.path.exists(os.path.join(root, ".git")):
        raise RepoStateError(
            f"not in a git repository (run relcheck {command} inside the repository that "
            "has the tag)"
        )


def known_step(step_id: str, seen: set[str], where: str) -> None:
    """Refuse (exit 2) a step id neither the checklist nor ``where`` has."""
    from relcheck.checklist.load import find_checklist, load_checklist
    from relcheck.errors import RelcheckError, UsageError

    try:
        listed = {s.id for s in load_checklist(find_checklist(find_root(), None)).steps}
    except RelcheckError:
        listed = set()  # no checklist, or one that does not load: what was recorded
    known = listed | seen
    if step_id in known:
        return
    raise UsageError(
        f"no step {step_id!r} in the checklist or {where}",
        hint=f"steps: {', '.join(sorted(known))}" if known else None,
    )
