"""The long description as PyPI and ``twine check`` judge it, from an artifact or the source.

PyPI renders a description without a content type as reStructuredText and refuses one that
does not render ("The description failed to render ..."). twine check --strict adds two
warnings PyPI does not refuse for: no content type, no description. Each is a check id of
its own, so ``skip-checks`` can drop one and keep the rest; ``twine-check`` drops them all.
The same decision serves ``check`` (the built metadata) and the pre-flight (the readme
named in pyproject.toml, setup.cfg or setup.py), so a bump is never made for a release
``check`` would then refuse.
"""

from __future__ import annotations

import ast
import configparser
import email.message
import io
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

Severity = Literal["failure", "warning"]

TWINE_CHECK = "twine-check"
METADATA = "twine-metadata"
RENDERS = "twine-description-render"
CONTENT_TYPE_MISSING = "twine-content-type-missing"
DESCRIPTION_MISSING = "twine-description-missing"

# id -> (severity, what it checks): listed by check --list-rules.
DESCRIPTION_CHECKS: dict[str, tuple[Severity, str]] = {
    METADATA: (
        "failure",
        "the metadata as twine reads it before an upload (twine refuses an invalid field)",
    ),
    RENDERS: (
        "failure",
        "the long description renders as PyPI renders it (reStructuredText when no content "
        "type is set); PyPI refuses one that does not: 'The description failed to render'",
    ),
    CONTENT_TYPE_MISSING: (
        "warning",
        "long_description_content_type is set (PyPI assumes text/x-rst; twine check "
        "--strict fails on it, PyPI does not)",
    ),
    DESCRIPTION_MISSING: (
        "warning",
        "there is a long description (twine check --strict fails without one, PyPI does not)",
    ),
}


@dataclass(frozen=True)
class DescriptionFinding:
    check_id: str
    message: str

    @property
    def severity(self) -> Severity:
        return DESCRIPTION_CHECKS[self.check_id][0]


def skipped(check_id: str, skip: tuple[str, ...] | list[str]) -> bool:
    return check_id in skip or TWINE_CHECK in skip


def description_findings(description: str, content_type: str | None) -> list[DescriptionFinding]:
    """What PyPI and twine check --strict say of ``description`` declared as
    ``content_type`` (None: not declared)."""
    if not description or description.rstrip() == "UNKNOWN":
        return [
            DescriptionFinding(
                DESCRIPTION_MISSING,
                "there is no long description: the project page on PyPI will be empty "
                "(declare the readme: [project] readme, or setup's long_description)",
            )
        ]
    header = email.message.EmailMessage()
    header["content-type"] = content_type or "text/x-rst"
    if header.get_content_type() in ("text/plain", "text/markdown"):
        return []  # they always render
    # reStructuredText, also for an unknown content type (as twine and PyPI).
    try:
        errors = rst_errors(description, **header["content-type"].params)
    except Exception as exc:  # docutils fails on odd parameters (stream=1)
        errors = f"the renderer failed: {exc!r}"
    if errors is not None:
        if content_type is None:
            said = "The description failed to render in the default format of reStructuredText"
            fix = (
                "fix the markup, or declare the content type (long_description_content_type"
                " = 'text/markdown' for a Markdown readme)"
            )
        else:
            said = f"The description failed to render for '{header.get_content_type()}'"
            fix = "fix the markup (python -m readme_renderer FILE shows it rendered)"
        return [
            DescriptionFinding(
                RENDERS,
                f"the long description does not render, so PyPI would refuse the upload "
                f'("{said}"); docutils says: {errors}; {fix}',
            )
        ]
    if content_type is None:
        return [
            DescriptionFinding(
                CONTENT_TYPE_MISSING,
                "long_description_content_type is not set: PyPI renders the description "
                "as reStructuredText, which works; declare it (text/x-rst) to say so",
            )
        ]
    return []


def rst_errors(text: str, **params: str) -> str | None:
    """None if ``text`` renders as reStructuredText the way PyPI renders a description
    (readme_renderer), else docutils' messages (with their line) on one line."""
    # Imported here: readme_renderer brings docutils and pygments, a fifth of a second,
    # needed only when a reStructuredText description is checked.
    from readme_renderer.rst import render as render_rst

    warnings = io.StringIO()
    if render_rst(text, stream=warnings, **params) is not None:
        return None
    return " ".join(warnings.getvalue().split())[:400] or "no detail"


# --- the description in the source ------------------------------------------------------

_CONTENT_TYPES = {".md": "text/markdown", ".rst": "text/x-rst", ".txt": "text/plain"}


@dataclass(frozen=True)
class SourceDescription:
    """The long description as the source declares it: the files it is read from (in
    order) and the content type (None: not declared)."""

    where: str  # "pyproject.toml", "setup.cfg", "setup.py"
    files: tuple[Path, ...]
    content_type: str | None


def source_description(root: Path, table: Mapping[str, Any]) -> SourceDescription | str | None:
    """The description the build will use, read without running anything; a string
    saying why it cannot be told (the artifacts are checked then); None if the source
    declares none that can be found."""
    if table:
        if "readme" in set(table.get("dynamic", [])):
            return _setup_cfg(root) or _setup_py(root) or "the readme is dynamic"
        readme = table.get("readme")
        if isinstance(readme, str):
            return SourceDescription("pyproject.toml", (root / readme,), _by_suffix(readme))
        if isinstance(readme, dict) and isinstance(readme.get("file"), str):
            declared = readme.get("content-type")
            content_type = str(declared) if declared else _by_suffix(readme["file"])
            return SourceDescription("pyproject.toml", (root / readme["file"],), content_type)
        return None  # inline text, or no readme: checked on the artifacts
    return _setup_cfg(root) or _setup_py(root)


def _by_suffix(path: str) -> str | None:
    # Backends refuse a readme of another suffix without a content type; PyPI's default.
    return _CONTENT_TYPES.get(Path(path).suffix.lower(), "text/x-rst")


def _setup_cfg(root: Path) -> SourceDescription | None:
    path = root / "setup.cfg"
    if not path.is_file():
        return None
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(path, encoding="utf-8")
    except (configparser.Error, UnicodeDecodeError):
        return None
    value = parser.get("metadata", "long_description", fallback="").strip()
    if not value.startswith("file:"):
        return None
    names = [n.strip() for n in value[len("file:") :].split(",") if n.strip()]
    content_type = parser.get("metadata", "long_description_content_type", fallback="").strip()
    return SourceDescription("setup.cfg", tuple(root / n for n in names), content_type or None)


def _setup_py(root: Path) -> SourceDescription | str | None:
    """setup.py's ``long_description``: the files whose names are written in its
    expression (``open("README.rst").read() + read("CHANGES.rst")``, or a module-level
    variable assigned so); setup.py is parsed, never run."""
    path = root / "setup.py"
    if not path.is_file():
        return None
    try:
        tree = ast.parse(path.read_bytes())
    except (SyntaxError, ValueError):
        return None
    call = next(
        (
            node
            for node in ast.walk(tree)
            if isinstance(node, ast.Call)
            and getattr(node.func, "id", getattr(node.func, "attr", "")) == "setup"
        ),
        None,
    )
    if call is None:
        return None
    keywords = {k.arg: k.value for k in call.keywords if k.arg}
    expression = keywords.get("long_description")
    if expression is None:
        return None
    content_type: str | None = None
    declared = keywords.get("long_description_content_type")
    if declared is not None:
        if not (isinstance(declared, ast.Constant) and isinstance(declared.value, str)):
            return "setup.py computes long_description_content_type"
        content_type = declared.value
    nodes = _assigned(tree, expression.id) if isinstance(expression, ast.Name) else [expression]
    constants = [
        node
        for top in nodes
        for node in ast.walk(top)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    ]
    # In the order they are written: the README before the CHANGES appended to it.
    constants.sort(key=lambda node: (node.lineno, node.col_offset))
    names = [str(node.value) for node in constants]
    files = tuple(root / name for name in dict.fromkeys(names) if _is_file_in(root, name))
    if not files:
        return "setup.py computes long_description"
    return SourceDescription("setup.py", files, content_type)


def _assigned(tree: ast.Module, name: str) -> list[ast.expr]:
    """The values assigned to ``name`` anywhere in setup.py, with the ``with open(...)``
    around an assignment (``with open("README.md") as f: long_description = f.read()``)."""
    found: list[ast.expr] = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.With, ast.Module, ast.If, ast.Try)):
            for statement in node.body:
                if isinstance(statement, ast.Assign) and any(
                    isinstance(t, ast.Name) and t.id == name for t in statement.targets
                ):
                    found.append(statement.value)
                    if isinstance(node, ast.With):
                        found += [item.context_expr for item in node.items]
    return found


def _is_file_in(root: Path, name: str) -> bool:
    """A relative path to a file of the project (setup.py's literals include "utf-8")."""
    if not name or "\0" in name or Path(name).is_absolute() or ".." in Path(name).parts:
        return False
    try:
        return (root / name).is_file()
    except (OSError, ValueError):
        return False


def source_description_findings(
    root: Path, table: Mapping[str, Any]
) -> tuple[list[DescriptionFinding], list[str]]:
    """The findings on the description as the source declares it, and notes (what could
    not be told from the source)."""
    found = source_description(root, table)
    if found is None:
        return [], []
    if isinstance(found, str):
        return [], [f"the long description is checked on the built artifacts: {found}."]
    missing = [p for p in found.files if not p.is_file()]
    if missing:
        names = ", ".join(p.relative_to(root).as_posix() for p in missing)
        return [
            DescriptionFinding(RENDERS, f"the readme {names} named in {found.where} does not exist")
        ], []
    if found.content_type in ("text/plain", "text/markdown"):
        return [], []
    try:
        text = "\n\n".join(p.read_text(encoding="utf-8") for p in found.files)
    except UnicodeDecodeError:
        names = ", ".join(p.name for p in found.files)
        return [DescriptionFinding(RENDERS, f"the readme {names} is not UTF-8 text")], []
    readme = ", ".join(p.relative_to(root).as_posix() for p in found.files)
    return [
        DescriptionFinding(f.check_id, f"{readme} ({found.where}): {f.message}")
        for f in description_findings(text, found.content_type)
    ], []
