"""PEP 440 bump rules, and format-preserving rewrites of the places a version lives."""

from __future__ import annotations

import re
from dataclasses import dataclass

from packaging.version import InvalidVersion, Version

from releasekit.errors import UsageError, VersionError
from releasekit.suggest import did_you_mean

PRE_PARTS = {"alpha": "a", "beta": "b", "rc": "rc"}
PARTS = ("major", "minor", "patch", "alpha", "beta", "rc", "pre", "post", "dev", "release")
_PHASE_ORDER = ("a", "b", "rc")


def parse_version(text: str, *, what: str = "version") -> Version:
    try:
        return Version(text)
    except InvalidVersion:
        raise VersionError(
            f"{text!r} is not a valid {what} (PEP 440).",
            "Use a version like 1.2.3, 1.2.3rc1, 1.2.3.post1 or 1.2.3.dev1.",
        ) from None


def _build(
    v: Version,
    release: tuple[int, ...],
    *,
    pre: tuple[str, int] | None = None,
    post: int | None = None,
    dev: int | None = None,
) -> Version:
    text = (f"{v.epoch}!" if v.epoch else "") + ".".join(str(n) for n in release)
    if pre is not None:
        text += f"{pre[0]}{pre[1]}"
    if post is not None:
        text += f".post{post}"
    if dev is not None:
        text += f".dev{dev}"
    return Version(text)


def _increment(release: tuple[int, ...], index: int) -> tuple[int, ...]:
    """Add one at ``index`` and zero everything after it, keeping at least index+1 parts."""
    padded = release + (0,) * max(0, index + 1 - len(release))
    return (*padded[:index], padded[index] + 1, *(0,) * (len(padded) - index - 1))


def _is_unreleased_start(v: Version, index: int) -> bool:
    """True if ``v`` is a pre/dev release of exactly the version ``part`` would give.

    ``1.3.0rc1`` is a pre-release of ``1.3.0``: ``minor`` finishes it instead of
    skipping to ``1.4.0``.
    """
    if not (v.pre is not None or (v.dev is not None and v.post is None)):
        return False
    return all(n == 0 for n in v.release[index + 1 :])


def bump(current: Version, part: str) -> Version:
    """The version after ``current`` for ``part`` (see the table in the README).

    Raises :class:`VersionError` for the few bumps that have no strictly greater answer
    (``release`` of a final version, ``alpha`` after ``beta``, ...).
    """
    if part not in PARTS:
        raise UsageError(
            f"Unknown version part {part!r}{did_you_mean(part, PARTS)}.",
            "Use one of " + ", ".join(PARTS) + ".",
        )
    v = Version(current.public)  # a local label (+abc) never survives a bump
    release = v.release
    pre_or_dev = v.pre is not None or (v.dev is not None and v.post is None)
    new: Version
    if part in ("major", "minor", "patch"):
        index = ("major", "minor", "patch").index(part)
        if _is_unreleased_start(v, index):
            new = _build(v, release)
        else:
            new = _build(v, _increment(release, index))
    elif part in PRE_PARTS or part == "pre":
        new = _bump_pre(v, part)
    elif part == "post":
        if v.dev is not None and v.post is not None:
            new = _build(v, release, pre=v.pre, post=v.post)
        elif v.dev is not None:
            raise VersionError(
                f"{current} is a development release; it has no post-release.",
                "Bump to the release first (part 'release'), or use 'dev' for another one.",
            )
        else:
            new = _build(v, release, pre=v.pre, post=(v.post or 0) + 1)
    elif part == "dev":
        if v.dev is not None:
            new = _build(v, release, pre=v.pre, post=v.post, dev=v.dev + 1)
        elif v.post is not None:
            new = _build(v, release, pre=v.pre, post=v.post + 1, dev=1)
        elif v.pre is not None:
            new = _build(v, release, pre=(v.pre[0], v.pre[1] + 1), dev=1)
        else:
            new = _build(v, _increment(release, max(2, len(release) - 1)), dev=1)
    else:  # release
        if not pre_or_dev and not (v.post is not None and v.dev is not None):
            raise VersionError(
                f"{current} is already a final release.",
                "Use major, minor or patch to start the next one.",
            )
        new = _build(v, release, post=v.post if v.pre is None else None)
    if new <= current:
        raise VersionError(
            f"Bumping {part} of {current} would give {new}, which is not greater.",
            "Give the next version explicitly, e.g. 'releasekit bump-version X.Y.Z'.",
        )
    return new


def _bump_pre(v: Version, part: str) -> Version:
    phase: str
    if part == "pre":
        if v.pre is None:
            raise VersionError(
                f"{v} is not a pre-release, so 'pre' has no phase to continue.",
                "Start one with alpha, beta or rc.",
            )
        phase = v.pre[0]
    else:
        phase = PRE_PARTS[part]
    if v.pre is None:
        if v.dev is not None and v.post is None:  # 1.2.3.dev1 -> 1.2.3rc1
            return _build(v, v.release, pre=(phase, 1))
        # A final (or post) release: the pre-release of the next patch.
        return _build(v, _increment(v.release, max(2, len(v.release) - 1)), pre=(phase, 1))
    current_phase, number = v.pre
    if _PHASE_ORDER.index(phase) < _PHASE_ORDER.index(current_phase):
        raise VersionError(
            f"{v} is already past the {part} phase.",
            "Continue with the current phase, move forward (alpha -> beta -> rc), "
            "or finish it with 'release'.",
        )
    if phase != current_phase:
        return _build(v, v.release, pre=(phase, 1))
    if v.dev is not None and v.post is None:  # 1.2.3rc2.dev1 -> 1.2.3rc2
        return _build(v, v.release, pre=v.pre)
    return _build(v, v.release, pre=(phase, number + 1))


def next_version(current: Version, target: str) -> Version:
    """``target`` is a PART or an explicit version; the result is strictly greater."""
    if target in PARTS:
        return bump(current, target)
    if not re.match(r"^\s*v?\d", target):
        raise UsageError(
            f"{target!r} is neither a version part nor a version{did_you_mean(target, PARTS)}.",
            "Use one of " + ", ".join(PARTS) + ", or an explicit version like 1.2.3.",
        )
    new = parse_version(target, what="target version")
    if new <= current:
        raise VersionError(
            f"The new version {new} is not greater than the current version {current}.",
            "Give a higher version, or a part (major, minor, patch, ...).",
        )
    return new


# --- rewrites ------------------------------------------------------------------------


@dataclass(frozen=True)
class VersionSpan:
    """Where, in a text, the version string is: ``text[start:end]``."""

    start: int
    end: int


def find_version(text: str, pattern: re.Pattern[str]) -> list[VersionSpan]:
    """Every match of ``pattern``'s ``version`` group in ``text``."""
    return [VersionSpan(m.start("version"), m.end("version")) for m in pattern.finditer(text)]


def replace_spans(text: str, spans: list[VersionSpan], new: str) -> str:
    """``text`` with each span replaced by ``new``; nothing else changes."""
    out, last = [], 0
    for span in sorted(spans, key=lambda s: s.start):
        out.append(text[last : span.start])
        out.append(new)
        last = span.end
    out.append(text[last:])
    return "".join(out)
