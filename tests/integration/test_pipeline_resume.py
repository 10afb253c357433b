"""A release that cannot be lost, doubled or half-done: ``python -m releasekit release``
killed (SIGKILL) at every point of a release, then ``release --resume``; a push rejected
because someone pushed meanwhile, finished after a pull; ``--resume`` with nothing
started. Real pypiservers behind fault proxies, a bare git origin."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from fault_proxy import FaultProxy
from index_servers import StartProxy
from release_project import PypiServers, git, sha256_files, version_in, write_project
from releasekit.cli import main
from releasekit.errors import ExitCode

FILES = ("rk_demo-1.0.1-py3-none-any.whl", "rk_demo-1.0.1.tar.gz")


@dataclass(frozen=True)
class Sample:
    root: Path
    config: Path
    servers: dict[str, tuple[Path, FaultProxy]]  # name -> (packages dir, its proxy)

    def argv(self, *args: str) -> list[str]:
        return [*args, "--project", str(self.root), "--config", str(self.config)]

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "releasekit", *self.argv(*args)],
            capture_output=True,
            text=True,
            check=False,
            timeout=180,
        )

    def uploads(self) -> Counter[tuple[str, str]]:
        """(index, filename) -> how many uploads of it the index accepted."""
        return Counter(
            (name, filename)
            for name, (_, proxy) in self.servers.items()
            for filename, status in proxy.posts()
            if status == 200
        )

    def record(self) -> dict[str, str]:
        """The digests build noted for 1.0.1 (empty before a build finished)."""
        path = self.root / ".git" / "releasekit-built" / "rk-demo-1.0.1" / "record.json"
        return json.loads(path.read_text())["files"] if path.exists() else {}


def new_sample(tmp_path: Path, servers: PypiServers, fault_proxy: StartProxy) -> Sample:
    found: dict[str, tuple[Path, FaultProxy]] = {}
    tables = []
    for name in ("test", "prod"):
        server = servers.start(name)
        proxy = fault_proxy(server.url)
        found[name] = (server.packages_dir, proxy)
        tables.append(
            f'[repositories.{name}]\nupload-url = "{proxy.proxied(server.upload_url)}"\n'
            f'index-url = "{proxy.proxied(server.simple_url)}"\nanonymous-upload = true\n'
        )
    config = tmp_path / "indexes.toml"
    config.write_text("\n".join(tables), encoding="utf-8")
    return Sample(write_project(tmp_path / "project", origin=True), config, found)


# Point -> (the progress line on stderr that marks it, the index whose upload hangs,
# how many of its uploads pass before the one that hangs). An upload or a verify read is
# held by the proxy, so the kill lands inside it; other points are killed as their line
# appears, which is as early as an interrupt there can come.
POINTS: dict[str, tuple[str, str | None, int]] = {
    "after the bump commit": ("releasekit: release: bump-version: ", None, 0),
    "during the build": ("releasekit: release: build ...", None, 0),
    "during the 1st upload to test": ("uploading 2 files to test", "test", 0),
    "during the 2nd upload to test": ("uploading 2 files to test", "test", 1),
    "during the 1st upload to prod": ("uploading 2 files to prod", "prod", 0),
    "during the 2nd upload to prod": ("uploading 2 files to prod", "prod", 1),
    "during verify": ("releasekit: release: verify (test) ...", None, 0),
    "before the tag": ("releasekit: release: tag ...", None, 0),
    "after the tag": ("releasekit: release: tag: ", None, 0),
    "before the push": ("releasekit: release: push ...", None, 0),
    "after the push": ("releasekit: release: push: ", None, 0),
}


def killed_at(sample: Sample, point: str) -> str:
    """``release patch --yes`` in a process, SIGKILLed at ``point``; its stderr."""
    line_marks, hanging, passing = POINTS[point]
    if hanging is not None:
        proxy = sample.servers[hanging][1]
        # The pre-flight proves each target's credentials with one POST (no file) first.
        proxy.pass_next(passing + 1, methods={"POST"})
        proxy.hang_next(1, methods={"POST"})
    process = subprocess.Popen(
        [sys.executable, "-m", "releasekit", *sample.argv("release", "patch", "--yes")],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    seen = []
    deadline = time.monotonic() + 120
    try:
        for line in process.stderr:
            seen.append(line)
            if point == "during verify" and line.startswith("releasekit: release: upload (test): "):
                # Verify's reads of test: the first GET after the upload to test hangs.
                sample.servers["test"][1].hang_next(1, methods={"GET"})
            if line.startswith(line_marks):
                if hanging is not None or point == "during verify":
                    time.sleep(0.5)  # the request the proxy holds reaches it
                os.kill(process.pid, signal.SIGKILL)
                break
            assert time.monotonic() < deadline, "".join(seen)
        else:
            pytest.fail(f"the release ended before {point!r}:\n{''.join(seen)}")
    finally:
        process.kill()
        process.wait()
        process.stderr.close()
    # After the push's last line the run may finish before the signal lands.
    ended = (0, -signal.SIGKILL) if point == "after the push" else (-signal.SIGKILL,)
    assert process.returncode in ended, "".join(seen)
    for _, proxy in sample.servers.values():
        proxy.clear_faults()
    return "".join(seen)


@pytest.mark.parametrize("point", list(POINTS))
def test_release_killed_anywhere_resumes_to_the_same_release(
    tmp_path: Path, servers: PypiServers, fault_proxy: StartProxy, point: str
) -> None:
    sample = new_sample(tmp_path, servers, fault_proxy)
    killed_at(sample, point)
    built_first = sample.record()

    # Killed after it noted the release finished (its last act): nothing is left to do.
    finished = not (sample.root / ".git" / "releasekit-release.json").exists()

    resumed = sample.run("release", "--resume", "--yes")

    assert "Traceback" not in resumed.stderr
    if finished:
        assert point == "after the push"
        assert resumed.returncode == ExitCode.USAGE, resumed.stderr
        assert "1.0.1 was released (the tag v1.0.1 exists)" in resumed.stderr
    else:
        assert resumed.returncode == 0, resumed.stderr
        assert "took over the lock" in resumed.stderr  # the killed run's
    assert version_in(sample.root) == "1.0.1"
    dist = sha256_files(sample.root / "dist")
    assert sorted(dist) == sorted(FILES)
    if built_first:
        assert dist == built_first  # the bytes first built, not a rebuild
    assert sha256_files(sample.servers["test"][0]) == dist
    assert sha256_files(sample.servers["prod"][0]) == dist
    # No file went up twice to either index.
    assert all(count == 1 for count in sample.uploads().values()), sample.uploads()
    assert git(sample.root, "tag") == "v1.0.1"
    head = git(sample.root, "rev-parse", "HEAD")
    assert git(sample.root, "rev-parse", "v1.0.1^{commit}") == head
    assert git(sample.root, "log", "--format=%s") == "Release 1.0.1\nInitial commit"
    remote = git(sample.root, "ls-remote", "origin")
    assert f"{head}\trefs/heads/main" in remote
    assert "refs/tags/v1.0.1" in remote
    assert git(sample.root, "status", "--porcelain") == ""
    # Finished: nothing is left to resume.
    again = sample.run("release", "--resume", "--yes")
    assert again.returncode == ExitCode.USAGE, again.stderr


# --- a push rejected because someone pushed meanwhile --------------------------------


def colleague_pushes(sample: Sample, tmp_path: Path) -> str:
    """A commit pushed to origin's main from another clone; its hash."""
    origin = git(sample.root, "remote", "get-url", "origin")
    other = tmp_path / "colleague"
    subprocess.run(["git", "clone", "--quiet", "--branch", "main", origin, str(other)], check=True)
    (other / "NOTES.md").write_text("A colleague's note.\n", encoding="utf-8")
    git(other, "add", "NOTES.md")
    git(other, "commit", "--quiet", "-m", "A colleague's commit")
    git(other, "push", "--quiet", "origin", "main")
    return git(other, "rev-parse", "HEAD")


@pytest.mark.parametrize("pull", ["--rebase", "--no-rebase"])
def test_a_rejected_push_is_finished_after_a_pull_without_a_new_version(
    tmp_path: Path,
    servers: PypiServers,
    fault_proxy: StartProxy,
    capsys: pytest.CaptureFixture[str],
    pull: str,
) -> None:
    sample = new_sample(tmp_path, servers, fault_proxy)
    theirs = colleague_pushes(sample, tmp_path)

    code = main(sample.argv("release", "patch", "--yes"))

    err = capsys.readouterr().err
    assert code == ExitCode.VCS, err
    assert "The push to origin was refused: someone pushed to main there meanwhile" in err
    assert "git pull --rebase origin main, or git pull origin main" in err
    assert "no new version and no rebuild" in err
    assert f"Then resume with: releasekit release --resume --yes --project {sample.root}" in err
    built = git(sample.root, "rev-parse", "HEAD")
    on_indexes = sha256_files(sample.servers["prod"][0])
    assert git(sample.root, "ls-remote", "origin", "refs/tags/v1.0.1") == ""

    git(sample.root, "pull", "--quiet", pull, "origin", "main")
    code = main(sample.argv("release", "--resume", "--yes"))

    err = capsys.readouterr().err
    assert code == ExitCode.OK, err
    assert "build: reused the 2 artifacts built from" in err
    assert f"tag: v1.0.1 stays on {built[:12]}, the commit the release was built from" in err
    if pull == "--rebase":
        assert "which the branch's history no longer holds (it was rebased)" in err
    assert version_in(sample.root) == "1.0.1"
    assert git(sample.root, "tag") == "v1.0.1"
    assert git(sample.root, "rev-parse", "v1.0.1^{commit}") == built
    head = git(sample.root, "rev-parse", "HEAD")
    assert f"{head}\trefs/heads/main" in git(sample.root, "ls-remote", "origin")
    assert git(sample.root, "merge-base", "--is-ancestor", theirs, "HEAD") == ""
    tagged = git(sample.root, "ls-remote", "origin", "refs/tags/v1.0.1^{}").split()[0]
    assert tagged == built
    assert sha256_files(sample.servers["prod"][0]) == on_indexes
    assert all(count == 1 for count in sample.uploads().values()), sample.uploads()


# --- nothing to resume ----------------------------------------------------------------


def test_resume_with_nothing_started_says_so_and_changes_nothing(
    tmp_path: Path, servers: PypiServers, fault_proxy: StartProxy
) -> None:
    sample = new_sample(tmp_path, servers, fault_proxy)
    before = git(sample.root, "log", "--format=%H"), git(sample.root, "ls-remote", "origin")

    resumed = sample.run("release", "--resume", "--yes")

    assert resumed.returncode == ExitCode.USAGE, resumed.stderr
    assert int(ExitCode.USAGE) == 2
    assert (
        "There is no started release of rk-demo to resume: no release of 1.0.0 was started "
        "in this checkout (no bump by release, no upload of its files). Nothing was changed."
    ) in resumed.stderr
    assert "release PART" in resumed.stderr
    assert (git(sample.root, "log", "--format=%H"), git(sample.root, "ls-remote", "origin")) == (
        before
    )
    assert git(sample.root, "tag") == ""
    assert not (sample.root / "dist").exists()
    assert sample.uploads() == Counter()


# --- a project versioned by its git tags ----------------------------------------------


def test_a_tag_versioned_release_resumes_after_a_fix_commit_and_says_where_its_tag_is(
    tmp_path: Path,
    servers: PypiServers,
    capsys: pytest.CaptureFixture[str],
    fault_proxy: StartProxy,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """hatch-vcs: the bump is the tag, on the commit the build reads. A commit made to fix
    a failed step must neither block the resume nor make the plan claim the tag is
    missing."""
    from layouts import copy_project, with_readme, write

    root = with_readme(copy_project("hatch-vcs", tmp_path / "project"))
    write(root, {".gitignore": "/dist/\n"})
    git(root, "add", "--all")
    git(root, "commit", "-qm", "readme")
    test, prod = servers.start("test"), servers.start("prod")
    config = tmp_path / "indexes.toml"

    def indexes(prod_upload: str) -> None:
        config.write_text(
            f'[repositories.test]\nupload-url = "{test.upload_url}"\n'
            f'index-url = "{test.simple_url}"\n'
            f'[repositories.prod]\nupload-url = "{prod_upload}"\n'
            f'index-url = "{prod.simple_url}"\nanonymous-upload = true\n',
            encoding="utf-8",
        )

    def releasekit(*argv: str) -> tuple[int, str]:
        code = main([*argv, "--project", str(root), "--config", str(config)])
        captured = capsys.readouterr()
        return code, captured.out + captured.err

    # prod fails every upload with a 500 (the pre-flight's credential proof takes that
    # for a passing fault): the release stops there.
    broken = fault_proxy(prod.url)
    broken.fail_next(1000, 500, methods={"POST"})
    indexes(broken.proxied(prod.upload_url))
    monkeypatch.setenv("RELEASEKIT_UPLOAD_TIMEOUT", "4")
    code, text = releasekit("release", "patch", "--yes", "--no-push")
    assert code == ExitCode.UPLOAD, text
    monkeypatch.delenv("RELEASEKIT_UPLOAD_TIMEOUT")
    tagged = git(root, "rev-parse", "v1.2.4^{commit}")
    on_test = sha256_files(test.packages_dir)
    assert sorted(on_test) == ["demo_vcs-1.2.4-py2.py3-none-any.whl", "demo_vcs-1.2.4.tar.gz"]
    # The fix (here: the CI's settings, in the project) is committed after the tag.
    write(root, {"ci/release.env": "PROD=fixed\n"})
    git(root, "add", "--all")
    git(root, "commit", "-qm", "Fix the release settings")
    indexes(prod.upload_url)

    code, text = releasekit("release", "patch", "--dry-run", "--yes", "--no-push")
    assert code == ExitCode.USAGE, text
    assert (
        f"is not finished: the tag v1.2.4 exists (on {tagged[:12]}) but the steps after it "
        "did not all run"
    ) in text
    assert "does not exist yet" not in text

    code, text = releasekit("release", "--resume", "--dry-run", "--yes", "--no-push")
    assert code == ExitCode.OK, text
    assert f"v1.2.4 exists on {tagged[:12]}, the commit the release was built from: kept" in (text)
    assert "no rebuild: the 2 files built from" in text
    assert "does not exist yet" not in text

    code, text = releasekit("release", "--resume", "--yes", "--no-push")
    assert code == ExitCode.OK, text
    assert sha256_files(prod.packages_dir) == on_test == sha256_files(root / "dist")
    assert git(root, "tag").split() == ["v1.2.3", "v1.2.4"]
    assert git(root, "rev-parse", "v1.2.4^{commit}") == tagged
