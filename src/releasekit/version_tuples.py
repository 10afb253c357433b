"""Version tuples that mirror the version, read and rewritten in the form each file uses:
``(1, 2, 3)``, ``("2", "5", "2")`` (wrapt), ``(3, 7, 0, 'final', 0)`` (markdown's release
level and serial, like ``sys.version_info``), ``version_info(3, 2, 3, "final", 1)``
(pyparsing's namedtuple), and a trailing suffix, ``(1, 3, 0, "rc1")``.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from packaging.version import InvalidVersion, Version

from releasekit.errors import ProjectError

# A number of the release, as an int or a quoted string of digits.
_NUMBER = r"""(?:\d+|"\d+"|'\d+')"""
_SEP = r"[ \t]*,[ \t]*"
# ``= (1, 2, 3)`` or ``= version_info(1, 2, 3, "final", 1)``; the ``version`` group is what
# the parentheses hold.
TUPLE_VALUE = (
    r"[ \t]*(?::[^=\n]*)?=[ \t]*(?:[A-Za-z_]\w*)?\([ \t]*(?P<version>"
    + _NUMBER
    + r"(?:"
    + _SEP
    + _NUMBER
    + r")+(?:"
    + _SEP
    + r"""(?:"[A-Za-z0-9.]*"|'[A-Za-z0-9.]*')(?:"""
    + _SEP
    + r"\d+)?)?)[ \t]*,?[ \t]*\)"
)

# Release levels (sys.version_info's and markdown's words) and the PEP 440 part they say.
_LEVELS = {
    "alpha": "a",
    "a": "a",
    "beta": "b",
    "b": "b",
    "candidate": "rc",
    "rc": "rc",
    "c": "rc",
    "dev": "dev",
    "final": "",
}


@dataclass(frozen=True)
class VersionTuple:
    """The parts of one written tuple: release numbers, then a release level and serial
    (``'final', 0``) or a suffix (``"rc1"``)."""

    numbers: tuple[int, ...]
    quote: str | None  # the numbers are strings in this quote ("2", "5", "2")
    level: str | None
    serial: int | None
    suffix: str | None
    separator: str
    level_quote: str

    @classmethod
    def parse(cls, found: str) -> VersionTuple:
        """The tuple whose contents (between the parentheses) are ``found``."""
        try:
            items = ast.literal_eval(f"({found},)")
        except (SyntaxError, ValueError):
            raise ValueError(f"not a literal tuple: {found!r}") from None
        numbers: list[int] = []
        quote = None
        for item in items:
            if isinstance(item, int) or (isinstance(item, str) and item.isdigit()):
                if isinstance(item, str) and not numbers:
                    quote = found.lstrip()[0]
                if isinstance(item, str) != (quote is not None) or len(items) > 5:
                    raise ValueError(f"not a version tuple: {found!r}")
                numbers.append(int(item))
            else:
                break
        rest = items[len(numbers) :]
        if len(numbers) < 2:
            raise ValueError(f"not a version tuple: {found!r}")
        strings = re.findall(r"""["']""", found)
        level_quote = strings[-1] if strings else '"'
        separator = ", " if ", " in found else ","
        if len(rest) == 2 and rest[0] in _LEVELS and isinstance(rest[1], int):
            parsed = cls(tuple(numbers), quote, rest[0], rest[1], None, separator, level_quote)
        elif len(rest) == 1 and isinstance(rest[0], str):
            parsed = cls(tuple(numbers), quote, None, None, rest[0], separator, level_quote)
        elif rest:
            raise ValueError(f"not a version tuple: {found!r}")
        else:
            parsed = cls(tuple(numbers), quote, None, None, None, separator, level_quote)
        try:
            Version(parsed.version())
        except InvalidVersion:
            raise ValueError(f"not a version tuple: {found!r}") from None
        return parsed

    def version(self) -> str:
        """The version this tuple says (``(3, 7, 0, 'final', 0)`` -> ``3.7.0``)."""
        base = ".".join(str(n) for n in self.numbers)
        if self.level is not None:
            letter = _LEVELS[self.level]
            if letter == "dev":
                return f"{base}.dev{self.serial}"
            return f"{base}{letter}{self.serial}" if letter else base
        if self.suffix:
            joined = f"{base}.{self.suffix}" if self.suffix[:1].isalpha() else base + self.suffix
            try:
                return str(Version(joined))
            except InvalidVersion:
                return joined  # parse() refuses it
        return base

    def render(self, version: str, where: str, words: frozenset[str]) -> str:
        """``version`` written in this tuple's form; ``words`` are the release levels the
        file mentions (so a release candidate is ``'rc'`` where the file says so, else
        ``'candidate'`` as in ``sys.version_info``). Raises when the form cannot say it."""
        new = Version(version)
        release = list(new.release)
        if len(release) > len(self.numbers):
            if any(release[len(self.numbers) :]):
                raise self._cannot(version, where, f"it has {len(self.numbers)} numbers")
            release = release[: len(self.numbers)]
        release += [0] * (len(self.numbers) - len(release))
        q = self.quote
        parts = [f"{q}{n}{q}" if q else str(n) for n in release]
        if new.epoch or new.local:
            raise self._cannot(version, where, "it has no place for an epoch or a local label")
        if self.level is not None:
            parts += self._level_parts(new, version, where, words)
        else:
            rest = str(new)[len(new.base_version) :].lstrip(".")
            if rest:  # 1.3.0rc1 -> (1, 3, 0, "rc1")
                parts.append(f"{self.level_quote}{rest}{self.level_quote}")
        return self.separator.join(parts)

    def _level_parts(
        self, new: Version, version: str, where: str, words: frozenset[str]
    ) -> list[str]:
        q = self.level_quote
        if new.post is not None or (new.pre and new.dev is not None):
            raise self._cannot(
                version,
                where,
                "a release level and serial say one of "
                "final, alpha, beta, candidate or dev, not both or a post-release",
            )
        if new.dev is not None:
            if "dev" not in words:
                raise self._cannot(version, where, "its release levels have no 'dev'")
            return [f"{q}dev{q}", str(new.dev)]
        if new.pre is not None:
            letter, number = new.pre
            if letter == "rc":
                word = "rc" if "rc" in words else "candidate"
            else:
                word = {"a": "alpha", "b": "beta"}[letter]
            return [f"{q}{word}{q}", str(number)]
        serial = self.serial if self.level == "final" and self.serial is not None else 0
        return [f"{q}final{q}", str(serial)]

    @staticmethod
    def _cannot(version: str, where: str, why: str) -> ProjectError:
        return ProjectError(
            f"The version tuple {where} cannot say {version}: {why}. Nothing was changed.",
            "Choose a version the tuple can say, or rewrite the tuple by hand into a form "
            "that can (then run releasekit again).",
        )


def level_words(text: str) -> frozenset[str]:
    """The release-level words a file writes as string literals (``'rc'``, ``'dev'``)."""
    return frozenset(word for word in re.findall(r"""["']([a-z]+)["']""", text) if word in _LEVELS)
