"""git, through the Runner: clean tree, branch, tags, commit, push."""

from __future__ import annotations

import fnmatch
from collections.abc import Collection, Iterable, Sequence
from pathlib import Path

from packaging.version import InvalidVersion, Version

from releasekit.errors import CommandError, VcsError
from releasekit.runner import Runner


class Git:
    """The git repository that contains ``root`` (which may be a subdirectory)."""

    def __init__(self, runner: Runner, root: Path) -> None:
        self.runner = runner
        self.root = root

    def _git(self, *args: str) -> str:
        return self.runner.run(["git", *args], cwd=self.root).strip()

    def is_repository(self) -> bool:
        try:
            return self._git("rev-parse", "--is-inside-work-tree") == "true"
        except CommandError:
            return False

    def is_shallow(self) -> bool:
        """A clone with part of the history (``--depth``): tags may be missing."""
        return self._git("rev-parse", "--is-shallow-repository") == "true"

    def git_dir(self) -> Path:
        """The repository's .git directory (a file's target in a worktree)."""
        return (self.root / self._git("rev-parse", "--git-dir")).resolve()

    def dirty_files(self) -> list[str]:
        # Not through _git: stripping the output would eat the first line's status column.
        status = self.runner.run(["git", "status", "--porcelain"], cwd=self.root)
        return [line[3:] for line in status.splitlines() if line.strip()]

    def changed_paths(self) -> list[str]:
        """Every changed, deleted or untracked file (one per file, never a directory)."""
        status = self.runner.run(
            ["git", "status", "--porcelain", "-z", "--untracked-files=all", "--no-renames"],
            cwd=self.root,
        )
        return [entry[3:] for entry in status.split("\0") if entry.strip()]

    def untracked_files(self) -> list[str]:
        """Untracked, not ignored paths (a wholly untracked directory as ``dir/``)."""
        status = self.runner.run(["git", "status", "--porcelain"], cwd=self.root)
        return [line[3:] for line in status.splitlines() if line.startswith("??")]

    def work_tree_top(self) -> Path:
        """The top directory of the work tree (inside a git repository)."""
        return Path(self._git("rev-parse", "--show-toplevel"))

    def stage(self, paths: Sequence[str]) -> None:
        """``git add`` each path (relative to the work tree's top) that exists; a deleted
        one needs nothing (``commit -- PATHS`` records the deletion)."""
        top = self.work_tree_top()
        existing = [str(top / p) for p in paths if (top / p).exists()]
        if existing:
            self._git("add", "--", *existing)

    def restore_paths(self, paths: Sequence[str]) -> None:
        """Put ``paths`` (relative to the top) back as HEAD has them; files HEAD lacks
        are removed."""
        top = self.work_tree_top()
        for path in paths:
            try:
                self._git("cat-file", "-e", f"HEAD:{path}")
            except CommandError:
                self._git(
                    "rm",
                    "--cached",
                    "--quiet",
                    "--force",
                    "--ignore-unmatch",
                    "--",
                    str(top / path),
                )
                (top / path).unlink(missing_ok=True)
            else:
                self._git("checkout", "HEAD", "--", str(top / path))

    def release_tags_at_head(self, tag_format: str, name: str = "") -> list[str]:
        """The tags on HEAD that fit ``tag_format`` with a version."""
        prefix, _, suffix = tag_format.format(version="\0", name=name).partition("\0")
        found = []
        for tag in self._git(
            "tag", "--points-at", "HEAD", "--list", "--", f"{prefix}*{suffix}"
        ).split():
            try:
                Version(tag[len(prefix) : len(tag) - len(suffix) if suffix else None])
            except InvalidVersion:
                continue
            found.append(tag)
        return found

    def require_clean(self, what: str, ignored: Collection[str] = ()) -> None:
        """No uncommitted change but for the ``ignored`` paths (build output)."""
        dirty = [path for path in self.dirty_files() if path not in ignored]
        if dirty:
            shown = ", ".join(dirty[:5]) + (f" and {len(dirty) - 5} more" if len(dirty) > 5 else "")
            raise VcsError(
                f"The working tree has uncommitted changes ({shown}); refusing to {what}.",
                "Commit or stash them first, or pass --allow-dirty if you mean it.",
            )

    def branch(self) -> str:
        """The current branch name, or "" for a detached HEAD."""
        try:
            return self._git("symbolic-ref", "--quiet", "--short", "HEAD")
        except CommandError:
            return ""

    def head(self) -> str:
        return self._git("rev-parse", "HEAD")

    def last_commit_timestamp(self) -> int:
        """When ``root`` last changed: the time of the last commit that touched it.

        Not the repository's last commit: in a monorepo a commit to one package must not
        change the timestamps inside another's rebuilt (and already uploaded) artifacts.
        """
        changed = self._git("log", "-1", "--format=%ct", "--", ".")
        # Nothing under root committed yet: the repository's last commit dates the build.
        return int(changed or self._git("log", "-1", "--format=%ct"))

    def tag_commit(self, tag: str) -> str | None:
        """The commit a tag points at, or None if there is no such tag."""
        try:
            return self._git("rev-parse", "--verify", "--quiet", f"refs/tags/{tag}^{{commit}}")
        except CommandError:
            return None

    def changed_since(self, commit: str) -> list[str]:
        """The files under ``root`` that differ between ``commit`` and HEAD."""
        return self._git("diff", "--name-only", commit, "HEAD", "--", ".").splitlines()

    def merged_tags(self) -> list[str]:
        """Every tag reachable from HEAD (none before the first commit)."""
        try:
            return self._git("tag", "--merged", "HEAD", "--list").split()
        except CommandError:
            if not self._has_head():
                return []  # no commit yet: nothing can be tagged
            raise

    def _has_head(self) -> bool:
        try:
            self._git("rev-parse", "--verify", "--quiet", "HEAD")
        except CommandError:
            return False
        return True

    def latest_version_tag(self, tag_format: str, name: str = "") -> tuple[str, Version] | None:
        """The highest version among tags reachable from HEAD that fit ``tag_format``."""
        return latest_version_tag(self.merged_tags(), tag_format, name)

    def commit(self, paths: Sequence[Path], message: str) -> str:
        # `commit -- PATHS` stages through a temporary index: if the commit fails (a hook,
        # no identity), the real index is untouched and restoring the files is enough.
        self._git("commit", "--quiet", "-m", message, "--", *(str(p) for p in paths))
        return self.head()

    def undo_commit(self) -> None:
        """Forget the last commit, keeping nothing staged (the files are restored apart)."""
        self._git("reset", "--quiet", "--mixed", "HEAD~1")

    def ref_problem(self, kind: str, name: str) -> str:
        """Why ``name`` (from the settings) is no valid git ``kind`` ("tag", "branch",
        "remote") name, by ``git check-ref-format``; "" when it is. A name starting with
        "-" is refused too: it would read as an option."""
        ref = {
            "tag": f"refs/tags/{name}",
            "branch": f"refs/heads/{name}",
            # What git itself checks a remote's name by.
            "remote": f"refs/remotes/{name}/test",
        }[kind]
        try:
            valid = not name.startswith("-") and bool(name)
            if valid:
                self._git("check-ref-format", ref)
        except CommandError:
            valid = False
        if valid:
            return ""
        return f"{name!r} is not a valid git {kind} name (git check-ref-format refuses {ref!r})"

    def _require_ref(self, kind: str, name: str) -> None:
        problem = self.ref_problem(kind, name)
        if problem:
            raise VcsError(
                problem[0].upper() + problem[1:] + ".",
                "Fix the setting it comes from (tag-format, release.remote).",
            )

    def create_tag(self, tag: str, message: str) -> None:
        self._require_ref("tag", tag)
        if self.tag_commit(tag) is not None:
            raise VcsError(
                f"The tag {tag} already exists.",
                "Bump to a version that was not released yet, or delete the stale tag "
                f"(git tag -d {tag}) if it was never pushed.",
            )
        self._git("tag", "--annotate", "-m", message, "--", tag)

    def delete_tag(self, tag: str) -> None:
        self._git("tag", "--delete", "--", tag)

    def remotes(self) -> list[str]:
        return self._git("remote").split()

    def remote_url(self, remote: str) -> str:
        return self._git("remote", "get-url", "--", remote)

    def top(self) -> Path | None:
        """The top directory of the repository; None outside git."""
        try:
            return Path(self._git("rev-parse", "--show-toplevel"))
        except CommandError:
            return None

    def is_ignored(self, path: str) -> bool:
        """Whether git ignores ``path`` (relative to ``root``; need not exist)."""
        try:
            self._git("check-ignore", "--quiet", path)
        except CommandError:
            return False
        return True

    def push(self, remote: str, tag: str) -> None:
        """Push the current branch and ``tag`` (atomically, where the server allows)."""
        self._require_ref("remote", remote)
        self._require_ref("tag", tag)
        branch = self.branch()
        refs = [f"refs/heads/{branch}"] if branch else []
        self._git("push", "--atomic", "--", remote, *refs, f"refs/tags/{tag}")

    def on_release_branch(self, patterns: Sequence[str]) -> bool:
        branch = self.branch()
        return any(fnmatch.fnmatchcase(branch, p) for p in patterns)


def latest_version_tag(
    tags: Iterable[str], tag_format: str, name: str = ""
) -> tuple[str, Version] | None:
    """The tag of the highest version among ``tags`` that fit ``tag_format``."""
    prefix, _, suffix = tag_format.format(version="\0", name=name).partition("\0")
    best: tuple[str, Version] | None = None
    for tag in tags:
        if not (tag.startswith(prefix) and tag.endswith(suffix)) or len(tag) <= len(prefix):
            continue
        text = tag[len(prefix) : len(tag) - len(suffix) if suffix else None]
        try:
            version = Version(text)
        except InvalidVersion:
            continue
        if best is None or version > best[1]:
            best = (tag, version)
    return best
