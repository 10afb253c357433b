"""YAML as text: scalars, comments and the patterns GitHub and GitLab match refs with.

init-ci writes its files from text templates (no YAML library at run time); every value
that comes from the configuration or the command line goes through :func:`yaml_scalar`.
"""

from __future__ import annotations

import re
import shlex
import textwrap
from typing import TYPE_CHECKING

from releasekit.errors import ConfigError, UsageError

if TYPE_CHECKING:
    from releasekit.config import ReleaseConfig

# Plain scalars that every YAML 1.1 and 1.2 reader takes as this very string: no leading
# indicator or digit (numbers, dates: "3.10" would be the float 3.1), no ": " or "#".
_PLAIN = re.compile(r"[A-Za-z_/$][A-Za-z0-9_./@=\"\[\]$:+ -]*")
_RESERVED = {"y", "n", "yes", "no", "true", "false", "on", "off", "null"}


def _check_text(value: str) -> None:
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise UsageError(
            f"{value!r} contains a control character and cannot be written into CI YAML.",
            "Fix the value in the configuration or on the command line.",
        )
    # GitHub evaluates ${{ ... }} wherever it appears in a workflow's values (run lines,
    # with:, environment names and URLs): a value holding one would be code, not text.
    if "${{" in value:
        raise UsageError(
            f"{value!r} contains '${{{{', which GitHub Actions would evaluate as an "
            "expression: it cannot be written into a CI file.",
            "Fix the value in the configuration or on the command line.",
        )


def yaml_scalar(value: str) -> str:
    """``value`` (from the configuration or the command line) as a YAML scalar: plain
    when that is unambiguous, else single-quoted; no control character, no ``${{``."""
    _check_text(value)
    return quoted(value)


def shell_word(value: str) -> str:
    """``value`` as one shell word that no shell expands (single-quoted when needed), for a
    GitLab script line; the whole line then goes through :func:`yaml_scalar`."""
    _check_text(value)
    word = shlex.quote(value)
    return "./" + word if word.startswith("-") else word


def quoted(value: str) -> str:
    """Any text as a YAML scalar, without the checks of :func:`yaml_scalar`: for text
    releasekit writes itself, such as its own ``${{ matrix.package }}`` expressions."""
    if (
        _PLAIN.fullmatch(value)
        and value.lower() not in _RESERVED
        and ": " not in value
        and "  " not in value
        and not value.endswith((":", " "))
    ):
        return value
    return "'" + value.replace("'", "''") + "'"


def comment(text: str) -> str:
    """``text`` as YAML comment lines."""
    _check_text(text)
    return textwrap.fill(
        text,
        width=88,
        initial_indent="# ",
        subsequent_indent="# ",
        break_long_words=False,
        break_on_hyphens=False,
    )


def _github_glob(literal: str) -> str:
    """``literal`` as a GitHub filter pattern (its special characters escaped)."""
    return re.sub(r"([*?+\[\]!\\])", r"\\\1", literal)


def _re2(literal: str) -> str:
    """``literal`` escaped for a GitLab ``/regex/`` (RE2: any punctuation may be escaped)."""
    return "".join(c if c.isalnum() or c in "_-" else "\\" + c for c in literal)


def tag_parts(config: ReleaseConfig, name: str) -> tuple[str, str]:
    """What comes before and after the version in a release tag (``v`` and ``""``)."""
    before, _, after = config.format_tag("\0", name).partition("\0")
    return before, after


def github_tag_pattern(config: ReleaseConfig, name: str) -> str:
    """The push filter for release tags: ``v{version}`` -> ``v[0-9]*``."""
    before, after = tag_parts(config, name)
    return _github_glob(before) + "[0-9]*" + _github_glob(after)


def gitlab_tag_regex(config: ReleaseConfig, name: str) -> str:
    """The rule's regex for release tags: ``v{version}`` -> ``/^v[0-9]/``."""
    before, after = tag_parts(config, name)
    tail = ".*" + _re2(after) + "$" if after else ""
    return "/^" + _re2(before) + "[0-9]" + tail + "/"


def _glob_re2(pattern: str) -> str:
    """An fnmatch-style glob (release-branches) as a GitLab regex body."""
    parts, i = [], 0
    while i < len(pattern):
        char, end = pattern[i], pattern.find("]", i + 2)
        if char == "[" and end != -1:
            body = pattern[i + 1 : end]
            body = "^" + body[1:] if body.startswith("!") else body
            parts.append("[" + body.replace("\\", "\\\\").replace("/", "\\/") + "]")
            i = end
        else:
            parts.append({"*": ".*", "?": "."}.get(char) or _re2(char))
        i += 1
    return "".join(parts)


def gitlab_branch_rule(pattern: str) -> str:
    if not any(c in pattern for c in '*?["\\'):
        return f'$CI_COMMIT_BRANCH == "{pattern}"'
    return f"$CI_COMMIT_BRANCH =~ /^{_glob_re2(pattern)}$/"


def release_branch(config: ReleaseConfig) -> str:
    if not config.release_branches:
        raise ConfigError(
            "--trigger branch needs a release branch, and release-branches is empty.",
            'Set release-branches = ["main"] in [tool.releasekit], or use --trigger tag.',
        )
    return config.release_branches[0]
