"""Which version of its changelog tool a project asks for (read from pyproject.toml)."""

from __future__ import annotations

from pathlib import Path

import pytest

from layouts import write
from releasekit.changelog_tools import declared_requirement


@pytest.mark.parametrize(
    ("tables", "expected"),
    [
        (
            "[project.optional-dependencies]\n"
            'doc = ["Sphinx", "TownCrier >= 24.7 ; python_version >= \'3.9\'"]\n',
            ("towncrier>=24.7", "as [project.optional-dependencies] doc asks"),
        ),
        (
            '[dependency-groups]\ndocs = [{include-group = "x"}, "towncrier[x]==24.8.0"]\nx = []\n',
            ("towncrier[x]==24.8.0", "as [dependency-groups] docs asks"),
        ),
        (
            '[dependency-groups]\ndev = ["not a requirement ("]\n',
            ("towncrier", "the project names no version of it"),
        ),
        ("", ("towncrier", "the project names no version of it")),
    ],
)
def test_the_changelog_tool_is_the_version_the_project_declares(
    tmp_path: Path, tables: str, expected: tuple[str, str]
) -> None:
    write(tmp_path, {"pyproject.toml": '[project]\nname = "p"\nversion = "1"\n' + tables})

    assert declared_requirement(tmp_path, "towncrier") == expected
