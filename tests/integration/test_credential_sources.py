"""Credentials end to end: every source, in the documented order, against an index that
checks them (devpi), and a planted token that must appear nowhere a user or a log sees.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import pty
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import keyring
import pytest
from keyring.backend import KeyringBackend

from fault_proxy import FaultProxy
from index_servers import DevpiServer, Index, NewIndex, StartProxy, new_devpi_index
from release_project import (
    NAME,
    SDIST,
    WHEEL,
    RecordingRunner,
    Release,
    new_release,
    release_on,
)
from releasekit.config import Repository
from releasekit.credentials import resolve_credentials
from releasekit.errors import CredentialsError, ExitCode, ReleaseError, VerifyError
from releasekit.steps.check import check_release
from releasekit.steps.upload import upload_release
from releasekit.steps.verify import verify_release

Capsys = pytest.CaptureFixture[str]
WRONG = "not-the-password"


class MemoryKeyring(KeyringBackend):
    """A keyring that holds what the test puts in it, in memory."""

    priority = 1

    def __init__(self) -> None:
        self.passwords: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.passwords.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.passwords[service, username] = password

    def delete_password(self, service: str, username: str) -> None:
        self.passwords.pop((service, username), None)


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    backend, previous = MemoryKeyring(), keyring.get_keyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)


def basic_credentials(proxy: FaultProxy) -> set[str]:
    """The user:password pairs the requests through ``proxy`` carried."""
    headers = (r.headers.get("Authorization", "") for r in proxy.requests)
    return {base64.b64decode(h.removeprefix("Basic ")).decode() for h in headers if h}


def write_pypirc(path: Path, section: str, url: str, username: str, password: str) -> Path:
    path.write_text(
        f"[distutils]\nindex-servers = {section}\n\n[{section}]\nrepository = {url}\n"
        f"username = {username}\npassword = {password}\n"
    )
    path.chmod(0o600)
    return path


# --- every source, in order -----------------------------------------------------------

SOURCES = ("token-env", "twine-env", "keyring", "pypirc")


@pytest.mark.parametrize("source", SOURCES)
def test_each_credential_source_uploads_and_outranks_the_ones_after_it(
    source: str,
    tmp_path_factory: pytest.TempPathFactory,
    tmp_path: Path,
    new_index: NewIndex,
    memory_keyring: MemoryKeyring,
    monkeypatch: pytest.MonkeyPatch,
    capsys: Capsys,
) -> None:
    """The right password only in ``source``, wrong ones in every source after it: devpi
    takes the upload only if releasekit used ``source``."""
    test = new_index("devpi", "test")
    release = release_on(tmp_path_factory, tmp_path, monkeypatch, test)
    monkeypatch.delenv("RK_TEST_TOKEN")
    pypirc = tmp_path / "home" / ".pypirc"
    after = SOURCES[SOURCES.index(source) :]

    def password(where: str) -> str:
        return test.password if where == source else WRONG

    if "token-env" in after:
        monkeypatch.setenv("RK_TEST_TOKEN", password("token-env"))
    if "twine-env" in after:
        monkeypatch.setenv("TWINE_USERNAME", test.username)
        monkeypatch.setenv("TWINE_PASSWORD", password("twine-env"))
    if "keyring" in after:
        memory_keyring.set_password(test.upload_url, test.username, password("keyring"))
    write_pypirc(pypirc, "rk-devpi", test.upload_url, test.username, password("pypirc"))

    outcome = release.run(capsys, "upload-test", "--json")

    assert outcome.code == ExitCode.OK, outcome.text
    assert (
        outcome.json["credentials"]
        == {
            "token-env": "RK_TEST_TOKEN",
            "twine-env": "TWINE_USERNAME/TWINE_PASSWORD",
            "keyring": f"keyring ({test.upload_url})",
            "pypirc": f"{pypirc} [rk-devpi]",
        }[source]
    )
    assert test.files(NAME) == release.local_files()


def test_the_first_source_found_is_used_even_when_a_later_one_is_right(
    tmp_path_factory: pytest.TempPathFactory,
    tmp_path: Path,
    new_index: NewIndex,
    monkeypatch: pytest.MonkeyPatch,
    capsys: Capsys,
) -> None:
    test = new_index("devpi", "test")
    release = release_on(tmp_path_factory, tmp_path, monkeypatch, test)
    monkeypatch.setenv("RK_TEST_TOKEN", WRONG)
    monkeypatch.setenv("TWINE_USERNAME", test.username)
    monkeypatch.setenv("TWINE_PASSWORD", test.password)

    outcome = release.run(capsys, "upload-test")

    assert outcome.code == ExitCode.CREDENTIALS
    assert "answered 401 " in outcome.err
    # devpi logs in with a user and a password: a wrong password, not a token's scope.
    assert (
        f"the password for {test.username!r} (from RK_TEST_TOKEN) was not accepted: a wrong "
        "password, or no such user on this index"
    ) in outcome.err
    assert test.files(NAME) == {}


def test_a_pypirc_section_is_a_repository_by_name_and_a_loose_one_gets_a_chmod_warning(
    tmp_path_factory: pytest.TempPathFactory,
    tmp_path: Path,
    new_index: NewIndex,
    capsys: Capsys,
) -> None:
    test = new_index("devpi", "test")
    release = new_release(tmp_path_factory, tmp_path, {})  # no repositories configured
    pypirc = write_pypirc(
        tmp_path / "home" / ".pypirc", "team-devpi", test.upload_url, test.username, test.password
    )
    pypirc.chmod(0o644)
    by_name = ["--repository", "team-devpi", "--index-url", test.simple_url]

    uploaded = release.run(capsys, "upload", *by_name)

    assert uploaded.code == ExitCode.OK, uploaded.text
    assert f"to team-devpi ({test.upload_url}), credentials: {pypirc} [team-devpi]" in (
        uploaded.out
    )
    warning = (
        f"warning: {pypirc} holds a password and is readable by others (mode -rw-r--r--); "
        f"run: chmod 600 {pypirc}"
    )
    assert warning in uploaded.err
    assert test.files(NAME) == release.local_files()

    again = release.run(capsys, "upload", *by_name, "--json")  # --json: the warning is a note

    assert again.code == ExitCode.OK
    assert warning in again.json["notes"]
    assert again.json["skipped_identical"] == [WHEEL, SDIST]

    pypirc.chmod(0o600)
    assert "warning" not in release.run(capsys, "upload", *by_name).err
    assert release.run(capsys, "verify", *by_name, "--timeout", "0").code == ExitCode.OK


def test_gitlab_ci_job_token_uploads_to_a_gitlab_shaped_registry(
    tmp_path_factory: pytest.TempPathFactory,
    tmp_path: Path,
    devpi_server: DevpiServer,
    fault_proxy: StartProxy,
    monkeypatch: pytest.MonkeyPatch,
    capsys: Capsys,
) -> None:
    """GitLab's URLs, in front of an index whose user is GitLab's job-token user."""
    registry = new_devpi_index(devpi_server, username="gitlab-ci-token")
    proxy = fault_proxy(registry.url)
    api = "/api/v4/projects/42/packages/pypi"
    proxy.mount(f"{api}/simple", "/gitlab-ci-token/dev/+simple")
    upload_url = proxy.mount(api, "/gitlab-ci-token/dev")
    gitlab = {"upload-url": upload_url, "index-url": f"{upload_url}/simple/"}
    release = new_release(tmp_path_factory, tmp_path, {"gitlab": gitlab})
    monkeypatch.setenv("CI_JOB_TOKEN", registry.password)

    outcome = release.run(capsys, "upload", "--repository", "gitlab", "--json")

    assert outcome.code == ExitCode.OK, outcome.text
    assert outcome.json["credentials"] == "CI_JOB_TOKEN"
    assert {r.path for r in proxy.requests if r.method == "POST"} == {api}
    assert release.run(capsys, "verify", "--repository", "gitlab").code == ExitCode.OK


def test_an_index_that_needs_no_credentials_works_with_none_and_never_prompts(
    tmp_path_factory: pytest.TempPathFactory,
    tmp_path: Path,
    new_index: NewIndex,
    fault_proxy: StartProxy,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A URL on the command line, a terminal that could be asked; the TestPyPI token and
    .pypirc section that ``upload`` (repository "test") would use for TestPyPI stay home."""
    test = new_index("pypiserver", "test")
    proxy = fault_proxy(test.url)
    release = new_release(tmp_path_factory, tmp_path, {})
    monkeypatch.setenv("TEST_PYPI_TOKEN", "pypi-TestPyPI-token-stays-home")
    pypirc = tmp_path / "home" / ".pypirc"
    pypirc.write_text("[testpypi]\nusername = __token__\npassword = pypirc-stays-home\n")
    pypirc.chmod(0o600)
    url = proxy.proxied(test.upload_url)
    controller, terminal = pty.openpty()
    try:
        process = subprocess.run(
            [sys.executable, "-m", "releasekit", *release.argv("upload", "--repository-url", url)],
            stdin=terminal,
            capture_output=True,
            text=True,
            timeout=60,  # a prompt would wait here for ever
            check=False,
        )
    finally:
        os.close(terminal)
        os.close(controller)

    assert process.returncode == ExitCode.OK, process.stdout + process.stderr
    # A repository given by URL is named by its host, not by the default repository's name.
    host = url.split("/")[2]
    assert f"to {host} ({url}), credentials: none (anonymous upload)" in process.stdout
    assert test.files(NAME) == release.local_files()
    assert basic_credentials(proxy) == set()  # nothing was sent, not even a placeholder
    verified = release.run_process("verify", "--repository-url", url, "--timeout", "0")
    assert verified.code == ExitCode.OK, verified.text


def test_an_index_that_wants_credentials_says_none_were_found(
    tmp_path_factory: pytest.TempPathFactory,
    tmp_path: Path,
    new_index: NewIndex,
    capsys: Capsys,
) -> None:
    test = new_index("devpi", "test")
    release = new_release(
        tmp_path_factory, tmp_path, {"team": {**test.repository("RK_TEAM_TOKEN")}}
    )

    outcome = release.run(capsys, "upload", "--repository", "team")

    assert outcome.code == ExitCode.CREDENTIALS
    assert "it needs credentials to upload, and none were found for the repository 'team'" in (
        outcome.err
    )
    assert "Set RK_TEAM_TOKEN" in outcome.err


# --- the planted token ------------------------------------------------------------------

PLANTED = "rk-PLANTED/t0ken@9f3c"  # "/" and "@" also show any URL-quoted leak
SHAPES = (PLANTED, quote(PLANTED, safe=""), quote(PLANTED))

# ``releasekit ARGV`` in a process that also writes the argv of every command it runs
# (every external command goes through SubprocessRunner.run) to $RK_ARGV_LOG.
RECORDING_MAIN = """\
import json, os, sys
from releasekit import runner
real_run = runner.SubprocessRunner.run
def run(self, argv, **kwargs):
    with open(os.environ["RK_ARGV_LOG"], "a") as log:
        log.write(json.dumps(list(argv)) + "\\n")
    return real_run(self, argv, **kwargs)
runner.SubprocessRunner.run = run
from releasekit.cli import main
sys.exit(main(sys.argv[1:]))
"""


def leaks(*texts: str) -> list[str]:
    return [text for text in texts if any(shape in text for shape in SHAPES)]


@pytest.fixture
def planted(
    tmp_path_factory: pytest.TempPathFactory,
    tmp_path: Path,
    devpi_server: DevpiServer,
    fault_proxy: StartProxy,
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[Release, FaultProxy]:
    """The example project and a devpi index (behind a proxy) whose password is PLANTED,
    given in the repository's token-env variable."""
    devpi = new_devpi_index(devpi_server, password=PLANTED)
    test = Index("devpi", devpi.url, devpi.upload_url, devpi.simple_url, devpi.username, PLANTED)
    proxy = fault_proxy(test.url)
    return release_on(tmp_path_factory, tmp_path, monkeypatch, test, proxy=proxy), proxy


def test_a_planted_token_appears_in_no_argv_output_or_json_of_a_real_process(
    planted: tuple[Release, FaultProxy], tmp_path: Path
) -> None:
    release, proxy = planted
    argv_log = tmp_path / "argv.jsonl"
    seen: list[str] = []

    def releasekit(*argv: str) -> int:
        command = [sys.executable, "-c", RECORDING_MAIN, *release.argv(*argv)]
        completed = subprocess.run(
            command,
            env={**os.environ, "RK_ARGV_LOG": str(argv_log)},
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        seen.extend([json.dumps(command), completed.stdout, completed.stderr])
        return completed.returncode

    proxy.fail_next(1, 403, methods={"POST"})
    assert releasekit("upload-test", "--json") == ExitCode.CREDENTIALS  # the token was sent
    assert releasekit("check") == ExitCode.OK
    assert releasekit("upload-test", "--json") == ExitCode.OK
    assert releasekit("verify", "--install", "--json") == ExitCode.OK
    proxy.pass_next(1, methods={"GET"})  # verify reads the index; the installer is refused
    proxy.fail_next(20, 401, methods={"GET"})
    assert releasekit("verify", "--install", "--json") == ExitCode.VERIFY
    assert "Installing from test in a fresh environment failed" in seen[-1]  # its stderr
    proxy.clear_faults()
    proxy.corrupt_hashes()
    assert releasekit("upload-test", "--json") == ExitCode.CHECK
    assert f"{WHEEL} is already on test with sha256" in seen[-1]

    argvs = argv_log.read_text().splitlines()
    assert any('"pip", "install"' in argv for argv in argvs)
    assert leaks(*argvs, *seen) == []
    # And yet it was in use: index reads, uploads and installs sent it.
    assert basic_credentials(proxy) == {f"{release.repository('test').username}:{PLANTED}"}


def test_a_planted_token_appears_in_no_log_record_message_or_exception(
    planted: tuple[Release, FaultProxy],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capsys: Capsys,
) -> None:
    release, proxy = planted
    caplog.set_level(logging.DEBUG)
    runners: list[RecordingRunner] = []

    def recording_runner(**options: object) -> RecordingRunner:
        runners.append(RecordingRunner())
        return runners[-1]

    monkeypatch.setattr("releasekit.runner.SubprocessRunner", recording_runner)
    monkeypatch.setattr("releasekit.cli.SubprocessRunner", recording_runner)
    errors: list[ReleaseError] = []
    repository = release.repository("test")

    plan = release.plan("test")
    checked = check_release(plan, RecordingRunner(), repository)
    proxy.fail_next(1, 403, methods={"POST"})
    with pytest.raises(CredentialsError) as refused:
        upload_release(plan, RecordingRunner(), repository, checked)
    errors.append(refused.value)
    proxy.fail_next(2, 503, methods={"POST"})  # tried twice (retries=1), then given up
    with pytest.raises(ReleaseError) as failing:
        upload_release(
            plan,
            RecordingRunner(),
            repository,
            checked,
            retries=1,
            sleep=lambda _: None,
        )
    errors.append(failing.value)
    uploaded = release.run(capsys, "upload-test", "--json")
    assert uploaded.code == ExitCode.OK, uploaded.text
    proxy.pass_next(1, methods={"GET"})
    proxy.fail_next(20, 401, methods={"GET"})
    with pytest.raises(VerifyError) as not_installed:
        verify_release(
            plan,
            RecordingRunner(),
            repository,
            timeout=0,
            install=True,
            credentials=resolve_credentials(repository),
        )
    errors.append(not_installed.value)
    proxy.clear_faults()
    proxy.corrupt_hashes()
    conflict = release.run(capsys, "upload-test", "--json")
    assert conflict.code == ExitCode.CHECK
    assert f"{WHEEL} is already on test with sha256" in conflict.err

    shown = [
        text
        for error in errors
        for text in (str(error), repr(error), error.message, error.hint, json.dumps(error.details))
    ]
    records = [record.getMessage() for record in caplog.records]
    commands = [json.dumps(argv) for runner in runners for argv in runner.argvs]
    assert commands
    assert leaks(*shown, *records, caplog.text, uploaded.text, conflict.text, *commands) == []
    assert "Installing from test in a fresh environment failed" in not_installed.value.message


def test_credentials_never_reach_the_repository_urls_a_user_sees(
    planted: tuple[Release, FaultProxy], capsys: Capsys
) -> None:
    """An upload URL with user:password in it: shown and logged without them."""
    release, _ = planted
    config = release.config()
    repository = config.repositories["test"]
    with_password = Repository(
        name="test",
        upload_url=repository.upload_url.replace("://", f"://someone:{SHAPES[1]}@"),
        index_url=repository.index_url,
        token_env=repository.token_env,
        username=repository.username,
    )
    runner = RecordingRunner()

    plan = release.plan("test")
    result = upload_release(plan, runner, with_password, check_release(plan, runner, with_password))

    assert result.upload_url == repository.upload_url
    assert leaks(json.dumps(result.to_json()), *map(json.dumps, runner.argvs), *runner.logs) == []
