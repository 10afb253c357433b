"""A throwaway package index on 127.0.0.1, for the demo (examples/run_demo.py) and the
benchmarks (benchmarks/run.py): a pypiserver that accepts anonymous uploads, on a free
port, stopped by PID when the ``with`` block ends. Standard library only.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class IndexDidNotStart(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def pypiserver(packages: Path, *, python: str = sys.executable, wait: float = 60) -> Iterator[str]:
    """The URL of a pypiserver serving (and storing uploads in) ``packages``."""
    packages.mkdir(parents=True)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    argv = [python, "-m", "pypiserver", "run", "-i", "127.0.0.1", "-p", str(port),
            "-a", ".", "-P", ".", "--disable-fallback", str(packages)]  # fmt: skip
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # Straight to the server, whatever HTTP(S)_PROXY says.
    direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                with direct.open(f"{url}/health", timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise IndexDidNotStart(f"pypiserver on {url} did not start") from None
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
