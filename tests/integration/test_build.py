"""The build step on real hatchling projects: what lands in dist/, and what never does.

Most builds run without isolation (hatchling comes from the test environment), so they
are fast and offline; the uv test builds in an isolated environment and needs an index.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import time
import zipfile
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

import pytest
from packaging.version import Version

from layouts import git_init, write
from release_project import RecordingRunner
from releasekit.artifacts import artifact_problems
from releasekit.config import load_config
from releasekit.errors import BuildError, ExitCode
from releasekit.plan import resolve_plan
from releasekit.runner import SubprocessRunner
from releasekit.steps.build import (
    BuildResult,
    build_release,
    format_artifacts,
    select_installer,
)
from releasekit.tools import find_uv

# 2024-05-01 12:00:00 UTC; even, because zip files keep times in 2-second steps.
COMMIT_TIME = 1714564800
WHEEL = "tiny_pkg-1.0.0-py2.py3-none-any.whl"
SDIST = "tiny_pkg-1.0.0.tar.gz"


@pytest.fixture(autouse=True)
def fixed_commit_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    for role in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{role}_DATE", f"@{COMMIT_TIME} +0000")


def tiny_project(root: Path, *, git: bool = True, files: Mapping[str, str] = {}) -> Path:
    """A hatchling project "Tiny.Pkg" 1.0.0 built without isolation, committed to git."""
    write(
        root,
        {
            ".gitignore": "/dist/\n",
            "pyproject.toml": """\
            [build-system]
            requires = ["hatchling"]
            build-backend = "hatchling.build"

            [project]
            name = "Tiny.Pkg"
            version = "1.0.0"

            [tool.hatch.build.targets.wheel]
            packages = ["src/tiny_pkg"]

            [tool.releasekit.build]
            isolation = false
            """,
            "src/tiny_pkg/__init__.py": '"""A tiny package."""\n',
            **files,
        },
    )
    return git_init(root) if git else root


def build(root: Path, *, outdir: Path | None = None, dry_run: bool = False) -> BuildResult:
    """The build step as the command line runs it, with the project's own configuration."""
    config = load_config(root, env={})
    runner = SubprocessRunner(echo=False)
    return build_release(resolve_plan(root, config, runner), runner, outdir=outdir, dry_run=dry_run)


def contents(directory: Path) -> dict[str, bytes]:
    """Every file below ``directory`` (scratch directories included), by relative path."""
    return {
        p.relative_to(directory).as_posix(): p.read_bytes()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


def test_two_builds_of_one_commit_are_byte_identical_and_dated_by_it(tmp_path: Path) -> None:
    root = tiny_project(tmp_path / "tiny")

    first = build(root)
    first_bytes = contents(root / "dist")
    second = build(root)

    assert sorted(first_bytes) == [WHEEL, SDIST]
    assert contents(root / "dist") == first_bytes
    assert first.source_date_epoch == second.source_date_epoch == COMMIT_TIME
    with zipfile.ZipFile(root / "dist" / WHEEL) as wheel:
        assert {info.date_time for info in wheel.infolist()} == {time.gmtime(COMMIT_TIME)[:6]}
    with tarfile.open(root / "dist" / SDIST) as sdist:
        assert {member.mtime for member in sdist.getmembers()} == {COMMIT_TIME}


def test_stale_artifacts_go_and_other_files_stay(tmp_path: Path) -> None:
    root = tiny_project(tmp_path / "tiny")
    write(
        root / "dist",
        {
            "tiny_pkg-0.9.0-py2.py3-none-any.whl": "old wheel",
            "tiny_pkg-0.9.0.tar.gz": "old sdist",
            "tiny_pkg-0.9.0.zip": "older sdist",
            "README.txt": "kept",
            "signatures/tiny_pkg-0.9.0.tar.gz": "not at the top: kept",
        },
    )

    result = build(root)

    assert sorted(contents(root / "dist")) == [
        "README.txt",
        "signatures/tiny_pkg-0.9.0.tar.gz",
        WHEEL,
        SDIST,
    ]
    assert [p.name for p in result.removed] == [
        "tiny_pkg-0.9.0-py2.py3-none-any.whl",
        "tiny_pkg-0.9.0.tar.gz",
        "tiny_pkg-0.9.0.zip",
    ]
    # What the user is shown names each file with its real size and hash.
    lines = format_artifacts(result).splitlines()
    assert [line.split()[0] for line in lines] == [SDIST, WHEEL]
    for line, artifact in zip(lines, result.artifacts, strict=True):
        data = artifact.path.read_bytes()
        assert line.endswith(f"sha256:{hashlib.sha256(data).hexdigest()}")
        assert artifact.size == len(data)
    summary = result.to_json()
    assert summary["step"] == "build"
    assert summary["ok"] is True
    assert [a["filename"] for a in summary["artifacts"]] == [SDIST, WHEEL]


# The wheel takes a file the sdist leaves out: only building the wheel from the sdist
# (build's default) notices it, and the backend fails.
BROKEN_SDIST = """
[tool.hatch.build.targets.wheel.force-include]
"data/config.json" = "tiny_pkg/config.json"

[tool.hatch.build.targets.sdist]
exclude = ["data"]
"""


@pytest.mark.parametrize("previous", [True, False], ids=["dist-kept", "no-dist-made"])
def test_failed_build_shows_the_output_tail_and_leaves_dist_alone(
    tmp_path: Path, previous: bool
) -> None:
    root = tiny_project(tmp_path / "tiny", files={"data/config.json": "{}\n"})
    with (root / "pyproject.toml").open("a") as f:
        f.write(BROKEN_SDIST)
    if previous:
        write(root / "dist", {"tiny_pkg-0.9.0.tar.gz": "the last good sdist"})

    with pytest.raises(BuildError) as caught:
        build(root)

    message = str(caught.value)
    assert "The build of Tiny.Pkg 1.0.0 failed" in message
    assert "Forced include not found" in message  # from the end of the backend's output
    assert caught.value.exit_code == ExitCode.BUILD
    if previous:
        assert contents(root / "dist") == {"tiny_pkg-0.9.0.tar.gz": b"the last good sdist"}
        assert [p.name for p in (root / "dist").iterdir()] == ["tiny_pkg-0.9.0.tar.gz"]
    else:
        assert not (root / "dist").exists()


STALE_VERSION_HOOK = """
[tool.hatch.metadata.hooks.custom]

[tool.releasekit]
version-files = ["src/tiny_pkg/__init__.py"]
"""


def test_artifacts_with_another_version_are_refused_and_dist_kept(tmp_path: Path) -> None:
    # A metadata hook reads VERSION.txt, which the bump to 2.0.0 did not reach.
    root = tiny_project(
        tmp_path / "tiny",
        files={
            "src/tiny_pkg/__init__.py": '__version__ = "2.0.0"\n',
            "VERSION.txt": "1.0.0\n",
            "hatch_build.py": """\
            from pathlib import Path

            from hatchling.metadata.plugin.interface import MetadataHookInterface


            class StaleVersion(MetadataHookInterface):
                def update(self, metadata: dict[str, object]) -> None:
                    metadata["version"] = Path(self.root, "VERSION.txt").read_text().strip()
            """,
        },
    )
    pyproject = (root / "pyproject.toml").read_text()
    (root / "pyproject.toml").write_text(
        pyproject.replace('version = "1.0.0"', 'dynamic = ["version"]') + STALE_VERSION_HOOK
    )
    write(root / "dist", {"tiny_pkg-1.9.0.tar.gz": "the last good sdist"})

    with pytest.raises(BuildError) as caught:
        build(root)

    message = str(caught.value)
    assert f"{SDIST}: version 1.0.0, expected 2.0.0" in message
    assert f"{WHEEL}: version 1.0.0, expected 2.0.0" in message
    assert contents(root / "dist") == {"tiny_pkg-1.9.0.tar.gz": b"the last good sdist"}
    assert [p.name for p in (root / "dist").iterdir()] == ["tiny_pkg-1.9.0.tar.gz"]


def test_every_mismatch_is_listed_at_once() -> None:
    problems = artifact_problems(
        [
            "other_pkg-1.0.0.tar.gz",
            "tiny_pkg-1.0-py3-none-any.whl",  # 1.0 == 1.0.0: fine
            "tiny_pkg-1.1.0-py3-none-any.whl",
            "not-a-wheel.whl",
        ],
        "Tiny.Pkg",
        Version("1.0.0"),
        one_of_each=True,
    )

    assert problems[0] == "other_pkg-1.0.0.tar.gz: project name other-pkg, expected tiny-pkg"
    assert "tiny_pkg-1.1.0-py3-none-any.whl: version 1.1.0, expected 1.0.0" in problems
    assert any(p.startswith("not-a-wheel.whl: not a valid wheel name") for p in problems)
    assert problems[-1].startswith("2 wheels (")
    assert artifact_problems([WHEEL, SDIST], "tiny_pkg", Version("1.0"), one_of_each=True) == []
    assert artifact_problems([WHEEL], "tiny-pkg", Version("1.0.0"), one_of_each=True) == [
        "0 sdists (none), expected one"
    ]


@pytest.mark.parametrize(
    ("requested", "uv_found", "build_supports_uv", "expected"),
    [
        ("pip", True, True, "pip"),
        ("auto", True, True, "uv"),
        ("auto", False, True, "pip"),
        ("auto", True, False, "pip"),
        ("uv", True, True, "uv"),
    ],
)
def test_installer_selection(
    requested: str, uv_found: bool, build_supports_uv: bool, expected: str
) -> None:
    assert (
        select_installer(requested, uv_found=uv_found, build_supports_uv=build_supports_uv)
        == expected
    )


@pytest.mark.parametrize(("uv_found", "build_supports_uv"), [(False, True), (True, False)])
def test_uv_requested_but_unusable_is_an_error(uv_found: bool, build_supports_uv: bool) -> None:
    with pytest.raises(BuildError, match=r"build\.installer is 'uv'"):
        select_installer("uv", uv_found=uv_found, build_supports_uv=build_supports_uv)


@pytest.mark.parametrize(
    ("isolation", "installer", "options"),
    [
        (True, "pip", ()),
        (True, "uv", ("--installer", "uv")),
        (True, "auto", ("--installer", "uv")),  # uv is installed in the test environment
        (False, "uv", ("--no-isolation",)),  # build refuses --installer with --no-isolation
    ],
)
def test_dry_run_names_the_command_and_changes_nothing(
    tmp_path: Path, isolation: bool, installer: str, options: tuple[str, ...]
) -> None:
    root = tiny_project(tmp_path / "tiny")
    write(root / "dist", {"tiny_pkg-0.9.0.tar.gz": "old"})
    config = replace(
        load_config(root, env={}), build_isolation=isolation, build_installer=installer
    )

    runner = SubprocessRunner(echo=False)
    result = build_release(resolve_plan(root, config, runner), runner, dry_run=True)

    assert contents(root / "dist") == {"tiny_pkg-0.9.0.tar.gz": b"old"}
    assert [p.name for p in (root / "dist").iterdir()] == ["tiny_pkg-0.9.0.tar.gz"]
    assert result.command[:4] == (sys.executable, "-m", "build", "--outdir")
    assert Path(result.command[4]).parent == root / "dist"
    assert result.command[5:] == (*options, str(root))
    assert result.installer == (None if not isolation else options[-1] if options else "pip")
    summary = result.to_json()
    assert summary["dry_run"] is True
    assert summary["artifacts"] == []
    assert summary["removed"] == ["tiny_pkg-0.9.0.tar.gz"]


@pytest.mark.parametrize("cache", [False, True], ids=["python-m-build", "cached-env"])
def test_uv_found_only_as_a_binary_is_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cache: bool
) -> None:
    uv = find_uv()
    assert uv is not None, "these tests need uv: pip install uv"
    assert uv.importable
    # As if uv were installed apart (standalone, pipx), not importable by build.
    monkeypatch.setitem(sys.modules, "uv", None)
    monkeypatch.setenv("UV", uv.path)
    monkeypatch.setenv("PATH", str(Path(shutil.which("git") or "/usr/bin/git").parent))
    root = tiny_project(tmp_path / "tiny")
    config = replace(
        load_config(root, env={}),
        build_isolation=True,
        build_installer="auto",
        build_cache=cache,
        build_cache_dir=str(tmp_path / "cache"),
    )
    runner = RecordingRunner()

    result = build_release(resolve_plan(root, config, runner), runner)

    assert result.installer == "uv"
    assert sorted(contents(root / "dist")) == [WHEEL, SDIST]
    if cache:  # the cached environment is resolved and made with that binary
        assert [argv[:3] for argv in runner.argvs if argv[0] == uv.path] == [
            [uv.path, "pip", "compile"],
            [uv.path, "venv", "--quiet"],
            [uv.path, "pip", "install"],
        ]
        return
    command, env = runner.argvs[-1], runner.envs[-1]
    assert command[5:7] == ["--installer", "uv"]
    assert env["UV"] == uv.path
    assert shutil.which("uv", path=env.get("PATH", os.environ["PATH"])) is not None


def test_without_git_source_date_epoch_is_left_unset_with_a_note(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    root = tiny_project(tmp_path / "tiny", git=False)
    runner = RecordingRunner()

    result = build_release(resolve_plan(root, load_config(root, env={}), runner), runner)

    assert sorted(contents(root / "dist")) == [WHEEL, SDIST]
    assert result.source_date_epoch is None
    assert any("SOURCE_DATE_EPOCH is left unset" in note for note in result.notes)
    assert "SOURCE_DATE_EPOCH" not in runner.envs[-1]


def test_source_date_epoch_is_the_last_commit_that_changed_the_project_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = write(tmp_path / "repo", {"README.md": "# A monorepo\n"})
    project = tiny_project(repo / "packages" / "tiny", git=False)

    def commit_at(when: int, *paths: str) -> None:
        for role in ("AUTHOR", "COMMITTER"):
            monkeypatch.setenv(f"GIT_{role}_DATE", f"@{when} +0000")
        subprocess.run(["git", "add", *paths], cwd=repo, check=True)
        subprocess.run(["git", "commit", "--quiet", "-m", "change"], cwd=repo, check=True)

    subprocess.run(["git", "init", "--quiet", "--initial-branch=main"], cwd=repo, check=True)
    commit_at(COMMIT_TIME, "README.md")
    # The project is not committed yet: the repository's last commit dates it.
    assert build(project).source_date_epoch == COMMIT_TIME

    commit_at(COMMIT_TIME + 100, "packages")
    first = build(project)
    wheel = (project / "dist" / WHEEL).read_bytes()
    # Another part of the repository moves on; the project's rebuild does not change.
    (repo / "README.md").write_text("# A monorepo, later\n")
    commit_at(COMMIT_TIME + 200, "README.md")
    again = build(project)

    assert first.source_date_epoch == again.source_date_epoch == COMMIT_TIME + 100
    assert (project / "dist" / WHEEL).read_bytes() == wheel


def test_source_date_epoch_already_set_is_respected(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    given = COMMIT_TIME + 86400
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(given))
    root = tiny_project(tmp_path / "tiny")

    result = build(root)

    assert result.source_date_epoch == given
    with zipfile.ZipFile(root / "dist" / WHEEL) as wheel:
        assert {info.date_time for info in wheel.infolist()} == {time.gmtime(given)[:6]}
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    with pytest.raises(BuildError, match="SOURCE_DATE_EPOCH is 'yesterday'"):
        build(root, dry_run=True)


@pytest.mark.parametrize("where", ["the project", "its parent", "another project", "a file"])
def test_outdir_whose_cleaning_could_delete_other_files_is_refused(
    tmp_path: Path, where: str
) -> None:
    root = tiny_project(tmp_path / "tiny", git=False)
    write(tmp_path, {"other/pyproject.toml": "", "theirs.whl": "", "tiny/mine.whl": "", "f": ""})
    outdir = {
        "the project": root,
        "its parent": tmp_path,
        "another project": tmp_path / "other",
        "a file": tmp_path / "f",
    }[where]
    before = contents(tmp_path)

    with pytest.raises(BuildError, match=r"Refusing to build into .*: it "):
        build(root, outdir=outdir)

    assert contents(tmp_path) == before
