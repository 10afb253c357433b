"""Where a version is written inside a file: the patterns that find it, a re-exported
``__version__`` followed to the module that assigns it, and the ``__version__`` strings
and version tuples found in the package without being configured.
"""

from __future__ import annotations

import ast
import dataclasses
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from packaging.version import InvalidVersion, Version

from releasekit.errors import ProjectError
from releasekit.files import relative_path
from releasekit.version_defines import HEADER_SUFFIXES, SpreadVersion, spread_version
from releasekit.version_tuples import TUPLE_VALUE, VersionTuple, level_words
from releasekit.versioning import VersionSpan, find_version

_VERSION_CHARS = r"[0-9A-Za-z!+._-]+"
QUOTED = r"""(?P<q>["'])v?(?P<version>""" + _VERSION_CHARS + r")(?P=q)"
# A module-level assignment: __version__ = "1.2.3", VERSION: str = '1.2.3', version = ...
_ASSIGNMENT = r"^[ \t]*{names}[ \t]*(?::[^=\n]*)?=[ \t]*" + QUOTED
_DEFAULT_NAMES = r"(?:__version__|VERSION|version)"
# Where a package keeps a __version__ next to its __init__.py.
_VERSION_MODULES = ("__init__.py", "_version.py", "__version__.py", "version.py", "__about__.py")


@dataclass(frozen=True)
class VersionLocation:
    """One place the version is written: a file and a pattern with a ``version`` group.

    ``detected`` locations (a ``__version__`` or a version tuple found in the package
    without being configured) are bumped along, but do not decide the current version:
    check reports a ``__version__`` that disagrees; a tuple that does not hold the
    version is something else (a minimum Python) and is left alone.
    """

    path: Path
    description: str
    pattern: re.Pattern[str]
    detected: bool = False
    # "string": the version as written ("1.2.3"); "tuple": what a version tuple's
    # parentheses hold, "1, 2, 3" or "3, 7, 0, 'final', 0" (see version_tuples.py);
    # "spread": a stretch of the file saying it in parts (see version_defines.py).
    kind: Literal["string", "tuple", "spread"] = "string"
    # The release-level words the file writes ('rc', 'dev'): how its tuple says them.
    words: frozenset[str] = frozenset()
    spread: SpreadVersion | None = None

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

    def has_version(self) -> bool:
        """The file exists and the pattern finds a version in it."""
        try:
            text = self.path.read_bytes().decode("utf-8")
        except (OSError, UnicodeDecodeError):
            return False
        # A string that is no version at all ("." of ".".join(...)) is not a version.
        spans = find_version(text, self.pattern)
        if self.kind != "string":
            return bool(spans) and all(
                _is_version(self.written(text[s.start : s.end])) for s in spans
            )
        return bool(spans) and all(text[s.start : s.end][:1].isdigit() for s in spans)

    def versions(self) -> list[tuple[str, int]]:
        """Each version written here, as a version string, with its line number."""
        text, spans = self.read()
        return [(self.written(text[s.start : s.end]), line_of(text, s)) for s in spans]

    def written(self, found: str) -> str:
        if self.spread is not None:
            return self.spread.version(found)
        if self.kind == "tuple":
            return VersionTuple.parse(found).version()
        return found

    def render(self, version: str, found: str) -> str:
        """``version`` written the way ``found`` (what the file says now) is written."""
        if self.spread is not None:
            return self.spread.render(version, found, self.description)
        if self.kind == "string":
            return version
        return VersionTuple.parse(found).render(version, self.description, self.words)

    def holds(self, version: str) -> bool:
        """Every occurrence here is exactly ``version`` (a tuple: the same version)."""
        if self.kind != "string":
            return all(_same_version(written, version) for written, _ in self.versions())
        return all(written == version for written, _ in self.versions())

    def where(self, root: Path, line: int) -> str:
        """``path:line``, relative to ``root`` when inside it."""
        return f"{relative_path(self.path, root)}:{line}"


def line_of(text: str, span: VersionSpan) -> int:
    return text.count("\n", 0, span.start) + 1


def assignment(names: str = _DEFAULT_NAMES) -> re.Pattern[str]:
    return re.compile(_ASSIGNMENT.format(names=names), re.MULTILINE)


def toml_key(table: str) -> re.Pattern[str]:
    """``version = "..."`` directly inside ``[table]`` of a TOML file."""
    header = r"^\[[ \t]*" + re.escape(table).replace(r"\.", r"[ \t]*\.[ \t]*") + r"[ \t]*\]"
    body = r"[^\n]*\n(?:(?![ \t]*\[)[^\n]*\n)*?"  # lines up to the next [header]
    return re.compile(header + body + r"[ \t]*version[ \t]*=[ \t]*" + QUOTED, re.MULTILINE)


def ini_key(section: str, key: str) -> re.Pattern[str]:
    """``key = 1.2.3`` directly inside ``[section]`` of an INI file (setup.cfg)."""
    header = r"^\[[ \t]*" + re.escape(section) + r"[ \t]*\][^\n]*\n"
    body = r"(?:(?![ \t]*\[)[^\n]*\n)*?"
    value = r"[ \t]*[=:][ \t]*v?(?P<version>" + _VERSION_CHARS + r")[ \t]*$"
    return re.compile(header + body + re.escape(key) + value, re.MULTILINE)


WHOLE_FILE = re.compile(r"\A\s*v?(?P<version>" + _VERSION_CHARS + r")\s*\Z")


def template(pattern: str) -> re.Pattern[str]:
    """A version-files pattern (``VERSION = '{version}'``): the text around the version
    matched literally, and as whole names: ``VERSION`` never inside ``OLSON_VERSION``."""
    before, _, after = pattern.partition("{version}")
    start = r"(?<![\w.])" if before[:1].isalnum() or before[:1] == "_" else ""
    end = r"(?![\w])" if after[-1:].isalnum() or after[-1:] == "_" else ""
    return re.compile(
        start + re.escape(before) + r"(?P<version>" + _VERSION_CHARS + ")" + re.escape(after) + end,
        re.MULTILINE,
    )


def spread_location(
    root: Path,
    path: Path,
    description: str,
    regex: re.Pattern[str] | None = None,
    result: str | None = None,
) -> VersionLocation | None:
    """The version said in parts by ``path``: a provider's ``regex`` and ``result``
    template, and, in a C/C++ file, the ``#define``s mirroring it. None if it has none."""
    try:
        text = path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    spread = spread_version(path, relative_path(path, root), text, regex, result)
    if spread is None:
        return None
    return VersionLocation(path, description, spread.pattern(), kind="spread", spread=spread)


def is_c_file(path: Path) -> bool:
    return path.suffix.lower() in HEADER_SUFFIXES


def module_file(root: Path, module: str, package_dirs: dict[str, str]) -> Path:
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


# --- following a version to the module that assigns it --------------------------------


def parse_python(path: Path) -> ast.Module | None:
    try:
        return ast.parse(path.read_bytes(), filename=str(path))
    except (OSError, SyntaxError, ValueError):
        return None


def _imported_from(path: Path, attribute: str) -> tuple[Path, str] | None:
    """Where ``path`` imports ``attribute`` from (``from .pkg_data import __version__``):
    that module's file and the name it has there."""
    tree = parse_python(path)
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
    pattern = assignment(re.escape(attribute))
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
        pattern = assignment(re.escape(name))
    return VersionLocation(path, description, assignment(re.escape(attribute)))


# --- __version__ found in the package ---------------------------------------------------


def detected_versions(
    root: Path, name: str, known: set[Path], *, search_package: bool = True
) -> list[VersionLocation]:
    """What the package writes the version in without it being configured: a literal
    ``__version__`` in its version modules (with ``search_package``), and version tuples
    (``version_info = (1, 2, 3)``) there and in the ``known`` files (those configured)."""
    import_name = re.sub(r"[-.]+", "_", name)
    modules: list[Path] = []
    if search_package:
        for package in _packages(root, name):
            modules += [package / module for module in _entries(package, _VERSION_MODULES)]
        for directory in (root, root / "src"):
            modules += [directory / m for m in _entries(directory, [f"{import_name}.py"])]
    detected = []
    seen: set[str] = set()
    for file in [*known, *modules]:
        key = os.path.normpath(file)
        if key in seen:
            continue
        seen.add(key)
        try:
            text = file.read_bytes().decode("utf-8", errors="replace")
        except OSError:
            continue
        where = relative_path(file, root)
        if file not in known:
            spans = find_version(text, _DUNDER_VERSION)
            if spans and all(_is_version(text[s.start : s.end]) for s in spans):
                detected.append(
                    VersionLocation(file, f"__version__ in {where}", _DUNDER_VERSION, detected=True)
                )
        for match in _VERSION_TUPLE.finditer(text):
            try:
                VersionTuple.parse(match["version"])
            except ValueError:
                continue  # (3, "x"): not a version
            pattern = re.compile(r"^[ \t]*" + re.escape(match["name"]) + TUPLE_VALUE, re.MULTILINE)
            description = f"{match['name']} in {where}"
            detected.append(
                VersionLocation(
                    file, description, pattern, detected=True, kind="tuple", words=level_words(text)
                )
            )
    return detected + _version_headers(root, known)


def _version_headers(root: Path, known: set[Path]) -> list[VersionLocation]:
    """C/C++ headers named for the version (``include/foo/version.h``,
    ``src/foo_version.h``) whose ``#define``s mirror it: bumped along with it."""
    found = []
    for base, depth in ((root / "include", 3), (root / "src", 2)):
        for path in _files_under(base, depth):
            if "version" in path.name.lower() and is_c_file(path) and path not in known:
                where = relative_path(path, root)
                location = spread_location(root, path, f"#defines in {where}")
                if location is not None:
                    found.append(dataclasses.replace(location, detected=True))
    return found


def _files_under(directory: Path, depth: int) -> list[Path]:
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return []
    files = [Path(e.path) for e in entries if e.is_file()]
    if depth > 1:
        for entry in entries:
            if entry.is_dir() and not entry.name.startswith("."):
                files += _files_under(Path(entry.path), depth - 1)
    return files


def _entries(directory: Path, names: Sequence[str]) -> list[str]:
    """Those of ``names`` in ``directory`` (one listing instead of a stat per name)."""
    try:
        present = set(os.listdir(directory))
    except OSError:
        return []
    return [n for n in names if n in present]


_DUNDER_VERSION = re.compile(r"^__version__[ \t]*(?::[^=\n]*)?=[ \t]*" + QUOTED, re.MULTILINE)
# version_info = (1, 2, 3), or one of the other forms version_tuples.py reads.
_VERSION_TUPLE = re.compile(
    r"^[ \t]*(?P<name>__version_info__|version_info|VERSION_INFO|__version_tuple__|"
    r"version_tuple|VERSION_TUPLE)" + TUPLE_VALUE,
    re.MULTILINE,
)


def _packages(root: Path, name: str) -> list[Path]:
    """The project's packages: named after it (``jaraco.text`` also as ``jaraco/text``,
    a sub-package of a namespace package), and every package in src/, namespace
    packages (directories without ``__init__.py``) searched through."""
    import_name = re.sub(r"[-.]+", "_", name)
    dotted = "/".join(part for part in re.split(r"[-_.]+", name) if part)
    relative = dict.fromkeys([import_name, import_name.lower(), dotted, dotted.lower()])
    packages = [
        base / r
        for base in (root / "src", root)
        for r in relative
        if r and (base / r / "__init__.py").is_file()
    ]
    for package in _packages_under(root / "src", depth=3):
        if package not in packages:
            packages.append(package)
    return packages


def _packages_under(directory: Path, depth: int) -> list[Path]:
    if depth == 0 or not directory.is_dir():
        return []
    found = []
    for child in sorted(directory.iterdir()):
        if not child.is_dir() or child.name.startswith((".", "_")) or "-" in child.name:
            continue
        if (child / "__init__.py").is_file():
            found.append(child)
        else:  # a namespace package: its sub-packages hold the code
            found += _packages_under(child, depth - 1)
    return found


def _same_version(a: str, b: str) -> bool:
    try:
        return Version(a) == Version(b)
    except InvalidVersion:
        return False


def _is_version(text: str) -> bool:
    try:
        Version(text)
    except InvalidVersion:
        return False
    return True
