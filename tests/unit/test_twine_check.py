"""check's in-process ``twine check``: it fails exactly where twine's own command (without
--strict) fails and PyPI refuses, and warns, under an id of its own, where only --strict
fails."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from releasekit.steps.check import TwineFindings, _read_metadata, _twine_check

GOOD_RST = "Demo\n====\n\nA paragraph with a `link <https://example.org>`_.\n"
BROKEN_RST = "Demo\n====\n\n`unclosed link <https://example.org\n\n.. unknown-directive::\n"

# name -> (the METADATA headers after Name and Version, its body, what our message says);
# a message ending in "]" with a warning's id is a warning, any other a failure.
CASES: dict[str, tuple[str, str, str]] = {
    "markdown": ("Description-Content-Type: text/markdown\n", "# Demo\n\n*Fine*\n", ""),
    "plain text": ("Description-Content-Type: text/plain\n", "Anything <at> all\n", ""),
    "good rst": ("Description-Content-Type: text/x-rst\n", GOOD_RST, ""),
    "broken rst": (
        "Description-Content-Type: text/x-rst\n",
        BROKEN_RST,
        "the long description does not render, so PyPI would refuse the upload "
        "(\"The description failed to render for 'text/x-rst'\"); docutils says: <string>:",
    ),
    "rst with a charset": (
        "Description-Content-Type: text/x-rst; charset=UTF-8\n",
        GOOD_RST,
        "",
    ),
    "no content type": (
        "",
        GOOD_RST,
        "long_description_content_type is not set: PyPI renders the description as "
        "reStructuredText, which works; declare it (text/x-rst) to say so "
        "[twine-content-type-missing]",
    ),
    "no content type, broken rst": (
        "",
        BROKEN_RST,
        '("The description failed to render in the default format of reStructuredText")'
        "; docutils says: <string>:4: (WARNING/2) Inline interpreted text or phrase reference "
        "start-string without end-string.",
    ),
    "no description": (
        "Description-Content-Type: text/markdown\n",
        "",
        "there is no long description: the project page on PyPI will be empty (declare the "
        "readme: [project] readme, or setup's long_description) [twine-description-missing]",
    ),
    "UNKNOWN description": (
        "Description-Content-Type: text/markdown\n",
        "UNKNOWN\n",
        "there is no long description: the project page on PyPI will be empty (declare the "
        "readme: [project] readme, or setup's long_description) [twine-description-missing]",
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


def _ours(path: Path, skip: tuple[str, ...] = ()) -> TwineFindings:
    from releasekit.artifacts import Artifact, artifact_kind

    artifact = Artifact(path, artifact_kind(path.name), path.stat().st_size, "")
    found = _twine_check(_read_metadata((artifact,)), skip)
    assert found is not None
    return found


WARNING_IDS = ("[twine-content-type-missing]", "[twine-description-missing]")


@pytest.mark.parametrize("case", CASES)
def test_each_case_says_what_is_wrong(tmp_path: Path, case: str) -> None:
    headers, body, expected = CASES[case]
    found = _ours(_wheel(tmp_path, case, headers, body))
    if not expected:
        assert found == TwineFindings([], [])
    elif expected.endswith(WARNING_IDS):
        assert found.failures == []
        assert len(found.warnings) == 1
        assert found.warnings[0].startswith("demo-1.0-")
        assert expected in found.warnings[0]
    else:
        assert found.warnings == []
        assert len(found.failures) == 1
        assert found.failures[0].startswith("twine check failed: demo-1.0-")
        assert expected in found.failures[0]


@pytest.mark.parametrize("case", CASES)
def test_it_fails_where_twine_check_fails_and_warns_where_only_strict_fails(
    tmp_path: Path, case: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from twine.commands.check import check
    from twine.exceptions import InvalidDistribution

    headers, body, _ = CASES[case]
    path = _wheel(tmp_path, case, headers, body)
    verdicts = []
    for strict in (False, True):
        try:
            verdicts.append(check([str(path)], strict=strict))
        except InvalidDistribution:  # how twine check fails on invalid metadata
            verdicts.append(True)
    capsys.readouterr()
    found = _ours(path)
    assert bool(found.failures) == verdicts[0]
    assert bool(found.failures or found.warnings) == verdicts[1]


def test_a_warning_is_skipped_by_its_own_id_and_the_rest_stays(tmp_path: Path) -> None:
    headers, body, _ = CASES["no content type, broken rst"]
    broken = _wheel(tmp_path, "no content type, broken rst", headers, body)
    headers, body, _ = CASES["no content type"]
    untyped = _wheel(tmp_path, "no content type", headers, body)

    assert _ours(untyped, ("twine-content-type-missing",)) == TwineFindings([], [])
    assert len(_ours(broken, ("twine-content-type-missing",)).failures) == 1
    assert _ours(broken, ("twine-description-render",)) == TwineFindings([], [])


def test_an_unreadable_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "demo-1.0-py3-none-any.whl"
    path.write_bytes(b"not a zip file")
    assert _ours(path).failures == [
        f"twine check failed: {path.name}: cannot be read (File is not a zip file) [twine-metadata]"
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

    problems = _ours(path).failures

    assert len(problems) == 1
    assert problems[0].startswith(f"twine check failed: {path.name}: cannot be read (")


def test_a_tar_gz_that_is_not_gzip_fails_as_with_twine(tmp_path: Path) -> None:
    path = _sdist(tmp_path, PKG_INFO + "Description-Content-Type: text/markdown\n\n# D\n", mode="w")

    assert _ours(path).failures == [
        f"twine check failed: {path.name}: cannot be read (not a gzip file) [twine-metadata]"
    ]


def test_a_renderer_that_fails_on_odd_parameters_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    headers = "Description-Content-Type: text/x-rst; stream=1\n"
    path = _sdist(tmp_path, PKG_INFO + headers + "\n" + GOOD_RST)

    problems = _ours(path).failures

    assert len(problems) == 1
    assert "the renderer failed: TypeError(" in problems[0]
