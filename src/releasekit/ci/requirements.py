"""What the CI jobs install: the releasekit that wrote them, and the organisation's profile."""

from __future__ import annotations

import json
import os
import re
from typing import TYPE_CHECKING

from releasekit import __version__
from releasekit.config import PROFILE_GROUP
from releasekit.errors import ConfigError
from releasekit.repositories import redact_url

if TYPE_CHECKING:
    from releasekit.config import ReleaseConfig


def install_requirements(config: ReleaseConfig, *, attest: bool = False) -> str:
    """What the jobs ``pip install``: releasekit pinned to this version (the workflow was
    written for it), and the organisation's profile package when ``extends`` names one,
    pinned to the installed version (without it the configuration cannot load in CI).
    ``attest``: the pipeline publishes to PyPI/TestPyPI by trusted publishing, so it signs
    attestations (the ``attest`` extra), unless ``attest = false``."""

    extras = "attest,uv" if attest and config.attest else "uv"
    requirements = [f"releasekit[{extras}]=={__version__}"]
    profile = profile_distribution(config.extends)
    if profile:
        requirements.append(f"{profile[0]}=={profile[1]}")
    for requirement in requirements:
        # Double-quoted in a shell line: nothing a shell expands there may be in it.
        if not _REQUIREMENT.fullmatch(requirement):
            raise ConfigError(
                f"{requirement!r} (the CI jobs' pip install) is not a plain NAME==VERSION "
                "requirement, so it cannot be written into a CI file.",
                "Check the profile package's name and version (extends).",
            )
    index = install_index(config)
    return (f"--index-url {index} " if index else "") + " ".join(f'"{r}"' for r in requirements)


# A URL that reads the same to YAML, the shell and pip: no credentials, query, quotes,
# spaces, "$" or "#" (nothing a CI expands, nothing that ends a YAML scalar).
_SAFE_INDEX = re.compile(r"https?://[A-Za-z0-9.\-]+(:[0-9]+)?(/[A-Za-z0-9._~/%+-]*)?")


def install_index(config: ReleaseConfig) -> str:
    """The index the jobs install from (``install-index``, ``--install-index``), checked
    to be written into the pipeline as it is: never with credentials."""
    url = config.install_index
    if not url:
        return ""
    where = config.sources.get("install-index", "install-index")
    if "@" in url.split("//", 1)[-1].split("/", 1)[0]:
        raise ConfigError(
            f"{where}: install-index {redact_url(url)} carries credentials, which would be "
            "written into the pipeline file for anyone who can read the repository.",
            "Give the URL without user:password@, and the login to pip from the CI's "
            "secrets (a ~/.netrc the job writes before the install, or keyring).",
        )
    if not _SAFE_INDEX.fullmatch(url):
        raise ConfigError(
            f"{where}: install-index must be an http(s):// URL of letters, digits and "
            "./-_~%+ only (no query, quotes, spaces, $ or #), and the one given is not (not "
            "shown: a query may hold a token).",
            "Give the simple index URL itself, e.g. https://pkgs.example.com/simple/.",
        )
    return url


_REQUIREMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*(\[[a-z0-9,]+\])?==[A-Za-z0-9.+!_-]+")


def profile_distribution(extends: str) -> tuple[str, str] | None:
    """``(distribution, version)`` of the package whose ``releasekit.profiles`` entry point
    is ``extends``; None for a TOML file (it is in the repository) or no profile."""
    from importlib.metadata import entry_points

    if not extends or extends.endswith(".toml") or "/" in extends or os.sep in extends:
        return None
    for entry in entry_points(group=PROFILE_GROUP):
        if entry.name == extends and entry.dist is not None:
            return entry.dist.name, entry.dist.version
    raise ConfigError(
        f"extends = {extends!r} names no installed profile (entry point group "
        f"{PROFILE_GROUP}), so the CI jobs could not install it.",
        "Install the organisation's profile package here first, then run init-ci again.",
    )


def source_note(config: ReleaseConfig) -> list[str]:
    """A note when the jobs cannot install this releasekit as it was installed here: it
    came from a path or a VCS URL (PEP 610's direct_url.json), not an index, and no
    ``install-index`` says where the pinned version is served."""
    from importlib.metadata import PackageNotFoundError, distribution

    if config.install_index:
        return []
    try:
        direct = distribution("releasekit").read_text("direct_url.json")
    except PackageNotFoundError:
        return []
    try:
        url = json.loads(direct or "null")
    except ValueError:
        return []
    if not isinstance(url, dict) or not isinstance(url.get("url"), str):
        return []
    return [
        f"this releasekit was installed from {redact_url(url['url'])}, not from an index: "
        f"the jobs' pip install of releasekit=={__version__} needs an index that serves "
        "it; set install-index to it (or --install-index)"
    ]
