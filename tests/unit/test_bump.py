"""bump-version end to end, through the CLI, on every supported project layout."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from layouts import CHANGELOG, LAYOUTS, git_init, static_pep621, write
from releasekit.cli import main
from releasekit.errors import ExitCode


def git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=root, check=True, capture_output=True, text=True
    ).stdout.strip()


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.parts
    }


def run(root: Path, *args: str) -> int:
    return main([*args, "--project", str(root)])


EXPECTED_FILES = {
    "static": {"pyproject.toml": "version = '1.3.0'   # single quotes on purpose"},
    "poetry": {"pyproject.toml": 'version = "1.3.0"'},
    "setuptools-attr": {"src/demo_attr/__init__.py": '__version__ = "1.3.0"\nOTHER = "1.2.3"'},
    "hatch-path": {"src/demo_hatch/__about__.py": '# SPDX\n__version__ = "1.3.0"'},
    "flit": {"demo_flit.py": '__version__ = "1.3.0"'},
    "setuptools-file": {"VERSION": "1.3.0\n"},
    "pdm-file": {"src/demo_pdm/__init__.py": '__version__ = "1.3.0"'},
    "hatch-vcs": {},
    "extra-file-changelog": {
        "pyproject.toml": "version = '1.3.0'",
        "src/demo_static/_version.py": 'version = "1.3.0"',
        "docs/conf.py": "release = '1.3.0'\nversion = '1.2'",
        "CHANGELOG.md": "## [Unreleased]\n\n## [1.3.0] - ",
    },
}


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_minor_bump_rewrites_exactly_the_version_in_every_layout(
    tmp_path: Path, layout: str, capsys: pytest.CaptureFixture[str]
) -> None:
    root = LAYOUTS[layout](tmp_path)
    before = snapshot(root)

    assert (
        run(
            root,
            "bump-version",
            "minor",
            "--no-commit",
            "--no-tag" if layout != "hatch-vcs" else "--tag",
        )
        == 0
    )

    after = snapshot(root)
    changed = {name for name in after if after[name] != before.get(name)}
    assert changed == set(EXPECTED_FILES[layout])
    for name, expected in EXPECTED_FILES[layout].items():
        text = after[name].decode()
        assert expected in text
        # Only the version moved: the text is the old one with 1.2.3 -> 1.3.0 in place.
        if name != "CHANGELOG.md":
            assert len(text.splitlines()) == len(before[name].decode().splitlines())
    capsys.readouterr()
    assert run(root, "version") == 0
    assert capsys.readouterr().out.strip() == "1.3.0"


def test_vcs_versioned_project_is_bumped_by_a_tag_only(tmp_path: Path) -> None:
    root = LAYOUTS["hatch-vcs"](tmp_path)
    head = git(root, "rev-parse", "HEAD")

    assert run(root, "bump-version", "patch") == 0

    assert git(root, "rev-parse", "HEAD") == head  # no commit: no file holds the version
    assert git(root, "tag", "--points-at", "HEAD").split() == ["v1.2.4"]
    assert git(root, "cat-file", "-t", "v1.2.4") == "tag"  # annotated


def test_vcs_bump_refuses_a_second_release_tag_on_the_same_commit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = LAYOUTS["hatch-vcs"](tmp_path)
    git(root, "tag", "--annotate", "-m", "Release 1.2.4", "v1.2.4")

    assert run(root, "bump-version", "patch") == ExitCode.VCS

    err = capsys.readouterr().err
    assert "HEAD already carries the release tag v1.2.4" in err
    assert git(root, "tag", "--points-at", "HEAD").split() == ["v1.2.4"]


def test_commit_and_annotated_tag_in_a_git_checkout(tmp_path: Path) -> None:
    root = git_init(LAYOUTS["extra-file-changelog"](tmp_path))

    assert run(root, "bump-version", "2.0.0rc1") == 0

    assert git(root, "log", "-1", "--format=%s") == "Release 2.0.0rc1"
    assert git(root, "status", "--porcelain") == ""
    assert git(root, "describe", "--exact-match") == "v2.0.0rc1"
    assert set(git(root, "show", "--name-only", "--format=", "HEAD").split()) == {
        "pyproject.toml",
        "src/demo_static/_version.py",
        "docs/conf.py",
        "CHANGELOG.md",
    }


@pytest.mark.parametrize("newline", ["\n", "\r\n"], ids=["LF", "CRLF"])
def test_changelog_unreleased_becomes_the_version_with_fresh_section_and_links(
    tmp_path: Path, newline: str
) -> None:
    root = LAYOUTS["extra-file-changelog"](tmp_path)
    (root / "CHANGELOG.md").write_bytes(CHANGELOG.replace("\n", newline).encode())
    assert run(root, "bump-version", "minor") == 0
    text = (root / "CHANGELOG.md").read_bytes().decode()
    import datetime

    today = datetime.date.today().isoformat()
    expected = CHANGELOG.replace(
        "## [Unreleased]\n", f"## [Unreleased]\n\n## [1.3.0] - {today}\n"
    ).replace(
        "[Unreleased]: https://github.com/acme/demo/compare/v1.2.3...HEAD\n",
        "[Unreleased]: https://github.com/acme/demo/compare/v1.3.0...HEAD\n"
        "[1.3.0]: https://github.com/acme/demo/compare/v1.2.3...v1.3.0\n",
    )
    # A Windows checkout's CRLF file stays CRLF throughout, the new lines included.
    assert text == expected.replace("\n", newline)


def test_dry_run_prints_the_diff_and_changes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = git_init(LAYOUTS["extra-file-changelog"](tmp_path))
    before = snapshot(root)

    assert run(root, "bump-version", "patch", "--dry-run") == 0

    out = capsys.readouterr().out
    assert "-version = '1.2.3'   # single quotes on purpose" in out
    assert "+version = '1.2.4'   # single quotes on purpose" in out
    assert "+## [1.2.4] - " in out
    assert "--- a/docs/conf.py" in out
    assert "tag: v1.2.4" in out
    assert snapshot(root) == before
    assert git(root, "tag") == ""


def test_json_summary_is_machine_readable(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = git_init(LAYOUTS["static"](tmp_path))
    assert run(root, "bump-version", "rc", "--json") == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["ok"] is True
    assert (summary["previous"], summary["version"], summary["tag"]) == (
        "1.2.3",
        "1.2.4rc1",
        "v1.2.4rc1",
    )
    assert summary["files"] == [{"path": "pyproject.toml", "what": "[project] version"}]
    assert summary["commit"] == git(root, "rev-parse", "HEAD")


def test_failure_on_the_last_file_restores_every_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = LAYOUTS["extra-file-changelog"](tmp_path)
    before = snapshot(root)
    import releasekit.files

    real_write = releasekit.files.write_atomic
    calls: list[Path] = []

    def failing_write(path: Path, data: bytes) -> None:
        calls.append(path)
        if len(calls) == 4:  # the fourth and last file of the bump: CHANGELOG.md
            raise OSError(28, "No space left on device", str(path))
        real_write(path, data)

    monkeypatch.setattr(releasekit.files, "write_atomic", failing_write)
    assert run(root, "bump-version", "minor") == ExitCode.PROJECT
    err = capsys.readouterr().err
    assert f"{root / 'CHANGELOG.md'} cannot be written: No space left on device. Every file " in err
    assert "Traceback" not in err
    assert calls[3].name == "CHANGELOG.md"
    assert snapshot(root) == before


def test_failed_commit_restores_every_file_and_leaves_no_tag(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = git_init(LAYOUTS["extra-file-changelog"](tmp_path))
    hook = root / ".git" / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\necho 'pre-commit: lint failed' >&2\nexit 1\n")
    hook.chmod(0o755)
    before = snapshot(root)
    head = git(root, "rev-parse", "HEAD")

    assert run(root, "bump-version", "minor") == ExitCode.COMMAND

    assert snapshot(root) == before
    assert git(root, "rev-parse", "HEAD") == head
    assert git(root, "status", "--porcelain") == ""
    assert git(root, "tag") == ""
    assert "pre-commit: lint failed" in capsys.readouterr().err


def test_failed_tag_undoes_the_commit_and_restores_files(tmp_path: Path) -> None:
    root = git_init(LAYOUTS["static"](tmp_path))
    before = snapshot(root)
    head = git(root, "rev-parse", "HEAD")
    # A ref that blocks creating refs/tags/v1.3.0: git refuses the tag after the commit.
    (root / ".git" / "refs" / "tags" / "v1.3.0").mkdir(parents=True)
    (root / ".git" / "refs" / "tags" / "v1.3.0" / "x").write_text(head + "\n")

    assert run(root, "bump-version", "minor") != 0

    assert snapshot(root) == before
    assert git(root, "rev-parse", "HEAD") == head


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["bump-version", "1.2.0"], ExitCode.VERSION, "not greater than the current version"),
        (["bump-version", "1.2.3"], ExitCode.VERSION, "not greater than the current version"),
        (["bump-version", "1.x"], ExitCode.VERSION, "not a valid target version"),
        (["bump-version", "mayor"], ExitCode.USAGE, "neither a version part nor a version"),
        (["bump-version", "release"], ExitCode.VERSION, "already a final release"),
    ],
)
def test_bad_input_gives_one_paragraph_error_and_exit_code(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], code: int, message: str
) -> None:
    root = LAYOUTS["static"](tmp_path)
    before = snapshot(root)
    assert run(root, *args) == code
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err
    assert snapshot(root) == before


def test_missing_pyproject_is_a_project_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(tmp_path, "bump-version", "patch") == ExitCode.PROJECT
    assert "No pyproject.toml, setup.cfg or setup.py in" in capsys.readouterr().err


def test_version_missing_from_an_extra_file_changes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = LAYOUTS["extra-file-changelog"](tmp_path)
    write(root, {"docs/conf.py": "project = 'demo'\n"})
    before = snapshot(root)
    assert run(root, "bump-version", "patch") == ExitCode.PROJECT
    assert "No version found in" in capsys.readouterr().err
    assert snapshot(root) == before


def test_versions_that_disagree_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = LAYOUTS["extra-file-changelog"](tmp_path)
    write(root, {"src/demo_static/_version.py": 'version = "1.2.2"\n'})
    assert run(root, "bump-version", "patch") == ExitCode.PROJECT
    err = capsys.readouterr().err
    assert "not the same everywhere" in err
    assert "1.2.2 in src/demo_static/_version.py:1 (version-files)" in err


def test_dirty_tree_is_refused_unless_allowed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = git_init(LAYOUTS["static"](tmp_path))
    (root / "notes.txt").write_text("wip\n")
    assert run(root, "bump-version", "patch") == ExitCode.VCS
    assert "uncommitted changes (notes.txt)" in capsys.readouterr().err
    assert "version = '1.2.3'" in (root / "pyproject.toml").read_text()

    assert run(root, "bump-version", "patch", "--allow-dirty") == 0
    assert git(root, "status", "--porcelain") == "?? notes.txt"  # committed only the bump
    assert git(root, "describe", "--exact-match") == "v1.2.4"


def test_existing_tag_is_refused_before_anything_changes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = git_init(LAYOUTS["static"](tmp_path))
    git(root, "tag", "v1.2.4")
    before = snapshot(root)
    assert run(root, "bump-version", "patch") == ExitCode.VCS
    assert "The tag v1.2.4 already exists" in capsys.readouterr().err
    assert snapshot(root) == before


def test_non_normalised_explicit_version_is_written_normalised(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = static_pep621(tmp_path)
    assert run(root, "bump-version", "2.0.0-RC.1", "--json") == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["version"] == "2.0.0rc1"
    assert "normalised form 2.0.0rc1" in summary["notes"][0]
    assert "version = '2.0.0rc1'" in (root / "pyproject.toml").read_text()


def test_vcs_project_outside_git_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = LAYOUTS["hatch-vcs"](tmp_path)
    subprocess.run(["rm", "-rf", str(root / ".git")], check=True)
    assert run(root, "bump-version", "patch") == ExitCode.VCS
    assert "takes its version from git tags" in capsys.readouterr().err


def test_a_bump_notes_an_empty_unreleased_section_and_a_missing_changelog(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = CHANGELOG.replace("### Added\n- A feature nobody asked for.\n", "### Added\n\n")
    with_empty = write(static_pep621(tmp_path / "empty"), {"CHANGELOG.md": empty})
    without = static_pep621(tmp_path / "none")

    assert run(with_empty, "bump-version", "patch", "--json", "--no-commit", "--no-tag") == 0
    notes = json.loads(capsys.readouterr().out)["notes"]
    assert (
        "The [Unreleased] section of CHANGELOG.md is empty: the 1.2.4 section says nothing "
        "about what changed." in notes
    )
    assert run(without, "bump-version", "patch", "--json", "--no-commit", "--no-tag") == 0
    notes = json.loads(capsys.readouterr().out)["notes"]
    assert any(
        n.startswith("No changelog was found (CHANGELOG, CHANGES, HISTORY, NEWS") for n in notes
    )

    full = write(static_pep621(tmp_path / "full"), {"CHANGELOG.md": CHANGELOG})
    assert run(full, "bump-version", "patch", "--json", "--no-commit", "--no-tag") == 0
    assert not any("empty" in n for n in json.loads(capsys.readouterr().out)["notes"])
