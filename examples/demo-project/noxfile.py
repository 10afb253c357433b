"""acme-demo's noxfile: its own sessions, plus the organisation's release sessions."""

from __future__ import annotations

import nox

import releasekit.nox

releasekit.nox.register()


@nox.session
def tests(session: nox.Session) -> None:
    """Import the package and say hello."""
    session.install(".")
    session.run("python", "-c", "import acme_demo; print(acme_demo.hello())")
