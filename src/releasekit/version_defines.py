"""A version spread over several places of one file: a regex with named groups and a
``result`` template (scikit-build-core's regex metadata provider, as pybind11 uses), and
the C/C++ ``#define``s that mirror the version beside them (``X_VERSION_MAJOR``,
``_MINOR``, ``_MICRO``/``_PATCH``, ``_RELEASE_LEVEL``, ``_RELEASE_SERIAL``, a literal
``_HEX``). The whole stretch of the file is one region, rewritten at once, so no part of
it is left behind.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from pathlib import Path

from packaging.version import InvalidVersion, Version

from releasekit.errors import ProjectError

HEADER_SUFFIXES = frozenset({".h", ".hh", ".hpp", ".hxx", ".h++", ".c", ".cc", ".cpp", ".cxx"})
_DEFINE = re.compile(
    r"^[ \t]*#[ \t]*define[ \t]+(?P<name>(?P<prefix>\w*?)VERSION_(?P<part>MAJOR|MINOR|MICRO|"
    r"PATCH|RELEASE_LEVEL|RELEASE_SERIAL|HEX))[ \t]+(?P<value>[^\s/\\]+)[^\n]*$",
    re.MULTILINE,
)
# Python's release levels (patchlevel.h), as names or as the nibble of PY_VERSION_HEX.
_LEVEL_NIBBLES = {"ALPHA": 0xA, "BETA": 0xB, "GAMMA": 0xC, "FINAL": 0xF}
_PRE_LEVELS = {"a": "ALPHA", "b": "BETA", "rc": "GAMMA", None: "FINAL"}
_LEVEL_LETTERS = {"ALPHA": "a", "BETA": "b", "GAMMA": "rc", "FINAL": ""}


@dataclass(frozen=True)
class SpreadVersion:
    """How to read and write a version spread over ``region`` of a file.

    ``regex`` and ``result`` are the provider's (None: the defines alone say it, as
    MAJOR.MINOR.PATCH, or MICRO with the release level and serial); ``first_line`` is the
    line the region starts on, for messages.
    """

    shown: str  # the file, as messages name it
    region: str
    regex: re.Pattern[str] | None
    result: str | None
    first_line: int

    def pattern(self) -> re.Pattern[str]:
        """The region, matched literally: a file changed since it was read has none."""
        return re.compile("(?P<version>" + re.escape(self.region) + ")")

    def version(self, found: str) -> str:
        """The version the region ``found`` says."""
        if self.regex is None or self.result is None:
            return _defines_version(found)
        match = self.regex.search(found)
        if match is None:
            raise self._error(found, 0, "the provider's regex no longer matches")
        fields = {k: v for k, v in match.groupdict().items() if v is not None}
        try:
            return self.result.format(**fields)
        except (KeyError, IndexError, ValueError):
            raise self._error(
                found, 0, f"its template {self.result!r} names a field the regex lacks"
            ) from None

    def render(self, version: str, found: str, description: str) -> str:
        """``found`` with every part of it saying ``version`` instead: the provider's
        groups, then the mirrored ``#define``s; raises, naming the line, when a part
        cannot say it or did not say the current version."""
        new = Version(version)
        current = Version(self.version(found))
        text = found
        if self.regex is not None and self.result is not None:
            text = self._render_groups(text, version, description, self.regex, self.result)
        text = self._render_defines(text, new, current, description)
        try:
            says = Version(self.version(text))
        except InvalidVersion:
            says = None
        if says is not None and says != new and says.release == new.release:
            extra = str(new)[len(new.base_version) :]
            raise self._error(found, 0, f"its parts have no place for the {extra!r} of {version}")
        if says != new:
            raise self._error(found, 0, f"written there, {version} would read back as {says}")
        return text

    def _render_groups(
        self, found: str, version: str, description: str, regex: re.Pattern[str], result: str
    ) -> str:
        match = regex.search(found)
        if match is None:
            raise self._error(found, 0, "the provider's regex no longer matches")
        values = _unformat(result, version)
        if values is None:
            raise self._error(
                found, match.start(), f"{description} writes {result!r}, not {version}"
            )
        spans = sorted(
            (match.start(name), match.end(name), values[name])
            for name in values
            if match.start(name) >= 0
        )
        out, last = [], 0
        for start, end, value in spans:
            out += [found[last:start], value]
            last = end
        return "".join([*out, found[last:]])

    def _render_defines(self, found: str, new: Version, current: Version, description: str) -> str:
        defines = list(_DEFINE.finditer(found))
        # PATCH beside a MICRO is pybind11's string of micro, level and serial ("0rc1").
        patch_string = "MICRO" in {d["part"] for d in defines}
        out, last = [], 0
        for match in defines:
            part, value = match["part"], match["value"]
            if self.regex is not None and _provider_reads(self.regex, found, match):
                continue  # the provider's group: rewritten above
            now = _part_value(part, value, current, patch_string)
            then = _part_value(part, value, new, patch_string)
            if now is None or then is None:
                raise self._error(
                    found,
                    match.start(),
                    f"#define {match['name']} {value} cannot say {new}"
                    if now is not None
                    else f"#define {match['name']} {value} is not of a form releasekit knows",
                )
            if now != value:
                raise self._error(
                    found,
                    match.start(),
                    f"#define {match['name']} says {value}, but {description} says {current}",
                )
            out += [found[last : match.start("value")], then]
            last = match.end("value")
        return "".join([*out, found[last:]])

    def _error(self, found: str, offset: int, why: str) -> ProjectError:
        line = self.first_line + found.count("\n", 0, offset)
        return ProjectError(
            f"The version spread over {self.shown} cannot be bumped at line {line}: {why}. "
            "Nothing was changed.",
            "Write those lines by hand so that they agree, or choose a version they can "
            "say, then run releasekit again.",
        )


def _provider_reads(regex: re.Pattern[str], text: str, define: re.Match[str]) -> bool:
    match = regex.search(text)
    if match is None:
        return False
    start, end = define.span("value")
    return any(
        match.start(name) == start and match.end(name) == end
        for name in regex.groupindex
        if match.start(name) >= 0
    )


def _defines_version(found: str) -> str:
    """MAJOR.MINOR.PATCH as the defines say it; without PATCH, MICRO and the release
    level and serial (``3, 1, 0, GAMMA, 1`` -> ``3.1.0rc1``)."""
    parts = {m["part"]: m["value"].strip("\"'") for m in _DEFINE.finditer(found)}
    base = f"{parts.get('MAJOR', '0')}.{parts.get('MINOR', '0')}"
    if "PATCH" in parts:
        return f"{base}.{parts['PATCH']}"
    level = re.search(r"(ALPHA|BETA|GAMMA|FINAL)$", parts.get("RELEASE_LEVEL", "FINAL"))
    nibble = parts.get("RELEASE_LEVEL", "").upper()
    letter = (
        _LEVEL_LETTERS[level[1]] if level else {"0XA": "a", "0XB": "b", "0XC": "rc"}.get(nibble, "")
    )
    serial = parts.get("RELEASE_SERIAL", "0") if letter else ""
    return f"{base}.{parts.get('MICRO', '0')}{letter}{serial}"


def _part_value(part: str, written: str, version: Version, patch_string: bool) -> str | None:
    """What the ``#define`` of ``part``, written like ``written``, says for ``version``
    (None when it cannot)."""
    release = [*version.release, 0, 0][:3]
    if len(version.release) > 3 and any(version.release[3:]):
        return None
    quote = written[0] if written[:1] in {'"', "'"} else ""
    if part == "PATCH" and patch_string:
        rest = str(version)[len(f"{release[0]}.{release[1]}") :]
        return quote + (rest[1:] if rest.startswith(".") else "0" + rest) + quote
    if part in {"MAJOR", "MINOR", "MICRO", "PATCH"}:
        number = release[{"MAJOR": 0, "MINOR": 1, "MICRO": 2, "PATCH": 2}[part]]
        return f"{quote}{number}{quote}"
    if version.dev is not None or version.post is not None or version.epoch or version.local:
        return None  # a release level says final, alpha, beta or candidate only
    letter, serial = version.pre if version.pre else (None, 0)
    level = _PRE_LEVELS[letter]
    if part == "RELEASE_SERIAL":
        return str(serial)
    if part == "RELEASE_LEVEL":
        if written.upper().startswith("0X"):
            return f"0x{_LEVEL_NIBBLES[level]:X}"
        named = re.fullmatch(r"(\w*?)(ALPHA|BETA|GAMMA|FINAL)", written)
        return named[1] + level if named else None
    if re.fullmatch(r"0[xX][0-9A-Fa-f]{8}", written):  # HEX
        packed = (
            (release[0] << 24)
            | (release[1] << 16)
            | (release[2] << 8)
            | (_LEVEL_NIBBLES[level] << 4)
            | serial
        )
        digits = (
            f"{packed:08X}" if written[2:].isupper() or written[2:].isdigit() else f"{packed:08x}"
        )
        return written[:2] + digits
    return None


def _unformat(result: str, version: str) -> dict[str, str] | None:
    """The fields that make ``result`` (``{major}.{minor}.{patch}``) format to
    ``version``: each field as short as it can be, the last taking the rest."""
    pattern, names = "", []
    for literal, field, _, _ in string.Formatter().parse(result):
        pattern += re.escape(literal)
        if field is not None:
            if field in names:
                pattern += f"(?P={field})"
            else:
                names.append(field)
                pattern += f"(?P<{field}>.+?)"
    match = re.fullmatch(pattern, version)
    return None if match is None else {n: match[n] for n in names}


def spread_version(
    path: Path,
    shown: str,
    text: str,
    regex: re.Pattern[str] | None = None,
    result: str | None = None,
) -> SpreadVersion | None:
    """The region of ``text`` that says the version: the provider's match (``regex``),
    widened in a C/C++ file to the ``#define``s of the same prefix. None if no region."""
    start = end = -1
    if regex is not None:
        match = regex.search(text)
        if match is None:
            return None
        start, end = match.start(), match.end()
    if path.suffix.lower() in HEADER_SUFFIXES:
        groups: dict[str, list[re.Match[str]]] = {}
        for define in _DEFINE.finditer(text):
            groups.setdefault(define["prefix"], []).append(define)
        chosen = _mirroring_defines(groups, text, start, end)
        if chosen:
            start = min(chosen[0].start(), start) if start >= 0 else chosen[0].start()
            end = max(chosen[-1].end(), end)
    if start < 0:
        return None
    line = text.count("\n", 0, start) + 1
    return SpreadVersion(shown, text[start:end], regex, result, line)


def _mirroring_defines(
    groups: dict[str, list[re.Match[str]]], text: str, start: int, end: int
) -> list[re.Match[str]]:
    """The defines of the prefix that has a MAJOR and a MINOR; with a provider's match,
    the prefix of a define inside it."""
    for defines in groups.values():
        parts = {d["part"] for d in defines}
        inside = start < 0 or any(start <= d.start() < end for d in defines)
        if {"MAJOR", "MINOR"} <= parts and inside:
            return defines
    return []
