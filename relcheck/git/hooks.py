"""Install, remove and describe the git hook that runs ``relcheck run --hook NAME``.

The hook goes where git looks for hooks (``git rev-parse --git-path hooks``: this covers
``core.hooksPath`` and linked worktrees). A hook relcheck did not write is never
overwritten: it is refused, or with ``force`` kept beside ours as ``NAME.relcheck-backup``
and run first, and put back by ``uninstall``.
"""

from __future__ import annotations

import os
import shlex
import sys
from dataclasses import dataclass

from relcheck import __version__
from relcheck.errors import RepoStateError, UsageError
from relcheck.git import door

MARKER = "# relcheck-managed-hook"
BACKUP_SUFFIX = ".relcheck-backup"
# Hooks that can stop what git is doing; pre-push is the one meant for a checklist.
HOOK_NAMES = ("pre-push", "pre-commit", "pre-merge-commit")
# The git command each hook stops, for the script's advice on skipping it.
_GIT_COMMANDS = {"pre-push": "push", "pre-commit": "commit", "pre-merge-commit": "merge"}

_TEMPLATE = """\
#!/bin/sh
{marker}: {name}
# Written by `relcheck hook install` (relcheck {version}); `relcheck hook uninstall`
# removes it and puts back the hook it replaced, if any.
# Skip it once: `git {verb} --no-verify`, or RELCHECK_SKIP=1.
RELCHECK_PYTHON={python}
FIND_RELCHECK="import importlib.util as u, sys; sys.exit(u.find_spec('relcheck') is None)"

hook_dir=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
backup="$hook_dir/{name}{suffix}"
# git gives a pre-push hook its refs on stdin; keep them for the previous hook and relcheck.
input=$(mktemp "${{TMPDIR:-/tmp}}/relcheck-{name}.XXXXXX") || exit 1
trap 'rm -f "$input"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
cat > "$input"

if [ -x "$backup" ]; then
    "$backup" "$@" < "$input" || {{
        status=$?
        echo "relcheck: the previous {name} hook ($backup) failed with exit code $status" >&2
        exit "$status"
    }}
fi

# Read here, not by relcheck: skipping must work when relcheck itself is gone.
case $(printf '%s' "${{RELCHECK_SKIP:-}}" | tr -d ' \\t\\r\\n' | tr '[:upper:]' '[:lower:]') in
    1 | true | yes | on)
        echo "relcheck: RELCHECK_SKIP is set: the {name} checks are skipped" >&2
        exit 0 ;;
esac

# find_spec, not import: it answers in a third of the time.
if "$RELCHECK_PYTHON" -c "$FIND_RELCHECK" > /dev/null 2>&1; then
    "$RELCHECK_PYTHON" -m relcheck run --hook {name} < "$input"
    exit
fi
if command -v relcheck > /dev/null 2>&1; then
    echo "relcheck: $RELCHECK_PYTHON cannot run relcheck any more; using relcheck on PATH" >&2
    relcheck run --hook {name} < "$input"
    exit
fi

# No relcheck, so no `relcheck hook uninstall` either: every way out is by hand.
if [ -e "$RELCHECK_PYTHON" ]; then
    missing="$RELCHECK_PYTHON cannot import it"
else
    missing="$RELCHECK_PYTHON does not exist"
fi
quote() {{
    case $1 in
        *[!A-Za-z0-9_./:@%+=,-]*) printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\\\\\''/g")" ;;
        *) printf '%s' "$1" ;;
    esac
}}
here=$(pwd -P)
shown=$(cd -- "$hook_dir" && pwd -P)
case $shown in "$here"/*) shown=${{shown#"$here"/}} ;; esac
hook=$(quote "$shown/{name}")
{{
    echo "relcheck: the {name} hook cannot find relcheck: $missing,"
    echo "relcheck: and there is no relcheck on PATH."
    echo "relcheck: to keep the hook: install relcheck for $RELCHECK_PYTHON again,"
    echo "relcheck:   or run 'relcheck hook install' here with the relcheck you use now."
    if [ -e "$backup" ]; then
        echo "relcheck: to remove it and put back the {name} hook it replaced:"
        echo "relcheck:   mv $(quote "$shown/{name}{suffix}") $hook"
    else
        echo "relcheck: to remove it: rm $hook"
    fi
    echo "relcheck: to {verb} this once without it: RELCHECK_SKIP=1 git {verb}"
    echo "relcheck:   (or git {verb} --no-verify)."
}} >&2
exit 1
"""


@dataclass(frozen=True)
class HookState:
    """What is at a hook's path."""

    name: str
    path: str
    exists: bool
    ours: bool  # written by relcheck
    python: str | None  # the interpreter our hook calls
    backup: str | None  # path of the chained previous hook, when there is one


def hooks_dir(root: str) -> str:
    """The folder git runs hooks from, for the repository at ``root``."""
    out = door.git(root, "rev-parse", "--git-path", "hooks", check=False)
    if not out:
        raise RepoStateError(
            f"{root} is not in a git repository", hint="run this inside the repository's folder"
        )
    return os.path.normpath(os.path.join(root, out))


def render(name: str, python: str) -> str:
    """The hook script for ``name`` calling relcheck with ``python``."""
    return _TEMPLATE.format(
        marker=MARKER,
        name=name,
        version=__version__,
        python=shlex.quote(python),
        suffix=BACKUP_SUFFIX,
        verb=_GIT_COMMANDS[name],
    )


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return fh.read()
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise UsageError(
            f"{path} is a folder, not a hook; left unchanged",
            hint="move it away by hand, then run the command again",
        ) from None


def _is_ours(text: str | None) -> bool:
    return text is not None and any(line.startswith(MARKER) for line in text.splitlines()[:3])


def _python_of(text: str) -> str | None:
    for line in text.splitlines():
        if line.startswith("RELCHECK_PYTHON="):
            parts = shlex.split(line.split("=", 1)[1])
            return parts[0] if parts else None
    return None


def status(root: str, name: str = "pre-push") -> HookState:
    """What is installed as hook ``name``."""
    path = os.path.join(hooks_dir(root), name)
    text = _read(path)
    backup = path + BACKUP_SUFFIX
    ours = _is_ours(text)
    return HookState(
        name=name,
        path=path,
        exists=text is not None,
        ours=ours,
        python=_python_of(text) if ours and text else None,
        backup=backup if ours and os.path.exists(backup) else None,
    )


def install(
    root: str, name: str = "pre-push", *, force: bool = False, python: str | None = None
) -> HookState:
    """Write hook ``name``; a foreign hook is refused, or kept and chained with ``force``."""
    state = status(root, name)
    backup = state.path + BACKUP_SUFFIX
    if state.exists and not state.ours:
        if not force:
            # A refusal of what was asked (2), not a repository unfit to release (3).
            raise UsageError(
                f"{state.path} exists and was not written by relcheck; left unchanged",
                hint=f"`relcheck hook install --force` keeps it as {os.path.basename(backup)} "
                "and runs it before relcheck",
            )
        if os.path.exists(backup):
            raise UsageError(
                f"{backup} already exists, so {state.path} cannot be kept as the backup",
                hint="move one of them away by hand, then install again",
            )
        os.replace(state.path, backup)
    from relcheck.system.fileio import write_atomic

    write_atomic(state.path, render(name, python or sys.executable).encode(), mode=0o755)
    return status(root, name)


def uninstall(root: str, name: str = "pre-push") -> tuple[HookState, bool]:
    """Remove relcheck's hook ``name`` and put back the one it replaced; return the state
    before, and whether a previous hook was restored. A foreign hook is left alone."""
    state = status(root, name)
    if not state.exists:
        return state, False
    if not state.ours:
        raise UsageError(
            f"{state.path} was not written by relcheck; left unchanged",
            hint="remove it by hand if you no longer want it",
        )
    os.unlink(state.path)
    if state.backup:
        os.replace(state.backup, state.path)
        return state, True
    return state, False
