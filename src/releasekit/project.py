"""The project on disk: its name, and every place its version lives."""

from __future__ import annotations

import re
from dataclasses import dataclass
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


def normalize_name(name: str) -> str:
    """PEP 503 normalisation: ``Foo.Bar_baz`` -> ``foo-bar-baz``."""
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass(frozen=True)
class VersionLocation:
    """One place the version is written: a file and a pattern with a ``version`` group."""

    path: Path
    description: str
    pattern: re.Pattern[str]

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


@dataclass(frozen=True)
class Project:
    """What releasekit knows about the project in ``root``."""

    root: Path
    name: str
    locations: tuple[VersionLocation, ...]
    # The version is derived from git tags (setuptools-scm, hatch-vcs, pdm scm, ...).
    vcs_versioned: bool = False
    changelog: Path | None = None

    @property
    def normalized_name(self) -> str:
        return normalize_name(self.name)

    def read_version(self) -> str:
        """The version written in every location; they must all agree."""
        found: dict[str, list[VersionLocation]] = {}
        for location in self.locations:
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


def _assignment(names: str = _DEFAULT_NAMES) -> re.Pattern[str]:
    return re.compile(_ASSIGNMENT.format(names=names), re.MULTILINE)


def _toml_key(table: str) -> re.Pattern[str]:
    """``version = "..."`` directly inside ``[table]`` of a TOML file."""
    header = r"^\[[ \t]*" + re.escape(table).replace(r"\.", r"[ \t]*\.[ \t]*") + r"[ \t]*\]"
    body = r"[^\n]*\n(?:(?![ \t]*\[)[^\n]*\n)*?"  # lines up to the next [header]
    return re.compile(header + body + r"[ \t]*version[ \t]*=[ \t]*" + _QUOTED, re.MULTILINE)


_WHOLE_FILE = re.compile(r"\A\s*v?(?P<version>" + _VERSION_CHARS + r")\s*\Z")


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


def load_project(root: Path, config: ReleaseConfig) -> Project:
    """Read ``root/pyproject.toml`` and find every place the version is written."""
    pyproject = root / "pyproject.toml"
    if not pyproject.is_file():
        raise ProjectError(
            f"No pyproject.toml in {root}.",
            "Run releasekit from the project's root directory, or pass --project DIR.",
        )
    try:
        document = read_toml(pyproject)
    except ConfigError as exc:
        raise ProjectError(exc.message, exc.hint) from None
    project = _get(document, "project") or {}
    poetry = _get(document, "tool", "poetry") or {}
    name = project.get("name") or poetry.get("name")
    if not isinstance(name, str) or not name:
        raise ProjectError(
            f"{pyproject} has no [project] name.", 'Add name = "..." to the [project] table.'
        )
    locations: list[VersionLocation] = []
    vcs = False
    if "version" in project:
        locations.append(VersionLocation(pyproject, "[project] version", _toml_key("project")))
    if "version" in poetry:
        locations.append(
            VersionLocation(pyproject, "[tool.poetry] version", _toml_key("tool.poetry"))
        )
    if not locations:
        dynamic_locations, vcs = _dynamic_locations(root, document, name)
        locations.extend(dynamic_locations)
    for extra in config.version_files:
        pattern = _template(extra.pattern) if extra.pattern else _assignment()
        described = f"version-files pattern {extra.pattern!r}" if extra.pattern else "version-files"
        locations.append(VersionLocation(root / extra.path, described, pattern))
    if not locations and not vcs:
        raise ProjectError(
            f"{pyproject}: the version is dynamic, but releasekit cannot tell where it lives.",
            "List the file that holds it in [tool.releasekit] version-files "
            '(e.g. version-files = ["src/pkg/__init__.py"]).',
        )
    return Project(
        root=root,
        name=name,
        locations=tuple(locations),
        vcs_versioned=vcs,
        changelog=_changelog(root, config),
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
        return [
            VersionLocation(
                path,
                f"setuptools attr {setuptools_version['attr']}",
                _assignment(re.escape(attribute)),
            )
        ], False
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
        return [VersionLocation(path, "flit __version__", _assignment("__version__"))], False
    return [], False


def _changelog(root: Path, config: ReleaseConfig) -> Path | None:
    if config.changelog is False:
        return None
    if config.changelog is True:
        for candidate in ("CHANGELOG.md", "CHANGES.md", "HISTORY.md"):
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


def current_version(project: Project, config: ReleaseConfig, runner: Runner) -> Version:
    """The project's version: from its files, or from its latest tag if VCS-derived."""
    if not project.vcs_versioned:
        return parse_version(project.read_version(), what="current version")
    from releasekit.vcs import Git

    git = Git(runner, project.root)
    if not git.is_repository():
        raise VcsError(
            f"{project.name} takes its version from git tags, but {project.root} is not in a "
            "git repository.",
            "Run releasekit inside the project's git checkout.",
        )
    latest = git.latest_version_tag(config.tag_format, project.name)
    return latest[1] if latest else Version("0.0.0")
