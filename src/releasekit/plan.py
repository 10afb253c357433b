"""The release plan: everything a command needs, resolved once, before anything runs.

:func:`resolve_plan` reads the project (its name, the version and where it is written),
chooses the output directory and the target repositories, and lists the steps in order.
The steps take the plan; none of them reads pyproject.toml or asks git for the version
again, so one publish derives the name and the version exactly once.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from packaging.version import Version

from releasekit.autobump import AUTO, decide_from_git
from releasekit.changelog import OTHER
from releasekit.files import relative_path
from releasekit.project import current_version, load_project
from releasekit.repositories import redact_url
from releasekit.tags import ReleaseTags, latest_version_tag, learn_tag_format, tag_shape
from releasekit.vcs import Git
from releasekit.versioning import next_version, parse_version

if TYPE_CHECKING:
    from releasekit.autobump import AutoBump
    from releasekit.config import ReleaseConfig
    from releasekit.project import Project
    from releasekit.repositories import Repository
    from releasekit.runner import Runner
    from releasekit.targets import Target


@dataclass(frozen=True)
class PlannedStep:
    """One step of a pipeline: its name, the repository it targets, what it touches."""

    name: str
    repository: str = ""
    does: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "repository": self.repository or None, "does": self.does}


@dataclass(frozen=True)
class ReleasePlan:
    """One project's release, resolved: read it, never derive its values again."""

    root: Path
    config: ReleaseConfig
    project: Project
    # The version in the project's files (or its latest tag) now, and as it is written.
    current: Version
    written: str
    # The version this command releases: ``current``, or the bumped one for ``release``.
    version: Version
    outdir: Path
    targets: tuple[Repository, ...] = ()
    bump: str | None = None
    steps: tuple[PlannedStep, ...] = ()
    # The highest release tag reachable from HEAD, in config.tag_format (None: none, or
    # not in git): read once, for the version of a tag-versioned project and the
    # pre-flight's "greater than every tag".
    latest_tag: tuple[str, Version] | None = None
    # ``bump auto``: the commits since the last release tag and the part they decided
    # (``bump`` is that part; None with ``auto.part`` None: nothing to release).
    auto: AutoBump | None = None
    # Each target resolved once per command (credentials, network): see target().
    _resolved: dict[str, Target] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def target(self, repository: Repository, env: Mapping[str, str] | None = None) -> Target:
        """``repository`` resolved: its credentials read once for the whole command, its
        network settings shared by every read and upload."""
        key = f"{repository.name} {repository.upload_url} {repository.index_url}"
        if key not in self._resolved:
            # Lazy: targets brings the network stack (urllib3, ssl), which the commands
            # that only read the project (version, notes, bump-version) never use.
            from releasekit.targets import Target

            self._resolved[key] = Target(repository, env)
        return self._resolved[key]

    @property
    def name(self) -> str:
        return self.project.name

    @property
    def tag(self) -> str:
        return self.config.format_tag(str(self.version), self.name)

    def to_json(self) -> dict[str, Any]:
        return {
            "project": self.name,
            "current_version": str(self.current),
            "version": str(self.version),
            "version_written_in": [
                {"path": relative_path(loc.path, self.root), "what": loc.description}
                for loc in self.project.locations
            ]
            or ["git tags"],
            "outdir": str(self.outdir),
            "tag": self.tag,
            "targets": [
                {
                    "name": r.name,
                    "upload_url": _redacted(r.upload_url),
                    "index_url": _redacted(r.index_url),
                    "production": r.production,
                    "public": bool(r.pypi_host),
                }
                for r in self.targets
            ],
            "steps": [s.to_json() for s in self.steps],
            **({"auto": self.auto.to_json()} if self.auto else {}),
        }


def _redacted(url: str) -> str:

    return redact_url(url)


def resolve_plan(
    root: Path,
    config: ReleaseConfig,
    runner: Runner,
    *,
    bump: str | None = None,
    targets: Sequence[Repository] = (),
    outdir: Path | None = None,
) -> ReleasePlan:
    """Read the project in ``root`` once and resolve what a command will do with it.

    ``bump`` (a part like ``minor`` or ``X.Y.Z``) makes the plan's version the bumped one;
    it is refused here, before anything runs, if it is not strictly greater.
    """

    root = root.resolve()
    project = load_project(root, config, runner)
    tags = release_tags(root, config, project.name, runner)
    config = tags.config
    if tags.note:
        project = dataclasses.replace(project, notes=(*project.notes, tags.note))
    if project.vcs_versioned:
        current = current_version(project, tags)
        written = str(current)
    else:
        written = project.read_version()
        current = parse_version(written, what="current version")
    auto = None
    if bump == AUTO:
        auto = decide_from_git(root, config, runner, current, tags.latest)
        bump = auto.part
    version = next_version(current, bump) if bump else current
    chosen = outdir if outdir is not None else Path(config.build_outdir)
    return ReleasePlan(
        root=root,
        config=config,
        project=project,
        current=current,
        written=written,
        version=version,
        outdir=chosen if chosen.is_absolute() else root / chosen,
        targets=tuple(targets),
        bump=bump,
        latest_tag=tags.latest,
        auto=auto,
    )


def release_tags(root: Path, config: ReleaseConfig, name: str, runner: Runner) -> ReleaseTags:
    """The tags reachable from HEAD, read with one ``git tag`` call, and the tag-format
    they follow.

    When tag-format is not set anywhere, it is learned from the project's highest tag of
    a release tag's shape (``v1.2.3``, ``1.2.3``, ``name-1.2.3``, ``release_2026.6``...,
    see :func:`releasekit.tags.tag_shape`), with a note naming that tag; tags of no such
    shape are named in a note. Never does a project's last tag go unseen (a bump would
    go back to 0.0.1 and publish it).
    """

    git = Git(runner, root)
    if not git.is_repository():
        return ReleaseTags(config, None, None)
    tags = tuple(git.merged_tags())
    note = ""
    # A tag-format the organisation's profile locks is never learned over.
    if "tag-format" not in config.sources and "tag-format" not in config.locked and tags:
        learned = learn_tag_format(tags, name, config.tag_format)
        if learned is not None and learned[0] != config.tag_format:
            note = (
                f"tag-format {learned[0]!r} is learned from the tag {learned[1]}, the highest "
                f"release tag here (not {config.tag_format!r}; set tag-format to choose another)"
            )
            config = dataclasses.replace(
                config,
                tag_format=learned[0],
                sources={**config.sources, "tag-format": "the existing tags"},
            )
        elif learned is None:
            unshaped = [tag for tag in tags if tag_shape(tag, name) is None]
            shown = ", ".join(unshaped[:5]) + (
                f" and {len(unshaped) - 5} more" if len(unshaped) > 5 else ""
            )
            note = (
                f"no tag here has the shape of a release tag of {name} ({shown}): releases "
                f"will be tagged {config.format_tag('X.Y.Z', name)} (set tag-format to "
                "choose another)"
            )
    latest = latest_version_tag(tags, config.tag_format, name)
    shallow = latest is None and git.is_shallow()
    return ReleaseTags(config, tags, latest, note, shallow)


def _bump_does(plan: ReleasePlan) -> str:
    """A static version is committed (tagged at the end); a version from git tags is
    its tag, made by the bump (after the changelog's commit, if there is one)."""
    if not plan.project.vcs_versioned:
        return "commit"
    return "commit and tag" if _changelog_written(plan) else "tag"


def _changelog_written(plan: ReleasePlan) -> Path | None:
    """The changelog the bump writes (itself or through towncrier/scriv); one of another
    form is left as it is."""

    project = plan.project
    if plan.config.changelog is False or project.changelog_style == OTHER:
        return None
    return project.changelog


def _written_in(plan: ReleasePlan, files: str) -> str:
    if plan.project.vcs_versioned:
        return "git tags"
    return files or "no file (the build backend computes it)"


def pipeline_steps(
    plan: ReleasePlan,
    command: str,
    *,
    build: bool = True,
    remotes: Sequence[str] | None = None,
) -> ReleasePlan:
    """The plan with the steps of ``publish`` or ``release`` listed, in the order they run."""
    config = plan.config
    steps: list[PlannedStep] = []
    if command == "release" and plan.bump:
        written = ", ".join(
            sorted({relative_path(loc.path, plan.root) for loc in plan.project.locations})
        )
        changelog = _changelog_written(plan)
        extra = f", {relative_path(changelog, plan.root)}" if changelog else ""
        steps.append(
            PlannedStep(
                "bump-version",
                does=f"{plan.current} -> {plan.version} in {_written_in(plan, written)}{extra}; "
                + _bump_does(plan),
            )
        )
    if build:
        steps.append(
            PlannedStep("build", does=f"sdist and wheel of {plan.version} into {plan.outdir}")
        )
    for repository in plan.targets:
        steps += [
            PlannedStep("check", repository.name, "every check against the index"),
            PlannedStep(
                "upload",
                repository.name,
                f"the artifacts not yet there to {_redacted(repository.upload_url)}"
                + (" (asks first: production)" if repository.production else ""),
            ),
            PlannedStep("verify", repository.name, "every file's sha256 on the index"),
        ]
    if command == "release":
        made = plan.project.vcs_versioned and plan.bump
        steps.append(
            PlannedStep(
                "tag", does=f"{plan.tag}, made by the bump" if made else f"create {plan.tag}"
            )
        )
        if config.release_push:
            remote = config.release_remote
            missing = remotes is not None and remote not in remotes
            steps.append(
                PlannedStep(
                    "push",
                    does=f"no git remote {remote!r}: nothing will be pushed"
                    if missing
                    else f"the branch and {plan.tag} to {remote}",
                )
            )
    return dataclasses.replace(plan, steps=tuple(steps))
