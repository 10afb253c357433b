"""`bump-version auto`: the part decided by the conventional commits since the last
release tag. The rules are a pure function, tested row by row; the command runs on real
git repositories."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from packaging.version import Version

from layouts import write
from release_project import Releasekit
from releasekit.autobump import Commit, decide

# (commit messages, newest first; current version; major-on-zero) -> part
ROWS = [
    (["docs: typo", "chore: tidy", "Update README"], "1.2.0", False, None),
    (["fix: a crash"], "1.2.0", False, "patch"),
    (["perf: faster"], "1.2.0", False, "patch"),
    (["Fix: capitalised type"], "1.2.0", False, "patch"),
    (["fix(parser): scoped"], "1.2.0", False, "patch"),
    (["feat: a feature", "fix: a fix"], "1.2.0", False, "minor"),
    (["feat(api)!: removed a call"], "1.2.0", False, "major"),
    (["fix!: changed behaviour"], "1.2.0", False, "major"),
    (["refactor: x\n\nBREAKING CHANGE: y is gone"], "1.2.0", False, "major"),
    (["refactor: x\n\nBREAKING-CHANGE: y is gone"], "1.2.0", False, "major"),
    # The footer is in capitals, and a footer, not a word in the text.
    (["refactor: x\n\nbreaking change: y"], "1.2.0", False, None),
    (["fix: mention BREAKING CHANGE: in the subject"], "1.2.0", False, "patch"),
    (["feat!: before 1.0"], "0.4.0", False, "minor"),
    (["feat!: before 1.0"], "0.4.0", True, "major"),
    (["fix: patch before 1.0"], "0.4.0", False, "patch"),
    (["feat:no space is not conventional"], "1.2.0", False, None),
    (["wip(x: broken scope"], "1.2.0", False, None),
]


@pytest.mark.parametrize(("messages", "current", "major_on_zero", "part"), ROWS)
def test_decide(messages: list[str], current: str, major_on_zero: bool, part: str | None) -> None:
    commits = [
        Commit(f"{n:040x}", *(m.split("\n\n", 1) if "\n\n" in m else (m, "")))
        for n, m in enumerate(messages)
    ]
    assert decide(commits, Version(current), major_on_zero=major_on_zero).part == part


def test_the_deciding_commits_are_those_of_the_chosen_part() -> None:
    commits = [Commit("a" * 40, "feat: one"), Commit("b" * 40, "fix: two")]
    result = decide(commits, Version("1.0.0"))
    assert [c.commit.subject for c in result.deciding] == ["feat: one"]
    assert [c.commit.subject for c in result.changes] == ["feat: one", "fix: two"]


# --- real repositories ----------------------------------------------------------------


def git(root: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, text=True)
    return done.stdout.strip()


def commit(root: Path, message: str) -> str:
    path = root / "src.txt"
    path.write_text(path.read_text(encoding="utf-8") + message + "\n", encoding="utf-8")
    git(root, "commit", "--quiet", "--all", "--message", message)
    return git(root, "rev-parse", "HEAD")


def repository(root: Path, version: str = "1.2.0", *, table: str = "", changelog: str = "") -> Path:
    write(
        root,
        {
            "pyproject.toml": f'[project]\nname = "demo"\nversion = "{version}"\n'
            + (f"\n[tool.releasekit]\n{table}" if table else ""),
            "src.txt": "",
            **({"CHANGELOG.md": changelog} if changelog else {}),
        },
    )
    git(root, "init", "--quiet", "--initial-branch=main")
    git(root, "add", "--all")
    git(root, "commit", "--quiet", "--message", "feat: the first release")
    git(root, "tag", "--annotate", "--message", f"Release {version}", f"v{version}")
    return root


def test_a_feature_since_the_last_tag_makes_a_minor_release(
    tmp_path: Path, releasekit: Releasekit
) -> None:
    root = repository(tmp_path)
    commit(root, "docs: explain")
    feature = commit(root, "feat(cli): a new flag")
    commit(root, "fix: a crash")

    code, out, err = releasekit("--project", root, "bump-version", "auto")

    assert (code, err) == (0, "")
    assert 'version = "1.3.0"' in (root / "pyproject.toml").read_text(encoding="utf-8")
    assert git(root, "tag", "--points-at", "HEAD") == "v1.3.0"
    assert "auto: minor, decided by 1 of 3 commit(s) since v1.2.0:" in out
    assert f"  {feature[:12]} feat(cli): a new flag" in out


def test_json_lists_the_commits_that_decided(tmp_path: Path, releasekit: Releasekit) -> None:
    root = repository(tmp_path)
    fix = commit(root, "fix: a crash")

    code, out, _ = releasekit("--project", root, "--json", "bump-version", "auto", "--dry-run")

    summary = json.loads(out)
    assert code == 0
    assert summary["version"] == "1.2.1"
    assert summary["auto"]["since"] == "v1.2.0"
    assert summary["auto"]["part"] == "patch"
    assert summary["auto"]["decided_by"] == [
        {"sha": fix, "subject": "fix: a crash", "type": "fix", "breaking": False, "part": "patch"}
    ]


def test_no_releasable_commit_is_nothing_to_release_and_changes_nothing(
    tmp_path: Path, releasekit: Releasekit
) -> None:
    root = repository(tmp_path)
    commit(root, "docs: explain")
    commit(root, "chore: tidy up")
    before = (root / "pyproject.toml").read_bytes(), git(root, "rev-parse", "HEAD")

    code, out, err = releasekit("--project", root, "bump-version", "auto")

    assert (code, err) == (0, "")
    assert "demo 1.2.0: nothing to release: none of the 2 commit(s) since v1.2.0" in out
    assert ((root / "pyproject.toml").read_bytes(), git(root, "rev-parse", "HEAD")) == before
    assert git(root, "tag", "--list") == "v1.2.0"


def test_release_auto_with_nothing_to_release_exits_0(
    tmp_path: Path, releasekit: Releasekit
) -> None:
    root = repository(tmp_path)
    commit(root, "ci: a workflow")

    code, out, _ = releasekit("--project", root, "--json", "release", "auto", "--yes")

    summary = json.loads(out)
    assert code == 0
    assert summary["step"] == "release"
    assert summary["nothing_to_release"] is True
    assert summary["auto"]["commits_read"] == 1
    assert git(root, "tag", "--list") == "v1.2.0"


def test_commits_before_the_last_release_tag_do_not_count(
    tmp_path: Path, releasekit: Releasekit
) -> None:
    root = repository(tmp_path)
    commit(root, "feat!: released already")
    git(root, "tag", "--annotate", "--message", "Release 2.0.0", "v2.0.0")
    commit(root, "fix: after the release")
    (root / "pyproject.toml").write_text(
        '[project]\nname = "demo"\nversion = "2.0.0"\n', encoding="utf-8"
    )
    git(root, "commit", "--quiet", "--all", "--message", "chore: 2.0.0")

    code, out, _ = releasekit("--project", root, "--json", "bump-version", "auto", "--dry-run")

    assert code == 0
    assert json.loads(out)["version"] == "2.0.1"


@pytest.mark.parametrize(
    ("table", "expected"),
    [("", "0.5.0"), ("[tool.releasekit.auto]\nmajor-on-zero = true\n", "1.0.0")],
)
def test_a_breaking_change_before_1_0(
    tmp_path: Path, releasekit: Releasekit, table: str, expected: str
) -> None:
    root = repository(tmp_path, "0.4.0")
    if table:
        with (root / "pyproject.toml").open("a", encoding="utf-8") as f:
            f.write("\n" + table)
        git(root, "commit", "--quiet", "--all", "--message", "chore: configure")
    commit(root, "refactor: drop py39\n\nBREAKING CHANGE: Python 3.9 is gone")

    code, out, _ = releasekit("--project", root, "--json", "bump-version", "auto", "--dry-run")

    assert code == 0
    assert json.loads(out)["version"] == expected


CHANGELOG = """\
# Changelog

## [Unreleased]

### Added

## [1.2.0] - 2026-01-01

- The first release.
"""


def test_changelog_from_commits_fills_an_empty_unreleased_section(
    tmp_path: Path, releasekit: Releasekit
) -> None:
    root = repository(tmp_path, table="changelog-from-commits = true\n", changelog=CHANGELOG)
    commit(root, "fix: a crash on empty input")
    commit(root, "docs: not in the changelog")
    commit(root, "feat(cli): a --json flag")
    commit(root, "feat!: settings move to pyproject.toml")

    code, _, _ = releasekit("--project", root, "bump-version", "auto")

    text = (root / "CHANGELOG.md").read_text(encoding="utf-8")
    assert code == 0
    section = text.split("## [2.0.0] - ", 1)[1].split("## [1.2.0]", 1)[0]
    assert section.split("\n", 1)[1] == (
        "\n### Added\n\n- a --json flag\n\n"
        "### Changed\n\n- **Breaking:** settings move to pyproject.toml\n\n"
        "### Fixed\n\n- a crash on empty input\n\n"
    )
    assert "## [Unreleased]\n\n## [2.0.0]" in text


def test_changelog_from_commits_leaves_written_entries_alone(
    tmp_path: Path, releasekit: Releasekit
) -> None:
    written = CHANGELOG.replace("### Added\n", "### Added\n- Written by hand.\n")
    root = repository(tmp_path, table="changelog-from-commits = true\n", changelog=written)
    commit(root, "feat: a feature")

    code, _, _ = releasekit("--project", root, "bump-version", "auto")

    text = (root / "CHANGELOG.md").read_text(encoding="utf-8")
    assert code == 0
    assert "- Written by hand.\n" in text
    assert "a feature" not in text
