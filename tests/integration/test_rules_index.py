"""PyPI's rules on a project's history, against a local index serving PEP 691 JSON
(tests/static_index.py: pypiserver serves neither upload times nor project status)."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from packaging.version import Version

from pypi_artifacts import NAME, VERSION, sdist, wheel
from releasekit.artifacts import Artifact
from releasekit.index import IndexClient
from releasekit.rules import ONE_GIB, RulesOutcome, check_pypi_rules
from static_index import StaticIndex

NOW = datetime.datetime(2026, 9, 1, 12, 0, tzinfo=datetime.timezone.utc)
WHEEL = "demo_pkg-1.0-py3-none-any.whl"
SDIST = "demo_pkg-1.0.tar.gz"
Serve = Callable[[dict[str, Any] | None], str]


@pytest.fixture
def serve(static_index: StaticIndex) -> Serve:
    """Serve one PEP 691 page for demo-pkg (None: 404); returns the simple URL."""

    def set_page(page: dict[str, Any] | None) -> str:
        static_index.pages.pop(NAME, None)
        if page is not None:
            static_index.pages[NAME] = page
        return static_index.simple_url

    return set_page


def page(
    files: list[dict[str, Any]], status: str | None = "active", api_version: str = "1.4"
) -> dict[str, Any]:
    document: dict[str, Any] = {"meta": {"api-version": api_version}, "name": NAME, "files": files}
    if status is not None:
        document["project-status"] = {"status": status}
    return document


def entry(
    filename: str, *, days_ago: float = 1, size: int = 1000, yanked: bool | str = False
) -> dict[str, Any]:
    uploaded = NOW - datetime.timedelta(days=days_ago)
    return {
        "filename": filename,
        "url": f"../../files/{filename}",
        "hashes": {"sha256": "0" * 64},
        "size": size,
        "upload-time": uploaded.isoformat().replace("+00:00", "Z"),
        "yanked": yanked,
    }


def check(tmp_path: Path, url: str, paths: list[Path] | None = None) -> RulesOutcome:
    paths = paths or [wheel(tmp_path), sdist(tmp_path)]
    return check_pypi_rules(
        [Artifact.from_path(p) for p in paths],
        NAME,
        Version(VERSION),
        index=IndexClient(url, timeout=5, retries=0),
        now=NOW,
    )


def test_new_files_for_a_release_older_than_14_days_are_refused(
    tmp_path: Path, serve: Serve
) -> None:
    outcome = check(tmp_path, serve(page([entry(SDIST, days_ago=20)])))
    assert len(outcome.failures) == 1
    refused = outcome.failures[0]
    assert "Uploading new files to releases older than 14 days is not allowed." in refused
    assert "[pypi-release-closed]" in refused
    assert WHEEL in refused
    assert "first uploaded 2026-08-12, 20 days ago" in refused


def test_new_files_for_a_release_13_days_old_pass(tmp_path: Path, serve: Serve) -> None:
    outcome = check(tmp_path, serve(page([entry(SDIST, days_ago=13)])))
    assert outcome.failures == []


def test_an_old_release_whose_files_are_all_there_is_no_refusal(
    tmp_path: Path, serve: Serve
) -> None:
    files = [entry(SDIST, days_ago=30), entry(WHEEL, days_ago=30)]
    assert check(tmp_path, serve(page(files))).failures == []


def test_other_releases_do_not_count_for_the_14_days(tmp_path: Path, serve: Serve) -> None:
    files = [entry("demo_pkg-0.9.tar.gz", days_ago=400)]
    assert check(tmp_path, serve(page(files))).failures == []


@pytest.mark.parametrize("status", ["archived", "quarantined"])
def test_an_archived_or_quarantined_project_is_refused(
    tmp_path: Path, serve: Serve, status: str
) -> None:
    outcome = check(tmp_path, serve(page([], status=status)))
    assert len(outcome.failures) == 1
    assert f"project 'demo-pkg' is {status} (PEP 792 project-status)" in outcome.failures[0]
    assert "[pypi-project-status]" in outcome.failures[0]


@pytest.mark.parametrize("status", ["active", None])
def test_an_active_project_or_an_index_without_status_passes(
    tmp_path: Path, serve: Serve, status: str | None
) -> None:
    url = serve(page([entry("demo_pkg-0.9.tar.gz")], status=status, api_version="1.1"))
    assert check(tmp_path, url).failures == []


def test_a_new_project_passes(tmp_path: Path, serve: Serve) -> None:
    outcome = check(tmp_path, serve(None))
    assert outcome.failures == []
    assert outcome.warnings == []


def test_a_yanked_release_of_the_same_version_is_reported(tmp_path: Path, serve: Serve) -> None:
    outcome = check(tmp_path, serve(page([entry(SDIST, yanked="broken metadata")])))
    assert outcome.failures == []
    assert len(outcome.warnings) == 1
    assert "demo-pkg 1.0 is yanked on the index (broken metadata)" in outcome.warnings[0]


def test_another_sdist_of_the_release_on_the_index_is_refused(tmp_path: Path, serve: Serve) -> None:
    outcome = check(tmp_path, serve(page([entry("demo-pkg-1.0.tar.gz")])))
    assert len(outcome.failures) == 1
    assert "Only one sdist may be uploaded per release" in outcome.failures[0]
    assert "demo-pkg-1.0.tar.gz" in outcome.failures[0]


def test_a_project_near_10_gib_gets_a_warning(tmp_path: Path, serve: Serve) -> None:
    files = [entry(f"demo_pkg-0.{n}.tar.gz", size=ONE_GIB) for n in range(9)]
    near = check(tmp_path, serve(page(files)))
    assert near.failures == []
    assert any("[pypi-project-size]" in w and "9.00 GiB" in w for w in near.warnings)
    below = check(tmp_path, serve(page(files[:8])))
    assert below.warnings == []


def test_an_index_that_cannot_be_read_skips_those_rules_with_a_note(tmp_path: Path) -> None:
    outcome = check(tmp_path, "http://127.0.0.1:9/simple/")
    assert outcome.failures == []
    assert any("PyPI rules on the index's history skipped" in n for n in outcome.notes)
