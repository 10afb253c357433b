"""Where credentials come from, how they are held, and which tokens are refused early."""

from __future__ import annotations

import time
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.errors import KeyringLocked

from releasekit.config import ReleaseConfig, Repository
from releasekit.credentials import check_token_scope, inspect_pypi_token, resolve_credentials
from releasekit.errors import ConfigError, CredentialsError, ExitCode
from tokens import make_pypi_token

CONFIG = ReleaseConfig()
PROD = CONFIG.repositories["prod"]
TEST = CONFIG.repositories["test"]
LOCAL = Repository(
    name="local", upload_url="http://127.0.0.1:9/", index_url="http://127.0.0.1:9/simple/"
)
GITLAB = Repository(
    name="gitlab",
    upload_url="https://gitlab.example.invalid/api/v4/projects/42/packages/pypi",
    index_url="https://gitlab.example.invalid/api/v4/projects/42/packages/pypi/simple",
)
PLANTED = "pypi-PLANTED-SECRET-0123456789"


def no_keyring(service: str, username: str) -> None:
    return None


def test_repository_token_variable_comes_first(tmp_path: Path) -> None:
    env = {"PYPI_TOKEN": PLANTED, "TWINE_PASSWORD": "other"}
    found = resolve_credentials(PROD, env=env, pypirc=tmp_path / "none", keyring_lookup=no_keyring)
    assert (found.username, found.source) == ("__token__", "PYPI_TOKEN")
    assert found.password is not None
    assert found.password.reveal() == PLANTED
    assert PLANTED not in repr(found)


def test_twine_variables_then_keyring_then_pypirc(tmp_path: Path) -> None:
    pypirc = tmp_path / ".pypirc"
    pypirc.write_text(
        "[distutils]\nindex-servers = pypi\n\n[pypi]\nusername = __token__\n"
        "password = from-pypirc\n"
    )
    pypirc.chmod(0o600)
    env = {"TWINE_USERNAME": "alice", "TWINE_PASSWORD": "from-twine-env"}
    found = resolve_credentials(PROD, env=env, pypirc=pypirc, keyring_lookup=no_keyring)
    assert (found.username, found.password and found.password.reveal()) == (
        "alice",
        "from-twine-env",
    )

    def keyring(service: str, username: str) -> str | None:
        assert (service, username) == (PROD.upload_url, "__token__")
        return "from-keyring"

    found = resolve_credentials(PROD, env={}, pypirc=pypirc, keyring_lookup=keyring)
    assert found.source.startswith("keyring")

    found = resolve_credentials(PROD, env={}, pypirc=pypirc, keyring_lookup=no_keyring)
    assert found.source == f"{pypirc} [pypi]"
    assert found.warnings == ()


def test_pypirc_readable_by_others_gets_a_chmod_warning(tmp_path: Path) -> None:
    pypirc = tmp_path / ".pypirc"
    pypirc.write_text("[local]\nrepository = http://127.0.0.1:9/\nusername = u\npassword = p\n")
    pypirc.chmod(0o644)
    found = resolve_credentials(LOCAL, env={}, pypirc=pypirc, keyring_lookup=no_keyring)
    assert found.username == "u"
    assert found.warnings == (
        f"{pypirc} holds a password and is readable by others (mode -rw-r--r--); "
        f"run: chmod 600 {pypirc}",
    )


def test_gitlab_job_token_for_a_gitlab_registry(tmp_path: Path) -> None:
    found = resolve_credentials(
        GITLAB, env={"CI_JOB_TOKEN": "glcbt-x"}, pypirc=tmp_path / "n", keyring_lookup=no_keyring
    )
    assert (found.username, found.source) == ("gitlab-ci-token", "CI_JOB_TOKEN")


def test_trusted_publishing_when_ci_offers_an_oidc_token(tmp_path: Path) -> None:
    env = {"ACTIONS_ID_TOKEN_REQUEST_URL": "https://x", "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "t"}
    found = resolve_credentials(PROD, env=env, pypirc=tmp_path / "n", keyring_lookup=no_keyring)
    assert found.trusted_publishing
    assert (found.username, found.password) == ("__token__", None)  # minted when uploading


def test_pypi_without_any_credentials_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CredentialsError, match="Set TEST_PYPI_TOKEN to an API token"):
        resolve_credentials(TEST, env={}, pypirc=tmp_path / "n", keyring_lookup=no_keyring)


def test_an_index_without_credentials_is_used_anonymously(tmp_path: Path) -> None:
    found = resolve_credentials(LOCAL, env={}, pypirc=tmp_path / "n", keyring_lookup=no_keyring)
    assert found.source == "none (anonymous upload)"


def test_token_caveats_are_read_offline() -> None:
    token = make_pypi_token(
        "test.pypi.org",
        [
            {"version": 1, "permissions": {"projects": ["Demo_Pkg", "other"]}},
            [0, 4102444800, 0],
        ],
    )
    scope = inspect_pypi_token(token)
    assert scope is not None
    assert (scope.location, scope.projects, scope.expires) == (
        "test.pypi.org",
        ("demo-pkg", "other"),
        4102444800,
    )
    assert inspect_pypi_token("not-a-pypi-token") is None
    user_scope = inspect_pypi_token(
        make_pypi_token("pypi.org", [{"version": 1, "permissions": "user"}])
    )
    assert user_scope is not None
    assert user_scope.projects is None


@pytest.mark.parametrize(
    ("token", "repository", "message"),
    [
        (
            make_pypi_token("test.pypi.org"),
            PROD,
            "is a test.pypi.org token, but the repository 'prod' is pypi.org",
        ),
        (
            make_pypi_token("pypi.org", [[1, ["someone-else"]]]),
            PROD,
            "may upload only someone-else, not demo-pkg",
        ),
        (make_pypi_token("pypi.org", [[0, int(time.time()) - 60, 0]]), PROD, "expired at"),
    ],
)
def test_tokens_that_cannot_upload_are_refused_before_uploading(
    token: str, repository: Repository, message: str
) -> None:
    credentials = resolve_credentials(
        repository,
        env={"PYPI_TOKEN": token},
        pypirc=Path("/nonexistent"),
        keyring_lookup=no_keyring,
    )
    with pytest.raises(CredentialsError, match=message) as info:
        check_token_scope(credentials, repository, "Demo_Pkg")
    assert token not in str(info.value)


def test_a_well_scoped_token_passes() -> None:
    token = make_pypi_token("pypi.org", [[1, ["demo-pkg"]]])
    credentials = resolve_credentials(
        PROD, env={"PYPI_TOKEN": token}, pypirc=Path("/nonexistent"), keyring_lookup=no_keyring
    )
    check_token_scope(credentials, PROD, "demo.pkg")


# --- keyring and .pypirc errors: one clear message naming the source -----------------------


class RaisingKeyring(KeyringBackend):
    """A keyring backend that fails as real ones do (D-Bus down, a bad entry, locked)."""

    priority = 1

    def __init__(self, error: Exception) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.error = error

    def get_password(self, service: str, username: str) -> str | None:
        raise self.error

    def set_password(self, service: str, username: str, password: str) -> None:
        raise self.error

    def delete_password(self, service: str, username: str) -> None:
        raise self.error


@pytest.mark.parametrize(
    "error",
    [
        OSError(5, "Input/output error talking to org.freedesktop.secrets"),
        ValueError("bad entry\nsecond line"),
        RuntimeError("the keyring is locked"),
        KeyringLocked("locked"),
    ],
)
def test_a_keyring_that_raises_is_a_message_naming_the_keyring(
    error: Exception, tmp_path: Path
) -> None:
    previous = keyring.get_keyring()
    keyring.set_keyring(RaisingKeyring(error))
    try:
        with pytest.raises(CredentialsError) as raised:
            resolve_credentials(LOCAL, env={}, pypirc=tmp_path / "none")
    finally:
        keyring.set_keyring(previous)

    message = raised.value.message
    assert message.startswith(
        "The keyring (test_credentials.RaisingKeyring) could not be read for "
        f"{LOCAL.upload_url}, user '__token__' ({type(error).__name__}: "
    )
    assert "\n" not in message
    assert "PYTHON_KEYRING_BACKEND" in raised.value.hint
    assert raised.value.exit_code == ExitCode.CREDENTIALS


def test_a_pypirc_section_with_a_username_and_no_password_is_named(tmp_path: Path) -> None:
    pypirc = tmp_path / ".pypirc"
    pypirc.write_text("[local]\nrepository = http://127.0.0.1:9/\nusername = alice\n")
    pypirc.chmod(0o600)

    with pytest.raises(CredentialsError) as raised:
        resolve_credentials(LOCAL, env={}, pypirc=pypirc, keyring_lookup=no_keyring)

    assert raised.value.message == (
        f"{pypirc} [local] names the user 'alice' for the repository 'local' but no "
        "password, and keyring has none for that user at http://127.0.0.1:9/."
    )
    assert "keyring set http://127.0.0.1:9/ alice" in raised.value.hint

    def keyring_of_alice(service: str, username: str) -> str | None:
        return "from-keyring" if username == "alice" else None

    found = resolve_credentials(LOCAL, env={}, pypirc=pypirc, keyring_lookup=keyring_of_alice)
    assert (found.username, found.source) == (
        "alice",
        f"{pypirc} [local] with the password from keyring",
    )


def test_an_unreadable_pypirc_is_named(tmp_path: Path) -> None:
    """A file that cannot be read, even by root: /proc/self/mem at offset 0 is EIO."""
    pypirc = Path("/proc/self/mem")
    if not pypirc.is_file():
        pytest.skip("no /proc on this system")

    with pytest.raises(ConfigError) as raised:
        resolve_credentials(LOCAL, env={}, pypirc=pypirc, keyring_lookup=no_keyring)

    assert raised.value.message == (
        f"The credentials file {pypirc} cannot be read: Input/output error. Nothing was changed."
    )


@pytest.mark.parametrize(
    ("env", "source"),
    [
        ({"TWINE_USERNAME": "alice", "TWINE_PASSWORD": "p"}, "TWINE_USERNAME/TWINE_PASSWORD"),
        ({"TWINE_PASSWORD": "p"}, "TWINE_PASSWORD"),
        ({"UV_PUBLISH_PASSWORD": "p"}, "UV_PUBLISH_PASSWORD"),
    ],
)
def test_the_source_names_only_the_variables_that_were_set(
    tmp_path: Path, env: dict[str, str], source: str
) -> None:
    found = resolve_credentials(PROD, env=env, pypirc=tmp_path / "none", keyring_lookup=no_keyring)
    assert found.source == source
