"""Named repositories and their policy: which index is PyPI, which is production, which is
public. The PyPI host table lives here and nowhere else."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from urllib.parse import urlsplit, urlunsplit

# PyPI's hosts: upload host -> the host whose pages (JSON API, Integrity API) it serves.
PYPI_UPLOAD_HOSTS = {"upload.pypi.org": "pypi.org", "test.pypi.org": "test.pypi.org"}
# Hosts that speak PyPI's JSON API (/pypi/NAME/VERSION/json).
PYPI_HOSTS = frozenset({"pypi.org", "test.pypi.org"})
# Public indexes: local versions and "Private ::" classifiers never go there.
PUBLIC_HOSTS = frozenset({*PYPI_UPLOAD_HOSTS, *PYPI_HOSTS, "files.pythonhosted.org"})
# The production index: uploads there ask first and refuse dev/local versions, whatever
# the repository's table says.
PRODUCTION_UPLOAD_HOSTS = frozenset({"upload.pypi.org"})


@dataclasses.dataclass(frozen=True, kw_only=True)
class Repository:
    """A named package index: where to upload, where to read, which token to use, and the
    policy that follows from where it is (``production``, ``public``)."""

    name: str
    upload_url: str
    index_url: str
    token_env: str = ""
    username: str = "__token__"
    # None: decided by the role and the upload host; a config table may say.
    production_flag: bool | None = None
    # Sent to as production: by upload-prod, or as the last target of a release.
    production_role: bool = False
    # The index takes uploads from anyone: no credentials is fine even for production.
    anonymous_upload: bool = False
    # Where verify --install takes the release's dependencies from ("" = the default:
    # PyPI for TestPyPI, the repository's own index otherwise).
    dependencies_index_url: str = ""
    # TLS: a CA bundle and a client certificate (PEM) for this index, reads and uploads
    # alike; the system trust store (truststore) when asked.
    cert: str = ""
    client_cert: str = ""
    truststore: bool = False

    @property
    def production(self) -> bool:
        """Uploads here ask for confirmation and refuse development and local versions.

        PyPI's upload host always is; any other repository is when its table says
        ``production = true``, or when it is sent to as production (upload-prod, release's
        last target) and its table does not say ``production = false``."""
        if urlsplit(self.upload_url).hostname in PRODUCTION_UPLOAD_HOSTS:
            return True
        if self.production_flag is not None:
            return self.production_flag
        return self.production_role

    def as_production_target(self) -> Repository:
        """This repository in the role of production (upload-prod, release's last step)."""
        return dataclasses.replace(self, production_role=True)

    def needs_confirmation(self, *, yes: bool, env: Mapping[str, str]) -> bool:
        """An upload here asks first: production, unless ``--yes`` or CI (``CI`` set)."""
        return self.production and not (yes or env.get("CI"))

    @property
    def public(self) -> bool:
        """PyPI or TestPyPI, where local versions and Private classifiers are refused and
        reading needs no credentials."""
        hosts = {urlsplit(self.upload_url).hostname, urlsplit(self.index_url).hostname}
        return bool(hosts & PUBLIC_HOSTS)

    @property
    def on_this_machine(self) -> bool:
        """The upload URL's host is a loopback address (``localhost``, 127.x, ``::1``)."""
        return is_loopback(self.upload_url)

    @property
    def read_on_this_machine(self) -> bool:
        """Both URLs are on this machine: the index is read where it is written, with no
        CDN between that could serve an old listing."""
        return self.on_this_machine and is_loopback(self.index_url)

    @property
    def pypi_host(self) -> str:
        """``pypi.org`` or ``test.pypi.org`` when this uploads to PyPI or TestPyPI, else ""."""
        return PYPI_UPLOAD_HOSTS.get(urlsplit(self.upload_url).hostname or "", "")


def is_public(repository: Repository) -> bool:
    """True for PyPI and TestPyPI, where local versions and Private classifiers are refused."""
    return repository.public


def is_loopback(url: str) -> bool:
    """The URL's host is a loopback address (``localhost``, 127.x, ``::1``)."""
    import ipaddress

    host = urlsplit(url).hostname or ""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def redact_url(url: str) -> str:
    """``url`` without its ``user:password@`` part, safe to show and log."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))
