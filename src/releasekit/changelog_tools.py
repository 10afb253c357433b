"""The project's changelog tool (towncrier, scriv) as a command to run.

The tool installed where releasekit runs comes first (a nox session's, or PATH). A
releasekit installed on its own (pipx, a CI image) has none: then the tool gets an
environment of its own in the build environments' cache, holding the version the
project itself asks for in its extras or dependency groups, so such a project releases
without installing anything by hand.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from releasekit.buildenv import CacheUnusable, project_cache
from releasekit.changelog import installed_tool_command, tool_arguments
from releasekit.config import ReleaseConfig, read_toml
from releasekit.errors import CommandError, ConfigError, ProjectError
from releasekit.runner import Runner


def changelog_tool_command(
    style: str,
    root: Path,
    config: ReleaseConfig,
    runner: Runner,
    version: str,
    options: tuple[str, ...] = (),
) -> list[str]:
    """The command that writes ``version``'s section with ``style`` (towncrier or scriv):
    the installed tool, else the one of a cached environment made for it now (made once,
    then reused like a build environment)."""
    installed = installed_tool_command(style, runner.python, version, options)
    if installed is not None:
        return installed
    requirement, source = declared_requirement(root, style)
    runner.log(
        f"{style} is not installed next to {runner.python} or on PATH: running it from a "
        f"cached environment holding {requirement} ({source})..."
    )
    try:
        cache = project_cache(config, root, runner)
        environment = cache.environment([requirement])
    except (CacheUnusable, CommandError) as exc:
        said = exc.output or exc.message if isinstance(exc, CommandError) else str(exc)
        last = said.strip().splitlines()[-1] if said.strip() else "no reason given"
        raise ProjectError(
            f"{root.name} keeps its changelog with {style}, which is not installed here "
            f"(looked next to {runner.python} and on PATH), and an environment holding "
            f"{requirement} could not be made: {last}",
            f"Install {style} in the environment that runs releasekit (pip install {style}), "
            "or set changelog = false to bump without writing the changelog.",
        ) from None
    script = environment.python.parent / style
    return [str(script), *tool_arguments(style, version), *options]


def declared_requirement(root: Path, tool: str) -> tuple[str, str]:
    """The requirement on ``tool`` the project declares (its first, in
    ``[project.optional-dependencies]``, then ``[dependency-groups]``), markers dropped,
    and where it was found; the bare name when it declares none."""
    pyproject = root / "pyproject.toml"
    try:
        document = read_toml(pyproject) if pyproject.is_file() else {}
    except ConfigError:
        document = {}
    project = document.get("project")
    extras = project.get("optional-dependencies") if isinstance(project, dict) else None
    tables: list[tuple[str, Any]] = [
        ("[project.optional-dependencies]", extras),
        ("[dependency-groups]", document.get("dependency-groups")),
    ]
    for where, table in tables:
        if not isinstance(table, dict):
            continue
        for group, entries in table.items():
            for entry in entries if isinstance(entries, list) else []:
                try:
                    requirement = Requirement(entry) if isinstance(entry, str) else None
                except InvalidRequirement:
                    continue
                if requirement and canonicalize_name(requirement.name) == tool:
                    requirement.name, requirement.marker = tool, None
                    return str(requirement), f"as {where} {group} asks"
    return tool, "the project names no version of it"
