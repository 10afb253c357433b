"""The upload form releasekit sends: what PyPI's legacy API reads, built from the file."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest

from pypi_artifacts import NAME, VERSION, sdist, wheel
from releasekit.upload.form import DistFile, MultipartBody, form_fields


@pytest.mark.parametrize(
    ("make", "filetype", "pyversion"),
    [(wheel, "bdist_wheel", "py3"), (sdist, "sdist", "source")],
)
def test_the_form_carries_protocol_metadata_and_the_sha256_digest(
    tmp_path: Path, make: Callable[[Path], Path], filetype: str, pyversion: str
) -> None:
    path = make(tmp_path)
    dist = DistFile(path, hashlib.sha256(path.read_bytes()).hexdigest())

    fields = form_fields(dist)
    values = dict(fields)

    assert fields[:2] == [(":action", "file_upload"), ("protocol_version", "1")]
    assert (values["name"], values["version"]) == (NAME, VERSION)
    assert (values["filetype"], values["pyversion"]) == (filetype, pyversion)
    assert values["summary"] == "A demo package"
    assert values["description"].startswith("# Demo")
    assert values["description_content_type"] == "text/markdown"
    assert values["requires_python"] == ">=3.10"
    assert values["sha256_digest"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert not {"md5_digest", "blake2_256_digest"} & set(values)  # uv's choice: one pass
    assert "attestations" not in values


def test_the_body_streams_the_file_between_the_fields_and_the_closing_boundary(
    tmp_path: Path,
) -> None:
    path = wheel(tmp_path)
    body = MultipartBody.build([("name", NAME)], path)

    sent = b"".join(body.chunks())

    assert len(sent) == body.length
    assert sent.startswith(
        f'--{body.boundary}\r\nContent-Disposition: form-data; name="name"'.encode()
    )
    assert f'name="content"; filename="{path.name}"'.encode() in sent
    assert path.read_bytes() in sent
    assert sent.endswith(f"\r\n--{body.boundary}--\r\n".encode())


@pytest.mark.parametrize(("metadata_version", "sent"), [("2.1", False), ("2.4", True)])
def test_license_file_goes_up_only_from_metadata_2_4(
    tmp_path: Path, metadata_version: str, sent: bool
) -> None:
    """setuptools wrote License-File under 2.1 with another meaning: left out, as twine
    does (PyPI refuses the field below 2.4)."""
    import zipfile

    path = tmp_path / "demo-1.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as wheel:
        wheel.writestr(
            "demo-1.0.dist-info/METADATA",
            f"Metadata-Version: {metadata_version}\nName: demo\nVersion: 1.0\n"
            "License-File: LICENSE\n",
        )

    values = dict(form_fields(DistFile(path, hashlib.sha256(path.read_bytes()).hexdigest())))

    assert ("license_file" in values) is sent
