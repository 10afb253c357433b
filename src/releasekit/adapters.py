"""What the nox and Invoke adapters share: the task list, the tools, argument parsing."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from releasekit.errors import UsageError

# Command -> one-line description (nox -l, invoke -l).
SESSIONS = {
    "bump-version": "Bump the version everywhere, roll the changelog, commit and tag.",
    "build": "Build sdist and wheel (from the sdist) into a clean dist/.",
    "check": "Run every pre-flight check against the target index.",
    "upload-test": "Upload to the test index; files already there are skipped.",
    "upload-prod": "Upload to the production index (asks unless --yes or CI).",
    "verify": "Prove the files on the index are the ones built (--install: and install it).",
    "publish": "Build, check, upload and verify (--test: to the test index).",
    "release": "Bump, build, check, upload-test, verify, upload-prod, verify, tag, push.",
}
# Installed into the virtualenv of every session that runs build or twine: the ranges
# releasekit is tested with. uv makes isolated builds and verify's fresh venvs fast.
TOOLS = ("build>=1.2,<2", "twine>=5,<8", "uv>=0.4")


def needs_tools(command: str) -> bool:
    return command != "bump-version"


def build_requirements(project_dir: Path) -> list[str]:
    """The project's build-system requirements when builds run without isolation."""
    from releasekit.config import load_config, read_toml

    pyproject = project_dir / "pyproject.toml"
    if not pyproject.is_file() or load_config(project_dir).build_isolation:
        return []
    requires = read_toml(pyproject).get("build-system", {}).get("requires", [])
    return [str(r) for r in requires]


class _RaisingParser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message}.", "")


def parse_command(command: str, argv: Sequence[str], *, usage: str) -> argparse.Namespace:
    """``argv`` parsed as the flags of ``releasekit COMMAND``; UsageError if they are not."""
    from releasekit.cli import build_parser

    parser = build_parser(parser_class=_RaisingParser)
    try:
        return parser.parse_args([command, *argv])
    except UsageError as exc:
        raise UsageError(
            exc.message.replace(f"releasekit {command}", usage),
            f"Usage: {usage} [flags of 'releasekit {command}'], see releasekit {command} --help.",
        ) from None
