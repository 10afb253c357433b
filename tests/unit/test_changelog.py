"""The changelog writer: the new version's heading takes the form of the file's latest
one (brackets, separator, date format, links), Unreleased keeps its own."""

from __future__ import annotations

import datetime
import subprocess
from pathlib import Path

import pytest

from layouts import git_init, write
from releasekit.changelog import add_version_section, roll_changelog, unreleased_is_empty
from releasekit.cli import main
from releasekit.errors import ExitCode, ProjectError

TODAY = datetime.date(2026, 12, 2)


def git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=root, check=True, capture_output=True, text=True
    ).stdout.strip()


def roll(text: str, version: str = "5.3.2", previous: str = "v5.3.1") -> str:
    return roll_changelog(
        text,
        path=Path("CHANGELOG.md"),
        version=version,
        previous_tag=previous,
        new_tag=f"v{version}",
        today=TODAY,
    )


@pytest.mark.parametrize(
    ("latest", "expected"),
    [
        ("## 5.3.1 (2026-05-18)", "## 5.3.2 (2026-12-02)"),
        ("## [5.3.1] - 2026-05-18", "## [5.3.2] - 2026-12-02"),
        ("## v5.3.1 - 2026/05/18", "## v5.3.2 - 2026/12/02"),
        ("## Version 5.3.1 — 18.05.2026", "## Version 5.3.2 — 02.12.2026"),
        ("## 5.3.1 (28th November, 2025)", "## 5.3.2 (2nd December, 2026)"),
        ("## 5.3.1 - May 8, 2026", "## 5.3.2 - December 2, 2026"),
        ("## 5.3.1 (Nov 28, 2025)", "## 5.3.2 (Dec 2, 2026)"),
        ("## 5.3.1 / 18 May 2026", "## 5.3.2 / 2 December 2026"),
        ("## 5.3.1", "## 5.3.2"),
        ("## 18.05.2026: 5.3.1", "## 02.12.2026: 5.3.2"),
        (
            "## [5.3.1](https://github.com/o/r/compare/v5.3.0...v5.3.1) (2026-05-18)",
            "## [5.3.2](https://github.com/o/r/compare/v5.3.1...v5.3.2) (2026-12-02)",
        ),
        (
            "## [5.3.1](https://github.com/o/r/releases/tag/v5.3.1) - 2026-05-18",
            "## [5.3.2](https://github.com/o/r/releases/tag/v5.3.2) - 2026-12-02",
        ),
    ],
)
def test_the_new_heading_is_written_like_the_latest_version_heading(
    latest: str, expected: str
) -> None:
    text = f"# Changelog\n\n## Unreleased\n\n- Fixed it.\n\n{latest}\n\n- Older.\n"

    assert roll(text) == (
        f"# Changelog\n\n## Unreleased\n\n{expected}\n\n- Fixed it.\n\n{latest}\n\n- Older.\n"
    )


def test_a_calendar_versioned_heading_with_a_compare_link() -> None:
    """structlog's form: the tags are the bare versions."""
    text = (
        "## [Unreleased](https://github.com/hynek/structlog/compare/26.1.0...HEAD)\n\n- It.\n\n"
        "## [26.1.0](https://github.com/hynek/structlog/compare/25.5.0...26.1.0) - 2026-06-06\n"
    )

    rolled = roll_changelog(
        text,
        path=Path("CHANGELOG.md"),
        version="26.2.0",
        previous_tag="26.1.0",
        new_tag="26.2.0",
        today=TODAY,
    )

    assert rolled.startswith(
        "## [Unreleased](https://github.com/hynek/structlog/compare/26.2.0...HEAD)\n\n"
        "## [26.2.0](https://github.com/hynek/structlog/compare/26.1.0...26.2.0) - 2026-12-02\n"
    )


def test_keep_a_changelog_links_at_the_bottom_get_the_new_version_and_move_unreleased() -> None:
    text = (
        "# Changelog\n\n## [Unreleased]\n\n### Fixed\n- It.\n\n## [1.0.0] - 2026-01-05\n\n"
        "- First.\n\n"
        "[Unreleased]: https://github.com/o/r/compare/v1.0.0...HEAD\n"
        "[1.0.0]: https://github.com/o/r/releases/tag/v1.0.0\n"
    )

    assert roll(text, "1.0.1", "v1.0.0") == (
        "# Changelog\n\n## [Unreleased]\n\n## [1.0.1] - 2026-12-02\n\n### Fixed\n- It.\n\n"
        "## [1.0.0] - 2026-01-05\n\n- First.\n\n"
        "[Unreleased]: https://github.com/o/r/compare/v1.0.1...HEAD\n"
        "[1.0.1]: https://github.com/o/r/releases/tag/v1.0.1\n"
        "[1.0.0]: https://github.com/o/r/releases/tag/v1.0.0\n"
    )


def test_a_compare_definition_of_the_latest_version_is_followed() -> None:
    text = (
        "## [Unreleased]\n\n- It.\n\n## [1.0.0] - 2026-01-05\n\n"
        "[Unreleased]: https://gitlab.com/o/r/-/compare/v1.0.0...HEAD\n"
        "[1.0.0]: https://gitlab.com/o/r/-/compare/v0.9.0...v1.0.0\n"
    )

    rolled = roll(text, "1.0.1", "v1.0.0")

    assert rolled.endswith(
        "[Unreleased]: https://gitlab.com/o/r/-/compare/v1.0.1...HEAD\n"
        "[1.0.1]: https://gitlab.com/o/r/-/compare/v1.0.0...v1.0.1\n"
        "[1.0.0]: https://gitlab.com/o/r/-/compare/v0.9.0...v1.0.0\n"
    )


def test_unreleased_keeps_its_link_in_the_heading() -> None:
    text = (
        "## [Unreleased](https://github.com/o/r/compare/v1.0.0...HEAD)\n\n- It.\n\n"
        "## [1.0.0](https://github.com/o/r/compare/v0.9.0...v1.0.0) - 2026-01-05\n"
    )

    assert roll(text, "1.0.1", "v1.0.0") == (
        "## [Unreleased](https://github.com/o/r/compare/v1.0.1...HEAD)\n\n"
        "## [1.0.1](https://github.com/o/r/compare/v1.0.0...v1.0.1) - 2026-12-02\n\n- It.\n\n"
        "## [1.0.0](https://github.com/o/r/compare/v0.9.0...v1.0.0) - 2026-01-05\n"
    )


def test_restructuredtext_underlined_headings() -> None:
    text = (
        "Changelog\n=========\n\nUnreleased\n----------\n\n- Fixed it.\n\n"
        "5.3.1 (2026-05-18)\n------------------\n\n- Older.\n"
    )

    assert roll(text) == (
        "Changelog\n=========\n\nUnreleased\n----------\n\n"
        "5.3.2 (2026-12-02)\n------------------\n\n- Fixed it.\n\n"
        "5.3.1 (2026-05-18)\n------------------\n\n- Older.\n"
    )


def test_a_restructuredtext_file_with_no_release_yet_gets_an_underlined_heading() -> None:
    text = "Changes\n=======\n\nUnreleased\n~~~~~~~~~~\n\n- First.\n"

    assert roll(text, "0.1.0") == (
        "Changes\n=======\n\nUnreleased\n~~~~~~~~~~\n\n0.1.0 (2026-12-02)\n~~~~~~~~~~~~~~~~~~"
        "\n\n- First.\n"
    )


def test_an_explicit_changelog_heading_setting_wins() -> None:
    text = "## Unreleased\n\n- It.\n\n## 5.3.1 (2026-05-18)\n"

    rolled = roll_changelog(
        text,
        path=Path("CHANGELOG.md"),
        version="5.3.2",
        previous_tag="v5.3.1",
        new_tag="v5.3.2",
        heading="## Release {version} on {date}",
        today=TODAY,
    )

    assert "## Release 5.3.2 on 2026-12-02\n" in rolled


@pytest.mark.parametrize(
    ("text", "empty"),
    [
        ("## [Unreleased]\n\n### Added\n\n### Fixed\n\n## [1.0.0] - 2026-01-05\n- x\n", True),
        ("## [Unreleased]\n\n### Added\n- A thing.\n\n## [1.0.0]\n", False),
        ("Unreleased\n----------\n\n1.0.0\n-----\n\n- x\n", True),
        ("Unreleased\n----------\n\n- y\n\n1.0.0\n-----\n\n- x\n", False),
        ("## 1.0.0\n\n- x\n", False),  # no such section: nothing to say it is empty
    ],
)
def test_an_empty_unreleased_section_is_told_apart(text: str, empty: bool) -> None:
    assert unreleased_is_empty(text) is empty


# --- the project's own tools, run as a nox session runs them -------------------------------

SETUP_CFG = (
    "[metadata]\nname = demo-pkg\nversion = 1.2.3\n\n"
    "[options]\npackage_dir =\n    = src\npackages = find:\n\n"
    "[options.packages.find]\nwhere = src\n"
)
BUILD_SYSTEM = (
    '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n'
)
REQUIRED = "\n[tool.releasekit]\nchangelog-required = true\n"


def towncrier_project(root: Path, table: str = "", *, fragment: bool = True) -> Path:
    """A src-layout setup.cfg project whose towncrier configuration names its package:
    towncrier imports it to learn the name, which fails where it is not installed."""
    write(
        root,
        {
            "setup.cfg": SETUP_CFG,
            "src/demo_pkg/__init__.py": "",
            "pyproject.toml": BUILD_SYSTEM
            + '\n[tool.towncrier]\npackage = "demo_pkg"\ndirectory = "changes"\n'
            'filename = "CHANGES.md"\n' + table,
            "CHANGES.md": "# Changes\n\n<!-- towncrier release notes start -->\n",
        },
    )
    if fragment:
        write(root, {"changes/42.bugfix.md": "Fixed the frobnicator.\n"})
    else:
        write(root, {"changes/.gitignore": "!.gitignore\n"})
    return root


def bump(root: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["bump-version", "patch", "--project", str(root), *args])
    return code, capsys.readouterr().err


def test_towncrier_needs_not_import_the_package_of_a_src_layout(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = git_init(towncrier_project(tmp_path), tag="v1.2.3")

    code, err = bump(root, capsys)

    assert code == ExitCode.OK, err
    changes = (root / "CHANGES.md").read_text()
    assert "# Demo_Pkg 1.2.4 (" in changes
    assert "- Fixed the frobnicator. (#42)" in changes
    assert not (root / "changes/42.bugfix.md").exists()
    assert git(root, "status", "--porcelain") == ""


def test_a_towncrier_template_missing_from_the_tree_is_refused_before_anything_changes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = git_init(
        towncrier_project(tmp_path, 'template = "changes/template.md.jinja"\n'), tag="v1.2.3"
    )
    head = git(root, "rev-parse", "HEAD")

    code, err = bump(root, capsys)

    assert code == ExitCode.PROJECT
    assert (
        "towncrier would fail writing the changelog: towncrier's template "
        "changes/template.md.jinja (tool.towncrier.template) does not exist"
    ) in err
    assert git(root, "rev-parse", "HEAD") == head
    assert git(root, "status", "--porcelain") == ""


def scriv_project(root: Path, fragment: bool = True, table: str = "") -> Path:
    files = {
        "pyproject.toml": BUILD_SYSTEM + table,
        "setup.cfg": SETUP_CFG + "\n[scriv]\nformat = md\n",
        "src/demo_pkg/__init__.py": "",
        "CHANGELOG.md": "# Changelog\n\n<!-- scriv-insert-here -->\n",
        "changelog.d/README.md": "Fragments go here.\n",
    }
    if fragment:
        files["changelog.d/20261201_fix.md"] = "### Fixed\n\n- The frobnicator.\n"
    return write(root, files)


def test_scriv_with_no_fragments_is_a_note_and_the_bump_goes_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = git_init(scriv_project(tmp_path, fragment=False), tag="v1.2.3")
    before = (root / "CHANGELOG.md").read_bytes()

    code = main(["bump-version", "patch", "--project", str(root), "--json"])

    out = capsys.readouterr().out
    assert code == ExitCode.OK, out
    assert "No scriv fragments in changelog.d/: the changelog is left as it is." in out
    assert (root / "CHANGELOG.md").read_bytes() == before
    assert "version = 1.2.4" in (root / "setup.cfg").read_text()


def test_scriv_collects_with_its_options(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = git_init(scriv_project(tmp_path), tag="v1.2.3")
    # An editor scriv would open by this git setting has no terminal: --no-edit.
    git(root, "config", "scriv.collect.edit", "true")

    code, err = bump(root, capsys)

    assert code == ExitCode.OK, err
    assert "- The frobnicator." in (root / "CHANGELOG.md").read_text()
    assert "1.2.4" in (root / "CHANGELOG.md").read_text()
    assert git(root, "status", "--porcelain") == ""


@pytest.mark.parametrize("tool", ["towncrier", "scriv"])
def test_changelog_required_refuses_a_release_with_no_fragments(
    tmp_path: Path, tool: str, capsys: pytest.CaptureFixture[str]
) -> None:
    if tool == "towncrier":
        root = towncrier_project(tmp_path, REQUIRED, fragment=False)
    else:
        root = scriv_project(tmp_path, fragment=False, table=REQUIRED)
    root = git_init(root, tag="v1.2.3")

    code, err = bump(root, capsys)

    assert code == ExitCode.PROJECT
    directory = "changes" if tool == "towncrier" else "changelog.d"
    assert f"There are no {tool} fragments in {directory}/ to write 1.2.4's" in err
    assert git(root, "status", "--porcelain") == ""


def test_changelog_required_refuses_a_project_without_a_changelog(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write(
        tmp_path,
        {"pyproject.toml": '[project]\nname = "demo"\nversion = "1.2.3"\n' + REQUIRED},
    )
    root = git_init(root, tag="v1.2.3")

    code, err = bump(root, capsys)

    assert code == ExitCode.PROJECT
    assert "No changelog was found" in err
    assert "and changelog-required is set." in " ".join(err.split())
    assert git(root, "status", "--porcelain") == ""


def test_changelog_required_refuses_an_empty_unreleased_section(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "demo"\nversion = "1.2.3"\n\n'
            "[tool.releasekit]\nchangelog-required = true\n",
            "CHANGELOG.md": "## [Unreleased]\n\n### Added\n\n## [1.2.3] - 2026-01-05\n\n- x\n",
        },
    )
    root = git_init(root, tag="v1.2.3")

    code, err = bump(root, capsys)

    assert code == ExitCode.PROJECT
    assert (
        "The [Unreleased] section of CHANGELOG.md is empty: the 1.2.4 section says nothing "
        "about what changed, and changelog-required is set."
    ) in " ".join(err.split())
    assert git(root, "status", "--porcelain") == ""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "# History\n\n## [v1.2.0](https://x/compare/v1.1.0...v1.2.0) - 2026-01-01\n\n- A.\n",
            "# History\n\n## [v1.3.0](https://x/compare/v1.2.0...v1.3.0) - 2026-02-03\n\n"
            "- B.\n\n## [v1.2.0]",
        ),
        (
            "1.2.0 (1 Jan 2026)\n~~~~~~~~~~~~~~~~~~\n\n- A.\n",
            "1.3.0 (3 Feb 2026)\n~~~~~~~~~~~~~~~~~~\n\n- B.\n\n1.2.0",
        ),
    ],
    ids=["markdown-link", "rst-date"],
)
def test_a_version_section_is_added_above_the_latest_in_its_form(text: str, expected: str) -> None:
    added = add_version_section(
        text,
        path=Path("CHANGES"),
        version="1.3.0",
        entries="- B.\n",
        previous_tag="v1.2.0",
        new_tag="v1.3.0",
        today=datetime.date(2026, 2, 3),
    )

    assert added.startswith(expected)


def test_a_version_section_needs_a_version_heading_to_follow() -> None:
    with pytest.raises(ProjectError, match=r"CHANGES\.md has no heading that names a version"):
        add_version_section(
            "# Changes\n\nNothing yet.\n",
            path=Path("CHANGES.md"),
            version="1.0.0",
            entries="- A.\n",
            previous_tag="",
            new_tag="v1.0.0",
        )
