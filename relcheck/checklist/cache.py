"""Validated checklists kept between runs, so an unchanged file loads without PyYAML,
pydantic or an entry-point scan.

An entry is keyed by the file's sha256, its path, relcheck's version and the installed
distributions (names and change times of every ``*.dist-info`` on ``sys.path``, which is
where runner entry points are declared). It holds the frozen Checklist, pickled (runner
``Params`` are stdlib dataclasses), and the entry points of the runners it uses. It is
also tied to the source files it was built from: a change to relcheck's own modules or
to a runner's module (an editable install) invalidates it. A checklist that holds a
secret (a token in an ``env:``, credentials in a URL) is never stored: the entry would
keep it in clear. While runners are registered in process (``registry.register``, in
tests) the cache is not used: an entry could not name them for a later process.

Unpickling runs code named in the data, so an entry is only read when it carries a valid
HMAC made with the key of relcheck.system.cachekey, kept in the repository's git directory:
that directory is never cloned, so a ``.relcheck/`` folder committed or copied from
elsewhere is never trusted.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import sys

from relcheck import __version__
from relcheck.models import Checklist
from relcheck.runners import registry
from relcheck.system import cachekey

FORMAT = b"relcheck-checklist-2"  # 2: each step carries its kind
_MAC_SIZE = 32
_KEEP = 8  # entries kept: one per checklist version recently run


def load(path: str, root: str, state_dir: str) -> Checklist:
    """The checklist at ``path``: from the cache when the file is unchanged, else read,
    validated and stored for next time."""
    key = cachekey.key(root)
    if key is None or registry.in_process():  # such runners cannot be found from an entry
        return _validate(path)
    from relcheck.checklist.load import read_bytes

    raw = read_bytes(path)  # a FIFO or /dev/zero is refused here as `validate` refuses it
    entry_path = _entry_path(state_dir, path, hashlib.sha256(raw).hexdigest())
    cached = _read(entry_path, key)
    if cached is not None:
        return cached
    checklist = _validate(path)
    with contextlib.suppress(Exception):  # a cache that cannot be written is only slower
        if hashlib.sha256(raw).hexdigest() == checklist.sha256:
            _write(_entry_path(state_dir, path, checklist.sha256), key, checklist)
    return checklist


def load_committed(raw: bytes, relpath: str, root: str, state_dir: str) -> Checklist:
    """The checklist committed as ``relpath`` with content ``raw`` (read from a commit,
    not a file): validated once per content, then served from the cache like a file.

    The hook reads the pushed commit's checklist on every push; validating it each time
    cost more than the rest of a cached run (0.7 s against 0.27 s)."""
    import tempfile

    key = None if registry.in_process() else cachekey.key(root)
    entry_path = _entry_path(state_dir, f"committed:{relpath}", hashlib.sha256(raw).hexdigest())
    cached = _read(entry_path, key) if key is not None else None
    if cached is not None:
        return cached
    with tempfile.TemporaryDirectory(prefix="relcheck-committed-") as folder:
        path = os.path.join(folder, os.path.basename(relpath))
        with open(path, "wb") as fh:
            fh.write(raw)
        checklist = _validate(path)
    if key is not None:
        with contextlib.suppress(Exception):  # a cache that cannot be written is only slower
            _write(entry_path, key, checklist)  # not when it would hold a secret
    return checklist


def _holds_secrets(data: bytes, checklist: Checklist) -> bool:
    """Whether ``data`` (the pickled entry) holds a value relcheck masks: a token under a
    step's or a service's ``env:``, one under a secret-looking ``with:`` key, credentials
    in a URL. Nothing relcheck writes may hold one, so such a checklist is not cached and
    is validated on every run. (Pickle keeps text as UTF-8, so a search finds it.)"""
    from relcheck.system.redact import for_checklist

    redactor = for_checklist(checklist, os.environ).with_values(_param_secrets(checklist))
    return redactor.bytes(data) != data


def _param_secrets(checklist: Checklist) -> list[str]:
    """Literal text under a secret-looking key of a step's ``with:`` (a header value, a
    password); a value with a ``${VAR}`` in it is expanded at run time, not a secret."""
    from relcheck.system.redact import looks_secret

    found: list[str] = []
    todo: list[object] = [s.raw_params for s in checklist.steps]
    while todo:
        item = todo.pop()
        if isinstance(item, dict):
            for key, value in item.items():
                if isinstance(value, str):
                    if isinstance(key, str) and looks_secret(key) and "${" not in value:
                        found.append(value)
                else:
                    todo.append(value)
        elif isinstance(item, list | tuple):
            todo.extend(item)
    return found


def _validate(path: str) -> Checklist:
    from relcheck.checklist.load import load_checklist

    return load_checklist(path)


def _entry_path(state_dir: str, path: str, sha256: str) -> str:
    parts = "\0".join(
        [sha256, os.path.abspath(path), path, os.getcwd(), __version__, sys.version, _plugins()]
    )
    name = hashlib.sha256(parts.encode(errors="surrogateescape")).hexdigest()
    return os.path.join(state_dir, "cache", "checklists", f"{name}.pickle")


def _plugins() -> str:
    """Which distributions are installed (and when each changed), and which are blocked."""
    seen: list[str] = [os.environ.get("RELCHECK_DISABLE_PLUGINS", "")]
    for entry in sys.path:
        try:
            items = os.scandir(entry or ".")
        except OSError:
            continue
        with items:
            for item in items:
                if item.name.endswith((".dist-info", ".egg-info", ".egg-link", ".pth")):
                    with contextlib.suppress(OSError):
                        seen.append(f"{entry}/{item.name}:{item.stat().st_mtime_ns}")
    return "\n".join(sorted(seen))


def _sources(checklist: Checklist) -> list[tuple[str, int, int]]:
    """The source files the entry depends on, with their change times and sizes."""
    files = set()
    # The format is defined by the checklist package and the shared models beside it.
    checklist_package = os.path.dirname(os.path.abspath(__file__))
    for package in (checklist_package, os.path.dirname(checklist_package)):
        for name in os.listdir(package):
            if name.endswith(".py"):
                files.add(os.path.join(package, name))
    for step in checklist.steps:
        for cls in (registry.load(step.uses), type(step.params)):
            module = sys.modules.get(cls.__module__)
            source_file: str | None = getattr(module, "__file__", None)
            if source_file:
                files.add(os.path.abspath(source_file))
    out = []
    for path in sorted(files):
        info = os.stat(path)
        out.append((path, info.st_mtime_ns, info.st_size))
    return out


def _unchanged(sources: list[tuple[str, int, int]]) -> bool:
    for path, mtime, size in sources:
        try:
            info = os.stat(path)
        except OSError:
            return False
        if (info.st_mtime_ns, info.st_size) != (mtime, size):
            return False
    return True


def _write(entry_path: str, key: bytes, checklist: Checklist) -> None:
    import pickle

    from relcheck.system.fileio import write_atomic

    runners = {}
    for step in checklist.steps:
        info = registry.installed()[step.uses]
        runners[step.uses] = (info.value, info.distribution)
    header = pickle.dumps((FORMAT, _sources(checklist)), protocol=pickle.HIGHEST_PROTOCOL)
    body = pickle.dumps((checklist, runners), protocol=pickle.HIGHEST_PROTOCOL)
    if _holds_secrets(body, checklist):
        return
    payload = len(header).to_bytes(4, "big") + header + body
    mac = hmac.new(key, payload, hashlib.sha256).digest()
    directory = os.path.dirname(entry_path)
    write_atomic(entry_path, mac + payload)  # never through a link under .relcheck/
    entries = []
    for item in os.scandir(directory):
        if item.name.endswith(".pickle"):
            with contextlib.suppress(OSError):
                entries.append((item.stat().st_mtime_ns, item.path))
    for _, old in sorted(entries, reverse=True)[_KEEP:]:
        with contextlib.suppress(OSError):
            os.unlink(old)


def _read(entry_path: str, key: bytes) -> Checklist | None:
    from relcheck.system.fileio import read_regular

    try:
        data = read_regular(entry_path, 64 * 1024 * 1024)
    except OSError:
        return None
    mac, payload = data[:_MAC_SIZE], data[_MAC_SIZE:]
    if not hmac.compare_digest(mac, hmac.new(key, payload, hashlib.sha256).digest()):
        return None  # not made here (or damaged): never unpickled
    import pickle

    try:
        size = int.from_bytes(payload[:4], "big")
        fmt, sources = pickle.loads(payload[4 : 4 + size])
        if fmt != FORMAT or not _unchanged(sources):
            return None
        checklist, runners = pickle.loads(payload[4 + size :])
    except Exception:  # a stale class layout, a moved module: validate afresh
        return None
    if not isinstance(checklist, Checklist):
        return None
    registry.prime(runners)
    return checklist
