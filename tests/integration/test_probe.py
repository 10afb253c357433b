"""The pre-flight proves each target's credentials with an upload request that carries no
file, against real indexes that need a login: pypiserver (-a update -P htpasswd) and
devpi-server. None or wrong credentials fail the dry run and the real run before the
bump; nothing reaches the index."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from index_servers import NewIndex, PypiServer
from release_project import git, pyproject, sha256_files, version_in, write_project
from releasekit.cli import main
from releasekit.errors import ExitCode

Capsys = pytest.CaptureFixture[str]
StartPypiserver = Callable[..., PypiServer]
USERS = {"alice": "s3cret-for-alice"}


def project(tmp_path: Path, test: PypiServer, prod: PypiServer) -> Path:
    """The sample project releasing to two pypiservers that take uploads from alice only."""
    tables = "".join(
        f'\n[tool.releasekit.repositories.{name}]\nupload-url = "{server.upload_url}"\n'
        f'index-url = "{server.simple_url}"\ntoken-env = "RK_{name.upper()}_TOKEN"\n'
        'username = "alice"\n'
        for name, server in (("test", test), ("prod", prod))
    )
    return write_project(tmp_path / "project", pyproject_toml=pyproject(tables), origin=True)


def run(capsys: Capsys, root: Path, *argv: str) -> tuple[int, str, str]:
    code = main([*argv, "--project", str(root)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def logins(
    tmp_path: Path, start_pypiserver: StartPypiserver
) -> tuple[Path, PypiServer, PypiServer]:
    test = start_pypiserver("test", users=USERS)
    prod = start_pypiserver("prod", users=USERS)
    return project(tmp_path, test, prod), test, prod


def test_release_dry_run_fails_without_credentials_for_an_index_that_needs_them(
    logins: tuple[Path, PypiServer, PypiServer], capsys: Capsys
) -> None:
    root, test, prod = logins

    code, out, err = run(capsys, root, "release", "minor", "--dry-run", "--yes", "--json")

    assert code == ExitCode.CHECK, err
    failures = json.loads(out)["preflight"]["failures"]
    assert len(failures) == 2, failures
    # test: the index said it wants a login (pypiserver: 401).
    assert failures[0].startswith(
        f"test ({test.upload_url}) needs credentials to upload and none were found for it "
        "(it answered 401 to an upload request with no file"
    ), failures
    assert "nothing was stored). Set RK_TEST_TOKEN" in failures[0]
    # prod, production by its role, takes no anonymous upload: refused before asking.
    assert failures[1].startswith(
        f"prod: No credentials for the repository 'prod' ({prod.upload_url}), a production "
        "repository: an anonymous upload to production is refused."
    )
    assert sha256_files(test.packages_dir) == sha256_files(prod.packages_dir) == {}


def test_release_with_wrong_credentials_stops_before_the_bump(
    logins: tuple[Path, PypiServer, PypiServer], capsys: Capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, test, prod = logins
    monkeypatch.setenv("RK_TEST_TOKEN", USERS["alice"])
    monkeypatch.setenv("RK_PROD_TOKEN", "not-alice's-password")
    head = git(root, "rev-parse", "HEAD")

    code, out, err = run(capsys, root, "release", "minor", "--yes")

    assert code == ExitCode.CHECK, err
    assert (
        f"prod ({prod.upload_url}) refused the credentials from RK_PROD_TOKEN as user 'alice' "
        "(it answered 403 to an upload request with no file" in err
    )
    assert "credentials for test: from RK_TEST_TOKEN; taken (it answered 400" in err
    assert "not-alice's-password" not in out + err
    # Nothing changed: no bump, no commit, no tag, nothing on either index.
    assert version_in(root) == "1.0.0"
    assert git(root, "rev-parse", "HEAD") == head
    assert git(root, "tag") == ""
    assert sha256_files(test.packages_dir) == sha256_files(prod.packages_dir) == {}


def test_right_credentials_pass_and_the_pre_flight_says_where_they_came_from(
    logins: tuple[Path, PypiServer, PypiServer], capsys: Capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, test, _ = logins
    monkeypatch.setenv("RK_TEST_TOKEN", USERS["alice"])
    monkeypatch.setenv("RK_PROD_TOKEN", USERS["alice"])

    code, out, err = run(capsys, root, "release", "minor", "--dry-run", "--yes")

    assert code == ExitCode.OK, err
    assert "  ok: credentials for test" in out
    assert "  note: credentials for prod: from RK_PROD_TOKEN; taken (it answered 400 " in out
    assert "Missing 'content' file-field!" in out
    assert USERS["alice"] not in out + err
    assert sha256_files(test.packages_dir) == {}


def test_wrong_devpi_password_fails_the_publish_dry_run(
    tmp_path: Path, new_index: NewIndex, capsys: Capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    devpi = new_index("devpi", "prod")
    table = (
        f'\n[tool.releasekit.repositories.devpi]\nupload-url = "{devpi.upload_url}"\n'
        f'index-url = "{devpi.simple_url}"\ntoken-env = "RK_DEVPI_TOKEN"\n'
        f'username = "{devpi.username}"\n'
    )
    root = write_project(tmp_path / "project", pyproject_toml=pyproject(table), origin=True)
    monkeypatch.setenv("RK_DEVPI_TOKEN", "wrong-password")

    code, out, err = run(capsys, root, "publish", "--repository", "devpi", "--dry-run")

    assert code == ExitCode.CHECK, err
    assert (
        f"devpi ({devpi.upload_url}) refused the credentials from RK_DEVPI_TOKEN as user "
        f"'{devpi.username}' (it answered 401 to an upload request with no file" in out
    )

    monkeypatch.setenv("RK_DEVPI_TOKEN", devpi.password)
    code, out, err = run(capsys, root, "publish", "--repository", "devpi", "--dry-run")

    assert code == ExitCode.OK, err
    assert "credentials for devpi: from RK_DEVPI_TOKEN; taken (it answered 400 " in out
    assert devpi.files("rk-demo") == {}


def test_an_anonymous_upload_to_production_is_refused_unless_configured(
    tmp_path: Path, start_pypiserver: StartPypiserver, capsys: Capsys
) -> None:
    """prod is production by its role; a pypiserver that takes anyone's uploads is fine
    only when its table says so."""
    prod = start_pypiserver("prod")
    table = (
        f'\n[tool.releasekit.repositories.prod]\nupload-url = "{prod.upload_url}"\n'
        f'index-url = "{prod.simple_url}"\n'
    )
    root = write_project(tmp_path / "project", pyproject_toml=pyproject(table), origin=True)

    code, out, err = run(capsys, root, "publish", "--dry-run", "--yes")

    assert code == ExitCode.CHECK, err
    assert (
        f"prod: No credentials for the repository 'prod' ({prod.upload_url}), a production "
        "repository: an anonymous upload to production is refused." in out
    )
    assert "anonymous-upload = true in [tool.releasekit.repositories.prod]" in out

    allowed = write_project(
        tmp_path / "allowed",
        pyproject_toml=pyproject(table + "anonymous-upload = true\n"),
        origin=True,
    )
    code, out, err = run(capsys, allowed, "publish", "--dry-run", "--yes")

    assert code == ExitCode.OK, err
    assert "credentials for prod: none; not needed: the index takes anonymous uploads" in out
