"""PEP 740 attestations beside the built files: checked, listed, uploaded with their file,
refused with an API token on PyPI, and removed by a rebuild (issue 12, case 7)."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from fault_proxy import FaultProxy
from index_servers import NewIndex, StartProxy
from release_project import SDIST, WHEEL, RecordingRunner, Release, ToTest, release_on
from releasekit.config import Repository
from releasekit.errors import CredentialsError, ExitCode
from releasekit.steps.check import check_release
from releasekit.steps.upload import upload_release

Capsys = pytest.CaptureFixture[str]


def attestation(name: str, sha256: str) -> dict[str, object]:
    """The shape of a PEP 740 attestation (unsigned: releasekit checks shape and subject)."""
    statement = {
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": name, "digest": {"sha256": sha256}}],
        "predicateType": "https://docs.pypi.org/attestations/publish/v1",
        "predicate": None,
    }
    return {
        "version": 1,
        "verification_material": {"certificate": "MIIC", "transparency_entries": []},
        "envelope": {
            "statement": base64.b64encode(json.dumps(statement).encode()).decode(),
            "signature": "c2lnbmF0dXJl",
        },
    }


def attest(release: Release, name: str, sha256: str | None = None) -> Path:
    path = release.root / "dist" / f"{name}.publish.attestation"
    path.write_text(json.dumps(attestation(name, sha256 or release.local_files()[name])))
    return path


@pytest.fixture
def proxied(
    tmp_path_factory: pytest.TempPathFactory,
    tmp_path: Path,
    new_index: NewIndex,
    fault_proxy: StartProxy,
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[Release, FaultProxy]:
    """The example project; its "test" repository a pypiserver behind a fault proxy."""
    test = new_index("pypiserver", "test")
    proxy = fault_proxy(test.url)
    return release_on(tmp_path_factory, tmp_path, monkeypatch, test, proxy=proxy), proxy


@pytest.fixture
def release(proxied: tuple[Release, FaultProxy]) -> Release:
    return proxied[0]


def test_an_attestation_is_listed_by_check_and_uploaded_with_its_file(
    proxied: tuple[Release, FaultProxy], capsys: Capsys
) -> None:
    release, proxy = proxied
    attest(release, WHEEL)

    checked = release.run(capsys, "check", "--json")
    uploaded = release.run(capsys, "upload-test", "--json")

    assert checked.code == ExitCode.OK, checked.text
    assert f"{WHEEL}.publish.attestation is uploaded with its file" in checked.json["notes"]
    assert "attestations" in checked.json["passed"]
    assert uploaded.code == ExitCode.OK, uploaded.text
    assert uploaded.json["attestations"] == [f"{WHEEL}.publish.attestation"]
    sent = {r.uploaded: r.attestations for r in proxy.requests if r.method == "POST"}
    assert json.loads(sent[WHEEL]) == [attestation(WHEEL, release.local_files()[WHEEL])]
    assert sent[SDIST] == ""  # the sdist has none


def test_an_attestation_for_other_bytes_fails_check_and_nothing_is_uploaded(
    release: Release, capsys: Capsys
) -> None:
    attest(release, SDIST, sha256="0" * 64)

    outcome = release.run(capsys, "upload-test")

    assert outcome.code == ExitCode.CHECK
    assert (
        f"{SDIST}.publish.attestation attests {SDIST} sha256:{'0' * 64}, not {SDIST} "
        f"sha256:{release.local_files()[SDIST]}."
    ) in outcome.err


def test_a_damaged_attestation_fails_check(release: Release, capsys: Capsys) -> None:
    (release.root / "dist" / f"{WHEEL}.publish.attestation").write_text("{not json")

    outcome = release.run(capsys, "check")

    assert outcome.code == ExitCode.CHECK
    assert f"{WHEEL}.publish.attestation is not a PEP 740 attestation" in outcome.err


def test_attestations_with_an_api_token_are_refused_before_uploading_to_pypi(
    release: Release,
) -> None:
    attest(release, WHEEL)
    plan = release.plan("test")
    checked = check_release(plan, RecordingRunner(), release.repository("test"))
    pypi = Repository(
        name="prod",
        upload_url="https://upload.pypi.org/legacy/",
        index_url="https://pypi.org/simple/",
        token_env="PYPI_TOKEN",
    )

    with pytest.raises(CredentialsError) as raised:
        upload_release(
            plan,
            RecordingRunner(),
            pypi,
            checked,
            yes=True,
            env={"PYPI_TOKEN": "pypi-not-a-macaroon", "HOME": "/nonexistent"},
        )

    assert raised.value.message == (
        f"{WHEEL}.publish.attestation: prod takes attestations only from trusted publishing, "
        "not with the credentials from PYPI_TOKEN."
    )


def test_a_rebuild_removes_stale_attestations(release: Release, capsys: Capsys) -> None:
    stale = attest(release, WHEEL)

    rebuilt = release.run(capsys, "build")

    assert rebuilt.code == ExitCode.OK, rebuilt.text
    assert not stale.exists()
    assert {p.name for p in (release.root / "dist").iterdir()} == {WHEEL, SDIST}


def test_upload_with_attest_and_a_password_is_refused_before_anything_is_sent(
    to_test: ToTest, capsys: pytest.CaptureFixture[str]
) -> None:
    release, index = to_test()

    outcome = release.run(capsys, "upload", "--repository", "test", "--attest", "--json")

    assert outcome.code == ExitCode.CREDENTIALS
    assert "Cannot attest the upload to test" in outcome.json["error"]
    assert index.files("rk-demo") == {}
    assert not list((release.root / "dist").glob("*.publish.attestation"))
