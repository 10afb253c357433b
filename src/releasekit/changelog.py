"""The changelog at a release: roll a Keep a Changelog "Unreleased" section into the new
version's section, or find the project's own tool (towncrier, scriv) to write it."""

from __future__ import annotations

import datetime
import re
import shutil
from pathlib import Path
from typing import Any

from releasekit.errors import ProjectError


def _unreleased_heading(title: str) -> re.Pattern[str]:
    # "## [Unreleased]", "## Unreleased", "## [unreleased] - yyyy-mm-dd" all count.
    return re.compile(
        r"^(?P<hashes>#{1,3})[ \t]*(?P<title>\[?" + re.escape(title) + r"\]?)[^\n]*$",
        re.MULTILINE | re.IGNORECASE,
    )


def unreleased_is_empty(text: str, unreleased: str = "Unreleased") -> bool:
    """Whether the Unreleased section holds no entry (empty ``### Added`` headings and
    blank lines are not entries)."""
    match = _unreleased_heading(unreleased).search(text)
    if match is None:
        return False
    level = len(match.group("hashes"))
    for line in text[match.end() :].splitlines():
        heading = re.match(r"^(#{1,6})[ \t]", line)
        if heading and len(heading.group(1)) <= level:
            break  # the next release's section
        if line.strip() and not heading and not re.match(r"^\[[^\]]+\]:", line):
            return False
    return True


def roll_changelog(
    text: str,
    *,
    path: Path,
    version: str,
    previous_tag: str,
    new_tag: str,
    unreleased: str = "Unreleased",
    heading: str = "## [{version}] - {date}",
    today: datetime.date | None = None,
) -> str:
    """``text`` with the Unreleased section renamed to ``version`` and a fresh one above.

    Comparison links at the bottom (``[Unreleased]: .../compare/v1.0...HEAD``) are
    moved along, so the new version links to its own diff. A file with CRLF line endings
    throughout keeps them, in the new lines too.
    """
    if "\r\n" in text and text.count("\r\n") == text.count("\n"):
        lf = roll_changelog(
            text.replace("\r\n", "\n"),
            path=path,
            version=version,
            previous_tag=previous_tag,
            new_tag=new_tag,
            unreleased=unreleased,
            heading=heading,
            today=today,
        )
        return lf.replace("\n", "\r\n")
    match = _unreleased_heading(unreleased).search(text)
    if match is None:
        raise ProjectError(
            f"{path} has no '## [{unreleased}]' section to turn into {version}.",
            f"Add a '## [{unreleased}]' heading above the latest release (Keep a Changelog "
            "style), or set changelog = false in [tool.releasekit].",
        )
    date = (today or datetime.date.today()).isoformat()
    fresh = f"{match.group('hashes')} {match.group('title')}"
    new_heading = heading.format(version=version, date=date)
    rolled = text[: match.start()] + fresh + "\n\n" + new_heading + text[match.end() :]
    return _move_compare_link(rolled, unreleased, version, previous_tag, new_tag)


def _move_compare_link(
    text: str, unreleased: str, version: str, previous_tag: str, new_tag: str
) -> str:
    link = re.compile(
        r"^\["
        + re.escape(unreleased)
        + r"\]:[ \t]*(?P<base>\S+?)"
        + re.escape(previous_tag)
        + r"\.\.\.HEAD[ \t]*$",
        re.MULTILINE | re.IGNORECASE,
    )
    match = link.search(text)
    if match is None or not previous_tag:
        return text
    base = match.group("base")
    label = match.group(0)[1 : match.group(0).index("]")]
    replacement = (
        f"[{label}]: {base}{new_tag}...HEAD\n[{version}]: {base}{previous_tag}...{new_tag}"
    )
    return text[: match.start()] + replacement + text[match.end() :]


# --- which tool keeps the changelog -------------------------------------------------------

KEEP_A_CHANGELOG = "keepachangelog"
TOWNCRIER = "towncrier"
SCRIV = "scriv"
OTHER = "other"


def changelog_style(root: Path, pyproject: dict[str, Any], changelog: Path | None) -> str:
    """How the project keeps its changelog: towncrier or scriv when configured, Keep a
    Changelog when the file has an Unreleased heading, else "other" (left untouched)."""
    tool = pyproject.get("tool") if isinstance(pyproject.get("tool"), dict) else {}
    assert isinstance(tool, dict)
    if "towncrier" in tool or (root / "towncrier.toml").is_file():
        return TOWNCRIER
    if (
        "scriv" in tool
        or (root / "changelog.d" / "scriv.ini").is_file()
        or _ini_has(root / "setup.cfg", "scriv")
    ):
        return SCRIV
    if changelog is not None:
        text = changelog.read_bytes().decode("utf-8", errors="replace")
        if _unreleased_heading("Unreleased").search(text):
            return KEEP_A_CHANGELOG
        return OTHER
    return KEEP_A_CHANGELOG


def _ini_has(path: Path, section: str) -> bool:
    if not path.is_file():
        return False
    header = re.compile(r"^\[" + re.escape(section) + r"\]", re.MULTILINE)
    return bool(header.search(path.read_text(encoding="utf-8", errors="replace")))


def changelog_tool_command(style: str, root: Path, python: str, version: str) -> list[str]:
    """The command that writes ``version``'s section with the project's own tool.

    The tool is the project's, never releasekit's: looked up next to ``python`` (the
    session's environment), then on PATH.
    """
    argv = {
        TOWNCRIER: ["build", "--version", version, "--yes"],
        SCRIV: ["collect", "--version", version],
    }[style]
    for candidate in (Path(python).parent / style, shutil.which(style)):
        if candidate and Path(candidate).is_file():
            return [str(candidate), *argv]
    raise ProjectError(
        f"{root.name} keeps its changelog with {style}, which is not installed here "
        f"(looked next to {python} and on PATH).",
        f"Install {style} in the environment that runs releasekit (pip install {style}), "
        "or set changelog = false to bump without writing the changelog.",
    )


def mentions_version(text: str, version: str) -> bool:
    """True when ``version`` appears in ``text`` as a whole version (1.2.3 is not in 1.2.30)."""
    return (
        re.search(r"(?<![0-9A-Za-z.])v?" + re.escape(version) + r"(?![0-9A-Za-z])", text)
        is not None
    )
