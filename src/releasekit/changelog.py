"""Roll a Keep a Changelog "Unreleased" section into the new version's section."""

from __future__ import annotations

import datetime
import re
from pathlib import Path

from releasekit.errors import ProjectError


def _unreleased_heading(title: str) -> re.Pattern[str]:
    # "## [Unreleased]", "## Unreleased", "## [unreleased] - yyyy-mm-dd" all count.
    return re.compile(
        r"^(?P<hashes>#{1,3})[ \t]*(?P<title>\[?" + re.escape(title) + r"\]?)[^\n]*$",
        re.MULTILINE | re.IGNORECASE,
    )


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
