"""How long releasekit takes to know a project's name and version, per layout.

    python benchmarks/read_version.py            # prints a markdown table
    python benchmarks/read_version.py --repeat 50

Static layouts (setup.cfg literal and ``attr:``, setup.py literal and about-dict,
pyproject.toml) are read in-process: ``load_project(...)`` then ``read_version()``, the
median of ``--repeat`` runs after one warm-up; the target is under 1 ms each. The
build-backend fallback (a version computed in setup.py) is measured on its own, with
the cached build environment already made (the first run, which makes it, is shown
too); its target is under 1.5 s.
Standard library and releasekit only; nothing leaves 127.0.0.1 except, for the very
first fallback run, the build requirements from the package registry.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

from releasekit.config import ReleaseConfig
from releasekit.project import load_project

TARGET_MS = 1.0
BACKEND_TARGET_MS = 1500.0

LAYOUTS: dict[str, dict[str, str]] = {
    "pyproject.toml [project] version": {
        "pyproject.toml": '[project]\nname = "bench"\nversion = "1.2.3"\n',
        "src/bench/__init__.py": '__version__ = "1.2.3"\n',
    },
    "setup.cfg version literal": {
        "setup.cfg": "[metadata]\nname = bench\nversion = 1.2.3\n",
        "setup.py": "from setuptools import setup\nsetup()\n",
    },
    "setup.cfg version = attr:": {
        "setup.cfg": "[metadata]\nname = bench\nversion = attr: bench.__version__\n"
        "[options]\npackage_dir =\n    = src\n",
        "src/bench/__init__.py": "from ._version import __version__\n",
        "src/bench/_version.py": '__version__ = "1.2.3"\n',
    },
    "setup.py setup(version=...) literal": {
        "setup.py": 'from setuptools import setup\nsetup(name="bench", version="1.2.3")\n',
    },
    "setup.py about['__version__']": {
        "setup.py": textwrap.dedent(
            """\
            import os
            from setuptools import setup
            about = {}
            with open(os.path.join("src", "bench", "__version__.py")) as f:
                exec(f.read(), about)
            setup(name="bench", version=about["__version__"])
            """
        ),
        "src/bench/__version__.py": '__version__ = "1.2.3"\n',
    },
}
COMPUTED = {
    "setup.py": 'from setuptools import setup\nsetup(name="bench", version=".".join("123"))\n',
}


def project(files: dict[str, str]) -> Path:
    root = Path(tempfile.mkdtemp(prefix="releasekit-bench-"))
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


def timed(work: Callable[[], object]) -> float:
    start = time.perf_counter()
    work()
    return (time.perf_counter() - start) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    config = ReleaseConfig()
    print("| layout | median ms | max ms | target |")
    print("|---|---|---|---|")
    missed = 0
    for name, files in LAYOUTS.items():
        root = project(files)

        def read(root: Path = root) -> str:
            return load_project(root, config).read_version()

        assert read() == "1.2.3", name  # the warm-up, checked
        runs = [timed(read) for _ in range(args.repeat)]
        median = statistics.median(runs)
        met = median < TARGET_MS
        missed += not met
        print(f"| {name} | {median:.2f} | {max(runs):.2f} | {'met' if met else 'MISSED'} |")
    root = project(COMPUTED)
    first = timed(lambda: load_project(root, config).read_version())
    again = [timed(lambda: load_project(root, config).read_version()) for _ in range(3)]
    met = statistics.median(again) < BACKEND_TARGET_MS
    missed += not met
    print(
        f"| setup.py computed version (build backend, cached env) | "
        f"{statistics.median(again):.0f} | {max(again):.0f} | "
        f"{'met' if met else 'MISSED'} (first run: {first:.0f}) |"
    )
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
