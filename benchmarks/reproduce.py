"""How long `releasekit verify --reproduce` takes next to a cold `releasekit build`.

    python benchmarks/reproduce.py             # prints a markdown table
    python benchmarks/reproduce.py --repeat 3

A small hatchling project, tagged in git. A cold build is ``releasekit build --fresh``
(a new isolated environment, nothing cached); the release's files go to a pypiserver on
127.0.0.1, and ``verify --reproduce`` rebuilds them from the tag (a scratch worktree, a
fresh isolated environment) and compares them with what pypiserver serves. The target:
the reproduce within 1.5x the cold build. Needs pypiserver (the test extra has it).
"""

from __future__ import annotations

import argparse
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

TARGET = 1.5
PYPROJECT = """\
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "bench-reproduce"
version = "1.0.0"

[tool.hatch.build.targets.wheel]
packages = ["src/bench_reproduce"]
"""


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)


def make_project(root: Path) -> None:
    (root / "src" / "bench_reproduce").mkdir(parents=True)
    (root / "src" / "bench_reproduce" / "__init__.py").write_text("ANSWER = 42\n")
    (root / "pyproject.toml").write_text(PYPROJECT)
    (root / ".gitignore").write_text("/dist/\n")
    git(root, "init", "--quiet", "--initial-branch=main")
    git(root, "add", "--all")
    git(root, "-c", "user.name=b", "-c", "user.email=b@example.invalid", "commit", "-qm", "1.0.0")
    git(root, "tag", "v1.0.0")


def timed(argv: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(argv, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - start


def start_pypiserver(packages: Path) -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    argv = [
        sys.executable,
        "-m",
        "pypiserver",
        "run",
        "-i",
        "127.0.0.1",
        "-p",
        str(port),
        "-a",
        ".",
        "-P",
        ".",
        "--disable-fallback",
        str(packages),
    ]
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    print("waiting up to 30 s for pypiserver", file=sys.stderr)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=1):
                return process, url
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("pypiserver did not start")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    releasekit = [sys.executable, "-m", "releasekit"]
    with tempfile.TemporaryDirectory() as temp:
        root, packages = Path(temp) / "project", Path(temp) / "packages"
        root.mkdir()
        packages.mkdir()
        make_project(root)
        build = [*releasekit, "build", "--fresh", "--isolation"]
        cold = [timed(build, root) for _ in range(args.repeat)]
        for path in (root / "dist").iterdir():
            shutil.copy2(path, packages / path.name)
        server, url = start_pypiserver(packages)
        try:
            verify = [
                *releasekit,
                "verify",
                "--reproduce",
                "--repository-url",
                f"{url}/",
                "--index-url",
                f"{url}/simple/",
            ]
            again = [timed(verify, root) for _ in range(args.repeat)]
        finally:
            server.terminate()
            server.wait(timeout=10)
    build_s, reproduce_s = statistics.median(cold), statistics.median(again)
    ratio = reproduce_s / build_s
    verdict = "met" if ratio <= TARGET else "NOT met"
    print("| cold build (s) | verify --reproduce (s) | ratio | target |")
    print("|---:|---:|---:|---|")
    print(f"| {build_s:.2f} | {reproduce_s:.2f} | {ratio:.2f} | <= {TARGET}x: {verdict} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
