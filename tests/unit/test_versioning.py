"""The PEP 440 bump rules: a table of examples (the README's), and properties."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from packaging.version import Version

from releasekit.errors import UsageError, VersionError
from releasekit.versioning import PARTS, bump, next_version

TABLE = [
    # (current, part, next) — the same rows as the README's table.
    ("1.2.3", "major", "2.0.0"),
    ("1.2.3", "minor", "1.3.0"),
    ("1.2.3", "patch", "1.2.4"),
    ("1.2.3rc1", "patch", "1.2.3"),
    ("1.3.0rc1", "minor", "1.3.0"),
    ("2.0.0b2", "major", "2.0.0"),
    ("1.3.1rc1", "minor", "1.4.0"),
    ("1.2", "minor", "1.3"),
    ("1.2", "patch", "1.2.1"),
    ("1.2.3", "alpha", "1.2.4a1"),
    ("1.2.3", "rc", "1.2.4rc1"),
    ("1.2.3a1", "alpha", "1.2.3a2"),
    ("1.2.3a2", "beta", "1.2.3b1"),
    ("1.2.3b1", "rc", "1.2.3rc1"),
    ("1.2.3rc1", "pre", "1.2.3rc2"),
    ("1.2.3.dev4", "rc", "1.2.3rc1"),
    ("1.2.3rc2.dev1", "rc", "1.2.3rc2"),
    ("1.2.3", "post", "1.2.3.post1"),
    ("1.2.3.post1", "post", "1.2.3.post2"),
    ("1.2.3.post1.dev1", "post", "1.2.3.post1"),
    ("1.2.3", "dev", "1.2.4.dev1"),
    ("1.2.4.dev1", "dev", "1.2.4.dev2"),
    ("1.2.3rc1", "dev", "1.2.3rc2.dev1"),
    ("1.2.3.post1", "dev", "1.2.3.post2.dev1"),
    ("1.2.3rc1", "release", "1.2.3"),
    ("1.2.4.dev2", "release", "1.2.4"),
    ("1.2.3rc1.post1", "release", "1.2.3"),
    ("1!1.2.3", "minor", "1!1.3.0"),
    ("1.2.3+local.7", "patch", "1.2.4"),
]


@pytest.mark.parametrize(("current", "part", "expected"), TABLE)
def test_bump_table(current: str, part: str, expected: str) -> None:
    assert str(bump(Version(current), part)) == expected


@pytest.mark.parametrize(
    ("current", "part", "message"),
    [
        ("1.2.3", "release", "already a final release"),
        ("1.2.3.post1", "release", "already a final release"),
        ("1.2.3b1", "alpha", "already past the alpha phase"),
        ("1.2.3", "pre", "not a pre-release"),
        ("1.2.3.dev1", "post", "has no post-release"),
    ],
)
def test_bumps_without_a_greater_answer_are_refused(current: str, part: str, message: str) -> None:
    with pytest.raises(VersionError, match=message):
        bump(Version(current), part)


def test_unknown_part_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="Use one of major, minor"):
        next_version(Version("1.0"), "huge")


def test_explicit_version_must_be_greater() -> None:
    assert next_version(Version("1.0"), "v1.0.1") == Version("1.0.1")
    with pytest.raises(VersionError, match="not greater"):
        next_version(Version("1.0"), "1.0.0")


numbers = st.integers(min_value=0, max_value=30)
versions = st.builds(
    lambda epoch, release, pre, post, dev, local: Version(
        (f"{epoch}!" if epoch else "")
        + ".".join(map(str, release))
        + (f"{pre[0]}{pre[1]}" if pre else "")
        + (f".post{post}" if post is not None else "")
        + (f".dev{dev}" if dev is not None else "")
        + (f"+{local}" if local else "")
    ),
    st.integers(min_value=0, max_value=2),
    st.lists(numbers, min_size=1, max_size=5),
    st.none() | st.tuples(st.sampled_from(["a", "b", "rc"]), numbers),
    st.none() | numbers,
    st.none() | numbers,
    st.none() | st.sampled_from(["abc", "ubuntu.1"]),
)
# Parts that always have an answer, whatever the current version.
ALWAYS = {"major", "minor", "patch", "dev", "rc"}


@given(versions, st.sampled_from(PARTS))
def test_every_bump_gives_a_valid_strictly_greater_version(current: Version, part: str) -> None:
    try:
        new = bump(current, part)
    except VersionError:
        assert part not in ALWAYS or (part == "rc" and current.pre is not None)
        return
    assert new > current
    assert Version(str(new)) == new  # valid, and written in normalised form
    assert str(new) == str(Version(str(new)))
    assert new.local is None
    assert new.epoch == current.epoch


@given(versions)
def test_release_gives_a_final_version(current: Version) -> None:
    try:
        new = bump(current, "release")
    except VersionError:
        assert not current.is_prerelease or (current.post is not None and current.pre is None)
        return
    assert not new.is_prerelease
    assert new.dev is None
    assert new.pre is None
    assert new > current


@given(versions)
def test_major_minor_patch_give_final_versions(current: Version) -> None:
    for part in ("major", "minor", "patch"):
        new = bump(current, part)
        assert (new.pre, new.dev, new.post) == (None, None, None)
