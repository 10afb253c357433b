"""``upload FILE...``: the files named on the command line, as twine and uv take them.

They are staged as an output directory of their own (links, not copies), so check and
upload see exactly what they see in dist/: every check, the index comparison and the
upload itself run unchanged on them. A file's PEP 740 attestation beside it goes along.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from releasekit.artifacts import ARTIFACT_SUFFIXES
from releasekit.attestations import attestation_path
from releasekit.errors import UsageError


@contextlib.contextmanager
def staged(files: Sequence[Path]) -> Iterator[Path]:
    """A directory holding exactly ``files`` (and their attestations), removed after."""
    chosen: dict[str, Path] = {}
    for path in files:
        if not path.name.endswith(ARTIFACT_SUFFIXES):
            raise UsageError(
                f"{path} is not a distribution file (a wheel .whl, or an sdist .tar.gz/.zip).",
                "Name the files to upload (e.g. dist/*), or none to upload the output directory's.",
            )
        if not path.is_file():
            raise UsageError(f"{path}: no such file.", "Check the path, or build first.")
        if path.name in chosen and chosen[path.name].resolve() != path.resolve():
            raise UsageError(
                f"Two different files are named {path.name}: {chosen[path.name]} and {path}.",
                "An index holds one file of a name: give one of them.",
            )
        chosen[path.name] = path
    with tempfile.TemporaryDirectory(prefix="releasekit-files-") as directory:
        outdir = Path(directory)
        for name, path in chosen.items():
            _link(path, outdir / name)
            attestation = attestation_path(path)
            if attestation.is_file():
                _link(attestation, outdir / attestation.name)
        yield outdir


def _link(source: Path, target: Path) -> None:
    """A hard link when the file system allows one (same bytes, no copy), else a symlink."""
    try:
        os.link(source, target)
    except OSError:
        target.symlink_to(source.resolve())
