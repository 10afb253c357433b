"""bump-version: compute the next version, rewrite every source, roll the changelog,
commit and tag — all or nothing."""

from __future__ import annotations

import datetime
import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.version import Version

from releasekit.changelog import roll_changelog
from releasekit.config import ReleaseConfig
from releasekit.errors import ProjectError, VcsError
from releasekit.files import read_utf8, transaction
from releasekit.project import Project, load_project
from releasekit.runner import Runner
from releasekit.vcs import Git
from releasekit.versioning import find_version, next_version, parse_version, replace_spans


@dataclass(frozen=True)
class FileChange:
    path: Path
    before: str
    after: str
    what: str

    def diff(self, root: Path) -> str:
        name = self.path.relative_to(root).as_posix()
        return "".join(
            difflib.unified_diff(
                self.before.splitlines(keepends=True),
                self.after.splitlines(keepends=True),
                f"a/{name}",
                f"b/{name}",
            )
        )


@dataclass(frozen=True)
class BumpResult:
    project: str
    previous: str
    version: str
    changes: tuple[FileChange, ...]
    root: Path
    commit: bool
    commit_sha: str | None
    tag: str | None
    dry_run: bool
    notes: tuple[str, ...] = field(default=())

    def diff(self) -> str:
        return "".join(change.diff(self.root) for change in self.changes)

    def to_json(self) -> dict[str, Any]:
        return {
            "step": "bump-version",
            "ok": True,
            "dry_run": self.dry_run,
            "project": self.project,
            "previous": self.previous,
            "version": self.version,
            "files": [
                {"path": c.path.relative_to(self.root).as_posix(), "what": c.what}
                for c in self.changes
            ],
            "commit": self.commit_sha if not self.dry_run else self.commit,
            "tag": self.tag,
            "notes": list(self.notes),
        }


def current_version(project: Project, config: ReleaseConfig, runner: Runner) -> Version:
    """The project's version: from its files, or from its latest tag if VCS-derived."""
    if not project.vcs_versioned:
        return parse_version(project.read_version(), what="current version")
    git = Git(runner, project.root)
    if not git.is_repository():
        raise VcsError(
            f"{project.name} takes its version from git tags, but {project.root} is not in a "
            "git repository.",
            "Run releasekit inside the project's git checkout.",
        )
    latest = git.latest_version_tag(config.tag_format, project.name)
    return latest[1] if latest else Version("0.0.0")


def bump_version(
    root: Path,
    config: ReleaseConfig,
    target: str,
    runner: Runner,
    *,
    dry_run: bool = False,
    today: datetime.date | None = None,
) -> BumpResult:
    """Bump the project in ``root`` to ``target`` (a part like ``minor`` or ``X.Y.Z``)."""
    project = load_project(root, config)
    current = current_version(project, config, runner)
    new = next_version(current, target)
    version = str(new)
    notes = []
    if target not in {version, "v" + version} and target[:1].isdigit():
        notes.append(f"{target} is written in its normalised form {version}.")

    changes = _planned_changes(project, config, current, version, today)
    git = Git(runner, root)
    in_git = git.is_repository()
    commit = config.commit and in_git and bool(changes)
    tag = config.format_tag(version, project.name) if config.tag and in_git else None
    if project.vcs_versioned and tag is None:
        raise VcsError(
            f"{project.name} takes its version from git tags, so bumping it means creating "
            "the tag, but tagging is switched off.",
            "Set tag = true (or drop --no-tag).",
        )
    if not in_git and (config.commit or config.tag):
        notes.append(f"{root} is not in a git repository: no commit and no tag.")
    if commit or tag:
        if not config.allow_dirty:
            git.require_clean("bump the version")
        if tag and git.tag_commit(tag) is not None:
            raise VcsError(
                f"The tag {tag} already exists.",
                "Bump to a version that was not released yet, or delete the stale tag.",
            )

    result = BumpResult(
        project=project.name,
        previous=str(current),
        version=version,
        changes=tuple(changes),
        root=root,
        commit=commit,
        commit_sha=None,
        tag=tag,
        dry_run=dry_run,
        notes=tuple(notes),
    )
    if dry_run:
        return result
    sha = _apply(project, config, result, git)
    return BumpResult(**{**result.__dict__, "commit_sha": sha})


def _planned_changes(
    project: Project,
    config: ReleaseConfig,
    current: Version,
    version: str,
    today: datetime.date | None,
) -> list[FileChange]:
    texts: dict[Path, str] = {}
    whats: dict[Path, list[str]] = {}
    for location in project.locations:
        text = texts.get(location.path)
        if text is None:
            text, spans = location.read()
        else:  # a second location in a file already edited (pyproject.toml)
            spans = find_version(text, location.pattern)
        after = replace_spans(text, spans, version)
        if after == text:
            raise ProjectError(
                f"Writing {version} into {location.path} ({location.description}) would not "
                "change it.",
                "Check that the file holds the current version in the expected form.",
            )
        texts[location.path] = after
        whats.setdefault(location.path, []).append(location.description)
    originals = {path: path.read_bytes().decode("utf-8") for path in texts}
    changes = [
        FileChange(path, originals[path], texts[path], ", ".join(whats[path])) for path in texts
    ]
    if project.changelog is not None:
        before = read_utf8(project.changelog, ProjectError, "The changelog")
        after = roll_changelog(
            before,
            path=project.changelog,
            version=version,
            previous_tag=config.format_tag(str(current), project.name),
            new_tag=config.format_tag(version, project.name),
            unreleased=config.changelog_unreleased,
            heading=config.changelog_heading,
            today=today,
        )
        changes.append(FileChange(project.changelog, before, after, "changelog"))
    return changes


def _apply(project: Project, config: ReleaseConfig, result: BumpResult, git: Git) -> str | None:
    contents = {c.path: c.after.encode("utf-8") for c in result.changes}
    committed = tagged = False
    try:
        with transaction(contents):
            if not project.vcs_versioned:
                written = load_project(project.root, config).read_version()
                if written != result.version:
                    raise ProjectError(
                        f"After rewriting, the project reads version {written}, not "
                        f"{result.version}; every file was restored.",
                        "Report this as a releasekit bug, with your pyproject.toml.",
                    )
            sha = None
            fields = {"version": result.version, "name": project.name, "tag": result.tag or ""}
            if result.commit:
                sha = git.commit(list(contents), config.commit_message.format(**fields))
                committed = True
            if result.tag:
                git.create_tag(result.tag, config.tag_message.format(**fields))
                tagged = True
            return sha
    except BaseException:
        if tagged and result.tag:
            git.delete_tag(result.tag)
        if committed:
            git.undo_commit()
        raise
