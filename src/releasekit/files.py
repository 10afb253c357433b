"""All-or-nothing file edits: write several files, restore every byte on failure."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path


def write_atomic(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` in one step, keeping its permissions."""
    mode = path.stat().st_mode & 0o7777 if path.exists() else 0o644
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(temp, mode)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


@contextmanager
def transaction(contents: Mapping[Path, bytes]) -> Iterator[None]:
    """Write ``contents``; if anything in the ``with`` block (or a write) fails,
    put every file back exactly as it was, then re-raise."""
    originals = {path: path.read_bytes() for path in contents}
    written: list[Path] = []
    try:
        for path, data in contents.items():
            written.append(path)
            write_atomic(path, data)
        yield
    except BaseException:
        for path in written:
            write_atomic(path, originals[path])
        raise


def read_utf8(path: Path, error: type[Exception], what: str = "") -> str:
    """The text of ``path``, which must be UTF-8; otherwise ``error`` naming the file and
    what its bytes look like (``error`` is a ReleaseError subclass: message, hint)."""
    data = path.read_bytes()
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
