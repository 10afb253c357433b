"""PyPI's upload rules: each crafted artifact PyPI would refuse is refused, its twin passes."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
import trove_classifiers
from packaging.version import Version

from pypi_artifacts import NAME, VERSION, fields, sdist, wheel
from releasekit.artifacts import Artifact
from releasekit.errors import ConfigError
from releasekit.rules import all_rules, check_pypi_rules, rules_summary
from releasekit.rules.files import valid_platform_tag

Build = Callable[[Path], list[Path]]
DEPRECATED = next(iter(sorted(trove_classifiers.deprecated_classifiers)))


def good(tmp: Path) -> list[Path]:
    return [wheel(tmp), sdist(tmp)]


def with_wheel(**kwargs: object) -> Build:
    return lambda tmp: [wheel(tmp, **kwargs), sdist(tmp)]  # type: ignore[arg-type]


def with_sdist(**kwargs: object) -> Build:
    return lambda tmp: [wheel(tmp), sdist(tmp, **kwargs)]  # type: ignore[arg-type]


def with_meta(**kwargs: object) -> Build:
    meta = fields(**kwargs)  # type: ignore[arg-type]
    return lambda tmp: [wheel(tmp, meta=meta), sdist(tmp, meta=meta)]


def renamed(name: str, build: Build = good) -> Build:
    def make(tmp: Path) -> list[Path]:
        paths = build(tmp)
        return [paths[0], paths[1].rename(tmp / name)]

    return make


def two_sdists(tmp: Path) -> list[Path]:
    other = tmp / "other"
    return [wheel(tmp), sdist(tmp), sdist(other)]


# rule id -> (an artifact set PyPI refuses for that reason, other rules it may also break)
REFUSED: dict[str, tuple[Build, set[str]]] = {
    "pypi-filename-invalid": (renamed("demo_pkg-1.0.tar.bz2"), {"pypi-archive-invalid"}),
    "pypi-archive-invalid": (with_wheel(wheel_file=False), set()),
    "pypi-sdist-filename": (renamed("Demo-Pkg-1.0.tar.gz"), set()),
    "pypi-wheel-filename": (
        with_wheel(filename="Demo_Pkg-1.0-py3-none-any.whl", dist_info="Demo_Pkg-1.0.dist-info"),
        set(),
    ),
    "pypi-platform-tag": (with_wheel(tag="cp311-cp311-linux_x86_64"), set()),
    "pypi-one-sdist": (two_sdists, set()),
    "pypi-wheel-record": (with_wheel(record="missing"), set()),
    "pypi-dist-info-name": (with_wheel(dist_info="demo-1.0.dist-info"), set()),
    "pypi-entry-points": (
        with_wheel(
            extra={"demo_pkg-1.0.dist-info/entry_points.txt": "[console_scripts]\nmy tool = x:y\n"}
        ),
        set(),
    ),
    "pypi-metadata-missing": (with_sdist(pkg_info=False), set()),
    "pypi-metadata-version": (with_meta(set={"Metadata-Version": "2.6"}), set()),
    "pypi-metadata-required": (with_meta(drop=["Version"]), set()),
    "pypi-name-invalid": (with_meta(set={"Name": "demo pkg!"}), set()),
    "pypi-version-invalid": (with_meta(set={"Version": "1.0-final-really"}), set()),
    "pypi-license-conflict": (with_meta(add=[("License", "MIT License")]), set()),
    "pypi-license-expression": (
        with_meta(set={"License-Expression": "MIT OR Not-A-License"}),
        set(),
    ),
    "pypi-license-file-missing": (
        lambda tmp: [wheel(tmp, license_file=False), sdist(tmp, license_file=False)],
        set(),
    ),
    "pypi-classifier-unknown": (
        with_meta(add=[("Classifier", "Programming Language :: Cobol :: 85")]),
        set(),
    ),
    "pypi-classifier-deprecated": (with_meta(add=[("Classifier", DEPRECATED)]), set()),
    "pypi-requirement-invalid": (with_meta(set={"Requires-Python": ">=3.x"}), set()),
    "pypi-direct-dependency": (
        with_meta(add=[("Requires-Dist", "tool @ https://example.org/tool-1.0.tar.gz")]),
        set(),
    ),
    "pypi-project-url": (
        with_meta(set={"Project-URL": "Source, ftp://example.org/demo"}),
        set(),
    ),
    "pypi-description-content-type": (
        with_meta(set={"Description-Content-Type": "text/html"}),
        set(),
    ),
    "pypi-summary-too-long": (with_meta(set={"Summary": "demo " * 103}), set()),
    "pypi-dynamic-field": (with_sdist(meta=fields(add=[("Dynamic", "Name")])), set()),
    "pypi-metadata-field": (with_meta(add=[("Provides-Extra", "not an extra!")]), set()),
}


def rule_ids(messages: list[str]) -> set[str]:
    return {m.rsplit("[", 1)[1].rstrip("]") for m in messages}


def check(paths: list[Path], **kwargs: object):  # type: ignore[no-untyped-def]
    artifacts = [Artifact.from_path(p) for p in paths]
    return check_pypi_rules(artifacts, NAME, Version(VERSION), **kwargs)  # type: ignore[arg-type]


def test_the_good_wheel_and_sdist_break_no_rule(tmp_path: Path) -> None:
    outcome = check(good(tmp_path))
    assert outcome.failures == []
    assert outcome.warnings == []


@pytest.mark.parametrize("rule_id", sorted(REFUSED))
def test_an_artifact_pypi_refuses_is_refused_with_the_rule_id(tmp_path: Path, rule_id: str) -> None:
    build, also = REFUSED[rule_id]
    outcome = check(build(tmp_path))
    found = rule_ids(outcome.failures)
    assert rule_id in found, outcome.failures
    assert found <= {rule_id, *also}, outcome.failures
    assert all("PyPI would refuse it" in m for m in outcome.failures)


def test_every_refusing_rule_has_a_crafted_artifact() -> None:
    refusing = {r.id for r in all_rules().values() if r.severity == "failure"}
    tested_elsewhere = {"pypi-file-size", "pypi-release-closed", "pypi-project-status"}
    assert refusing - tested_elsewhere == set(REFUSED)


def test_messages_use_pypis_own_words(tmp_path: Path) -> None:
    cases = {
        "pypi-platform-tag": "has an unsupported platform tag 'linux_x86_64'.",
        "pypi-sdist-filename": "Filename 'Demo-Pkg-1.0.tar.gz' is invalid, should be "
        "'demo_pkg-1.0.tar.gz'.",
        "pypi-license-file-missing": "License-File LICENSE does not exist in distribution file "
        "demo_pkg-1.0-py3-none-any.whl at demo_pkg-1.0.dist-info/licenses/LICENSE",
        "pypi-metadata-version": "'2.6' is not a valid metadata version.",
        "pypi-license-conflict": "License is deprecated when License-Expression is present.",
        "pypi-direct-dependency": "Can't have direct dependency: tool @ https://example.org/",
    }
    for rule_id, words in cases.items():
        directory = tmp_path / rule_id
        outcome = check(REFUSED[rule_id][0](directory))
        assert any(words in m for m in outcome.failures), outcome.failures


def test_file_size_limit_is_max_file_size(tmp_path: Path) -> None:
    paths = good(tmp_path)
    largest = max(p.stat().st_size for p in paths)
    refused = check(paths, max_file_size=largest - 1)
    assert rule_ids(refused.failures) == {"pypi-file-size"}
    assert f"File too large. Limit for project {NAME!r} is 0 MB" in refused.failures[0]
    assert check(paths, max_file_size=largest).failures == []


def test_a_stale_record_is_a_warning_not_a_refusal(tmp_path: Path) -> None:
    outcome = check([wheel(tmp_path, record="stale"), sdist(tmp_path)])
    assert outcome.failures == []
    assert rule_ids(outcome.warnings) == {"pypi-wheel-record-mismatch"}
    assert "not in RECORD: demo_pkg/__init__.py" in outcome.warnings[0]


def test_skip_checks_turns_a_rule_off_and_says_so(tmp_path: Path) -> None:
    paths = REFUSED["pypi-platform-tag"][0](tmp_path)
    outcome = check(paths, skip=["pypi-platform-tag"])
    assert outcome.failures == []
    assert any("pypi-platform-tag" in note for note in outcome.notes)


def test_skip_checks_with_an_unknown_id_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="pypi-no-such-rule") as raised:
        check(good(tmp_path), skip=["pypi-no-such-rule"])
    assert "--list-rules" in raised.value.hint


@pytest.mark.parametrize(
    ("tag", "accepted"),
    [
        ("any", True),
        ("manylinux_2_17_x86_64", True),
        ("manylinux2014_aarch64", True),
        ("musllinux_1_2_aarch64", True),
        ("macosx_10_9_x86_64", True),
        ("macosx_11_0_arm64", True),
        ("macosx_14_0_universal2", True),
        ("win_amd64", True),
        ("win32", True),
        ("ios_13_0_arm64_iphoneos", True),
        ("android_24_arm64_v8a", True),
        ("linux_x86_64", False),
        ("linux_aarch64", False),
        ("musllinux_1_2_ppc64", False),
        ("macosx_11_3_arm64", False),
        ("win_riscv", False),
    ],
)
def test_platform_tags_pypi_accepts(tag: str, accepted: bool) -> None:
    assert valid_platform_tag(tag) is accepted


def test_list_rules_names_every_rule_with_pypis_words_and_a_fix() -> None:
    summary, text = rules_summary()
    ids = [r["id"] for r in summary["rules"]]
    assert ids == list(all_rules())
    for rule_id in ids:
        assert re.search(rf"^{re.escape(rule_id)} ", text, re.MULTILINE)
    assert all(r["pypi_says"] and r["what_to_do"] for r in summary["rules"])
    # check's own checks that skip-checks also takes
    assert [(c["id"], c["severity"]) for c in summary["checks"]] == [
        ("twine-check", "mixed"),
        ("twine-metadata", "failure"),
        ("twine-description-render", "failure"),
        ("twine-content-type-missing", "warning"),
        ("twine-description-missing", "warning"),
    ]
    assert re.search(r"^twine-check +mixed +check: all of twine check --strict", text, re.M)
    assert re.search(r"^twine-content-type-missing +warning +check: ", text, re.MULTILINE)


def test_a_damaged_file_is_refused_without_a_traceback(tmp_path: Path) -> None:
    paths = good(tmp_path)
    paths[0].write_bytes(b"not a zip")
    outcome = check(paths)
    assert rule_ids(outcome.failures) == {"pypi-archive-invalid"}
    assert "File is not a zipfile" in outcome.failures[0]


def test_license_file_under_metadata_2_1_is_not_checked_as_twine_drops_it(tmp_path: Path) -> None:
    # setuptools < 77 wrote License-File with Metadata-Version 2.1 (and the file at the
    # root of .dist-info): twine does not send it, PyPI accepts the file.
    meta = fields(set={"Metadata-Version": "2.1"}, drop=["License-Expression"])
    paths = [
        wheel(tmp_path, meta=meta, license_file=False),
        sdist(tmp_path, meta=meta, license_file=False),
    ]
    assert check(paths).failures == []


def test_without_trove_classifiers_the_classifier_rules_say_they_did_not_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib.metadata
    import sys

    def not_installed(name: str) -> str:
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setitem(sys.modules, "trove_classifiers", None)  # import fails
    monkeypatch.setattr(importlib.metadata, "version", not_installed)
    outcome = check(REFUSED["pypi-classifier-unknown"][0](tmp_path))
    assert outcome.failures == []
    assert any("pip install trove-classifiers" in note for note in outcome.notes)
    # A Private classifier needs no list to be refused.
    (tmp_path / "private").mkdir()
    private = with_meta(add=[("Classifier", "Private :: Do Not Upload")])(tmp_path / "private")
    assert [f for f in check(private).failures if "Private :: Do Not Upload" in f]


def test_the_readme_has_a_row_for_every_rule() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    for rule_id in all_rules():
        assert f"| `{rule_id}` |" in readme
