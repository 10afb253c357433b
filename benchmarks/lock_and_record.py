"""What the checkout lock and the build record add to a publish.

    python benchmarks/lock_and_record.py              # prints a markdown table
    python benchmarks/lock_and_record.py --repeat 50 --size-mb 20

In a temporary git checkout of a small project with a wheel and an sdist in dist/
(``--size-mb`` each), times in-process what a publish does beyond its steps: taking and
releasing the lock (``release_lock``: git is asked once per process where its directory
is, counted in every row), the build's
note (``write_record``), the upload's note and kept copies (``note_upload``, one per
repository) and, on a rerun, finding the files to send again (``reusable_build``, which
asks git whether the project changed since). Median of ``--repeat`` runs after one
warm-up; the target is under 20 ms for a first publish and for a rerun. Standard library
and releasekit only.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from releasekit.artifacts import find_artifacts
from releasekit.build_record import (
    RECORDS,
    BuildRecord,
    note_upload,
    record_dir,
    reusable_build,
    write_record,
)
from releasekit.config import load_config
from releasekit.lock import release_lock
from releasekit.plan import ReleasePlan, resolve_plan
from releasekit.runner import SubprocessRunner
from releasekit.vcs import Git

TARGET_MS = 20.0
FILES = ("bench-1.0.0-py3-none-any.whl", "bench-1.0.0.tar.gz")


def checkout(directory: Path, size: int) -> Path:
    root = directory / "bench"
    (root / "dist").mkdir(parents=True)
    (root / "pyproject.toml").write_text(
        '[project]\nname = "bench"\nversion = "1.0.0"\n', encoding="utf-8"
    )
    (root / ".gitignore").write_text("/dist/\n", encoding="utf-8")
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "b",
        "GIT_AUTHOR_EMAIL": "b@example.invalid",
        "GIT_COMMITTER_NAME": "b",
        "GIT_COMMITTER_EMAIL": "b@example.invalid",
    }
    for argv in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-qm", "init"]):
        subprocess.run(["git", *argv], cwd=root, check=True, env=env)
    for name in FILES:
        (root / "dist" / name).write_bytes(os.urandom(size))
    return root


def median_ms(action: Callable[[], object], repeat: int, reset: Callable[[], None]) -> float:
    times = []
    for _ in range(repeat + 1):
        reset()
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times[1:])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--size-mb", type=float, default=2.0)
    args = parser.parse_args(argv)
    runner = SubprocessRunner(echo=False)
    with tempfile.TemporaryDirectory() as scratch:
        root = checkout(Path(scratch), int(args.size_mb * 1_000_000))
        plan: ReleasePlan = resolve_plan(root, load_config(root, env={}), runner)
        git = Git(runner, root)
        records = git.git_dir() / RECORDS
        directory = record_dir(git, plan.name, str(plan.version))
        assert directory is not None
        artifacts = find_artifacts(plan.outdir)
        built = BuildRecord(
            plan.name, "1.0.0", git.head(), {a.filename: a.sha256 for a in artifacts}
        )

        def new_process() -> None:
            # A command asks git for its git directory once: count that call every time.
            Git._git_dirs.clear()

        def forget() -> None:
            new_process()
            shutil.rmtree(records, ignore_errors=True)

        def first_publish() -> None:
            with release_lock(root, runner, "publish"):
                assert reusable_build(plan, runner) is None
                write_record(directory, plan.outdir, built)
                note_upload(git, artifacts, "test")
                note_upload(git, artifacts, "prod")

        def lock_only() -> None:
            with release_lock(root, runner, "publish"):
                pass

        def sent() -> None:
            forget()
            write_record(directory, plan.outdir, built)
            note_upload(git, artifacts, "test")
            new_process()

        def rerun() -> None:
            with release_lock(root, runner, "publish"):
                assert reusable_build(plan, runner) is not None

        rows = [
            ("lock taken and released", median_ms(lock_only, args.repeat, new_process)),
            (
                "first publish: lock + build note + 2 upload notes",
                median_ms(first_publish, args.repeat, forget),
            ),
            (
                "rerun: lock + reuse the sent files (one git diff)",
                median_ms(rerun, args.repeat, sent),
            ),
        ]
    print(f"| what ({len(FILES)} files of {args.size_mb:g} MB) | median ms | target |")
    print("|---|---:|---:|")
    for label, ms in rows:
        print(f"| {label} | {ms:.1f} | < {TARGET_MS:g} |")
    # A figure to read, not a test: a loaded machine must not fail a CI run.
    return 0


if __name__ == "__main__":
    sys.exit(main())
