"""Named repositories and their policy: which index is PyPI, which is production, which is
public. The PyPI host table lives here and nowhere else."""

from __future__ import annotations

import dataclasses
from urllib.parse import urlsplit, urlunsplit

# PyPI's hosts: upload host -> the host whose pages (JSON API, Integrity API) it serves.
PYPI_UPLOAD_HOSTS = {"upload.pypi.org": "pypi.org", "test.pypi.org": "test.pypi.org"}
# Hosts that speak PyPI's JSON API (/pypi/NAME/VERSION/json).
PYPI_HOSTS = frozenset({"pypi.org", "test.pypi.org"})
# Public indexes: local versions and "Private ::" classifiers never go there.
PUBLIC_HOSTS = frozenset({*PYPI_UPLOAD_HOSTS, *PYPI_HOSTS, "files.pythonhosted.org"})
# The production index: uploads there ask first and refuse dev/local versions.
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
    # None: decided by the upload host (PyPI's is production); a config table may say.
    production_flag: bool | None = None
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
        """Uploads here ask for confirmation and refuse development and local versions."""
        if self.production_flag is not None:
            return self.production_flag
        return urlsplit(self.upload_url).hostname in PRODUCTION_UPLOAD_HOSTS

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
