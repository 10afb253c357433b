"""Choosing the repository a command targets (the configuration, a ``.pypirc`` section or
URLs from the command line) and reaching its index: a read client with the right
credentials, and where verify takes the release's dependencies from."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from releasekit.credentials import (
    ANONYMOUS,
    Credentials,
    MissingCredentialsError,
    pypirc_repository_url,
    resolve_credentials,
)
from releasekit.errors import ReleaseError, UsageError
from releasekit.index import IndexClient
from releasekit.net import Network, Trust
from releasekit.repositories import Repository, derived_index_url, label_of, redact_url

if TYPE_CHECKING:
    from releasekit.config import ReleaseConfig


def select_repository(
    config: ReleaseConfig,
    name: str | None,
    *,
    repository_url: str | None = None,
    index_url: str | None = None,
) -> Repository:
    """The repository ``name`` from config, a ``.pypirc`` section ``name``, or one given
    by URLs on the command line.

    ``--repository-url`` alone, or a ``.pypirc`` section (which has no index URL), is
    read at the index its upload URL implies (:func:`derived_index_url`: PyPI's real
    index for PyPI's upload URL); any other layout needs ``--index-url``. A repository
    given by URL alone is named by its host.
    """
    known = config.repositories.get(name or "")
    if repository_url:
        # The named repository's token goes with it only to the same host: an upload to
        # some other URL must not carry, say, the TestPyPI token there.
        same_host = known and _host(known.upload_url) == _host(repository_url)
        return Repository(
            name=name or label_of(repository_url),
            upload_url=repository_url,
            index_url=index_url or _index_of(repository_url),
            token_env=known.token_env if known and same_host else "",
            username=known.username if known and same_host else "__token__",
        )
    if name and known is None:
        url = pypirc_repository_url(name)
        if url:
            return Repository(name=name, upload_url=url, index_url=index_url or _index_of(url))
    repository = config.repository(name or "test")
    if index_url:
        return dataclasses.replace(repository, index_url=index_url)
    return repository


def _index_of(upload_url: str) -> str:
    derived = derived_index_url(upload_url)
    if not derived:
        raise UsageError(
            f"The simple index of {redact_url(upload_url)} cannot be told from its upload URL "
            "(PyPI, TestPyPI, a server root, .../legacy/ and GitLab's registry can).",
            "Give it with --index-url URL (devpi: the index's +simple/ URL), set "
            "UV_PUBLISH_CHECK_URL, or configure the repository with upload-url and index-url.",
        )
    return derived


def _host(url: str) -> tuple[str | None, int | None]:
    parts = urlsplit(url)
    return parts.hostname, parts.port


# A test index's dependencies come from its production sibling (TestPyPI carries almost none).
_DEPENDENCIES_OF = {"test.pypi.org": "https://pypi.org/simple/"}


def dependencies_index(repository: Repository, config: ReleaseConfig) -> str:
    """Where verify --install resolves the release's dependencies: the repository's
    ``dependencies-index-url``, else ``verify.dependencies-index``, else PyPI for
    TestPyPI and the repository's own index for any other."""
    hosts = (urlsplit(repository.index_url).hostname, urlsplit(repository.upload_url).hostname)
    default = next((_DEPENDENCIES_OF[h] for h in hosts if h in _DEPENDENCIES_OF), "")
    return (
        repository.dependencies_index_url
        or config.verify_dependencies_index
        or default
        or repository.index_url
    )


def network_for(repository: Repository) -> Network:
    """The network settings every exchange with ``repository`` uses: its ``cert`` and
    ``client-cert`` keys, else TWINE_CERT, REQUESTS_CA_BUNDLE, SSL_CERT_FILE, else the
    default CA certificates; proxies from the ``*_proxy`` variables."""
    return Network(
        Trust.resolve(
            cert=repository.cert,
            client_cert=repository.client_cert,
            truststore=repository.truststore,
        )
    )


def index_client(
    repository: Repository,
    credentials: Credentials | None = None,
    *,
    timeout: float = 10.0,
    retries: int = 3,
    log: Callable[[str], object] | None = None,
    network: Network | None = None,
) -> IndexClient:
    """A client for the repository's index, authenticated when the credentials are real;
    each request waits ``timeout`` seconds and is tried ``retries`` more times (``log``
    hears of each retry)."""
    auth = None
    # Reading PyPI needs no credentials: an upload token is never sent where it is not needed.
    if repository.index_is_public:
        credentials = None
    if credentials and credentials.password and credentials.username != ANONYMOUS:
        auth = (credentials.username, credentials.password.reveal())
    return IndexClient(
        repository.index_url,
        auth=auth,
        timeout=timeout,
        retries=retries,
        log=log,
        network=network or network_for(repository),
        label=repository.name,
    )


class Target:
    """One index a command talks to, resolved once: the repository, its credentials (read
    from the environment, keyring or .pypirc at most once per command) and its network
    settings, shared by the command's reads and uploads."""

    def __init__(self, repository: Repository, env: Mapping[str, str] | None = None) -> None:
        self.repository = repository
        self.network = network_for(repository)
        self._env = env
        self._resolved: Credentials | ReleaseError | None = None

    def credentials(self) -> Credentials:
        """The credentials to upload with (anonymous when none are needed); the same
        error each time when they cannot be had."""
        if self._resolved is None:
            try:
                self._resolved = resolve_credentials(self.repository, env=self._env)
            except ReleaseError as exc:
                self._resolved = exc
        if isinstance(self._resolved, ReleaseError):
            raise self._resolved
        return self._resolved

    def read_credentials(self) -> Credentials | None:
        """The credentials to read the index with: None when none are configured."""
        try:
            return self.credentials()
        except MissingCredentialsError:
            return None

    def index(
        self,
        *,
        timeout: float = 10.0,
        retries: int = 3,
        log: Callable[[str], object] | None = None,
    ) -> IndexClient:
        return index_client(
            self.repository,
            self.read_credentials(),
            timeout=timeout,
            retries=retries,
            log=log,
            network=self.network,
        )
