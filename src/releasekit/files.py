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
