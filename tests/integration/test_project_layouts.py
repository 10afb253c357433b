"""Where the version lives, as real projects keep it: setup.cfg, setup.py (never run),
re-exports, a package __version__ bumped along, the build backend as a last resort; the
project found upward from the working directory; changelogs releasekit does not roll."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from index_servers import PypiServer
from layouts import commit_on_top, copy_project, git_init, write
from releasekit.cli import main
from releasekit.config import ReleaseConfig
from releasekit.errors import ExitCode
from releasekit.project import load_project


def git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=root, check=True, capture_output=True, text=True
    ).stdout.strip()


def released(root: Path) -> Path:
    return commit_on_top(git_init(root, tag="v1.2.3"))


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.parts
    }


def run_json(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, dict[str, Any]]:
    capsys.readouterr()
    code = main([*(str(a) for a in argv), "--json"])
    out = capsys.readouterr().out
    return code, json.loads(out)


def test_setup_py_is_read_never_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = copy_project("setup-py-literal", tmp_path)
    setup_py = (root / "setup.py").read_text()
    write(root, {"setup.py": 'open("EXECUTED", "w").close()\n' + setup_py})

    code, summary = run_json(capsys, "version", "--project", root)

    assert code == ExitCode.OK
    assert (summary["project"], summary["version"]) == ("rk-six", "1.2.3")
    assert not (root / "EXECUTED").exists()


def test_requests_style_about_dict_is_followed_to_the_module(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = copy_project("setup-py-about", tmp_path)

    assert main(["bump-version", "minor", "--no-commit", "--no-tag", "--project", str(root)]) == 0

    assert '__version__ = "1.3.0"' in (root / "src/rk_requests/__version__.py").read_text()
    assert 'version=about["__version__"]' in (root / "setup.py").read_text()


def test_setup_cfg_literal_and_the_package_version_are_bumped_together(tmp_path: Path) -> None:
    root = copy_project("setup-cfg-literal", tmp_path)

    assert main(["bump-version", "patch", "--no-commit", "--no-tag", "--project", str(root)]) == 0

    assert "version = 1.2.4\n" in (root / "setup.cfg").read_text()
    assert (root / "rk_cfg_literal/__init__.py").read_text() == '__version__ = "1.2.4"\n'


def test_reexported_version_is_bumped_where_it_is_assigned(tmp_path: Path) -> None:
    root = copy_project("flit-reexport", tmp_path)
    init_before = (root / "rk_idna/__init__.py").read_bytes()

    assert main(["bump-version", "patch", "--no-commit", "--no-tag", "--project", str(root)]) == 0

    assert (root / "rk_idna/package_data.py").read_text() == "__version__ = '1.2.4'\n"
    assert (root / "rk_idna/__init__.py").read_bytes() == init_before


def test_stale_package_version_is_named_and_the_bump_fixes_it(tmp_path: Path) -> None:
    root = copy_project("flat-stale-version", tmp_path)
    write(root, {"rk_flat/__init__.py": '"""Flat."""\n\n__version__ = "1.2.2"\n'})

    project = load_project(root, ReleaseConfig())
    assert project.read_version() == "1.2.3"  # pyproject.toml decides
    assert project.stale_locations("1.2.3") == [
        "rk_flat/__init__.py:3 says __version__ = '1.2.2', the project is 1.2.3"
    ]

    assert main(["bump-version", "patch", "--no-commit", "--no-tag", "--project", str(root)]) == 0
    assert '__version__ = "1.2.4"' in (root / "rk_flat/__init__.py").read_text()
    assert load_project(root, ReleaseConfig()).stale_locations("1.2.4") == []


def test_project_is_found_upward_from_a_subdirectory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = released(copy_project("setup-cfg-attr", tmp_path / "project"))
    monkeypatch.chdir(root / "src" / "rk_cachetools")

    assert main(["version"]) == ExitCode.OK

    assert capsys.readouterr().out.strip() == "1.2.3"


def test_search_upward_stops_at_the_top_of_the_git_work_tree(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    copy_project("static", tmp_path)  # a project around the repository: not this one's
    inner = tmp_path / "checkout"
    write(inner, {"notes.txt": "not a project\n"})
    git_init(inner)
    monkeypatch.chdir(inner)

    assert main(["version"]) == ExitCode.PROJECT

    assert f"No pyproject.toml, setup.cfg or setup.py in {inner}" in capsys.readouterr().err


def test_computed_version_comes_from_the_build_backend_with_a_note(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write(
        tmp_path,
        {
            "setup.py": """\
            from setuptools import setup

            setup(name="rk-computed", version=".".join(["1", "2", "3"]), py_modules=[])
            """,
        },
    )
    project = load_project(root, ReleaseConfig())
    assert (project.name, project.read_version()) == ("rk-computed", "1.2.3")
    assert "the build backend reports 1.2.3" in project.notes[0]

    code, built = run_json(capsys, "build", "--project", root)
    assert code == ExitCode.OK
    assert sorted(a["filename"] for a in built["artifacts"]) == [
        "rk_computed-1.2.3-py3-none-any.whl",
        "rk_computed-1.2.3.tar.gz",
    ]
    assert any("the build backend reports 1.2.3" in note for note in built["notes"])

    before = snapshot(root)
    assert main(["bump-version", "patch", "--project", str(root)]) == ExitCode.PROJECT
    err = capsys.readouterr().err
    assert "computed when the build backend runs" in err
    assert "version-files" in err
    assert snapshot(root) == before


def test_a_version_setup_py_imports_from_the_module_is_bumped_in_the_module(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """six's way: setup.py imports the module and passes its __version__ on."""
    root = write(
        tmp_path / "project",
        {
            "setup.py": """\
            from setuptools import setup

            import rk_sixlike

            setup(name="rk-sixlike", version=rk_sixlike.__version__, py_modules=["rk_sixlike"])
            """,
            "rk_sixlike.py": '"""Like six."""\n\n__version__ = "1.16.0"\n',
            ".gitignore": "/dist/\n*.egg-info/\n/build/\n",
        },
    )
    git_init(root)

    code, bumped = run_json(capsys, "bump-version", "patch", "--project", root)

    assert code == ExitCode.OK, bumped
    assert (bumped["previous"], bumped["version"]) == ("1.16.0", "1.16.1")
    assert "it is the __version__ in rk_sixlike.py, which bump-version rewrites" in " ".join(
        bumped["notes"]
    )
    assert not [n for n in bumped["notes"] if "bump-version needs the file" in n]
    assert '__version__ = "1.16.1"' in (root / "rk_sixlike.py").read_text()
    assert main(["version", "--project", str(root)]) == ExitCode.OK
    assert capsys.readouterr().out == "1.16.1\n"


def test_other_changelog_is_left_untouched_with_a_note(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = released(copy_project("changelog-md-headings", tmp_path))
    changelog = (root / "CHANGELOG.md").read_bytes()

    code, summary = run_json(capsys, "bump-version", "patch", "--project", root)

    assert code == ExitCode.OK
    assert (root / "CHANGELOG.md").read_bytes() == changelog
    assert any("CHANGELOG.md has no '## [Unreleased]' section" in n for n in summary["notes"])


def test_towncrier_writes_the_changelog_inside_the_bump(tmp_path: Path) -> None:
    root = released(copy_project("towncrier", tmp_path))

    assert main(["bump-version", "patch", "--project", str(root)]) == 0

    changelog = (root / "CHANGELOG.md").read_text()
    assert "## [1.2.4](https://example.invalid/1.2.4)" in changelog
    assert "Frobnicate the widgets. (#123)" in changelog
    assert not (root / "changelog.d/123.feature.md").exists()
    assert git(root, "status", "--porcelain") == ""  # all in the release commit
    assert git(root, "show", "--name-status", "--format=", "HEAD").splitlines() == [
        "M\tCHANGELOG.md",
        "D\tchangelog.d/123.feature.md",
        "M\tpyproject.toml",
    ]


def test_towncrier_changes_are_restored_when_the_release_commit_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = released(copy_project("towncrier", tmp_path))
    hook = root / ".git/hooks/pre-commit"
    hook.write_text("#!/bin/sh\necho refused by the hook\nexit 1\n")
    hook.chmod(0o755)
    before = snapshot(root)

    assert main(["bump-version", "patch", "--project", str(root)]) != ExitCode.OK

    assert "refused by the hook" in capsys.readouterr().err
    assert snapshot(root) == before
    assert git(root, "status", "--porcelain") == ""
    assert git(root, "tag", "--list", "v1.2.4") == ""


def test_scriv_collects_the_fragments_inside_the_bump(tmp_path: Path) -> None:
    root = released(copy_project("scriv", tmp_path))

    assert main(["bump-version", "patch", "--project", str(root)]) == 0

    changelog = (root / "CHANGELOG.md").read_text()
    assert "1.2.4" in changelog
    assert "- A new thing." in changelog
    assert not (root / "changelog.d/20241128_120000_dev.md").exists()
    assert git(root, "status", "--porcelain") == ""


def test_check_warns_when_the_changelog_lacks_the_version_and_fails_if_required(
    tmp_path: Path, pypiserver: PypiServer, capsys: pytest.CaptureFixture[str]
) -> None:
    root = copy_project("setup-cfg-attr", tmp_path / "project")
    write(root, {"CHANGES.rst": "1.2.3 (2024-05-01)\n==================\n\n- Fixes.\n"})
    released(root)
    assert main(["bump-version", "patch", "--project", str(root)]) == 0
    assert main(["build", "--project", str(root)]) == 0
    url = ["--repository-url", pypiserver.upload_url]

    code, summary = run_json(capsys, "check", "--project", root, *url)
    assert code == ExitCode.OK
    assert "CHANGES.rst does not mention 1.2.4" in summary["warnings"]
    # setuptools left src/rk_cachetools.egg-info/ behind: not an uncommitted change.
    assert any(
        n.startswith("src/rk_cachetools.egg-info/: build output and by-products")
        for n in summary["notes"]
    )

    required = write(tmp_path, {"strict.toml": "changelog-required = true\n"}) / "strict.toml"
    code, summary = run_json(capsys, "check", "--project", root, "--config", required, *url)
    assert code == ExitCode.CHECK
    assert summary["failures"] == ["CHANGES.rst does not mention 1.2.4"]


def test_build_tells_the_backend_the_tag_version_when_two_tags_share_head(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = copy_project("setuptools-scm-version-file", tmp_path)
    released(root)
    git(root, "tag", "--annotate", "-m", "1.2.4", "v1.2.4")
    git(root, "tag", "--annotate", "-m", "1.2.3", "--force", "v1.2.3")  # both on HEAD

    code, summary = run_json(capsys, "build", "--project", root)

    assert code == ExitCode.OK
    assert sorted(a["filename"] for a in summary["artifacts"]) == [
        "rk_pluggy-1.2.4-py3-none-any.whl",
        "rk_pluggy-1.2.4.tar.gz",
    ]
    assert "The backend is told the version of the tag v1.2.4 at HEAD (1.2.4)." in summary["notes"]


def test_check_fails_when_the_package_version_is_stale(
    tmp_path: Path, pypiserver: PypiServer, capsys: pytest.CaptureFixture[str]
) -> None:
    root = copy_project("flat-stale-version", tmp_path / "project")
    write(root, {"rk_flat/__init__.py": '"""Flat."""\n\n__version__ = "1.2.2"\n'})
    released(root)
    assert main(["build", "--project", str(root)]) == 0

    code, summary = run_json(
        capsys, "check", "--project", root, "--repository-url", pypiserver.upload_url
    )

    assert code == ExitCode.CHECK
    stale = "rk_flat/__init__.py:3 says __version__ = '1.2.2', the project is 1.2.3"
    assert stale in summary["failures"]


def test_a_failing_changelog_tool_leaves_everything_as_it_was(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = copy_project("towncrier", tmp_path)
    pyproject = (root / "pyproject.toml").read_text()
    # A template that exists (the pre-flight checks that) but that Jinja cannot read.
    write(
        root,
        {
            "pyproject.toml": pyproject + 'template = "changelog.d/broken.md.jinja"\n',
            "changelog.d/broken.md.jinja": "{% if %}\n",
        },
    )
    released(root)
    before = snapshot(root)

    assert main(["bump-version", "patch", "--project", str(root)]) == ExitCode.COMMAND

    assert "towncrier build --version 1.2.4 --yes" in capsys.readouterr().err
    assert snapshot(root) == before
    assert git(root, "status", "--porcelain") == ""
    assert git(root, "tag", "--list", "v1.2.4") == ""
