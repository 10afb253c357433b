"""releasekit's declared requirements against what its code imports: every third-party
distribution a module imports is declared (a dependency that only arrives through another
one silently vanishes when that one drops it), and every declared one is used."""

from __future__ import annotations

import ast
import functools
import sys
from collections.abc import Iterator
from importlib.metadata import packages_distributions
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "src" / "releasekit"

# Declared and not imported, each for a reason; nothing else may be.
DECLARED_UNUSED = {
    # Run, not imported: `python -m build` in the interpreter that runs releasekit.
    "build": "run as python -m build",
}
# Imported distributions that come from an extra, not the base install: the adapters and
# PEP 740 signing. Anything else a module imports is a base dependency.
FROM_EXTRAS = {
    "nox": "nox",
    "invoke": "invoke",
    "uv": "uv",
    "pypi-attestations": "attest",
    "sigstore": "attest",
    "pydantic": "attest",
    "truststore": "truststore",
}


def _project() -> dict[str, object]:
    with (ROOT / "pyproject.toml").open("rb") as f:
        project: dict[str, object] = tomllib.load(f)["project"]
        return project


def _names(requirements: object) -> set[str]:
    assert isinstance(requirements, list)
    return {canonicalize_name(Requirement(str(r)).name) for r in requirements}


def _imported_modules(tree: ast.AST) -> Iterator[str]:
    """Top-level module names: imports and ``importlib.import_module("x")``."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name.partition(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module.partition(".")[0]
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            yield str(node.args[0].value).partition(".")[0]


@functools.cache  # packages_distributions() reads every installed distribution: once
def imported_distributions() -> dict[str, set[str]]:
    """Third-party distribution -> the modules of releasekit that import it."""
    owners = packages_distributions()
    found: dict[str, set[str]] = {}
    for path in sorted(SOURCE.rglob("*.py")):
        for module in _imported_modules(ast.parse(path.read_text(encoding="utf-8"))):
            if module in sys.stdlib_module_names or module in ("releasekit", "__future__"):
                continue
            for distribution in owners.get(module, [module]):
                found.setdefault(canonicalize_name(distribution), set()).add(
                    path.relative_to(SOURCE).as_posix()
                )
    return found


def test_every_imported_distribution_is_declared() -> None:
    project = _project()
    extras = project["optional-dependencies"]
    assert isinstance(extras, dict)
    declared = _names(project["dependencies"]) | {
        name for extra, reqs in extras.items() if extra != "test" for name in _names(reqs)
    }
    undeclared = {d: sorted(m) for d, m in imported_distributions().items() if d not in declared}
    assert undeclared == {}, "imported but not declared in pyproject.toml"


def test_what_the_core_imports_is_a_base_dependency() -> None:
    base = _names(_project()["dependencies"])
    optional = {
        d: sorted(m)
        for d, m in imported_distributions().items()
        if d not in base and d not in FROM_EXTRAS
    }
    assert optional == {}, "imported by releasekit's core, declared only in an extra (or not)"


def test_every_declared_distribution_is_imported() -> None:
    project = _project()
    extras = project["optional-dependencies"]
    assert isinstance(extras, dict)
    declared = _names(project["dependencies"]) | {
        name for extra, reqs in extras.items() if extra != "test" for name in _names(reqs)
    }
    unused = declared - set(imported_distributions())
    assert unused == set(DECLARED_UNUSED), (
        "declared in pyproject.toml and imported by no module of releasekit (or an entry "
        "of DECLARED_UNUSED that is imported now: remove it from the list)"
    )


def test_each_requirement_is_declared_once() -> None:
    project = _project()
    names = [Requirement(str(r)).name for r in project["dependencies"]]  # type: ignore[attr-defined]
    assert sorted(names) == sorted(set(names))
