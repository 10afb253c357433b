"""Archives are untrusted input: a real zip bomb (a wheel of about 1 MB whose METADATA is
1 GiB unpacked) is refused by check's readers without reading it into memory."""

from __future__ import annotations

import hashlib
import tracemalloc
import zipfile
from pathlib import Path

import pytest

from releasekit.artifacts import MEMBER_LIMIT, ArchiveLimitError, Artifact, metadata_bytes
from releasekit.rules.contents import read_contents

GIB = 1024**3


@pytest.fixture(scope="module")
def zip_bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """bomb-1.0-py3-none-any.whl: a valid wheel's layout, its METADATA 1 GiB of padding
    after real headers, deflated to about 1 MB."""
    path = tmp_path_factory.mktemp("bomb") / "bomb-1.0-py3-none-any.whl"
    block = b"\0" * (1 << 20)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as wheel:
        wheel.writestr("bomb/__init__.py", "")
        with wheel.open("bomb-1.0.dist-info/METADATA", "w", force_zip64=True) as metadata:
            metadata.write(b"Metadata-Version: 2.1\nName: bomb\nVersion: 1.0\n\n")
            for _ in range(GIB // len(block)):
                metadata.write(block)
        wheel.writestr("bomb-1.0.dist-info/WHEEL", "Wheel-Version: 1.0\nRoot-Is-Purelib: true\n")
        wheel.writestr("bomb-1.0.dist-info/RECORD", "")
    return path


def artifact(path: Path) -> Artifact:
    data = path.read_bytes()
    return Artifact(path, "wheel", len(data), hashlib.sha256(data).hexdigest())


def test_a_zip_bomb_is_small_on_disk_and_huge_unpacked(zip_bomb: Path) -> None:
    assert zip_bomb.stat().st_size < 8 * 1024 * 1024
    with zipfile.ZipFile(zip_bomb) as wheel:
        assert wheel.getinfo("bomb-1.0.dist-info/METADATA").file_size > GIB


def test_check_refuses_a_zip_bomb_without_reading_it_into_memory(zip_bomb: Path) -> None:
    tracemalloc.start()
    try:
        with pytest.raises(ArchiveLimitError) as raised:
            metadata_bytes(zip_bomb, "wheel")
        contents = read_contents(artifact(zip_bomb))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    limit = MEMBER_LIMIT // (1024 * 1024)
    assert str(raised.value) == (
        f"bomb-1.0.dist-info/METADATA is larger than {limit} MiB unpacked, which no real "
        "distribution's metadata is (a damaged or hostile archive)"
    )
    assert contents.unreadable == str(raised.value)
    assert peak < 4 * MEMBER_LIMIT, f"{peak / 2**20:.0f} MiB held at once"
