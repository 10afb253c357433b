"""How long `releasekit notes` takes, as a CI job or a person runs it: a new process.

    python benchmarks/notes.py               # prints a markdown table
    python benchmarks/notes.py --repeat 30

A project in a git repository with 200 tagged releases and a Keep a Changelog file with a
section for each; the median wall time of ``--repeat`` runs after one warm-up, next to
the interpreter's own start-up (``python -c pass``), ``releasekit version`` and the same
notes through the whole CLI (``cli.main``, which ``notes`` skips: releasekit.notes_command).
Byte code is cached (PYTHONDONTWRITEBYTECODE unset), as an installed package has it. The
target is under 100 ms. Standard library and releasekit only.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_MS = 100.0
RELEASES = 200


def make_project(root: Path) -> None:
    sections = "".join(
        f"## [1.{n}.0] - 2026-01-01\n\n### Fixed\n- Change number {n}.\n\n"
        for n in range(RELEASES, 0, -1)
    )
    (root / "pyproject.toml").write_text(
        f'[project]\nname = "bench"\nversion = "1.{RELEASES}.0"\n', encoding="utf-8"
    )
    (root / "CHANGELOG.md").write_text(
        "# Changelog\n\n## [Unreleased]\n\n" + sections, encoding="utf-8"
    )

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)

    git("init", "--quiet", "--initial-branch=main")
    git("add", "--all")
    git("-c", "user.name=b", "-c", "user.email=b@example.invalid", "commit", "-qm", "init")
    for n in range(1, RELEASES + 1):
        git("tag", f"v1.{n}.0")


def median_ms(argv: list[str], cwd: Path, repeat: int) -> float:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run(argv, cwd=cwd, check=True, capture_output=True, env=env)  # warm-up
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(argv, cwd=cwd, check=True, capture_output=True, env=env)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    releasekit = [sys.executable, "-m", "releasekit"]
    through_cli = [
        sys.executable,
        "-c",
        "import sys; from releasekit.cli import main; sys.exit(main(['notes']))",
    ]
    with tempfile.TemporaryDirectory() as temp:
        root = Path(temp)
        make_project(root)
        rows = [
            ("python -c pass", median_ms([sys.executable, "-c", "pass"], root, args.repeat)),
            ("releasekit version", median_ms([*releasekit, "version"], root, args.repeat)),
            ("releasekit notes", median_ms([*releasekit, "notes"], root, args.repeat)),
            (
                "releasekit notes 1.1.0 --json",
                median_ms([*releasekit, "notes", "1.1.0", "--json"], root, args.repeat),
            ),
            ("notes through cli.main", median_ms(through_cli, root, args.repeat)),
        ]
    print("| command | median (ms) | target |")
    print("|---|---:|---|")
    for name, ms in rows:
        target = f"< {TARGET_MS:.0f} ms: {'met' if ms < TARGET_MS else 'NOT met'}"
        print(f"| {name} | {ms:.1f} | {target if name.startswith('releasekit notes') else ''} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
