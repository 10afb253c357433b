"""PEP 740 signing at upload time, with an injected signer.

Real signing needs an OIDC identity from a CI provider and Sigstore's public Fulcio and
Rekor, which no test can reach: the signer is replaced by one that writes attestation-shaped
JSON (an in-toto statement naming the file and its sha256), and everything around it —
when releasekit signs, what it refuses, which files it writes, what it leaves on failure —
runs for real.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from release_project import FILES, ToTest
from releasekit.config import Repository, load_config
from releasekit.errors import CredentialsError, ExitCode, UploadError
from releasekit.provenance import Signer, SignerFactory, attest_distributions, attest_for_upload

PYPI = Repository(
    name="prod", upload_url="https://upload.pypi.org/legacy/", index_url="https://pypi.org/simple/"
)
LOCAL = Repository(
    name="local", upload_url="http://127.0.0.1:1/legacy/", index_url="http://127.0.0.1:1/simple/"
)


def statement_for(name: str, sha256: str) -> str:
    statement = {
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": name, "digest": {"sha256": sha256}}],
        "predicateType": "https://docs.pypi.org/attestations/publish/v1",
        "predicate": None,
    }
    envelope = {
        "statement": base64.b64encode(json.dumps(statement).encode()).decode(),
        "signature": base64.b64encode(b"signature").decode(),
    }
    return json.dumps(
        {"version": 1, "verification_material": {"certificate": ""}, "envelope": envelope}
    )


class FakeSigner(Signer):
    """Signs whatever it is given (or, with ``lie``, always the same other file)."""

    def __init__(self, lie: str = "") -> None:
        self.signed: list[str] = []
        self.lie = lie

    def sign(self, path: Path) -> str:
        self.signed.append(path.name)
        if self.lie:
            return statement_for(self.lie, "0" * 64)
        return statement_for(path.name, hashlib.sha256(path.read_bytes()).hexdigest())


def factory(signer: FakeSigner) -> tuple[list[str], SignerFactory]:
    entered: list[str] = []

    @contextmanager
    def make() -> Iterator[Signer]:
        entered.append("signer")
        yield signer

    return entered, make


def distributions(tmp_path: Path) -> list[Path]:
    (tmp_path / "dist").mkdir()
    paths = [tmp_path / "dist" / "demo-1.0-py3-none-any.whl", tmp_path / "dist" / "demo-1.0.tar.gz"]
    for number, path in enumerate(paths):
        path.write_bytes(b"distribution %d" % number)
    return paths


def subject(attestation: Path) -> dict[str, object]:
    document = json.loads(attestation.read_text())
    statement = json.loads(base64.b64decode(document["envelope"]["statement"]))
    return dict(statement["subject"][0])


def test_trusted_publishing_to_pypi_writes_one_publish_attestation_per_file(
    tmp_path: Path,
) -> None:
    paths = distributions(tmp_path)
    signer = FakeSigner()
    _, make = factory(signer)

    written = attest_distributions(paths, PYPI, trusted_publishing=True, signer=make)

    assert [p.name for p in written] == [
        "demo-1.0-py3-none-any.whl.publish.attestation",
        "demo-1.0.tar.gz.publish.attestation",
    ]
    for path, attestation in zip(paths, written, strict=True):
        assert subject(attestation) == {
            "name": path.name,
            "digest": {"sha256": hashlib.sha256(path.read_bytes()).hexdigest()},
        }


@pytest.mark.parametrize(
    ("repository", "trusted", "reason"),
    [
        (PYPI, False, "the upload uses an API token"),
        (LOCAL, True, "local is not PyPI or TestPyPI"),
    ],
    ids=["api-token", "not-pypi"],
)
def test_attestations_that_pypi_would_reject_are_refused_before_signing(
    tmp_path: Path, repository: Repository, trusted: bool, reason: str
) -> None:
    paths = distributions(tmp_path)
    entered, make = factory(FakeSigner())

    with pytest.raises(CredentialsError) as raised:
        attest_distributions(paths, repository, trusted_publishing=trusted, signer=make)

    assert reason in raised.value.message
    assert "attest = false" in raised.value.hint
    assert raised.value.exit_code == ExitCode.CREDENTIALS
    assert entered == []
    assert sorted(p.name for p in (tmp_path / "dist").iterdir()) == sorted(p.name for p in paths)


def test_a_signer_that_signs_another_file_leaves_no_attestation_behind(tmp_path: Path) -> None:
    paths = distributions(tmp_path)
    _, make = factory(FakeSigner(lie="other-1.0.tar.gz"))

    with pytest.raises(UploadError, match="signs another file"):
        attest_distributions(paths, PYPI, trusted_publishing=True, signer=make)

    assert not list((tmp_path / "dist").glob("*.publish.attestation"))


def test_upload_hook_attests_by_default_only_where_pypi_accepts_it(tmp_path: Path) -> None:
    paths = distributions(tmp_path)
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "demo"\nversion = "1.0"\n')
    config = load_config(tmp_path)
    signer = FakeSigner()
    _, make = factory(signer)

    skipped, note = attest_for_upload(config, PYPI, paths, trusted_publishing=False, signer=make)
    assert (skipped, note) == ((), "no attestations: the upload uses an API token, and PyPI "
                               "accepts attestations only from a trusted publisher")  # fmt: skip
    assert attest_for_upload(config, LOCAL, paths, trusted_publishing=False) == ((), "")

    written, note = attest_for_upload(config, PYPI, paths, trusted_publishing=True, signer=make)
    assert signer.signed == [p.name for p in paths]
    assert len(written) == 2
    assert note == "signed 2 PEP 740 publish attestation(s)"


def test_attest_false_turns_signing_off(tmp_path: Path) -> None:
    paths = distributions(tmp_path)
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "demo"\nversion = "1.0"\n\n[tool.releasekit]\nattest = false\n'
    )
    entered, make = factory(FakeSigner())

    result = attest_for_upload(
        load_config(tmp_path),
        PYPI,
        paths,
        trusted_publishing=True,
        signer=make,
    )

    assert result == ((), "attestations are off (attest = false)")
    assert entered == []


def test_upload_with_attest_and_a_password_is_refused_before_anything_is_sent(
    to_test: ToTest, capsys: pytest.CaptureFixture[str]
) -> None:
    release, index = to_test()

    outcome = release.run(capsys, "upload", "--repository", "test", "--attest", "--json")

    assert outcome.code == ExitCode.CREDENTIALS
    assert "Cannot attest the upload to test" in outcome.json["error"]
    assert index.files("rk-demo") == {}
    assert not list((release.root / "dist").glob("*.publish.attestation"))


def test_without_the_attest_extra_a_default_upload_goes_unsigned_with_a_note(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from releasekit import provenance

    paths = distributions(tmp_path)
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "demo"\nversion = "1.0"\n')
    monkeypatch.setattr(provenance, "_attest_installed", lambda: False)
    entered, make = factory(FakeSigner())

    result = attest_for_upload(
        load_config(tmp_path), PYPI, paths, trusted_publishing=True, signer=make
    )

    assert result == (
        (),
        "no attestations: pypi-attestations and sigstore are not installed "
        "(pip install 'releasekit[attest]')",
    )
    assert entered == []


def test_a_rebuild_removes_the_attestations_of_the_files_it_replaces(
    to_test: ToTest, capsys: pytest.CaptureFixture[str]
) -> None:
    release, _ = to_test()
    dist = release.root / "dist"
    stale = [dist / (name + ".publish.attestation") for name in release.local_files()]
    for path in stale:
        path.write_text("{}")

    outcome = release.run(capsys, "build")

    assert outcome.code == 0, outcome.err
    assert not [path for path in stale if path.exists()]
    assert sorted(p.name for p in dist.iterdir()) == sorted(FILES)
