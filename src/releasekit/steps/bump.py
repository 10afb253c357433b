"""bump-version: compute the next version, rewrite every source, roll the changelog,
commit and tag — all or nothing."""

from __future__ import annotations

import dataclasses
import datetime
import difflib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.version import Version

from releasekit.autobump import changelog_entries, changelog_list, fill_unreleased
from releasekit.buildenv import build_byproducts
from releasekit.changelog import (
    KEEP_A_CHANGELOG,
    OTHER,
    SCRIV,
    TOWNCRIER,
    add_version_section,
    mentions_version,
    roll_changelog,
    tool_setup,
    unreleased_is_empty,
)
from releasekit.changelog_tools import changelog_tool_command
from releasekit.config import ReleaseConfig
from releasekit.errors import ProjectError, VcsError
from releasekit.files import read_utf8, relative_path, transaction, write_problems
from releasekit.lockfiles import LockEntry, find_lock_entries, lock_with_uv, set_locked_version
from releasekit.plan import ReleasePlan
from releasekit.project import Project, load_project
from releasekit.runner import Runner
from releasekit.steps import step_head
from releasekit.vcs import Git
from releasekit.version_files import line_of
from releasekit.versioning import find_version, replace_spans


@dataclass(frozen=True)
class FileChange:
    path: Path
    before: str
    after: str
    what: str

    def shown(self, root: Path) -> str:
        """The path from ``root`` (a workspace's uv.lock is above the project: ../uv.lock)."""
        return Path(os.path.relpath(self.path, root)).as_posix()

    def diff(self, root: Path) -> str:
        name = self.shown(root)
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
    # The project's changelog tool (towncrier, scriv) run inside the bump, if any.
    changelog_command: tuple[str, ...] = ()

    def diff(self) -> str:
        return "".join(change.diff(self.root) for change in self.changes)

    def to_json(self) -> dict[str, Any]:
        return {
            **step_head("bump-version", self.project, self.version, dry_run=self.dry_run),
            "previous": self.previous,
            "files": [{"path": c.shown(self.root), "what": c.what} for c in self.changes],
            "commit": self.commit_sha if not self.dry_run else self.commit,
            "tag": self.tag,
            "notes": list(self.notes),
            "changelog_command": list(self.changelog_command),
        }


def bump_version(
    plan: ReleasePlan,
    runner: Runner,
    *,
    dry_run: bool = False,
    today: datetime.date | None = None,
    commit_override: bool | None = None,
    tag_override: bool | None = None,
) -> BumpResult:
    """Bump the project from ``plan.current`` to ``plan.version``, the version its ``bump``
    (a part like ``minor`` or ``X.Y.Z``) resolved to. The overrides replace the commit and
    tag settings (release commits, and tags only at its end)."""
    root, project, current = plan.root, plan.project, plan.current
    config = dataclasses.replace(
        plan.config,
        commit=plan.config.commit if commit_override is None else commit_override,
        tag=plan.config.tag if tag_override is None else tag_override,
    )
    target = plan.bump or str(plan.version)
    version = str(plan.version)
    notes = []
    if project.metadata_version is not None and not any(
        not loc.detected for loc in project.locations
    ):
        _require_computed_version_source(project)
    if target not in {version, "v" + version} and target[:1].isdigit():
        notes.append(f"{target} is written in its normalised form {version}.")

    locks = [] if project.vcs_versioned else find_lock_entries(root, project.name)
    entries = _entries_from_commits(plan)
    if entries:
        written = (
            f"The [{config.changelog_unreleased}] section was empty: it is filled"
            if project.changelog_style == KEEP_A_CHANGELOG
            else f"{version}'s section is written"
        )
        notes.append(
            f"{written} from the {len(plan.auto.changes) if plan.auto else 0} releasable "
            "commit(s) (changelog-from-commits)."
        )
    changes = _planned_changes(project, config, current, version, today, locks, entries)
    notes += [
        f"{Path(os.path.relpath(lock.path, root)).as_posix()} recorded {project.name} "
        f"{lock.version}, not {current}: it was stale, and now records {version}."
        for lock in locks
        if lock.version not in (str(current), version)
    ]
    notes.extend(project.notes)
    changelog_command, said = _changelog_step(
        project, config, runner, version, filled=bool(entries)
    )
    notes.extend(said)
    git = Git(runner, root)
    in_git = git.is_repository()
    commit = config.commit and in_git and (bool(changes) or bool(changelog_command))
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
            # The bump commits its own files only: build output left untracked is no
            # uncommitted change of the project (check passes over it too).
            git.require_clean("bump the version", build_byproducts(git, plan.outdir))
        if tag and git.tag_commit(tag) is not None:
            raise VcsError(
                f"The tag {tag} already exists.",
                "Bump to a version that was not released yet, or delete the stale tag.",
            )
        if tag and not commit:
            _refuse_second_release_tag(git, config, project.name)

    unwritable = write_problems([c.path for c in changes], git.work_tree_top() if in_git else root)
    if unwritable:
        raise ProjectError(
            "The bump cannot rewrite every file that holds the version; nothing was "
            "changed:\n" + "\n".join(f"  - {problem}" for problem in unwritable),
            "Fix each file named above, then run the same command again.",
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
        changelog_command=tuple(changelog_command),
    )
    if dry_run:
        return result
    sha = _apply(project, config, result, git)
    return dataclasses.replace(result, commit_sha=sha)


def _changelog_step(
    project: Project, config: ReleaseConfig, runner: Runner, version: str, *, filled: bool = False
) -> tuple[list[str], list[str]]:
    """The changelog tool's command (none: the file is rolled here, or left), and notes.
    Refuses, before anything changes, what would fail once the bump began (a tool's
    missing template) and, with changelog-required, a release whose changelog would say
    nothing (an empty or missing Unreleased section, no fragments)."""
    changelog, style = project.changelog, project.changelog_style
    if config.changelog is False:
        return [], []
    required = config.changelog_required
    unreleased = config.changelog_unreleased
    if style in (TOWNCRIER, SCRIV):
        setup = tool_setup(style, project.root)
        if setup.problems:
            raise ProjectError(
                f"{style} would fail writing the changelog: {'; '.join(setup.problems)}.",
                f"Fix the {style} configuration (or set changelog = false).",
            )
        where = relative_path(setup.fragment_dir, project.root)
        if not setup.fragments:
            if required:
                raise ProjectError(
                    f"There are no {style} fragments in {where}/ to write {version}'s "
                    "changelog entry from, and changelog-required is set.",
                    f"Add a fragment for what changed ({style} create), then release.",
                )
            if style == SCRIV:  # scriv collect fails on none; there is nothing to collect
                return [], [f"No scriv fragments in {where}/: the changelog is left as it is."]
        command = changelog_tool_command(
            style, project.root, config, runner, version, setup.options
        )
        said = [f"The changelog is written by {style}: {' '.join(command[1:])}."]
        if not setup.fragments:
            said.append(f"No towncrier fragments in {where}/: it writes 'No significant changes'.")
        return command, said
    if changelog is None:
        if config.changelog is True and required:
            raise ProjectError(
                "No changelog was found (CHANGELOG, CHANGES, HISTORY, NEWS or RELEASE_NOTES, "
                "with .md, .rst, .txt or no suffix), and changelog-required is set.",
                "Add a CHANGELOG.md with an '## [Unreleased]' section saying what changed, "
                "or set changelog to its path.",
            )
        if config.changelog is True:
            return [], [
                "No changelog was found (CHANGELOG, CHANGES, HISTORY, NEWS or RELEASE_NOTES, "
                "with .md, .rst, .txt or no suffix), so none was written; set changelog = "
                "false to say there is none, or a path to use another."
            ]
        return [], []
    text = changelog.read_bytes().decode("utf-8", errors="replace")
    # ``filled``: changelog-from-commits writes the empty section's entries.
    if style == KEEP_A_CHANGELOG and not filled and unreleased_is_empty(text, unreleased):
        empty = (
            f"The [{unreleased}] section of {changelog.name} is empty: the {version} section "
            "says nothing about what changed"
        )
        if required:
            raise ProjectError(
                f"{empty}, and changelog-required is set.",
                f"Write what changed under [{unreleased}], commit it, then release.",
            )
        return [], [f"{empty}."]
    if style == OTHER and not filled and not mentions_version(text, version):
        if required:
            raise ProjectError(
                f"{changelog.name} has no '## [{unreleased}]' section and no entry for "
                f"{version}, and changelog-required is set.",
                f"Add an '## [{unreleased}]' section (releasekit turns it into {version}'s), "
                f"or write {version}'s entry yourself; commit it, then release.",
            )
        return [], [
            f"{changelog.name} has no '## [{unreleased}]' section and no towncrier or scriv "
            "configuration: it is left as it is (write its entry yourself; check warns when "
            "the version is not in it)."
        ]
    return [], []


def _entries_from_commits(plan: ReleasePlan) -> str:
    """With ``changelog-from-commits``, an auto bump's entries: for an empty Unreleased
    section of a Keep a Changelog file, or the new version's section of a file with a
    heading per version that has none for it yet ("" when nothing is to be written)."""
    project, config = plan.project, plan.config
    if (
        plan.auto is None
        or not plan.auto.changes
        or not config.changelog_from_commits
        or project.changelog is None
        or project.changelog_style not in (KEEP_A_CHANGELOG, OTHER)
    ):
        return ""
    text = read_utf8(project.changelog, ProjectError, "The changelog")
    if project.changelog_style == OTHER:
        return (
            "" if mentions_version(text, str(plan.version)) else changelog_list(plan.auto.changes)
        )
    if not unreleased_is_empty(text, config.changelog_unreleased):
        return ""
    return changelog_entries(plan.auto.changes)


def _require_computed_version_source(project: Project) -> None:
    """A version the build backend computes (``setup.py`` importing ``pkg.__version__``)
    is bumped where the package writes it: the ``__version__`` found in the package, when
    it holds that very version (the project's notes say so). Else there is nothing
    releasekit can rewrite."""
    if any(loc.holds(str(project.metadata_version)) for loc in project.locations):
        return
    # Only __version__ found in the package is here: under the project's root.
    found = [loc.path.relative_to(project.root).as_posix() for loc in project.locations]
    example = found[0] if found else "setup.py"
    raise ProjectError(
        f"The version of {project.name} ({project.metadata_version}) is computed when the "
        "build backend runs; releasekit found no file that holds it as a literal, so "
        "it cannot rewrite it.",
        "List the file that holds it in [tool.releasekit] version-files "
        f'(e.g. version-files = [{{path = "{example}", pattern = "VERSION = \'{{version}}\'"}}]).',
    )


def _planned_changes(
    project: Project,
    config: ReleaseConfig,
    current: Version,
    version: str,
    today: datetime.date | None,
    locks: list[LockEntry],
    entries: str = "",
) -> list[FileChange]:
    texts: dict[Path, str] = {}
    whats: dict[Path, list[str]] = {}
    for location in project.locations:
        if location.kind != "string" and not location.holds(str(current)):
            continue  # a tuple of other numbers (a minimum Python): not the version
        text = texts.get(location.path)
        if text is None:
            text, spans = location.read()
        else:  # a second location in a file already edited (pyproject.toml)
            spans = find_version(text, location.pattern)
        found = text[spans[0].start : spans[0].end] if spans else ""
        after = replace_spans(text, spans, location.render(version, found))
        if after == text:
            line = line_of(text, spans[0]) if spans else 1
            raise ProjectError(
                f"Writing {version} into {location.where(project.root, line)} "
                f"({location.description}) would not change it.",
                "Check that the file holds the current version in the expected form.",
            )
        texts[location.path] = after
        whats.setdefault(location.path, []).append(location.description)
    for entry in locks:
        if entry.version != version:
            texts[entry.path] = set_locked_version(
                read_utf8(entry.path, ProjectError, "The lockfile"),
                entry.path,
                project.root,
                project.name,
                version,
            )
            whats[entry.path] = [f"{project.name}'s own version in the lockfile"]
    originals = {path: path.read_bytes().decode("utf-8") for path in texts}
    changes = [
        FileChange(path, originals[path], texts[path], ", ".join(whats[path])) for path in texts
    ]
    if project.changelog is not None and project.changelog_style == KEEP_A_CHANGELOG:
        before = read_utf8(project.changelog, ProjectError, "The changelog")
        after = roll_changelog(
            fill_unreleased(before, entries, config.changelog_unreleased) if entries else before,
            path=project.changelog,
            version=version,
            previous_tag=config.format_tag(str(current), project.name),
            new_tag=config.format_tag(version, project.name),
            unreleased=config.changelog_unreleased,
            # Set by the project: that form; else the file's own is learned.
            heading=config.changelog_heading if "changelog-heading" in config.sources else None,
            today=today,
        )
        changes.append(FileChange(project.changelog, before, after, "changelog"))
    elif project.changelog is not None and project.changelog_style == OTHER and entries:
        before = read_utf8(project.changelog, ProjectError, "The changelog")
        after = add_version_section(
            before,
            path=project.changelog,
            version=version,
            entries=entries,
            previous_tag=config.format_tag(str(current), project.name),
            new_tag=config.format_tag(version, project.name),
            heading=config.changelog_heading if "changelog-heading" in config.sources else None,
            today=today,
        )
        changes.append(FileChange(project.changelog, before, after, "changelog"))
    return changes


def _apply(project: Project, config: ReleaseConfig, result: BumpResult, git: Git) -> str | None:
    contents = {c.path: c.after.encode("utf-8") for c in result.changes}
    committed = tagged = False
    tool = (
        _ChangelogTool(project.root, result.changelog_command, git, git.is_repository())
        if result.changelog_command
        else None
    )
    try:
        with transaction(contents):
            if not project.vcs_versioned:
                written = load_project(project.root, config, git.runner).read_version()
                if written != result.version:
                    raise ProjectError(
                        f"After rewriting, the project reads version {written}, not "
                        f"{result.version}; every file was restored.",
                        "Report this as a releasekit bug, with your pyproject.toml.",
                    )
            sha = None
            fields = {"version": result.version, "name": project.name, "tag": result.tag or ""}
            # A link written through changed its target: the commit takes both (the link
            # itself is unchanged, and stays a link).
            paths = list(contents) + [p.resolve() for p in contents if p.is_symlink()]
            if tool is not None:
                paths += [p for p in tool.run() if p not in paths]
            for change in result.changes:
                if change.path.name == "uv.lock":
                    lock_with_uv(
                        change.path, project.root, project.name, result.version, git.runner
                    )
            if result.commit:
                sha = git.commit(paths, config.commit_message.format(**fields))
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
        if tool is not None:
            tool.restore()
        raise


def _refuse_second_release_tag(git: Git, config: ReleaseConfig, name: str) -> None:
    """A tag-versioned bump tags HEAD itself: refuse if HEAD is already a release."""
    existing = git.release_tags_at_head(config.tag_format, name)
    if existing:
        raise VcsError(
            f"HEAD already carries the release tag {existing[0]}; a second release tag on the "
            "same commit makes the version the backend builds a matter of chance.",
            "Commit the changes of the new release first, then bump.",
        )


class _ChangelogTool:
    """The project's changelog tool, run inside the bump; what it changed is put back as
    HEAD has it if the bump fails after it (the tree was clean, unless --allow-dirty)."""

    def __init__(self, root: Path, command: tuple[str, ...], git: Git, in_git: bool) -> None:
        self.root, self.command, self.git, self.in_git = root, command, git, in_git
        self.before: set[str] = set(git.changed_paths()) if in_git else set()
        self.snapshot: dict[Path, bytes] = {} if in_git else _tree_bytes(root)
        self.ran = False

    def run(self) -> list[Path]:
        """Run the tool; the paths it changed, staged for the release commit."""
        self.ran = True
        self.git.runner.log(f"Writing the changelog: {' '.join(self.command[1:])}...")
        self.git.runner.run(list(self.command), cwd=self.root)
        if not self.in_git:
            return []
        changed = [p for p in self.git.changed_paths() if p not in self.before]
        self.git.stage(changed)
        top = self.git.work_tree_top()
        return [top / p for p in changed]

    def restore(self) -> None:
        if not self.ran:
            return
        if not self.in_git:
            for path in set(_tree_bytes(self.root)) - set(self.snapshot):
                path.unlink()
            for path, data in self.snapshot.items():
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
            return
        self.git.restore_paths([p for p in self.git.changed_paths() if p not in self.before])


def _tree_bytes(root: Path) -> dict[Path, bytes]:
    """The project's files outside git, without hidden directories (.venv, .nox) and
    build output, which a changelog tool never writes."""
    skipped = {"dist", "build", "node_modules", "__pycache__"}
    return {
        path: path.read_bytes()
        for path in root.rglob("*")
        if path.is_file()
        and not any(
            part.startswith(".") or part in skipped for part in path.relative_to(root).parts[:-1]
        )
    }
