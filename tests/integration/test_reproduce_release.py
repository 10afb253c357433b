"""verify --reproduce end to end: a real project tagged in git, built in isolation as a
release is, its files served by a real pypiserver; the rebuild from the tag runs in a
fresh isolated environment and is compared with what pypiserver serves."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest

from index_servers import PypiServer
from layouts import git_init, write
from release_project import git, write_project
from releasekit.cli import main
from releasekit.errors import ExitCode


def release(root: Path, index: PypiServer) -> None:
    """Build as a release does (isolated) and put the files on the index."""
    assert main(["--project", str(root), "build", "--isolation"]) == 0
    for path in (root / "dist").iterdir():
        shutil.copy2(path, index.packages_dir / path.name)


def reproduce(
    capsys: pytest.CaptureFixture[str], root: Path, index: PypiServer
) -> tuple[int, dict[str, object], str]:
    capsys.readouterr()
    code = main([
        "--project", str(root), "--json", "verify", "--reproduce",
        "--repository-url", index.upload_url, "--index-url", index.simple_url,
    ])  # fmt: skip
    out, err = capsys.readouterr()
    return code, json.loads(out), err


def outcomes(summary: dict[str, object]) -> dict[str, str]:
    files = summary["files"]
    assert isinstance(files, list)
    return {f["filename"]: f["outcome"] for f in files}


def test_a_release_built_from_its_tag_is_reproduced_byte_for_byte(
    tmp_path: Path, pypiserver: PypiServer, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_project(tmp_path / "rk-demo")
    git(root, "tag", "--annotate", "--message", "Release 1.0.0", "v1.0.0")
    release(root, pypiserver)
    git(root, "commit", "--quiet", "--allow-empty", "--message", "after the release")

    code, summary, err = reproduce(capsys, root, pypiserver)

    assert code == 0, err
    assert outcomes(summary) == {
        "rk_demo-1.0.0-py3-none-any.whl": "reproduced",
        "rk_demo-1.0.0.tar.gz": "reproduced",
    }
    assert summary["tag"] == "v1.0.0"
    assert summary["commit"] == git(root, "rev-parse", "v1.0.0^{commit}")
    # The checkout is as it was: no worktree left, nothing changed.
    assert git(root, "worktree", "list", "--porcelain").count("worktree ") == 1
    assert git(root, "status", "--porcelain") == ""


def test_a_release_not_built_from_its_tag_names_the_differing_members_and_fields(
    tmp_path: Path, pypiserver: PypiServer, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_project(tmp_path / "rk-demo")
    git(root, "tag", "--annotate", "--message", "Release 1.0.0", "v1.0.0")
    # Released from a dirty tree: other code and another summary than the tag has.
    (root / "src" / "rk_demo" / "__init__.py").write_text("ANSWER = 43\n", encoding="utf-8")
    pyproject = root / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    pyproject.write_text(text.replace("released by releasekit's tests", "edited"), "utf-8")
    release(root, pypiserver)
    git(root, "checkout", "--", ".")

    code, summary, err = reproduce(capsys, root, pypiserver)

    assert code == ExitCode.VERIFY
    assert summary["ok"] is False
    listed = summary["files"]
    assert isinstance(listed, list)
    files = {f["filename"]: f for f in listed}
    wheel, sdist = files["rk_demo-1.0.0-py3-none-any.whl"], files["rk_demo-1.0.0.tar.gz"]
    assert (wheel["outcome"], sdist["outcome"]) == ("mismatch", "mismatch")
    assert "rk_demo/__init__.py (content)" in wheel["members"]
    assert "rk_demo-1.0.0.dist-info/METADATA (content)" in wheel["members"]
    assert wheel["metadata_fields"] == ["Summary"]
    assert "rk_demo-1.0.0/src/rk_demo/__init__.py (content)" in sdist["members"]
    assert sdist["metadata_fields"] == ["Summary"]
    host = pypiserver.upload_url.split("//")[1].rstrip("/")  # --repository-url: its host
    assert (
        f"rk-demo 1.0.0 rebuilt from v1.0.0 is not what {host} serves: "
        "rk_demo-1.0.0-py3-none-any.whl, rk_demo-1.0.0.tar.gz."
    ) in err


def test_a_setuptools_sdist_that_differs_only_in_time_is_a_note(
    tmp_path: Path, pypiserver: PypiServer, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "rksetup"
    write(
        root,
        {
            ".gitignore": "/dist/\n/build/\n*.egg-info/\n",
            "pyproject.toml": """\
            [build-system]
            requires = ["setuptools>=61"]
            build-backend = "setuptools.build_meta"

            [project]
            name = "rksetup"
            version = "1.0.0"
            """,
            "src/rksetup/__init__.py": "",
        },
    )
    git_init(root, tag="v1.0.0")
    release(root, pypiserver)
    time.sleep(1.05)  # setuptools stamps whole seconds

    code, summary, err = reproduce(capsys, root, pypiserver)

    assert code == 0, err
    found = outcomes(summary)
    assert found["rksetup-1.0.0.tar.gz"] == "unreproducible"
    files = summary["files"]
    assert isinstance(files, list)
    note = next(f["note"] for f in files if f["outcome"] == "unreproducible")
    assert note.startswith("not reproducible with setuptools.build_meta: setuptools writes")
    assert found["rksetup-1.0.0-py3-none-any.whl"] == "reproduced"


def test_a_version_without_its_tag_is_refused(
    tmp_path: Path, pypiserver: PypiServer, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_project(tmp_path / "rk-demo")

    capsys.readouterr()
    code = main([
        "--project", str(root), "verify", "--reproduce",
        "--repository-url", pypiserver.upload_url, "--index-url", pypiserver.simple_url,
    ])  # fmt: skip

    assert code == ExitCode.VCS
    assert "There is no tag v1.0.0 to rebuild rk-demo 1.0.0 from." in capsys.readouterr().err


def test_an_index_without_the_release_is_refused_and_the_checkout_left_as_it_was(
    tmp_path: Path, pypiserver: PypiServer, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_project(tmp_path / "rk-demo")
    git(root, "tag", "--annotate", "--message", "Release 1.0.0", "v1.0.0")

    capsys.readouterr()
    code = main([
        "--project", str(root), "verify", "--reproduce",
        "--repository-url", pypiserver.upload_url, "--index-url", pypiserver.simple_url,
    ])  # fmt: skip

    err = capsys.readouterr().err
    assert code == ExitCode.VERIFY
    assert "has no files of rk-demo 1.0.0 to compare with." in err
    assert "Traceback" not in err
    assert git(root, "worktree", "list", "--porcelain").count("worktree ") == 1
    assert git(root, "status", "--porcelain") == ""
