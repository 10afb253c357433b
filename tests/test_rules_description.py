"""The long description judged from the source, before anything is built: the same
findings check makes on the artifacts, from pyproject.toml, setup.cfg or setup.py."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

from index_servers import PypiServer
from layouts import CORPUS, commit_on_top, git_init, write
from releasekit.cli import main
from releasekit.errors import ExitCode
from releasekit.rules.description import source_description_findings

GOOD_RST = "demo\n====\n\nA paragraph with a `link <https://example.org>`_.\n"
BROKEN_RST = "demo\n====\n\nSee `the docs <https://example.org\n"

SETUP_PY_READ = """\
    from setuptools import setup

    with open("README.rst", encoding="utf-8") as f:
        long_description = f.read()

    setup(name="demo", version="1.0", long_description=long_description{extra})
    """
SETUP_PY_CALL = """\
    import os
    from setuptools import setup

    def read(*parts):
        return open(os.path.join(os.path.dirname(__file__), *parts)).read()

    setup(
        name="demo",
        version="1.0",
        long_description=read("README.rst") + "\\n\\n" + read("CHANGES.rst"),{extra}
    )
    """
SETUP_CFG = """\
    [metadata]
    name = demo
    version = 1.0
    long_description = file: README.rst, CHANGES.rst
    {extra}
    """


def project(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return root


@pytest.mark.parametrize(
    ("name", "template", "extra"),
    [
        ("setup.py", SETUP_PY_READ, ""),
        ("setup.py", SETUP_PY_CALL, ""),
        ("setup.cfg", SETUP_CFG, ""),
    ],
)
def test_no_content_type_and_a_readme_that_renders_is_a_warning(
    tmp_path: Path, name: str, template: str, extra: str
) -> None:
    root = project(
        tmp_path,
        {name: template.format(extra=extra), "README.rst": GOOD_RST, "CHANGES.rst": "1.0\n---\n"},
    )

    findings, notes = source_description_findings(root, {})

    assert [(f.check_id, f.severity) for f in findings] == [
        ("twine-content-type-missing", "warning")
    ]
    assert notes == []


@pytest.mark.parametrize(
    ("name", "template"),
    [("setup.py", SETUP_PY_READ), ("setup.py", SETUP_PY_CALL), ("setup.cfg", SETUP_CFG)],
)
def test_no_content_type_and_a_readme_that_does_not_render_is_a_failure_with_the_line(
    tmp_path: Path, name: str, template: str
) -> None:
    root = project(
        tmp_path,
        {name: template.format(extra=""), "README.rst": BROKEN_RST, "CHANGES.rst": "x\n"},
    )

    findings, _ = source_description_findings(root, {})

    assert len(findings) == 1
    assert findings[0].check_id == "twine-description-render"
    assert findings[0].severity == "failure"
    assert findings[0].message.startswith("README.rst")
    assert f"({name}): the long description does not render" in findings[0].message
    assert "docutils says: <string>:4: (WARNING/2) Inline interpreted text" in (findings[0].message)


def test_a_declared_markdown_readme_is_not_rendered_as_rst(tmp_path: Path) -> None:
    extra = ', long_description_content_type="text/markdown"'
    root = project(
        tmp_path, {"setup.py": SETUP_PY_READ.format(extra=extra), "README.rst": BROKEN_RST}
    )

    assert source_description_findings(root, {}) == ([], [])


def test_pyproject_readme_as_rst_is_rendered(tmp_path: Path) -> None:
    root = project(tmp_path, {"README.rst": BROKEN_RST})

    findings, _ = source_description_findings(root, {"name": "demo", "readme": "README.rst"})

    assert [f.check_id for f in findings] == ["twine-description-render"]
    assert "(\"The description failed to render for 'text/x-rst'\")" in findings[0].message


def test_a_description_setup_py_computes_is_left_to_check_with_a_note(tmp_path: Path) -> None:
    root = project(
        tmp_path,
        {"setup.py": "from setuptools import setup\nsetup(long_description=make_it())\n"},
    )

    assert source_description_findings(root, {}) == (
        [],
        ["the long description is checked on the built artifacts: setup.py computes "
         "long_description."],
    )  # fmt: skip


# --- end to end: six's form (setup.py reads README.rst, no content type) -----------------


def six_like(root: Path, readme: str) -> Path:
    """six's form: a setup.py that reads README.rst and declares no content type."""
    CORPUS["setup-py-literal"](root)
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
