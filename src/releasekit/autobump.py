"""``bump-version auto``: the version part decided by the conventional commits since the
last release tag.

``fix``/``perf`` make a patch, ``feat`` a minor, a ``!`` after the type or a ``BREAKING
CHANGE:`` footer a major (before 1.0 a minor, unless ``auto.major-on-zero``); anything else
(``docs``, ``chore``, a message that is not a conventional commit) releases nothing.
:func:`decide` is pure, so its rules are tested row by row; :func:`commits_since` is the
one git read.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from packaging.version import Version

from releasekit.errors import VcsError
from releasekit.vcs import Git

if TYPE_CHECKING:
    from pathlib import Path

    from releasekit.config import ReleaseConfig
    from releasekit.runner import Runner

AUTO = "auto"
_HEADER = re.compile(
    r"^(?P<type>[A-Za-z]+)(?:\((?P<scope>[^()\r\n]*)\))?(?P<bang>!)?: (?P<text>\S.*)$"
)
# The footer must be in capitals (the specification); "BREAKING-CHANGE" is its synonym.
_BREAKING_FOOTER = re.compile(r"^BREAKING[ -]CHANGE: \S", re.MULTILINE)
_PATCH_TYPES = {"fix", "perf"}
_ORDER = ("patch", "minor", "major")
# git log: fields split by US, records by RS (neither appears in a commit message).
_LOG_FORMAT = "%H%x1f%s%x1f%b%x1e"


@dataclass(frozen=True)
class Commit:
    sha: str
    subject: str
    body: str = ""


@dataclass(frozen=True)
class Change:
    """A releasable commit: what it is, and the part it asks for."""

    commit: Commit
    type: str
    text: str
    breaking: bool
    part: str

    def to_json(self) -> dict[str, Any]:
        return {
            "sha": self.commit.sha,
            "subject": self.commit.subject,
            "type": self.type,
            "breaking": self.breaking,
            "part": self.part,
        }


@dataclass(frozen=True)
class AutoBump:
    """What the commits since ``since`` decided: ``part`` (None: nothing to release) and
    the commits that decided it."""

    since: str | None  # the last release tag; None: no release yet, every commit counts
    commits: int  # how many commits were read
    part: str | None
    changes: tuple[Change, ...]
    major_on_zero: bool = False

    @property
    def deciding(self) -> tuple[Change, ...]:
        """The changes whose part is the release's (before 1.0, a breaking change counts
        for a minor release as a feature does)."""
        return tuple(c for c in self.changes if self._effective(c.part) == self.part)

    def _effective(self, part: str) -> str:
        return "minor" if part == "major" and self.part == "minor" else part

    def to_json(self) -> dict[str, Any]:
        return {
            "since": self.since,
            "commits_read": self.commits,
            "part": self.part,
            "decided_by": [c.to_json() for c in self.deciding],
            "releasable": [c.to_json() for c in self.changes],
        }

    def describe(self) -> str:
        since = f"since {self.since}" if self.since else "in the whole history (no release tag)"
        if self.part is None and not self.commits:
            return f"nothing to release: no commit {since} touches the project"
        if self.part is None:
            return (
                f"nothing to release: none of the {self.commits} commit(s) {since} is a fix, "
                "perf, feat or breaking change (conventional commits)"
            )
        return f"{self.part}, decided by {len(self.deciding)} of {self.commits} commit(s) {since}"


def classify(commit: Commit) -> Change | None:
    """The commit as a releasable change, or None (not conventional, or nothing to release)."""
    match = _HEADER.match(commit.subject.strip())
    if match is None:
        return None
    kind = match.group("type").lower()
    breaking = bool(match.group("bang")) or bool(_BREAKING_FOOTER.search(commit.body))
    if breaking:
        part = "major"
    elif kind == "feat":
        part = "minor"
    elif kind in _PATCH_TYPES:
        part = "patch"
    else:
        return None
    return Change(commit, kind, match.group("text").strip(), breaking, part)


def decide(
    commits: Sequence[Commit],
    current: Version,
    *,
    since: str | None = None,
    major_on_zero: bool = False,
) -> AutoBump:
    """The part the ``commits`` ask for, for a project at ``current``: the highest any of
    them asks for; a major before 1.0 is a minor unless ``major_on_zero``."""
    changes = tuple(c for c in map(classify, commits) if c is not None)
    part = max((c.part for c in changes), key=_ORDER.index, default=None)
    if part == "major" and current.major == 0 and not major_on_zero:
        part = "minor"
    return AutoBump(since, len(commits), part, changes, major_on_zero)


def commits_since(git: Git, tag: str | None) -> list[Commit]:
    """The commits from ``tag`` (exclusive; None: from the first) to HEAD that touch the
    project's directory, newest first."""
    revision = f"{tag}..HEAD" if tag else "HEAD"
    out = git.runner.run(
        ["git", "log", f"--format={_LOG_FORMAT}", revision, "--", "."], cwd=git.root
    )
    commits = []
    for record in out.split("\x1e"):
        fields = record.strip("\n").split("\x1f")
        if len(fields) == 3:
            commits.append(Commit(fields[0], fields[1], fields[2].strip()))
    return commits


def decide_from_git(
    root: Path,
    config: ReleaseConfig,
    runner: Runner,
    current: Version,
    latest_tag: tuple[str, Version] | None,
) -> AutoBump:
    """:func:`decide` over the commits since ``latest_tag`` (the last release tag
    reachable from HEAD) in the git repository of ``root``."""
    git = Git(runner, root)
    if not git.is_repository():
        raise VcsError(
            f"bump-version auto reads the commits since the last release, and {root} is not "
            "in a git repository.",
            "Run it in the project's git checkout, or name the part (patch, minor, major).",
        )
    if latest_tag is None and git.is_shallow():
        raise VcsError(
            "bump-version auto reads the commits since the last release tag, and this "
            "shallow clone has none.",
            "Fetch the history and tags (actions/checkout with fetch-depth: 0; "
            "git fetch --tags --unshallow), then run it again.",
        )
    since = latest_tag[0] if latest_tag else None
    return decide(
        commits_since(git, since),
        current,
        since=since,
        major_on_zero=config.auto_major_on_zero,
    )


# The Keep a Changelog group each kind of change goes under.
_GROUPS = (("Changed", "breaking"), ("Added", "feat"), ("Fixed", "fix"), ("Changed", "perf"))


def changelog_entries(changes: Sequence[Change]) -> str:
    """Keep a Changelog groups (``### Added``, ``### Fixed``, ...) of the changes'
    descriptions, oldest first, breaking changes marked."""
    groups: dict[str, list[str]] = {}
    for change in reversed(changes):  # git log gives the newest first
        key = "breaking" if change.breaking else change.type
        heading = next(h for h, kind in _GROUPS if kind == key)
        prefix = "**Breaking:** " if change.breaking else ""
        groups.setdefault(heading, []).append(f"- {prefix}{change.text}")
    order = ("Added", "Changed", "Fixed")
    return "\n".join(
        f"### {heading}\n\n" + "\n".join(groups[heading]) + "\n"
        for heading in order
        if heading in groups
    )


def changelog_list(changes: Sequence[Change]) -> str:
    """The changes' descriptions as one list, oldest first, breaking changes marked: the
    entries of a changelog with a heading per version, which has no groups to follow
    (the ``- **x**`` form reads the same in Markdown and reStructuredText)."""
    return (
        "\n".join(
            f"- {'**Breaking:** ' if change.breaking else ''}{change.text}"
            for change in reversed(changes)  # git log gives the newest first
        )
        + "\n"
    )


def fill_unreleased(text: str, entries: str, unreleased: str = "Unreleased") -> str:
    """``text`` (a Keep a Changelog file whose Unreleased section is empty) with
    ``entries`` as that section's content; what was there (empty group headings, blank
    lines) is replaced."""
    heading = re.compile(
        r"^(?P<hashes>#{1,3})[ \t]*\[?" + re.escape(unreleased) + r"\]?[^\n]*$",
        re.MULTILINE | re.IGNORECASE,
    )
    match = heading.search(text)
    if match is None:
        return text
    level = len(match.group("hashes"))
    following = re.compile(r"^#{1," + str(level) + r"}[ \t]", re.MULTILINE)
    after = following.search(text, match.end())
    end = after.start() if after else len(text)
    return text[: match.end()] + "\n\n" + entries + "\n" + text[end:].lstrip("\n")
