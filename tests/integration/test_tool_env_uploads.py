"""twine's and uv's variables work unchanged with releasekit: each against a real local
pypiserver, one that anyone may upload to and one that takes its one user only."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import pytest

from index_servers import PypiServer
from release_project import Release, new_release
from releasekit.errors import ExitCode


@pytest.fixture
def release(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> Release:
    """The built example project; no repository configured beyond test and prod."""
    return new_release(tmp_path_factory, tmp_path, {})


@pytest.fixture
def token_index(start_pypiserver: Callable[..., PypiServer]) -> PypiServer:
    """A pypiserver whose one user is ``__token__``: what a token (UV_PUBLISH_TOKEN) is."""
    token = "pypi-AgEIcHlwaS5vcmc"
    server = start_pypiserver("tokens", users={"__token__": token})
    return dataclasses.replace(server, username="__token__", password=token)


def files_on(index: PypiServer) -> set[str]:
    return {p.name for p in index.packages_dir.iterdir()}


def label(index: PypiServer) -> str:
    return index.url.removeprefix("http://")


def upload(release: Release, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str]:
    outcome = release.run(capsys, "upload", "--yes", *extra)
    return outcome.code, outcome.text


# --- where to upload --------------------------------------------------------------------


@pytest.mark.parametrize("variable", ["TWINE_REPOSITORY_URL", "UV_PUBLISH_URL"])
def test_the_upload_url_variable_without_a_login(
    release: Release,
    pypiserver: PypiServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    variable: str,
) -> None:
    monkeypatch.setenv(variable, pypiserver.upload_url)
    code, text = upload(release, capsys, "--dry-run")
    assert code == ExitCode.OK, text
    assert f"to {label(pypiserver)} ({pypiserver.upload_url})" in text  # not to test
    code, text = upload(release, capsys)
    assert code == ExitCode.OK, text
    assert files_on(pypiserver) == set(release.local_files())


def test_twine_repository_names_a_pypirc_section(
    release: Release,
    pypiserver: PypiServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    (tmp_path / "home" / ".pypirc").write_text(f"[corp]\nrepository = {pypiserver.upload_url}\n")
    monkeypatch.setenv("TWINE_REPOSITORY", "corp")
    code, text = upload(release, capsys)
    assert code == ExitCode.OK, text
    assert f"to corp ({pypiserver.upload_url})" in text
    assert files_on(pypiserver) == set(release.local_files())


# --- who uploads ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "user", "password", "source"),
    [
        (
            "TWINE_REPOSITORY_URL",
            "TWINE_USERNAME",
            "TWINE_PASSWORD",
            "TWINE_USERNAME/TWINE_PASSWORD",
        ),
        (
            "UV_PUBLISH_URL",
            "UV_PUBLISH_USERNAME",
            "UV_PUBLISH_PASSWORD",
            "UV_PUBLISH_USERNAME/UV_PUBLISH_PASSWORD",
        ),
    ],
)
def test_the_login_variables_upload_as_that_user(
    release: Release,
    protected_pypiserver: PypiServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    url: str,
    user: str,
    password: str,
    source: str,
) -> None:
    monkeypatch.setenv(url, protected_pypiserver.upload_url)
    monkeypatch.setenv(user, protected_pypiserver.username)
    monkeypatch.setenv(password, protected_pypiserver.password)
    code, text = upload(release, capsys)
    assert code == ExitCode.OK, text
    assert f"credentials: {source}" in text
    assert protected_pypiserver.password not in text
    assert files_on(protected_pypiserver) == set(release.local_files())


def test_uv_publish_token_uploads_as_token(
    release: Release,
    token_index: PypiServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("UV_PUBLISH_URL", token_index.upload_url)
    monkeypatch.setenv("UV_PUBLISH_TOKEN", token_index.password)
    code, text = upload(release, capsys)
    assert code == ExitCode.OK, text
    assert "credentials: UV_PUBLISH_TOKEN" in text
    assert files_on(token_index) == set(release.local_files())


def test_twine_username_alone_takes_the_password_from_pypirc(
    release: Release,
    protected_pypiserver: PypiServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    pypirc = tmp_path / "home" / ".pypirc"
    pypirc.write_text(
        f"[corp]\nrepository = {protected_pypiserver.upload_url}\n"
        f"username = {protected_pypiserver.username}\npassword = {protected_pypiserver.password}\n"
    )
    pypirc.chmod(0o600)
    monkeypatch.setenv("TWINE_REPOSITORY_URL", protected_pypiserver.upload_url)
    monkeypatch.setenv("TWINE_USERNAME", protected_pypiserver.username)
    code, text = upload(release, capsys)
    assert code == ExitCode.OK, text
    assert f"credentials: TWINE_USERNAME + {pypirc} [corp]" in text
    assert files_on(protected_pypiserver) == set(release.local_files())


def test_twine_username_without_any_password_is_a_credentials_error(
    release: Release,
    protected_pypiserver: PypiServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("TWINE_REPOSITORY_URL", protected_pypiserver.upload_url)
    monkeypatch.setenv("TWINE_USERNAME", protected_pypiserver.username)
    code, text = upload(release, capsys)
    assert code == ExitCode.CREDENTIALS, text
    assert "TWINE_USERNAME is 'uploader', and no password for that user was found" in text
    assert f"keyring set {protected_pypiserver.upload_url} uploader" in text
    assert "Traceback" not in text
    assert files_on(protected_pypiserver) == set()


def test_pypiservers_403_to_a_wrong_password_is_not_worded_as_a_tokens_scope(
    release: Release,
    protected_pypiserver: PypiServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("TWINE_REPOSITORY_URL", protected_pypiserver.upload_url)
    monkeypatch.setenv("TWINE_USERNAME", protected_pypiserver.username)
    monkeypatch.setenv("TWINE_PASSWORD", "not-the-password")
    code, text = upload(release, capsys)
    assert code == ExitCode.CREDENTIALS, text
    # pypiserver answers 403 (not 401) to a wrong password: both readings are named.
    assert (
        "uploader (from TWINE_USERNAME/TWINE_PASSWORD) is not allowed to upload this project "
        "(a missing permission; pypiserver also answers 403 to a wrong password)"
    ) in text
    assert "check the password of uploader" in text
    assert files_on(protected_pypiserver) == set()


# --- upload FILE... ---------------------------------------------------------------------


def test_upload_takes_explicit_files(
    release: Release,
    pypiserver: PypiServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    wheel = next((release.root / "dist").glob("*.whl"))
    code, text = upload(release, capsys, "--repository-url", pypiserver.upload_url, str(wheel))
    assert code == ExitCode.OK, text
    assert files_on(pypiserver) == {wheel.name}  # the sdist beside it stays home


def test_an_explicit_file_of_another_project_fails_check_as_in_dist(
    release: Release,
    pypiserver: PypiServer,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    wheel = next((release.root / "dist").glob("*.whl"))
    other = tmp_path / "other-1.0.0-py3-none-any.whl"
    other.write_bytes(wheel.read_bytes())
    code, text = upload(release, capsys, "--repository-url", pypiserver.upload_url, str(other))
    assert code == ExitCode.CHECK, text
    assert "other-1.0.0-py3-none-any.whl: project name other, expected rk-demo" in text
    assert files_on(pypiserver) == set()


def test_twine_non_interactive_refuses_instead_of_asking(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path, pypiserver: PypiServer
) -> None:
    import os
    import pty

    table = {"upload-url": pypiserver.upload_url, "index-url": pypiserver.simple_url}
    prod = {**table, "production": True, "anonymous-upload": True}
    release = new_release(tmp_path_factory, tmp_path, {"prod": prod})
    controller, terminal = pty.openpty()  # a terminal: releasekit would ask there
    try:
        outcome = release.run_process(
            "upload-prod", env={"TWINE_NON_INTERACTIVE": "1"}, stdin=terminal
        )
    finally:
        os.close(terminal)
        os.close(controller)
    assert outcome.code == ExitCode.UPLOAD, outcome.text
    assert "TWINE_NON_INTERACTIVE forbids asking" in outcome.err
    assert files_on(pypiserver) == set()
