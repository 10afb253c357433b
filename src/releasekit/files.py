"""All-or-nothing file edits: write several files, restore every byte on failure.

A symbolic link is written through (the link stays a link, as git records it), and what
cannot be rewritten — a link leading outside the repository, a read-only file — is
found before anything changes (:func:`write_problems`)."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from releasekit.errors import ProjectError, ReleaseError


def write_atomic(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` in one step, keeping its permissions; a symbolic link
    is written through (its target is replaced, the link stays a link)."""
    path = path.resolve() if path.is_symlink() else path
    mode = path.stat().st_mode & 0o7777 if path.exists() else 0o644
    # Lazy: tempfile (4 ms of imports) only when a file is written; `releasekit notes`,
    # which reads, imports this module for relative_path alone.
    import tempfile

    # A short name: the file's own name may be as long as the file system allows.
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".releasekit-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(temp, mode)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def write_problems(paths: Iterable[Path], repository: Path) -> list[str]:
    """Why each of ``paths`` cannot be rewritten in place, one line each: a symbolic link
    that leads outside ``repository`` (or nowhere), a read-only or unwritable file, a
    directory where the new file cannot be made."""
    problems = []
    top = repository.resolve()
    for path in paths:
        target = path.resolve()
        if path.is_symlink():
            if not target.exists():
                problems.append(f"{path} is a symbolic link to {target}, which does not exist")
                continue
            if not target.is_relative_to(top):
                problems.append(
                    f"{path} is a symbolic link to {target}, outside the repository "
                    f"{top}: releasekit writes through a link only to a file inside it "
                    "(copy the file into the repository, or link the other way round)"
                )
                continue
        try:
            mode = target.stat().st_mode
        except OSError as exc:
            problems.append(f"{path} cannot be read: {exc.strerror or exc}")
            continue
        if not mode & 0o222:
            problems.append(
                f"{path} is read-only (mode {stat.filemode(mode)}): make it writable "
                f"(chmod u+w {target}) if it is meant to change with each release"
            )
        elif not os.access(target, os.W_OK):
            problems.append(f"{path} cannot be written by this user (or is immutable)")
        elif not os.access(target.parent, os.W_OK | os.X_OK):
            problems.append(
                f"{path} is in a directory this user cannot write ({target.parent}), where "
                "the new file is made before it replaces the old one"
            )
    return problems


@contextmanager
def transaction(
    contents: Mapping[Path, bytes], error: type[ReleaseError] = ProjectError
) -> Iterator[None]:
    """Write ``contents``; if anything in the ``with`` block (or a write) fails,
    put every file back exactly as it was, then re-raise. A file that cannot be written
    is ``error`` naming it (every file put back)."""
    originals = {path: path.read_bytes() for path in contents}
    written: list[Path] = []
    try:
        for path, data in contents.items():
            try:
                write_atomic(path, data)
            except OSError as exc:
                raise error(
                    f"{path} cannot be written: {exc.strerror or exc}. Every file was put "
                    "back as it was.",
                    "Make it writable by you (and its directory), then run the same command again.",
                ) from None
            written.append(path)
        yield
    except BaseException:
        unrestored = []
        for path in written:
            try:
                write_atomic(path, originals[path])
            except OSError:
                unrestored.append(path)
        if unrestored:
            raise error(
                "The change failed and these files could not be put back: "
                + ", ".join(map(str, unrestored))
                + ".",
                "Restore them from git (git checkout -- FILE).",
            ) from None
        raise


def read_utf8(path: Path, error: type[Exception], what: str = "") -> str:
    """The text of ``path``, which must be UTF-8; otherwise ``error`` naming the file and
    what its bytes look like, or that it cannot be read (``error`` is a ReleaseError
    subclass: message, hint)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise error(
            f"{what or path.name} {path} cannot be read: {exc.strerror or exc}. Nothing was "
            "changed.",
            f"Make it readable by you (ls -l {path}; chmod u+r {path}) and run the same "
            "command again.",
        ) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            looks = "UTF-16 (it starts with a UTF-16 byte-order mark)"
        elif b"\x00" in data[:200]:
            looks = "UTF-16 or another two-byte encoding (it has NUL bytes)"
        else:
            looks = (
                f"Latin-1 or cp1252 (byte 0x{data[exc.start]:02x} at offset {exc.start} is "
                "not UTF-8)"
            )
        raise error(
            f"{what or path.name} {path} is not UTF-8: it looks like {looks}. Nothing was changed.",
            f"Convert it to UTF-8 (for example: iconv -f LATIN1 -t UTF-8 {path.name} > "
            f"{path.name}.utf8 && mv {path.name}.utf8 {path.name}) and run the same "
            "command again.",
        ) from None


def relative_path(path: Path, root: Path) -> str:
    """``path`` as shown to a user: from ``root`` when it is inside, else as it is."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)
