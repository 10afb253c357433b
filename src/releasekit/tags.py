"""Release tags: which tags fit a tag-format, and the format a project's own tags follow.

Pure functions over tag names (git reading stays in vcs.py and plan.py), so the bump,
the plan and the version of a tag-versioned project read tags one way.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from packaging.version import InvalidVersion, Version

if TYPE_CHECKING:
    from releasekit.config import ReleaseConfig

# What may stand before the version in a release tag besides the project's name.
_RELEASE_WORDS = ("release", "rel")
_SEPARATORS = "-_/@"


def tag_version(tag: str, tag_format: str, name: str = "") -> Version | None:
    """The version ``tag`` carries in ``tag_format`` (None if it does not fit)."""
    prefix, _, suffix = tag_format.format(version="\0", name=name).partition("\0")
    if not (tag.startswith(prefix) and tag.endswith(suffix)) or len(tag) <= len(prefix) + len(
        suffix
    ):
        return None
    try:
        return Version(tag[len(prefix) : len(tag) - len(suffix) if suffix else None])
    except InvalidVersion:
        return None


def latest_version_tag(
    tags: Iterable[str], tag_format: str, name: str = ""
) -> tuple[str, Version] | None:
    """The tag of the highest version among ``tags`` that fit ``tag_format``."""
    best: tuple[str, Version] | None = None
    for tag in tags:
        version = tag_version(tag, tag_format, name)
        if version is not None and (best is None or version > best[1]):
            best = (tag, version)
    return best


def tag_shape(tag: str, name: str) -> str | None:
    """The tag-format ``tag`` is written in, if it has a release tag's shape for the
    project ``name``: ``v1.2.3``, ``1.2.3``, ``name-1.2.3``, ``name_1.2.3``,
    ``name/v1.2.3``, ``release-1.2.3``, ``release_2026.6``... (None otherwise)."""
    for start in range(len(tag)):
        if not tag[start].isdigit() or (start and tag[start - 1] not in _SEPARATORS + "v"):
            continue
        try:
            Version(tag[start:])
        except InvalidVersion:
            continue
        return _format_of(tag[:start], name)
    return None


def _format_of(prefix: str, name: str) -> str | None:
    head = prefix[:-1] if prefix.endswith("v") else prefix
    if head and head[-1] not in _SEPARATORS:
        # "v" was part of a word ("dev1.0"), or a word runs into the version.
        return None
    if head:
        word = head[:-1]
        if not word:
            return None
        if word == name:
            return "{name}" + prefix[len(word) :] + "{version}"
        if word.lower() not in _RELEASE_WORDS and _normalized(word) != _normalized(name):
            return None
    return prefix.replace("{", "{{").replace("}", "}}") + "{version}"


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def learn_tag_format(tags: Iterable[str], name: str, default: str) -> tuple[str, str] | None:
    """The tag-format of the project's highest release tag, and that tag (None when no
    tag has a release tag's shape). On equal versions ``default`` wins."""
    best: tuple[Version, bool, str, str] | None = None
    for tag in tags:
        shape = tag_shape(tag, name)
        if shape is None:
            continue
        version = tag_version(tag, shape, name)
        if version is None:  # pragma: no cover - a shape always reads back its version
            continue
        candidate = (version, shape == default, shape, tag)
        if best is None or candidate[:2] > best[:2]:
            best = candidate
    return (best[2], best[3]) if best else None


@dataclass(frozen=True)
class ReleaseTags:
    """The project's release tags, read once: the configuration whose tag-format they
    follow, every tag reachable from HEAD (None outside git), the highest release tag."""

    config: ReleaseConfig
    tags: tuple[str, ...] | None
    latest: tuple[str, Version] | None
    note: str = ""
    # A clone with part of the history (asked only when no release tag was found).
    shallow: bool = False
