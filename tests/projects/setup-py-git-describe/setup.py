"""The version follows the tags, the way many VCS-versioning plugins do it."""

import subprocess

from setuptools import setup


def _version() -> str:
    described = subprocess.run(
        ["git", "describe", "--tags", "--long", "--match", "v*"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    tag, distance, commit = described.rsplit("-", 2)
    version = tag[1:]
    return version if distance == "0" else f"{version}.post{distance}+{commit}"


setup(version=_version(), packages=["rk_describe"])
