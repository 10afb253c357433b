"""Upload progress: live lines on a terminal, a line per finished file elsewhere."""

from __future__ import annotations

import io

from releasekit.upload.progress import Progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_gets_a_live_line_per_file_in_flight_then_the_outcome() -> None:
    now = [0.0]
    screen, logged = Terminal(), list[str]()
    progress = Progress(logged.append, screen, clock=lambda: now[0])

    progress.start("a.whl", 4_000_000)
    progress.start("b.tar.gz", 2_000_000)
    now[0] = 1.0
    progress.advance("a.whl", 1_000_000)
    progress.done("b.tar.gz", "uploaded", 1.0)
    progress.close()

    drawn = screen.getvalue()
    assert "  uploading a.whl: 1.0 MB of 4.0 MB, 1.0 MB/s\n" in drawn
    assert "  uploading b.tar.gz: 0 B of 2.0 MB" in drawn
    assert "uploaded: b.tar.gz (2.0 MB in 1.0 s, 2.0 MB/s)\n" in drawn
    assert drawn.endswith("\x1b[1F\x1b[J")  # the live line of a.whl is cleared at the end
    assert logged == []  # the terminal has it all


def test_without_a_terminal_each_file_is_one_line_when_it_ends() -> None:
    logged = list[str]()
    progress = Progress.for_terminal(logged.append, io.StringIO())

    progress.start("a.whl", 24_000_000)
    progress.advance("a.whl", 24_000_000)
    progress.done("a.whl", "uploaded", 12.0)
    progress.start("b.tar.gz", 500)
    progress.done("b.tar.gz", "already there", 0.1)

    assert logged == [
        "uploaded: a.whl (24.0 MB in 12.0 s, 2.0 MB/s)",
        "already there: b.tar.gz (500 B in 0.1 s)",
    ]
