"""Release notes: one version's section of the changelog, and only it.

A changelog is read as a sequence of headings (Markdown ``#`` or Setext headings, or
reStructuredText titles underlined, maybe overlined, with punctuation); the section of a
version is the first heading that names that version, up to the next heading of the same
or a higher level. That one rule reads Keep a Changelog (``## [1.2.0] - 2026-01-02``),
towncrier (``## 1.2.0 (2026-01-02)``, ``name 1.2.0 (date)`` over ``====``) and scriv
(``# 1.2.0 — 2026-01-02``, with its ``<a id=...>`` anchors) alike, without knowing which
tool wrote the file. The text is returned as the file has it (Markdown stays Markdown).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from packaging.version import InvalidVersion, Version

from releasekit.errors import ProjectError
from releasekit.files import relative_path

if TYPE_CHECKING:
    from releasekit.plan import ReleasePlan

MARKDOWN = "markdown"
RESTRUCTUREDTEXT = "restructuredtext"

_ATX = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)[ \t#]*$")
# An RST adornment line: one punctuation character repeated (at least three times, so a
# "--" in the text is not taken for one).
_ADORNMENT = re.compile(r"^([!-/:-@\[-`{-~])\1{2,}[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_THEMATIC_BREAK = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
# Lines that open a block no Setext underline turns into a heading: a list item, a quote,
# indented code, HTML (scriv's anchors).
_OTHER_BLOCK = re.compile(r"^(?: {0,3}(?:[-+*]|\d{1,9}[.)])(?:[ \t]|$)| {0,3}[><]| {4}|\t)")
# Dates in headings ("2026-01-02") are not versions.
_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
_VERSION_TOKEN = re.compile(r"(?<![\w.+-])v?(\d+(?:\.\d+)*(?:[._-]?[A-Za-z]+\.?\d*)*(?:\+[\w.]+)?)")
_RELEASE = re.compile(r"\d+(?:\.\d+)*")
# What a tool leaves between sections and that belongs to neither: scriv's anchors, the
# link definitions Keep a Changelog puts at the bottom for each version's comparison.
_ANCHOR = re.compile(r"^<a id=['\"][^'\"]*['\"]>\s*</a>\s*$")
_VERSION_LINK = re.compile(r"^\[(?:unreleased|v?\d[^\]]*)\]:\s*\S+\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Heading:
    line: int  # index of its first line (the overline, if any)
    end: int  # index of the first line after it
    level: int
    text: str


@dataclass(frozen=True)
class ReleaseNotes:
    """The section of ``version`` in ``changelog``: its heading and the text under it."""

    changelog: Path
    version: str
    heading: str
    body: str
    format: str

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "changelog": str(self.changelog),
            "format": self.format,
            "heading": self.heading,
            "notes": self.body,
        }


def file_format(path: Path) -> str:
    return RESTRUCTUREDTEXT if path.suffix.lower() in (".rst", ".rest") else MARKDOWN


def _markdown_headings(lines: list[str]) -> Iterator[Heading]:
    """ATX headings (``## 1.2.0``) and Setext ones (a paragraph over ``===`` or ``---``),
    as CommonMark reads them: ``---`` after a blank line, a list item or a quote is a rule."""
    fence = ""
    paragraph: int | None = None  # the first line of the paragraph being read
    other_block = False  # a list item or a quote, whose lines an underline does not take
    for number, line in enumerate(lines):
        opening = _FENCE.match(line)
        if opening and (not fence or opening.group(1).startswith(fence)):
            fence = "" if fence else opening.group(1)[:3]
            paragraph, other_block = None, False
            continue
        if fence:
            continue
        if not line.strip():
            paragraph, other_block = None, False
            continue
        atx = _ATX.match(line)
        if atx:
            yield Heading(number, number + 1, len(atx.group(1)), atx.group(2))
            paragraph, other_block = None, False
            continue
        underline = _SETEXT.match(line)
        if underline and paragraph is not None:
            text = " ".join(part.strip() for part in lines[paragraph:number])
            yield Heading(paragraph, number + 1, 1 if underline[1][0] == "=" else 2, text)
            paragraph = None
            continue
        if _THEMATIC_BREAK.match(line):
            paragraph, other_block = None, False
        elif paragraph is None and not other_block:
            if _OTHER_BLOCK.match(line):
                other_block = True
            else:
                paragraph = number


def _rst_headings(lines: list[str]) -> Iterator[Heading]:
    """Titles underlined (maybe also overlined) by a repeated punctuation character; the
    level of a style is the order in which it first appears, as docutils has it."""
    styles: list[tuple[str, bool]] = []
    number = 0
    while number + 1 < len(lines):
        text, under = lines[number], lines[number + 1]
        over = False
        if _ADORNMENT.match(text) and number + 2 < len(lines):
            # An overline, the title, an underline of the same character.
            title, below = lines[number + 1], lines[number + 2]
            if title.strip() and _ADORNMENT.match(below) and below[0] == text[0]:
                text, under, over = title, below, True
        if (
            text.strip()
            and not _ADORNMENT.match(text)
            and _ADORNMENT.match(under)
            and len(under.rstrip()) >= len(text.strip())
            and not text.startswith((" ", "\t"))
        ) or over:
            style = (under[0], over)
            if style not in styles:
                styles.append(style)
            end = number + (3 if over else 2)
            yield Heading(number, end, styles.index(style) + 1, text.strip())
            number = end
            continue
        number += 1


def names_version(heading: str, version: Version) -> bool:
    """Whether ``heading`` names ``version`` (``[1.2.0]``, ``v1.2.0``, ``name 1.2.0``)."""
    release = _trimmed(version.release)
    for token in _VERSION_TOKEN.findall(_DATE.sub(" ", heading)):
        # Most headings name other releases: their numbers tell without parsing them.
        numbers = _RELEASE.match(token)
        if numbers is None or _trimmed(tuple(map(int, numbers[0].split(".")))) != release:
            continue
        try:
            if Version(token) == version:
                return True
        except InvalidVersion:
            continue
    return False


def _trimmed(release: tuple[int, ...]) -> tuple[int, ...]:
    """1.2.0 and 1.2 are the same release."""
    end = len(release)
    while end > 1 and release[end - 1] == 0:
        end -= 1
    return release[:end]


def _trim(lines: list[str]) -> list[str]:
    """The section without what only separates it from the next one."""
    end = len(lines)
    while end and (
        not lines[end - 1].strip()
        or _ANCHOR.match(lines[end - 1])
        or _VERSION_LINK.match(lines[end - 1])
    ):
        end -= 1
    start = 0
    while start < end and not lines[start].strip():
        start += 1
    return lines[start:end]


def section_of(text: str, version: Version, *, format: str) -> tuple[str, str] | None:
    """``(heading, body)`` of ``version``'s section in ``text``, or None."""
    lines = text.replace("\r\n", "\n").split("\n")
    finder = _rst_headings if format == RESTRUCTUREDTEXT else _markdown_headings
    headings = list(finder(lines))
    for index, heading in enumerate(headings):
        if not names_version(heading.text, version):
            continue
        following = (h for h in headings[index + 1 :] if h.level <= heading.level)
        stop = next((h.line for h in following), len(lines))
        body = "\n".join(_trim(lines[heading.end : stop]))
        return heading.text, body + "\n" if body else ""
    return None


def versions_in(text: str, *, format: str) -> list[str]:
    """The headings that name some version, for the message when one is missing."""
    lines = text.replace("\r\n", "\n").split("\n")
    finder = _rst_headings if format == RESTRUCTUREDTEXT else _markdown_headings
    found = []
    for heading in finder(lines):
        tokens = _VERSION_TOKEN.findall(_DATE.sub(" ", heading.text))
        if tokens:
            found.append(tokens[0])
    return found


def release_notes(changelog: Path | None, version: str, *, project: str) -> ReleaseNotes:
    """The notes of ``version`` from ``changelog``; a ProjectError naming what is there
    when the file has no section for it."""
    if changelog is None:
        raise ProjectError(
            f"{project} has no changelog (CHANGELOG.md, CHANGES.rst, HISTORY.md, NEWS.md, "
            "... at the project's top, or the file set by 'changelog').",
            'Keep one with a heading per version, or set changelog = "PATH" in [tool.releasekit].',
        )
    try:
        wanted = Version(version)
    except InvalidVersion:
        raise ProjectError(
            f"{version!r} is not a version (PEP 440).", "Example: releasekit notes 1.2.0"
        ) from None
    format = file_format(changelog)
    text = changelog.read_bytes().decode("utf-8", errors="replace")
    found = section_of(text, wanted, format=format)
    if found is None:
        listed = ", ".join(versions_in(text, format=format)[:8]) or "none"
        raise ProjectError(
            f"{changelog.name} has no section for {project} {version} "
            f"(versions with a heading there: {listed}).",
            "Write the section (bump-version rolls the Unreleased section into it, "
            "towncrier build or scriv collect write it), or name another version.",
        )
    heading, body = found
    return ReleaseNotes(changelog, version, heading, body, format)


def notes_summary(plan: ReleasePlan, version: str | None, root: Path) -> tuple[dict[str, Any], str]:
    """``releasekit notes``' JSON summary and text: the notes of ``version`` (default: the
    plan's current version)."""
    version = version or str(plan.current)
    notes = release_notes(plan.project.changelog, version, project=plan.name)
    changelog = relative_path(notes.changelog, root)
    summary = {
        "step": "notes",
        "ok": True,
        "project": plan.name,
        "tag": plan.config.format_tag(version, plan.name),
        **notes.to_json(),
        "changelog": changelog,
    }
    return summary, notes.body.rstrip("\n")
