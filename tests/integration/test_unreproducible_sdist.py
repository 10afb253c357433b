"""Resuming a release and re-running publish with a build backend whose sdist is not
byte-reproducible: setuptools writes the build time into the sdist (PKG-INFO's mtime, the
gzip header), whatever SOURCE_DATE_EPOCH says. The files already on an index are the
release: a rerun must reuse exactly them, never rebuild and find "a different file".

The project is built as a user's would be: isolated, setuptools installed by uv.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from index_servers import PypiServer, StartProxy
from layouts import git_init, write
from release_project import PypiServers, git, sha256_files
from releasekit.cli import main
from releasekit.errors import ExitCode

NAME = "rksetup"
SDIST = f"{NAME}-1.0.0.tar.gz"
WHEEL = f"{NAME}-1.0.0-py3-none-any.whl"


def setuptools_project(root: Path, *, init: bool = True) -> Path:
    """The project in ``root``, committed in a new git repository (``init``)."""
    write(
        root,
        {
            ".gitignore": "/dist/\n/build/\n*.egg-info/\n",
            "README.md": "# rksetup\n\nReleased by tests.\n",
            "pyproject.toml": f"""\
            [build-system]
            requires = ["setuptools>=61"]
            build-backend = "setuptools.build_meta"

            [project]
            name = "{NAME}"
            version = "1.0.0"
            description = "A setuptools project: its sdist is never byte-identical twice"
            readme = "README.md"
            requires-python = ">=3.10"
            """,
            f"src/{NAME}/__init__.py": '"""rksetup."""\n',
        },
    )
    return git_init(root) if init else root


def indexes(path: Path, test: PypiServer, prod: PypiServer, *, prod_upload: str = "") -> Path:
    """The repositories, in a --config file outside the project (fixing them changes no
    project file)."""
    path.write_text(
        f'[repositories.test]\nupload-url = "{test.upload_url}"\n'
        f'index-url = "{test.simple_url}"\n'
        f'[repositories.prod]\nupload-url = "{prod_upload or prod.upload_url}"\n'
        f'index-url = "{prod.simple_url}"\nanonymous-upload = true\n',
        encoding="utf-8",
    )
    return path


def next_second() -> None:
    """setuptools stamps the sdist with the time in whole seconds: a rebuild in the same
    second could come out identical and hide the difference."""
    time.sleep(1.05)


def releasekit(root: Path, config: Path, *argv: str) -> int:
    return main([*argv, "--project", str(root), "--config", str(config)])


def test_setuptools_sdist_differs_when_built_again(tmp_path: Path) -> None:
    """The premise of this module: if setuptools ever makes it reproducible, the tests
    below prove nothing and need another backend."""
    root = setuptools_project(tmp_path / "project")
    config = tmp_path / "none.toml"
    config.write_text("", encoding="utf-8")
    assert releasekit(root, config, "build") == ExitCode.OK
    first = sha256_files(root / "dist")
    next_second()
    assert releasekit(root, config, "build") == ExitCode.OK
    assert sha256_files(root / "dist")[SDIST] != first[SDIST]


def test_release_stopped_after_the_test_upload_resumes_with_the_files_test_has(
    tmp_path: Path,
    servers: PypiServers,
    capsys: pytest.CaptureFixture[str],
    fault_proxy: StartProxy,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root = setuptools_project(tmp_path / "project")
    test, prod = servers.start("test"), servers.start("prod")
    # prod fails every upload with a 500 (the pre-flight's credential proof takes that for
    # a passing fault): the release stops after the test upload.
    proxy = fault_proxy(prod.url)
    proxy.fail_next(1000, 500, methods={"POST"})
    broken = proxy.proxied(prod.upload_url)
    config = indexes(tmp_path / "indexes.toml", test, prod, prod_upload=broken)
    monkeypatch.setenv("RELEASEKIT_UPLOAD_TIMEOUT", "4")

    code = releasekit(root, config, "release", "patch", "--yes", "--no-push")
    assert code == ExitCode.UPLOAD
    on_test = sha256_files(test.packages_dir)
    assert sorted(on_test) == ["rksetup-1.0.1-py3-none-any.whl", "rksetup-1.0.1.tar.gz"]
    assert "release --resume --yes" in capsys.readouterr().err

    next_second()
    monkeypatch.delenv("RELEASEKIT_UPLOAD_TIMEOUT")
    indexes(config, test, prod)  # prod takes uploads again
    assert releasekit(root, config, "release", "--resume", "--yes", "--no-push") == ExitCode.OK

    err = capsys.readouterr().err
    assert "build: reused the 2 artifacts built from" in err
    # What went to test went to prod, byte for byte, and is what dist/ holds.
    assert sha256_files(prod.packages_dir) == on_test
    assert sha256_files(test.packages_dir) == on_test
    assert {k: v for k, v in sha256_files(root / "dist").items() if k in on_test} == on_test
    assert git(root, "tag", "--list") == "v1.0.1"


def test_publish_run_again_reuses_the_files_already_on_the_index(
    tmp_path: Path, servers: PypiServers, capsys: pytest.CaptureFixture[str]
) -> None:
    root = setuptools_project(tmp_path / "project")
    test, prod = servers.start("test"), servers.start("prod")
    config = indexes(tmp_path / "indexes.toml", test, prod)
    assert releasekit(root, config, "publish", "--test", "--yes") == ExitCode.OK
    published = sha256_files(test.packages_dir)
    capsys.readouterr()

    next_second()
    assert releasekit(root, config, "publish", "--test", "--yes", "--json") == ExitCode.OK

    summary = json.loads(capsys.readouterr().out)
    outcomes = {step["name"]: step for step in summary["steps"]}
    assert outcomes["build"]["summary"]["reused"] is True
    assert outcomes["upload (test)"]["outcome"] == "uploaded 0, skipped 2 already there"
    assert sha256_files(test.packages_dir) == published


def test_publish_to_prod_after_test_sends_the_files_test_has(
    tmp_path: Path, servers: PypiServers
) -> None:
    """publish --test, then publish: prod gets the very bytes test verified."""
    root = setuptools_project(tmp_path / "project")
    test, prod = servers.start("test"), servers.start("prod")
    config = indexes(tmp_path / "indexes.toml", test, prod)
    assert releasekit(root, config, "publish", "--test", "--yes") == ExitCode.OK
    next_second()
    assert releasekit(root, config, "publish", "--yes") == ExitCode.OK
    assert sha256_files(prod.packages_dir) == sha256_files(test.packages_dir)


def test_publish_after_a_source_change_refuses_to_rebuild_the_used_version(
    tmp_path: Path, servers: PypiServers, capsys: pytest.CaptureFixture[str]
) -> None:
    """The files in dist/ are reused only for the source they were built from, and never
    rebuilt: a commit that changes the project without a new version must not pass as
    published."""
    root = setuptools_project(tmp_path / "project")
    test, prod = servers.start("test"), servers.start("prod")
    config = indexes(tmp_path / "indexes.toml", test, prod)
    assert releasekit(root, config, "publish", "--test", "--yes") == ExitCode.OK
    published = sha256_files(test.packages_dir)
    write(root, {f"src/{NAME}/__init__.py": '"""rksetup, changed."""\n'})
    git(root, "commit", "-qam", "A change without a new version")
    capsys.readouterr()

    assert releasekit(root, config, "publish", "--test", "--yes") == ExitCode.BUILD
    err = capsys.readouterr().err
    assert "the project's files changed since (src/rksetup/__init__.py)" in err
    assert "a filename can never be reused" in err
    assert "Bump the version to publish the changes" in err
    assert sha256_files(test.packages_dir) == published
    assert sha256_files(root / "dist") == published


def test_publish_with_nothing_uploaded_yet_builds_again(
    tmp_path: Path, servers: PypiServers, capsys: pytest.CaptureFixture[str]
) -> None:
    """Until a file went to an index, a rerun builds afresh (a backend upgraded since may
    make better files)."""
    root = setuptools_project(tmp_path / "project")
    test, prod = servers.start("test"), servers.start("prod")
    config = indexes(tmp_path / "indexes.toml", test, prod)
    assert releasekit(root, config, "build") == ExitCode.OK
    built = sha256_files(root / "dist")
    next_second()
    capsys.readouterr()

    assert releasekit(root, config, "publish", "--test", "--yes") == ExitCode.OK
    assert "build: reused" not in capsys.readouterr().err
    assert sha256_files(test.packages_dir)[SDIST] != built[SDIST]


def test_build_over_files_already_uploaded_refuses_and_leaves_them(
    tmp_path: Path, servers: PypiServers, capsys: pytest.CaptureFixture[str]
) -> None:
    """Once an upload of a version began, build never rebuilds or overwrites its files:
    with such a backend the rebuild could never go up beside them."""
    root = setuptools_project(tmp_path / "project")
    test, prod = servers.start("test"), servers.start("prod")
    config = indexes(tmp_path / "indexes.toml", test, prod)
    assert releasekit(root, config, "publish", "--test", "--yes") == ExitCode.OK
    sent = sha256_files(root / "dist")
    next_second()
    capsys.readouterr()

    assert releasekit(root, config, "build") == ExitCode.BUILD

    err = capsys.readouterr().err
    assert f"The files of {NAME} 1.0.0 went to test (an upload began)" in err
    assert "they are not rebuilt or overwritten" in err
    assert "an unfinished release is finished by publish or release --resume" in " ".join(
        err.split()
    )
    assert sha256_files(root / "dist") == sent


def test_publish_puts_back_the_sent_files_when_dist_is_gone(
    tmp_path: Path, servers: PypiServers, capsys: pytest.CaptureFixture[str]
) -> None:
    """The files whose upload began are kept beside their note: a deleted dist/ does not
    make a rerun rebuild (and find "a different file" on the index)."""
    import shutil

    root = setuptools_project(tmp_path / "project")
    test, prod = servers.start("test"), servers.start("prod")
    config = indexes(tmp_path / "indexes.toml", test, prod)
    assert releasekit(root, config, "publish", "--test", "--yes") == ExitCode.OK
    on_test = sha256_files(test.packages_dir)
    shutil.rmtree(root / "dist")
    next_second()
    capsys.readouterr()

    assert releasekit(root, config, "publish", "--yes") == ExitCode.OK

    err = capsys.readouterr().err
    assert "put back into" in err
    assert SDIST in err
    assert sha256_files(prod.packages_dir) == on_test == sha256_files(root / "dist")


def test_a_monorepo_publish_runs_again_with_its_packages_own_files(
    tmp_path: Path, servers: PypiServers
) -> None:
    """publish over every package builds them all first: a package whose upload began is
    not rebuilt there either."""
    root = tmp_path / "repo"
    write(
        root,
        {
            ".gitignore": "dist/\nbuild/\n*.egg-info/\n",
            "pyproject.toml": '[tool.releasekit]\npackages = ["packages/*"]\n'
            'tag-format = "{name}-v{version}"\n',
        },
    )
    setuptools_project(root / "packages" / "one", init=False)
    git_init(root)
    test, prod = servers.start("test"), servers.start("prod")
    config = indexes(tmp_path / "indexes.toml", test, prod)

    assert releasekit(root, config, "publish", "--test", "--yes") == ExitCode.OK
    first = sha256_files(test.packages_dir)
    next_second()
    assert releasekit(root, config, "publish", "--test", "--yes") == ExitCode.OK
    assert sha256_files(test.packages_dir) == first
