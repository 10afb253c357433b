"""A three-package monorepo: plan, parallel builds, publish, per-package tags and release."""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from index_servers import PypiServer
from layouts import git_init, write
from releasekit.cli import main
from releasekit.errors import ExitCode

PACKAGES = ("alpha", "beta", "gamma")


def monorepo(root: Path, test: PypiServer, prod: PypiServer) -> Path:
    files = {
        ".gitignore": "dist/\n",
        "pyproject.toml": f"""\
            [tool.releasekit]
            packages = ["packages/*"]
            tag-format = "{{name}}-v{{version}}"

            [tool.releasekit.build]
            isolation = false

            [tool.releasekit.repositories.test]
            upload-url = "{test.upload_url}"
            index-url = "{test.simple_url}"

            [tool.releasekit.repositories.prod]
            upload-url = "{prod.upload_url}"
            index-url = "{prod.simple_url}"
            anonymous-upload = true
            """,
    }
    for name in PACKAGES:
        files[f"packages/{name}/README.md"] = f"# acme-{name}\n\nPart of the monorepo.\n"
        files[f"packages/{name}/src/acme_{name}/__init__.py"] = f'"""acme-{name}."""\n'
        files[f"packages/{name}/pyproject.toml"] = f"""\
            [build-system]
            requires = ["hatchling"]
            build-backend = "hatchling.build"

            [project]
            name = "acme-{name}"
            version = "1.0.0"
            description = "Package {name} of the monorepo"
            readme = "README.md"
            requires-python = ">=3.10"

            [tool.hatch.build.targets.wheel]
            packages = ["src/acme_{name}"]
            """
    write(root, files)
    return git_init(root)


def run(root: Path, *args: str) -> tuple[int, dict[str, object], str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([*args, "--project", str(root), "--json"])
    text = out.getvalue()
    return code, (json.loads(text) if text.strip() else {}), err.getvalue()


def pending(root: Path, repository: str = "test") -> list[str]:
    code, summary, _ = run(root, "plan", "--repository", repository)
    assert code == ExitCode.OK
    include = summary["include"]
    assert isinstance(include, list)
    return [entry["package"] for entry in include]


def test_three_packages_planned_built_in_parallel_published_and_released_one_by_one(
    tmp_path: Path, start_pypiserver: Callable[[str], PypiServer]
) -> None:
    test, prod = start_pypiserver("test"), start_pypiserver("prod")
    root = monorepo(tmp_path / "repo", test, prod)
    assert pending(root) == ["packages/alpha", "packages/beta", "packages/gamma"]

    code, summary, _ = run(root, "build", "-j", "2")
    assert code == ExitCode.OK
    for name in PACKAGES:
        dist = sorted(p.name for p in (root / "packages" / name / "dist").iterdir())
        assert dist == [f"acme_{name}-1.0.0-py3-none-any.whl", f"acme_{name}-1.0.0.tar.gz"]

    code, summary, err = run(root, "publish", "--test", "-j", "2")
    assert code == ExitCode.OK, err
    published = summary["packages"]
    assert isinstance(published, list)
    assert [p["project"] for p in published] == ["acme-alpha", "acme-beta", "acme-gamma"]
    assert sorted(p.name for p in test.packages_dir.iterdir()) == sorted(
        f"acme_{name}-1.0.0{suffix}"
        for name in PACKAGES
        for suffix in ("-py3-none-any.whl", ".tar.gz")
    )
    assert pending(root) == []
    assert pending(root, "prod") == ["packages/alpha", "packages/beta", "packages/gamma"]

    # One package moves on: released alone, with its own tag, the others untouched.
    code, _, err = run(root, "release", "minor", "--yes", "--package", "packages/beta")
    assert code == ExitCode.OK, err
    tags = subprocess.run(["git", "tag"], cwd=root, capture_output=True, text=True, check=True)
    assert tags.stdout.split() == ["acme-beta-v1.1.0"]
    assert pending(root) == []
    assert {p.name for p in prod.packages_dir.iterdir()} == {
        "acme_beta-1.1.0-py3-none-any.whl",
        "acme_beta-1.1.0.tar.gz",
    }
    assert pending(root, "prod") == ["packages/alpha", "packages/gamma"]


def test_a_monorepo_release_needs_one_package(
    tmp_path: Path, start_pypiserver: Callable[[str], PypiServer]
) -> None:
    test = start_pypiserver("test")
    root = monorepo(tmp_path / "repo", test, test)
    code, _, err = run(root, "release", "patch")
    assert code == ExitCode.USAGE
    assert "one package at a time" in err


def test_a_failing_package_build_is_named_and_the_others_still_build(
    tmp_path: Path, start_pypiserver: Callable[[str], PypiServer]
) -> None:
    test = start_pypiserver("test")
    root = monorepo(tmp_path / "repo", test, test)
    (root / "packages" / "beta" / "pyproject.toml").write_text(
        (root / "packages" / "beta" / "pyproject.toml")
        .read_text()
        .replace('"hatchling.build"', '"hatchling.no_such_backend"')
    )
    code, _, err = run(root, "build", "-j", "3")
    assert code == ExitCode.BUILD
    assert "1 package(s) failed:\n  - beta: The build of acme-beta 1.0.0 failed" in err
    assert (root / "packages" / "alpha" / "dist").is_dir()
    assert (root / "packages" / "gamma" / "dist").is_dir()


@pytest.mark.parametrize("selection", [["--package", "packages/gamma"], []])
def test_version_per_package(
    tmp_path: Path, start_pypiserver: Callable[[str], PypiServer], selection: list[str]
) -> None:
    test = start_pypiserver("test")
    root = monorepo(tmp_path / "repo", test, test)
    code, summary, _ = run(root, "version", *selection)
    assert code == ExitCode.OK
    packages = summary["packages"]
    assert isinstance(packages, list)
    expected = ["acme-gamma"] if selection else ["acme-alpha", "acme-beta", "acme-gamma"]
    assert [p["project"] for p in packages] == expected


def test_publishing_every_package_after_one_moved_on_rebuilds_the_others_identically(
    tmp_path: Path, start_pypiserver: Callable[[str], PypiServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    test, prod = start_pypiserver("test"), start_pypiserver("prod")
    root = monorepo(tmp_path / "repo", test, prod)
    code, _, err = run(root, "publish", "--test")
    assert code == ExitCode.OK, err
    first = {p.name: p.read_bytes() for p in test.packages_dir.iterdir()}
    for name in PACKAGES:  # released and tagged
        subprocess.run(["git", "tag", f"acme-{name}-v1.0.0"], cwd=root, check=True)

    # A later commit that touches beta only: alpha and gamma were last changed before it,
    # so their rebuilds must be the very files already on the index.
    later = str(int(time.time()) + 3600)
    monkeypatch.setenv("GIT_AUTHOR_DATE", f"@{later} +0000")
    monkeypatch.setenv("GIT_COMMITTER_DATE", f"@{later} +0000")
    code, _, err = run(root, "bump-version", "minor", "--package", "packages/beta")
    assert code == ExitCode.OK, err

    # The tags of alpha and gamma are behind HEAD now, on the same files: that is fine.
    code, _, err = run(root, "publish", "--test")

    assert code == ExitCode.OK, err
    now = {p.name: p.read_bytes() for p in test.packages_dir.iterdir()}
    assert sorted(set(now) - set(first)) == [
        "acme_beta-1.1.0-py3-none-any.whl",
        "acme_beta-1.1.0.tar.gz",
    ]
    assert all(now[name] == content for name, content in first.items())
    for name in ("alpha", "gamma"):
        assert (root / "packages" / name / "dist" / f"acme_{name}-1.0.0.tar.gz").read_bytes() == (
            first[f"acme_{name}-1.0.0.tar.gz"]
        )

    # A package whose files changed since its files went up, without a bump, is refused:
    # they are never rebuilt.
    (root / "packages" / "alpha" / "README.md").write_text("# acme-alpha\n\nChanged.\n")
    subprocess.run(["git", "commit", "--quiet", "-am", "Edit alpha"], cwd=root, check=True)
    code, _, err = run(root, "publish", "--test", "--package", "packages/alpha")
    assert code == ExitCode.BUILD
    assert "The files of acme-alpha 1.0.0 went to test (built from " in err
    assert "the project's files changed since (packages/alpha/README.md)" in err
    assert "Bump the version to publish the changes" in err
