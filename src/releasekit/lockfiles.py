"""Lockfiles that record the project's own version: uv.lock, pdm.lock, poetry.lock.

uv.lock lists the project itself (``[[package]]`` with ``source = { editable = "." }`` or
``virtual``), so a bump that leaves it behind makes the next ``uv sync --locked`` in CI
fail. The bump updates that one entry in the same commit: by ``uv lock --offline`` where
uv is installed, else (and when uv cannot) by rewriting that entry's version line alone;
the file is parsed (tomllib) to find the entry and again to prove the edit.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from packaging.utils import canonicalize_name

from releasekit.errors import CommandError, ProjectError
from releasekit.runner import Runner
from releasekit.tools import find_uv

if TYPE_CHECKING:
    from releasekit.project import Project

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

LOCKFILES = ("uv.lock", "pdm.lock", "poetry.lock")
# A uv workspace keeps one uv.lock at its root: a member's is found a few levels up.
_LEVELS_UP = 4


@dataclass(frozen=True)
class LockEntry:
    """The project's own entry in a lockfile: the version it records."""

    path: Path
    version: str


def find_lock_entries(root: Path, name: str) -> list[LockEntry]:
    """The lockfiles of the project in ``root`` (there, or at its workspace's root) that
    record project ``name`` itself. A lockfile that is not valid TOML is refused: the bump
    could not keep it in step."""
    found = []
    for directory in _directories(root):
        for filename in LOCKFILES:
            path = directory / filename
            if not path.is_file():
                continue
            entry = _own_entry(_parse(path), name, path.name == "uv.lock", path.parent, root)
            if entry is not None and isinstance(entry.get("version"), str):
                found.append(LockEntry(path, entry["version"]))
    return found


def _directories(root: Path) -> list[Path]:
    """``root``, then its parents up to the git work tree's top (a workspace's root)."""
    found = [root]
    for parent in list(root.parents)[:_LEVELS_UP]:
        if (found[-1] / ".git").exists():
            break
        found.append(parent)
    return found


def _parse(path: Path) -> dict[str, Any]:
    try:
        document: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
        return document
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ProjectError(
            f"{path} is not a valid lockfile ({exc}), so the bump cannot keep the project's "
            "version in it in step.",
            "Regenerate it (e.g. uv lock), commit it, then bump.",
        ) from None


def _own_entry(
    document: dict[str, Any], name: str, uv: bool, lock_dir: Path, root: Path
) -> dict[str, Any] | None:
    wanted = canonicalize_name(name)
    for entry in document.get("package", []):
        if not isinstance(entry, dict) or canonicalize_name(str(entry.get("name", ""))) != wanted:
            continue
        if not uv:
            return entry
        source = entry.get("source")
        local = (
            source.get("editable") or source.get("virtual") if isinstance(source, dict) else None
        )
        if isinstance(local, str) and (lock_dir / local).resolve() == root.resolve():
            return entry
    return None


def set_locked_version(text: str, path: Path, root: Path, name: str, version: str) -> str:
    """``text`` (the lockfile ``path``) with the project's own entry at ``version``: that
    entry's version line rewritten, nothing else. Proven by parsing the result."""
    uv = path.name == "uv.lock"
    # The entries are [[package]] tables: find the one whose name is the project's.
    blocks = list(re.finditer(r"^\[\[package\]\][ \t]*$", text, re.MULTILINE))
    wanted = canonicalize_name(name)
    for number, block in enumerate(blocks):
        end = blocks[number + 1].start() if number + 1 < len(blocks) else len(text)
        body = text[block.end() : end]
        named = re.search(r'^name[ \t]*=[ \t]*"([^"]*)"', body, re.MULTILINE)
        if named is None or canonicalize_name(named.group(1)) != wanted:
            continue
        line = re.search(r'^(version[ \t]*=[ \t]*")([^"]*)(")', body, re.MULTILINE)
        if line is None:
            continue
        start = block.end() + line.start(2)
        edited = text[:start] + version + text[block.end() + line.end(2) :]
        entry = _own_entry(tomllib.loads(edited), name, uv, path.parent, root)
        if entry is not None and entry.get("version") == version:
            return edited
    raise ProjectError(
        f"releasekit could not find {name}'s own version line in {path} to write {version}.",
        "Update the lockfile with its tool (uv lock, pdm lock, poetry lock) in the release "
        "commit, or report the lockfile's form as a releasekit bug.",
    )


def lock_with_uv(path: Path, root: Path, name: str, version: str, runner: Runner) -> None:
    """Let uv itself bring ``path`` (a uv.lock already edited to ``version``) in step,
    offline, when uv is installed; if uv cannot (a dependency not in its cache), the
    edited entry stands. Either way the lock must record ``version`` after."""
    uv = find_uv()
    if uv is not None:
        runner.log(f"Updating {path.name}: uv lock --offline ...")
        try:
            runner.run([uv.path, "lock", "--offline"], cwd=path.parent)
        except CommandError as exc:
            runner.log(
                f"uv lock --offline failed ({exc.message.splitlines()[0]}); {path.name} keeps "
                f"the edited entry: {name} {version}."
            )
    entry = _own_entry(_parse(path), name, True, path.parent, root)
    if entry is None or entry.get("version") != version:
        raise ProjectError(
            f"After uv lock, {path} does not record {name} {version}; every file was restored.",
            "Run uv lock yourself to see why, then bump again.",
        )


def stale_locks(project: Project, version: str) -> list[str]:
    """What check says of lockfiles that record the project at another version than the
    one released (the next ``uv sync --locked`` fails on them)."""
    if project.vcs_versioned:
        return []
    return [
        f"{Path(os.path.relpath(lock.path, project.root)).as_posix()} records "
        f"{project.name} {lock.version}, the release is {version}: `uv sync --locked` (or "
        "pdm/poetry's check) fails on it; lock again and commit it (bump-version does)"
        for lock in find_lock_entries(project.root, project.name)
        if lock.version != version
    ]
