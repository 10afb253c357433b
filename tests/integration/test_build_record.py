"""The build record: once an upload of a version began, its files are the release; an
upload of other bytes of that version is refused before anything is sent."""

from __future__ import annotations

import pytest

from release_project import NAME, VERSION, ToTestAndProd, rebuild_with_other_contents
from releasekit.errors import ExitCode
from sample_release import sha256_files


def test_an_upload_of_other_bytes_of_a_version_already_sent_is_refused(
    to_test_and_prod: ToTestAndProd,
    tmp_path_factory: pytest.TempPathFactory,
    capsys: pytest.CaptureFixture[str],
) -> None:
    release, test, prod = to_test_and_prod()
    assert test.packages_dir is not None
    assert prod.packages_dir is not None
    sent = release.run(capsys, "upload-test")
    assert sent.code == ExitCode.OK, sent.text
    on_test = sha256_files(test.packages_dir)
    rebuild_with_other_contents(tmp_path_factory, release.root)

    refused = release.run(capsys, "upload-prod", "--yes")

    assert refused.code == ExitCode.UPLOAD, refused.text
    assert f"Other files of {NAME} {VERSION} went to test already (kept in " in refused.err
    assert "a version's files never change once an upload began. Nothing was sent." in (refused.err)
    assert "Run publish or release --resume, which send the kept files" in refused.err
    assert sha256_files(prod.packages_dir) == {}

    # publish puts the kept files back and sends exactly what test has.
    published = release.run(capsys, "publish", "--yes")
    assert published.code == ExitCode.OK, published.text
    assert sha256_files(prod.packages_dir) == on_test == sha256_files(release.root / "dist")
