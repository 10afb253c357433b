"""The example project the upload and verify tests release, and how they drive releasekit.

A tiny hatchling project (``rk-demo``) in a git repository on ``main``, built without
isolation (hatchling comes from the test environment: fast and offline). It is built
once per test session; each test gets a copy and names its indexes in a ``--config``
file outside the project, so the built artifacts stay valid for every test.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from fault_proxy import FaultProxy
from index_servers import Index, NewIndex, StartProxy
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


def write_project(
    root: Path, *, version: str = VERSION, releasekit: str = "", answer: int = 42
) -> Path:
    """The example project in ``root``, committed on ``main``; ``releasekit`` is more
    TOML after the ``[tool.releasekit.build]`` table (``[tool.releasekit.repositories.X]``)."""
    write(
        root,
        {
            ".gitignore": "/dist/\n",
            "README.md": "# rk-demo\n\nA project that exists to be released by tests.\n",
            "pyproject.toml": textwrap.dedent(f"""\
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

            [tool.releasekit.build]
            isolation = false
            """)
            + releasekit,
            f"src/{MODULE}/__init__.py": f'"""rk-demo."""\n\nANSWER = {answer}\n',
        },
    )
    return git_init(root)


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
