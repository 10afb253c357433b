"""git, through the Runner: clean tree, branch, tags, commit, push."""

from __future__ import annotations

import os
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import ClassVar

from releasekit.errors import CommandError, VcsError
from releasekit.runner import Runner
from releasekit.tags import tag_version


class Git:
    """The git repository that contains ``root`` (which may be a subdirectory)."""

    def __init__(self, runner: Runner, root: Path) -> None:
        self.runner = runner
        self.root = root

    def _git(self, *args: str) -> str:
        return self.runner.run(["git", *args], cwd=self.root).strip()

    def is_repository(self) -> bool:
        """``root`` is in a git work tree. A checkout git refuses (one owned by another
        user, "dubious ownership") is an error, not "no repository"."""
        try:
            return self._git("rev-parse", "--is-inside-work-tree") == "true"
        except CommandError as exc:
            checkout = _checkout_of(self.root)
            if checkout is None or exc.returncode < 0:
                return False
            raise _refused(checkout, exc) from None

    def is_shallow(self) -> bool:
        """A clone with part of the history (``--depth``): tags may be missing."""
        return self._git("rev-parse", "--is-shallow-repository") == "true"

    # root -> its git directory: asked once per process (the lock and the build record
    # need it in every state-changing command, and each git call costs milliseconds).
    _git_dirs: ClassVar[dict[Path, Path]] = {}

    def git_dir(self) -> Path:
        """The repository's .git directory (a file's target in a worktree)."""
        found = self._git_dirs.get(self.root)
        if found is None or not found.is_dir():
            found = (
                _dot_git(self.root) or (self.root / self._git("rev-parse", "--git-dir")).resolve()
            )
            self._git_dirs[self.root] = found
        return found

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
        return [t for t in self.tags_at_head() if tag_version(t, tag_format, name) is not None]

    def tags_at_head(self) -> list[str]:
        """Every tag pointing at HEAD."""
        return self._git("tag", "--points-at", "HEAD", "--list").split()

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

    def differs_from(self, commit: str) -> list[str]:
        """The tracked files under ``root`` whose content differs from ``commit``'s,
        committed since or not (one git call)."""
        return self._git("diff", "--name-only", commit, "--", ".").splitlines()

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

    def create_tag(self, tag: str, message: str, commit: str | None = None) -> None:
        """An annotated ``tag`` on ``commit`` (default: HEAD)."""
        self._require_ref("tag", tag)
        if self.tag_commit(tag) is not None:
            raise VcsError(
                f"The tag {tag} already exists.",
                "Bump to a version that was not released yet, or delete the stale tag "
                f"(git tag -d {tag}) if it was never pushed.",
            )
        self._git("tag", "--annotate", "-m", message, "--", tag, *((commit,) if commit else ()))

    def is_ancestor(self, commit: str, of: str = "HEAD") -> bool:
        """Whether ``commit`` is in the history of ``of``."""
        try:
            self._git("merge-base", "--is-ancestor", commit, of)
        except CommandError:
            return False
        return True

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
        """Push the current branch and ``tag`` (atomically, where the server allows).

        PushRejected when the remote's branch moved on (someone pushed meanwhile), told by
        the status flag and summary of ``--porcelain``, never by the words git prints."""
        self._require_ref("remote", remote)
        self._require_ref("tag", tag)
        branch = self.branch()
        refs = [f"refs/heads/{branch}"] if branch else []
        try:
            self._git("push", "--porcelain", "--atomic", "--", remote, *refs, f"refs/tags/{tag}")
        except CommandError as exc:
            rejected = push_rejections(exc.output)
            if refs and rejected.get(refs[0], "").startswith("[rejected]"):
                raise PushRejected(
                    f"The push to {remote} was refused: someone pushed to {branch} there "
                    f"meanwhile, so your {branch} is behind it. Nothing was pushed (the push "
                    f"is atomic: neither {branch} nor {tag}).",
                    f"Bring their commits in (git pull --rebase {remote} {branch}, or git pull "
                    f"{remote} {branch}), then resume: the branch and {tag} are pushed as they "
                    "are, with no new version and no rebuild.",
                ) from None
            if rejected.get(f"refs/tags/{tag}", "").startswith("[rejected]"):
                raise VcsError(
                    f"The push to {remote} was refused: {remote} has a tag {tag} already, on "
                    "another commit. Nothing was pushed.",
                    f"Compare them (git ls-remote {remote} {tag}); a release tag once "
                    "published must not move: release a new version instead.",
                ) from None
            raise


def _dot_git(root: Path) -> Path | None:
    """The git directory of the checkout that holds ``root``, found as git finds it but
    without starting git: the nearest ``.git`` directory, or the ``gitdir:`` a ``.git``
    file names (a worktree, a submodule). None when git must be asked (GIT_DIR is set,
    nothing found)."""
    if "GIT_DIR" in os.environ:
        return None
    for directory in (root, *root.resolve().parents):
        dot_git = directory / ".git"
        if dot_git.is_dir() and (dot_git / "HEAD").is_file():
            return dot_git.resolve()
        if dot_git.is_file():
            text = dot_git.read_text(encoding="utf-8", errors="replace").strip()
            if not text.startswith("gitdir:"):
                return None
            return (directory / text.removeprefix("gitdir:").strip()).resolve()
    return None


def _checkout_of(root: Path) -> Path | None:
    """The directory holding the nearest ``.git`` (directory or file) at or above
    ``root``; None without one, or when GIT_DIR says where the repository is."""
    if "GIT_DIR" in os.environ:
        return None
    for directory in (root, *root.resolve().parents):
        if (directory / ".git").exists():
            return directory
    return None


def _owner_differs(checkout: Path) -> bool:
    """The checkout (or its .git) belongs to another user than the one running git, as
    git's safe.directory check sees it (root run through sudo counts as SUDO_UID)."""
    user = os.geteuid() if hasattr(os, "geteuid") else None
    if user is None:
        return False
    if user == 0 and os.environ.get("SUDO_UID", "").isdigit():
        user = int(os.environ["SUDO_UID"])
    try:
        owners = {checkout.stat().st_uid, (checkout / ".git").lstat().st_uid}
    except OSError:
        return False
    return owners != {user}


def _refused(checkout: Path, exc: CommandError) -> VcsError:
    """git failed on a checkout that exists: say why, in git's words too."""
    said = exc.output.strip().splitlines()[:1]  # its first line: the reason, shown only
    quoted = f" git said: {said[0].strip()}" if said else ""
    if _owner_differs(checkout):
        return VcsError(
            f"git refuses the repository at {checkout}: it belongs to another user than the "
            "one running releasekit (git's 'dubious ownership' protection, common when a "
            "CI container or a tar archive kept the files' owner), so releasekit cannot "
            f"read its tags or commit.{quoted}",
            f"If you trust the checkout, run: git config --global --add safe.directory "
            f"{checkout} (in CI, or in a container, after the checkout step); or give the "
            "files to the user that runs releasekit (chown -R).",
        )
    return VcsError(
        f"git cannot read the repository at {checkout} (`git rev-parse` failed with exit "
        f"code {exc.returncode}, though {checkout / '.git'} exists).{quoted}",
        "Run `git status` there to see what git objects to, fix it, and run releasekit again.",
    )


class PushRejected(VcsError):
    """git refused a push because the remote's branch moved on."""


def push_rejections(output: str) -> dict[str, str]:
    """Remote ref -> summary (``[rejected] (fetch first)``) of each ref that ``git push
    --porcelain`` flagged ``!`` (rejected or failed)."""
    rejected = {}
    for line in output.splitlines():
        flag, tab, rest = line.partition("\t")
        refs, _, summary = rest.partition("\t")
        if tab and flag == "!" and ":" in refs:
            rejected[refs.split(":", 1)[1]] = summary.strip()
    return rejected
