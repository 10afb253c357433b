"""Upload progress, so a slow link is never a silent wait: on a terminal, one live line per
file in flight (bytes sent, rate), redrawn at most five times a second; without one, a line
per file as it ends, through the runner's log (stderr, or nox's log)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO

REDRAW = 0.2


@dataclass
class _InFlight:
    size: int
    sent: int = 0
    started: float = 0.0


class Progress:
    def __init__(
        self,
        log: Callable[[str], object] | None,
        live: TextIO | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._log = log
        self._live = live
        self._clock = clock
        self._files: dict[str, _InFlight] = {}
        self._lock = threading.Lock()
        self._drawn = 0
        self._last_draw = 0.0

    @classmethod
    def quiet(cls) -> Progress:
        return cls(None)

    @classmethod
    def for_terminal(cls, log: Callable[[str], object], stream: TextIO) -> Progress:
        """Live lines when ``stream`` is a terminal, else a line per finished file."""
        return cls(log, stream if stream.isatty() else None)

    def start(self, filename: str, size: int) -> None:
        with self._lock:
            self._files[filename] = _InFlight(size, 0, self._clock())

    def restart(self, filename: str) -> None:
        """A new attempt: its bytes count from zero."""
        with self._lock:
            if filename in self._files:
                self._files[filename].sent = 0

    def advance(self, filename: str, sent: int) -> None:
        with self._lock:
            found = self._files.get(filename)
            if found is None:
                return
            found.sent += sent
            if self._live is not None and self._clock() - self._last_draw >= REDRAW:
                self._redraw()

    def done(self, filename: str, state: str, seconds: float) -> None:
        with self._lock:
            found = self._files.pop(filename, None)
            if found is None or self._log is None:
                return
            rate = (
                f", {_size(found.size / seconds)}/s" if seconds > 0 and state == "uploaded" else ""
            )
            line = f"{state}: {filename} ({_size(found.size)} in {seconds:.1f} s{rate})"
            if self._live is not None:
                self._clear()
                self._live.write(line + "\n")
                self._redraw()
            else:
                self._log(line)

    def close(self) -> None:
        with self._lock:
            if self._live is not None:
                self._clear()
                self._live.flush()

    def _clear(self) -> None:
        assert self._live is not None
        if self._drawn:
            # Up to the first live line, then clear to the end of the screen.
            self._live.write(f"\x1b[{self._drawn}F\x1b[J")
        self._drawn = 0

    def _redraw(self) -> None:
        assert self._live is not None
        self._clear()
        now = self._clock()
        for filename, found in self._files.items():
            elapsed = max(now - found.started, 1e-6)
            self._live.write(
                f"  uploading {filename}: {_size(found.sent)} of {_size(found.size)}, "
                f"{_size(found.sent / elapsed)}/s\n"
            )
        self._drawn = len(self._files)
        self._last_draw = now
        self._live.flush()


def _size(count: float) -> str:
    if count >= 1e6:
        return f"{count / 1e6:.1f} MB"
    return f"{count / 1e3:.0f} kB" if count >= 1e3 else f"{count:.0f} B"
