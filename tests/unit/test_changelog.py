"""The changelog writer: the new version's heading takes the form of the file's latest
one (brackets, separator, date format, links), Unreleased keeps its own."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from releasekit.changelog import add_version_section, roll_changelog, unreleased_is_empty
from releasekit.errors import ProjectError

TODAY = datetime.date(2026, 12, 2)


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
