"""No false refusals: real wheels and sdists from the package registry pass PyPI's rules.

The corpus (varied build backends: setuptools, hatchling, flit, poetry-core, pdm-backend,
maturin, scikit-build-core, meson-python, mypyc; and platforms: manylinux, musllinux,
macOS, Windows) is fetched once with ``pip download`` into a cache directory
(``$RELEASEKIT_CORPUS_DIR``, else ``~/.cache/releasekit-tests/pypi-corpus``) and reused;
without a warm cache and without the registry the test is skipped. A cold fetch takes
about a minute on 2 cores (the sdists' metadata is prepared by pip); a warm run about a second.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest
from packaging.utils import parse_sdist_filename, parse_wheel_filename
from packaging.version import Version

from index_servers import sha256_of
from releasekit.artifacts import artifact_paths, find_artifacts
from releasekit.rules import check_pypi_rules
from releasekit.upload.form import DistFile, form_fields

# Read before the autouse fixture gives each test a fresh HOME.
CORPUS = Path(
    os.environ.get("RELEASEKIT_CORPUS_DIR")
    or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    / "releasekit-tests"
    / "pypi-corpus"
)
# (pip download options, requirements): each group one pip call.
BINARY = ["--only-binary", ":all:"]
GROUPS: list[tuple[list[str], list[str]]] = [
    (
        BINARY,
        [
            # pure Python, one per backend
            "requests", "attrs", "rich", "click", "packaging", "hatchling", "flit-core",
            "setuptools", "typing-extensions", "idna", "urllib3", "six", "poetry-core",
            "pdm-backend", "pluggy", "tomli", "certifi", "wheel", "trove-classifiers",
            # compiled, for this machine's platform
            "numpy", "cryptography", "pydantic-core", "orjson", "psutil", "pyyaml",
            "markupsafe", "charset-normalizer", "ruff", "msgpack", "ninja",
        ],
    ),
    (
        [*BINARY, "--platform", "macosx_11_0_arm64", "--python-version", "3.12"],
        ["markupsafe", "pyyaml", "psutil"],
    ),
    (
        [*BINARY, "--platform", "win_amd64", "--python-version", "3.12"],
        ["markupsafe", "pyyaml"],
    ),
    (
        [*BINARY, "--platform", "musllinux_1_2_x86_64", "--python-version", "3.12"],
        ["markupsafe", "orjson"],
    ),
    (
        ["--no-binary", ":all:"],
        ["idna", "iniconfig", "six", "packaging", "tomli", "click", "wheel"],
    ),
]  # fmt: skip


def fetch_corpus() -> Path:
    """The corpus directory, downloaded once (a marker records what was asked for)."""
    marker = CORPUS / "complete.json"
    if marker.is_file() and marker.read_text() == json.dumps(GROUPS):
        return CORPUS
    CORPUS.mkdir(parents=True, exist_ok=True)
    for options, requirements in GROUPS:
        pip = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps"]
        argv = [*pip, "--disable-pip-version-check", "-d", str(CORPUS), *options, *requirements]
        try:
            subprocess.run(argv, check=True, capture_output=True, timeout=300)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
            pytest.skip(f"the corpus could not be downloaded ({' '.join(argv[3:])}): {exc}")
    marker.write_text(json.dumps(GROUPS))
    return CORPUS


def releases(directory: Path) -> dict[tuple[str, Version], list[Path]]:
    found: dict[tuple[str, Version], list[Path]] = defaultdict(list)
    for path in artifact_paths(directory):
        if path.name.endswith(".whl"):
            name, version = parse_wheel_filename(path.name)[:2]
        else:
            name, version = parse_sdist_filename(path.name)
        found[(name, version)].append(path)
    return found


def test_real_wheels_and_sdists_break_no_pypi_rule() -> None:
    corpus = fetch_corpus()
    found = releases(corpus)
    files = sum(len(paths) for paths in found.values())
    assert files >= 40, f"only {files} files in {corpus}"
    assert any(p.name.endswith(".tar.gz") for paths in found.values() for p in paths)
    refused = {}
    for (name, version), paths in sorted(found.items()):
        artifacts = [a for a in find_artifacts(corpus) if a.path in paths]
        outcome = check_pypi_rules(artifacts, name, version)
        if outcome.failures:
            refused[f"{name} {version}"] = outcome.failures
    assert refused == {}


def test_the_upload_form_is_the_one_twine_sends_for_real_distributions() -> None:
    """releasekit builds the upload form itself (no twine at run time); twine is the
    reference PyPI follows, so the fields must be exactly twine's, file by file, but for
    the digests (releasekit sends sha256 only, as uv publish does)."""
    from twine.package import PackageFile
    from twine.repository import Repository

    corpus = fetch_corpus()
    digests = {"md5_digest", "blake2_256_digest", "sha256_digest"}
    compared = 0
    for paths in releases(corpus).values():
        for path in paths:
            twine_form = Repository._convert_metadata_to_list_of_tuples(
                PackageFile.from_filename(str(path), comment=None).metadata_dictionary()
            )
            theirs = sorted(
                (key, str(value))
                for key, value in twine_form
                if key not in digests and value not in (None, "")
            )
            ours = sorted(
                (key, value)
                for key, value in form_fields(DistFile(path, sha256_of(path)))
                if key not in digests | {":action", "protocol_version"}
            )
            assert ours == theirs, path.name
            compared += 1
    assert compared >= 40
