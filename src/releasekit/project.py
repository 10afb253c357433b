"""The project on disk: its name, and every place its version lives.

Read statically first (pyproject.toml, setup.cfg, setup.py parsed with :mod:`ast` and
never executed, the module a version is imported from); where nothing static holds the
version, the build backend is asked for the metadata (see :func:`backend_metadata`).
"""

from __future__ import annotations

import ast
import configparser
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from packaging.version import Version

from releasekit.config import ReleaseConfig, read_toml
from releasekit.errors import ConfigError, ProjectError, VcsError
from releasekit.versioning import VersionSpan, find_version, parse_version

if TYPE_CHECKING:
    from releasekit.runner import Runner

_VERSION_CHARS = r"[0-9A-Za-z!+._-]+"
_QUOTED = r"""(?P<q>["'])v?(?P<version>""" + _VERSION_CHARS + r")(?P=q)"
# A module-level assignment: __version__ = "1.2.3", VERSION: str = '1.2.3', version = ...
_ASSIGNMENT = r"^[ \t]*{names}[ \t]*(?::[^=\n]*)?=[ \t]*" + _QUOTED
_DEFAULT_NAMES = r"(?:__version__|VERSION|version)"
# The files that make a directory a project, nearest first when looking upward.
PROJECT_FILES = ("pyproject.toml", "setup.cfg", "setup.py")
# Where a package keeps a __version__ next to its __init__.py.
CHANGELOG_NAMES = tuple(
    f"{stem}{suffix}"
    for stem in ("CHANGELOG", "CHANGES", "HISTORY", "NEWS", "RELEASE_NOTES")
    for suffix in (".md", ".rst", ".txt", "")
)
_VERSION_MODULES = ("__init__.py", "_version.py", "__version__.py", "version.py", "__about__.py")


def normalize_name(name: str) -> str:
    """PEP 503 normalisation: ``Foo.Bar_baz`` -> ``foo-bar-baz``."""
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass(frozen=True)
class VersionLocation:
    """One place the version is written: a file and a pattern with a ``version`` group.

    ``detected`` locations (a ``__version__`` found in the package without being
    configured) are bumped along, but do not decide the current version: check reports
    them when they disagree.
    """

    path: Path
    description: str
    pattern: re.Pattern[str]
    detected: bool = False

    def read(self) -> tuple[str, list[VersionSpan]]:
        """The file's text and the spans of the version in it (raises if none)."""
        try:
            text = self.path.read_bytes().decode("utf-8")
        except FileNotFoundError:
            raise ProjectError(
                f"{self.path} ({self.description}) does not exist.",
                "Fix the path in pyproject.toml or in [tool.releasekit] version-files.",
            ) from None
        except UnicodeDecodeError:
            raise ProjectError(f"{self.path} is not UTF-8 text.", "Save it as UTF-8.") from None
        spans = find_version(text, self.pattern)
        if not spans:
            raise ProjectError(
                f"No version found in {self.path} ({self.description}).",
                "Write the version there as releasekit expects (see 'Where the version lives' "
                "in the README), or give a pattern in [tool.releasekit] version-files.",
            )
        return text, spans

    def holds(self, version: str) -> bool:
        """Every occurrence here is exactly ``version``."""
        text, spans = self.read()
        return all(text[span.start : span.end] == version for span in spans)


@dataclass(frozen=True)
class Project:
    """What releasekit knows about the project in ``root``."""

    root: Path
    name: str
    locations: tuple[VersionLocation, ...]
    # The version is derived from git tags (setuptools-scm, hatch-vcs, pdm scm, ...).
    vcs_versioned: bool = False
    changelog: Path | None = None
    # How the changelog is kept: keepachangelog, towncrier, scriv or other (see changelog.py).
    changelog_style: str = "keepachangelog"
    # The version the build backend reported, when no file holds it as a literal.
    metadata_version: str | None = None
    # What the user should know about how name and version were found.
    notes: tuple[str, ...] = field(default=())
    # pyproject.toml's [project] table as written (empty without one): the pre-flight's
    # source metadata checks read it here, not from the file again.
    table: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @property
    def normalized_name(self) -> str:
        return normalize_name(self.name)

    def read_version(self) -> str:
        """The version written in every location; they must all agree.

        Detected ``__version__`` strings are not asked: :meth:`stale_locations` names
        those that differ.
        """
        primary = [loc for loc in self.locations if not loc.detected]
        if not primary and self.metadata_version is not None:
            return self.metadata_version
        found: dict[str, list[VersionLocation]] = {}
        for location in primary or self.locations:
            text, spans = location.read()
            for span in spans:
                found.setdefault(text[span.start : span.end], []).append(location)
        if len(found) > 1:
            detail = "; ".join(
                f"{version} in " + ", ".join(f"{loc.path.name} ({loc.description})" for loc in locs)
                for version, locs in found.items()
            )
            raise ProjectError(
                f"The version is not the same everywhere: {detail}.",
                "Make them agree by hand (or with 'releasekit bump-version X.Y.Z' after fixing "
                "them), then try again.",
            )
        return next(iter(found))

    def stale_locations(self, version: str) -> list[str]:
        """Each detected ``__version__`` that is not ``version``, described for a user."""
        stale = []
        for location in self.locations:
            if not location.detected:
                continue
            text, spans = location.read()
            for written in {text[s.start : s.end] for s in spans} - {version}:
                where = location.path.relative_to(self.root).as_posix()
                stale.append(f"{where} says __version__ = {written!r}, the project is {version}")
        return stale


def find_project_root(start: Path) -> Path:
    """The nearest directory from ``start`` upward holding a project file
    (pyproject.toml, setup.cfg or setup.py), without leaving the git work tree.

    ``start`` itself when none is found (the caller's error names it).
    """
    start = start.resolve()
    for directory in (start, *start.parents):
        if any((directory / name).is_file() for name in PROJECT_FILES):
            return directory
        if (directory / ".git").exists():  # the work tree's top: look no higher
            break
    return start


def _assignment(names: str = _DEFAULT_NAMES) -> re.Pattern[str]:
    return re.compile(_ASSIGNMENT.format(names=names), re.MULTILINE)


def _toml_key(table: str) -> re.Pattern[str]:
    """``version = "..."`` directly inside ``[table]`` of a TOML file."""
    header = r"^\[[ \t]*" + re.escape(table).replace(r"\.", r"[ \t]*\.[ \t]*") + r"[ \t]*\]"
    body = r"[^\n]*\n(?:(?![ \t]*\[)[^\n]*\n)*?"  # lines up to the next [header]
    return re.compile(header + body + r"[ \t]*version[ \t]*=[ \t]*" + _QUOTED, re.MULTILINE)


def _ini_key(section: str, key: str) -> re.Pattern[str]:
    """``key = 1.2.3`` directly inside ``[section]`` of an INI file (setup.cfg)."""
    header = r"^\[[ \t]*" + re.escape(section) + r"[ \t]*\][^\n]*\n"
    body = r"(?:(?![ \t]*\[)[^\n]*\n)*?"
    value = r"[ \t]*[=:][ \t]*v?(?P<version>" + _VERSION_CHARS + r")[ \t]*$"
    return re.compile(header + body + re.escape(key) + value, re.MULTILINE)


_WHOLE_FILE = re.compile(r"\A\s*v?(?P<version>" + _VERSION_CHARS + r")\s*\Z")
# setup(..., version="1.2.3", ...): the keyword with a literal.
_SETUP_KEYWORD = re.compile(r"\bversion[ \t]*=[ \t]*" + _QUOTED)


def _template(pattern: str) -> re.Pattern[str]:
    before, _, after = pattern.partition("{version}")
    return re.compile(
        re.escape(before) + r"(?P<version>" + _VERSION_CHARS + ")" + re.escape(after),
        re.MULTILINE,
    )


def _module_file(root: Path, module: str, package_dirs: dict[str, str]) -> Path:
    """The file defining ``module`` (dotted), looked up in src/ and the root."""
    parts = module.split(".")
    bases = [root / package_dirs[""]] if "" in package_dirs else [root / "src", root]
    if parts[0] in package_dirs:
        bases.insert(0, root / package_dirs[parts[0]])
        parts = ["", *parts[1:]] if len(parts) > 1 else [""]
    for base in bases:
        as_package = base.joinpath(*parts, "__init__.py")
        as_module = base.joinpath(*parts[:-1], parts[-1] + ".py") if parts[-1] else as_package
        for candidate in (as_package, as_module):
            if candidate.is_file():
                return candidate
    raise ProjectError(
        f"Cannot find the module {module!r} that holds the version "
        f"(looked in {', '.join(str(b) for b in bases)}).",
        "List the file in [tool.releasekit] version-files.",
    )


def _get(table: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(table, dict):
            return None
        table = table.get(key)
    return table


# --- following a version to the module that assigns it --------------------------------


def _parse_python(path: Path) -> ast.Module | None:
    try:
        return ast.parse(path.read_bytes(), filename=str(path))
    except (OSError, SyntaxError, ValueError):
        return None


def _imported_from(path: Path, attribute: str) -> tuple[Path, str] | None:
    """Where ``path`` imports ``attribute`` from (``from .pkg_data import __version__``):
    that module's file and the name it has there."""
    tree = _parse_python(path)
    if tree is None:
        return None
    for node in tree.body:
        if not isinstance(node, ast.ImportFrom):
            continue
        for alias in node.names:
            if (alias.asname or alias.name) != attribute:
                continue
            target = _import_target(path, node.module or "", node.level)
            if target is not None:
                return target, alias.name
    return None


def _import_target(path: Path, module: str, level: int) -> Path | None:
    if level:
        base = path.parent
        for _ in range(level - 1):
            base = base.parent
    else:  # absolute: from the directory holding the top-level package
        base = path.parent
        while (base / "__init__.py").is_file():
            base = base.parent
    parts = [p for p in module.split(".") if p]
    if not parts:
        return None
    for candidate in (
        base.joinpath(*parts, "__init__.py"),
        base.joinpath(*parts[:-1], parts[-1] + ".py"),
    ):
        if candidate.is_file():
            return candidate
    return None


def assignment_location(path: Path, attribute: str, description: str) -> VersionLocation:
    """The place ``attribute`` is assigned a literal: ``path`` itself, or the module it
    re-exports the name from (followed a few steps)."""
    pattern = _assignment(re.escape(attribute))
    current, name, hops = path, attribute, 0
    while current.is_file() and hops < 5:
        text = current.read_text(encoding="utf-8", errors="replace")
        if find_version(text, pattern):
            suffix = f", assigned in {current.name}" if current != path else ""
            return VersionLocation(current, description + suffix, pattern)
        source = _imported_from(current, name)
        if source is None:
            break
        current, name, hops = source[0], source[1], hops + 1
        pattern = _assignment(re.escape(name))
    return VersionLocation(path, description, _assignment(re.escape(attribute)))


# --- setup.cfg and setup.py --------------------------------------------------------------


@dataclass(frozen=True)
class _Static:
    """What setup.cfg or setup.py say: a name, version locations, VCS-derived or not."""

    name: str | None = None
    locations: tuple[VersionLocation, ...] = ()
    vcs: bool = False


def _setup_cfg(root: Path) -> _Static:
    path = root / "setup.cfg"
    if not path.is_file():
        return _Static()
    parser = configparser.RawConfigParser()
    try:
        parser.read(path, encoding="utf-8")
    except (configparser.Error, UnicodeDecodeError) as exc:
        raise ProjectError(f"{path} cannot be read: {exc}", "Fix setup.cfg.") from None
    name = parser.get("metadata", "name", fallback=None)
    value = (parser.get("metadata", "version", fallback="") or "").strip()
    if not value:
        return _Static(name=name or None)
    if value.startswith("attr:"):
        dotted = value.removeprefix("attr:").strip()
        module, _, attribute = dotted.rpartition(".")
        package_dirs = _package_dirs(parser.get("options", "package_dir", fallback=""))
        file = _module_file(root, module, package_dirs)
        location = assignment_location(file, attribute, f"setup.cfg version = attr: {dotted}")
        return _Static(name=name or None, locations=(location,))
    if value.startswith("file:"):
        first = value.removeprefix("file:").split(",")[0].strip()
        return _Static(
            name=name or None,
            locations=(VersionLocation(root / first, "setup.cfg version = file:", _WHOLE_FILE),),
        )
    return _Static(
        name=name or None,
        locations=(
            VersionLocation(path, "setup.cfg [metadata] version", _ini_key("metadata", "version")),
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


def _setup_py(root: Path) -> _Static:
    path = root / "setup.py"
    tree = _parse_python(path) if path.is_file() else None
    if tree is None:
        return _Static()
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
        return _Static()
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
                    found := _module_constants(_parse_python(file) or ast.Module([], [])).get(
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
        return _Static(name=name, vcs=vcs)
    if isinstance(version, ast.Constant) and isinstance(version.value, str):
        location = VersionLocation(path, "setup.py setup(version=...)", _SETUP_KEYWORD)
        return _Static(name=name, locations=(location,))
    if isinstance(version, ast.Name) and version.id in constants:
        location = VersionLocation(
            path, f"setup.py {version.id}", _assignment(re.escape(version.id))
        )
        return _Static(name=name, locations=(location,))
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
            return _Static(name=name, locations=(location,))
    return _Static(name=name, vcs=vcs)


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


# --- __version__ found in the package ---------------------------------------------------


def _detected_versions(root: Path, name: str, known: set[Path]) -> list[VersionLocation]:
    """A literal ``__version__`` in the project's top-level package(s), not configured."""
    import_name = re.sub(r"[-.]+", "_", name)
    packages: list[Path] = []
    for base in (root / "src", root):
        if (base / import_name).is_dir():
            packages.append(base / import_name)
        elif (base / import_name.lower()).is_dir():
            packages.append(base / import_name.lower())
    src = root / "src"
    if src.is_dir():
        packages.extend(
            p for p in sorted(src.iterdir()) if (p / "__init__.py").is_file() and p not in packages
        )
    files = [p / module for p in packages for module in _VERSION_MODULES]
    files += [root / f"{import_name}.py", src / f"{import_name}.py"]
    pattern = re.compile(r"^__version__[ \t]*(?::[^=\n]*)?=[ \t]*" + _QUOTED, re.MULTILINE)
    detected = []
    resolved_known = {p.resolve() for p in known}
    for file in files:
        if not file.is_file() or file.resolve() in resolved_known:
            continue
        text = file.read_text(encoding="utf-8", errors="replace")
        spans = find_version(text, pattern)
        if spans and all(_is_version(text[s.start : s.end]) for s in spans):
            where = file.relative_to(root).as_posix()
            detected.append(
                VersionLocation(file, f"__version__ in {where}", pattern, detected=True)
            )
            resolved_known.add(file.resolve())
    return detected


def _is_version(text: str) -> bool:
    from packaging.version import InvalidVersion, Version

    try:
        Version(text)
    except InvalidVersion:
        return False
    return True


# --- the project -----------------------------------------------------------------------


# PEP 508's names: the name goes into tags, commit messages, file names and CI files, so
# nothing else is taken (a newline or "${{ }}" would be code there, not a name).
_VALID_NAME = re.compile(r"[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?", re.ASCII)


def _valid_name(name: str, root: Path) -> str:
    if not _VALID_NAME.fullmatch(name):
        raise ProjectError(
            f"The project's name {name!r} (in {root}) is not a valid PEP 508 name; nothing "
            "is written from it.",
            "Use letters, digits, '.', '_' and '-', starting and ending with a letter or "
            "digit ([project] name in pyproject.toml).",
        )
    return name


def load_project(root: Path, config: ReleaseConfig) -> Project:
    """Read the project in ``root`` and find every place its version is written."""
    from releasekit.changelog import changelog_style

    pyproject = root / "pyproject.toml"
    if not any((root / name).is_file() for name in PROJECT_FILES):
        raise ProjectError(
            f"No pyproject.toml, setup.cfg or setup.py in {root} or above it.",
            "Run releasekit inside the project's directory, or pass --project DIR.",
        )
    document: dict[str, Any] = {}
    if pyproject.is_file():
        try:
            document = read_toml(pyproject)
        except ConfigError as exc:
            raise ProjectError(exc.message, exc.hint) from None
    project = _get(document, "project") or {}
    poetry = _get(document, "tool", "poetry") or {}
    notes: list[str] = []
    locations: list[VersionLocation] = []
    vcs = False
    static = False  # the version is a literal in a metadata file (not a Python module)
    if "version" in project:
        locations.append(VersionLocation(pyproject, "[project] version", _toml_key("project")))
        static = True
    if "version" in poetry:
        locations.append(
            VersionLocation(pyproject, "[tool.poetry] version", _toml_key("tool.poetry"))
        )
        static = True
    name = project.get("name") or poetry.get("name")
    if not locations and document:
        dynamic_locations, vcs = _dynamic_locations(root, document, name or "")
        locations.extend(dynamic_locations)
    if not name or (not locations and not vcs):
        legacy = _legacy_metadata(root)
        name = name or legacy.name
        if not locations and not vcs:
            locations.extend(legacy.locations)
            vcs = legacy.vcs and not legacy.locations
            static = any(loc.path.name in {"setup.cfg", "setup.py"} for loc in legacy.locations)
    name, metadata_version, backend_notes = _ask_backend(
        root, config, name, needs_version=not locations and not vcs and not config.version_files
    )
    notes.extend(backend_notes)
    for extra in config.version_files:
        pattern = _template(extra.pattern) if extra.pattern else _assignment()
        described = f"version-files pattern {extra.pattern!r}" if extra.pattern else "version-files"
        locations.append(VersionLocation(root / extra.path, described, pattern))
    if static or metadata_version is not None:
        # Also where the backend computes it: setup.py often passes pkg.__version__ on.
        detected = _detected_versions(root, name, {loc.path for loc in locations})
        locations.extend(detected)
        if not static and metadata_version is not None:
            notes = _computed_version_notes(root, notes, backend_notes, detected, metadata_version)
    changelog = _changelog(root, config)
    style = changelog_style(root, document, changelog)
    if changelog is None and style == "towncrier" and config.changelog is not False:
        configured = _get(document, "tool", "towncrier", "filename")
        news = root / (configured if isinstance(configured, str) else "NEWS.rst")
        changelog = news if news.is_file() else None
    return Project(
        root=root,
        name=_valid_name(name, root),
        locations=tuple(locations),
        vcs_versioned=vcs,
        changelog=changelog,
        changelog_style=style,
        metadata_version=metadata_version,
        notes=tuple(notes),
        table=project,
    )


def _dynamic_locations(
    root: Path, document: dict[str, Any], name: str
) -> tuple[list[VersionLocation], bool]:
    """Locations of a dynamic version, and whether it comes from git tags instead."""
    tool = _get(document, "tool") or {}
    requires = " ".join(_get(document, "build-system", "requires") or []).lower()
    backend = _get(document, "build-system", "build-backend") or ""
    hatch_version = _get(tool, "hatch", "version") or {}
    pdm_version = _get(tool, "pdm", "version") or {}
    setuptools_version = _get(tool, "setuptools", "dynamic", "version") or {}

    if (
        hatch_version.get("source") == "vcs"
        or pdm_version.get("source") == "scm"
        or "setuptools_scm" in tool
        or "setuptools-scm" in tool
        or _get(tool, "poetry-dynamic-versioning", "enable") is True
        or (re.search(r"setuptools[-_]scm", requires) and not setuptools_version)
    ):
        return [], True
    if isinstance(setuptools_version, dict) and "attr" in setuptools_version:
        module, _, attribute = str(setuptools_version["attr"]).rpartition(".")
        package_dirs = _get(tool, "setuptools", "package-dir") or {}
        path = _module_file(root, module, package_dirs)
        description = f"setuptools attr {setuptools_version['attr']}"
        return [assignment_location(path, attribute, description)], False
    if isinstance(setuptools_version, dict) and "file" in setuptools_version:
        files = setuptools_version["file"]
        first = files[0] if isinstance(files, list) else files
        return [VersionLocation(root / first, "setuptools version file", _WHOLE_FILE)], False
    if "path" in hatch_version:
        custom = hatch_version.get("pattern")
        pattern = (
            re.compile(custom, re.MULTILINE)
            if isinstance(custom, str) and custom != "true"
            else _assignment(r"(?i:__version__|VERSION)")
        )
        return [VersionLocation(root / hatch_version["path"], "hatch version path", pattern)], False
    if pdm_version.get("source") == "file" and "path" in pdm_version:
        return [
            VersionLocation(
                root / pdm_version["path"], "pdm version file", _assignment("__version__")
            )
        ], False
    if "flit" in backend:
        module = _get(tool, "flit", "module", "name") or name.replace("-", "_").replace(".", "_")
        path = _module_file(root, module, {})
        return [assignment_location(path, "__version__", "flit __version__")], False
    return [], False


def _legacy_metadata(root: Path) -> _Static:
    """setup.cfg, then setup.py (each key from the first that has it)."""
    cfg, py = _setup_cfg(root), _setup_py(root)
    return _Static(
        name=cfg.name or py.name, locations=cfg.locations or py.locations, vcs=cfg.vcs or py.vcs
    )


def _computed_version_notes(
    root: Path,
    notes: list[str],
    backend_notes: list[str],
    detected: list[VersionLocation],
    version: str,
) -> list[str]:
    """When the version the backend computes is a ``__version__`` in the package (six's
    setup.py imports it), that file is what bump-version rewrites: say so instead."""
    holding = [loc.path.relative_to(root).as_posix() for loc in detected if loc.holds(version)]
    if not holding:
        return notes
    return [n for n in notes if n not in backend_notes] + [
        f"The build backend computes the version ({version}); it is the __version__ in "
        f"{', '.join(holding)}, which bump-version rewrites."
    ]


def _ask_backend(
    root: Path, config: ReleaseConfig, name: object, *, needs_version: bool
) -> tuple[str, str | None, list[str]]:
    """The name (and version, if no file holds it) from the backend, when needed."""
    if isinstance(name, str) and name and not needs_version:
        return name, None, []
    metadata = backend_metadata(root, config)
    found = name if isinstance(name, str) and name else metadata["name"]
    if not needs_version:
        return found, None, ["The name was read from the build backend's metadata."]
    version = metadata["version"]
    return (
        found,
        version,
        [
            "No file holds the version as a literal releasekit can read; the build backend "
            f"reports {version}. bump-version needs the file: list it in "
            "[tool.releasekit] version-files."
        ],
    )


def _changelog(root: Path, config: ReleaseConfig) -> Path | None:
    if config.changelog is False:
        return None
    if config.changelog is True:
        for candidate in CHANGELOG_NAMES:
            if (root / candidate).is_file():
                return root / candidate
        return None
    path = root / config.changelog
    if not path.is_file():
        raise ProjectError(
            f"The changelog {path} (set by 'changelog' in the configuration) does not exist.",
            "Create it with an '## [Unreleased]' section, or set changelog = false.",
        )
    return path


def current_version(
    project: Project,
    config: ReleaseConfig,
    runner: Runner,
    *,
    tags: Sequence[str] | None = None,
) -> Version:
    """The project's version: from its files, or from its latest tag if VCS-derived
    (among ``tags``, the tags reachable from HEAD, when the caller read them already)."""
    if not project.vcs_versioned:
        return parse_version(project.read_version(), what="current version")
    from releasekit.vcs import Git, latest_version_tag

    git = Git(runner, project.root)
    if not git.is_repository():
        raise VcsError(
            f"{project.name} takes its version from git tags, but {project.root} is not in a "
            "git repository.",
            "Run releasekit inside the project's git checkout.",
        )
    if tags is None:
        tags = git.merged_tags()
    latest = latest_version_tag(tags, config.tag_format, project.name)
    if latest is None and git.is_shallow():
        # A CI checkout of depth 1 has no tags: the backend would build 0.1.dev1.
        raise VcsError(
            f"{project.name} takes its version from git tags, and this shallow clone has no "
            f"tag matching {config.tag_format!r}.",
            "Fetch the history and tags (actions/checkout with fetch-depth: 0; GitLab "
            "GIT_DEPTH: 0; or git fetch --tags --unshallow), then run releasekit again.",
        )
    return latest[1] if latest else Version("0.0.0")


def backend_metadata(root: Path, config: ReleaseConfig) -> dict[str, str]:
    """Name and version as the build backend reports them (its
    ``prepare_metadata_for_build_wheel`` hook, run in the cached build environment)."""
    from releasekit.buildenv import project_metadata
    from releasekit.runner import SubprocessRunner

    return project_metadata(root, config, SubprocessRunner(echo=False))
