"""check: each problem an index would reject is found, and all of them at once."""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from index_servers import PypiServer, make_wheel, sha256_of, upload
from layouts import git_init, write
from releasekit.cli import main
from releasekit.config import load_config
from releasekit.errors import ExitCode
from releasekit.plan import resolve_plan
from releasekit.runner import SubprocessRunner
from releasekit.steps.build import build_release
from static_index import StaticIndex

WHEEL = "check_me-1.0.0-py3-none-any.whl"
SDIST = "check_me-1.0.0.tar.gz"


_BUILT: dict[tuple[str, bool | str, str], Path] = {}


@pytest.fixture(scope="session")
def templates(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where each project variant is built once for the session."""
    return tmp_path_factory.mktemp("check-templates")


@pytest.fixture
def make_project(templates: Path) -> Callable[..., Path]:
    def make(
        root: Path,
        *,
        version: str = "1.0.0",
        readme: bool | str = True,
        classifiers: str = "",
    ) -> Path:
        return _make_project(
            templates, root, version=version, readme=readme, classifiers=classifiers
        )

    return make


def _make_project(
    templates: Path,
    root: Path,
    *,
    version: str = "1.0.0",
    readme: bool | str = True,
    classifiers: str = "",
) -> Path:
    """A hatchling project in git on main, built into dist/ (each variant built once).
    ``readme``: README.md, none, or the text of a README.rst declared without a content
    type."""
    key = (version, readme, classifiers)
    if key not in _BUILT:
        template = templates / f"p{len(_BUILT)}"
        write(template, {
            ".gitignore": "/dist/\n",
            "README.md": "# check-me\n\nChecked before every release.\n",
            "README.rst": readme if isinstance(readme, str) else "",
            "src/check_me/__init__.py": "",
            "pyproject.toml": f"""\
                [build-system]
                requires = ["hatchling"]
                build-backend = "hatchling.build"

                [project]
                name = "check-me"
                version = "{version}"
                description = "A project that gets checked"
                requires-python = ">=3.10"
                {_readme_line(readme)}
                classifiers = [{classifiers}]

                [tool.hatch.build.targets.wheel]
                packages = ["src/check_me"]

                [tool.releasekit]
                release-branches = ["main", "release/*"]

                [tool.releasekit.build]
                isolation = false
                """,
        })  # fmt: skip
        git_init(template)
        runner = SubprocessRunner(echo=False)
        build_release(resolve_plan(template, load_config(template, env={}), runner), runner)
        _BUILT[key] = template
    shutil.copytree(_BUILT[key], root)
    return root


def _readme_line(readme: bool | str) -> str:
    if isinstance(readme, str):
        return 'readme = {file = "README.rst", content-type = "text/x-rst"}'
    return 'readme = "README.md"' if readme else ""


BROKEN_RST = "check-me\n========\n\nSee `the docs <https://example.org\n"


def check(
    root: Path, index: PypiServer, *args: str, upload_url: str = ""
) -> tuple[int, dict[str, object]]:
    """``releasekit check --json`` against ``index`` (uploading, by default, to it too)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        code = main(["check", "--project", str(root), "--json", "--repository", "test",
                     "--repository-url", upload_url or index.upload_url,
                     "--index-url", index.simple_url, *args])  # fmt: skip
    return code, json.loads(out.getvalue())


def failures(summary: dict[str, object]) -> list[str]:
    found = summary["failures"]
    assert isinstance(found, list)
    return [str(f) for f in found]


def test_a_clean_release_passes_every_check(
    tmp_path: Path, make_project: Callable[..., Path], pypiserver: PypiServer
) -> None:
    root = make_project(tmp_path / "p")
    code, summary = check(root, pypiserver)
    assert code == ExitCode.OK
    assert summary["ok"] is True
    assert summary["passed"] == [
        "twine check",
        "artifact names",
        "artifact metadata",
        "PEP 440 version",
        "target rules",
        "git",
        "index test",
    ]
    assert [s["state"] for s in summary["index"]] == ["absent", "absent"]  # type: ignore[attr-defined]


def test_the_build_output_directory_is_not_an_uncommitted_change(
    tmp_path: Path, make_project: Callable[..., Path], pypiserver: PypiServer
) -> None:
    root = make_project(tmp_path / "p")
    (root / ".gitignore").unlink()  # a project that never ignored dist/
    subprocess.run(["git", "commit", "-qam", "No .gitignore"], cwd=root, check=True)

    code, summary = check(root, pypiserver)

    assert code == ExitCode.OK, failures(summary)
    assert "git" in summary["passed"]  # type: ignore[operator]
    notes = summary["notes"]
    assert isinstance(notes, list)
    assert any(n.startswith("dist/: build output and by-products") for n in notes), notes
    # Nor for the bump, which commits its own files only.
    assert main(["bump-version", "patch", "--project", str(root)]) == ExitCode.OK
    assert (root / "dist").is_dir()


def test_a_readme_pypi_cannot_render_fails_check_with_docutils_message_and_line(
    tmp_path: Path, make_project: Callable[..., Path], pypiserver: PypiServer
) -> None:
    root = make_project(tmp_path / "p", readme=BROKEN_RST)
    code, summary = check(root, pypiserver)
    assert code == ExitCode.CHECK
    [wheel_failure] = [f for f in failures(summary) if ".whl" in f]
    assert wheel_failure.startswith("twine check failed: check_me-1.0.0-py3-none-any.whl: ")
    assert (
        "the long description does not render, so PyPI would refuse the upload "
        "(\"The description failed to render for 'text/x-rst'\"); docutils says: <string>:4: "
        "(WARNING/2) Inline interpreted text or phrase reference start-string without "
        "end-string."
    ) in wheel_failure
    assert wheel_failure.endswith("[twine-description-render]")


def test_a_missing_description_is_a_warning_pypi_takes_and_its_id_skips_it_alone(
    tmp_path: Path,
    make_project: Callable[..., Path],
    pypiserver: PypiServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """twine check --strict fails on no description; PyPI takes it: a warning, skipped by
    its own id while the rest of twine check runs."""
    root = make_project(tmp_path / "p", readme=False)

    code, summary = check(root, pypiserver)

    assert code == ExitCode.OK, failures(summary)
    assert "twine check" in summary["passed"]  # type: ignore[operator]
    assert summary["warnings"] == [
        f"{name}: there is no long description: the project page on PyPI will be empty "
        "(declare the readme: [project] readme, or setup's long_description) "
        "[twine-description-missing]"
        for name in ("check_me-1.0.0-py3-none-any.whl", "check_me-1.0.0.tar.gz")
    ]

    monkeypatch.setenv("RELEASEKIT_SKIP_CHECKS", "twine-description-missing")
    code, summary = check(root, pypiserver)

    assert code == ExitCode.OK, failures(summary)
    assert summary["warnings"] == []
    assert "twine check" in summary["passed"]  # type: ignore[operator]
    assert "twine check: skipped by skip-checks: twine-description-missing." in summary["notes"]  # type: ignore[operator]


def test_skip_checks_twine_check_leaves_twine_check_out_and_says_so(
    tmp_path: Path,
    make_project: Callable[..., Path],
    pypiserver: PypiServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root = make_project(tmp_path / "p", readme=BROKEN_RST)
    monkeypatch.setenv("RELEASEKIT_SKIP_CHECKS", "twine-check")

    code, summary = check(root, pypiserver)

    assert code == ExitCode.OK, failures(summary)
    assert "twine check" not in summary["passed"]  # type: ignore[operator]
    assert "artifact metadata" in summary["passed"]  # type: ignore[operator]
    notes = summary["notes"]
    assert isinstance(notes, list)
    assert any(
        n.startswith("skipped by skip-checks (twine-check): all of twine check --strict")
        for n in notes
    )
    assert not any("PyPI rules skipped" in n for n in notes)  # twine-check is no PyPI rule


def test_stale_artifact_of_another_version_is_refused(
    tmp_path: Path, make_project: Callable[..., Path], pypiserver: PypiServer
) -> None:
    root = make_project(tmp_path / "p")
    make_wheel(root / "dist", "check-me", "0.9.0")
    shutil.copy(root / "dist" / SDIST, root / "dist" / "check_me-1.0.0.zip")
    code, summary = check(root, pypiserver)
    assert code == ExitCode.CHECK
    problems = failures(summary)
    assert "check_me-0.9.0-py3-none-any.whl: version 0.9.0, expected 1.0.0" in problems
    assert (
        "check_me-0.9.0-py3-none-any.whl: metadata Version is '0.9.0', the project is "
        "1.0.0" in problems
    )
    assert any("2 sdists" in p and "expected one" in p for p in problems)
    assert "check_me-1.0.0.zip: a .zip sdist; PEP 625 sdists are .tar.gz" in problems


def test_non_normalised_wheel_name_is_refused(
    tmp_path: Path, make_project: Callable[..., Path], pypiserver: PypiServer
) -> None:
    root = make_project(tmp_path / "p")
    (root / "dist" / WHEEL).rename(root / "dist" / "Check_Me-1.0.0-py3-none-any.whl")
    code, summary = check(root, pypiserver)
    assert code == ExitCode.CHECK
    assert any("'Check_Me' is not normalised" in p for p in failures(summary))


def test_version_not_in_normalised_form_is_refused(
    tmp_path: Path, make_project: Callable[..., Path], pypiserver: PypiServer
) -> None:
    root = make_project(tmp_path / "p", version="1.0.0-RC1")
    code, summary = check(root, pypiserver)
    assert code == ExitCode.CHECK
    assert any(
        "the version is written '1.0.0-RC1'; its normalised form is '1.0.0rc1'" in p
        for p in failures(summary)
    )


def test_public_index_refuses_local_versions_and_private_classifiers(
    tmp_path: Path, make_project: Callable[..., Path], pypiserver: PypiServer
) -> None:
    root = make_project(
        tmp_path / "p", version="1.0.0+acme.1", classifiers='"Private :: Do Not Upload"'
    )
    code, summary = check(root, pypiserver, upload_url="https://test.pypi.org/legacy/")
    assert code == ExitCode.CHECK
    problems = failures(summary)
    assert any(
        "1.0.0+acme.1 has a local version label (+acme.1); test is a public index "
        "(https://test.pypi.org/legacy/)" in p
        for p in problems
    )
    # Said once per file, by PyPI's own rule (no second wording from another check).
    private = [p for p in problems if "'Private :: Do Not Upload' is not a valid classifier" in p]
    assert len(private) == 2  # wheel and sdist


def test_dev_release_is_refused_for_a_production_repository_only(
    tmp_path: Path, make_project: Callable[..., Path], pypiserver: PypiServer
) -> None:
    """Production is PyPI's upload host, whatever the repository is called (the index is
    read from the local server: nothing reaches PyPI)."""
    root = make_project(tmp_path / "p", version="1.1.0.dev3")
    assert check(root, pypiserver, "--repository", "prod")[0] == ExitCode.OK
    code, summary = check(
        root, pypiserver, "--repository", "pypi", upload_url="https://upload.pypi.org/legacy/"
    )
    assert code == ExitCode.CHECK
    assert any(
        "1.1.0.dev3 is a development release; refusing it for pypi, a production repository" in p
        for p in failures(summary)
    )


def test_git_guards_dirty_tree_branch_and_stale_tag_all_listed(
    tmp_path: Path, make_project: Callable[..., Path], pypiserver: PypiServer
) -> None:
    root = make_project(tmp_path / "p")

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)

    git("tag", "v1.0.0")
    git("checkout", "--quiet", "-b", "feature/x")
    (root / "NOTES.txt").write_text("wip\n")
    git("add", "NOTES.txt")
    git("commit", "--quiet", "-m", "wip")
    (root / "src" / "check_me" / "__init__.py").write_text("# edited\n")
    code, summary = check(root, pypiserver)
    assert code == ExitCode.CHECK
    problems = failures(summary)
    assert any(
        p.startswith("the working tree has uncommitted changes: src/check_me/__init__.py (")
        for p in problems
    )
    assert any(
        "the branch 'feature/x' is not a release branch (main, release/*" in p for p in problems
    )
    assert any(
        p.startswith("the tag v1.0.0 exists but points at ")
        and p.endswith(
            "the project's files changed since (NOTES.txt): bump the version for a new release"
        )
        for p in problems
    )
    assert "git" not in summary["passed"]  # type: ignore[operator]


def test_identical_files_on_the_index_are_reported_as_already_uploaded(
    tmp_path: Path,
    make_project: Callable[..., Path],
    pypiserver: PypiServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    root = make_project(tmp_path / "p")
    upload(pypiserver, root / "dist" / WHEEL)
    code, summary = check(root, pypiserver)
    assert code == ExitCode.OK
    states = {s["filename"]: s["state"] for s in summary["index"]}  # type: ignore[attr-defined]
    assert states == {WHEEL: "identical", SDIST: "absent"}
    argv = [
        "check",
        "--project",
        str(root),
        "-r",
        "test",
        "--repository-url",
        pypiserver.upload_url,
    ]
    assert main(argv) == ExitCode.OK
    assert f"already on test (same sha256): {WHEEL}" in capsys.readouterr().out


def test_a_different_file_under_the_same_name_fails_with_both_hashes(
    tmp_path: Path, make_project: Callable[..., Path], pypiserver: PypiServer
) -> None:
    root = make_project(tmp_path / "p")
    other = make_wheel(tmp_path, "check-me", "1.0.0")
    upload(pypiserver, other)
    code, summary = check(root, pypiserver)
    assert code == ExitCode.CHECK
    assert (
        f"{WHEEL} is already on test with sha256 {sha256_of(other)}, but the local file has "
        f"sha256 {sha256_of(root / 'dist' / WHEEL)}; a filename can never be reused — bump "
        "the version and release that"
    ) in failures(summary)


def test_the_release_existing_with_other_files_fails(
    tmp_path: Path, make_project: Callable[..., Path], pypiserver: PypiServer
) -> None:
    root = make_project(tmp_path / "p")
    other = make_wheel(
        tmp_path, "check-me", "1.0.0", filename="check_me-1.0.0-py3-none-manylinux_2_17_x86_64.whl"
    )
    upload(pypiserver, other)
    code, summary = check(root, pypiserver)
    assert code == ExitCode.CHECK
    assert any(
        "check-me 1.0.0 already exists on test with other files "
        "(check_me-1.0.0-py3-none-manylinux_2_17_x86_64.whl)" in p
        for p in failures(summary)
    )


def test_other_files_matching_allow_other_files_pass_with_a_note(
    tmp_path: Path, make_project: Callable[..., Path], pypiserver: PypiServer
) -> None:
    root = make_project(tmp_path / "p")
    platform_wheel = "check_me-1.0.0-py3-none-manylinux_2_17_x86_64.whl"
    upload(pypiserver, make_wheel(tmp_path, "check-me", "1.0.0", filename=platform_wheel))
    settings = tmp_path / "matrix.toml"
    settings.write_text('allow-other-files = ["*-manylinux_*.whl"]\n')

    code, summary = check(root, pypiserver, "--config", str(settings))

    assert code == ExitCode.OK, failures(summary)
    assert summary["notes"] == [
        f"test also has {platform_wheel} (built elsewhere: allowed by allow-other-files)."
    ]
    assert [s["filename"] for s in summary["index"]] == [WHEEL, SDIST]  # type: ignore[attr-defined]


def test_an_unreachable_index_is_one_failure_among_the_others(
    tmp_path: Path, make_project: Callable[..., Path], pypiserver: PypiServer
) -> None:
    root = make_project(tmp_path / "p", readme=BROKEN_RST)
    dead = PypiServer(
        "http://127.0.0.1:9", "http://127.0.0.1:9/simple/", "http://127.0.0.1:9/", tmp_path
    )
    code, summary = check(root, dead)
    assert code == ExitCode.INDEX  # the index's own kind, as for every command
    problems = failures(summary)
    assert any("twine check failed" in p for p in problems)
    assert any(p.startswith("could not ask test what it has:") for p in problems)


def test_no_artifacts_says_build_first(
    tmp_path: Path,
    make_project: Callable[..., Path],
    pypiserver: PypiServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    root = make_project(tmp_path / "p")
    shutil.rmtree(root / "dist")
    assert (
        main(["check", "--project", str(root), "--repository-url", pypiserver.upload_url])
        == ExitCode.CHECK
    )
    assert "Build first: releasekit build." in capsys.readouterr().err


def _check_with_pypi_rules(
    root: Path, static_index: StaticIndex, monkeypatch: pytest.MonkeyPatch
) -> tuple[int, dict[str, object]]:
    monkeypatch.setenv("RELEASEKIT_PYPI_RULES", "true")
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        code = main(["check", "--project", str(root), "--json",
                     "--repository-url", "http://127.0.0.1:9/legacy/",
                     "--index-url", static_index.simple_url])  # fmt: skip
    return code, json.loads(out.getvalue())


def test_a_built_project_passes_pypis_upload_rules(
    tmp_path: Path,
    make_project: Callable[..., Path],
    static_index: StaticIndex,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root = make_project(tmp_path / "p")
    static_index.pages["check-me"] = {
        "meta": {"api-version": "1.4"},
        "name": "check-me",
        "project-status": {"status": "active"},
        "files": [],
    }
    code, summary = _check_with_pypi_rules(root, static_index, monkeypatch)
    assert code == ExitCode.OK, summary
    assert "PyPI upload rules" in summary["passed"]  # type: ignore[operator]
    assert summary["warnings"] == []


def test_pypi_rules_refuse_an_archived_project_before_any_upload(
    tmp_path: Path,
    make_project: Callable[..., Path],
    static_index: StaticIndex,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root = make_project(tmp_path / "p", classifiers='"Private :: Do Not Upload"')
    static_index.pages["check-me"] = {
        "meta": {"api-version": "1.4"},
        "name": "check-me",
        "project-status": {"status": "archived"},
        "files": [],
    }
    code, summary = _check_with_pypi_rules(root, static_index, monkeypatch)
    assert code == ExitCode.CHECK
    problems = failures(summary)
    assert any(
        "project 'check-me' is archived" in p and "[pypi-project-status]" in p for p in problems
    )
    assert (
        f"{WHEEL}: PyPI would refuse it: 'Private :: Do Not Upload' is not a valid "
        "classifier. [pypi-classifier-unknown]" in problems
    )
    assert "PyPI upload rules" not in summary["passed"]  # type: ignore[operator]


def test_check_list_rules_prints_the_rule_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["check", "--list-rules", "--project", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == ExitCode.OK
    assert "pypi-license-file-missing" in out
    assert "PyPI: License-File X does not exist in distribution file" in out


def test_skip_checks_with_a_typo_is_a_config_error_for_any_target(
    tmp_path: Path,
    make_project: Callable[..., Path],
    pypiserver: PypiServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root = make_project(tmp_path / "p")
    monkeypatch.setenv("RELEASEKIT_SKIP_CHECKS", "pypi-platfrom-tag")
    code, summary = check(root, pypiserver)
    assert code == ExitCode.CONFIG
    assert (
        "skip-checks (set in environment variable RELEASEKIT_SKIP_CHECKS) names unknown "
        "rule(s): pypi-platfrom-tag." in str(summary["error"])
    )
    assert "--list-rules" in str(summary["hint"])
