"""The long description judged from the source, before anything is built: the same
findings check makes on the artifacts, from pyproject.toml, setup.cfg or setup.py."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

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
