"""verify --reproduce's comparison: which members and metadata fields differ, and when a
difference is the backend's (a note) rather than a mismatch. Archives made here, in
memory, as backends write them."""

from __future__ import annotations

import gzip
import io
import tarfile
import zipfile

from releasekit.reproduce import MISMATCH, REPRODUCED, UNREPRODUCIBLE, compare_file

METADATA = b"Metadata-Version: 2.4\nName: demo\nVersion: 1.0.0\nSummary: %s\n\nThe README.\n"


def wheel(files: dict[str, bytes], *, date: tuple[int, ...] = (2026, 1, 2, 3, 4, 6)) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=date), content)  # type: ignore[arg-type]
    return buffer.getvalue()


def sdist(files: dict[str, bytes], *, mtime: int = 1767225600, gzip_mtime: int = 0) -> bytes:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for name, content in files.items():
            info = tarfile.TarInfo(name)
            info.size, info.mtime = len(content), mtime
            archive.addfile(info, io.BytesIO(content))
    return gzip.compress(raw.getvalue(), mtime=gzip_mtime)


WHEEL_FILES = {
    "demo/__init__.py": b"ANSWER = 42\n",
    "demo-1.0.0.dist-info/METADATA": METADATA % b"A demo",
}
SDIST_FILES = {
    "demo-1.0.0/src/demo/__init__.py": b"ANSWER = 42\n",
    "demo-1.0.0/PKG-INFO": METADATA % b"A demo",
}


def test_identical_bytes_are_reproduced() -> None:
    data = wheel(WHEEL_FILES)
    result = compare_file("demo-1.0.0-py3-none-any.whl", data, data, "hatchling.build")
    assert result.outcome == REPRODUCED
    assert result.served_sha256 == result.rebuilt_sha256


def test_a_wheel_names_the_members_and_metadata_fields_that_differ() -> None:
    served = wheel(WHEEL_FILES)
    rebuilt = wheel(
        {
            "demo/__init__.py": b"ANSWER = 43\n",
            "demo-1.0.0.dist-info/METADATA": METADATA % b"Another demo",
            "demo/extra.py": b"",
        }
    )

    result = compare_file("demo-1.0.0-py3-none-any.whl", served, rebuilt, "hatchling.build")

    assert result.outcome == MISMATCH
    assert result.members == (
        "demo-1.0.0.dist-info/METADATA (content)",
        "demo/__init__.py (content)",
        "demo/extra.py (only rebuilt)",
    )
    assert result.metadata_fields == ("Summary",)


def test_timestamps_of_a_reproducible_backend_are_a_mismatch() -> None:
    served = sdist(SDIST_FILES)
    rebuilt = sdist(SDIST_FILES, mtime=1767225999, gzip_mtime=1767225999)

    result = compare_file("demo-1.0.0.tar.gz", served, rebuilt, "hatchling.build")

    assert result.outcome == MISMATCH
    assert result.members == (
        "(gzip header) (timestamp)",
        "demo-1.0.0/PKG-INFO (timestamp)",
        "demo-1.0.0/src/demo/__init__.py (timestamp)",
    )
    assert result.metadata_fields == ()


def test_timestamps_of_a_setuptools_sdist_are_a_note_saying_why() -> None:
    served = sdist(SDIST_FILES)
    rebuilt = sdist(SDIST_FILES, mtime=1767225999, gzip_mtime=1767225999)

    result = compare_file("demo-1.0.0.tar.gz", served, rebuilt, "setuptools.build_meta")

    assert result.outcome == UNREPRODUCIBLE
    assert "not reproducible with setuptools.build_meta" in result.note
    assert "whatever SOURCE_DATE_EPOCH says; only timestamps differ" in result.note


def test_other_content_of_a_setuptools_sdist_is_still_a_mismatch() -> None:
    served = sdist(SDIST_FILES)
    changed = {**SDIST_FILES, "demo-1.0.0/src/demo/__init__.py": b"ANSWER = 0\n"}
    rebuilt = sdist(changed, mtime=1767225999)

    result = compare_file("demo-1.0.0.tar.gz", served, rebuilt, "setuptools.build_meta")

    assert result.outcome == MISMATCH
    assert "demo-1.0.0/src/demo/__init__.py (content)" in result.members


def test_a_member_order_change_is_named() -> None:
    served = wheel(WHEEL_FILES)
    rebuilt = wheel(dict(reversed(list(WHEEL_FILES.items()))))

    result = compare_file("demo-1.0.0-py3-none-any.whl", served, rebuilt, "flit_core.buildapi")

    assert result.outcome == MISMATCH
    assert result.members == ("(member order) (order)",)
