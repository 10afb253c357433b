"""What the CI jobs install: the releasekit that wrote them, and the organisation's profile."""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING

from releasekit.errors import ConfigError

if TYPE_CHECKING:
    from releasekit.config import ReleaseConfig


def install_requirements(config: ReleaseConfig, *, attest: bool = False) -> str:
    """What the jobs ``pip install``: releasekit pinned to this version (the workflow was
    written for it), and the organisation's profile package when ``extends`` names one,
    pinned to the installed version (without it the configuration cannot load in CI).
    ``attest``: the pipeline publishes to PyPI/TestPyPI by trusted publishing, so it signs
    attestations (the ``attest`` extra), unless ``attest = false``."""
    from releasekit import __version__

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
    return " ".join(f'"{r}"' for r in requirements)


_REQUIREMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*(\[[a-z0-9,]+\])?==[A-Za-z0-9.+!_-]+")


def profile_distribution(extends: str) -> tuple[str, str] | None:
    """``(distribution, version)`` of the package whose ``releasekit.profiles`` entry point
    is ``extends``; None for a TOML file (it is in the repository) or no profile."""
    from importlib.metadata import entry_points

    from releasekit.config import PROFILE_GROUP

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
