"""Invoke adapter: the release tasks as a Collection, generated from the command table.

    # tasks.py
    from releasekit.invoke import release_tasks as ns          # invoke publish --test

    # or beside your own tasks, as a sub-collection:
    ns = Collection(my_task, release_tasks)                    # invoke release.publish --test

Each task takes the flags of ``releasekit COMMAND`` (:mod:`releasekit.commands`), with the
same names and short forms. Settings come from Invoke's configuration under
``releasekit`` (``invoke.yaml``, ``INVOKE_RELEASEKIT_TAG_FORMAT``, ``ns.configure(...)``),
layered over the project's ``[tool.releasekit]``; a key that is missing or ``None`` there
means "not set here". The project is found from the directory of the tasks.py Invoke
loaded. A ``ReleaseError`` becomes ``invoke.Exit(message, code)``.
"""

from __future__ import annotations

import shlex
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from invoke.collection import Collection
from invoke.context import Context
from invoke.exceptions import CommandTimedOut, Exit
from invoke.parser.argument import Argument
from invoke.tasks import Task

from releasekit.commands import ADAPTED, GLOBAL, Command, Option, parse_command
from releasekit.config import env_settable_keys
from releasekit.errors import ReleaseError
from releasekit.runner import SubprocessRunner, changes_git

__all__ = ["release_tasks"]


class InvokeRunner(SubprocessRunner):
    """Runs commands with ``Context.run`` (echoed the Invoke way), argv quoted once."""

    def __init__(self, context: Context, *, echo: bool = True) -> None:
        super().__init__(echo=echo)
        self.context = context

    def _echoes(self, argv: Sequence[str], capture: bool) -> bool:
        # Like the CLI, stdout holds only the result: what runs is told on stderr, and
        # only what changes something (git commit, tag, push) or is not captured.
        return (self.echo and (not capture or changes_git(argv))) or self.verbosity > 0

    def _execute(
        self, argv: list[str], env: Mapping[str, str], cwd: Path | None, capture: bool
    ) -> tuple[int, str, str]:
        command = shlex.join(argv)  # argv quoted once, for Invoke's shell
        if cwd is not None:
            command = f"cd {shlex.quote(str(cwd))} && {command}"
        try:
            result = self.context.run(
                command,
                env=dict(env),
                # -q: a tool's output is shown only when it fails (in the error).
                hide="both" if capture or self.verbosity < 0 else None,
                # What is not captured (a build's output) is shown on stderr, as the CLI does.
                out_stream=None if capture else sys.stderr,
                warn=True,
                echo=False,
                in_stream=False,
                timeout=self.timeout,
            )
        except CommandTimedOut:
            raise self.timed_out(argv) from None
        if result is None:
            return 1, "", ""
        return int(result.exited), str(result.stdout), str(result.stdout + result.stderr)


def _plain(value: Any) -> Any:
    """Invoke's DataProxy objects as plain dicts, ``None`` values dropped."""
    if hasattr(value, "items"):
        return {str(k): _plain(v) for k, v in value.items() if v is not None}
    return value


def _argv(command: Command, values: Mapping[str, Any]) -> list[str]:
    """The task's parsed arguments as the flags of ``releasekit COMMAND``."""
    argv: list[str] = []
    for option in (*command.options, *GLOBAL):
        value = values.get(_key(option))
        if option.kind == "positional":
            argv[:0] = [str(value)] if value else []
        elif option.kind == "files":  # --files FILE (repeatable) here: Invoke's lists
            argv += [str(item) for item in value or ()]
        elif option.kind == "switch":
            if value:
                argv.append(f"--{option.name}")
            elif values.get(f"no_{_key(option)}"):
                argv.append(f"--no-{option.name}")
        elif option.kind == "flag":
            argv += [f"--{option.name}"] if value else []
        elif option.kind == "paths":
            argv += [arg for item in value or () for arg in (f"--{option.name}", str(item))]
        elif value not in (None, ""):
            argv += [f"--{option.name}", str(value)]
    return argv


def _key(option: Option) -> str:
    """The name Invoke gives the option's value: its flag with underscores."""
    return option.attr if option.kind == "positional" else option.name.replace("-", "_")


def _run(context: Context, command: Command, values: Mapping[str, Any]) -> None:
    # This module's one lazy import: the release machinery loads when a task runs, never
    # at `invoke -l` (benchmarks/RESULTS.md).
    from releasekit.cli import run_command

    positional = command.positional
    if positional is not None and values.get(positional.attr) in ("-h", "--help"):
        # Invoke gives a task's first positional argument whatever follows the task name.
        print(_help(command))
        return
    argv = _argv(command, values)
    try:
        args = parse_command(command.name, argv, usage=f"invoke {command.name}")
        if args.project == Path("."):
            # Invoke finds tasks.py in a parent directory: so does the project.
            args.project = _tasks_directory(context)
        args.invocation = ("invoke", command.name)
        run_command(
            args,
            runner=InvokeRunner(context, echo=not args.json),  # --json: stdout is the JSON
            adapter=(
                "Invoke configuration 'releasekit'",
                _plain(context.config.get("releasekit") or {}),
            ),
        )
    except ReleaseError as exc:
        raise Exit(exc.describe(), code=int(exc.exit_code)) from None


def _help(command: Command) -> str:
    """``invoke COMMAND --help`` where Invoke took ``--help`` for the positional argument:
    the task's flags, the Invoke way, from the command table."""
    positional = command.positional
    lines = [
        f"Usage: invoke [--core-opts] {command.name} [--options]"
        + (f" [{positional.metavar or positional.attr}]" if positional else ""),
        "",
        "Docstring:",
        f"  {command.summary}",
        "",
        "Options:",
    ]
    for option in (*command.options, *GLOBAL):
        if option.kind == "positional":
            continue
        flags = ", ".join(
            [*([f"-{option.short}"] if option.short else []), f"--{option.name}"]
            + ([f"--no-{option.name}"] if option.kind == "switch" else [])
        )
        value = "" if option.kind in ("flag", "switch") else f"={option.metavar or 'STRING'}"
        lines.append(f"  {flags + value:<36} {option.help}")
    return "\n".join(lines)


def _unset_keys() -> dict[str, Any]:
    """The configuration keys, nested as Invoke's configuration holds them, all None."""
    settings: dict[str, Any] = {}
    for key in env_settable_keys():
        section, _, name = key.rpartition(".")
        table = settings.setdefault(section, {}) if section else settings
        table.setdefault(name.replace("-", "_"), None)
    return settings


def _tasks_directory(context: Context) -> Path:
    found = getattr(context.config, "_project_prefix", None) or ""
    return Path(found) if found else Path(".")


def _arguments(command: Command) -> list[Argument]:
    """Invoke arguments for the command's options (and the global ones)."""
    arguments: list[Argument] = []
    for option in (*command.options, *GLOBAL):
        names = (option.name, *([option.short] if option.short else []))
        attr = _key(option) if "-" in option.name else None
        if option.kind == "positional":
            arguments.insert(
                0, Argument(names=(option.attr,), kind=str, positional=True, help=option.help)
            )
        elif option.kind in ("flag", "switch"):
            arguments.append(
                Argument(names=names, kind=bool, default=False, help=option.help, attr_name=attr)
            )
            if option.kind == "switch":
                arguments.append(
                    Argument(
                        names=(f"no-{option.name}",),
                        kind=bool,
                        default=False,
                        help=f"the opposite of --{option.name}",
                        attr_name=f"no_{_key(option)}",
                    )
                )
        elif option.kind in ("paths", "files"):
            arguments.append(
                Argument(names=names, kind=list, default=[], help=option.help, attr_name=attr)
            )
        else:
            arguments.append(
                Argument(names=names, kind=str, default=None, help=option.help, attr_name=attr)
            )
    return arguments


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


class _TableTask(Task[Any]):
    """A task whose arguments come from the command table, not from a signature."""

    command: Command

    def get_arguments(self, ignore_unknown_help: bool | None = None) -> list[Argument]:
        arguments = _arguments(self.command)
        if self.command.name == "release":
            part = arguments[0]
            arguments = [
                _ResumeFlag(part, names=a.names, kind=bool, default=False, help=a.help)
                if a.name == "resume"
                else a
                for a in arguments
            ]
        return arguments


def _task(command: Command) -> Task[Any]:
    def body(context: Context, **values: Any) -> None:
        _run(context, command, values)

    body.__name__ = command.name.replace("-", "_")
    body.__doc__ = command.summary
    task = _TableTask(body, name=command.name)
    task.command = command
    return task


release_tasks = Collection("release", *(_task(command) for command in ADAPTED))
# Every key an environment variable can set, unset (None): Invoke reads an
# INVOKE_RELEASEKIT_* variable only for keys its configuration has.
release_tasks.configure({"releasekit": _unset_keys()})
