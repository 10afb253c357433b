"""The project on disk: its name, and every place its version lives.

Read statically first (pyproject.toml here; setup.cfg and setup.py in setup_files.py;
the modules a version is written in, version_files.py); where nothing static holds the
version, the build backend is asked, through the caller's Runner (:func:`backend_metadata`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from packaging.version import InvalidVersion, Version

from releasekit.changelog import changelog_style
from releasekit.config import ReleaseConfig, read_toml
from releasekit.errors import CommandError, ConfigError, ProjectError, VcsError
from releasekit.runner import Runner, SubprocessRunner
from releasekit.vcs import Git
from releasekit.version_files import (
    WHOLE_FILE,
    VersionLocation,
    assignment,
    assignment_location,
    detected_versions,
    is_c_file,
    module_file,
    spread_location,
    template,
    toml_key,
)
from releasekit.versioning import parse_version

if TYPE_CHECKING:
    from releasekit.tags import ReleaseTags

# The files that make a directory a project, nearest first when looking upward.
PROJECT_FILES = ("pyproject.toml", "setup.cfg", "setup.py")
# Files that hold metadata, not code: a version there may also be a package's __version__.
METADATA_FILES = frozenset(PROJECT_FILES)
# The changelog's usual names, the first found is used.
CHANGELOG_NAMES = tuple(
    f"{stem}{suffix}"
    for stem in ("CHANGELOG", "CHANGES", "HISTORY", "NEWS", "RELEASE_NOTES")
    for suffix in (".md", ".rst", ".txt", "")
)


def normalize_name(name: str) -> str:
    """PEP 503 normalisation: ``Foo.Bar_baz`` -> ``foo-bar-baz``."""
    return re.sub(r"[-_.]+", "-", name).lower()


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
        found: dict[str, list[str]] = {}
        for location in primary or self.locations:
            for written, line in location.versions():
                where = f"{location.where(self.root, line)} ({location.description})"
                found.setdefault(written, []).append(where)
        if len(found) > 1:
            detail = "; ".join(
                f"{version} in " + ", ".join(wheres) for version, wheres in found.items()
            )
            raise ProjectError(
                f"The version is not the same everywhere: {detail}.",
                "Make them agree by hand (or with 'releasekit bump-version X.Y.Z' after fixing "
                "them), then try again.",
            )
        return next(iter(found))

    def stale_locations(self, version: str) -> list[str]:
        """Each detected ``__version__`` that is not ``version``, described for a user
        (a version tuple that differs is something else, a minimum Python version say)."""
        stale = []
        for location in self.locations:
            if not location.detected or location.kind != "string":
                continue
            for written, line in location.versions():
                if written != version:
                    stale.append(
                        f"{location.where(self.root, line)} says __version__ = {written!r}, "
                        f"the project is {version}"
                    )
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


def _get(table: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(table, dict):
            return None
        table = table.get(key)
    return table


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


def load_project(root: Path, config: ReleaseConfig, runner: Runner | None = None) -> Project:
    """Read the project in ``root`` and find every place its version is written.

    The build backend is asked (through ``runner``; a quiet one of its own without)
    only when no file says the name or holds the version.
    """

    pyproject = root / "pyproject.toml"
    if not any((root / name).is_file() for name in PROJECT_FILES):
        raise ProjectError(
            f"No pyproject.toml, setup.cfg or setup.py in {root} or above it.",
            "Run releasekit in the project's directory, or give --project the directory "
            "that holds its pyproject.toml (or setup.cfg, setup.py).",
        )
    document: dict[str, Any] = {}
    if pyproject.is_file():
        try:
            document = read_toml(pyproject)
        except ConfigError as exc:
            raise ProjectError(exc.message, exc.hint) from None
    project = _get(document, "project") or {}
    name, locations, vcs = _written_locations(root, document)
    notes: list[str] = []
    # A module whose __version__ is computed (flit from a version_info tuple): the
    # backend says the version.
    computed = [loc for loc in locations if not loc.has_version()]
    locations = [loc for loc in locations if loc not in computed]
    runner = runner or SubprocessRunner(echo=False)
    needs_version = not locations and not vcs and not config.version_files
    name, metadata_version, backend_notes = _ask_backend(
        root, config, runner, name, needs_version=needs_version
    )
    if metadata_version is not None and _follows_tags(root, metadata_version, runner):
        vcs, metadata_version = True, None
        backend_notes = [
            "The build backend derives the version from git tags: a release is its tag."
        ]
    notes.extend(backend_notes)
    for extra in config.version_files:
        pattern = template(extra.pattern) if extra.pattern else assignment()
        described = f"version-files pattern {extra.pattern!r}" if extra.pattern else "version-files"
        spread = None
        if not extra.pattern and is_c_file(root / extra.path):  # #define X_VERSION_MAJOR ...
            spread = spread_location(root, root / extra.path, "version-files #defines")
        locations.append(spread or VersionLocation(root / extra.path, described, pattern))
    if not vcs:
        # A version in a metadata file, or one the backend computes (setup.py often passes
        # pkg.__version__ on), may also be a __version__ of the package; in a module it is
        # that module's. Version tuples sit beside either.
        known = {loc.path for loc in locations} | {loc.path for loc in computed}
        in_metadata = any(p.name in METADATA_FILES for p in known)
        detected = detected_versions(
            root, name, known, search_package=in_metadata or metadata_version is not None
        )
        locations.extend(detected)
        if metadata_version is not None:
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


def _written_locations(
    root: Path, document: dict[str, Any]
) -> tuple[str | None, list[VersionLocation], bool]:
    """The name, the places the version is written, and whether it follows git tags, as
    pyproject.toml, setup.cfg and setup.py say."""
    project = _get(document, "project") or {}
    poetry = _get(document, "tool", "poetry") or {}
    pyproject = root / "pyproject.toml"
    locations: list[VersionLocation] = []
    vcs = False
    if "version" in project:
        locations.append(VersionLocation(pyproject, "[project] version", toml_key("project")))
    if "version" in poetry:
        locations.append(
            VersionLocation(pyproject, "[tool.poetry] version", toml_key("tool.poetry"))
        )
    name = project.get("name") or poetry.get("name")
    if not locations and document:
        dynamic_locations, vcs = _dynamic_locations(root, document, name or "")
        locations.extend(dynamic_locations)
    if not name or (not locations and not vcs):
        from releasekit.setup_files import legacy_metadata  # Lazy: see backend_metadata

        legacy = legacy_metadata(root)
        name = name or legacy.name
        if not locations and not vcs:
            locations.extend(legacy.locations)
            vcs = legacy.vcs and not legacy.locations
    return name, locations, vcs


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
        or (
            # Listed alone it turns on for a dynamic [project] version; a setup.py that
            # passes its own version (nodeenv) keeps it as a file finder.
            re.search(r"setuptools[-_]scm", requires)
            and not setuptools_version
            and "version" in (_get(document, "project", "dynamic") or [])
        )
    ):
        return [], True
    if isinstance(setuptools_version, dict) and "attr" in setuptools_version:
        module, _, attribute = str(setuptools_version["attr"]).rpartition(".")
        package_dirs = _get(tool, "setuptools", "package-dir") or {}
        path = module_file(root, module, package_dirs)
        description = f"setuptools attr {setuptools_version['attr']}"
        return [assignment_location(path, attribute, description)], False
    if isinstance(setuptools_version, dict) and "file" in setuptools_version:
        files = setuptools_version["file"]
        first = files[0] if isinstance(files, list) else files
        return [VersionLocation(root / first, "setuptools version file", WHOLE_FILE)], False
    if "path" in hatch_version:
        custom = hatch_version.get("pattern")
        pattern = (
            re.compile(custom, re.MULTILINE)
            if isinstance(custom, str) and custom != "true"
            else assignment(r"(?i:__version__|VERSION)")
        )
        return [VersionLocation(root / hatch_version["path"], "hatch version path", pattern)], False
    if pdm_version.get("source") == "file" and "path" in pdm_version:
        return [
            VersionLocation(
                root / pdm_version["path"], "pdm version file", assignment("__version__")
            )
        ], False
    regex_provider = _scikit_build_regex(root, tool)
    if regex_provider is not None:
        return [regex_provider], False
    if "flit" in backend:
        module = _get(tool, "flit", "module", "name") or name.replace("-", "_").replace(".", "_")
        path = module_file(root, module, {})
        return [assignment_location(path, "__version__", "flit __version__")], False
    return [], False


def _scikit_build_regex(root: Path, tool: dict[str, Any]) -> VersionLocation | None:
    """scikit-build-core's regex metadata provider (pybind11: three ``#define``s of a C++
    header): its ``input``, ``regex`` and ``result``, and the defines mirroring them."""
    provider = _get(tool, "scikit-build", "metadata", "version") or {}
    if provider.get("provider") != "scikit_build_core.metadata.regex":
        return None
    path = root / str(provider.get("input", ""))
    try:
        regex = re.compile(str(provider.get("regex", _SCIKIT_BUILD_REGEX)), re.MULTILINE)
    except re.error as exc:
        raise ProjectError(
            f"The regex of [tool.scikit-build.metadata.version] is not valid: {exc}.",
            "Fix it in pyproject.toml.",
        ) from None
    result = str(provider.get("result", "{value}"))
    description = f"scikit-build regex provider on {provider.get('input')}"
    return spread_location(root, path, description, regex, result)


# scikit-build-core's default: a __version__ (or VERSION) assignment.
_SCIKIT_BUILD_REGEX = r"(?i)^(__version__|VERSION)(?: ?\: ?str)? *= *([\'\"])v?(?P<value>.+?)\2"


def _computed_version_notes(
    root: Path,
    notes: list[str],
    backend_notes: list[str],
    detected: list[VersionLocation],
    version: str,
) -> list[str]:
    """When the version the backend computes is a ``__version__`` (or a version tuple) in
    the package (six's setup.py imports it), that file is what bump-version rewrites: say
    so instead."""
    holding = [loc.description for loc in detected if loc.holds(version)]
    if not holding:
        return notes
    return [n for n in notes if n not in backend_notes] + [
        f"The build backend computes the version ({version}); it is the "
        f"{', '.join(holding)}, which bump-version rewrites."
    ]


def _ask_backend(
    root: Path, config: ReleaseConfig, runner: Runner, name: object, *, needs_version: bool
) -> tuple[str, str | None, list[str]]:
    """The name (and version, if no file holds it) from the backend, when needed."""
    if isinstance(name, str) and name and not needs_version:
        return name, None, []
    metadata = backend_metadata(root, config, runner)
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


def _follows_tags(root: Path, version: str, runner: Runner) -> bool:
    """The version the backend computed comes from git: it carries HEAD's commit
    (``1.2.4.dev3+g1a2b3c4``, what setuptools-scm, hatch-vcs, versioneer, dunamai and
    their kin build between releases). At a tagged HEAD they say the tag's version alone,
    which a version computed from a file could say too: not taken as proof."""
    try:
        local = Version(version).local or ""
    except InvalidVersion:
        return False
    if not local:
        return False
    git = Git(runner, root)
    if not git.is_repository():
        return False
    try:
        head = git.head()
    except CommandError:
        return False  # no commit yet
    return any(len(part) >= 7 and head.startswith(part) for part in _hex_runs(local))


def _hex_runs(local: str) -> list[str]:
    """The hexadecimal runs of a local version label, a leading ``g`` (git describe's)
    dropped: ``g1a2b3c4.d20260101`` -> ``1a2b3c4``, ``20260101``."""
    return [run.removeprefix("g") for run in local.split(".") if run]


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


def current_version(project: Project, tags: ReleaseTags) -> Version:
    """The project's version: from its files, or, if it follows git tags, the highest
    release tag (read once, by :func:`releasekit.plan.release_tags`)."""
    if not project.vcs_versioned:
        return parse_version(project.read_version(), what="current version")
    if tags.tags is None:
        raise VcsError(
            f"{project.name} takes its version from git tags, but {project.root} is not in a "
            "git repository.",
            "Run releasekit inside the project's git checkout.",
        )
    if tags.latest is None and tags.shallow:
        # A CI checkout of depth 1 has no tags: the backend would build 0.1.dev1.
        raise VcsError(
            f"{project.name} takes its version from git tags, and this shallow clone has no "
            f"tag matching {tags.config.tag_format!r}.",
            "Fetch the history and tags (actions/checkout with fetch-depth: 0; GitLab "
            "GIT_DEPTH: 0; or git fetch --tags --unshallow), then run releasekit again.",
        )
    return tags.latest[1] if tags.latest else Version("0.0.0")


# --- asking the build backend ------------------------------------------------------------

# The longest the backend may take to say the metadata (a setup.py may run git or a
# compiler probe), in seconds.
METADATA_TIMEOUT = 120.0


def backend_metadata(root: Path, config: ReleaseConfig, runner: Runner) -> dict[str, str]:
    """Name and version from the backend's ``prepare_metadata_for_build_wheel`` hook, run
    in the cached build environment (made with uv when found, else pip) through
    ``runner``, stopped after METADATA_TIMEOUT. What the hook leaves in the tree
    (setuptools' ``*.egg-info``) is removed: the tree stays as it was."""
    # Lazy: the build environment's machinery (and setup.cfg/setup.py's readers) serve only
    # projects whose files do not say their name and version; `releasekit notes` and
    # `version` on the others must not pay for them (benchmarks/notes.py).
    import email.parser
    import shutil
    import tempfile

    from releasekit.buildenv import (
        BuildSystem,
        CacheUnusable,
        byproducts_in,
        last_line,
        project_cache,
    )

    before = set(byproducts_in(root))
    try:
        cache = project_cache(config, root, runner)
        system = BuildSystem.of(root)
        environment = cache.environment(system.requires)
        with tempfile.TemporaryDirectory(prefix="releasekit-metadata-") as scratch:
            runner.log(
                f"Asking the build backend ({system.backend}) for the project's metadata "
                f"(at most {METADATA_TIMEOUT:g} s)..."
            )
            name, _ = cache.call_backend(
                environment, system, root, "metadata", Path(scratch), {}, METADATA_TIMEOUT
            )
            text = (Path(scratch) / name / "METADATA").read_text(encoding="utf-8")
    except (CacheUnusable, CommandError, OSError) as exc:
        said = exc.output or exc.message if isinstance(exc, CommandError) else str(exc)
        raise ProjectError(
            f"releasekit cannot read the name and version of the project in {root} from its "
            f"files, and the build backend did not tell them either{last_line(said)}",
            'Add name = "..." and version = "..." to [project] in pyproject.toml (or list '
            "the file holding the version in [tool.releasekit] version-files).",
        ) from None
    finally:
        for left in set(byproducts_in(root)) - before:
            shutil.rmtree(left, ignore_errors=True)
    message = email.parser.Parser().parsestr(text, headersonly=True)
    return {"name": message.get("Name", ""), "version": message.get("Version", "")}
