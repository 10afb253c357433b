"""Uploading many files: ``releasekit upload`` against ``uv publish``, and the memory a
large upload takes.

    python benchmarks/upload_many.py                    # 40 files of 2 MB, 5 paired runs
    python benchmarks/upload_many.py --files 4 --size 1 --runs 1   # a quick look
    python benchmarks/upload_many.py --memory 200       # peak memory of a 200 MB upload
    python benchmarks/upload_many.py --jobs 4           # releasekit 4 files at a time
    python benchmarks/upload_many.py --rtt 40           # across a link with 40 ms round trips

A release of ``--files`` wheels of ``--size`` MB (incompressible bytes) of a static
project, uploaded to a local pypiserver on 127.0.0.1. Before each run the server's
package directory is emptied, so both tools upload everything every time. releasekit's
time includes its start-up, its check (twine check --strict's rules, the sha256 of every
file, the index read) and the uploads; uv's is the upload alone. Both get the same
credentials (releasekit from TWINE_USERNAME/TWINE_PASSWORD, so no keyring lookup). Runs
are paired (A B A B ...) and the ratio taken pair by pair. Standard library only, plus
releasekit, uv and pypiserver from the environment.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import zipfile
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "examples"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from link import slow_link
from local_index import pypiserver

BIN = Path(sys.executable).parent
NAME, MODULE, VERSION = "bench-many", "bench_many", "1.0.0"


def make_project(root: Path, files: int, megabytes: float) -> list[Path]:
    """A static project whose dist/ holds ``files`` wheels (build tags 1..N)."""
    (root / "dist").mkdir(parents=True)
    (root / "pyproject.toml").write_text(
        textwrap.dedent(f"""\
        [project]
        name = "{NAME}"
        version = "{VERSION}"
        description = "Many files for an upload benchmark"

        [tool.releasekit]
        changelog = false
        """)
    )
    metadata = (
        f"Metadata-Version: 2.1\nName: {NAME}\nVersion: {VERSION}\n"
        "Summary: Many files for an upload benchmark\n"
        "Description-Content-Type: text/markdown\n\n# bench-many\n\nA benchmark.\n"
    )
    paths = []
    for build in range(1, files + 1):
        path = root / "dist" / f"{MODULE}-{VERSION}-{build}-py3-none-any.whl"
        info = f"{MODULE}-{VERSION}.dist-info"
        entries = {
            f"{info}/METADATA": metadata.encode(),
            f"{info}/WHEEL": (
                f"Wheel-Version: 1.0\nGenerator: bench\nRoot-Is-Purelib: true\nBuild: {build}\n"
                "Tag: py3-none-any\n"
            ).encode(),
        }
        record = [
            f"{name},sha256={hashlib.sha256(data).hexdigest()},{len(data)}\n"
            for name, data in entries.items()
        ]
        with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
            # Written 1 MB at a time: this process never holds a large file (a child
            # forked from it would inherit that peak in its own accounting).
            digest, left = hashlib.sha256(), int(megabytes * 1_000_000)
            with archive.open(f"{MODULE}/data.bin", "w", force_zip64=True) as data:
                while left:
                    block = os.urandom(min(left, 1 << 20))
                    digest.update(block)
                    data.write(block)
                    left -= len(block)
            size = int(megabytes * 1_000_000)
            record.append(f"{MODULE}/data.bin,sha256={digest.hexdigest()},{size}\n")
            for name, payload in entries.items():
                archive.writestr(name, payload)
            archive.writestr(f"{info}/RECORD", "".join(record) + f"{info}/RECORD,,\n")
        paths.append(path)
    return paths


def config_file(path: Path, url: str, jobs: int = 0) -> Path:
    """releasekit's --config: the local index, and ``upload.jobs`` if given (else "auto":
    one file at a time, as the index is on this machine)."""
    table = f'[repositories.local]\nupload-url = "{url}/"\nindex-url = "{url}/simple/"\n'
    path.write_text(table + (f"\n[upload]\njobs = {jobs}\n" if jobs else ""))
    return path


def commands(
    root: Path, packages: Path, url: str, config: Path, with_check: bool = False
) -> tuple[str, str]:
    """(releasekit, uv) as shell commands that first empty the index; ``with_check``: uv
    after ``twine check --strict``, as releasekit checks before it uploads."""
    clear = f"rm -f {packages}/*"
    # The same credentials for both (uv on its command line, releasekit from the
    # environment, where it takes them without asking the keyring).
    releasekit = (
        f"{clear}; TWINE_USERNAME=bench TWINE_PASSWORD=bench exec {BIN / 'releasekit'} "
        "upload --repository local --yes "
        f"--project {root} --config {config}"
    )
    wheels = " ".join(str(p) for p in sorted((root / "dist").iterdir()))
    check = (
        f"{BIN / 'python'} -m twine check --strict {wheels} >/dev/null && " if with_check else ""
    )
    uv = (
        f"{clear}; {check}exec {shutil.which('uv') or BIN / 'uv'} publish --publish-url {url}/ "
        f"--username bench --password bench {wheels}"
    )
    return releasekit, uv


def paired_here(a: str, b: str, runs: int) -> None:
    ratios, times_a, times_b = [], [], []
    for _ in range(runs + 1):  # the first pair warms up
        took = []
        for command in (a, b):
            started = time.perf_counter()
            done = subprocess.run(["sh", "-c", command], capture_output=True, check=False)
            if done.returncode:
                raise SystemExit(
                    f"failed: {command}\n{done.stdout[-2000:]!r}{done.stderr[-2000:]!r}"
                )
            took.append(time.perf_counter() - started)
        times_a.append(took[0])
        times_b.append(took[1])
        ratios.append(took[0] / took[1])
    median = statistics.median
    print(f"releasekit upload: median {median(times_a[1:]):.2f} s (min {min(times_a[1:]):.2f})")
    print(f"uv publish:        median {median(times_b[1:]):.2f} s (min {min(times_b[1:]):.2f})")
    print(f"ratio releasekit/uv, pair by pair: median {median(ratios[1:]):.2f}")


def memory(megabytes: int, scratch: Path) -> None:
    """Peak resident memory of the releasekit process uploading one large wheel."""
    root = scratch / "large"
    make_project(root, 1, megabytes)
    packages = scratch / "large-packages"
    with pypiserver(packages) as url:
        config = config_file(scratch / "large.toml", url)
        probe = (
            "import resource, sys\n"
            "from releasekit.cli import main\n"
            "code = main(sys.argv[1:])\n"
            "peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024\n"
            "print(f'PEAK_MB {peak:.1f}', file=sys.stderr)\n"
            "sys.exit(code)\n"
        )
        argv = [sys.executable, "-c", probe, "upload", "--repository", "local", "--yes"]
        argv += ["--project", str(root), "--config", str(config)]
        done = subprocess.run(argv, capture_output=True, text=True, check=False)
        peak = [line for line in done.stderr.splitlines() if line.startswith("PEAK_MB")]
        if done.returncode or not peak:
            raise SystemExit(done.stdout + done.stderr)
        stored = sum(p.stat().st_size for p in packages.iterdir()) / 1e6
        print(
            f"upload of one {megabytes} MB wheel: releasekit process peak RSS "
            f"{peak[0].split()[1]} MB ({stored:.0f} MB stored on the index; check "
            "included)"
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=40)
    parser.add_argument("--size", type=float, default=2.0, help="MB per file")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--memory", type=int, default=0, help="MB: measure one upload's peak")
    parser.add_argument(
        "--with-check", action="store_true", help="B is twine check --strict, then uv publish"
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=0,
        help='releasekit\'s upload.jobs (default: "auto", one at a time to this machine)',
    )
    parser.add_argument(
        "--rtt",
        type=float,
        default=0,
        help="ms: both tools reach the index through a relay adding this round trip "
        '(releasekit then sends 4 at a time, as upload.jobs = "auto" does for a remote index)',
    )
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="3 files of 0.2 MB, one run, timed here (CI: the script keeps working)",
    )
    args = parser.parse_args(argv)
    if args.smoke:
        args.files, args.size, args.runs = 3, 0.2, 1
    # Bytecode caches are written and used, as for an installed package (a
    # PYTHONDONTWRITEBYTECODE=1 shell would compile every changed module on every run).
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    with tempfile.TemporaryDirectory(prefix="rk-upload-bench-") as scratch_name:
        scratch = Path(scratch_name)
        if args.memory:
            memory(args.memory, scratch)
            return 0
        root = scratch / "project"
        make_project(root, args.files, args.size)
        packages = scratch / "packages"
        with contextlib.ExitStack() as stack:
            url = stack.enter_context(pypiserver(packages))
            if args.rtt:
                url = stack.enter_context(slow_link(url, args.rtt))
                args.jobs = args.jobs or 4
            config = config_file(scratch / "releasekit.toml", url, args.jobs)
            releasekit, uv = commands(root, packages, url, config, args.with_check)
            jobs = f"upload.jobs = {args.jobs}" if args.jobs else 'upload.jobs = "auto"'
            link = f", {args.rtt:g} ms round trips" if args.rtt else ""
            print(f"{args.files} files of {args.size:g} MB to pypiserver at {url} ({jobs}{link})")
            paired_here(releasekit, uv, args.runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
