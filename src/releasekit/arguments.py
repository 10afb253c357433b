"""The ``releasekit`` command line: every command and flag, and which flags override
which configuration keys. The nox and Invoke adapters parse their arguments with it too,
so ``nox -s release -- minor --yes`` means what ``releasekit release minor --yes`` does."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from releasekit import ci, trusted_publisher
from releasekit.errors import ExitCode

if TYPE_CHECKING:
    # What add_subparsers() returns: each command is added to it.
    Commands = argparse._SubParsersAction[argparse.ArgumentParser]

# Command-line flags that override configuration keys: argparse dest -> key.
CONFIG_FLAGS = {
    "commit": "commit",
    "tag": "tag",
    "allow_dirty": "allow-dirty",
    "tag_format": "tag-format",
    "installer": "build.installer",
    "isolation": "build.isolation",
    "cache": "build.cache",  # --fresh
    "timeout": "verify.timeout",
    "install": "verify.install",
    "provenance": "verify.provenance",
    "attest": "attest",
    "push": "release.push",
    "test_first": "release.test-first",
}


def _common_options() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--project",
        type=Path,
        default=Path("."),
        metavar="DIR",
        help="the project's root directory (default: the current directory)",
    )
    common.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        help="a TOML file with [tool.releasekit] keys, layered over pyproject.toml",
    )
    common.add_argument("--json", action="store_true", help="print a JSON summary on stdout")
    common.add_argument(
        "--package",
        action="append",
        type=Path,
        metavar="DIR",
        help="in a monorepo, work on this package only (repeatable; default: all packages)",
    )
    common.add_argument(
        "--jobs",
        "-j",
        type=int,
        metavar="N",
        help="in a monorepo, work on N packages at once (default: the CPU count)",
    )
    return common


def _artifact_options(
    repository: bool, default_repository: str | None = "test"
) -> argparse.ArgumentParser:
    options = argparse.ArgumentParser(add_help=False)
    options.add_argument(
        "--outdir",
        type=Path,
        metavar="DIR",
        help="where the artifacts are (default: build.outdir, dist/)",
    )
    if repository:
        options.add_argument(
            "--repository",
            "-r",
            default=default_repository,
            metavar="NAME",
            help=f"a configured repository (default: {default_repository})",
        )
        options.add_argument(
            "--repository-url",
            metavar="URL",
            help="upload URL of an index not in the configuration",
        )
        options.add_argument(
            "--index-url",
            metavar="URL",
            help="simple-API URL of the index (default: from the repository)",
        )
    return options


def build_parser(
    parser_class: type[argparse.ArgumentParser] = argparse.ArgumentParser,
) -> argparse.ArgumentParser:
    from releasekit import __version__

    common = _common_options()
    parser = parser_class(
        prog="releasekit",
        description="Safe, reusable release steps: bump-version, build, check, upload, verify.",
        epilog="Exit codes: " + ", ".join(f"{c.value} {c.name.lower()}" for c in ExitCode) + ".",
    )
    parser.add_argument("--version", action="version", version=f"releasekit {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for add in (_add_information, _add_bump_version, _add_build, _add_steps, _add_pipelines):
        add(commands, common)
    ci.add_parser(commands, common)
    trusted_publisher.add_parser(commands, common)
    return parser


def overrides(args: argparse.Namespace) -> dict[str, Any]:
    """The configuration keys the parsed flags set (None: not given, the layers decide)."""
    return {key: getattr(args, dest) for dest, key in CONFIG_FLAGS.items() if hasattr(args, dest)}


def _add_information(commands: Commands, common: argparse.ArgumentParser) -> None:
    """version, plan and config: what the project and its configuration are."""
    commands.add_parser("version", parents=[common], help="print the project's current version")
    plan = commands.add_parser(
        "plan",
        parents=[common],
        help="list the packages whose version is not yet on the target index (a CI matrix)",
    )
    plan.add_argument(
        "--repository",
        "-r",
        default="test",
        metavar="NAME",
        help="the configured repository to compare with (default: test)",
    )
    show = commands.add_parser(
        "config",
        parents=[common],
        help="print the effective configuration and which layer set each key",
    )
    show.add_argument("--show", action="store_true", help="show it (the default action)")


def _add_bump_version(commands: Commands, common: argparse.ArgumentParser) -> None:
    """bump-version."""
    bump = commands.add_parser(
        "bump-version",
        parents=[common],
        help="bump the version everywhere it is written, roll the changelog, commit and tag",
    )
    bump.add_argument(
        "target",
        metavar="PART|X.Y.Z",
        help="major, minor, patch, alpha, beta, rc, pre, post, dev, release, or a version",
    )
    bump.add_argument(
        "--dry-run", action="store_true", help="print the diff it would make and change nothing"
    )
    _switch(bump, "--commit", "commit the change (default: on in a git repository)")
    _switch(bump, "--tag", "create an annotated tag (default: on in a git repository)")
    bump.add_argument(
        "--allow-dirty",
        action="store_true",
        default=None,
        help="commit and tag even with other uncommitted changes",
    )
    bump.add_argument("--tag-format", metavar="FORMAT", help='e.g. "v{version}"')


def _add_build(commands: Commands, common: argparse.ArgumentParser) -> None:
    """build."""
    build = commands.add_parser(
        "build",
        parents=[common, _artifact_options(repository=False), _fresh_option()],
        help="build sdist and wheel (from the sdist) into a clean output directory",
    )
    build.add_argument("--dry-run", action="store_true", help="say what would run; build nothing")
    build.add_argument(
        "--installer",
        choices=["auto", "pip", "uv"],
        default=None,
        help="installer for the isolated build environment (default: auto)",
    )
    _switch(build, "--isolation", "build in an isolated environment (default: on)")


def _add_steps(commands: Commands, common: argparse.ArgumentParser) -> None:
    """check, upload, upload-test, upload-prod and verify."""
    with_repository = _artifact_options(repository=True)
    commands.add_parser(
        "check",
        parents=[common, with_repository],
        help="run every pre-flight check against the target index; list all failures",
    )

    for name, default, what in (
        ("upload", "test", "upload to --repository NAME"),
        ("upload-test", None, "upload to the test repository"),
        ("upload-prod", None, "upload to the prod repository (asks unless --yes or CI)"),
    ):
        upload = commands.add_parser(
            name,
            parents=[
                common,
                _artifact_options(repository=True, default_repository=default),
                _yes_option(),
            ],
            help=what + "; files already there with the same sha256 are skipped",
        )
        upload.add_argument(
            "--dry-run", action="store_true", help="say what would be uploaded; upload nothing"
        )

    commands.add_parser(
        "verify",
        parents=[common, with_repository, _verify_options()],
        help="wait for the release on the index and prove every file is what was built",
    )


def _add_pipelines(commands: Commands, common: argparse.ArgumentParser) -> None:
    """publish and release: the steps in a row."""
    pipeline_options = [_yes_option(), _verify_options(), _fresh_option()]
    publish = commands.add_parser(
        "publish",
        parents=[common, *pipeline_options],
        help="build, check, upload and verify (to prod, or to the test index with --test)",
    )
    publish.add_argument("--test", action="store_true", help="publish to the test repository")
    release = commands.add_parser(
        "release",
        parents=[common, *pipeline_options],
        help="bump, build, check, upload-test, verify, upload-prod, verify, tag and push",
    )
    release.add_argument(
        "part", nargs="?", metavar="PART|X.Y.Z", help="the version bump (not needed with --resume)"
    )
    release.add_argument(
        "--resume", action="store_true", help="continue a stopped release from the current version"
    )
    _switch(release, "--push", "push the commit and tag at the end (default: release.push)")
    _switch(
        release, "--test-first", "go through the test index first (default: release.test-first)"
    )


def _yes_option() -> argparse.ArgumentParser:
    options = argparse.ArgumentParser(add_help=False)
    options.add_argument(
        "--yes", "-y", action="store_true", help="do not ask for confirmation before a prod upload"
    )
    # Every command that uploads has --yes: --attest goes with it.
    _switch(
        options,
        "--attest",
        "sign each file as a PEP 740 attestation (default: attest, on for trusted publishing "
        "to PyPI/TestPyPI; --attest refuses an upload that cannot carry them)",
    )
    return options


def _fresh_option() -> argparse.ArgumentParser:
    options = argparse.ArgumentParser(add_help=False)
    options.add_argument(
        "--fresh",
        dest="cache",
        action="store_false",
        default=None,
        help="build in a new isolated environment, bypassing the cached one (build.cache)",
    )
    return options


def _verify_options() -> argparse.ArgumentParser:
    options = argparse.ArgumentParser(add_help=False)
    options.add_argument(
        "--timeout",
        type=float,
        metavar="SECONDS",
        help="how long verify waits for the index (default: verify.timeout, 300)",
    )
    _switch(
        options,
        "--install",
        "verify by also installing from the index into a fresh venv and importing it "
        "(default: verify.install)",
    )
    _switch(
        options,
        "--provenance",
        "verify the PEP 740 provenance of every file against the expected trusted publisher "
        "(default: verify.provenance, auto: on PyPI/TestPyPI when the upload was attested)",
    )
    return options


def _switch(parser: argparse.ArgumentParser, flag: str, text: str) -> None:
    """``--flag`` / ``--no-flag``; not given (None): the configuration decides."""
    parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=None, help=text)
