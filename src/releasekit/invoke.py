"""Invoke adapter: the release tasks as a Collection.

    # tasks.py
    from releasekit.invoke import release_tasks as ns          # invoke publish --test

    # or beside your own tasks, as a sub-collection:
    ns = Collection(my_task, release_tasks)                    # invoke release.publish --test

Settings come from Invoke's configuration under ``releasekit`` (``invoke.yaml``,
``INVOKE_RELEASEKIT_TAG_FORMAT``, ``ns.configure(...)``), layered over the project's
``[tool.releasekit]``. Invoke merges nested configuration shallowly, so a key that is
missing or ``None`` there simply means "not set here" and releasekit's own layers decide.
A ``ReleaseError`` becomes ``invoke.Exit(message, code)``.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from invoke.collection import Collection
from invoke.context import Context
from invoke.exceptions import Exit
from invoke.parser.argument import Argument
from invoke.tasks import Task, task

from releasekit.adapters import parse_command
from releasekit.errors import ReleaseError
from releasekit.runner import SubprocessRunner, describe_failure

__all__ = ["release_tasks"]


class InvokeRunner(SubprocessRunner):
    """Runs commands with ``Context.run`` (echoed the Invoke way), argv quoted once."""

    def __init__(self, context: Context, *, echo: bool = True) -> None:
        super().__init__(echo=echo)
        self.context = context

    def run(
        self,
        argv: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
        capture: bool = True,
    ) -> str:
        quiet = argv[0] == "git" and argv[1] not in {"commit", "tag", "push"}
        command = shlex.join(argv)
        if cwd is not None:
            command = f"cd {shlex.quote(str(cwd))} && {command}"
        result = self.context.run(
            command,
            env=dict(env or {}),
            # Not hide=True: Invoke turns echo off for that.
            hide="both" if capture else None,
            warn=True,
            echo=self.echo and not quiet,
            in_stream=False,
        )
        if result is None or result.failed:
            output = (result.stdout + result.stderr) if result is not None else ""
            raise describe_failure(argv, result.exited if result is not None else 1, output)
        return str(result.stdout) if capture else ""


def _settings(context: Context) -> dict[str, Any]:
    settings: dict[str, Any] = _plain(context.config.get("releasekit") or {})
    return settings


def _plain(value: Any) -> Any:
    """Invoke's DataProxy objects as plain dicts, ``None`` values dropped."""
    if hasattr(value, "items"):
        return {str(k): _plain(v) for k, v in value.items() if v is not None}
    return value


def _run(context: Context, command: str, argv: list[str], resume: str = "") -> None:
    from releasekit.cli import run_command

    # The project is the one whose tasks.py Invoke loaded, wherever the user stands.
    loaded_from = getattr(context.config, "_project_prefix", None)
    if loaded_from and "--project" not in argv:
        argv = [*argv, "--project", str(loaded_from)]
    try:
        args = parse_command(command, argv, usage=f"invoke {command}")
        args.resume_command = resume or f"invoke {shlex.join([command, *argv])}"
        run_command(
            args,
            runner=InvokeRunner(context, echo=not args.json),  # --json: stdout is the JSON
            adapter=("Invoke configuration 'releasekit'", _settings(context)),
        )
    except ReleaseError as exc:
        raise Exit(exc.describe(), code=int(exc.exit_code)) from None


def _flags(**flags: Any) -> list[str]:
    """Task keyword arguments as releasekit flags (``dry_run=True`` -> ``--dry-run``)."""
    argv: list[str] = []
    for name, value in flags.items():
        flag = "--" + name.replace("_", "-")
        if value is True:
            argv.append(flag)
        elif value is False or value is None or value == "":
            continue
        else:
            argv += [flag, str(value)]
    return argv


COMMON_HELP = {
    "project": "the project's root directory (default: the current directory)",
    "json": "print a JSON summary on stdout",
}


@task(
    help={
        "part": "major, minor, patch, alpha, beta, rc, pre, post, dev, release or X.Y.Z",
        "dry_run": "print the diff it would make and change nothing",
        "allow_dirty": "commit and tag even with other uncommitted changes",
        **COMMON_HELP,
    },
    positional=["part"],
)
def bump_version(
    c: Context,
    part: str,
    dry_run: bool = False,
    allow_dirty: bool = False,
    project: str = "",
    json: bool = False,
) -> None:
    """Bump the version everywhere, roll the changelog, commit and tag."""
    _run(
        c,
        "bump-version",
        [part, *_flags(dry_run=dry_run, allow_dirty=allow_dirty, project=project, json=json)],
    )


@task(
    help={
        "dry_run": "say what would run; build nothing",
        "outdir": "output directory",
        **COMMON_HELP,
    }
)
def build(
    c: Context, dry_run: bool = False, outdir: str = "", project: str = "", json: bool = False
) -> None:
    """Build sdist and wheel (from the sdist) into a clean dist/."""
    _run(c, "build", _flags(dry_run=dry_run, outdir=outdir, project=project, json=json))


@task(
    help={"repository": "the configured repository to check against (default: test)", **COMMON_HELP}
)
def check(c: Context, repository: str = "test", project: str = "", json: bool = False) -> None:
    """Run every pre-flight check against the target index."""
    _run(c, "check", _flags(repository=repository, project=project, json=json))


UPLOAD_HELP = {
    "yes": "do not ask for confirmation before a prod upload",
    "dry_run": "say what would be uploaded; upload nothing",
    **COMMON_HELP,
}


@task(help=UPLOAD_HELP)
def upload_test(
    c: Context, yes: bool = False, dry_run: bool = False, project: str = "", json: bool = False
) -> None:
    """Upload to the test index; files already there are skipped."""
    _run(c, "upload-test", _flags(yes=yes, dry_run=dry_run, project=project, json=json))


@task(help=UPLOAD_HELP)
def upload_prod(
    c: Context, yes: bool = False, dry_run: bool = False, project: str = "", json: bool = False
) -> None:
    """Upload to the production index (asks unless --yes or CI)."""
    _run(c, "upload-prod", _flags(yes=yes, dry_run=dry_run, project=project, json=json))


@task(
    help={
        "repository": "the configured repository (default: test)",
        "install": "also install it from the index into a fresh venv and import it",
        "timeout": "seconds to wait for the index (default: verify.timeout)",
        **COMMON_HELP,
    }
)
def verify(
    c: Context,
    repository: str = "test",
    install: bool = False,
    timeout: str = "",
    project: str = "",
    json: bool = False,
) -> None:
    """Prove the files on the index are the ones built (--install: and install it)."""
    _run(
        c,
        "verify",
        _flags(repository=repository, install=install, timeout=timeout, project=project, json=json),
    )


PIPELINE_HELP = {
    "yes": "do not ask for confirmation before the prod upload",
    "install": "verify by installing into a fresh venv",
    "timeout": "seconds verify waits for the index",
    **COMMON_HELP,
}


@task(help={"test": "publish to the test repository instead of prod", **PIPELINE_HELP})
def publish(
    c: Context,
    test: bool = False,
    yes: bool = False,
    install: bool = False,
    timeout: str = "",
    project: str = "",
    json: bool = False,
) -> None:
    """Build, check, upload and verify (--test: to the test index)."""
    _run(
        c,
        "publish",
        _flags(test=test, yes=yes, install=install, timeout=timeout, project=project, json=json),
    )


class _ResumeFlag(Argument):
    """``--resume``, which also counts as the PART positional: Invoke requires every
    positional argument, and a resumed release has no PART."""

    def __init__(self, part: Argument, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.part = part

    def set_value(self, value: Any, cast: bool = True) -> None:
        super().set_value(value, cast)
        if self.value and self.part.value is None:
            self.part.set_value("", cast=False)


class _ReleaseTask(Task[Any]):
    def get_arguments(self, ignore_unknown_help: bool | None = None) -> list[Argument]:
        arguments: list[Argument] = super().get_arguments(ignore_unknown_help)
        part = next(a for a in arguments if a.name == "part")
        return [
            _ResumeFlag(
                part, names=a.names, kind=bool, default=False, help=a.help, attr_name=a.attr_name
            )
            if a.name == "resume"
            else a
            for a in arguments
        ]


@task(
    help={
        "part": "the version bump: major, minor, patch, ... or X.Y.Z",
        "resume": "continue a stopped release from the current version (instead of PART)",
        "no_push": "do not push the commit and tag at the end",
        **PIPELINE_HELP,
    },
    positional=["part"],
    klass=_ReleaseTask,
)
def release(
    c: Context,
    part: str | None = None,  # None, not "": Invoke only fills positionals that are None
    resume: bool = False,
    yes: bool = False,
    install: bool = False,
    no_push: bool = False,
    timeout: str = "",
    project: str = "",
    json: bool = False,
) -> None:
    """Bump, build, check, upload-test, verify, upload-prod, verify, tag, push."""
    flags = _flags(
        yes=yes, install=install, no_push=no_push, timeout=timeout, project=project, json=json
    )
    argv = ([part] if part else []) + _flags(resume=resume) + flags
    _run(c, "release", argv, resume=shlex.join(["invoke", "release", "--resume", *flags]))


class _ReleaseCollection(Collection):
    """Its configuration names every key an environment variable can set, unset (None):
    Invoke reads an INVOKE_RELEASEKIT_* variable only for keys its configuration has.
    Built when Invoke asks, so that importing this module does not load the schema."""

    def configuration(self, taskpath: str | None = None) -> dict[str, Any]:
        configuration: dict[str, Any] = super().configuration(taskpath)
        if taskpath is not None:  # built from the call below
            return configuration
        from releasekit.config import env_settable_keys

        settings = configuration.setdefault("releasekit", {})
        for key in env_settable_keys():
            section, _, name = key.rpartition(".")
            table = settings.setdefault(section, {}) if section else settings
            table.setdefault(name.replace("-", "_"), None)
        return configuration


release_tasks = _ReleaseCollection(
    "release", bump_version, build, check, upload_test, upload_prod, verify, publish, release
)
