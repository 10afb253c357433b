"""Finding the tools releasekit drives (uv), shared by build and verify."""

from __future__ import annotations

import importlib
import importlib.util
import os
import shutil
import sysconfig
import threading
from typing import NamedTuple


class UvBinary(NamedTuple):
    path: str
    # build imports the ``uv`` package itself; a bare binary it must find on its own.
    importable: bool


# Parallel builds look for uv at once; sysconfig's first initialisation is not
# thread-safe (uv's find_uv_bin reads a config var that can still be missing).
_FIND_UV = threading.Lock()


def find_uv() -> UvBinary | None:
    """The uv executable, looked up the way ``python -m build --installer uv`` does:
    the ``uv`` package's binary, else ``$UV`` or ``uv`` on PATH."""
    with _FIND_UV:
        sysconfig.get_config_vars()
        return _find_uv()


def _find_uv() -> UvBinary | None:
    if importlib.util.find_spec("uv") is not None:
        try:
            return UvBinary(str(importlib.import_module("uv").find_uv_bin()), importable=True)
        except (ImportError, AttributeError, FileNotFoundError):
            pass  # a package without its binary (or a stray uv/ directory): try PATH
    path = shutil.which(os.environ.get("UV") or "uv")
    return UvBinary(path, importable=False) if path else None
