"""A version said in parts: a provider's regex and template, and the C ``#define``s
mirroring it, read and rewritten as one region (version_defines.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from releasekit.errors import ProjectError
from releasekit.version_defines import SpreadVersion, spread_version

# pybind11's include/pybind11/detail/common.h and its scikit-build-core provider.
HEADER = """\
#pragma once
/* -- start version constants -- */
#define PYBIND11_VERSION_MAJOR 3
#define PYBIND11_VERSION_MINOR 1
#define PYBIND11_VERSION_MICRO 0
// ALPHA = 0xA, BETA = 0xB, GAMMA = 0xC (release candidate), FINAL = 0xF (stable release)
#define PYBIND11_VERSION_RELEASE_LEVEL PY_RELEASE_LEVEL_FINAL
#define PYBIND11_VERSION_RELEASE_SERIAL 0
// String version of (micro, release level, release serial), e.g.: 0a0, 0b1, 0rc1, 0
#define PYBIND11_VERSION_PATCH 0
/* -- end version constants -- */
#define PYBIND11_VERSION_HEX \\
    Py_PACK_FULL_VERSION(PYBIND11_VERSION_MAJOR, PYBIND11_VERSION_MINOR)
"""
REGEX = re.compile(
    r"""(?sx)
\#define \s+ PYBIND11_VERSION_MAJOR \s+ (?P<major>\d+) .*?
\#define \s+ PYBIND11_VERSION_MINOR \s+ (?P<minor>\d+) .*?
\#define \s+ PYBIND11_VERSION_PATCH \s+ (?P<patch>\S+)
""",
    re.MULTILINE,
)
RESULT = "{major}.{minor}.{patch}"
COMMON_H = Path("include/pybind11/detail/common.h")


def pybind11(text: str = HEADER, *, provider: bool = True) -> SpreadVersion:
    regex, result = (REGEX, RESULT) if provider else (None, None)
    spread = spread_version(COMMON_H, COMMON_H.as_posix(), text, regex, result)
    assert spread is not None
    return spread


def defines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("#define")][:6]


@pytest.mark.parametrize("provider", [True, False])
def test_the_region_holds_every_version_define_and_reads_the_version(provider: bool) -> None:
    spread = pybind11(provider=provider)
    assert spread.first_line == 3
    assert spread.region.startswith("#define PYBIND11_VERSION_MAJOR 3")
    assert spread.region.endswith("#define PYBIND11_VERSION_PATCH 0")
    assert spread.version(spread.region) == "3.1.0"
    assert spread.pattern().search(HEADER) is not None


@pytest.mark.parametrize("provider", [True, False])
@pytest.mark.parametrize(
    ("version", "micro", "level", "serial", "patch"),
    [
        ("3.1.1", "1", "FINAL", "0", "1"),
        ("3.2.0rc1", "0", "GAMMA", "1", "0rc1"),
        ("4.0.0b2", "0", "BETA", "2", "0b2"),
        ("3.2.0a0", "0", "ALPHA", "0", "0a0"),
    ],
)
def test_every_mirrored_define_is_rewritten_with_the_version(
    provider: bool, version: str, micro: str, level: str, serial: str, patch: str
) -> None:
    spread = pybind11(provider=provider)
    major, minor = version.split(".")[:2]
    written = spread.render(version, spread.region, "the header")
    assert defines(written) == [
        f"#define PYBIND11_VERSION_MAJOR {major}",
        f"#define PYBIND11_VERSION_MINOR {minor}",
        f"#define PYBIND11_VERSION_MICRO {micro}",
        f"#define PYBIND11_VERSION_RELEASE_LEVEL PY_RELEASE_LEVEL_{level}",
        f"#define PYBIND11_VERSION_RELEASE_SERIAL {serial}",
        f"#define PYBIND11_VERSION_PATCH {patch}",
    ]
    assert spread.version(written) == version


def test_a_version_the_release_level_cannot_say_is_refused_naming_file_and_line() -> None:
    spread = pybind11()
    with pytest.raises(ProjectError) as raised:
        spread.render("3.1.1.dev1", spread.region, "the header")
    message = raised.value.message
    assert "include/pybind11/detail/common.h cannot be bumped at line 7" in message
    assert "PYBIND11_VERSION_RELEASE_LEVEL PY_RELEASE_LEVEL_FINAL cannot say 3.1.1.dev1" in message
    assert "Nothing was changed" in message


def test_a_mirrored_define_that_already_disagrees_is_refused_not_overwritten() -> None:
    stale = HEADER.replace("VERSION_MICRO 0", "VERSION_MICRO 7")
    spread = pybind11(stale)
    with pytest.raises(ProjectError) as raised:
        spread.render("3.1.1", spread.region, "the scikit-build regex provider")
    assert "line 5" in raised.value.message
    assert "PYBIND11_VERSION_MICRO says 7" in raised.value.message


def test_a_literal_hex_define_and_hex_levels_mirror_the_version() -> None:
    text = (
        "#define FOO_VERSION_MAJOR 1\n#define FOO_VERSION_MINOR 2\n#define FOO_VERSION_MICRO 3\n"
        "#define FOO_VERSION_RELEASE_LEVEL 0xF\n#define FOO_VERSION_RELEASE_SERIAL 0\n"
        "#define FOO_VERSION_HEX 0x010203F0\n"
    )
    spread = spread_version(Path("foo.h"), "foo.h", text)
    assert spread is not None
    assert spread.version(spread.region) == "1.2.3"
    written = spread.render("1.3.0rc2", spread.region, "version-files #defines")
    assert defines(written) == [
        "#define FOO_VERSION_MAJOR 1",
        "#define FOO_VERSION_MINOR 3",
        "#define FOO_VERSION_MICRO 0",
        "#define FOO_VERSION_RELEASE_LEVEL 0xC",
        "#define FOO_VERSION_RELEASE_SERIAL 2",
        "#define FOO_VERSION_HEX 0x010300C2",
    ]
    assert spread.version(written) == "1.3.0rc2"


def test_three_numeric_defines_cannot_say_a_pre_release() -> None:
    text = "#define BAR_VERSION_MAJOR 1\n#define BAR_VERSION_MINOR 2\n#define BAR_VERSION_PATCH 3\n"
    spread = spread_version(Path("bar.h"), "bar.h", text)
    assert spread is not None
    assert spread.render("1.2.4", spread.region, "h").endswith("BAR_VERSION_PATCH 4")
    with pytest.raises(ProjectError, match=r"no place for the 'rc1' of 1\.3\.0rc1"):
        spread.render("1.3.0rc1", spread.region, "h")


def test_a_file_without_version_defines_has_no_region() -> None:
    assert spread_version(Path("x.h"), "x.h", "#define PY_VERSION_HEX 0x030C0000\n") is None
