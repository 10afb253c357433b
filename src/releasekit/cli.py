"""The ``releasekit`` command: argparse over the steps, and the one place errors
become exit codes."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from releasekit.errors import ExitCode, ReleaseError


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
    return common


def build_parser() -> argparse.ArgumentParser:
    common = _common_options()
    parser = argparse.ArgumentParser(
        prog="releasekit",
        description="Safe, reusable release steps: bump-version, build, check, upload, verify.",
        epilog="Exit codes: " + ", ".join(f"{c.value} {c.name.lower()}" for c in ExitCode) + ".",
    )
    from releasekit import __version__

    parser.add_argument("--version", action="version", version=f"releasekit {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    commands.add_parser("version", parents=[common], help="print the project's current version")
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
    bump.add_argument(
        "--commit",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="commit the change (default: on in a git repository)",
    )
    bump.add_argument(
        "--tag",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="create an annotated tag (default: on in a git repository)",
    )
    bump.add_argument(
        "--allow-dirty",
        action="store_true",
        default=None,
        help="commit and tag even with other uncommitted changes",
    )
    bump.add_argument("--tag-format", metavar="FORMAT", help='e.g. "v{version}"')
    return parser


def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    names = {
        "commit": "commit",
        "tag": "tag",
        "allow_dirty": "allow-dirty",
        "tag_format": "tag-format",
    }
    return {key: getattr(args, attr) for attr, key in names.items() if hasattr(args, attr)}


def run_command(args: argparse.Namespace) -> dict[str, Any]:
    """Run the chosen step; print its human output; return its JSON summary."""
    from releasekit.config import load_config
    from releasekit.runner import SubprocessRunner

    root = args.project.resolve()
    config = load_config(root, config_file=args.config, overrides=_overrides(args))
    runner = SubprocessRunner(echo=not args.json)

    if args.command == "version":
        from releasekit.project import load_project
        from releasekit.steps.bump import current_version

        project = load_project(root, config)
        version = str(current_version(project, config, runner))
        if not args.json:
            print(version)
        return {"step": "version", "ok": True, "project": project.name, "version": version}

    from releasekit.steps.bump import bump_version

    result = bump_version(root, config, args.target, runner, dry_run=args.dry_run)
    if not args.json:
        _print_bump(result)
    return result.to_json()


def _print_bump(result: Any) -> None:
    if result.dry_run:
        sys.stdout.write(result.diff())
    verb = "would bump" if result.dry_run else "bumped"
    print(f"{verb} {result.project} {result.previous} -> {result.version}")
    for change in result.changes:
        print(f"  {change.path.relative_to(result.root).as_posix()}: {change.what}")
    if result.commit:
        print(f"  commit: {result.commit_sha or '(would commit)'}")
    if result.tag:
        print(f"  tag: {result.tag}")
    for note in result.notes:
        print(f"  note: {note}")
    if result.dry_run:
        print("dry run: nothing was changed")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        summary = run_command(args)
    except ReleaseError as exc:
        print(f"releasekit: error: {exc.message}", file=sys.stderr)
        if exc.hint:
            print(f"  {exc.hint}", file=sys.stderr)
        if args.json:
            print(
                json.dumps(
                    {
                        "step": args.command,
                        "ok": False,
                        "exit_code": int(exc.exit_code),
                        "error": exc.message,
                        "hint": exc.hint,
                    },
                    indent=2,
                )
            )
        return int(exc.exit_code)
    except KeyboardInterrupt:
        print("releasekit: interrupted", file=sys.stderr)
        return int(ExitCode.INTERRUPTED)
    if args.json:
        print(json.dumps(summary, indent=2))
    return int(ExitCode.OK)
