"""`bump-version auto` with changelog-from-commits on changelogs with a heading per version
(Markdown `##` or Setext, reStructuredText): the new version's section is written from the
conventional commits, in the form of the latest heading; real git repositories."""

from __future__ import annotations

import datetime
import subprocess
from pathlib import Path

import pytest

from layouts import write
from release_project import Releasekit
from releasekit.errors import ExitCode

TODAY = datetime.date.today().isoformat()


def git(root: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, text=True)
    return done.stdout.strip()


def repository(root: Path, name: str, changelog: str) -> Path:
    write(
        root,
        {
            "pyproject.toml": '[project]\nname = "demo"\nversion = "1.2.0"\n\n'
            "[tool.releasekit]\nchangelog-from-commits = true\n",
            "src.txt": "",
            name: changelog,
        },
    )
    git(root, "init", "--quiet", "--initial-branch=main")
    git(root, "add", "--all")
    git(root, "commit", "--quiet", "--message", "feat: the first release")
    git(root, "tag", "--annotate", "--message", "Release 1.2.0", "v1.2.0")
    for message in ("fix: a crash on empty input", "docs: words", "feat(cli): a --json flag"):
        path = root / "src.txt"
        path.write_text(path.read_text(encoding="utf-8") + message + "\n", encoding="utf-8")
        git(root, "commit", "--quiet", "--all", "--message", message)
    return root


ENTRIES = "- a crash on empty input\n- a --json flag\n"


@pytest.mark.parametrize(
    ("name", "changelog", "section"),
    [
        (
            "CHANGELOG.md",
            "# Changes\n\n## 1.2.0 (2026-01-01)\n\n- First.\n",
            f"# Changes\n\n## 1.3.0 ({TODAY})\n\n{ENTRIES}\n## 1.2.0 (2026-01-01)\n",
        ),
        (
            "CHANGELOG.md",
            "Changes\n=======\n\nv1.2.0\n------\n\n- First.\n",
            f"Changes\n=======\n\nv1.3.0\n------\n\n{ENTRIES}\nv1.2.0\n------\n",
        ),
        (
            "CHANGES.rst",
            "Changelog\n=========\n\nVersion 1.2.0\n-------------\n\n- First.\n",
            f"Changelog\n=========\n\nVersion 1.3.0\n-------------\n\n{ENTRIES}\nVersion 1.2.0\n",
        ),
    ],
    ids=["markdown", "setext", "restructuredtext"],
)
def test_the_new_versions_section_is_written_in_the_files_form(
    name: str, changelog: str, section: str, tmp_path: Path, releasekit: Releasekit
) -> None:
    root = repository(tmp_path, name, changelog)

    code, out, err = releasekit("--project", root, "bump-version", "auto")

    assert code == 0, err
    assert (root / name).read_text(encoding="utf-8").startswith(section)
    assert "1.3.0's section is written from the 2 releasable commit(s)" in out
    assert "left as it is" not in out
    # `releasekit notes` reads back what was written.
    assert releasekit("--project", root, "notes")[1] == ENTRIES


def test_a_section_written_by_hand_is_left_alone(tmp_path: Path, releasekit: Releasekit) -> None:
    changelog = "# Changes\n\n## 1.3.0\n\n- By hand.\n\n## 1.2.0\n\n- First.\n"
    root = repository(tmp_path, "CHANGELOG.md", changelog)

    code, _, err = releasekit("--project", root, "bump-version", "auto")

    assert code == 0, err
    assert (root / "CHANGELOG.md").read_text(encoding="utf-8") == changelog


def test_a_changelog_without_a_version_heading_is_refused_before_anything_changes(
    tmp_path: Path, releasekit: Releasekit
) -> None:
    root = repository(tmp_path, "CHANGELOG.md", "# Changes\n\nSee the commits.\n")

    code, _, err = releasekit("--project", root, "bump-version", "auto")

    assert code == ExitCode.PROJECT
    assert "CHANGELOG.md has no heading that names a version" in err
    assert 'version = "1.2.0"' in (root / "pyproject.toml").read_text(encoding="utf-8")
    assert git(root, "status", "--porcelain") == ""
