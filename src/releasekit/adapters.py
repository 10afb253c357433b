"""What the nox and Invoke adapters share: the task list, the tools, argument parsing."""

from __future__ import annotations

import argparse
import re
from collections.abc import Mapping, Sequence
from typing import Any, NoReturn

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


def build_requirements(
    args: argparse.Namespace, adapter: tuple[str, Mapping[str, Any]] | None = None
) -> list[str]:
    """The project's build-system requirements when builds run without isolation, as
    the command ``args`` (and the adapter's settings) configure it."""
    from releasekit.arguments import overrides
    from releasekit.config import load_config, read_toml

    root = args.project.resolve()
    pyproject = root / "pyproject.toml"
    if not pyproject.is_file():
        return []
    config = load_config(root, config_file=args.config, overrides=overrides(args), adapter=adapter)
    if config.build_isolation:
        return []
    requires = read_toml(pyproject).get("build-system", {}).get("requires", [])
    return [str(r) for r in requires]


class _RaisingParser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message}.", "")


def parse_command(command: str, argv: Sequence[str], *, usage: str) -> argparse.Namespace:
    """``argv`` parsed as the flags of ``releasekit COMMAND``; UsageError if they are not."""
    from releasekit.arguments import build_parser

    parser = build_parser(parser_class=_RaisingParser)
    try:
        return parser.parse_args([command, *argv])
    except UsageError as exc:
        # The command's parser names itself "releasekit COMMAND", the top one (unknown
        # arguments) "releasekit".
        message = exc.message.replace(f"releasekit {command}", usage)
        raise UsageError(
            re.sub(r"^releasekit: ", f"{usage}: ", message),
            f"Usage: {usage} [flags of 'releasekit {command}'], see releasekit {command} --help.",
        ) from None


def resume_argv(argv: Sequence[str]) -> list[str]:
    """The flags that continue a stopped ``release ARGV``: the same ones (``--yes``,
    ``--project``, ...) without PART, plus ``--resume``."""
    args = vars(parse_command("release", argv, usage="release"))
    rest = list(argv)
    if args["part"] is not None:
        for i, token in enumerate(rest):
            without = rest[:i] + rest[i + 1 :]
            # The token argparse took as PART, not a flag's value that happens to be equal.
            if token == args["part"] and vars(
                parse_command("release", without, usage="release")
            ) == {**args, "part": None}:
                rest = without
                break
    return rest if args["resume"] else [*rest, "--resume"]
