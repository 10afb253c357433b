"""The main job: release a scratch copy of examples/demo-project with releasekit.

Copies the project to a temporary git repository and runs the release steps there, so
the checkout is never touched. Every command is printed before it runs.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

DEMO = Path(__file__).resolve().parent / "demo-project"
ENV_GIT = {
    "GIT_AUTHOR_NAME": "releasekit demo",
    "GIT_AUTHOR_EMAIL": "demo@example.invalid",
    "GIT_COMMITTER_NAME": "releasekit demo",
    "GIT_COMMITTER_EMAIL": "demo@example.invalid",
}


def step(argv: list[str], cwd: Path) -> None:
    print(f"\n$ {shlex.join(argv)}", flush=True)
    import os

    subprocess.run(argv, cwd=cwd, check=True, env={**os.environ, **ENV_GIT})


def main() -> int:
    releasekit = [sys.executable, "-m", "releasekit"]
    with tempfile.TemporaryDirectory(prefix="releasekit-demo-") as scratch:
        project = Path(scratch) / "acme-demo"
        shutil.copytree(DEMO, project)
        step(["git", "init", "--quiet", "--initial-branch=main"], project)
        step(["git", "add", "--all"], project)
        step(["git", "commit", "--quiet", "-m", "Import acme-demo"], project)
        step([*releasekit, "version"], project)
        step([*releasekit, "bump-version", "minor", "--dry-run"], project)
        step([*releasekit, "bump-version", "minor"], project)
        step(["git", "log", "--oneline", "--decorate"], project)
        step([*releasekit, "version"], project)
    print("\ndemo: done")
    return 0


if __name__ == "__main__":
    sys.exit(main())
