"""-q on a terminal: an upload that goes well prints nothing at all, not even the live
progress lines a terminal otherwise gets."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
from pathlib import Path

import pytest

from index_servers import PypiServer
from release_project import new_release
from releasekit.errors import ExitCode


def read_all(fd: int) -> bytes:
    chunks = []
    while select.select([fd], [], [], 0.5)[0]:
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # the other end closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


@pytest.mark.parametrize("quiet", [True, False])
def test_quiet_upload_on_a_terminal_prints_nothing(
    tmp_path_factory: pytest.TempPathFactory,
    tmp_path: Path,
    pypiserver: PypiServer,
    quiet: bool,
) -> None:
    table = {"upload-url": pypiserver.upload_url, "index-url": pypiserver.simple_url}
    release = new_release(tmp_path_factory, tmp_path, {"test": table})
    controller, terminal = pty.openpty()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "releasekit", *release.argv("upload-test"),
             *(["-q"] if quiet else [])],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=terminal,
            timeout=120,
            check=False,
        )  # fmt: skip
        shown = read_all(controller)
    finally:
        os.close(terminal)
        os.close(controller)
    assert done.returncode == ExitCode.OK, shown
    assert {p.name for p in pypiserver.packages_dir.iterdir()} == set(release.local_files())
    if quiet:
        assert (done.stdout, shown) == (b"", b"")
    else:
        assert b"uploaded" in done.stdout
        assert shown  # progress on the terminal
