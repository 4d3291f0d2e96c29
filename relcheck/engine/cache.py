"""The result cache: a step that passed on identical inputs, in the same world, is not
run again.

A pass is stored under ``.relcheck/cache/results/<step id>/<fingerprint>.json``. The
fingerprint covers the runner (name, class, ``version``), the step's parameters and
environment, relcheck's version, the Python running it, the content of the step's
inputs (the commit's tree plus every uncommitted change by default, or only the files
its ``inputs:`` globs select) and the world the step runs in (relcheck.engine.world: the
project's interpreter and installed distributions, the tools it starts, lock files, the
variables it lists under ``cache_env:``). A later run with the same fingerprint reports
the step as ``cached``, naming the run that passed it.

Every entry is signed with this clone's key (relcheck.system.cachekey, kept in the git
directory; the files are relcheck.engine.cacheentry's), and the fingerprint itself is
keyed with it: an entry committed to the repository, copied from another machine or
edited by hand is never reused; the step runs, and its output says that the entry was
ignored.

Which steps may be cached: a runner with ``cacheable = True`` (its result depends only on
the files; ``cacheable_for(params)`` may refine that per step); a runner with
``cache_opt_in = True`` (``command``) only when the step declares ``inputs:`` or
``cache: true``, since a command may look at the outside world. Never: release steps,
preconditions, ``cache: false``, and any result that is not a plain pass.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import sys
import time
from collections.abc import Collection, Iterable, Mapping
from typing import TYPE_CHECKING

from relcheck.engine import cacheentry
from relcheck.engine.cacheable import is_cacheable
from relcheck.engine.cacheentry import FORMAT
from relcheck.engine.inputs import Workspace
from relcheck.errors import RepoStateError, UsageError
from relcheck.models import Annotation, Status, Step, StepResult
from relcheck.runners import registry
from relcheck.system import cachekey

if TYPE_CHECKING:
    from relcheck.engine.world import World


def cache_dir(state_dir: str) -> str:
    """Where the caches live: ``.relcheck/cache``."""
    return os.path.join(state_dir, "cache")


def results_dir(state_dir: str) -> str:
    return os.path.join(cache_dir(state_dir), "results")


class StepCache:
    """The engine's ResultCache for one run.

    ``read=False`` (``--no-cache``) runs every step but still stores fresh passes.
    ``fresh`` names steps that must run whatever the cache holds (``--failed``).
    ``env`` is the environment steps start from (the engine's ``RunOptions.env``).
    Without this clone's key (no git directory) nothing is cached.
    """

    def __init__(
        self,
        state_dir: str,
        workspace: Workspace | None,
        run_id: str,
        relcheck_version: str,
        *,
        read: bool = True,
        fresh: Collection[str] = (),
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.directory = results_dir(state_dir)
        self.workspace = workspace
        self.run_id = run_id
        self.relcheck_version = relcheck_version
        self.read = read
        self.fresh = frozenset(fresh)
        self._fingerprints: dict[str, str | None] = {}
        self._notes: dict[str, str] = {}
        self.secret = cachekey.key(os.path.dirname(os.path.abspath(state_dir)))
        self._state_dir = state_dir
        self._env = dict(os.environ if env is None else env)
        self._world: World | None = None  # made for the first cacheable step

    def prepare(self, steps: Iterable[Step]) -> None:
        """Fingerprint every step now, before any runs: a step that edits files (a
        formatter) must not change what the steps after it are matched against."""
        for step in steps:
            self.fingerprint(step)

    def fingerprint(self, step: Step) -> str | None:
        """The step's fingerprint, or None when it cannot be cached."""
        if step.id not in self._fingerprints:
            self._fingerprints[step.id] = self._compute(step)
        return self._fingerprints[step.id]

    def _compute(self, step: Step) -> str | None:
        if self.workspace is None or self.secret is None:
            return None
        if not is_cacheable(step):
            return None
        if self._world is None:
            from relcheck.engine.world import World

            self._world = World(
                self.workspace.root,
                self._state_dir,
                self.secret,
                self._env,
                self.workspace.files,
                # The repository's environment, also when the workspace is a temporary
                # worktree of a commit: the state folder is always <repository>/.relcheck.
                env_root=os.path.dirname(os.path.abspath(self._state_dir)),
            )
        cls = registry.load(step.uses)
        try:
            if step.inputs:
                inputs = self.workspace.inputs_digest(step.inputs)
            else:
                inputs = self.workspace.default_digest()
            world = self._world.of(step, registry.runner_attr(cls, "cache_tools") or ())
        except RepoStateError:
            return None  # a work tree git cannot read is simply not cached
        if world is None:
            return None  # an interpreter that does not answer: run the step
        salt = getattr(cls, "cache_salt", None)
        parts = {
            "format": FORMAT,
            "relcheck": self.relcheck_version,
            # `relcheck` scripts start `bin/python3`, `python -m relcheck` often `bin/python`
            "python": f"{os.path.realpath(sys.executable)} {sys.prefix} {sys.version}",
            "runner": [step.uses, f"{cls.__module__}:{cls.__qualname__}", str(cls.version)],
            "salt": str(salt(step.params)) if callable(salt) else None,
            "params": step.raw_params,
            "env": dict(sorted(step.env.items())),
            "inputs": [list(step.inputs), inputs],
            "world": world,
        }
        text = json.dumps(parts, sort_keys=True, default=repr)
        # Keyed: a name another clone cannot compute, and no way back to a declared
        # variable's value from the file name.
        return cachekey.sign(self.secret, text.encode(errors="surrogateescape"))

    def _path(self, step: Step, fingerprint: str) -> str:
        return os.path.join(self.directory, step.id, f"{fingerprint}.json")

    def lookup(self, step: Step) -> StepResult | None:
        """The stored pass of an identical step, as a CACHED result; else None."""
        if not self.read or step.id in self.fresh:
            return None
        started = time.time()
        fingerprint = self.fingerprint(step)
        if fingerprint is None or self.secret is None:
            return None
        entry = cacheentry.read(self._path(step, fingerprint), fingerprint, step.id, self.secret)
        if entry is None:
            self._note_unsigned(step)
            return None
        saved = entry["result"]
        return StepResult(
            Status.CACHED,
            str(saved.get("summary", "")),
            exit_code=saved.get("exit_code"),
            metrics=saved.get("metrics") or {},
            details=tuple(saved.get("details") or ()),
            annotations=tuple(Annotation(**a) for a in saved.get("annotations") or ()),
            started_at=started,
            duration=time.time() - started,
            cached_from=entry["run_id"],
        )

    def note(self, step: Step) -> str | None:
        """What the step's output should say about the cache: entries it ignored."""
        return self._notes.get(step.id)

    def _note_unsigned(self, step: Step) -> None:
        """Say so when the step's folder holds entries not signed with this clone's key."""
        assert self.secret is not None
        ignored = cacheentry.unsigned(os.path.join(self.directory, step.id), self.secret)
        if ignored:
            self._notes[step.id] = (
                f"ignored {ignored} cached result{'s' * (ignored != 1)} of this step not "
                "signed by relcheck in this clone (committed, copied from elsewhere, edited, "
                "or from an older relcheck); the step runs"
            )

    def store(self, step: Step, result: StepResult) -> None:
        """Keep a plain pass of ``step`` for later runs; anything else is not kept."""
        if result.status is not Status.PASSED:
            return
        fingerprint = self.fingerprint(step)
        if fingerprint is None or self.secret is None:
            return
        entry = {
            "format": FORMAT,
            "fingerprint": fingerprint,
            "step": step.id,
            "run_id": self.run_id,
            "stored_at": time.time(),
            "result": {
                "summary": result.summary,
                "exit_code": result.exit_code,
                "duration": result.duration,
                "metrics": dict(result.metrics),
                "details": list(result.details),
                "annotations": [vars(a) for a in result.annotations],
            },
        }
        cacheentry.write(self._path(step, fingerprint), entry, self.secret)


def clear(state_dir: str, step_id: str | None = None) -> int:
    """Remove cached results (of one step, or all, with the checklist cache); return how
    many results were removed."""
    if step_id is not None and not re.fullmatch(r"[a-z0-9][a-z0-9_.-]{0,62}", step_id):
        raise UsageError(f"{step_id!r} is not a step id")
    base = results_dir(state_dir)
    targets = [os.path.join(base, step_id)] if step_id else _subdirs(base)
    removed = 0
    for target in targets:
        with contextlib.suppress(OSError):
            removed += sum(1 for n in os.listdir(target) if n.endswith(".json"))
        shutil.rmtree(target, ignore_errors=True)
    if step_id is None:
        shutil.rmtree(cache_dir(state_dir), ignore_errors=True)
    return removed


def _subdirs(directory: str) -> list[str]:
    try:
        return [e.path for e in os.scandir(directory) if e.is_dir()]
    except OSError:
        return []


def cached_passes(
    steps: Iterable[Step], root: str, env: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Steps a run started now would serve from the cache, with the run that passed each.

    ``env`` is the environment a run would give its steps (runflow.tool_env)."""
    from relcheck import __version__
    from relcheck.engine.inputs import workspace_or_none
    from relcheck.git import refs as gitrefs
    from relcheck.record import STATE_DIR

    head = gitrefs.head(root)
    tree = head.tree
    cache = StepCache(
        os.path.join(root, STATE_DIR),
        workspace_or_none(root, tree),
        "plan",
        __version__,
        env=env,
    )
    found = {}
    for step in steps:
        hit = cache.lookup(step)
        if hit is not None and hit.cached_from:
            found[step.id] = hit.cached_from
    return found
