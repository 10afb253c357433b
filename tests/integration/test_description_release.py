"""The long description of a setup.py project in six's form (README.rst read, no content
type), released through check and the pre-flight against a local pypiserver."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from index_servers import PypiServer
from layouts import commit_on_top, copy_project, git_init, write
from releasekit.cli import main
from releasekit.errors import ExitCode

GOOD_RST = "demo\n====\n\nA paragraph with a `link <https://example.org>`_.\n"
BROKEN_RST = "demo\n====\n\nSee `the docs <https://example.org\n"


def six_like(root: Path, readme: str) -> Path:
    """six's form: a setup.py that reads README.rst and declares no content type."""
    copy_project("setup-py-literal", root)
    (root / "README.md").unlink()
    write(
        root,
        {
            "README.rst": readme,
            "setup.py": """\
            from setuptools import setup

            setup(
                name="rk-six",
                version="1.2.3",
                py_modules=["rk_six"],
                long_description=open("README.rst").read(),
            )
            """,
        },
    )
    return commit_on_top(git_init(root, tag="v1.2.3"))


def run_json(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, dict[str, Any]]:
    capsys.readouterr()
    code = main([*(str(a) for a in argv), "--json"])
    return code, json.loads(capsys.readouterr().out)


def test_a_setup_py_without_content_type_is_released_with_a_warning(
    tmp_path: Path, pypiserver: PypiServer, capsys: pytest.CaptureFixture[str]
) -> None:
    root = six_like(tmp_path / "project", GOOD_RST)
    assert main(["bump-version", "patch", "--project", str(root)]) == ExitCode.OK
    assert main(["build", "--project", str(root)]) == ExitCode.OK

    code, summary = run_json(
        capsys, "check", "--project", root, "--repository-url", pypiserver.upload_url
    )

    assert code == ExitCode.OK, summary
    assert "twine check" in summary["passed"]
    warned = [w for w in summary["warnings"] if w.endswith("[twine-content-type-missing]")]
    assert len(warned) == 2  # the wheel and the sdist


def test_a_readme_pypi_would_refuse_stops_publish_in_the_pre_flight(
    tmp_path: Path, pypiserver: PypiServer, capsys: pytest.CaptureFixture[str]
) -> None:
    root = six_like(tmp_path / "project", BROKEN_RST)
    config = write(
        tmp_path,
        {
            "releasekit.toml": f'[repositories.test]\nupload-url = "{pypiserver.upload_url}"\n'
            f'index-url = "{pypiserver.simple_url}"\n'
        },
    )

    code = main(
        ["publish", "--test", "--dry-run", "--project", str(root), "--config",
         str(config / "releasekit.toml")]
    )  # fmt: skip

    out = capsys.readouterr().out
    assert code == ExitCode.CHECK, out
    assert (
        "FAILED: README.rst (setup.py): the long description does not render, so PyPI would "
        'refuse the upload ("The description failed to render in the default format of '
        'reStructuredText"); docutils says: <string>:4: (WARNING/2) Inline interpreted text'
    ) in out
