#!/usr/bin/env python3
"""Run this repository's nox sessions on a machine that has only Python and pip.

    python3 dev.py demo     # the main job: a release of examples/demo-project
    python3 dev.py tests    # the whole test suite, with ruff and mypy
    python3 dev.py -l       # any other nox arguments are passed through

It keeps nox, uv (which makes nox's virtualenvs fast) and releasekit itself (the noxfile
releases this repository with releasekit.nox) in .venv-dev/, created on first use, so
nothing is installed into the system Python.
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

HERE = Path(__file__).resolve().parent
BOOTSTRAP = HERE / ".venv-dev"
REQUIREMENTS = ["nox>=2024.10.9", "uv>=0.4"]


def bootstrap() -> Path:
    python = BOOTSTRAP / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    stamp = BOOTSTRAP / "requirements.txt"
    wanted = "\n".join(REQUIREMENTS) + "\n"
    if not python.exists():
        venv.create(BOOTSTRAP, with_pip=True)
    if not stamp.exists() or stamp.read_text() != wanted:
        pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        subprocess.run([*pip, *REQUIREMENTS, "--editable", str(HERE)], check=True)
        stamp.write_text(wanted)
    return python


def main(argv: list[str]) -> int:
    python = bootstrap()
    args = argv or ["tests"]
    if args[0] in {"tests", "demo", "lint"}:
        rest = args[2:] if args[1:2] == ["--"] else args[1:]  # `tests -- -m "not slow"` too
        args = ["--session", args[0], *(["--", *rest] if rest else [])]
    nox = [str(python), "-m", "nox", "--noxfile", str(HERE / "noxfile.py")]
    return subprocess.run([*nox, *args], check=False).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
