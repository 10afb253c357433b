"""What PyPI's upload rules add to check: a 40-file release, timed in-process.

    python benchmarks/pypi_rules.py [--members 1000] [--repeat 5]

Builds 39 wheels (one per common platform tag, ``--members`` files each, RECORD and all)
and one sdist of the same size in a scratch directory, then times
``releasekit.rules.check_pypi_rules`` on them: every archive opened once, its members
listed, its metadata parsed and every rule applied. No index is asked (that is one
request, which check makes anyway). Prints the median and the min-max of ``--repeat``
runs; the target is well under 1 s. Standard library and releasekit only.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import os
import statistics
import sys
import tarfile
import tempfile
import time
import zipfile
from pathlib import Path

from packaging.version import Version

from releasekit.artifacts import find_artifacts
from releasekit.rules import check_pypi_rules

NAME, VERSION = "bench-pkg", "1.0"
METADATA = (
    "Metadata-Version: 2.4\nName: bench-pkg\nVersion: 1.0\nSummary: A benchmark\n"
    "License-Expression: MIT\nLicense-File: LICENSE\nRequires-Python: >=3.10\n"
    "Classifier: Programming Language :: Python :: 3\nRequires-Dist: packaging>=24\n\n"
)
PYTHONS = ("cp310-cp310", "cp311-cp311", "cp312-cp312", "cp313-cp313")
PLATFORMS = (
    "manylinux_2_17_x86_64.manylinux2014_x86_64",
    "manylinux_2_17_aarch64.manylinux2014_aarch64",
    "musllinux_1_2_x86_64",
    "musllinux_1_2_aarch64",
    "macosx_10_9_x86_64",
    "macosx_11_0_arm64",
    "win_amd64",
    "win32",
    "win_arm64",
    "manylinux_2_17_ppc64le.manylinux2014_ppc64le",
)


def make_release(directory: Path, members: int) -> None:
    body = {f"bench_pkg/module_{n}.py": os.urandom(1500).hex() for n in range(members)}
    tags = [f"{py}-{plat}" for py in PYTHONS for plat in PLATFORMS][:39]
    for tag in tags:
        dist_info = "bench_pkg-1.0.dist-info"
        files = {
            **body,
            f"{dist_info}/METADATA": METADATA,
            f"{dist_info}/WHEEL": f"Wheel-Version: 1.0\nRoot-Is-Purelib: false\nTag: {tag}\n",
            f"{dist_info}/licenses/LICENSE": "MIT\n",
        }
        record = "".join(f"{n},sha256={_digest(t)},{len(t)}\n" for n, t in files.items())
        files[f"{dist_info}/RECORD"] = record + f"{dist_info}/RECORD,,\n"
        with zipfile.ZipFile(
            directory / f"bench_pkg-1.0-{tag}.whl", "w", zipfile.ZIP_DEFLATED
        ) as z:
            for name, text in files.items():
                z.writestr(name, text)
    with tarfile.open(directory / "bench_pkg-1.0.tar.gz", "w:gz") as sdist:
        files = {**body, "PKG-INFO": METADATA, "LICENSE": "MIT\n"}
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(f"bench_pkg-1.0/{name}")
            info.size = len(data)
            sdist.addfile(info, io.BytesIO(data))


def _digest(text: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1000, help="files in each artifact")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        directory = Path(scratch)
        make_release(directory, args.members)
        artifacts = find_artifacts(directory)
        size = sum(a.size for a in artifacts) / 1e6
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            outcome = check_pypi_rules(artifacts, NAME, Version(VERSION))
            times.append(time.perf_counter() - start)
            if outcome.failures:
                raise SystemExit(
                    "the benchmark release breaks a rule:\n" + "\n".join(outcome.failures)
                )
    print(
        f"check_pypi_rules, {len(artifacts)} files ({size:.0f} MB, {args.members} members each): "
        f"median {statistics.median(times):.3f} s, min-max {min(times):.3f}-{max(times):.3f} s "
        f"({args.repeat} runs)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
