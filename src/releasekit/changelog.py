"""The changelog at a release: roll a Keep a Changelog "Unreleased" section into the new
version's section, or find the project's own tool (towncrier, scriv) to write it."""

from __future__ import annotations

import configparser
import datetime
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from releasekit.config import read_toml
from releasekit.errors import ProjectError

# --- headings ---------------------------------------------------------------------------

_ATX = re.compile(r"^(?P<hashes>#{1,6})[ \t]+(?P<title>[^\n]*?)[ \t]*$")
_UNDERLINE = re.compile(r"^(?P<char>[=\-~^\"'`#*+.:_])(?P=char){2,}[ \t]*$")
_FENCE = re.compile(r"^[ \t]*(```|~~~)")


@dataclass(frozen=True)
class Heading:
    """A section heading: Markdown ``## title`` or reStructuredText ``title`` over an
    underline (``start``/``end``: its lines' span in the text, without the last newline)."""

    title: str
    start: int
    end: int
    marker: str  # "##" (Markdown) or the underline's character (reStructuredText)
    underline: int = 0  # the underline's length

    @property
    def markdown(self) -> bool:
        return self.marker.startswith("#") and not self.underline


def headings(text: str) -> list[Heading]:
    """Every heading of a Markdown or reStructuredText text, in order (none inside a
    fenced code block)."""
    return list(_headings(text))


def _headings(text: str) -> Iterator[Heading]:
    lines = text.split("\n")
    offset = 0  # of the line being read
    fenced = False
    for number, line in enumerate(lines):
        start, offset = offset, offset + len(line) + 1
        if _FENCE.match(line):
            fenced = not fenced
        if fenced:
            continue
        atx = _ATX.match(line)
        if atx:
            title = atx.group("title").rstrip("#").rstrip()
            yield Heading(title, start, start + len(line), atx["hashes"])
            continue
        below = lines[number + 1] if number + 1 < len(lines) else ""
        underline = _UNDERLINE.match(below)
        title = line.rstrip()
        if (
            underline
            and title
            and not title[0].isspace()
            and not _UNDERLINE.match(line)
            and len(below.rstrip()) >= len(title)
        ):
            yield Heading(title, start, offset + len(below), underline["char"], len(below.rstrip()))


def _rank(heading: Heading, order: list[str]) -> int:
    """How high a heading is: the number of #, or the place of its underline character
    among those of the file (reStructuredText ranks them by first use)."""
    if heading.markdown:
        return len(heading.marker)
    return order.index(heading.marker) + 1 if heading.marker in order else 99


def _underline_order(found: list[Heading]) -> list[str]:
    return list(dict.fromkeys(h.marker for h in found if not h.markdown))


def _is_unreleased(heading: Heading, title: str) -> bool:
    # "## [Unreleased]", "## Unreleased", "## [Unreleased](https://...compare/v1...HEAD)"
    return re.match(r"\[?" + re.escape(title) + r"\b", heading.title, re.IGNORECASE) is not None


def _unreleased(text: str, title: str) -> tuple[Heading, list[Heading]] | None:
    """The Unreleased heading and the headings after it."""
    found = headings(text)
    for position, heading in enumerate(found):
        if _is_unreleased(heading, title):
            # Only headings of its own kind: a Markdown file's "---" under a line is more
            # often a rule than a heading.
            after = [h for h in found[position + 1 :] if h.markdown == heading.markdown]
            return heading, after
    return None


def has_unreleased(text: str, title: str = "Unreleased") -> bool:
    # Read no further than the heading: the Unreleased section is at the top.
    return any(_is_unreleased(heading, title) for heading in _headings(text))


def unreleased_is_empty(text: str, unreleased: str = "Unreleased") -> bool:
    """Whether the Unreleased section holds no entry (empty ``### Added`` headings, blank
    lines and link definitions are not entries). False when there is no such section."""
    found = _unreleased(text, unreleased)
    if found is None:
        return False
    heading, after = found
    order = _underline_order(headings(text))
    end = next((h.start for h in after if _rank(h, order) <= _rank(heading, order)), len(text))
    inner = {(h.start, h.end) for h in after if h.start < end}
    body = text[heading.end : end]
    for start, stop in sorted(inner, reverse=True):
        body = body[: start - heading.end] + body[stop - heading.end :]
    return all(not line.strip() or re.match(r"^\[[^\]]+\]:", line) for line in body.splitlines())


# --- the style of a version heading, learned from the file --------------------------------

_VERSION = r"v?\d+(?:\.\d+)+(?:[-.]?(?:a|b|c|rc|alpha|beta|pre|preview|post|dev)\.?\d*)*"
_VERSION_TOKEN = re.compile(r"(?<![\w.])" + _VERSION + r"(?![\w])")
# A compare view between two tags: .../compare/v1.0.0...v1.0.1 (GitHub, GitLab, Gitea).
_COMPARE = re.compile(r"(?<=/compare/)(?P<old>[^\s/()\]]+?)\.\.\.?(?P<new>[^\s/()\]]+)")
_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
_MONTH = r"(?P<month>(?:" + "|".join(m[:3] for m in _MONTHS) + r")[a-z]*\.?)"
_ORDINAL = r"(?P<ordinal>st|nd|rd|th)?"


def _ordinal(day: int) -> str:
    return "th" if 10 <= day % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")


@dataclass(frozen=True)
class DateStyle:
    """How a changelog writes its dates, learned from one (``28th November, 2024``)."""

    pattern: str  # the date with {year}, {month}, {day}, {ordinal}
    month: str  # "number", "full", "short", "short." (abbreviated with a dot)
    padded: bool  # 05 rather than 5

    def format(self, date: datetime.date) -> str:
        name = _MONTHS[date.month - 1]
        month = {
            "number": f"{date.month:02d}" if self.padded else str(date.month),
            "full": name,
            "short": name[:3],
            "short.": name[:3] + ("." if name != "May" else ""),
        }[self.month]
        day = f"{date.day:02d}" if self.padded else str(date.day)
        return self.pattern.format(year=date.year, month=month, day=day, ordinal=_ordinal(date.day))


_DATES = [
    re.compile(r"(?P<year>\d{4})(?P<s1>[-/.])(?P<month>\d{2})(?P=s1)(?P<day>\d{2})"),
    re.compile(r"(?P<day>\d{1,2})(?P<s1>[./])(?P<month>\d{1,2})(?P=s1)(?P<year>\d{4})"),
    re.compile(r"(?P<day>\d{1,2})" + _ORDINAL + r"[ \t]+" + _MONTH + r",?[ \t]+(?P<year>\d{4})"),
    re.compile(_MONTH + r"[ \t]+(?P<day>\d{1,2})" + _ORDINAL + r",?[ \t]+(?P<year>\d{4})"),
]


def _find_date(title: str) -> tuple[re.Match[str], DateStyle] | None:
    for pattern in _DATES:
        match = pattern.search(title)
        if match is None:
            continue
        month = match["month"]
        if month.isdigit():
            kind = "number"
        elif month.rstrip(".") in _MONTHS:
            kind = "full"
        else:
            kind = "short." if month.endswith(".") else "short"
        written = match.group(0)
        # Put the fields back in their places, from the last one so offsets hold.
        spans = sorted(
            (
                (match.start(group) - match.start(), match.end(group) - match.start(), group)
                for group in ("year", "month", "day", "ordinal")
                if group in pattern.groupindex and match[group]
            ),
            reverse=True,
        )
        template = written
        for start, end, group in spans:
            template = template[:start] + "{" + group + "}" + template[end:]
        day = match["day"]
        padded = len(day) == 2 and len(month) == 2 if kind == "number" else day.startswith("0")
        return match, DateStyle(template, kind, padded)
    return None


@dataclass(frozen=True)
class HeadingStyle:
    """A version heading's form: its text with ``{version}``, ``{date}``, ``{previous_tag}``
    and ``{new_tag}`` (a compare link in the heading), and how it is marked."""

    template: str
    marker: str  # "##", or the reStructuredText underline character
    date: DateStyle | None
    underline: int = 0  # reStructuredText: the example's underline, when longer than its title

    def heading(self, fields: dict[str, str], today: datetime.date) -> str:
        date = self.date.format(today) if self.date else today.isoformat()
        title = self.template.format(**fields, date=date)
        if self.marker.startswith("#"):
            return f"{self.marker} {title}"
        return f"{title}\n{self.marker * max(len(title), self.underline)}"


def learn_heading(example: Heading, version: str) -> HeadingStyle:
    """The style of ``example``, the heading of ``version``: the same brackets,
    separator, date format and link form for the next one."""
    template, date = _learn_form(example.title, version)
    longer = example.underline if example.underline > len(example.title) else 0
    return HeadingStyle(template, example.marker, date, longer)


def _learn_form(text: str, version: str) -> tuple[str, DateStyle | None]:
    """``text`` (a heading's title, a link definition) written for ``version``, as a
    template: its date, compare link and version replaced by fields."""
    marks: list[tuple[int, int, str]] = []
    found = _find_date(text)
    date = None
    if found is not None:
        match, date = found
        marks.append((match.start(), match.end(), "{date}"))
    for compare in _COMPARE.finditer(text):
        marks.append((compare.start("old"), compare.end("old"), "{previous_tag}"))
        marks.append((compare.start("new"), compare.end("new"), "{new_tag}"))
    taken = [(start, end) for start, end, _ in marks]
    for token in _VERSION_TOKEN.finditer(text):
        inside = any(s <= token.start() < e for s, e in taken)
        written = token.group(0)
        bare = written[1:] if written[:1] in "vV" else written
        if not inside and bare == version:
            start = token.start() + (len(written) - len(bare))
            marks.append((start, token.end(), "{version}"))
    template = ""
    position = 0
    for start, end, field in sorted(marks):
        template += _escape(text[position:start]) + field
        position = end
    return template + _escape(text[position:]), date


def _escape(text: str) -> str:
    return text.replace("{", "{{").replace("}", "}}")


def _latest_version(
    after: list[Heading], unreleased: Heading, order: list[str]
) -> tuple[Heading, str] | None:
    """The first heading after Unreleased, at its level, that names a version."""
    level = _rank(unreleased, order)
    for heading in after:
        rank = _rank(heading, order)
        if rank < level:
            return None
        if rank == level and (named := _version_of(heading)) is not None:
            return named
    return None


def roll_changelog(
    text: str,
    *,
    path: Path,
    version: str,
    previous_tag: str,
    new_tag: str,
    unreleased: str = "Unreleased",
    heading: str | None = None,
    today: datetime.date | None = None,
) -> str:
    """``text`` with the Unreleased section renamed to ``version`` and a fresh one above.

    The new heading takes the form of the file's latest version heading (``## 5.3.1
    (2026-05-18)`` gives ``## 5.3.2 (2026-12-02)``; reStructuredText underlined headings
    too), or ``heading`` when given (the ``changelog-heading`` setting), or Keep a
    Changelog's ``## [X] - date``. Unreleased keeps its form, its compare link moved on;
    link definitions at the bottom (``[Unreleased]: .../compare/v1.0...HEAD``) get the new
    version's line. A file with CRLF line endings throughout keeps them.
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
    found = _unreleased(text, unreleased)
    if found is None:
        raise ProjectError(
            f"{path} has no '## [{unreleased}]' section to turn into {version}.",
            f"Add a '## [{unreleased}]' heading above the latest release (Keep a Changelog "
            "style), or set changelog = false in [tool.releasekit].",
        )
    section, after = found
    order = _underline_order(headings(text))
    latest = _latest_version(after, section, order)
    fields = {"version": version, "previous_tag": previous_tag, "new_tag": new_tag}
    day = today or datetime.date.today()
    style = learn_heading(*latest) if latest is not None else None
    if heading is not None:
        new_heading = heading.format(date=day.isoformat(), **fields)
    elif style is not None and "{version}" in style.template:
        new_heading = style.heading(fields, day)
    elif section.markdown:
        new_heading = f"## [{version}] - {day.isoformat()}"
    else:
        title = f"{version} ({day.isoformat()})"
        new_heading = f"{title}\n{section.marker * len(title)}"
    fresh = _HEAD_LINK.sub(lambda _: new_tag, text[section.start : section.end])
    rolled = text[: section.start] + fresh + "\n\n" + new_heading + text[section.end :]
    return _link_definitions(rolled, unreleased, version, latest, previous_tag, new_tag)


def add_version_section(
    text: str,
    *,
    path: Path,
    version: str,
    entries: str,
    previous_tag: str,
    new_tag: str,
    heading: str | None = None,
    today: datetime.date | None = None,
) -> str:
    """``text`` (a heading per version, no Unreleased section) with ``version``'s section,
    holding ``entries``, above the latest version's: its heading in that one's form
    (Markdown ``##`` or Setext, reStructuredText underlined), or ``heading`` when given
    (the ``changelog-heading`` setting). A ProjectError when no heading names a version:
    there is no form to follow, nor a place."""
    latest = next((pair for pair in map(_version_of, _headings(text)) if pair is not None), None)
    if latest is None:
        raise ProjectError(
            f"{path.name} has no heading that names a version: changelog-from-commits has "
            f"no form to write {version}'s heading in, nor a place to put it.",
            f"Add an '## [Unreleased]' section (Keep a Changelog), or write {version}'s "
            "section yourself and set changelog-from-commits = false.",
        )
    example, written = latest
    fields = {"version": version, "previous_tag": previous_tag, "new_tag": new_tag}
    day = today or datetime.date.today()
    style = learn_heading(example, written)
    if heading is not None:
        title = heading.format(date=day.isoformat(), **fields)
        new_heading = (
            f"{example.marker} {title}"
            if example.markdown
            else f"{title}\n{example.marker * len(title)}"
        )
    else:
        new_heading = style.heading(fields, day)
    section = f"{new_heading}\n\n{entries.rstrip()}\n\n"
    return text[: example.start] + section + text[example.start :]


def has_version_heading(text: str) -> bool:
    """Whether a heading of ``text`` names a version (changelog-from-commits can follow
    its form)."""
    return any(_version_of(heading) is not None for heading in _headings(text))


def _version_of(heading: Heading) -> tuple[Heading, str] | None:
    """``heading`` and the version it names (not a date's numbers), or None."""
    date = _find_date(heading.title)
    for token in _VERSION_TOKEN.finditer(heading.title):
        if date is not None and date[0].start() <= token.start() < date[0].end():
            continue  # 18.05.2026 is a date, not a version
        written = token.group(0)
        return heading, written[1:] if written[:1] in "vV" else written
    return None


_HEAD_LINK = re.compile(r"(?<=/compare/)[^\s/()\]]+?(?=\.\.\.HEAD\b)")


def _link_definitions(
    text: str,
    unreleased: str,
    version: str,
    latest: tuple[Heading, str] | None,
    previous_tag: str,
    new_tag: str,
) -> str:
    """Move ``[Unreleased]: .../compare/X...HEAD`` on to the new tag, and add the new
    version's definition in the form of the latest version's (or above it)."""
    fields = {"version": version, "previous_tag": previous_tag, "new_tag": new_tag}
    head = re.compile(
        r"^\[(?P<label>" + re.escape(unreleased) + r")\]:[ \t]*(?P<base>\S*?/compare/)"
        r"[^\s/]+?\.\.\.HEAD[ \t]*$",
        re.MULTILINE | re.IGNORECASE,
    )
    example = None
    if latest is not None:
        label = re.escape(latest[1])
        example = re.search(r"^\[v?" + label + r"\]:[ \t]*\S+[ \t]*$", text, re.MULTILINE)
    new_line = None
    if example is not None and latest is not None:
        template, _ = _learn_form(example.group(0), latest[1])
        if "{version}" in template:
            new_line = template.format(**fields, date="")
    match = head.search(text)
    if match is not None:
        base = match["base"]
        new_line = new_line or f"[{version}]: {base}{previous_tag}...{new_tag}"
        moved = f"[{match['label']}]: {base}{new_tag}...HEAD\n{new_line}"
        return text[: match.start()] + moved + text[match.end() :]
    if example is not None and new_line is not None:
        return text[: example.start()] + new_line + "\n" + text[example.start() :]
    return text


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
        if has_unreleased(text):
            return KEEP_A_CHANGELOG
        return OTHER
    return KEEP_A_CHANGELOG


def _ini_has(path: Path, section: str) -> bool:
    if not path.is_file():
        return False
    header = re.compile(r"^\[" + re.escape(section) + r"\]", re.MULTILINE)
    return bool(header.search(path.read_text(encoding="utf-8", errors="replace")))


# towncrier's fragment types when the configuration names none.
_TOWNCRIER_TYPES = ("feature", "bugfix", "doc", "removal", "misc")
# towncrier reads "package:resource" as a template shipped in a package.
_RESOURCE = re.compile(r"[-\w.]+:[-\w.]+$")


@dataclass(frozen=True)
class ToolSetup:
    """What the project's changelog tool (towncrier, scriv) will do, read from its
    configuration without running it: the options that spare it importing the project,
    the fragments waiting in its directory, and what would make it fail."""

    style: str
    options: tuple[str, ...]
    fragment_dir: Path
    fragments: tuple[Path, ...]
    problems: tuple[str, ...]


def tool_setup(style: str, root: Path) -> ToolSetup:
    """The setup of towncrier or scriv (``style``) for the project in ``root``."""
    pyproject = root / "pyproject.toml"
    document = read_toml(pyproject) if pyproject.is_file() else {}
    if style == TOWNCRIER:
        return _towncrier_setup(root, document)
    return _scriv_setup(root, document)


def _towncrier_setup(root: Path, document: dict[str, Any]) -> ToolSetup:
    own = root / "towncrier.toml"
    config = read_toml(own) if own.is_file() else document
    table = config.get("tool", {}).get("towncrier", {})
    project_name = document.get("project", {}).get("name", "")
    package = str(table.get("package", "") or "")
    options: list[str] = []
    if not table.get("name"):
        # towncrier imports the package to learn the name (which fails in a src layout
        # the session has not installed); say the name it would find: recent towncrier
        # takes the package (or [project] name) as it is, older ones package.title().
        name = package or project_name if project_name else package.title()
        if name:
            options += ["--name", name]
    problems = []
    template = str(table.get("template", "") or "")
    if template and not _RESOURCE.match(template) and not (root / template).is_file():
        problems.append(f"towncrier's template {template} (tool.towncrier.template) does not exist")
    directory = table.get("directory")
    if directory:
        fragment_dir = root / str(directory)
    else:
        fragment_dir = (
            root / str(table.get("package_dir", ".")) / (package or project_name) / "newsfragments"
        )
    types = {str(t.get("directory", "")) for t in table.get("type", []) if isinstance(t, dict)}
    types |= set(table.get("fragment", {}) if isinstance(table.get("fragment"), dict) else ())
    types = (types - {""}) or set(_TOWNCRIER_TYPES)
    fragments = tuple(
        path
        for path in _files_under(fragment_dir)
        if any(part in types for part in path.name.split(".")[1:])
    )
    return ToolSetup(TOWNCRIER, tuple(options), fragment_dir, fragments, tuple(problems))


def _scriv_setup(root: Path, document: dict[str, Any]) -> ToolSetup:
    settings: dict[str, str] = {
        str(k): str(v) for k, v in document.get("tool", {}).get("scriv", {}).items()
    }
    for path, sections in (
        (root / "setup.cfg", ("scriv", "tool:scriv")),
        (root / "tox.ini", ("scriv", "tool:scriv")),
        (root / "changelog.d" / "scriv.ini", ("scriv",)),
    ):
        if path.is_file():
            parser = configparser.ConfigParser(interpolation=None)
            try:
                parser.read(path, encoding="utf-8")
            except (configparser.Error, UnicodeDecodeError):
                continue
            for section in sections:
                if parser.has_section(section):
                    settings.update(parser.items(section))
    fragment_dir = root / settings.get("fragment_directory", "changelog.d")
    skip = settings.get("skip_fragments", "README.*")
    fragments = tuple(
        path
        for path in sorted(fragment_dir.glob("*.rst")) + sorted(fragment_dir.glob("*.md"))
        if not path.match(skip)
    )
    problems = []
    title = settings.get("entry_title_template", "")
    if title.startswith("file:"):
        name = title.partition(":")[2].strip()
        if not (fragment_dir / name).is_file() and not (root / name).is_file():
            problems.append(
                f"scriv's entry_title_template names {name}, which is neither in "
                f"{fragment_dir.relative_to(root).as_posix()}/ nor in the project"
            )
    # --no-edit: a git setting (scriv.collect.edit) would open an editor with no terminal;
    # --no-add: releasekit stages what it changed for the release commit itself.
    return ToolSetup(SCRIV, ("--no-edit", "--no-add"), fragment_dir, fragments, tuple(problems))


def _files_under(directory: Path) -> list[Path]:
    """The files of a fragment directory and of its section subdirectories."""
    if not directory.is_dir():
        return []
    return sorted(
        path
        for path in [*directory.iterdir(), *directory.glob("*/*")]
        if path.is_file()
        and not path.name.startswith(".")
        and not path.name.startswith("README")
        and not path.name.startswith("template")
    )


def installed_tool_command(
    style: str, python: str, version: str, options: tuple[str, ...] = ()
) -> list[str] | None:
    """The command that writes ``version``'s section with the project's own tool, when
    the tool is installed: next to ``python`` (the session's environment), then on PATH.
    ``options`` (from :func:`tool_setup`) spare it importing the project, which a nox
    session need not have installed. None when it is not installed
    (:mod:`releasekit.changelog_tools` then makes it an environment)."""
    for candidate in (Path(python).parent / style, shutil.which(style)):
        if candidate and Path(candidate).is_file():
            return [str(candidate), *tool_arguments(style, version), *options]
    return None


def tool_arguments(style: str, version: str) -> list[str]:
    """towncrier's or scriv's arguments for writing ``version``'s section."""
    return {
        TOWNCRIER: ["build", "--version", version, "--yes"],
        SCRIV: ["collect", "--version", version],
    }[style]


def mentions_version(text: str, version: str) -> bool:
    """True when ``version`` appears in ``text`` as a whole version (1.2.3 is not in 1.2.30)."""
    return (
        re.search(r"(?<![0-9A-Za-z.])v?" + re.escape(version) + r"(?![0-9A-Za-z])", text)
        is not None
    )


def changelog_mentions(changelog: Path | None, style: str, version: str) -> list[str]:
    """What check says when the changelog (written in ``style``) does not mention
    ``version``."""
    if changelog is None:
        return []
    text = changelog.read_bytes().decode("utf-8", errors="replace")
    if mentions_version(text, version):
        return []
    tool = style in (TOWNCRIER, SCRIV)
    return [
        f"{changelog.name} does not mention {version}"
        + (f" (run {style} to write its entry, or bump-version)" if tool else "")
    ]
