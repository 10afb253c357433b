"""setup.cfg and setup.py, read without running anything: the name and where the version
is written (setup.py is parsed with :mod:`ast`, never executed)."""

from __future__ import annotations

import ast
import configparser
import re
from dataclasses import dataclass
from pathlib import Path

from releasekit.errors import ProjectError
from releasekit.version_files import (
    QUOTED,
    WHOLE_FILE,
    VersionLocation,
    assignment,
    assignment_location,
    ini_key,
    module_file,
    parse_python,
)
from releasekit.versioning import find_version

# setup(..., version="1.2.3", ...): the keyword with a literal.
_SETUP_KEYWORD = re.compile(r"\bversion[ \t]*=[ \t]*" + QUOTED)


@dataclass(frozen=True)
class StaticMetadata:
    """What setup.cfg or setup.py say: a name, version locations, VCS-derived or not."""

    name: str | None = None
    locations: tuple[VersionLocation, ...] = ()
    vcs: bool = False


def _setup_cfg(root: Path) -> StaticMetadata:
    path = root / "setup.cfg"
    if not path.is_file():
        return StaticMetadata()
    parser = configparser.RawConfigParser()
    try:
        parser.read(path, encoding="utf-8")
    except (configparser.Error, UnicodeDecodeError) as exc:
        raise ProjectError(f"{path} cannot be read: {exc}", "Fix setup.cfg.") from None
    name = parser.get("metadata", "name", fallback=None)
    value = (parser.get("metadata", "version", fallback="") or "").strip()
    if not value:
        return StaticMetadata(name=name or None)
    if value.startswith("attr:"):
        dotted = value.removeprefix("attr:").strip()
        module, _, attribute = dotted.rpartition(".")
        package_dirs = _package_dirs(parser.get("options", "package_dir", fallback=""))
        file = module_file(root, module, package_dirs)
        location = assignment_location(file, attribute, f"setup.cfg version = attr: {dotted}")
        return StaticMetadata(name=name or None, locations=(location,))
    if value.startswith("file:"):
        first = value.removeprefix("file:").split(",")[0].strip()
        return StaticMetadata(
            name=name or None,
            locations=(VersionLocation(root / first, "setup.cfg version = file:", WHOLE_FILE),),
        )
    return StaticMetadata(
        name=name or None,
        locations=(
            VersionLocation(path, "setup.cfg [metadata] version", ini_key("metadata", "version")),
        ),
    )


def _package_dirs(value: str) -> dict[str, str]:
    """setup.cfg's ``package_dir`` (``=src`` or ``pkg = lib/pkg`` lines)."""
    dirs = {}
    for line in value.splitlines():
        key, sep, directory = line.partition("=")
        if sep:
            dirs[key.strip()] = directory.strip()
    return dirs


def _setup_py(root: Path) -> StaticMetadata:
    path = root / "setup.py"
    tree = parse_python(path) if path.is_file() else None
    if tree is None:
        return StaticMetadata()
    call = next(
        (
            node
            for node in ast.walk(tree)
            if isinstance(node, ast.Call)
            and (
                (isinstance(node.func, ast.Name) and node.func.id == "setup")
                or (isinstance(node.func, ast.Attribute) and node.func.attr == "setup")
            )
        ),
        None,
    )
    if call is None:
        return StaticMetadata()
    keywords = {k.arg: k.value for k in call.keywords if k.arg}
    constants = _module_constants(tree)
    name_node = keywords.get("name")
    name = _literal(name_node, constants)
    if name is None and isinstance(name_node, ast.Subscript):  # name=about["__title__"]
        key = name_node.slice.value if isinstance(name_node.slice, ast.Constant) else None
        name = next(
            (
                found
                for file in _referenced_python_files(root, tree)
                if (
                    found := _module_constants(parse_python(file) or ast.Module([], [])).get(
                        str(key)
                    )
                )
            ),
            None,
        )
    vcs = "use_scm_version" in keywords or "setuptools_scm" in ast.dump(
        keywords.get("setup_requires", ast.Constant(None))
    )
    version = keywords.get("version")
    if version is None:
        return StaticMetadata(name=name, vcs=vcs)
    if isinstance(version, ast.Constant) and isinstance(version.value, str):
        location = VersionLocation(path, "setup.py setup(version=...)", _SETUP_KEYWORD)
        return StaticMetadata(name=name, locations=(location,))
    if isinstance(version, ast.Name) and version.id in constants:
        location = VersionLocation(
            path, f"setup.py {version.id}", assignment(re.escape(version.id))
        )
        return StaticMetadata(name=name, locations=(location,))
    if isinstance(version, ast.Name):  # from nodeenv import nodeenv_version
        location = assignment_location(path, version.id, f"{version.id} (read by setup.py)")
        if location.path != path:
            return StaticMetadata(name=name, locations=(location,))
    attribute = "__version__"
    if isinstance(version, ast.Subscript) and isinstance(version.slice, ast.Constant):
        attribute = str(version.slice.value)
    elif isinstance(version, ast.Attribute):
        attribute = version.attr
    for file in _referenced_python_files(root, tree):
        location = assignment_location(file, attribute, f"{attribute} (read by setup.py)")
        if find_version(
            location.path.read_text(encoding="utf-8", errors="replace"), location.pattern
        ):
            return StaticMetadata(name=name, locations=(location,))
    return StaticMetadata(name=name, vcs=vcs)


def _module_constants(tree: ast.Module) -> dict[str, str]:
    constants = {}
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        ):
            constants[node.targets[0].id] = node.value.value
    return constants


def _literal(node: ast.expr | None, constants: dict[str, str]) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name):
        return constants.get(node.id)
    return None


def _referenced_python_files(root: Path, tree: ast.Module) -> list[Path]:
    """Python files setup.py names with string literals: ``open("pkg/__about__.py")``,
    ``os.path.join(here, "pkg", "__version__.py")``, ``get_version("pkg")``."""
    found: list[Path] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        strings = [
            a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)
        ]
        if not strings:
            continue
        joined = "/".join(strings)
        candidates = (
            [root / joined]
            if joined.endswith(".py")
            else [
                root / joined / "__init__.py",
                root / "src" / joined / "__init__.py",
            ]
        )
        for candidate in candidates:
            if (
                candidate.is_file()
                and candidate.resolve().is_relative_to(root.resolve())
                and candidate not in found
            ):
                found.append(candidate)
    return found


def legacy_metadata(root: Path) -> StaticMetadata:
    """setup.cfg, then setup.py (each key from the first that has it)."""
    cfg, py = _setup_cfg(root), _setup_py(root)
    return StaticMetadata(
        name=cfg.name or py.name, locations=cfg.locations or py.locations, vcs=cfg.vcs or py.vcs
    )
