"""The two sample projects the release tests use, and how the tests drive releasekit.

``rk-demo`` (upload, verify, fault and secret tests): a tiny hatchling project in a git
repository on ``main``, built without isolation (hatchling comes from the test
environment: fast and offline). It is built once per test session; each test gets a copy
and names its indexes in a ``--config`` file outside the project, so the built artifacts
stay valid for every test.

``rk-sample`` (adapter and pipeline tests): the same kind of project with a noxfile, a
tasks.py and a bare ``origin`` beside it, released to real pypiservers on 127.0.0.1 by nox
and invoke run as the user would run them: in a subprocess, in the project's directory.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from fault_proxy import FaultProxy
from index_servers import (
    Index,
    NewIndex,
    PypiServer,
    StartProxy,
    free_port,
    start_server,
    stop_server,
)
from layouts import git_init, write
from releasekit.cli import main
from releasekit.config import ReleaseConfig, Repository, load_config
from releasekit.plan import ReleasePlan, resolve_plan
from releasekit.runner import SubprocessRunner
from releasekit.targets import select_repository

NAME = "rk-demo"
MODULE = "rk_demo"
VERSION = "1.0.0"
WHEEL = f"{MODULE}-{VERSION}-py3-none-any.whl"
SDIST = f"{MODULE}-{VERSION}.tar.gz"
# The order releasekit uploads them in: wheels first.
FILES = (WHEEL, SDIST)
TESTS = Path(__file__).parent
NOXFILE = "import releasekit.nox\n\nreleasekit.nox.register()\n"
TASKS = 'from releasekit.invoke import release_tasks as ns\n\n__all__ = ["ns"]\n'


def write_project(
    root: Path,
    *,
    version: str = VERSION,
    releasekit: str = "",
    answer: int = 42,
    pyproject_toml: str | None = None,
    files: dict[str, str] | None = None,
    origin: bool = False,
) -> Path:
    """The example project (rk-demo) in ``root``, committed on ``main``: a package, and a
    noxfile and tasks.py with releasekit's sessions and tasks. ``releasekit`` is more of its
    ``[tool.releasekit]`` table (see :func:`pyproject`); ``pyproject_toml`` replaces the
    whole file, ``files`` add or replace others. With ``origin``, it is pushed to a bare
    repository beside it (``root.parent / (root.name + "-origin.git")``)."""
    write(
        root,
        {
            ".gitignore": "/dist/\n.nox/\n",
            "README.md": "# rk-demo\n\nA project that exists to be released by tests.\n",
            "pyproject.toml": pyproject(releasekit, version=version)
            if pyproject_toml is None
            else pyproject_toml,
            f"src/{MODULE}/__init__.py": f'"""rk-demo."""\n\nANSWER = {answer}\n',
            "noxfile.py": NOXFILE,
            "tasks.py": TASKS,
            **(files or {}),
        },
    )
    git_init(root)
    if origin:
        bare = root.parent / f"{root.name}-origin.git"
        subprocess.run(["git", "init", "--quiet", "--bare", str(bare)], check=True)
        git(root, "remote", "add", "origin", str(bare))
        git(root, "push", "--quiet", "origin", "main")
    return root


def pyproject(releasekit: str = "", *, isolation: bool = False, version: str = VERSION) -> str:
    """The example project's pyproject.toml; ``releasekit`` is more of its [tool.releasekit]
    table (keys, or tables of their own)."""
    return f"""\
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "{NAME}"
version = "{version}"
description = "A project released by releasekit's tests"
readme = "README.md"
requires-python = ">=3.10"
license = "MIT"

[tool.hatch.build.targets.wheel]
packages = ["src/{MODULE}"]

[tool.releasekit]
{"" if isolation else "build.isolation = false"}
{releasekit}
"""


def git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=root, check=True, capture_output=True, text=True
    ).stdout.strip()


def commit_all(root: Path, message: str) -> None:
    git(root, "add", "--all")
    git(root, "commit", "--quiet", "-m", message)


_templates: dict[tuple[str, int], Path] = {}


def built_template(
    factory: pytest.TempPathFactory, version: str = VERSION, answer: int = 42
) -> Path:
    """The example project at ``version``, built by ``releasekit build``, once per session."""
    if (version, answer) not in _templates:
        root = write_project(factory.mktemp("template") / NAME, version=version, answer=answer)
        assert main(["build", "--project", str(root), "--json"]) == 0
        _templates[version, answer] = root
    return _templates[version, answer]


def copy_project(template: Path, destination: Path) -> Path:
    shutil.copytree(template, destination, symlinks=True)
    return destination


def rebuild_with_other_contents(factory: pytest.TempPathFactory, root: Path) -> None:
    """Same name, same version, other bytes in dist/: files that must never replace the
    ones built first (built once per session, like the example project)."""
    other = built_template(factory, answer=43) / "dist"
    shutil.rmtree(root / "dist")
    shutil.copytree(other, root / "dist")


def write_config(path: Path, repositories: Mapping[str, Mapping[str, Any]]) -> Path:
    """A ``--config`` file naming ``repositories`` (name -> table of upload-url, ...)."""
    lines = []
    for name, table in repositories.items():
        lines.append(f"[repositories.{name}]")
        lines += [f"{key} = {json.dumps(value)}" for key, value in table.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@dataclass(frozen=True)
class Outcome:
    """What a user sees of one ``releasekit`` command."""

    code: int
    out: str
    err: str

    @property
    def json(self) -> dict[str, Any]:
        document: dict[str, Any] = json.loads(self.out)
        return document

    @property
    def text(self) -> str:
        return self.out + self.err


@dataclass(frozen=True)
class Release:
    """The example project and the ``--config`` file that names its indexes."""

    root: Path
    config_file: Path

    def argv(self, command: str, *extra: str) -> list[str]:
        return [command, "--project", str(self.root), "--config", str(self.config_file), *extra]

    def run(self, capsys: pytest.CaptureFixture[str], command: str, *extra: str) -> Outcome:
        """``releasekit COMMAND ...`` in this process, as a user sees it."""
        capsys.readouterr()
        code = main(self.argv(command, *extra))
        captured = capsys.readouterr()
        return Outcome(code, captured.out, captured.err)

    def run_process(
        self,
        command: str,
        *extra: str,
        env: Mapping[str, str] | None = None,
        stdin: int | None = subprocess.DEVNULL,
    ) -> Outcome:
        """``python -m releasekit COMMAND ...``, a real process."""
        completed = subprocess.run(
            [sys.executable, "-m", "releasekit", *self.argv(command, *extra)],
            env={**os.environ, **(env or {})},
            stdin=stdin,
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        return Outcome(completed.returncode, completed.stdout, completed.stderr)

    def config(self) -> ReleaseConfig:
        return load_config(self.root, config_file=self.config_file)

    def repository(self, name: str) -> Repository:
        return select_repository(self.config(), name)

    def plan(self, *targets: str, runner: SubprocessRunner | None = None) -> ReleasePlan:
        """The release plan the CLI resolves for this project and ``targets``."""
        config = self.config()
        return resolve_plan(
            self.root,
            config,
            runner or SubprocessRunner(echo=False),
            targets=[select_repository(config, name) for name in targets],
        )

    def local_files(self) -> dict[str, str]:
        from index_servers import sha256_of

        return {p.name: sha256_of(p) for p in sorted((self.root / "dist").iterdir())}


def new_release(
    factory: pytest.TempPathFactory,
    tmp_path: Path,
    repositories: Mapping[str, Mapping[str, Any]],
    *,
    version: str = VERSION,
) -> Release:
    """A fresh copy of the built example project whose ``--config`` names ``repositories``."""
    root = copy_project(built_template(factory, version), tmp_path / NAME)
    return Release(root, write_config(tmp_path / "releasekit.toml", repositories))


class RecordingRunner(SubprocessRunner):
    """Runs every command for real, and keeps each argv, its extra environment and every
    log line (nothing is echoed)."""

    def __init__(self) -> None:
        super().__init__(echo=False)
        self.argvs: list[list[str]] = []
        self.envs: list[dict[str, str]] = []
        self.logs: list[str] = []

    def run(
        self,
        argv: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
        capture: bool = True,
    ) -> str:
        self.argvs.append(list(argv))
        self.envs.append(dict(env or {}))
        return super().run(argv, env=env, cwd=cwd, capture=capture)

    def log(self, message: str) -> None:
        self.logs.append(message)


def release_on(
    tmp_path_factory: pytest.TempPathFactory,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    test: Index,
    prod: Index | None = None,
    *,
    proxy: FaultProxy | None = None,
    version: str = VERSION,
) -> Release:
    """The built example project with repositories ``test`` (through ``proxy`` if given)
    and ``prod``; devpi passwords in RK_TEST_TOKEN / RK_PROD_TOKEN."""
    repositories: dict[str, Mapping[str, Any]] = {
        "test": test.repository("RK_TEST_TOKEN", through=proxy)
    }
    monkeypatch.setenv("RK_TEST_TOKEN", test.password)
    if prod is not None:
        # A local index stands in for PyPI: it takes PyPI's production policy by config.
        # pypiserver takes uploads from anyone (-a . -P .), and says so.
        anonymous = {"anonymous-upload": True} if prod.kind == "pypiserver" else {}
        repositories["prod"] = {**prod.repository("RK_PROD_TOKEN"), "production": True, **anonymous}
        monkeypatch.setenv("RK_PROD_TOKEN", prod.password)
    return new_release(tmp_path_factory, tmp_path, repositories, version=version)


Releasekit = Callable[..., tuple[int, str, str]]


@pytest.fixture
def releasekit(capsys: pytest.CaptureFixture[str]) -> Releasekit:
    """``releasekit ARGS...`` through cli.main: (exit code, stdout, stderr)."""

    def run(*argv: str | Path) -> tuple[int, str, str]:
        code = main([str(a) for a in argv])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


ToTest = Callable[..., tuple[Release, Index]]
ToTestAndProd = Callable[..., tuple[Release, Index, Index]]


@pytest.fixture
def to_test(
    tmp_path_factory: pytest.TempPathFactory,
    tmp_path: Path,
    new_index: NewIndex,
    monkeypatch: pytest.MonkeyPatch,
) -> ToTest:
    """A factory: the example project built (at ``version``), its "test" repository a new
    pypiserver."""

    def make(version: str = VERSION) -> tuple[Release, Index]:
        test = new_index("pypiserver", "test")
        return release_on(tmp_path_factory, tmp_path, monkeypatch, test, version=version), test

    return make


@pytest.fixture
def to_test_and_prod(
    tmp_path_factory: pytest.TempPathFactory,
    tmp_path: Path,
    new_index: NewIndex,
    monkeypatch: pytest.MonkeyPatch,
) -> ToTestAndProd:
    """A factory: the example project built (at ``version``), its "test" and "prod"
    repositories each a new pypiserver."""

    def make(version: str = VERSION) -> tuple[Release, Index, Index]:
        test, prod = new_index("pypiserver", "test"), new_index("pypiserver", "prod")
        release = release_on(tmp_path_factory, tmp_path, monkeypatch, test, prod, version=version)
        return release, test, prod

    return make


ToTestThroughProxy = Callable[..., tuple[Release, Index, FaultProxy]]


@pytest.fixture
def to_test_through_proxy(
    tmp_path_factory: pytest.TempPathFactory,
    tmp_path: Path,
    new_index: NewIndex,
    fault_proxy: StartProxy,
    monkeypatch: pytest.MonkeyPatch,
) -> ToTestThroughProxy:
    """A factory: the example project built, its "test" repository a new index of
    ``kind`` (pypiserver or devpi) reached through a new fault proxy."""

    def make(kind: str = "pypiserver") -> tuple[Release, Index, FaultProxy]:
        test = new_index(kind, "test")
        proxy = fault_proxy(test.url)
        return release_on(tmp_path_factory, tmp_path, monkeypatch, test, proxy=proxy), test, proxy

    return make


RELEASE_STEPS = (
    "bump-version",
    "build",
    "check (test)",
    "upload (test)",
    "verify (test)",
    "check (prod)",
    "upload (prod)",
    "verify (prod)",
    "tag",
    "push",
)
# nox's virtualenvs install build, uv and hatchling from the package registry:
# keep uv's cache where it was before the tests moved HOME, so that happens once.
UV_CACHE = os.environ.get("UV_CACHE_DIR") or str(
    Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "uv"
)
TOOL_TIMEOUT = 600  # seconds; a cold uv cache downloads the tools once


def repositories(test: PypiServer, prod: PypiServer, *, table: str = "tool.releasekit.") -> str:
    """TOML naming the two servers as the ``test`` and ``prod`` repositories (pypiservers
    that take uploads from anyone)."""
    return "".join(
        f'\n[{table}repositories.{name}]\nupload-url = "{server.url}/"\n'
        f'index-url = "{server.url}/simple/"\nanonymous-upload = true\n'
        for name, server in (("test", test), ("prod", prod))
    )


def sha256_files(directory: Path) -> dict[str, str]:
    """Filename -> sha256 of the files in ``directory`` (an index's packages, dist/)."""
    if not directory.is_dir():
        return {}
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(directory.iterdir())
        if p.is_file()
    }


def version_in(root: Path) -> str:
    match = re.search(r'^version = "(.+)"$', (root / "pyproject.toml").read_text(), re.M)
    assert match, "no version in pyproject.toml"
    return match.group(1)


class PypiServers:
    """pypiservers started on demand (a port may be chosen ahead) and stopped by PID."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, port: int | None = None) -> PypiServer:
        packages = self.directory / f"pypiserver-{name}"
        packages.mkdir(parents=True, exist_ok=True)
        port = port or free_port()
        url = f"http://127.0.0.1:{port}"
        argv = [
            sys.executable, "-m", "pypiserver", "run", "-i", "127.0.0.1", "-p", str(port),
            "-a", ".", "-P", ".", "--disable-fallback", str(packages),
        ]  # fmt: skip
        log = self.directory / f"pypiserver-{name}.log"
        self.processes[name] = start_server(argv, f"{url}/health", log)
        return PypiServer(url, f"{url}/simple/", f"{url}/", packages)

    def close(self) -> None:
        for process in self.processes.values():
            stop_server(process)


class Completed(subprocess.CompletedProcess[str]):
    @property
    def output(self) -> str:
        return f"{self.stdout}\n{self.stderr}"

    def __str__(self) -> str:
        return f"$ {' '.join(self.args)}\nexit code {self.returncode}\n{self.output}"


def run_tool(argv: list[str], cwd: Path, env: dict[str, str] | None = None) -> Completed:
    result = subprocess.run(
        argv,
        cwd=cwd,
        env={**os.environ, "UV_CACHE_DIR": UV_CACHE, **(env or {})},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=TOOL_TIMEOUT,
        check=False,
    )
    return Completed(argv, result.returncode, result.stdout, result.stderr)


def nox(root: Path, *args: str, noxfile: str = "noxfile.py", **env: str) -> Completed:
    """``python -m nox`` on the project's noxfile, with uv virtualenvs."""
    argv = [sys.executable, "-m", "nox", "-f", str(root / noxfile), "-db", "uv", *args]
    return run_tool(argv, root, env)


def invoke(root: Path, *args: str, **env: str) -> Completed:
    """``python -m invoke`` in the project's directory (its tasks.py and invoke.yaml)."""
    return run_tool([sys.executable, "-m", "invoke", *args], root, env)


_OUTCOME = re.compile(
    r"^(?:nox > )?releasekit: (?P<pipeline>publish|release): (?P<step>[a-z-]+(?: \(\w+\))?): "
    r"(?P<outcome>.+) \((?P<seconds>\d+\.\d) s\)$",
    re.M,
)


def step_outcomes(output: str, pipeline: str) -> dict[str, str]:
    """Step -> its one-line outcome, from the progress lines of ``pipeline``, in order (the
    pre-flight, which runs before the steps, left out)."""
    return {
        m["step"]: m["outcome"]
        for m in _OUTCOME.finditer(output)
        if m["pipeline"] == pipeline and m["step"] != "pre-flight"
    }


def announced(output: str, pipeline: str) -> list[str]:
    """The steps ``pipeline`` announced as starting, in order."""
    found = re.findall(rf"^(?:nox > )?releasekit: {pipeline}: (.+) \.\.\.$", output, re.M)
    assert found[:1] == ["pre-flight"], output  # before anything changes
    return found[1:]
