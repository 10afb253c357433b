"""Real package indexes on 127.0.0.1 for tests: pypiserver, devpi-server, a fault proxy.

A pytest plugin (``pytest_plugins = ["index_servers"]`` in conftest.py). Servers run as
child processes on a free port; fixtures wait until they answer and stop them by PID.
Nothing here contacts anything but 127.0.0.1.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import importlib.util
import io
import itertools
import json
import os
import secrets
import socket
import subprocess
import sys
import tarfile
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import pytest

from fault_proxy import FaultProxy

START_TIMEOUT = 60.0  # seconds; devpi-server needs several on a busy machine
# Talks to 127.0.0.1 directly, whatever HTTP(S)_PROXY says (session fixtures start
# before the function-scoped NO_PROXY fixture below).
_direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class UploadTarget(Protocol):
    @property
    def upload_url(self) -> str: ...
    @property
    def username(self) -> str: ...
    @property
    def password(self) -> str: ...


@dataclass(frozen=True)
class PypiServer:
    """A running pypiserver; anyone may upload (``-a . -P .``), any credentials work."""

    url: str
    simple_url: str
    upload_url: str
    packages_dir: Path
    username: str = "anyone"
    password: str = "anything"


@dataclass(frozen=True)
class DevpiServer:
    """A running devpi-server (shared by the whole session)."""

    url: str
    serverdir: Path


@dataclass(frozen=True)
class DevpiIndex:
    """A fresh non-volatile index on the shared devpi-server, owned by its own user."""

    url: str
    simple_url: str
    upload_url: str
    username: str
    password: str


# --- processes -----------------------------------------------------------------------


def free_port() -> int:
    """A TCP port nothing listens on right now (another process may take it later)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _answers(url: str) -> bool:
    try:
        with _direct.open(url, timeout=2):
            return True
    except urllib.error.HTTPError:
        return True  # it answered, even if not with 200
    except OSError:
        return False


def start_server(argv: Sequence[str], probe_url: str, log: Path) -> subprocess.Popen[bytes]:
    """Start ``argv`` and wait until ``probe_url`` answers; fail the test with its log if not."""
    with log.open("ab") as output:
        process = subprocess.Popen(argv, stdout=output, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + START_TIMEOUT
    while not _answers(probe_url):
        if process.poll() is not None or time.monotonic() > deadline:
            stop_server(process)
            tail = log.read_text(errors="replace")[-3000:]
            pytest.fail(f"{argv[:3]} did not start (exit code {process.returncode}):\n{tail}")
        time.sleep(0.05)
    return process


def stop_server(process: subprocess.Popen[bytes]) -> None:
    """Terminate by PID, give it a moment, then kill."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# --- pypiserver ----------------------------------------------------------------------


def run_pypiserver(
    packages: Path, log: Path, *, users: Mapping[str, str] | None = None
) -> tuple[PypiServer, subprocess.Popen[bytes]]:
    """Start a pypiserver serving (and storing uploads in) ``packages``; with ``users``
    (name -> password) it takes uploads only from them (``-a update -P htpasswd``)."""
    packages.mkdir(parents=True, exist_ok=True)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    access = ["-a", ".", "-P", "."]
    if users:
        # Apache's {SHA} scheme, which pypiserver reads through passlib.
        htpasswd = log.with_suffix(".htpasswd")
        htpasswd.write_text(
            "".join(
                f"{user}:{{SHA}}{base64.b64encode(hashlib.sha1(password.encode()).digest()).decode()}\n"
                for user, password in users.items()
            )
        )
        access = ["-a", "update", "-P", str(htpasswd)]
    argv = [
        sys.executable, "-m", "pypiserver", "run", "-i", "127.0.0.1", "-p", str(port),
        *access, "--disable-fallback", str(packages),
    ]  # fmt: skip
    process = start_server(argv, f"{url}/health", log)
    return PypiServer(url, f"{url}/simple/", f"{url}/", packages), process


@pytest.fixture
def start_pypiserver(tmp_path: Path) -> Iterator[Callable[..., PypiServer]]:
    """A factory: ``start_pypiserver("prod")`` starts another pypiserver with its own empty
    packages directory (``tmp_path / "pypiserver-prod"``), ``users={"alice": "pw"}`` one
    that takes uploads only from them; all stop after the test."""
    processes: list[subprocess.Popen[bytes]] = []

    def start(name: str, users: Mapping[str, str] | None = None) -> PypiServer:
        server, process = run_pypiserver(
            tmp_path / f"pypiserver-{name}", tmp_path / f"pypiserver-{name}.log", users=users
        )
        processes.append(process)
        return server

    try:
        yield start
    finally:
        for process in processes:
            stop_server(process)


@pytest.fixture
def pypiserver(start_pypiserver: Callable[[str], PypiServer]) -> PypiServer:
    """A pypiserver with an empty packages directory, for this test only."""
    return start_pypiserver("packages")


@pytest.fixture
def protected_pypiserver(start_pypiserver: Callable[..., PypiServer]) -> PypiServer:
    """A pypiserver that takes uploads only from its one user (``username``/``password``
    of the returned server), like an organisation's index."""
    password = secrets.token_urlsafe(12)
    server = start_pypiserver("protected", users={"uploader": password})
    return dataclasses.replace(server, username="uploader", password=password)


# --- devpi-server --------------------------------------------------------------------


@pytest.fixture(scope="session")
def devpi_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevpiServer]:
    """One devpi-server for the session (it takes seconds to start), offline, no mirror."""
    if importlib.util.find_spec("devpi_server") is None:
        pytest.skip("devpi-server is not installed (pip install -e '.[test]')")
    serverdir = tmp_path_factory.mktemp("devpi") / "server"
    log = serverdir.parent / "devpi.log"
    init = "import sys; from devpi_server.init import init; sys.exit(init())"
    with log.open("ab") as output:
        subprocess.run(
            [sys.executable, "-c", init, "--serverdir", str(serverdir), "--no-root-pypi"],
            stdout=output,
            stderr=subprocess.STDOUT,
            check=True,
        )
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    argv = [
        sys.executable, "-m", "devpi_server", "--serverdir", str(serverdir),
        "--host", "127.0.0.1", "--port", str(port), "--offline-mode",
        # Hidden test options: a cheap key derivation saves seconds at every start.
        "--argon2-time-cost", "1", "--argon2-memory-cost", "8", "--argon2-parallelism", "1",
    ]  # fmt: skip
    process = start_server(argv, f"{url}/+api", log)
    try:
        yield DevpiServer(url, serverdir)
    finally:
        stop_server(process)


_devpi_users = itertools.count(1)


def _devpi_put(url: str, payload: dict[str, object], auth: tuple[str, str] | None) -> None:
    request = urllib.request.Request(url, data=json.dumps(payload).encode(), method="PUT")
    request.add_header("Content-Type", "application/json")
    request.add_header("Accept", "application/json")
    if auth is not None:
        # devpi takes HTTP Basic with the user's password as well as its own X-Devpi-Auth.
        token = base64.b64encode(":".join(auth).encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
    with _direct.open(request, timeout=30):
        pass


def new_devpi_index(server: DevpiServer, username: str = "", password: str = "") -> DevpiIndex:
    """A new user (``username``, or a fresh name; ``password``, or a random one) with a
    new empty, non-volatile index (re-uploads of a different file conflict, as on PyPI)."""
    username = username or f"user{next(_devpi_users)}"
    password = password or secrets.token_hex(8)
    base = server.url
    _devpi_put(f"{base}/{username}", {"password": password, "email": "t@example.org"}, None)
    index_config = {"type": "stage", "bases": [], "volatile": False}
    _devpi_put(f"{base}/{username}/dev", index_config, (username, password))
    index_url = f"{base}/{username}/dev"
    return DevpiIndex(base, f"{index_url}/+simple/", f"{index_url}/", username, password)


@pytest.fixture
def devpi(devpi_server: DevpiServer) -> DevpiIndex:
    """A new user with a new empty, non-volatile index on the session's devpi-server."""
    return new_devpi_index(devpi_server)


# --- either index, for tests that run on both --------------------------------------


INDEX_KINDS = ("pypiserver", "devpi")


@dataclass(frozen=True)
class Index:
    """A running pypiserver or devpi index, as a releasekit repository sees it."""

    kind: str  # one of INDEX_KINDS
    url: str  # the server's origin (what a FaultProxy stands in front of)
    upload_url: str
    simple_url: str
    # Who uploads: on devpi the index's owner, whose password is the token; pypiserver
    # takes anything.
    username: str = "anyone"
    password: str = "anything"
    packages_dir: Path | None = None  # pypiserver: where it stores uploads

    def repository(
        self, token_env: str = "", *, through: FaultProxy | None = None
    ) -> dict[str, str]:
        """The ``[tool.releasekit.repositories.NAME]`` table for this index, optionally
        through a proxy. devpi wants its user's name and password (from ``token_env``)."""
        upload, simple = self.upload_url, self.simple_url
        if through is not None:
            upload, simple = through.proxied(upload), through.proxied(simple)
        table = {"upload-url": upload, "index-url": simple}
        if self.kind == "devpi":
            table.update({"username": self.username, "token-env": token_env})
        return table

    def files(self, project: str) -> dict[str, str]:
        """What the index holds of ``project``: filename -> sha256 (the files themselves
        on pypiserver, the index's own listing, read directly, on devpi)."""
        if self.packages_dir is not None:
            return {p.name: sha256_of(p) for p in sorted(self.packages_dir.iterdir())}
        from releasekit.index import IndexClient

        client = IndexClient(self.simple_url, auth=(self.username, self.password))
        return {f.filename: f.sha256 or "" for f in client.project_files(project)}


# What the ``new_index`` and ``fault_proxy`` fixtures give a test.
NewIndex = Callable[[str, str], Index]
StartProxy = Callable[[str], FaultProxy]


@pytest.fixture
def new_index(
    request: pytest.FixtureRequest, start_pypiserver: Callable[[str], PypiServer]
) -> NewIndex:
    """A factory: ``new_index("devpi", "prod")`` is a new empty index of that kind (a
    pypiserver of its own, or a new user's index on the session's devpi-server)."""

    def new(kind: str, name: str) -> Index:
        if kind == "pypiserver":
            server = start_pypiserver(name)
            return Index(
                kind,
                server.url,
                server.upload_url,
                server.simple_url,
                packages_dir=server.packages_dir,
            )
        if kind == "devpi":
            devpi = new_devpi_index(request.getfixturevalue("devpi_server"))
            return Index(
                kind,
                devpi.url,
                devpi.upload_url,
                devpi.simple_url,
                username=devpi.username,
                password=devpi.password,
            )
        raise ValueError(f"no index kind {kind!r}; one of {INDEX_KINDS}")

    return new


# --- uploads and artifacts -----------------------------------------------------------


def upload(index: UploadTarget, *files: Path) -> None:
    """``twine upload`` ``files`` to ``index``; credentials go through the environment."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TWINE_")}
    env.update(
        TWINE_USERNAME=index.username,
        TWINE_PASSWORD=index.password,
        # No keyring look-ups: they are slow and may prompt.
        PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
    )
    argv = [
        sys.executable, "-m", "twine", "upload", "--non-interactive",
        "--disable-progress-bar", "--repository-url", index.upload_url, *map(str, files),
    ]  # fmt: skip
    result = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        pytest.fail(f"twine upload failed ({result.returncode}):\n{result.stdout}{result.stderr}")


@pytest.fixture
def upload_to_index() -> Callable[..., None]:
    """The :func:`upload` helper, for tests that prefer fixtures to imports."""
    return upload


def _metadata(name: str, version: str) -> str:
    return f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nSummary: test\n\n"


def make_wheel(directory: Path, name: str, version: str, *, filename: str = "") -> Path:
    """A small valid pure-Python wheel; ``filename`` overrides the normalised file name."""
    stem = f"{name.replace('-', '_')}-{version}"
    path = directory / (filename or f"{stem}-py3-none-any.whl")
    dist_info = f"{stem}.dist-info"
    files = {
        f"{name.replace('-', '_').lower()}.py": f"__version__ = {version!r}\n",
        f"{dist_info}/METADATA": _metadata(name, version),
        f"{dist_info}/WHEEL": "Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: true\n"
        "Tag: py3-none-any\n",
    }
    record = "".join(
        f"{arcname},sha256={_record_hash(text.encode())},{len(text.encode())}\n"
        for arcname, text in files.items()
    )
    files[f"{dist_info}/RECORD"] = record + f"{dist_info}/RECORD,,\n"
    with zipfile.ZipFile(path, "w") as wheel:
        for arcname, text in files.items():
            wheel.writestr(arcname, text)
    return path


def _record_hash(data: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def make_sdist(directory: Path, name: str, version: str, *, filename: str = "") -> Path:
    """A small sdist (.tar.gz with PKG-INFO); ``filename`` overrides the file name."""
    stem = f"{name.replace('-', '_').lower()}-{version}"
    path = directory / (filename or f"{stem}.tar.gz")
    pyproject = f'[project]\nname = "{name}"\nversion = "{version}"\n'
    with tarfile.open(path, "w:gz") as sdist:
        for arcname, text in {
            "PKG-INFO": _metadata(name, version),
            "pyproject.toml": pyproject,
        }.items():
            data = text.encode()
            info = tarfile.TarInfo(f"{stem}/{arcname}")
            info.size = len(data)
            sdist.addfile(info, io.BytesIO(data))
    return path


def sha256_of(path: Path) -> str:
    """The hex sha256 of a file, as indexes list it."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- the fault proxy -----------------------------------------------------------------


@pytest.fixture
def fault_proxy() -> Iterator[Callable[[str], FaultProxy]]:
    """A factory: ``fault_proxy(upstream_url)`` starts a proxy; all stop after the test."""
    started: list[FaultProxy] = []

    def start(upstream_url: str) -> FaultProxy:
        proxy = FaultProxy(upstream_url)
        proxy.start()
        started.append(proxy)
        return proxy

    try:
        yield start
    finally:
        for proxy in started:
            proxy.stop()


@pytest.fixture(autouse=True)
def local_connections_skip_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's HTTP(S)_PROXY must not see (or break) requests to 127.0.0.1."""
    for variable in ("NO_PROXY", "no_proxy"):
        monkeypatch.setenv(variable, "127.0.0.1,localhost")
