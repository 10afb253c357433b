"""The command table: every command, its flags and the configuration keys they set.

argparse (``releasekit COMMAND``), the nox sessions (``nox -s COMMAND -- FLAGS``) and the
Invoke tasks (``invoke COMMAND --FLAGS``) are all generated from it, so a flag added here
exists everywhere, with the same name and the same short form. This module is imported
by ``nox -l`` and ``invoke -l``: it holds data and imports nothing heavy.
"""

from __future__ import annotations

import argparse
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, NoReturn

from releasekit.errors import ExitCode, UsageError
from releasekit.suggest import did_you_mean

Kind = Literal["flag", "switch", "text", "path", "paths", "int", "seconds", "positional", "files"]

# init-ci's choices (releasekit.ci reads them from here).
CI_PROVIDERS = ("github", "gitlab")
CI_TRIGGERS = ("tag", "branch")
CI_WHEELS = ("cibuildwheel",)
CI_TARGETS = ("registry", "pypi", "testpypi")
CI_PYTHON = "3.12"


@dataclass(frozen=True)
class Option:
    """One flag (or the positional argument) of a command."""

    name: str  # the long flag without dashes: "repository-url"; the positional's dest
    kind: Kind
    help: str
    short: str = ""  # one letter, the same on every command that has the flag
    metavar: str = ""
    choices: tuple[str, ...] = ()
    default: Any = None
    # The configuration key the flag overrides ("" for none).
    config_key: str = ""
    # Where the value goes, if not under the flag's own name (--fresh: cache).
    dest: str = ""
    # What a flag stores when given (--fresh: False, build.cache off).
    stores: Any = True
    # A positional argument that must be given (init-ci's PROVIDER).
    required: bool = False
    # A positional argument that takes any number of paths (audit's DIR ...).
    many: bool = False

    @property
    def attr(self) -> str:
        return self.dest or self.name.replace("-", "_")

    def to_argv(self, value: Any) -> list[str]:
        """The flags that give this option ``value`` (nothing for its default)."""
        flag = f"--{self.name}"
        if self.kind == "flag":
            return [flag] if value == self.stores else []
        if value is None or value == self.default:
            return []
        if self.kind == "positional":
            return [str(v) for v in value] if self.many else [str(value)]
        if self.kind == "switch":
            return [flag if value else f"--no-{self.name}"]
        if self.kind == "paths":
            return [arg for item in value for arg in (flag, str(item))]
        if self.kind == "files":
            return [str(item) for item in value]
        return [flag, str(value)]


@dataclass(frozen=True)
class Command:
    name: str
    summary: str  # one line: argparse help, nox -l, invoke -l
    options: tuple[Option, ...] = ()
    # Runs python -m build, or makes verify's fresh virtualenvs (uv): the nox session gets
    # a virtualenv with the tools. check and upload run in releasekit's own process.
    needs_tools: bool = True
    # Offered as a nox session and an Invoke task.
    adapted: bool = True

    @property
    def positional(self) -> Option | None:
        return next((o for o in self.options if o.kind == "positional"), None)


# --- options, defined once -------------------------------------------------------------

PROJECT = Option(
    "project",
    "path",
    "the project's directory (default: the nearest project at or above the current directory)",
    metavar="DIR",
    default=Path("."),
)
CONFIG = Option(
    "config",
    "path",
    "a TOML file with [tool.releasekit] keys, layered over pyproject.toml",
    metavar="FILE",
)
JSON = Option("json", "flag", "print a JSON summary on stdout (progress stays on stderr)")
QUIET = Option("quiet", "flag", "print errors only (and what a query command prints)", short="q")
VERBOSE = Option(
    "verbose",
    "flag",
    "show each tool's command and its output, and each request to an index",
    short="v",
)
GLOBAL = (PROJECT, CONFIG, JSON, QUIET, VERBOSE)

PACKAGE = Option(
    "package",
    "paths",
    "in a monorepo, work on this package only (repeatable; default: all packages)",
    metavar="DIR",
)
JOBS = Option(
    "jobs",
    "int",
    "in a monorepo, work on N packages at once (default: the CPU count)",
    short="j",
    metavar="N",
)
OUTDIR = Option(
    "outdir", "path", "where the artifacts are (default: build.outdir, dist/)", metavar="DIR"
)
REPOSITORY = Option(
    "repository",
    "text",
    "a configured repository or .pypirc section",
    short="r",
    metavar="NAME",
)
REPOSITORY_URL = Option(
    "repository-url", "text", "upload URL of an index not in the configuration", metavar="URL"
)
INDEX_URL = Option(
    "index-url",
    "text",
    "simple-API URL of the index (default: from the repository)",
    metavar="URL",
)
YES = Option("yes", "flag", "do not ask for confirmation before a production upload", short="y")
ATTEST = Option(
    "attest",
    "switch",
    "sign each file as a PEP 740 attestation when trusted publishing to PyPI (default: attest)",
    config_key="attest",
)
PROVENANCE = Option(
    "provenance",
    "switch",
    "verify each file's PEP 740 provenance against the expected publisher "
    "(default: verify.provenance, on for attested PyPI releases)",
    config_key="verify.provenance",
)
DRY_RUN = Option("dry-run", "flag", "say exactly what would be done; change nothing", short="n")
TIMEOUT = Option(
    "timeout",
    "seconds",
    "how long verify waits for the index (default: verify.timeout, 300)",
    metavar="SECONDS",
    config_key="verify.timeout",
)
INSTALL = Option(
    "install",
    "switch",
    "verify by also installing from the index into a fresh venv (default: verify.install)",
    config_key="verify.install",
)
FRESH = Option(
    "fresh",
    "flag",
    "build in a new isolated environment, bypassing the cached one (build.cache)",
    dest="cache",
    stores=False,
    config_key="build.cache",
)
COMMIT = Option(
    "commit",
    "switch",
    "commit the change (default: on in a git repository)",
    config_key="commit",
)
TAG = Option(
    "tag",
    "switch",
    "create an annotated tag (default: on in a git repository)",
    config_key="tag",
)
TAG_FORMAT = Option(
    "tag-format", "text", 'e.g. "v{version}"', metavar="FORMAT", config_key="tag-format"
)
ALLOW_DIRTY = Option(
    "allow-dirty",
    "flag",
    "commit and tag even with other uncommitted changes",
    config_key="allow-dirty",
)

TARGET = (OUTDIR, REPOSITORY, REPOSITORY_URL, INDEX_URL)
# upload FILE...: what twine upload and uv publish take (default: the output directory's).
FILES = Option(
    "files",
    "files",
    "the distribution files to upload, checked as dist/ is (default: all of the output "
    "directory's)",
    metavar="FILE",
)
PIPELINE = (YES, ATTEST, DRY_RUN, TIMEOUT, INSTALL, PROVENANCE, FRESH)

COMMANDS: tuple[Command, ...] = (
    Command(
        "bump-version",
        "Bump the version everywhere, roll the changelog, commit and tag.",
        (
            Option(
                "target",
                "positional",
                "major, minor, patch, alpha, beta, rc, pre, post, dev, release, a version, "
                "or auto (from the conventional commits since the last release tag)",
                metavar="PART|X.Y.Z",
            ),
            DRY_RUN,
            COMMIT,
            TAG,
            ALLOW_DIRTY,
            TAG_FORMAT,
            PACKAGE,
        ),
        needs_tools=False,
    ),
    Command(
        "build",
        "Build sdist and wheel (from the sdist) into a clean dist/.",
        (
            OUTDIR,
            DRY_RUN,
            FRESH,
            Option(
                "installer",
                "text",
                "installer for the isolated build environment (default: auto)",
                choices=("auto", "pip", "uv"),
                config_key="build.installer",
            ),
            Option(
                "isolation",
                "switch",
                "build in an isolated environment (default: on)",
                config_key="build.isolation",
            ),
            PACKAGE,
            JOBS,
        ),
    ),
    Command(
        "check",
        "Run every pre-flight check against the target index.",
        (
            *TARGET,
            Option("list-rules", "flag", "list PyPI's upload rules (ids for skip-checks) and exit"),
            PACKAGE,
        ),
        needs_tools=False,
    ),
    Command(
        "upload-test",
        "Upload to the test index; files already there are skipped.",
        (*TARGET, YES, ATTEST, DRY_RUN, PACKAGE, FILES),
        needs_tools=False,
    ),
    Command(
        "upload-prod",
        "Upload to the production index (asks unless --yes or CI).",
        (*TARGET, YES, ATTEST, DRY_RUN, PACKAGE, FILES),
        needs_tools=False,
    ),
    Command(
        "verify",
        "Prove the files on the index are the ones built (--install: and install it).",
        (
            *TARGET,
            TIMEOUT,
            INSTALL,
            PROVENANCE,
            PACKAGE,
            Option(
                "reproduce",
                "flag",
                "rebuild the current version from its tag (a scratch worktree, a fresh "
                "isolated environment, SOURCE_DATE_EPOCH of the tag's commit) and compare "
                "it byte for byte with what the index serves",
            ),
        ),
    ),
    Command(
        "publish",
        "Build, check, upload and verify (--test: to the test index).",
        (
            Option("test", "flag", "publish to the test repository", short="t"),
            REPOSITORY,
            *PIPELINE,
            PACKAGE,
            JOBS,
        ),
    ),
    Command(
        "release",
        "Pre-flight, bump, build, check/upload/verify on test then prod, tag, push.",
        (
            Option(
                "part", "positional", "the version bump (not with --resume)", metavar="PART|X.Y.Z"
            ),
            Option("resume", "flag", "continue a stopped release from the current version"),
            *PIPELINE,
            Option(
                "push",
                "switch",
                "push the commit and tag at the end (default: release.push)",
                config_key="release.push",
            ),
            Option(
                "test-first",
                "switch",
                "go through the test index first (default: release.test-first)",
                config_key="release.test-first",
            ),
            PACKAGE,
        ),
    ),
    Command(
        "upload",
        "Upload to --repository NAME; files already there are skipped.",
        (*TARGET, YES, ATTEST, DRY_RUN, PACKAGE, FILES),
        adapted=False,
        needs_tools=False,
    ),
    Command(
        "version",
        "Print the project's current version.",
        (PACKAGE,),
        adapted=False,
        needs_tools=False,
    ),
    Command(
        "notes",
        "Print one version's section of the changelog: the release notes.",
        (
            Option(
                "version",
                "positional",
                "the version whose notes to print (default: the current version)",
                metavar="VERSION",
                dest="notes_version",
            ),
            PACKAGE,
        ),
        adapted=False,
        needs_tools=False,
    ),
    Command(
        "audit",
        "Check repositories against their organisation's conventions: profile, locked keys, "
        "CI pipeline, changelog (exit 9: one falls short).",
        (
            Option(
                "directories",
                "positional",
                "the repositories' checkouts (default: the current directory)",
                metavar="DIR",
                many=True,
            ),
        ),
        adapted=False,
        needs_tools=False,
    ),
    Command(
        "plan",
        "List the packages whose version is not yet on the target index (a CI matrix).",
        (REPOSITORY, REPOSITORY_URL, INDEX_URL, PACKAGE, JOBS),
        adapted=False,
        needs_tools=False,
    ),
    Command(
        "config",
        "Print the effective configuration and which layer set each key.",
        (Option("show", "flag", "show it (the default action)"), PACKAGE),
        adapted=False,
        needs_tools=False,
    ),
    Command(
        "init-ci",
        "Write a CI pipeline that releases with releasekit (GitHub Actions or GitLab CI).",
        (
            Option("provider", "positional", "the CI system", choices=CI_PROVIDERS, required=True),
            Option(
                "trigger",
                "text",
                "release on a pushed version tag (tag-format), or on "
                "every push to the first of release-branches (default: tag)",
                choices=CI_TRIGGERS,
                default="tag",
            ),
            Option(
                "environment",
                "text",
                "GitHub environment of the PyPI upload (default: pypi)",
                metavar="NAME",
            ),
            Option(
                "test-environment",
                "text",
                "GitHub environment of the TestPyPI upload (default: testpypi)",
                metavar="NAME",
            ),
            Option(
                "test-first",
                "switch",
                "GitHub: upload to the test index and verify "
                "before PyPI (default: release.test-first)",
            ),
            Option(
                "python",
                "text",
                f"the Python the jobs run releasekit with (default: {CI_PYTHON})",
                metavar="X.Y",
                default=CI_PYTHON,
            ),
            Option(
                "output",
                "path",
                "where to write (default: .github/workflows/release.yml "
                "or .gitlab-ci.yml at the top of the git repository)",
                metavar="FILE",
            ),
            Option(
                "wheels",
                "text",
                "GitHub: build the wheels on Linux, macOS and Windows "
                "with cibuildwheel (a matrix), the sdist in a job of its own, and upload "
                "them all from one job",
                choices=CI_WHEELS,
            ),
            Option(
                "target",
                "text",
                "GitLab: publish to the project's package registry "
                "(default), or to PyPI or TestPyPI by trusted publishing (id_tokens), with "
                "attestations",
                choices=CI_TARGETS,
            ),
            Option(
                "include",
                "flag",
                "GitLab: write the jobs to .gitlab/releasekit.yml and "
                "include it from the existing .gitlab-ci.yml instead of replacing that",
            ),
            Option(
                "install-index",
                "text",
                "the index the jobs install releasekit and the profile package from "
                "(pip --index-url; default: install-index, else PyPI); no credentials in it",
                metavar="URL",
                config_key="install-index",
            ),
            Option(
                "release-page",
                "switch",
                "after the publish, create the tag's GitHub (or GitLab) release with the "
                "changelog's notes (releasekit notes) and the files attached (default: on)",
            ),
            Option("force", "flag", "replace an existing file"),
            Option("dry-run", "flag", "print the file it would write; write nothing"),
            PACKAGE,
        ),
        adapted=False,
        needs_tools=False,
    ),
    Command(
        "trusted-publisher",
        "Check the release workflow for PyPI trusted publishing; print what to register on "
        "PyPI and where (exit 9: the workflow is not set up).",
        (
            Option(
                "workflow",
                "path",
                "the GitHub workflow that publishes (default: "
                ".github/workflows/release.yml at the top of the git repository)",
                metavar="FILE",
            ),
            Option(
                "github-repository",
                "text",
                "the GitHub repository (default: from the URL of the git remote release.remote)",
                metavar="OWNER/NAME",
            ),
            Option(
                "check",
                "flag",
                "in the publishing CI job: decode the job's OIDC token "
                "(claims only, sent nowhere, never printed) and name every claim PyPI would "
                "not match (exit 9)",
            ),
            Option(
                "audience",
                "text",
                "with --check: the index whose trusted publisher to check (default: pypi)",
                choices=("pypi", "testpypi"),
                default="pypi",
            ),
            PACKAGE,
        ),
        adapted=False,
        needs_tools=False,
    ),
)
BY_NAME: Mapping[str, Command] = {c.name: c for c in COMMANDS}
ADAPTED: tuple[Command, ...] = tuple(c for c in COMMANDS if c.adapted)
# Commands that upload; only-if-env can make them skip (one job of a CI matrix uploads).
UPLOADING = frozenset({"upload", "upload-test", "upload-prod", "publish", "release"})
# Repository each command targets when --repository is not given.
# Commands whose target twine's and uv's variables may name (TWINE_REPOSITORY_URL, ...):
# those with no repository of their own (releasekit.tool_env).
ENV_TARGETED = frozenset({"check", "upload", "verify", "plan"})
DEFAULT_REPOSITORY = {
    "check": "test",
    "upload": "test",
    "upload-test": "test",
    "upload-prod": "prod",
    "verify": "test",
    "plan": "test",
}


def overrides(args: argparse.Namespace) -> dict[str, Any]:
    """The configuration keys the parsed flags set (None: not given, the layers decide)."""
    command = BY_NAME.get(args.command)
    if command is None:
        return {}
    return {
        option.config_key: getattr(args, option.attr, None)
        for option in command.options
        if option.config_key
    }


def to_argv(command: str, values: Mapping[str, Any]) -> list[str]:
    """Flags that make ``command`` run with ``values`` (by attribute name), the positional
    first; options at their default are left out."""
    spec = BY_NAME[command]
    positional = spec.positional
    head = positional.to_argv(values.get(positional.attr)) if positional else []
    options = (o for o in (*spec.options, *GLOBAL) if o.kind != "positional")
    return head + [arg for o in options for arg in o.to_argv(values.get(o.attr))]


# --- argparse ---------------------------------------------------------------------------


class RaisingParser(argparse.ArgumentParser):
    """A parser whose errors are UsageErrors (for --json, nox and Invoke), and that names
    the choice meant when a command or a choice is mistyped (``publsh``)."""

    def error(self, message: str) -> NoReturn:
        # A command's parser names the command (releasekit release: ...); the top one
        # needs no name: the error line already starts with "releasekit: error:".
        where = f"{self.prog}: " if " " in self.prog else ""
        raise UsageError(f"{where}{message}.", f"See {self.prog} --help.")

    # argparse's one check of a value against its choices (Python 3.14 suggests the same
    # way, with suggest_on_error).
    def _check_value(self, action: argparse.Action, value: Any) -> None:
        choices = action.choices
        if choices is not None and isinstance(value, str) and value not in choices:
            names = ", ".join(repr(c) for c in choices)
            raise argparse.ArgumentError(
                action,
                f"invalid choice: {value!r}{did_you_mean(value, [str(c) for c in choices])}"
                f" (choose from {names})",
            )
        super()._check_value(action, value)


def _add(parser: argparse.ArgumentParser, option: Option, *, suppress: bool = False) -> None:
    names = [f"--{option.name}", *([f"-{option.short}"] if option.short else [])]
    extra: dict[str, Any] = {"help": option.help}
    if suppress:
        extra["default"] = argparse.SUPPRESS
    if option.kind == "files" or (option.kind == "positional" and option.many):
        parser.add_argument(
            option.attr, nargs="*", type=Path, metavar=option.metavar or None, help=option.help
        )
        return
    if option.kind == "positional":
        parser.add_argument(
            option.attr,
            nargs=None if option.required else "?",
            metavar=option.metavar or None,
            choices=option.choices or None,
            help=option.help,
        )
        return
    if option.kind == "flag":
        # A flag that overrides a configuration key is None when not given: the layers
        # below decide.
        parser.add_argument(
            *names,
            dest=option.attr,
            action="store_const",
            const=option.stores,
            **{"default": None if option.config_key else False, **extra},
        )
        return
    if option.kind == "switch":
        parser.add_argument(
            *names,
            dest=option.attr,
            action=argparse.BooleanOptionalAction,
            **{"default": None, **extra},
        )
        return
    types: dict[str, Any] = {"path": Path, "paths": Path, "int": int, "seconds": float, "text": str}
    parser.add_argument(
        *names,
        dest=option.attr,
        type=types[option.kind],
        action="append" if option.kind == "paths" else "store",
        metavar=option.metavar or None,
        choices=option.choices or None,
        **{"default": option.default, **extra},
    )


def build_parser(
    parser_class: type[argparse.ArgumentParser] = argparse.ArgumentParser,
    *,
    version: str = "",
    only: str | None = None,
) -> argparse.ArgumentParser:
    """``releasekit``'s parser: global options before or after the command; ``--version``
    when the caller gives the ``version`` (the CLI does); ``only``: that command's parser
    alone, for a short path that needs no other."""
    parser = parser_class(
        prog="releasekit",
        description="Safe, reusable release steps: bump-version, build, check, upload, verify.",
        epilog="Exit codes: " + ", ".join(f"{c.value} {c.name.lower()}" for c in ExitCode) + ".",
    )
    if version:
        parser.add_argument("--version", action="version", version=f"releasekit {version}")
    for option in GLOBAL:
        _add(parser, option)
    # Given after the command, a global option overrides; not given there, the value
    # from before the command (or the default) stays.
    after = argparse.ArgumentParser(add_help=False)
    for option in GLOBAL:
        _add(after, option, suppress=True)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in COMMANDS if only is None else [c for c in COMMANDS if c.name == only]:
        sub = commands.add_parser(
            command.name, parents=[after], help=command.summary, description=command.summary
        )
        positional = command.positional
        if positional is not None:
            _add(sub, positional)
        for option in command.options:
            if option.kind != "positional":
                _add(sub, option)
    return parser


def parse(
    argv: Sequence[str],
    *,
    prog: str = "releasekit",
    version: str = "",
    only: str | None = None,
) -> argparse.Namespace:
    """``argv`` parsed; a UsageError (not SystemExit) when it is wrong."""
    parser = build_parser(parser_class=RaisingParser, version=version, only=only)
    parser.prog = prog
    return parser.parse_args(list(argv))


def parse_command(command: str, argv: Sequence[str], *, usage: str) -> argparse.Namespace:
    """``argv`` parsed as the flags of ``releasekit COMMAND`` (the nox sessions and Invoke
    tasks); a UsageError naming ``usage`` if they are not."""
    try:
        return parse([command, *argv])
    except UsageError as exc:
        message = exc.message.replace(f"releasekit {command}", usage)
        if not message.startswith(usage):  # the top parser's errors name no command
            message = f"{usage}: {message}"
        raise UsageError(
            message,
            f"Usage: {usage} [flags of 'releasekit {command}'], see releasekit {command} --help.",
        ) from None


def resume_command(args: argparse.Namespace) -> str:
    """The one command that continues a stopped ``release`` (or ``publish``) as it was
    started (``args.invocation``: the CLI, a nox session or an Invoke task): the same
    flags, without PART, with ``--resume``."""
    values = dict(vars(args))
    if args.command == "release":
        values.update(part=None, resume=True)
    flags = to_argv(args.command, values)
    invocation = getattr(args, "invocation", ("releasekit", args.command))
    if invocation[0] == "nox":
        return f"nox -s {invocation[1]}" + (f" -- {shlex.join(flags)}" if flags else "")
    return shlex.join([*invocation, *flags])
