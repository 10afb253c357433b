"""What a nox session sets up before its command runs: the tools it installs (and the
project's build requirements, for builds without isolation), quiet loggers. Loaded by the
session when it runs, never by ``nox -l``."""

from __future__ import annotations

import argparse
import logging
from collections.abc import Mapping
from typing import Any

from releasekit.commands import overrides
from releasekit.config import load_config, read_toml

# Installed into the virtualenv of every session that builds: the ranges releasekit is
# tested with. uv makes isolated builds and verify's fresh venvs fast. (No twine: check
# runs its rules in-process and releasekit uploads with its own client.)
TOOLS = ("build>=1.2,<2", "uv>=0.4")


def build_requirements(
    args: argparse.Namespace, adapter: tuple[str, Mapping[str, Any]] | None = None
) -> list[str]:
    """The project's build-system requirements when builds run without isolation, as
    the command ``args`` (and the adapter's settings) configure it."""
    root = args.project.resolve()
    pyproject = root / "pyproject.toml"
    if not pyproject.is_file():
        return []
    config = load_config(root, config_file=args.config, overrides=overrides(args), adapter=adapter)
    if config.build_isolation:
        return []
    requires = read_toml(pyproject).get("build-system", {}).get("requires", [])
    return [str(r) for r in requires]


def quiet_tool_loggers() -> None:
    """keyring and urllib3 log at DEBUG under nox's root logger (six 'keyring.backend'
    lines per upload): only their warnings reach the user."""
    for name in ("keyring", "urllib3"):
        logging.getLogger(name).setLevel(logging.WARNING)
