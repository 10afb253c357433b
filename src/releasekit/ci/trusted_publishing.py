"""What the generated CI jobs need for trusted publishing: GitHub's ``id-token: write``
permission, GitLab's ``id_tokens``. The doctor that checks a job's token lives in
:mod:`releasekit.trust.doctor`.
"""

from __future__ import annotations

import re

from releasekit.ci.yaml_text import quoted
from releasekit.repositories import PYPI_AUDIENCES, PYPI_TITLES, Repository


def title(repository: Repository) -> str:
    """PyPI, TestPyPI, or the repository's name."""
    return PYPI_TITLES.get(repository.pypi_host, repository.name)


def github_permissions(repository: Repository) -> str:
    """The publishing job's ``permissions`` (and ``env`` for a stored token)."""
    read = "    permissions:\n      contents: read  # check out the repository\n"
    if repository.pypi_host:
        return (
            read + "      id-token: write  # trusted publishing and Sigstore attestations: "
            "no stored token\n"
        )
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", repository.token_env):
        secret = quoted("${{ secrets." + repository.token_env + " }}")  # an identifier
        return read + f"    env:\n      {repository.token_env}: {secret}\n"
    return read


def gitlab_id_tokens(host: str) -> str:
    """``id_tokens`` of a GitLab job that publishes to ``host`` by trusted publishing and
    signs attestations (sigstore reads ``SIGSTORE_ID_TOKEN``)."""
    return (
        "  id_tokens:\n"
        f"    {PYPI_AUDIENCES[host].upper()}_ID_TOKEN:\n"
        f"      aud: {PYPI_AUDIENCES[host]}\n"
        "    SIGSTORE_ID_TOKEN:\n"
        "      aud: sigstore\n"
    )
