"""The cached build environment: isolated builds without making a new environment each time.

A virtualenv holding exactly the hashed pins of ``[build-system] requires`` is kept under
a key (the pins, the interpreter, the installer) and used again only while a fingerprint
of its files is unchanged; the backend's hooks run in new processes each time, through
pyproject_hooks and the caller's Runner. Why this gives the bytes of a fresh isolated
build: README, "The cached build environment".
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import sys
import tarfile
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, NoReturn

from pyproject_hooks import (
    BackendUnavailable,
    BuildBackendHookCaller,
    HookMissing,
    UnsupportedOperation,
)

from releasekit import interpreter_facts
from releasekit.config import ReleaseConfig, read_toml
from releasekit.errors import CommandError, ProjectError
from releasekit.runner import Runner
from releasekit.tools import find_uv

if TYPE_CHECKING:
    from releasekit.vcs import Git

FORMAT = 1
Installer = Literal["pip", "uv"]
Kind = Literal["sdist", "wheel", "metadata"]
# PEP 517: a project without [build-system] is built with setuptools' legacy backend.
DEFAULT_REQUIRES = ("setuptools>=40.8.0",)
DEFAULT_BACKEND = "setuptools.build_meta:__legacy__"
MARKER = "releasekit-build-env.json"
# Environments unused for this long are deleted when another one is made.
UNUSED_FOR = 30 * 86400
# The user's settings that would change what the backend imports or installs.
LEAKING = frozenset(
    {
        "PYTHONPATH",
        "PYTHONHOME",
        "PYTHONSTARTUP",
        "PYTHONUSERBASE",
        "PYTHONPLATLIBDIR",
        "PYTHONEXECUTABLE",
        "PYTHONINSPECT",
        "__PYVENV_LAUNCHER__",
        "CONDA_PREFIX",
    }
)
LEAKING_PREFIXES = ("PIP_", "UV_")
# The script each hook process starts with (copied beside nothing else, see _script).
_SHIM = Path(__file__).with_name("backend_hooks.py")
# Its exit code when a hook ran past its deadline.
TIMED_OUT = 124
# What builds leave in a source tree, by backend: setuptools (build/, NAME.egg-info/,
# .eggs/), pdm-backend (.pdm-build/), scikit-build (_skbuild/), meson-python
# (.mesonpy-*/), maturin and setuptools-rust (target/ beside Cargo.toml). hatchling,
# flit_core and poetry-core leave nothing but the output directory.
BYPRODUCT_DIRS = frozenset({"build", ".eggs", ".pdm-build", "_skbuild"})


def is_byproduct(path: Path) -> bool:
    """``path`` (a directory) is something a build leaves behind."""
    name = path.name
    return (
        name in BYPRODUCT_DIRS
        or name.endswith(".egg-info")
        or name.startswith(".mesonpy-")
        or (name == "target" and (path.parent / "Cargo.toml").is_file())
    )


def byproducts_in(root: Path) -> list[Path]:
    """The build by-products in ``root`` and ``root/src`` (where setuptools puts the
    egg-info of a src layout)."""
    found = []
    for directory in (root, root / "src"):
        if directory.is_dir():
            found += [p for p in directory.iterdir() if p.is_dir() and is_byproduct(p)]
    return found


class CacheUnusable(Exception):
    """The cached environment cannot serve this build; build the usual way instead."""


@dataclass(frozen=True)
class BuildSystem:
    """A source tree's ``[build-system]`` table (PEP 517/518 defaults if absent)."""

    requires: tuple[str, ...]
    backend: str
    backend_path: tuple[str, ...]

    @classmethod
    def of(cls, tree: Path) -> BuildSystem:

        pyproject = tree / "pyproject.toml"
        table = read_toml(pyproject).get("build-system") if pyproject.is_file() else None
        if not isinstance(table, dict):
            return cls(DEFAULT_REQUIRES, DEFAULT_BACKEND, ())
        requires = table.get("requires", [])
        backend = table.get("build-backend", DEFAULT_BACKEND)
        paths = table.get("backend-path", [])
        if (
            not isinstance(requires, list)
            or not all(isinstance(r, str) for r in requires)
            or not isinstance(backend, str)
            or not isinstance(paths, list)
            or not all(isinstance(p, str) for p in paths)
        ):
            raise ProjectError(
                f"{pyproject}: [build-system] is malformed (requires must be a list of "
                "strings, build-backend a string, backend-path a list of strings).",
                "Fix the [build-system] table.",
            )
        return cls(tuple(requires), backend, tuple(paths))


@dataclass(frozen=True)
class Pin:
    """One resolved build requirement: exactly this version, one of these files."""

    name: str
    version: str
    hashes: tuple[str, ...]

    def line(self) -> str:
        return f"{self.name}=={self.version}" + "".join(f" --hash={h}" for h in self.hashes)


@dataclass(frozen=True)
class BuildEnvironment:
    path: Path
    key: str
    pins: tuple[Pin, ...]
    created: bool
    # How the pins were found: "resolved now" or "resolved 42 s ago".
    resolution: str
    markers: Mapping[str, str]

    @property
    def python(self) -> Path:
        return _python_in(self.path)

    def describe(self) -> str:
        pins = ", ".join(f"{p.name}=={p.version}" for p in self.pins)
        verb = "made" if self.created else "reused"
        return (
            f"Built in the cached build environment {self.key[:12]} ({verb}; {pins}; build "
            f"requirements {self.resolution}); --fresh builds in a new one."
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "key": self.key,
            "requirements": [f"{p.name}=={p.version}" for p in self.pins],
            "created": self.created,
            "resolution": self.resolution,
        }


@dataclass(frozen=True)
class CachedBuild:
    artifacts: tuple[Path, ...]
    environments: tuple[BuildEnvironment, ...]
    # The backend call that built the sdist, as run (for the build summary).
    command: tuple[str, ...]


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/releasekit`` (``~/.cache/releasekit``; ``%LOCALAPPDATA%`` on Windows)."""
    base = os.environ.get("XDG_CACHE_HOME") or (
        os.environ.get("LOCALAPPDATA") if os.name == "nt" else None
    )
    return Path(base or Path.home() / ".cache") / "releasekit"


def cache_dir(setting: str, project_root: Path) -> Path:
    """The cache directory: ``build.cache-dir`` (relative to the project) or the default."""
    return (project_root / Path(setting).expanduser()) if setting else default_cache_dir()


def project_cache(config: ReleaseConfig, root: Path, runner: Runner) -> BuildEnvCache:
    """The cache of the project in ``root`` as configured, its environments made with uv
    when it is found, else pip."""
    uv = find_uv()
    return BuildEnvCache(
        cache_dir(config.build_cache_dir, root),
        runner,
        installer="uv" if uv else "pip",
        uv=uv.path if uv else None,
        ttl=config.build_cache_ttl,
        project=root,
    )


def build_sdist_and_wheel(
    cache: BuildEnvCache, root: Path, outdir: Path, env: Mapping[str, str]
) -> CachedBuild:
    """The sdist of ``root``, then the wheel from that sdist, into ``outdir``.

    Raises CacheUnusable when the cached environment cannot serve this project (then
    ``outdir`` may hold partial output), CommandError when the backend fails.
    """
    system = BuildSystem.of(root)
    environment = cache.environment(system.requires)
    sdist_name, command = cache.call_backend(environment, system, root, "sdist", outdir, env)
    environments = [environment]
    # As python -m build does: the wheel is built from the extracted sdist, so a file
    # the sdist lacks fails here and not on a user's machine.
    with tempfile.TemporaryDirectory(prefix="build-via-sdist-") as scratch:
        tree = extract_sdist(outdir / sdist_name, Path(scratch))
        wheel_system = BuildSystem.of(tree)
        if wheel_system.requires != system.requires:
            environment = cache.environment(wheel_system.requires)
            environments.append(environment)
        wheel_name, _ = cache.call_backend(environment, wheel_system, tree, "wheel", outdir, env)
    return CachedBuild(
        (outdir / sdist_name, outdir / wheel_name), tuple(environments), tuple(command)
    )


def extract_sdist(sdist: Path, destination: Path) -> Path:
    """Unpack ``sdist`` (one top-level directory with PKG-INFO) safely; that directory."""
    try:
        with tarfile.open(sdist) as archive:
            members = archive.getmembers()
            tops = {m.name.split("/", 1)[0] for m in members if m.name} - {""}
            top = next(iter(tops)) if len(tops) == 1 else ""
            if not top or not any(m.name == f"{top}/PKG-INFO" and m.isfile() for m in members):
                raise CacheUnusable(
                    f"{sdist.name} is not one directory with a PKG-INFO; python -m build "
                    "will say what is wrong with it"
                )
            if hasattr(tarfile, "data_filter"):
                archive.extractall(destination, filter="data")
            else:  # pragma: no cover - Python < 3.10.12 / 3.11.4
                raise CacheUnusable("this Python's tarfile cannot extract an sdist safely")
    except (OSError, tarfile.TarError) as exc:
        raise CacheUnusable(f"{sdist.name} could not be extracted ({exc})") from None
    return destination / top


# --- the cache --------------------------------------------------------------------------


class BuildEnvCache:
    """Build environments under ``root``, made with ``installer`` from ``runner.python``.

    ``ttl`` is how long (seconds) a resolution of build requirements is reused; ``project``
    is the directory whose uv/pip configuration the resolver sees.
    """

    _locks: dict[str, threading.Lock] = {}  # noqa: RUF012 - one per key, shared by threads
    _locks_lock = threading.Lock()

    def __init__(
        self,
        root: Path,
        runner: Runner,
        *,
        installer: Installer,
        uv: str | None,
        ttl: float,
        project: Path,
    ) -> None:
        if installer == "uv" and not uv:
            raise CacheUnusable("uv was chosen but not found")
        self.root = root
        self.runner = runner
        self.installer = installer
        self.uv = uv or ""
        self.ttl = ttl
        self.project = project
        self._interpreter: dict[str, Any] | None = None

    # -- looking up and making environments

    def environment(self, requires: Sequence[str]) -> BuildEnvironment:
        """The environment for ``requires``: reused if intact, else made now."""
        pins, resolution = self._pins(requires)
        key = self._key(pins)
        path = self.root / "build-envs" / key
        with self._lock(key):
            created = not self._intact(path, key)
            if created:
                if path.exists() or path.is_symlink():
                    _discard(path)  # damaged, partial or changed: never used
                self._create(path, key, pins)
            with contextlib.suppress(OSError):
                os.utime(path / MARKER)  # last use, for pruning
        markers = self.interpreter()["markers"]
        return BuildEnvironment(path, key, pins, created, resolution, markers)

    def _key(self, pins: Sequence[Pin]) -> str:
        facts = self.interpreter()
        material = {
            "format": FORMAT,
            "installer": self.installer,
            "interpreter": {k: v for k, v in facts.items() if k != "markers"},
            "pins": [pin.line() for pin in pins],
        }
        return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()[:32]

    def _intact(self, path: Path, key: str) -> bool:
        try:
            marker = json.loads((path / MARKER).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        return (
            isinstance(marker, dict)
            and marker.get("format") == FORMAT
            and marker.get("key") == key
            and _python_in(path).exists()
            and marker.get("fingerprint") == fingerprint(path)
        )

    def _create(self, path: Path, key: str, pins: Sequence[Pin]) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        _prune(path.parent)
        scratch = Path(tempfile.mkdtemp(prefix=f".tmp-{key[:12]}-", dir=path.parent))
        try:
            self.runner.log(
                "Making the cached build environment for "
                + ", ".join(f"{p.name}=={p.version}" for p in pins)
                + "..."
            )
            venv = scratch / "env"
            requirements = scratch / "requirements.txt"
            requirements.write_text("".join(pin.line() + "\n" for pin in pins), encoding="utf-8")
            self._install(venv, requirements)
            _relocate_scripts(venv, venv, path)
            marker = {
                "format": FORMAT,
                "key": key,
                "installer": self.installer,
                "pins": [pin.line() for pin in pins],
                "interpreter": self.interpreter(),
                "created": time.time(),
                "fingerprint": fingerprint(venv),
            }
            # Written last: a directory without it was never finished.
            (venv / MARKER).write_text(json.dumps(marker, indent=1), encoding="utf-8")
            try:
                os.rename(venv, path)
            except OSError:
                if not self._intact(path, key):  # not another process's finished copy
                    raise CacheUnusable(f"could not move the new environment to {path}") from None
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    def _install(self, venv: Path, requirements: Path) -> None:
        python = str(_python_in(venv))
        # The bytecode is compiled now, once: PYTHONDONTWRITEBYTECODE must not stop it.
        env = {"PYTHONDONTWRITEBYTECODE": ""}
        if self.installer == "uv":
            commands = [
                [self.uv, "venv", "--quiet", "--python", self.runner.python, str(venv)],
                [self.uv, "pip", "install", "--quiet", "--python", python, "--no-deps",
                 "--require-hashes", "--compile-bytecode", "--link-mode", "copy",
                 "-r", str(requirements)],
            ]  # fmt: skip
        else:
            commands = [
                [self.runner.python, "-m", "venv", "--without-pip", str(venv)],
                [self.runner.python, "-m", "pip", "--python", python, "install", "--quiet",
                 "--disable-pip-version-check", "--no-input", "--no-deps", "--require-hashes",
                 "-r", str(requirements)],
            ]  # fmt: skip
        for argv in commands:
            try:
                self.runner.run(argv, env=env, cwd=self.project)
            except CommandError as exc:
                raise CacheUnusable(
                    f"making it failed: {exc.message.splitlines()[0]}" + last_line(exc.output)
                ) from None

    @contextlib.contextmanager
    def _lock(self, key: str) -> Iterator[None]:
        with self._locks_lock:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            yield

    # -- resolving

    def _pins(self, requires: Sequence[str]) -> tuple[tuple[Pin, ...], str]:
        """The exact versions ``requires`` resolve to: remembered for ``ttl`` seconds."""
        material = {
            "format": FORMAT,
            "installer": self.installer,
            "requires": list(requires),
            "interpreter": self.interpreter(),
            # Index settings: a change means another resolution (values hashed, not stored).
            "settings": {k: v for k, v in os.environ.items() if k.startswith(LEAKING_PREFIXES)},
            "tool.uv": _tool_uv(self.project),
        }
        digest = hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()
        stored = self.root / "resolutions" / f"{digest[:32]}.json"
        now = time.time()
        with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
            known = json.loads(stored.read_text(encoding="utf-8"))
            age = now - float(known["resolved"])
            if 0 <= age < self.ttl:
                pins = tuple(
                    Pin(p["name"], p["version"], tuple(p["hashes"])) for p in known["pins"]
                )
                return pins, f"resolved {age:.0f} s ago"
        pins = self._resolve(requires)
        stored.parent.mkdir(parents=True, exist_ok=True)
        record = {
            "requires": list(requires),
            "resolved": now,
            "pins": [
                {"name": p.name, "version": p.version, "hashes": list(p.hashes)} for p in pins
            ],
        }
        _write_atomically(stored, json.dumps(record, indent=1))
        return pins, "resolved now"

    def _resolve(self, requires: Sequence[str]) -> tuple[Pin, ...]:
        if not requires:
            return ()
        with tempfile.TemporaryDirectory(prefix="releasekit-resolve-") as scratch:
            wanted = Path(scratch) / "requirements.in"
            wanted.write_text("".join(r + "\n" for r in requires), encoding="utf-8")
            try:
                if self.installer == "uv":
                    output = self.runner.run(
                        [self.uv, "pip", "compile", "--quiet", "--no-header", "--no-annotate",
                         "--generate-hashes", "--python", self.runner.python, str(wanted)],
                        cwd=self.project,
                    )  # fmt: skip
                    pins = parse_compiled(output, self.interpreter()["markers"])
                else:
                    report = Path(scratch) / "report.json"
                    self.runner.run(
                        [self.runner.python, "-m", "pip", "install", "--dry-run",
                         "--ignore-installed", "--quiet", "--disable-pip-version-check",
                         "--no-input", "--report", str(report), "-r", str(wanted)],
                        cwd=self.project,
                    )  # fmt: skip
                    pins = parse_pip_report(json.loads(report.read_text(encoding="utf-8")))
            except CommandError as exc:
                raise CacheUnusable(
                    f"resolving {', '.join(requires)} failed" + last_line(exc.output)
                ) from None
        return tuple(sorted(pins, key=lambda p: p.name))

    # -- the interpreter

    def interpreter(self) -> dict[str, Any]:
        """What identifies ``runner.python`` (version, ABI, platform, real path, markers)."""
        if self._interpreter is None:
            if os.path.realpath(self.runner.python) == os.path.realpath(sys.executable):
                self._interpreter = _this_interpreter()
            else:
                source = Path(interpreter_facts.__file__).read_text(encoding="utf-8")
                script = self._script("interpreter.py", source)
                output = self.runner.run([self.runner.python, "-I", "-S", str(script)])
                self._interpreter = json.loads(output)
        return self._interpreter

    def _requires_file(
        self, environment: BuildEnvironment, system: BuildSystem, tree: Path, kind: str
    ) -> Path:
        """Where the backend's answer to get_requires_for_build_KIND is kept for these
        build files (pyproject.toml, setup.py, setup.cfg) in this environment, with this
        PATH (a backend may ask for cmake only when there is none)."""
        material = [environment.key, system.backend, system.backend_path, kind]
        digest = hashlib.sha256(json.dumps([*material, os.environ.get("PATH", "")]).encode())
        for name in ("pyproject.toml", "setup.py", "setup.cfg"):
            with contextlib.suppress(OSError):
                digest.update(name.encode() + b"\0" + (tree / name).read_bytes())
        path = self.root / "requires" / f"{digest.hexdigest()[:32]}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def _script(self, name: str, source: str) -> Path:
        """``source`` as a file of its own directory (sys.path[0] of a script is its
        directory: nothing else there can shadow what the backend imports)."""
        digest = hashlib.sha256(source.encode()).hexdigest()[:16]
        path = self.root / "scripts" / digest / name
        if not path.is_file():
            path.parent.mkdir(parents=True, exist_ok=True)
            _write_atomically(path, source)
        return path

    # -- calling the backend

    def call_backend(
        self,
        environment: BuildEnvironment,
        system: BuildSystem,
        tree: Path,
        kind: Kind,
        outdir: Path,
        env: Mapping[str, str],
        timeout: float = 0,
    ) -> tuple[str, list[str]]:
        """The backend's ``get_requires_for_build_*`` then its ``build_KIND`` (or
        ``prepare_metadata_for_build_wheel``), each in a new process of the environment's
        python in ``tree``, through pyproject_hooks and the runner; the file name built,
        and the command. Each hook is stopped after ``timeout`` seconds (0: no limit).
        pyproject_hooks' public API runs one hook per process; releasekit's shim
        (backend_hooks.py) starts each, removing the user's settings that would leak in.

        Requirements the backend asks for are fine if the environment satisfies them;
        otherwise CacheUnusable.
        """
        for entry in system.backend_path:
            _backend_path(tree, entry)  # inside the tree, or a clear error
        shim = self._script("backend_hooks.py", _SHIM.read_text(encoding="utf-8"))
        commands: dict[str, list[str]] = {}  # by hook name

        def run_hook(
            cmd: Sequence[str],
            cwd: str | None = None,
            extra_environ: Mapping[str, str] | None = None,
        ) -> None:
            command = [cmd[0], str(shim), f"{timeout:g}", *cmd[1:]]
            commands[cmd[2]] = command
            self.runner.run(
                command,
                env=_backend_environment(environment, {**env, **(extra_environ or {})}),
                cwd=Path(cwd) if cwd else tree,
                capture=True,
            )

        caller = BuildBackendHookCaller(
            str(tree),
            system.backend,
            backend_path=list(system.backend_path) or None,
            runner=run_hook,
            python_executable=str(environment.python),
        )
        hook_kind = "wheel" if kind == "metadata" else kind

        def build() -> str:
            if kind == "metadata":
                return str(caller.prepare_metadata_for_build_wheel(str(outdir), {}))
            return str(getattr(caller, f"build_{kind}")(str(outdir), {}))

        hooks = (CommandError, BackendUnavailable, HookMissing, UnsupportedOperation)
        ask = getattr(caller, f"get_requires_for_build_{hook_kind}")
        failure: BaseException | None = None
        name = ""
        # Each hook is a new process that imports the backend (~1 s for setuptools): the
        # answer to get_requires for the same build files in the same environment is
        # remembered, so a build runs the backend once per artifact.
        remembered = self._requires_file(environment, system, tree, hook_kind)
        known = _read_requires(remembered)
        if known is not None or kind != "metadata":
            # One after the other: both run the backend in the tree (setuptools writes its
            # egg-info there for each), and nothing is built for an environment that lacks
            # what the backend asks for.
            try:
                requires = known if known is not None else _asked_cleanly(ask, tree)
                if known is None:
                    _write_atomically(remembered, json.dumps(requires))
                if not _lacking(requires, system, environment):
                    name = build()
            except hooks as exc:
                failure = exc
                requires = known or []
        else:
            # The first time, asked side by side with the metadata (written elsewhere).
            with ThreadPoolExecutor(max_workers=1) as pool:
                asked = pool.submit(ask, {})
                try:
                    name = build()
                except hooks as exc:
                    failure = exc
                try:
                    requires = list(asked.result())
                except hooks as exc:
                    failure = exc if failure is None or _timed_out(exc) else failure
                    requires = []
                else:
                    _write_atomically(remembered, json.dumps(requires))
        missing = _lacking(requires, system, environment)
        if missing:
            raise CacheUnusable(
                f"the backend asks for build requirements the environment lacks "
                f"({', '.join(missing)})"
            )
        if failure is not None:
            _raise(failure, system, timeout)
        hook = "prepare_metadata_for_build_wheel" if kind == "metadata" else f"build_{kind}"
        return name, commands[hook]


def _asked_cleanly(ask: Callable[[dict[str, Any]], Sequence[str]], tree: Path) -> list[str]:
    """The backend's get_requires answer, with what asking left in ``tree`` removed
    (setuptools' egg-info): the build then finds the tree as a cached answer leaves it,
    and a version plugin reading git's status (setuptools-git-versioning) does not see
    it dirty because the requirements were asked first."""
    before = set(byproducts_in(tree))
    try:
        return list(ask({}))
    finally:
        for left in set(byproducts_in(tree)) - before:
            shutil.rmtree(left, ignore_errors=True)


def _lacking(
    requires: Sequence[str], system: BuildSystem, environment: BuildEnvironment
) -> list[str]:
    """What the backend asks for beyond [build-system] requires that the pins lack."""
    extra = [r for r in requires if r not in system.requires]
    return unsatisfied(extra, environment.pins, environment.markers)


def _raise(failure: BaseException, system: BuildSystem, timeout: float) -> NoReturn:
    if isinstance(failure, CommandError) and _timed_out(failure):
        raise CommandError(
            f"The build backend ({system.backend}) did not answer within {timeout:g} s "
            "and was stopped.",
            "Find out why it hangs (run python -m build by hand).",
            returncode=failure.returncode,
            output=failure.output,
        ) from None
    if isinstance(failure, CommandError):
        raise failure
    raise CacheUnusable(f"the backend cannot be called this way ({failure!r})") from None


def _timed_out(failure: BaseException) -> bool:
    return isinstance(failure, CommandError) and failure.returncode == TIMED_OUT


def _read_requires(path: Path) -> list[str] | None:
    try:
        answer = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(answer, list) or not all(isinstance(r, str) for r in answer):
        return None
    return answer


def _backend_environment(environment: BuildEnvironment, env: Mapping[str, str]) -> dict[str, str]:
    """What a hook process gets: ``env`` with the build environment first on PATH, and
    the user's settings that would change what the backend imports or installs named to
    be removed (the shim removes them; empty is "unset" for the interpreter itself)."""
    unset = sorted(
        name for name in {*os.environ, *env} if name in LEAKING or name.startswith(LEAKING_PREFIXES)
    )
    path = env.get("PATH", os.environ.get("PATH", ""))
    return {
        **env,
        **dict.fromkeys(unset, ""),
        "PATH": os.pathsep.join([str(environment.python.parent), path]),
        "VIRTUAL_ENV": str(environment.path),
        "_RELEASEKIT_UNSET": json.dumps(unset),
    }


def unsatisfied(
    requires: Sequence[str], pins: Sequence[Pin], markers: Mapping[str, str]
) -> list[str]:
    """The requirements in ``requires`` that the pinned versions do not satisfy."""
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name

    pinned = {canonicalize_name(p.name): p.version for p in pins}
    missing = []
    for text in requires:
        try:
            requirement = Requirement(text)
        except InvalidRequirement:
            missing.append(text)
            continue
        if requirement.marker is not None and not requirement.marker.evaluate(dict(markers)):
            continue
        version = pinned.get(canonicalize_name(requirement.name))
        if (
            version is None
            or requirement.url
            or requirement.extras  # what an extra adds is not known here
            or not requirement.specifier.contains(version, prereleases=True)
        ):
            missing.append(text)
    return missing


def parse_compiled(output: str, markers: Mapping[str, str]) -> list[Pin]:
    """Pins from ``uv pip compile --generate-hashes`` output."""
    pins = []
    for raw in output.replace("\\\n", " ").splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        spec, _, hashes = line.partition(" --hash=")
        found = re.fullmatch(r"([A-Za-z0-9._-]+)==([^\s;]+)\s*(?:;\s*(.+))?", spec.strip())
        if not found:
            raise CacheUnusable(f"a build requirement is not a version from an index: {spec}")
        name, version, marker = found.groups()
        if marker:
            from packaging.markers import Marker

            if not Marker(marker).evaluate(dict(markers)):
                continue
        digests = tuple(sorted(re.findall(r"sha256:[0-9a-f]{64}", hashes)))
        if not digests:
            raise CacheUnusable(f"the index gave no sha256 for {name}=={version}")
        pins.append(Pin(name.lower(), version, digests))
    return pins


def parse_pip_report(report: Mapping[str, Any]) -> list[Pin]:
    """Pins from ``pip install --dry-run --report``."""
    pins = []
    for item in report.get("install", []):
        metadata = item["metadata"]
        archive = item.get("download_info", {}).get("archive_info")
        if archive is None:
            raise CacheUnusable(
                f"the build requirement {metadata['name']} is not a file from an index"
            )
        hashes = archive.get("hashes") or {}
        digest = hashes.get("sha256") or archive.get("hash", "").partition("sha256=")[2]
        if not digest:
            raise CacheUnusable(f"the index gave no sha256 for {metadata['name']}")
        pins.append(
            Pin(str(metadata["name"]).lower(), str(metadata["version"]), (f"sha256:{digest}",))
        )
    return pins


def fingerprint(env: Path) -> str:
    """Every file and link of ``env`` (path, size, mtime), bytecode caches and marker aside."""
    digest = hashlib.sha256()
    for directory, subdirs, files in os.walk(env):
        subdirs[:] = sorted(d for d in subdirs if d != "__pycache__")
        relative = os.path.relpath(directory, env)
        for name in sorted(files):
            if relative == "." and name == MARKER:
                continue
            stat = os.lstat(os.path.join(directory, name))
            digest.update(f"{relative}/{name}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


# --- helpers ----------------------------------------------------------------------------


_THIS_INTERPRETER: list[dict[str, Any]] = []
_THIS_INTERPRETER_LOCK = threading.Lock()


def _this_interpreter() -> dict[str, Any]:
    """The facts of the running interpreter, found once (under a lock: sysconfig's
    first initialisation is not thread-safe, and parallel builds ask at once)."""
    with _THIS_INTERPRETER_LOCK:
        if not _THIS_INTERPRETER:
            _THIS_INTERPRETER.append(interpreter_facts.facts())
        return dict(_THIS_INTERPRETER[0])


def _python_in(env: Path) -> Path:
    return env / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _relocate_scripts(venv: Path, built_at: Path, final: Path) -> None:
    """Point the scripts' shebangs (console scripts such as cmake or cython, which a
    backend may run) at the environment's final place."""
    scripts = _python_in(venv).parent
    old, new = str(built_at).encode(), str(final).encode()
    for script in scripts.iterdir():
        if script.is_symlink() or not script.is_file():
            continue
        with script.open("rb") as f:
            head = f.read(2)
        if head != b"#!":
            continue
        data = script.read_bytes()
        if old in data:
            stat = script.stat()
            script.write_bytes(data.replace(old, new))
            os.chmod(script, stat.st_mode)


def _discard(path: Path) -> None:
    """Remove ``path`` by renaming it aside first, so no one finds it half deleted."""
    trash = path.with_name(f".trash-{path.name}-{os.getpid()}-{time.monotonic_ns()}")
    try:
        os.rename(path, trash)
    except OSError:
        trash = path
    if trash.is_symlink() or trash.is_file():
        trash.unlink(missing_ok=True)
    else:
        shutil.rmtree(trash, ignore_errors=True)


def _prune(envs: Path) -> None:
    """Delete environments unused for UNUSED_FOR and leftovers of interrupted work."""
    now = time.time()
    for entry in envs.iterdir():
        try:
            if entry.name.startswith((".tmp-", ".trash-")):
                stale = now - entry.stat().st_mtime > 86400
            else:
                stale = now - (entry / MARKER).stat().st_mtime > UNUSED_FOR
        except OSError:
            continue  # no marker: damaged, replaced when its key is next used
        if stale:
            _discard(entry)


def _write_atomically(path: Path, text: str) -> None:
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _tool_uv(project: Path) -> Any:

    pyproject = project / "pyproject.toml"
    tool = read_toml(pyproject).get("tool", {}) if pyproject.is_file() else {}
    return tool.get("uv") if isinstance(tool, dict) else None


def _backend_path(tree: Path, entry: str) -> str:
    path = (tree / entry).resolve()
    if path != tree.resolve() and tree.resolve() not in path.parents:
        raise ProjectError(
            f"backend-path entry {entry!r} is outside the project ({tree}).",
            "backend-path entries must be relative paths inside the project (PEP 517).",
        )
    return str(path)


def last_line(output: str) -> str:
    lines = [line for line in output.strip().splitlines() if line.strip()]
    return f": {lines[-1].strip()}" if lines else ""


def build_byproducts(git: Git, outdir: Path | None = None) -> list[str]:
    """What building leaves untracked in the tree (every supported backend's, see
    :func:`releasekit.buildenv.is_byproduct`: ``build/``, ``NAME.egg-info/``,
    ``.pdm-build/``...), and the build's own output directory ``outdir`` (``dist/``).
    Not uncommitted changes of the project."""
    untracked = git.untracked_files()
    if not untracked:
        return []
    top = git.work_tree_top().resolve()
    output = ""
    if outdir is not None:
        try:
            output = outdir.resolve().relative_to(top).as_posix()
        except ValueError:
            output = ""  # outside the work tree: git does not see it
    return [
        p
        for p in untracked
        if (p.endswith("/") and is_byproduct(top / p.rstrip("/"))) or (output and p == output + "/")
    ]
