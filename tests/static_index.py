"""A static PEP 691 index on 127.0.0.1: pages written by the test, JSON only, and the
files they link to (``add_file``).

pypiserver serves neither PEP 700 upload times nor PEP 792 project status; PyPI's rules
on a project's history, and installers' release-age cooldowns, are tested against this.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest


class StaticIndex:
    """Serves ``pages[normalized-name]`` at ``/simple/<name>/`` and ``files[filename]`` at
    ``/files/<filename>``; anything else is a 404."""

    def __init__(self) -> None:
        self.pages: dict[str, dict[str, Any]] = {}
        self.files: dict[str, bytes] = {}
        pages, files = self.pages, self.files

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path.startswith("/files/"):
                    data = files.get(self.path.removeprefix("/files/"))
                    if data is None:
                        self.send_error(404)
                        return
                    self.send_response(200)
                    self.send_header("Content-Type", "application/octet-stream")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                    return
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

    def add_file(self, name: str, path: Path, upload_time: str) -> None:
        """Serve ``path`` and list it on ``name``'s page with its sha256 and its PEP 700
        ``upload-time`` (``2026-12-02T14:00:00.000000Z``)."""
        data = path.read_bytes()
        self.files[path.name] = data
        page = self.pages.setdefault(
            name, {"meta": {"api-version": "1.1"}, "name": name, "files": [], "versions": []}
        )
        page["files"].append(
            {
                "filename": path.name,
                "url": f"{self.simple_url.removesuffix('/simple/')}/files/{path.name}",
                "hashes": {"sha256": hashlib.sha256(data).hexdigest()},
                "upload-time": upload_time,
                "size": len(data),
            }
        )

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
