"""A sample project released end to end by the adapter and pipeline tests.

A tiny hatchling project (``rk-sample``) in a git repository on ``main`` with a bare
``origin`` beside it, built without isolation, released to two real pypiservers ("test"
and "prod") on 127.0.0.1. nox and invoke run as the user would run them: in a subprocess,
in the project's directory.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path

from index_servers import PypiServer, free_port, start_server, stop_server
from layouts import git_init, write

NAME = "rk-sample"
MODULE = "rk_sample"
VERSION = "1.0.0"
NOXFILE = "import releasekit.nox\n\nreleasekit.nox.register()\n"
TASKS = 'from releasekit.invoke import release_tasks as ns\n\n__all__ = ["ns"]\n'
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


def pyproject(releasekit: str = "", *, isolation: bool = False) -> str:
    """The project's pyproject.toml; ``releasekit`` is more of its [tool.releasekit] table."""
    return f"""\
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "{NAME}"
version = "{VERSION}"
description = "A project released by releasekit's adapter tests"
readme = "README.md"
requires-python = ">=3.10"

[tool.hatch.build.targets.wheel]
packages = ["src/{MODULE}"]

[tool.releasekit]
{"" if isolation else "build.isolation = false"}
{releasekit}
"""


def repositories(test: PypiServer, prod: PypiServer, *, table: str = "tool.releasekit.") -> str:
    """TOML naming the two servers as the ``test`` and ``prod`` repositories (pypiservers
    that take uploads from anyone)."""
    return "".join(
        f'\n[{table}repositories.{name}]\nupload-url = "{server.url}/"\n'
        f'index-url = "{server.url}/simple/"\nanonymous-upload = true\n'
        for name, server in (("test", test), ("prod", prod))
    )


def write_sample_project(
    root: Path,
    *,
    pyproject_toml: str | None = None,
    files: dict[str, str] | None = None,
) -> Path:
    """The sample project in ``root``, committed on ``main`` and pushed to a bare origin
    (``root.parent / (root.name + "-origin.git")``)."""
    write(
        root,
        {
            ".gitignore": "dist/\n.nox/\n",
            "README.md": "# rk-sample\n\nReleased by tests.\n",
            "pyproject.toml": pyproject_toml if pyproject_toml is not None else pyproject(),
            f"src/{MODULE}/__init__.py": '"""A sample package."""\n',
            "noxfile.py": NOXFILE,
            "tasks.py": TASKS,
            **(files or {}),
        },
    )
    git_init(root)
    origin = root.parent / f"{root.name}-origin.git"
    subprocess.run(["git", "init", "--quiet", "--bare", str(origin)], check=True)
    git(root, "remote", "add", "origin", str(origin))
    git(root, "push", "--quiet", "origin", "main")
    return root


def git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=root, check=True, capture_output=True, text=True
    ).stdout.strip()


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
