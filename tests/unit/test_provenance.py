"""PEP 740 provenance: signed at upload time (with a signer that writes attestation-shaped
JSON: real signing needs a CI identity and Sigstore's public services), and verified for
real and offline: ``releasekit verify --provenance``.

The distributions, attestations and provenance objects are genuine: the ``pypi-attestations``
sdist ships them in ``test/assets/`` (files published to PyPI from GitHub Actions and from
GitLab CI, signed with Sigstore's production instance). A small PEP 691 index on 127.0.0.1
serves them; every other network connection fails the test, so the Sigstore check can only
have used the trust root that ships with sigstore.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tarfile
import textwrap
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from release_project import Releasekit
from releasekit.config import Repository, load_config
from releasekit.errors import CredentialsError, ExitCode, UploadError
from releasekit.provenance import Signer, SignerFactory, attest_distributions, attest_for_upload

pytest.importorskip("pypi_attestations", reason="the test extra installs releasekit[attest]")

# The sdist whose test/assets/ hold the genuine attested distributions, pinned by hash.
ASSETS_SDIST = "pypi_attestations-0.0.30.tar.gz"
ASSETS_SHA256 = "14ff13c76bbef02a483c2b77532da02bfd746b5141b881f355e06b9807434423"
GITHUB_FILE = "pypi_attestations-0.0.19.tar.gz"  # trailofbits/pypi-attestations, release.yml
GITLAB_FILE = "gitlab_oidc_project-0.0.3.tar.gz"  # facutuesca/gitlab-oidc-project
# Read at import, before the tests' own HOME: the download is kept between runs.
CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "releasekit-tests"


@pytest.fixture(scope="session")
def assets(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``test/assets`` of the pypi-attestations sdist, downloaded once into
    ~/.cache/releasekit-tests (a CI cache keeps it between runs) and checked against its sha256."""
    cache = CACHE
    sdist = cache / ASSETS_SDIST
    if not sdist.is_file():
        # Into a directory of its own, then renamed: two xdist workers may both download.
        download = tmp_path_factory.mktemp("download")
        subprocess.run(
            [
                sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                "--no-binary", ":all:", "--dest", str(download), "pypi-attestations==0.0.30",
            ],
            check=True,
            timeout=300,
        )  # fmt: skip
        cache.mkdir(parents=True, exist_ok=True)
        os.replace(download / ASSETS_SDIST, sdist)
    digest = hashlib.sha256(sdist.read_bytes()).hexdigest()
    assert digest == ASSETS_SHA256, f"{sdist} is not the expected sdist (sha256 {digest})"
    target = tmp_path_factory.mktemp("attestation-assets")
    with tarfile.open(sdist) as archive:
        members = [m for m in archive.getmembers() if "/test/assets/" in m.name and m.isfile()]
        for member in members:
            member.name = Path(member.name).name
        archive.extractall(target, members=members, filter="data")
    return target


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any connection to anything but 127.0.0.1 fails the test (no TUF refresh, no Rekor)."""
    connect = socket.socket.connect

    def guarded(self: socket.socket, address: Any) -> None:
        host = address[0] if isinstance(address, tuple) else address
        if host not in ("127.0.0.1", "::1"):
            pytest.fail(f"the test tried to connect to {address!r}")
        connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


@dataclass
class ServedFile:
    content: bytes
    provenance: Any = None  # a PEP 740 provenance object, or None: 404
    # Announced in the PEP 691 page (else only the Integrity API serves it).
    provenance_in_simple_page: bool = True


@dataclass
class ProvenanceIndex:
    """A PEP 691 index with PyPI's Integrity API, on 127.0.0.1."""

    url: str = ""
    projects: dict[str, dict[str, ServedFile]] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)


@pytest.fixture
def provenance_index() -> Iterator[ProvenanceIndex]:
    index = ProvenanceIndex()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def answer(self, body: bytes, content_type: str) -> None:
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            index.requests.append(self.path)
            parts = self.path.strip("/").split("/")
            if parts[0] == "simple" and len(parts) == 2 and parts[1] in index.projects:
                files = [
                    {
                        "filename": name,
                        "url": f"/files/{name}",
                        "hashes": {"sha256": hashlib.sha256(f.content).hexdigest()},
                        **(
                            {"provenance": f"/provenance/{name}"}
                            if f.provenance_in_simple_page
                            else {}
                        ),
                    }
                    for name, f in index.projects[parts[1]].items()
                ]
                page = {"meta": {"api-version": "1.3"}, "name": parts[1], "files": files}
                return self.answer(json.dumps(page).encode(), "application/vnd.pypi.simple.v1+json")
            served = {n: f for files in index.projects.values() for n, f in files.items()}
            wanted = None
            if parts[0] == "provenance" and len(parts) == 2:
                wanted = parts[1]
            elif parts[0] == "integrity" and len(parts) == 5 and parts[4] == "provenance":
                wanted = parts[3]
            elif parts[0] == "files" and len(parts) == 2 and parts[1] in served:
                return self.answer(served[parts[1]].content, "application/octet-stream")
            if wanted in served and served[wanted].provenance is not None:
                body = json.dumps(served[wanted].provenance).encode()
                return self.answer(body, "application/vnd.pypi.integrity.v1+json")
            self.send_error(404)
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
    )
    thread.start()
    index.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield index
    finally:
        server.shutdown()
        server.server_close()


def released_project(tmp_path: Path, index: ProvenanceIndex, dist: Path, *, publisher: str) -> Path:
    """A project whose built file is ``dist``, its index the provenance index, and its
    expected trusted publisher the TOML ``publisher`` ([tool.releasekit.provenance])."""
    name, _, rest = dist.name.partition("-")
    version = rest.removesuffix(".tar.gz")
    root = tmp_path / "project"
    (root / "dist").mkdir(parents=True)
    shutil.copy(dist, root / "dist" / dist.name)
    (root / "pyproject.toml").write_text(
        textwrap.dedent(f"""\
        [project]
        name = "{name.replace("_", "-")}"
        version = "{version}"

        [tool.releasekit.repositories.local]
        upload-url = "{index.url}/legacy/"
        index-url = "{index.url}/simple/"

        [tool.releasekit.provenance]
        """)
        + textwrap.dedent(publisher)
    )
    return root


GITHUB_PUBLISHER = """\
    repository = "trailofbits/pypi-attestations"
    workflow = "release.yml"
"""


def serve(index: ProvenanceIndex, dist: Path, provenance: Any, **kwargs: Any) -> None:
    project = dist.name.partition("-")[0].replace("_", "-")
    index.projects.setdefault(project, {})[dist.name] = ServedFile(
        dist.read_bytes(), provenance, **kwargs
    )


def verify(releasekit: Releasekit, root: Path, *extra: str) -> tuple[int, dict[str, Any], str]:
    code, out, err = releasekit(
        "verify", "--project", root, "--repository", "local", "--timeout", "5", "--json", *extra
    )
    return code, json.loads(out), err


def github_provenance(assets: Path) -> Any:
    return json.loads((assets / f"{GITHUB_FILE}.provenance").read_text())


def gitlab_provenance(assets: Path) -> Any:
    """The provenance PyPI serves for the GitLab-published file: its attestation in a
    bundle naming the GitLab publisher."""
    attestation = json.loads((assets / f"{GITLAB_FILE}.publish.attestation").read_text())
    publisher = {
        "kind": "GitLab",
        "repository": "facutuesca/gitlab-oidc-project",
        "workflow_filepath": ".gitlab-ci.yml",
    }
    return {
        "version": 1,
        "attestation_bundles": [{"publisher": publisher, "attestations": [attestation]}],
    }


@pytest.mark.usefixtures("offline")
def test_provenance_of_a_file_published_from_github_verifies_offline(
    tmp_path: Path, assets: Path, provenance_index: ProvenanceIndex, releasekit: Releasekit
) -> None:
    dist = assets / GITHUB_FILE
    serve(provenance_index, dist, github_provenance(assets))
    root = released_project(tmp_path, provenance_index, dist, publisher=GITHUB_PUBLISHER)

    code, summary, err = verify(releasekit, root, "--provenance")

    assert code == 0, summary
    assert "TUF" not in err  # sigstore's own CLI warnings are not shown
    assert summary["publisher"] == {
        "provider": "github",
        "repository": "trailofbits/pypi-attestations",
        "workflow": "release.yml",
        "environment": "",
    }
    [verdict] = summary["provenance"]
    assert verdict["filename"] == GITHUB_FILE
    assert verdict["state"] == "verified"
    assert verdict["attestations"] == 1
    # Fetched from the provenance URL the PEP 691 page names.
    assert f"/provenance/{GITHUB_FILE}" in provenance_index.requests


@pytest.mark.usefixtures("offline")
def test_provenance_of_a_file_published_from_gitlab_verifies_through_the_integrity_api(
    tmp_path: Path, assets: Path, provenance_index: ProvenanceIndex, releasekit: Releasekit
) -> None:
    dist = assets / GITLAB_FILE
    serve(provenance_index, dist, gitlab_provenance(assets), provenance_in_simple_page=False)
    root = released_project(
        tmp_path,
        provenance_index,
        dist,
        publisher="""\
            provider = "gitlab"
            repository = "facutuesca/gitlab-oidc-project"
        """,
    )

    code, summary, _ = verify(releasekit, root, "--provenance")

    assert code == 0, summary
    assert [v["state"] for v in summary["provenance"]] == ["verified"]
    assert summary["publisher"]["workflow"] == ".gitlab-ci.yml"
    assert (
        f"/integrity/gitlab-oidc-project/0.0.3/{GITLAB_FILE}/provenance"
        in provenance_index.requests
    )


@pytest.mark.usefixtures("offline")
@pytest.mark.parametrize(
    ("publisher", "state", "found"),
    [
        (
            'repository = "acme/pypi-attestations"\nworkflow = "release.yml"\n',
            "wrong-repository",
            "signed by a workflow of https://github.com/trailofbits/pypi-attestations",
        ),
        (
            'repository = "trailofbits/pypi-attestations"\nworkflow = "publish.yml"\n',
            "wrong-workflow",
            "signed by https://github.com/trailofbits/pypi-attestations/.github/workflows/"
            "release.yml@",
        ),
    ],
    ids=["wrong-repository", "wrong-workflow"],
)
def test_provenance_by_another_publisher_fails_verify_naming_who_signed(
    tmp_path: Path,
    assets: Path,
    provenance_index: ProvenanceIndex,
    releasekit: Releasekit,
    publisher: str,
    state: str,
    found: str,
) -> None:
    dist = assets / GITHUB_FILE
    serve(provenance_index, dist, github_provenance(assets))
    root = released_project(tmp_path, provenance_index, dist, publisher=publisher)

    code, summary, err = verify(releasekit, root, "--provenance")

    assert code == 11
    [verdict] = summary["provenance"]
    assert verdict["state"] == state
    assert found in verdict["detail"]
    assert f"{GITHUB_FILE}: {state}: {found}" in summary["error"]
    assert f"{GITHUB_FILE}: {state}: {found}" in err


@pytest.mark.usefixtures("offline")
def test_a_file_changed_after_signing_is_reported_as_tampered(
    tmp_path: Path, assets: Path, provenance_index: ProvenanceIndex, releasekit: Releasekit
) -> None:
    # The index serves (and the project built) a file with the signed file's name but one
    # more byte: the hashes agree with each other, the attestation does not.
    tampered = tmp_path / "tampered" / GITHUB_FILE
    tampered.parent.mkdir()
    tampered.write_bytes((assets / GITHUB_FILE).read_bytes() + b"\0")
    serve(provenance_index, tampered, github_provenance(assets))
    root = released_project(tmp_path, provenance_index, tampered, publisher=GITHUB_PUBLISHER)

    code, summary, _ = verify(releasekit, root, "--provenance")

    assert code == 11
    [verdict] = summary["provenance"]
    assert verdict["state"] == "tampered"
    signed = hashlib.sha256((assets / GITHUB_FILE).read_bytes()).hexdigest()
    assert verdict["detail"] == (
        f"the file's sha256 is {hashlib.sha256(tampered.read_bytes()).hexdigest()} "
        f"but the attestation signs {signed}"
    )


@pytest.mark.usefixtures("offline")
def test_a_file_without_provenance_is_reported_as_missing(
    tmp_path: Path, assets: Path, provenance_index: ProvenanceIndex, releasekit: Releasekit
) -> None:
    dist = assets / GITHUB_FILE
    serve(provenance_index, dist, None, provenance_in_simple_page=False)
    root = released_project(tmp_path, provenance_index, dist, publisher=GITHUB_PUBLISHER)

    code, summary, _ = verify(releasekit, root, "--provenance")

    assert code == 11
    assert [(v["filename"], v["state"]) for v in summary["provenance"]] == [
        (GITHUB_FILE, "missing")
    ]
    assert "the upload was not attested" in summary["hint"]


@pytest.mark.usefixtures("offline")
def test_a_signature_that_does_not_verify_is_reported_as_invalid(
    tmp_path: Path, assets: Path, provenance_index: ProvenanceIndex, releasekit: Releasekit
) -> None:
    provenance = github_provenance(assets)
    envelope = provenance["attestation_bundles"][0]["attestations"][0]["envelope"]
    signature = bytearray(envelope["signature"].encode())
    signature[10] = ord("A") if signature[10] != ord("A") else ord("B")
    envelope["signature"] = signature.decode()
    dist = assets / GITHUB_FILE
    serve(provenance_index, dist, provenance)
    root = released_project(tmp_path, provenance_index, dist, publisher=GITHUB_PUBLISHER)

    code, summary, _ = verify(releasekit, root, "--provenance")

    assert code == 11
    assert [v["state"] for v in summary["provenance"]] == ["invalid"]


def test_provenance_is_not_checked_on_a_private_index_unless_asked(
    tmp_path: Path, assets: Path, provenance_index: ProvenanceIndex, releasekit: Releasekit
) -> None:
    dist = assets / GITHUB_FILE
    serve(provenance_index, dist, None)
    root = released_project(tmp_path, provenance_index, dist, publisher=GITHUB_PUBLISHER)

    code, summary, _ = verify(releasekit, root)

    assert code == 0
    assert summary["provenance"] is None
    assert not any("provenance" in r or "integrity" in r for r in provenance_index.requests)


def test_auto_checks_provenance_on_pypi_when_the_upload_left_attestations(
    tmp_path: Path,
) -> None:
    from releasekit.artifacts import Artifact
    from releasekit.config import Repository, load_config
    from releasekit.steps.verify import _wants_provenance

    (tmp_path / "pyproject.toml").write_text('[project]\nname = "demo"\nversion = "1.0"\n')
    wheel = tmp_path / "demo-1.0-py3-none-any.whl"
    wheel.write_bytes(b"wheel")
    artifacts = (Artifact.from_path(wheel),)
    config = load_config(tmp_path)
    pypi = config.repository("prod")
    private = Repository(
        name="local", upload_url="http://127.0.0.1:1/", index_url="http://127.0.0.1:1/simple/"
    )

    assert not _wants_provenance(config, pypi, artifacts)  # not attested
    (tmp_path / "demo-1.0-py3-none-any.whl.publish.attestation").write_text("{}")
    assert _wants_provenance(config, pypi, artifacts)
    assert not _wants_provenance(config, private, artifacts)  # no PEP 740 there
    never = load_config(tmp_path, overrides={"verify.provenance": False})
    assert not _wants_provenance(never, pypi, artifacts)
    always = load_config(tmp_path, overrides={"verify.provenance": True})
    assert _wants_provenance(always, private, artifacts)


@pytest.mark.usefixtures("offline")
def test_in_a_gitlab_job_the_expected_publisher_is_the_jobs_own_project(
    tmp_path: Path,
    assets: Path,
    provenance_index: ProvenanceIndex,
    releasekit: Releasekit,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # What init-ci gitlab --target pypi runs: verify with no [tool.releasekit.provenance].
    dist = assets / GITLAB_FILE
    serve(provenance_index, dist, gitlab_provenance(assets))
    root = released_project(tmp_path, provenance_index, dist, publisher="")
    monkeypatch.setenv("GITLAB_CI", "true")
    monkeypatch.setenv("CI_PROJECT_PATH", "facutuesca/gitlab-oidc-project")
    monkeypatch.setenv("CI_CONFIG_PATH", ".gitlab-ci.yml")

    code, summary, _ = verify(releasekit, root, "--provenance")

    assert code == 0, summary
    assert summary["publisher"] == {
        "provider": "gitlab",
        "repository": "facutuesca/gitlab-oidc-project",
        "workflow": ".gitlab-ci.yml",
        "environment": "",
    }

    monkeypatch.setenv("CI_PROJECT_PATH", "someone/else")
    code, summary, _ = verify(releasekit, root, "--provenance")
    assert code == 11
    assert [v["state"] for v in summary["provenance"]] == ["wrong-repository"]


@pytest.mark.usefixtures("offline")
def test_a_publisher_of_another_environment_is_reported(
    tmp_path: Path, assets: Path, provenance_index: ProvenanceIndex, releasekit: Releasekit
) -> None:
    provenance = github_provenance(assets)
    provenance["attestation_bundles"][0]["publisher"]["environment"] = "staging"
    dist = assets / GITHUB_FILE
    serve(provenance_index, dist, provenance)
    root = released_project(
        tmp_path, provenance_index, dist, publisher=GITHUB_PUBLISHER + 'environment = "pypi"\n'
    )

    code, summary, err = verify(releasekit, root, "--provenance")

    assert code == 11
    [verdict] = summary["provenance"]
    assert verdict["state"] == "wrong-environment"
    assert "environment 'staging', expected 'pypi'" in verdict["detail"]
    assert "Do not announce this release" in err


@pytest.mark.usefixtures("offline")
def test_verify_says_in_words_whose_signature_it_checked(
    tmp_path: Path, assets: Path, provenance_index: ProvenanceIndex, releasekit: Releasekit
) -> None:
    dist = assets / GITHUB_FILE
    serve(provenance_index, dist, github_provenance(assets))
    root = released_project(tmp_path, provenance_index, dist, publisher=GITHUB_PUBLISHER)

    code, out, _ = releasekit(
        "verify", "--project", root, "--repository", "local", "--timeout", "5", "--provenance"
    )

    assert code == 0
    assert (
        f"  provenance verified: {GITHUB_FILE}: 1 attestation(s) by GitHub "
        "trailofbits/pypi-attestations, workflow release.yml"
    ) in out


@pytest.mark.usefixtures("offline")
def test_a_certificate_that_is_no_certificate_is_reported_as_invalid(
    tmp_path: Path, assets: Path, provenance_index: ProvenanceIndex, releasekit: Releasekit
) -> None:
    provenance = github_provenance(assets)
    material = provenance["attestation_bundles"][0]["attestations"][0]["verification_material"]
    material["certificate"] = base64.b64encode(b"not a certificate").decode()
    dist = assets / GITHUB_FILE
    serve(provenance_index, dist, provenance)
    root = released_project(tmp_path, provenance_index, dist, publisher=GITHUB_PUBLISHER)

    code, summary, err = verify(releasekit, root, "--provenance")

    assert code == 11
    assert [v["state"] for v in summary["provenance"]] == ["invalid"]
    assert "Traceback" not in err


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
