"""``releasekit notes`` on a short path: a CI job that puts the notes on the release page
runs it once per release, and the CLI (cli.py) imports every step before it parses.

This path parses with the same command table, reads the same configuration and plan and
prints the same summary (:func:`releasekit.notes.notes_summary`). Whatever is out of the
ordinary (a usage or configuration error, a configuration warning, a monorepo, ``-v``)
it hands to the CLI, which answers as it always does; nothing has changed by then. An
error once the project was read (no such section) it reports as the CLI does.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence

from releasekit.commands import RaisingParser, build_parser, overrides
from releasekit.config import load_config
from releasekit.errors import ExitCode, ReleaseError, UsageError, interruptible
from releasekit.notes import notes_summary
from releasekit.plan import resolve_plan
from releasekit.project import find_project_root
from releasekit.render import paint
from releasekit.runner import SubprocessRunner


def run_notes(argv: Sequence[str]) -> int | None:
    """The exit code of ``releasekit notes ...``, or None when the CLI must answer."""
    if {"-h", "--help", "--version"} & set(argv):  # argparse would print and exit
        return None
    return interruptible(lambda: _run_notes(argv))  # SIGTERM and Ctrl-C as in the CLI


class _Parser(RaisingParser):
    """The short path's parser knows one command: help (asked for as argparse allows:
    ``-qh``, ``--hel``) is the CLI's, which lists them all."""

    def print_help(self, file: object = None) -> None:
        raise UsageError("help is the CLI's", "")


def _run_notes(argv: Sequence[str]) -> int | None:
    try:
        args = build_parser(_Parser, only="notes").parse_args(list(argv))
        if args.command != "notes" or args.verbose or args.package:
            return None
        root = find_project_root(args.project)
        config = load_config(root, config_file=args.config, overrides=overrides(args))
        if config.warnings or config.packages:
            return None
    except ReleaseError:
        return None
    runner = SubprocessRunner()
    runner.verbosity = -1 if args.quiet else 0
    try:
        summary, text = notes_summary(resolve_plan(root, config, runner), args.notes_version, root)
    except ReleaseError as exc:
        # Reported here as the CLI reports it: handing it over would read the project
        # again (its build backend asked twice, up to two minutes each, and announced twice).
        from releasekit.cli import report_error

        return report_error(exc, "notes", as_json=args.json)
    try:
        if args.json:
            print(json.dumps(summary, indent=2))
        elif not args.quiet:
            print(paint(text, sys.stdout))
        sys.stdout.flush()
    except BrokenPipeError:
        # `releasekit notes | head`: the reader has what it wanted (as cli.main).
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return int(ExitCode.OK)
