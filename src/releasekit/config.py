"""ReleaseConfig and its layered loading — the only home of releasekit's defaults.

Layers, lowest first: built-in defaults < organisation profile (``extends``) < the
project's ``[tool.releasekit]`` < ``--config FILE`` < ``RELEASEKIT_*`` environment
variables < command-line flags. Each layer is validated on its own, so an error names
the key and the file (or variable, or flag) it came from.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import re
import string
import sys
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, Literal

from releasekit.commands import COMMANDS
from releasekit.errors import ConfigError
from releasekit.repositories import Repository, redact_url
from releasekit.suggest import closest, did_you_mean

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

PROFILE_GROUP = "releasekit.profiles"
ENV_PREFIX = "RELEASEKIT_"
# Repository is defined with its policy in releasekit.repositories; many import it here.
__all__ = ["ReleaseConfig", "Repository", "VersionFile", "load_config"]


@dataclasses.dataclass(frozen=True, kw_only=True)
class VersionFile:
    """An extra file holding the version; ``pattern`` contains ``{version}`` if given."""

    path: str
    pattern: str = ""


DEFAULT_REPOSITORIES: Mapping[str, Mapping[str, str]] = {
    "test": {
        "upload-url": "https://test.pypi.org/legacy/",
        "index-url": "https://test.pypi.org/simple/",
        "token-env": "TEST_PYPI_TOKEN",
        "username": "__token__",
    },
    "prod": {
        "upload-url": "https://upload.pypi.org/legacy/",
        "index-url": "https://pypi.org/simple/",
        "token-env": "PYPI_TOKEN",
        "username": "__token__",
    },
}


@dataclasses.dataclass(frozen=True, kw_only=True)
class ReleaseConfig:
    """The effective configuration of one project. Build it with :func:`load_config`."""

    extends: str = ""
    version_files: tuple[VersionFile, ...] = ()
    changelog: str | bool = True
    changelog_unreleased: str = "Unreleased"
    changelog_heading: str = "## [{version}] - {date}"
    commit: bool = True
    tag: bool = True
    allow_dirty: bool = False
    commit_message: str = "Release {version}"
    tag_format: str = "v{version}"
    tag_message: str = "Release {version}"
    release_branches: tuple[str, ...] = ("main", "master")
    allow_dev_to_prod: bool = False
    # Globs of files the release may have on an index without being built here: each
    # job of a CI matrix uploads its own platform wheels (["*.whl"]).
    allow_other_files: tuple[str, ...] = ()
    # PyPI's upload rules (releasekit.rules): on for PyPI/TestPyPI targets, or everywhere
    # with pypi-rules; skip-checks turns rules off by id; a project's raised file limit.
    pypi_rules: bool = False
    skip_checks: tuple[str, ...] = ()
    max_file_size: int = 100 * 1024 * 1024
    # A monorepo: globs of package directories, relative to the repository root.
    packages: tuple[str, ...] = ()
    # Upload only where every VAR matches (one of) its value(s): one job of a CI matrix.
    only_if_env: Mapping[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)
    build_outdir: str = "dist"
    build_installer: str = "auto"
    build_isolation: bool = True
    # The cached build environment (releasekit.buildenv); "" is the user cache directory.
    build_cache: bool = True
    build_cache_dir: str = ""
    build_cache_ttl: float = 600.0
    release_test_first: bool = True
    release_push: bool = True
    release_remote: str = "origin"
    # Files in flight at once, and one bound for a whole upload step (every retry and
    # wait included).
    # "auto": 4, or 1 for an index on this machine (releasekit.steps.upload.upload_jobs).
    upload_jobs: int | Literal["auto"] = "auto"
    upload_timeout: float = 900.0
    verify_timeout: float = 300.0
    verify_install: bool = False
    verify_import: tuple[str, ...] = ()
    verify_dependencies_index: str = ""
    # PEP 740: "auto" checks provenance on PyPI/TestPyPI when the upload was attested.
    verify_provenance: str = "auto"
    # Sign each distribution (PEP 740) when uploading to PyPI/TestPyPI by trusted publishing.
    attest: bool = True
    # The trusted publisher whose attestations verify expects ("": from the workflow).
    provenance_provider: str = "github"
    provenance_repository: str = ""
    provenance_workflow: str = ""
    provenance_environment: str = ""
    # check fails (instead of warning) when the changelog does not mention the version.
    changelog_required: bool = False
    # Where init-ci's pipelines install releasekit and the profile package from ("": PyPI).
    install_index: str = ""
    # bump-version auto: a breaking change before 1.0 is a major release (else a minor);
    # an empty Unreleased section is filled from the deciding commits' subjects.
    auto_major_on_zero: bool = False
    changelog_from_commits: bool = False
    repositories: Mapping[str, Repository] = dataclasses.field(
        default_factory=lambda: _build_repositories(DEFAULT_REPOSITORIES)
    )
    # Keys an organisation profile holds (``locked = [...]``): key -> the profile's source.
    locked: Mapping[str, str] = dataclasses.field(default_factory=dict)
    # Which layer set each key, for ``releasekit config --show`` and error messages.
    sources: Mapping[str, str] = dataclasses.field(default_factory=dict, compare=False)
    # What the command prints once on stderr (RELEASEKIT_* variables that set nothing).
    warnings: tuple[str, ...] = dataclasses.field(default=(), compare=False)

    def repository(self, name: str) -> Repository:
        try:
            return self.repositories[name]
        except KeyError:
            known = ", ".join(sorted(self.repositories))
            raise ConfigError(
                f"There is no repository named {name!r}{did_you_mean(name, self.repositories)} "
                f"(configured: {known}).",
                "Add it as [tool.releasekit.repositories." + name + "] with upload-url and "
                "index-url, or use one of the configured names.",
            ) from None

    def format_tag(self, version: str, name: str = "") -> str:
        return self.tag_format.format(version=version, name=name)

    def deploy_blocked(self, env: Mapping[str, str]) -> str:
        """Why ``only-if-env`` forbids uploading in ``env`` ("" when it allows it)."""
        for variable, allowed in self.only_if_env.items():
            value = env.get(variable)
            if value is None or ("*" not in allowed and value not in allowed):
                wanted = " or ".join(repr(v) for v in allowed)
                found = "unset" if value is None else repr(value)
                return f"only-if-env: {variable} must be {wanted}, and is {found} here"
        return ""


# --- the schema: TOML key -> parser --------------------------------------------------

Parser = Callable[[Any, str, str], Any]


def _from_text(source: str) -> bool:
    """Sources whose values may be text standing for booleans, numbers and lists."""
    return source.startswith(("environment", "Invoke", "nox"))


def _fail(key: str, source: str, expected: str, value: object) -> ConfigError:
    return ConfigError(
        f"{source}: key {key!r} must be {expected}, got {value!r}.",
        f"Fix {key!r} in {source}; see the Configuration section of the README.",
    )


def _parse_str(value: Any, key: str, source: str) -> str:
    if not isinstance(value, str):
        raise _fail(key, source, "a string", value)
    return value


def _parse_bool(value: Any, key: str, source: str) -> bool:
    if isinstance(value, bool):
        return value
    said = _said_bool(value, source)
    if said is not None:
        return said
    raise _fail(key, source, "true or false", value)


def _said_bool(value: Any, source: str) -> bool | None:
    """True or false written as text where only text can be written (an environment
    variable, a command-line value); None when ``value`` is not one of those words."""
    if isinstance(value, str) and _from_text(source):
        lowered = value.strip().lower()
        if lowered in {"1", "true", "yes", "on"}:
            return True
        if lowered in {"0", "false", "no", "off"}:
            return False
    return None


def _parse_str_list(value: Any, key: str, source: str) -> tuple[str, ...]:
    if isinstance(value, str) and _from_text(source):
        return tuple(item.strip() for item in value.split(",") if item.strip())
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise _fail(key, source, "a list of strings", value)
    return tuple(value)


def _parse_seconds(value: Any, key: str, source: str) -> float:
    if isinstance(value, str) and _from_text(source):
        with contextlib.suppress(ValueError):
            value = float(value)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise _fail(key, source, "a number of seconds (0 or more)", value)
    return float(value)


_SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(B|KiB|MiB|GiB)?\s*", re.IGNORECASE)
_SIZE_UNITS = {"b": 1, "kib": 1024, "mib": 1024**2, "gib": 1024**3}


def _parse_size(value: Any, key: str, source: str) -> int:
    """A number of bytes, or text like "150 MiB" (B, KiB, MiB, GiB)."""
    match = _SIZE.fullmatch(value) if isinstance(value, str) else None
    if match:
        value = int(float(match[1]) * _SIZE_UNITS[(match[2] or "b").lower()])
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise _fail(key, source, 'a size in bytes, or like "150 MiB"', value)
    return value


def _parse_jobs(value: Any, key: str, source: str) -> int | Literal["auto"]:
    if value == "auto":
        return "auto"
    if isinstance(value, str) and _from_text(source):
        with contextlib.suppress(ValueError):
            value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 32:
        raise _fail(key, source, '"auto" or a whole number from 1 to 32', value)
    return value


def _choice(*choices: str) -> Parser:
    def parse(value: Any, key: str, source: str) -> str:
        if value not in choices:
            raise _fail(key, source, "one of " + ", ".join(repr(c) for c in choices), value)
        return str(value)

    return parse


def _parse_provenance_mode(value: Any, key: str, source: str) -> str:
    """``auto``, ``always`` or ``never``; ``true``/``false`` (``--[no-]provenance``) too."""
    if isinstance(value, bool):
        return "always" if value else "never"
    if isinstance(value, str) and _from_text(source):
        lowered = value.strip().lower()
        if lowered in {"1", "true", "yes", "on"}:
            return "always"
        if lowered in {"0", "false", "no", "off"}:
            return "never"
    return str(_choice("auto", "always", "never")(value, key, source))


def _parse_changelog(value: Any, key: str, source: str) -> str | bool:
    if isinstance(value, bool) or (isinstance(value, str) and value):
        said = _said_bool(value, source)
        return value if said is None else said
    raise _fail(key, source, "a file path, true (find CHANGELOG.md) or false (off)", value)


def _template_parser(*, required: set[str], allowed: set[str]) -> Parser:
    def parse(value: Any, key: str, source: str) -> str:
        text = _parse_str(value, key, source)
        try:
            fields = {f for _, f, _, _ in string.Formatter().parse(text) if f is not None}
        except ValueError:
            fields = {"<unbalanced braces>"}
        expected = (
            "a string with "
            + " and ".join("{" + r + "}" for r in sorted(required))
            + " and no other fields than "
            + ", ".join("{" + a + "}" for a in sorted(allowed))
        )
        if not required <= fields or not fields <= allowed:
            raise _fail(key, source, expected, value)
        return text

    return parse


def _parse_version_files(value: Any, key: str, source: str) -> tuple[VersionFile, ...]:
    expected = 'a list of paths or of tables {path = "...", pattern = "...{version}..."}'
    if not isinstance(value, list):
        raise _fail(key, source, expected, value)
    files = []
    for item in value:
        if isinstance(item, str) and item:
            files.append(VersionFile(path=item))
            continue
        if not isinstance(item, dict) or not isinstance(item.get("path"), str):
            raise _fail(key, source, expected, item)
        unknown = set(item) - {"path", "pattern"}
        pattern = item.get("pattern", "")
        if unknown or not isinstance(pattern, str) or (pattern and "{version}" not in pattern):
            raise _fail(key, source, expected, item)
        files.append(VersionFile(path=item["path"], pattern=pattern))
    return tuple(files)


_REPOSITORY_KEYS = {
    "upload-url",
    "index-url",
    "token-env",
    "username",
    "production",
    "anonymous-upload",
    "dependencies-index-url",
    "cert",
    "client-cert",
    "truststore",
}


def _parse_only_if_env(value: Any, key: str, source: str) -> dict[str, tuple[str, ...]]:
    expected = 'a table of VARIABLE = "value" (or a list of values, or "*" for any)'
    if not isinstance(value, dict):
        raise _fail(key, source, expected, value)
    parsed = {}
    for variable, allowed in value.items():
        values = [allowed] if isinstance(allowed, str) else allowed
        if (
            not isinstance(values, list)
            or not values
            or not all(isinstance(v, str) for v in values)
        ):
            raise _fail(f"{key}.{variable}", source, expected, allowed)
        parsed[str(variable)] = tuple(values)
    return parsed


def _parse_repositories(value: Any, key: str, source: str) -> dict[str, dict[str, Any]]:
    if not isinstance(value, dict):
        raise _fail(key, source, "a table of named repositories", value)
    result: dict[str, dict[str, Any]] = {}
    for name, table in value.items():
        where = f"{key}.{name}"
        if not isinstance(table, dict):
            raise _fail(where, source, "a table with " + ", ".join(sorted(_REPOSITORY_KEYS)), table)
        for field, field_value in table.items():
            if field not in _REPOSITORY_KEYS:
                raise _unknown_key(f"{where}.{field}", source, _REPOSITORY_KEYS)
            if field in ("production", "anonymous-upload", "truststore"):
                _parse_bool(field_value, f"{where}.{field}", source)
                continue
            _parse_str(field_value, f"{where}.{field}", source)
            if field.endswith("-url") and not field_value.startswith(("https://", "http://")):
                raise _fail(f"{where}.{field}", source, "an http(s):// URL", field_value)
        result[name] = dict(table)
    return result


SCHEMA: Mapping[str, Parser] = {
    "extends": _parse_str,
    "locked": _parse_str_list,
    "version-files": _parse_version_files,
    "changelog": _parse_changelog,
    "changelog-unreleased": _parse_str,
    "changelog-required": _parse_bool,
    "changelog-from-commits": _parse_bool,
    "auto.major-on-zero": _parse_bool,
    "changelog-heading": _template_parser(required={"version"}, allowed={"version", "date"}),
    "commit": _parse_bool,
    "tag": _parse_bool,
    "allow-dirty": _parse_bool,
    "commit-message": _template_parser(required={"version"}, allowed={"version", "name", "tag"}),
    "tag-format": _template_parser(required={"version"}, allowed={"version", "name"}),
    "tag-message": _template_parser(required={"version"}, allowed={"version", "name", "tag"}),
    "release-branches": _parse_str_list,
    "allow-dev-to-prod": _parse_bool,
    "allow-other-files": _parse_str_list,
    "pypi-rules": _parse_bool,
    "skip-checks": _parse_str_list,
    "max-file-size": _parse_size,
    "packages": _parse_str_list,
    "only-if-env": _parse_only_if_env,
    "repositories": _parse_repositories,
    "build.outdir": _parse_str,
    "build.installer": _choice("auto", "pip", "uv"),
    "build.isolation": _parse_bool,
    "build.cache": _parse_bool,
    "build.cache-dir": _parse_str,
    "build.cache-ttl": _parse_seconds,
    "release.test-first": _parse_bool,
    "release.push": _parse_bool,
    "release.remote": _parse_str,
    "upload.jobs": _parse_jobs,
    "upload.timeout": _parse_seconds,
    "verify.timeout": _parse_seconds,
    "verify.install": _parse_bool,
    "verify.import": _parse_str_list,
    "verify.dependencies-index": _parse_str,
    "verify.provenance": _parse_provenance_mode,
    "attest": _parse_bool,
    "provenance.provider": _choice("github", "gitlab"),
    "provenance.repository": _parse_str,
    "provenance.workflow": _parse_str,
    "provenance.environment": _parse_str,
    "install-index": _parse_str,
}
# Sub-tables ([tool.releasekit.build]) whose keys appear in SCHEMA as "build.KEY".
SECTIONS = {key.partition(".")[0] for key in SCHEMA if "." in key}
# Keys that cannot be expressed as a single environment variable.
_NOT_FROM_ENV = {"repositories", "version-files", "extends", "only-if-env", "locked"}


def env_settable_keys() -> list[str]:
    """The keys a single environment variable can set (not tables like repositories)."""
    return [key for key in SCHEMA if key not in _NOT_FROM_ENV]


class LockedKeyError(ConfigError):
    """A layer sets a key an organisation profile locked to another value."""


class _UnknownKeyError(ConfigError):
    """A key the schema does not have (its hint names the key meant, or lists them all)."""

    def __init__(self, message: str, hint: str = "", *, listed: bool = False) -> None:
        super().__init__(message, hint)
        self.listed = listed


def _unknown_key(key: str, source: str, known: Iterable[str]) -> ConfigError:
    """A typo names the key meant; anything else gets the list of known keys."""
    known = list(known)
    section, _, name = key.rpartition(".")
    # In a table ([tool.releasekit.build]) its own keys; a repository's fields are bare.
    inside = [k.removeprefix(f"{section}.") for k in known if k.startswith(f"{section}.")]
    match = closest(name, inside or known) if section else closest(key, known)
    if match:
        meant = f"{section}.{match}" if section else match
        return _UnknownKeyError(
            f"{source}: unknown key {key!r} (did you mean {meant!r}?).",
            f"Rename it {meant!r}.",
        )
    return _UnknownKeyError(
        f"{source}: unknown key {key!r}.",
        "Known keys: " + ", ".join(sorted(known)) + ". Check the spelling (keys use dashes).",
        listed=True,
    )


def validate_table(table: Mapping[str, Any], source: str) -> dict[str, Any]:
    """Check one layer's keys and types; return the parsed values (dashed keys). Every
    bad key of the layer is reported at once, in one error."""
    errors: list[ConfigError] = []
    parsed = _validate(table, source, errors)
    if len(errors) == 1:
        raise errors[0]
    if errors:
        prefix = f"{source}: "
        problems = "; ".join(e.message.removeprefix(prefix).rstrip(".") for e in errors)
        listed = (e.hint for e in errors if isinstance(e, _UnknownKeyError) and e.listed)
        known = next(listed, "")
        raise ConfigError(
            f"{prefix}{len(errors)} problems: {problems}.",
            f"Fix each of them in {source}; see the Configuration section of the README."
            + (f" {known}" if known else ""),
        )
    return parsed


def _validate(table: Mapping[str, Any], source: str, errors: list[ConfigError]) -> dict[str, Any]:
    parsed: dict[str, Any] = {}
    for key, value in table.items():
        try:
            if key in SECTIONS:
                if not isinstance(value, dict):
                    raise _fail(key, source, "a table", value)
                section = {f"{key}.{k}": v for k, v in value.items()}
                parsed.update(_validate(section, source, errors))
                continue
            parser = SCHEMA.get(key)
            if parser is None:
                raise _unknown_key(key, source, SCHEMA)
            parsed[key] = parser(value, key, source)
        except ConfigError as exc:
            errors.append(exc)
    return parsed


# --- the layers ----------------------------------------------------------------------


def read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as f:
            document: dict[str, Any] = tomllib.load(f)
            return document
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: no such file.", "Check the path given to --config or extends."
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}.", "Fix the syntax.") from None


def _table_of(document: Mapping[str, Any], path: Path) -> Mapping[str, Any]:
    """A releasekit table: ``[tool.releasekit]`` if present, else the whole document."""
    tool = document.get("tool")
    if isinstance(tool, dict) and "releasekit" in tool:
        table = tool["releasekit"]
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: [tool.releasekit] must be a table.", "")
        return table
    return document


def _load_profile(
    name: str, base_dir: Path, seen: tuple[str, ...]
) -> list[tuple[str, dict[str, Any]]]:
    """The layers a profile contributes, lowest first (a profile may extend another)."""
    is_file = name.endswith(".toml") or "/" in name or os.sep in name
    path = (base_dir / name).resolve()
    identity = str(path) if is_file else name
    if identity in seen:
        chain = " -> ".join(Path(s).name if is_file else s for s in (*seen, identity))
        raise ConfigError(f"Profiles extend each other in a cycle: {chain}.", "Break the cycle.")
    if is_file:
        source = str(path)
        raw: Mapping[str, Any] = _table_of(read_toml(path), path)
        next_dir = path.parent
    else:
        source = f"profile {name!r} (entry point group {PROFILE_GROUP})"
        raw, next_dir = _load_profile_entry_point(name), base_dir
    values = validate_table(raw, source)
    layers: list[tuple[str, dict[str, Any]]] = []
    parent = values.pop("extends", "")
    if parent:
        layers.extend(_load_profile(parent, next_dir, (*seen, identity)))
    layers.append((source, values))
    return layers


def _load_profile_entry_point(name: str) -> Mapping[str, Any]:
    from importlib.metadata import entry_points

    found = [ep for ep in entry_points(group=PROFILE_GROUP) if ep.name == name]
    if not found:
        available = sorted({ep.name for ep in entry_points(group=PROFILE_GROUP)})
        raise ConfigError(
            f"extends = {name!r}: no installed package provides the releasekit profile {name!r}"
            f" (installed profiles: {', '.join(available) or 'none'}).",
            "Install the package that provides it into the same environment as releasekit, "
            'or point extends at a TOML file ("path/to/profile.toml").',
        )
    try:
        profile = found[0].load()
        if callable(profile):
            profile = profile()
    except Exception as exc:
        raise ConfigError(
            f"The releasekit profile {name!r} ({found[0].value}) failed to load: {exc}.",
            "Fix or reinstall the package that provides it.",
        ) from None
    if isinstance(profile, str | Path):
        path = Path(profile)
        return _table_of(read_toml(path), path)
    if not isinstance(profile, Mapping):
        raise ConfigError(
            f"The releasekit profile {name!r} ({found[0].value}) must be a mapping, a function"
            f" returning one, or a path to a TOML file, not {type(profile).__name__}.",
            "Fix the package that provides it.",
        )
    return profile


def env_variable(key: str) -> str:
    """The environment variable for a key: ``build.installer`` -> RELEASEKIT_BUILD_INSTALLER."""
    return ENV_PREFIX + key.upper().replace("-", "_").replace(".", "_")


# RELEASEKIT_* variables that are not settings and are known: no warning.
NOT_SETTINGS = {"RELEASEKIT_CORPUS_DIR": "the test suite's download cache (see the README)"}


def _env_layer(env: Mapping[str, str]) -> tuple[str, dict[str, Any], tuple[str, ...]] | None:
    """The settings ``RELEASEKIT_*`` variables give, and a warning for each variable that
    is no setting. A near miss of a setting's name is an error: the setting it meant would
    silently not apply (a release with the wrong tag format)."""
    keys = {env_variable(key): key for key in env_settable_keys()}
    values: dict[str, Any] = {}
    warnings: list[str] = []
    for variable, value in sorted(env.items()):
        if not variable.startswith(ENV_PREFIX) or variable in NOT_SETTINGS:
            continue
        if variable not in keys:
            meant = closest(
                variable.removeprefix(ENV_PREFIX),
                [k.removeprefix(ENV_PREFIX) for k in keys],
                cutoff=0.8,
            )
            if meant:
                raise ConfigError(
                    f"Environment variable {variable} is not a releasekit setting "
                    f"(did you mean {ENV_PREFIX}{meant}?).",
                    f"Rename it {ENV_PREFIX}{meant}, or unset it.",
                )
            warnings.append(
                f"the environment variable {variable} is not a releasekit setting and is "
                "ignored (the settings: the Configuration section of the README)"
            )
            continue
        values.update(validate_table({keys[variable]: value}, f"environment variable {variable}"))
    return ("environment", values, tuple(warnings)) if values or warnings else None


def load_config(
    project_dir: Path,
    *,
    config_file: Path | None = None,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
    adapter: tuple[str, Mapping[str, Any]] | None = None,
    workspace: Path | None = None,
    overridden: list[LockedKeyError] | None = None,
) -> ReleaseConfig:
    """Build the effective configuration of the project in ``project_dir``.

    A layer that overrides a key the profile locks is refused; with ``overridden`` (audit)
    each such override is added to that list instead, and the override stands.

    In a monorepo, ``workspace`` is the repository root: its ``[tool.releasekit]``
    (repositories, tag format, ...) is layered under the package's own table.

    ``overrides`` are command-line values with dashed keys (``{"tag-format": ...}``);
    ``None`` values are ignored, so flags that were not given do not override anything.
    ``adapter`` is ``(source, table)`` from nox's ``register()`` or Invoke's configuration,
    layered just above the project's table (keys may use underscores there).
    """
    env = os.environ if env is None else env
    layers: list[tuple[str, dict[str, Any]]] = []

    pyproject = project_dir / "pyproject.toml"
    project_values = _project_table(pyproject)
    workspace_values: dict[str, Any] = {}
    if workspace is not None and workspace.resolve() != project_dir.resolve():
        workspace_values = _project_table(workspace / "pyproject.toml")
        workspace_values.pop("packages", None)
    file_values: dict[str, Any] = {}
    if config_file is not None:
        file_values = validate_table(
            _table_of(read_toml(config_file), config_file), str(config_file)
        )

    adapter_values: dict[str, Any] = {}
    if adapter is not None:
        adapter_values = validate_table(_dashed(adapter[1]), adapter[0])

    extends = (
        file_values.get("extends")
        or adapter_values.get("extends")
        or project_values.get("extends")
        or workspace_values.get("extends")
        or ""
    )
    profiles: list[tuple[str, dict[str, Any]]] = []
    if extends:
        base = config_file.parent if file_values.get("extends") and config_file else project_dir
        if workspace_values.get("extends") == extends and workspace is not None:
            base = workspace
        profiles = _load_profile(extends, base, ())
        layers.extend(profiles)
    if workspace is not None and workspace_values:
        layers.append((f"{workspace / 'pyproject.toml'} [tool.releasekit]", workspace_values))
    layers.append((f"{pyproject} [tool.releasekit]", project_values))
    if adapter is not None:
        layers.append((adapter[0], adapter_values))
    if config_file is not None:
        layers.append((str(config_file), file_values))
    env_layer = _env_layer(env)
    if env_layer and env_layer[1]:
        layers.append(env_layer[:2])
    if overrides:
        given = {k: v for k, v in overrides.items() if v is not None}
        layers.append(("command line", validate_table(given, "command line")))
    locks = hold_locked_keys(layers, {source for source, _ in profiles}, overridden)
    config = dataclasses.replace(_merge(layers), locked=locks)
    if env_layer and env_layer[2]:
        config = dataclasses.replace(config, warnings=env_layer[2])
    return config


def hold_locked_keys(
    layers: list[tuple[str, dict[str, Any]]],
    profiles: set[str],
    overridden: list[LockedKeyError] | None = None,
) -> dict[str, str]:
    """The keys the profile layers lock (key -> the profile), after refusing every later
    layer that sets one of them to another value than the profile's (a LockedKeyError
    naming the key, the profile and the layer; collected in ``overridden`` instead, when
    given). ``locked`` itself is taken out of the layers."""
    locks: dict[str, tuple[str, Any]] = {}
    held: dict[str, Any] = {}

    def refuse(key: str, source: str, value: Any) -> None:
        error = _overridden(key, locks[key], source, value)
        if overridden is None:
            raise error
        overridden.append(error)

    for source, values in layers:
        locked = values.pop("locked", ())
        if source not in profiles:
            if locked:
                raise ConfigError(
                    f"{source}: key 'locked' is for an organisation profile; a project cannot "
                    "lock its own keys.",
                    f"Remove 'locked' from {source}.",
                )
            for key, value in values.items():
                if key in locks and _differs(key, value, locks[key][1]):
                    refuse(key, source, value)
            continue
        for key, value in values.items():
            if key in locks and _differs(key, value, locks[key][1]):
                refuse(key, source, value)
            held[key] = _held(key, value, held.get(key))
        for key in locked:
            if key not in SCHEMA or key in ("extends", "locked"):
                raise ConfigError(
                    f"{source}: locked names {key!r}, which is not a key that can be locked.",
                    "Lock configuration keys: " + ", ".join(sorted(SCHEMA)) + ".",
                )
            locks.setdefault(key, (source, held.get(key, _default(key))))
    return {key: source for key, (source, _) in locks.items()}


def _held(key: str, value: Any, before: Any) -> Any:
    """A profile's value for ``key``: repositories add up, field by field."""
    if key != "repositories":
        return value
    merged = {name: dict(fields) for name, fields in (before or {}).items()}
    for name, fields in value.items():
        merged.setdefault(name, {}).update(fields)
    return merged


def _default(key: str) -> Any:
    if key == "repositories":
        return {name: dict(fields) for name, fields in DEFAULT_REPOSITORIES.items()}
    return getattr(ReleaseConfig(), key.replace("-", "_").replace(".", "_"))


def _differs(key: str, value: Any, held: Any) -> bool:
    if key == "repositories":
        return any(
            field_value != held.get(name, DEFAULT_REPOSITORIES.get(name, {})).get(field)
            for name, fields in value.items()
            for field, field_value in fields.items()
        )
    return bool(value != held)


def _overridden(key: str, lock: tuple[str, Any], source: str, value: Any) -> LockedKeyError:
    profile, held = lock
    where = env_variable(key) if source == "environment" else source
    if source == "command line":
        where = f"the command line ({_flag_of(key)})"
    shown = "its own table" if key == "repositories" else repr(_shown(value))
    return LockedKeyError(
        f"{key!r} is locked by {profile} (to {_shown(held)!r}), and {where} sets it to {shown}.",
        f"Remove {key!r} from {where}: the organisation's profile holds it. To change it, "
        "change the profile (or ask its owners to unlock the key).",
    )


def _shown(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_shown(v) for v in value]
    if isinstance(value, VersionFile):
        return dataclasses.asdict(value)
    return value


def _flag_of(key: str) -> str:
    names = {o.name for c in COMMANDS for o in c.options if o.config_key == key}
    return " or ".join(f"--{n}" for n in sorted(names)) or key


def _project_table(pyproject: Path) -> dict[str, Any]:
    if not pyproject.is_file():
        return {}
    tool = read_toml(pyproject).get("tool", {})
    table = tool.get("releasekit", {}) if isinstance(tool, dict) else {}
    if not isinstance(table, dict):
        raise ConfigError(f"{pyproject}: [tool.releasekit] must be a table.", "")
    return validate_table(table, f"{pyproject} [tool.releasekit]")


def effective_settings(config: ReleaseConfig) -> list[tuple[str, Any, str]]:
    """Every key, its effective value (JSON-ready) and the layer that set it."""
    rows: list[tuple[str, Any, str]] = []
    for key in SCHEMA:
        if key in ("repositories", "locked"):
            continue
        value = getattr(config, key.replace("-", "_").replace(".", "_"))
        if key == "version-files":
            value = [{"path": f.path, "pattern": f.pattern} if f.pattern else f.path for f in value]
        elif isinstance(value, tuple):
            value = list(value)
        elif isinstance(value, Mapping):
            value = {k: list(v) for k, v in value.items()}
        rows.append((key, value, config.sources.get(key, "default")))
    for name, repository in sorted(config.repositories.items()):
        for field in (
            "upload-url",
            "index-url",
            "token-env",
            "username",
            "dependencies-index-url",
            "cert",
            "client-cert",
        ):
            key = f"repositories.{name}.{field}"
            value = getattr(repository, field.replace("-", "_"))
            if field.endswith("-url"):
                value = redact_url(value)  # user:password@ in a URL is a secret too
            rows.append((key, value, config.sources.get(key, "default")))
        key = f"repositories.{name}.production"
        if key in config.sources:
            rows.append((key, repository.production, config.sources[key]))
        elif name == "prod":  # what upload-prod and release's last step send to
            production = repository.as_production_target().production
            rows.append((key, production, "default: upload-prod and release's last step send here"))
        else:
            rows.append((key, repository.production, "default: only prod is production"))
    return [(key, value, source + _lock_mark(config, key)) for key, value, source in rows]


def _lock_mark(config: ReleaseConfig, key: str) -> str:
    """`` (locked)`` after the source of a key the profile holds."""
    return " (locked)" if locked_by(config, key) else ""


def locked_by(config: ReleaseConfig, key: str) -> str:
    """The profile that locks ``key`` (``repositories.prod.upload-url``: the whole
    ``repositories`` table), or ""."""
    return config.locked.get("repositories" if key.startswith("repositories.") else key, "")


def _dashed(table: Mapping[str, Any]) -> dict[str, Any]:
    """Python-style keys (``tag_format``) as TOML-style keys; ``None`` means "not set"."""
    dashed: dict[str, Any] = {}
    for key, value in table.items():
        name = key.replace("_", "-")
        if value is None:
            continue
        if isinstance(value, Mapping) and name in SECTIONS:
            dashed[name] = _dashed(value)
        elif isinstance(value, Mapping) and name == "repositories":
            dashed[name] = {repo: _dashed(fields) for repo, fields in value.items()}
        else:
            dashed[name] = value
    return dashed


def _merge(layers: list[tuple[str, dict[str, Any]]]) -> ReleaseConfig:
    merged: dict[str, Any] = {}
    sources: dict[str, str] = {}
    repositories = {name: dict(fields) for name, fields in DEFAULT_REPOSITORIES.items()}
    for source, values in layers:
        for key, value in values.items():
            if key == "repositories":
                for name, fields in value.items():
                    repositories.setdefault(name, {}).update(fields)
                    for field in fields:
                        sources[f"repositories.{name}.{field}"] = source
            else:
                merged[key.replace("-", "_").replace(".", "_")] = value
                sources[key] = source
    for name, fields in repositories.items():
        missing = {"upload-url", "index-url"} - set(fields)
        if missing:
            where = sources.get(f"repositories.{name}.{next(iter(fields), '')}", "configuration")
            raise ConfigError(
                f"{where}: repository {name!r} has no {' and no '.join(sorted(missing))}.",
                f"Add them to [tool.releasekit.repositories.{name}].",
            )
    return ReleaseConfig(**merged, repositories=_build_repositories(repositories), sources=sources)


def _build_repositories(tables: Mapping[str, Mapping[str, Any]]) -> dict[str, Repository]:
    return {
        name: Repository(
            name=name,
            upload_url=fields["upload-url"],
            index_url=fields["index-url"],
            token_env=fields.get("token-env", ""),
            username=fields.get("username", "__token__"),
            production_flag=fields.get("production"),
            anonymous_upload=fields.get("anonymous-upload", False),
            dependencies_index_url=fields.get("dependencies-index-url", ""),
            cert=fields.get("cert", ""),
            client_cert=fields.get("client-cert", ""),
            truststore=fields.get("truststore", False),
        )
        for name, fields in tables.items()
    }
