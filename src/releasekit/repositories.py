"""Named repositories and their policy: which index is PyPI (and so public), which is
production. PyPI's host and audience tables live here and nowhere else."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from urllib.parse import urlsplit, urlunsplit

# PyPI's hosts: upload host -> the host whose pages (JSON API, Integrity API) it serves.
PYPI_UPLOAD_HOSTS = {"upload.pypi.org": "pypi.org", "test.pypi.org": "test.pypi.org"}
# Hosts that speak PyPI's JSON API (/pypi/NAME/VERSION/json).
PYPI_HOSTS = frozenset({"pypi.org", "test.pypi.org"})
# What users call each PyPI, and the OIDC audience its trusted publishing expects (GitLab's
# id_tokens variable is the audience in capitals: PYPI_ID_TOKEN, TESTPYPI_ID_TOKEN).
PYPI_TITLES = {"pypi.org": "PyPI", "test.pypi.org": "TestPyPI"}
PYPI_AUDIENCES = {"pypi.org": "pypi", "test.pypi.org": "testpypi"}
# The production index: uploads there ask first and refuse dev/local versions, whatever
# the repository's table says.
PRODUCTION_UPLOAD_HOSTS = frozenset({"upload.pypi.org"})


@dataclasses.dataclass(frozen=True, kw_only=True)
class Repository:
    """A named package index: where to upload, where to read, which token to use, and the
    policy that follows from where it is (``production``, ``pypi_host``)."""

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
        """``pypi.org`` or ``test.pypi.org`` when this uploads to PyPI or TestPyPI, else "".

        The one answer to "is this PyPI?": such an index is public (local versions and
        Private classifiers are refused, reading needs no credentials), takes trusted
        publishing and attestations, and its tokens are PyPI's.
        """
        return pypi_host_of(self.upload_url)

    @property
    def index_is_public(self) -> bool:
        """Reading is done without credentials: PyPI's pages, also when only the index URL
        is PyPI's (an upload URL overridden alone), so an upload token never goes there."""
        return bool(self.pypi_host or pypi_host_of(self.index_url))


def pypi_host_of(url: str) -> str:
    """``pypi.org`` or ``test.pypi.org`` for a URL of PyPI or TestPyPI (upload or pages)."""
    host = urlsplit(url).hostname or ""
    return PYPI_UPLOAD_HOSTS.get(host, host if host in PYPI_HOSTS else "")


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


# GitLab's package registry: uploads to .../packages/pypi, serves .../packages/pypi/simple.
_GITLAB_UPLOAD = re.compile(r"/api/v4/(?:projects|groups)/[^/]+/packages/pypi/?$")


def derived_index_url(upload_url: str) -> str:
    """The simple index that goes with an upload URL, when its layout says so; "" if not.

    PyPI's and TestPyPI's upload URLs pair with their real index (pypi.org/simple/); a
    warehouse-style ``.../legacy/`` and a server root (pypiserver) serve ``simple/`` beside
    it; GitLab's registry serves ``.../pypi/simple``. Anything else (devpi's
    ``/user/index/`` serves ``+simple/``, Artifactory, Nexus) is not guessed."""
    parts = urlsplit(upload_url)
    host = parts.hostname or ""
    if host in PYPI_UPLOAD_HOSTS:
        return f"https://{PYPI_UPLOAD_HOSTS[host]}/simple/"
    path = parts.path.rstrip("/")
    if _GITLAB_UPLOAD.search(parts.path):
        return urlunsplit(parts._replace(path=f"{path}/simple", query="", fragment=""))
    if path == "" or path.endswith("/legacy"):
        base = path.removesuffix("legacy").rstrip("/")
        return urlunsplit(parts._replace(path=f"{base}/simple/", query="", fragment=""))
    return ""


def label_of(url: str) -> str:
    """A repository given only by URL, named for people: its host (and port)."""
    parts = urlsplit(url)
    return parts.netloc.rpartition("@")[2] or url
