"""check's in-process ``twine check --strict`` fails exactly where twine's own command does."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from releasekit.steps.check import _read_metadata, _twine_check

GOOD_RST = "Demo\n====\n\nA paragraph with a `link <https://example.org>`_.\n"
BROKEN_RST = "Demo\n====\n\n`unclosed link <https://example.org\n\n.. unknown-directive::\n"

# name -> (the METADATA headers after Name and Version, its body, what our message says)
CASES: dict[str, tuple[str, str, str]] = {
    "markdown": ("Description-Content-Type: text/markdown\n", "# Demo\n\n*Fine*\n", ""),
    "plain text": ("Description-Content-Type: text/plain\n", "Anything <at> all\n", ""),
    "good rst": ("Description-Content-Type: text/x-rst\n", GOOD_RST, ""),
    "broken rst": (
        "Description-Content-Type: text/x-rst\n",
        BROKEN_RST,
        "`long_description` has syntax errors in markup",
    ),
    "rst with a charset": (
        "Description-Content-Type: text/x-rst; charset=UTF-8\n",
        GOOD_RST,
        "",
    ),
    "no content type": ("", GOOD_RST, "`long_description_content_type` missing"),
    "no description": (
        "Description-Content-Type: text/markdown\n",
        "",
        "`long_description` missing",
    ),
    "UNKNOWN description": (
        "Description-Content-Type: text/markdown\n",
        "UNKNOWN\n",
        "`long_description` missing",
    ),
    "unknown field": (
        "Description-Content-Type: text/markdown\nX-Built-By: hand\n",
        "# Demo\n",
        "unrecognized or malformed field 'x-built-by'",
    ),
    "invalid requirement": (
        "Description-Content-Type: text/markdown\nRequires-Dist: requests >>= 2\n",
        "# Demo\n",
        "invalid distribution metadata",
    ),
    "invalid content type": (
        "Description-Content-Type: text/html\n",
        "<p>Demo</p>\n",
        "invalid distribution metadata",
    ),
    "License-File under 2.1 (setuptools)": (
        "Description-Content-Type: text/markdown\nLicense-File: LICENSE\n",
        "# Demo\n",
        "",
    ),
}


def _wheel(directory: Path, case: str, headers: str, body: str) -> Path:
    build = list(CASES).index(case) + 1
    path = directory / f"demo-1.0-{build}-py3-none-any.whl"
    metadata = f"Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n{headers}\n{body}"
    with zipfile.ZipFile(path, "w") as wheel:
        wheel.writestr("demo.py", "")
        wheel.writestr("demo-1.0.dist-info/METADATA", metadata)
        wheel.writestr("demo-1.0.dist-info/WHEEL", "Wheel-Version: 1.0\nTag: py3-none-any\n")
        wheel.writestr("demo-1.0.dist-info/RECORD", "")
    return path


def _ours(path: Path) -> list[str]:
    from releasekit.artifacts import Artifact, artifact_kind

    artifact = Artifact(path, artifact_kind(path.name), path.stat().st_size, "")
    return _twine_check(_read_metadata((artifact,)))


@pytest.mark.parametrize("case", CASES)
def test_each_case_says_what_is_wrong(tmp_path: Path, case: str) -> None:
    headers, body, expected = CASES[case]
    problems = _ours(_wheel(tmp_path, case, headers, body))
    if not expected:
        assert problems == []
    else:
        assert len(problems) == 1
        assert problems[0].startswith("twine check --strict failed: demo-1.0-")
        assert expected in problems[0]


@pytest.mark.parametrize("case", CASES)
def test_it_fails_exactly_where_twine_check_strict_fails(
    tmp_path: Path, case: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from twine.commands.check import check
    from twine.exceptions import InvalidDistribution

    headers, body, _ = CASES[case]
    path = _wheel(tmp_path, case, headers, body)
    try:
        twine_fails = check([str(path)], strict=True)
    except InvalidDistribution:  # how twine check fails on invalid metadata
        twine_fails = True
    capsys.readouterr()
    assert bool(_ours(path)) == twine_fails


def test_an_unreadable_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "demo-1.0-py3-none-any.whl"
    path.write_bytes(b"not a zip file")
    assert _ours(path) == [
        f"twine check --strict failed: {path.name}: cannot be read (File is not a zip file)"
    ]


def _sdist(directory: Path, pkg_info: str, *, mode: str = "w:gz") -> Path:
    import io
    import tarfile

    path = directory / "demo-1.0.tar.gz"
    with tarfile.open(path, mode) as sdist:  # type: ignore[call-overload]
        for name, text in {"demo-1.0/PKG-INFO": pkg_info, "demo-1.0/demo.py": ""}.items():
            data = text.encode()
            member = tarfile.TarInfo(name)
            member.size = len(data)
            sdist.addfile(member, io.BytesIO(data))
    return path


PKG_INFO = "Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n"


def test_a_truncated_sdist_is_named_not_a_traceback(tmp_path: Path) -> None:
    path = _sdist(tmp_path, PKG_INFO + "Description-Content-Type: text/markdown\n\n# Demo\n")
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])

    problems = _ours(path)

    assert len(problems) == 1
    assert problems[0].startswith(f"twine check --strict failed: {path.name}: cannot be read (")


def test_a_tar_gz_that_is_not_gzip_fails_as_with_twine(tmp_path: Path) -> None:
    path = _sdist(tmp_path, PKG_INFO + "Description-Content-Type: text/markdown\n\n# D\n", mode="w")

    assert _ours(path) == [
        f"twine check --strict failed: {path.name}: cannot be read (not a gzip file)"
    ]


def test_a_renderer_that_fails_on_odd_parameters_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    headers = "Description-Content-Type: text/x-rst; stream=1\n"
    path = _sdist(tmp_path, PKG_INFO + headers + "\n" + GOOD_RST)

    problems = _ours(path)

    assert len(problems) == 1
    assert "the renderer failed: TypeError(" in problems[0]
