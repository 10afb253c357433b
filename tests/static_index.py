"""A static PEP 691 index on 127.0.0.1: pages written by the test, JSON only.

pypiserver serves neither PEP 700 upload times nor PEP 792 project status; PyPI's rules
on a project's history are tested against this instead.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


class StaticIndex:
    """Serves ``pages[normalized-name]`` at ``/simple/<name>/``; anything else is a 404."""

    def __init__(self) -> None:
        self.pages: dict[str, dict[str, Any]] = {}
        pages = self.pages

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                name = self.path.removeprefix("/simple/").strip("/")
                page = pages.get(name) if self.path.startswith("/simple/") else None
                if page is None:
                    self.send_error(404)
                    return
                body = json.dumps(page).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/vnd.pypi.simple.v1+json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )

    @property
    def simple_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/simple/"

    def __enter__(self) -> StaticIndex:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


@pytest.fixture
def static_index() -> Iterator[StaticIndex]:
    with StaticIndex() as index:
        yield index
