"""`releasekit notes`: one version's section of the changelog, as each tool writes it.

The towncrier and scriv changelogs are written by the real tools (installed by the test
extra), from fragments, into a git repository, as a release would.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from packaging.version import Version

from layouts import write
from releasekit import cli
from releasekit.errors import ExitCode
from releasekit.notes import MARKDOWN, section_of, versions_in

BIN = Path(sys.executable).parent

KEEP_A_CHANGELOG = """\
# Changelog

## [Unreleased]

### Added
- Something not released yet.

## [1.1.0] - 2026-01-02

### Added
- Release notes from the changelog.

```markdown
## [1.0.0] - a heading in a code block is text
```

### Fixed
- A crash.

## [1.0.0] - 2025-12-01

- The first release.

[Unreleased]: https://github.com/acme/demo/compare/v1.1.0...HEAD
[1.1.0]: https://github.com/acme/demo/compare/v1.0.0...v1.1.0
[1.0.0]: https://github.com/acme/demo/releases/tag/v1.0.0
"""


def project(
    root: Path, changelog: str, *, name: str = "CHANGELOG.md", version: str = "1.1.0"
) -> Path:
    return write(
        root,
        {
            "pyproject.toml": f'[project]\nname = "demo"\nversion = "{version}"\n',
            name: changelog,
        },
    )


def notes(capsys: pytest.CaptureFixture[str], root: Path, *args: str) -> tuple[int, str, str]:
    code = cli.main(["--project", str(root), "notes", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_prints_the_current_versions_section_and_only_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = project(tmp_path, KEEP_A_CHANGELOG)

    code, out, _ = notes(capsys, root)

    assert code == 0
    assert out == (
        "### Added\n- Release notes from the changelog.\n\n"
        "```markdown\n## [1.0.0] - a heading in a code block is text\n```\n\n"
        "### Fixed\n- A crash.\n"
    )


def test_an_older_version_ends_before_the_comparison_links(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = project(tmp_path, KEEP_A_CHANGELOG)

    code, out, _ = notes(capsys, root, "1.0.0")

    assert code == 0
    assert out == "- The first release.\n"


def test_json_names_the_version_tag_file_and_format(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = project(tmp_path, KEEP_A_CHANGELOG)

    code, out, _ = notes(capsys, root, "--json", "1.0.0")

    assert code == 0
    assert json.loads(out) == {
        "step": "notes",
        "ok": True,
        "project": "demo",
        "version": "1.0.0",
        "tag": "v1.0.0",
        "changelog": "CHANGELOG.md",
        "format": "markdown",
        "heading": "[1.0.0] - 2025-12-01",
        "notes": "- The first release.\n",
    }


def test_a_version_without_a_section_is_refused_naming_those_there(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = project(tmp_path, KEEP_A_CHANGELOG)

    code, out, err = notes(capsys, root, "1.2.0")

    assert code == ExitCode.PROJECT
    assert out == ""
    assert "CHANGELOG.md has no section for demo 1.2.0" in err
    assert "versions with a heading there: 1.1.0, 1.0.0" in err
    assert "Traceback" not in err


def test_a_project_without_a_changelog_is_told_how_to_keep_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path, {"pyproject.toml": '[project]\nname = "demo"\nversion = "1.0.0"\n'})

    code, _, err = notes(capsys, tmp_path)

    assert code == ExitCode.PROJECT
    assert "demo has no changelog" in err


def test_a_version_is_matched_as_a_version_not_as_text(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    changelog = "# Changes\n\n## v1.10.0 (2026-02-01)\n\n- Ten.\n\n## v1.1 (2026-01-01)\n\n- One.\n"
    root = project(tmp_path, changelog, version="1.1.0")

    code, out, _ = notes(capsys, root)

    assert code == 0
    assert out == "- One.\n"


def test_restructuredtext_sections_end_at_a_title_of_the_same_level(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    changelog = (
        "=========\nChangelog\n=========\n\n"
        "Version 1.1.0\n-------------\n\nReleased 2026-01-02\n\n"
        "Fixes\n~~~~~\n\n-   A crash.\n\n"
        "Version 1.0.0\n-------------\n\n-   The first release.\n"
    )
    root = project(tmp_path, changelog, name="CHANGES.rst")

    code, out, _ = notes(capsys, root, "--json")

    summary = json.loads(out)
    assert code == 0
    assert summary["format"] == "restructuredtext"
    assert summary["heading"] == "Version 1.1.0"
    assert summary["notes"] == "Released 2026-01-02\n\nFixes\n~~~~~\n\n-   A crash.\n"


SETEXT = """\
Changelog
=========

1.1.0 (2026-01-02)
------------------

### Added

- Release notes from the changelog.

- A list item
---

1.0.0 (2025-12-01)
------------------

The first
release.
"""


def test_markdown_setext_headings_are_read_as_commonmark_reads_them() -> None:
    found = section_of(SETEXT, Version("1.1.0"), format=MARKDOWN)

    # "---" under a list item is a rule (inside the section), not a heading.
    assert found == (
        "1.1.0 (2026-01-02)",
        "### Added\n\n- Release notes from the changelog.\n\n- A list item\n---\n",
    )
    assert section_of(SETEXT, Version("1.0.0"), format=MARKDOWN) == (
        "1.0.0 (2025-12-01)",
        "The first\nrelease.\n",
    )


def test_a_setext_heading_ends_at_one_of_the_same_level_in_either_style() -> None:
    text = "Changes\n=======\n\n## 1.1.0\n\n- Two.\n\n1.0.0\n-----\n\n- One.\n"

    assert section_of(text, Version("1.1.0"), format=MARKDOWN) == ("1.1.0", "- Two.\n")
    assert versions_in(text, format=MARKDOWN) == ["1.1.0", "1.0.0"]


def test_a_rule_after_a_blank_line_is_no_heading() -> None:
    text = "## 1.1.0\n\n- Two.\n\n1.0.0\n\n---\n\n- One.\n"

    assert section_of(text, Version("1.1.0"), format=MARKDOWN) == (
        "1.1.0",
        "- Two.\n\n1.0.0\n\n---\n\n- One.\n",
    )
    assert section_of(text, Version("1.0.0"), format=MARKDOWN) is None


def test_a_multi_line_setext_heading_is_one_heading() -> None:
    text = "Release\n1.1.0\n=====\n\n- Two.\n"

    assert section_of(text, Version("1.1.0"), format=MARKDOWN) == ("Release 1.1.0", "- Two.\n")
