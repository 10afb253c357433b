"""ACME's release conventions as a releasekit profile (entry point group releasekit.profiles)."""

from __future__ import annotations

from pathlib import Path


def profile() -> Path:
    """The profile: a TOML file with [tool.releasekit] keys, shipped in this package."""
    return Path(__file__).with_name("profile.toml")
