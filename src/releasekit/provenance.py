"""PEP 740: sign distributions as publish attestations before an upload, and verify the
provenance an index serves for them afterwards (every attestation signs exactly the built
file and was made by the expected trusted publisher: the file came out of this project's
own workflow). Uses ``pypi-attestations`` and ``sigstore`` (the ``attest`` extra), imported
only when used: they are large. The attestation files themselves: :mod:`.attestations`.
"""

from __future__ import annotations

import importlib.util
import logging
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from releasekit.artifacts import sha256_of
from releasekit.attestations import attestation_path, attestation_refusal, check_signed
from releasekit.errors import ConfigError, CredentialsError, ReleaseError, UploadError
from releasekit.trust.publisher import check_trusted_publishing

if TYPE_CHECKING:
    from releasekit.config import ReleaseConfig
    from releasekit.repositories import Repository
    from releasekit.runner import Runner

ISSUERS = {"github": "https://github.com", "gitlab": "https://gitlab.com"}
DEFAULT_WORKFLOWS = {"github": "release.yml", "gitlab": ".gitlab-ci.yml"}
# Fulcio certificate extensions (https://github.com/sigstore/fulcio docs/oid-info.md).
_SOURCE_REPOSITORY_URI = "1.3.6.1.4.1.57264.1.12"
_BUILD_CONFIG_URI = "1.3.6.1.4.1.57264.1.18"
_MISSING_EXTRA = (
    "Install the attest extra next to releasekit: pip install 'releasekit[attest]' "
    "(pypi-attestations and sigstore)."
)

ProvenanceState = Literal[
    "verified",
    "missing",
    "tampered",
    "invalid",
    "wrong-repository",
    "wrong-workflow",
    "wrong-environment",
]


@dataclass(frozen=True)
class ExpectedPublisher:
    """Who must have signed: a trusted publisher as PyPI knows it."""

    provider: Literal["github", "gitlab"]
    repository: str  # OWNER/NAME (GitLab: GROUP/[SUBGROUP/]NAME)
    workflow: str  # GitHub: the workflow's file name; GitLab: the CI file's path
    environment: str = ""

    def describe(self) -> str:
        where = "GitHub" if self.provider == "github" else "GitLab"
        environment = f", environment {self.environment}" if self.environment else ""
        return f"{where} {self.repository}, workflow {self.workflow}{environment}"

    def to_json(self) -> dict[str, str]:
        return asdict(self)


@dataclass(frozen=True)
class ProvenanceVerdict:
    """What the provenance of one file proves; ``detail`` says what was found."""

    filename: str
    state: ProvenanceState
    detail: str
    attestations: int = 0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _attestations() -> Any:
    try:
        import pypi_attestations
    except ImportError:
        raise ConfigError(
            "Attestations need pypi-attestations and sigstore, which are not installed.",
            _MISSING_EXTRA,
        ) from None
    return pypi_attestations


# --- verifying -------------------------------------------------------------------------


def verify_provenance(
    path: Path, provenance: Any, expected: ExpectedPublisher
) -> ProvenanceVerdict:
    """Check the provenance object an index serves for the local file ``path``.

    Every attestation of every bundle must verify: Sigstore signature, certificate chain
    and transparency-log entry against the production trust root (offline: the root that
    ships with sigstore, no TUF refresh), the subject's name and sha256 equal to the file's,
    and the signing identity equal to ``expected``. Failures are diagnosed in that order.
    """
    api = _attestations()
    from pydantic import ValidationError

    name = path.name
    if provenance is None:
        return ProvenanceVerdict(name, "missing", "the index serves no provenance for it")
    try:
        parsed = api.Provenance.model_validate(provenance)
    except ValidationError as exc:
        return ProvenanceVerdict(
            name, "invalid", f"the provenance is not a PEP 740 provenance object ({exc})"
        )
    dist = api.Distribution.from_file(path)
    with _quiet_sigstore():
        return _verify_bundles(api, parsed, dist, expected)


@contextmanager
def _quiet_sigstore() -> Iterator[None]:
    """sigstore logs warnings meant for its own CLI ("TUF repository is loaded in offline
    mode", "unsafe (no-op) verification policy used" for the diagnosis below): not ours."""
    logger = logging.getLogger("sigstore")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def _verify_bundles(
    api: Any, parsed: Any, dist: Any, expected: ExpectedPublisher
) -> ProvenanceVerdict:
    name = dist.name
    checked = 0
    for bundle in parsed.attestation_bundles:
        for attestation in bundle.attestations:
            checked += 1
            failure = _verify_attestation(api, attestation, dist, expected)
            if failure is not None:
                state, detail = failure
                return ProvenanceVerdict(name, state, detail, checked)
        environment = getattr(bundle.publisher, "environment", None)
        if expected.environment and environment and environment != expected.environment:
            return ProvenanceVerdict(
                name,
                "wrong-environment",
                f"the index says its trusted publisher uses environment {environment!r}, "
                f"expected {expected.environment!r}",
                checked,
            )
    if not checked:
        return ProvenanceVerdict(name, "missing", "the provenance holds no attestation")
    return ProvenanceVerdict(
        name, "verified", f"{checked} attestation(s) by {expected.describe()}", checked
    )


def _verify_attestation(
    api: Any, attestation: Any, dist: Any, expected: ExpectedPublisher
) -> tuple[ProvenanceState, str] | None:
    """``None`` when the attestation verifies; otherwise why not."""
    if expected.provider == "github":
        publisher = api.GitHubPublisher(repository=expected.repository, workflow=expected.workflow)
    else:
        publisher = api.GitLabPublisher(
            repository=expected.repository, workflow_filepath=expected.workflow
        )
    try:
        attestation.verify(publisher, dist, offline=True)
    # A malformed certificate or signature surfaces from cryptography as a ValueError.
    except (api.AttestationError, ValueError) as exc:
        first = str(exc)
    else:
        return None
    # The verdict is the library's; what follows only names the reason, from the parts
    # it checked: the signed subject, then the signature alone, then the identity.
    try:
        subjects = attestation.statement.get("subject") or []
        signed = (subjects[0].get("digest") or {}).get("sha256") if subjects else None
    except (ValueError, AttributeError):
        signed = None
    if signed and signed != dist.digest:
        return (
            "tampered",
            f"the file's sha256 is {dist.digest} but the attestation signs {signed}",
        )
    from sigstore.verify.policy import UnsafeNoOp

    try:
        attestation.verify(UnsafeNoOp(), dist, offline=True)
    except (api.AttestationError, ValueError) as exc:
        return "invalid", f"the attestation does not verify: {exc}"
    claims = attestation.certificate_claims
    source = claims.get(_SOURCE_REPOSITORY_URI, "")
    wanted = f"{ISSUERS[expected.provider]}/{expected.repository}"
    if source.lower() != wanted.lower():
        return "wrong-repository", f"signed by a workflow of {source or 'an unknown repository'}"
    config_uri = claims.get(_BUILD_CONFIG_URI, "")
    if not config_uri:
        return "invalid", f"the attestation does not verify: {first}"
    return "wrong-workflow", f"signed by {config_uri}"


def expected_publisher(
    root: Path, config: ReleaseConfig, runner: Runner, repository: Repository
) -> ExpectedPublisher:
    """The publisher whose signature the provenance must carry: ``[tool.releasekit.provenance]``
    when it names a repository, else the GitHub workflow releasekit generated (its
    repository from the git remote, its publishing job's environment for that index)."""
    if config.provenance_repository:
        provider = config.provenance_provider
        return ExpectedPublisher(
            provider=provider,  # type: ignore[arg-type]  # validated by config
            repository=config.provenance_repository,
            workflow=config.provenance_workflow or DEFAULT_WORKFLOWS[provider],
            environment=config.provenance_environment,
        )
    # Lazy: the workflow check brings PyYAML, which only commands reading workflows need.

    try:
        report = check_trusted_publishing(root, config, runner)
    except ReleaseError as exc:
        from_ci = _publisher_of_this_job(os.environ, config.provenance_environment)
        if from_ci is not None:
            return from_ci
        raise ConfigError(
            "releasekit cannot tell whose attestations to expect: [tool.releasekit.provenance] "
            f"names no repository, and the release workflow does not say ({exc.message})",
            "Set [tool.releasekit.provenance] repository = 'OWNER/NAME' and workflow = "
            "'release.yml' (provider = 'gitlab' for GitLab), or verify with --no-provenance.",
        ) from None
    chosen = next(
        (p for p in report.publishers if p.host == repository.pypi_host), report.publishers[0]
    )
    return ExpectedPublisher(
        provider="github",
        repository=f"{chosen.owner}/{chosen.repository}",
        workflow=chosen.workflow,
        environment=config.provenance_environment or chosen.environment,
    )


def _publisher_of_this_job(env: Mapping[str, str], environment: str) -> ExpectedPublisher | None:
    """In a GitLab CI job, the project and CI file that run it (what PyPI's GitLab
    publisher names): so a pipeline written by ``init-ci gitlab --target pypi`` needs no
    configuration to verify its own release."""
    if env.get("GITLAB_CI") and env.get("CI_PROJECT_PATH"):
        return ExpectedPublisher(
            provider="gitlab",
            repository=env["CI_PROJECT_PATH"],
            workflow=env.get("CI_CONFIG_PATH") or DEFAULT_WORKFLOWS["gitlab"],
            environment=environment or env.get("CI_ENVIRONMENT_NAME", ""),
        )
    return None


# --- signing ---------------------------------------------------------------------------


class Signer:
    """What signing needs: ``sign(path) -> attestation JSON`` (a ``pypi_attestations``
    ``Attestation`` dumped as JSON). :func:`sigstore_signer` makes the real one."""

    def sign(self, path: Path) -> str:  # pragma: no cover - protocol
        raise NotImplementedError


SignerFactory = Callable[[], AbstractContextManager[Signer]]


def attest_distributions(
    paths: Iterable[Path],
    repository: Repository,
    *,
    trusted_publishing: bool,
    signer: SignerFactory | None = None,
    log: Callable[[str], object] = lambda message: None,
) -> tuple[Path, ...]:
    """Sign each distribution in ``paths`` as a PEP 740 publish attestation and write it
    next to it as ``<file>.publish.attestation``; the files written.

    Refused (nothing written) with an API token, which PyPI would answer with 400 for every
    file, or for an index that is not PyPI's. Every file is signed before any is written,
    so a failure leaves no new attestation behind; an older one for a rebuilt file is
    replaced.
    """
    paths = tuple(paths)
    refusal = attestation_refusal(repository, trusted_publishing)
    if refusal:
        raise CredentialsError(
            f"Cannot attest the upload to {repository.name}: {refusal}.",
            "Publish from CI with trusted publishing (no token set), or turn attestations "
            "off with attest = false in [tool.releasekit] (or --no-attest).",
        )
    factory = signer or sigstore_signer
    signed: list[tuple[Path, str]] = []
    with factory() as active:
        for path in paths:
            log(f"signing {path.name} with Sigstore (PEP 740 publish attestation)")
            text = active.sign(path)
            check_signed(text, path.name, sha256_of(path))
            signed.append((attestation_path(path), text))
    for target, text in signed:
        target.write_text(text, encoding="utf-8")
    return tuple(target for target, _ in signed)


def attest_for_upload(
    config: ReleaseConfig,
    repository: Repository,
    artifacts: Iterable[Path],
    *,
    trusted_publishing: bool,
    dry_run: bool = False,
    signer: SignerFactory | None = None,
    log: Callable[[str], object] = lambda message: None,
) -> tuple[tuple[Path, ...], str]:
    """The upload step's hook, run before anything is sent: ``(attestations written, note)``.

    With ``attest`` left at its default, attestations are made whenever they can be (trusted
    publishing to PyPI/TestPyPI) and silently skipped otherwise (the note says why). When
    the user set ``attest = true`` (config, environment or ``--attest``), an upload that
    cannot carry them is refused instead.
    """
    if not config.attest:
        return (), "attestations are off (attest = false)" if repository.pypi_host else ""
    refusal = attestation_refusal(repository, trusted_publishing)
    if refusal and "attest" not in config.sources:
        # Only PyPI's own users need telling why their files carry no attestation.
        return (), f"no attestations: {refusal}" if repository.pypi_host else ""
    if not refusal and "attest" not in config.sources and not _attest_installed():
        return (), (
            "no attestations: pypi-attestations and sigstore are not installed "
            "(pip install 'releasekit[attest]')"
        )
    if dry_run:
        if refusal:
            attest_distributions((), repository, trusted_publishing=trusted_publishing)
        return (), "would sign each file as a PEP 740 publish attestation"
    written = attest_distributions(
        artifacts, repository, trusted_publishing=trusted_publishing, signer=signer, log=log
    )
    return written, f"signed {len(written)} PEP 740 publish attestation(s)"


def _attest_installed() -> bool:
    return all(importlib.util.find_spec(m) is not None for m in ("pypi_attestations", "sigstore"))


class _SigstoreSigner(Signer):
    def __init__(self, signer: Any, api: Any) -> None:
        self._signer = signer
        self._api = api

    def sign(self, path: Path) -> str:
        try:
            attestation = self._api.Attestation.sign(
                self._signer, self._api.Distribution.from_file(path)
            )
        except self._api.AttestationError as exc:
            raise UploadError(
                f"Signing {path.name} with Sigstore failed: {exc}",
                "Nothing was uploaded. Run the job again; if it keeps failing, set "
                "attest = false to publish without attestations.",
            ) from None
        return str(attestation.model_dump_json())


def sigstore_signer() -> AbstractContextManager[Signer]:
    """The real signer: the CI job's ambient OIDC identity (GitHub Actions' ID token with
    audience ``sigstore``; GitLab's ``SIGSTORE_ID_TOKEN`` from ``id_tokens``), a short-lived
    certificate from Sigstore's production Fulcio, the signature logged in Rekor."""
    api = _attestations()

    @contextmanager
    def signing() -> Iterator[Signer]:
        from sigstore.models import ClientTrustConfig
        from sigstore.oidc import IdentityError, IdentityToken, detect_credential
        from sigstore.sign import SigningContext

        try:
            raw = detect_credential()
        except IdentityError as exc:
            raw, reason = None, str(exc)
        else:
            reason = "no ambient OIDC identity was found"
        if not raw:
            raise CredentialsError(
                f"Cannot sign attestations: {reason}.",
                "Run in GitHub Actions with permissions id-token: write, or in GitLab CI "
                "with id_tokens: SIGSTORE_ID_TOKEN: aud: sigstore; or set attest = false.",
            )
        context = SigningContext.from_trust_config(ClientTrustConfig.production())
        with context.signer(IdentityToken(raw), cache=True) as signer:
            yield _SigstoreSigner(signer, api)

    return signing()
