"""Upload credentials: where they come from, how they are held, and what a token allows.

A secret lives in a :class:`~releasekit.secret.Secret`, whose ``str`` and ``repr`` never
show it; it leaves releasekit only in the Authorization header of its own requests (never
argv, which nox and Invoke print, nor an environment). PyPI API tokens are macaroons:
their caveats are read offline so that a token for the wrong index or project is refused
before a single byte is uploaded.
"""

from __future__ import annotations

import base64
import configparser
import dataclasses
import json
import os
import stat
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from packaging.utils import canonicalize_name as normalize_name

from releasekit.errors import ConfigError, CredentialsError
from releasekit.files import read_utf8
from releasekit.repositories import Repository
from releasekit.secret import Secret
from releasekit.trust.identity import oidc_available

# The username of an anonymous upload (pypiserver -a . -P .): no Authorization is sent.
ANONYMOUS = "anonymous"


@dataclass(frozen=True)
class Credentials:
    """Who uploads, and where that was found (``source`` is safe to print)."""

    username: str
    password: Secret | None
    source: str
    trusted_publishing: bool = False
    warnings: tuple[str, ...] = field(default=())

    def secrets(self) -> list[str]:
        """Values that must never appear in any output (for scrubbing and tests)."""
        return [self.password.reveal()] if self.password else []


class MissingCredentialsError(CredentialsError):
    """No credentials are configured for a repository that needs them."""


def resolve_credentials(
    repository: Repository,
    *,
    env: Mapping[str, str] | None = None,
    pypirc: Path | None = None,
    keyring_lookup: Callable[[str, str], str | None] | None = None,
) -> Credentials:
    """Find credentials for ``repository``, in the documented order:

    1. the repository's ``token-env`` variable (``PYPI_TOKEN``, ``TEST_PYPI_TOKEN``);
    2. ``TWINE_PASSWORD`` (user: ``TWINE_USERNAME``, else the repository's);
    3. ``UV_PUBLISH_TOKEN`` (user ``__token__``), ``UV_PUBLISH_PASSWORD`` (user:
       ``UV_PUBLISH_USERNAME``, else the repository's);
    4. keyring (service: the upload URL; user: ``TWINE_USERNAME``, ``UV_PUBLISH_USERNAME``
       or the repository's);
    5. ``~/.pypirc`` (``$PYPIRC`` overrides the path): the section named like the
       repository or whose ``repository`` URL is its upload URL (with a user from the
       environment, only a section of that user or of none);
    6. GitLab CI's job token, for a GitLab package registry;
    7. trusted publishing, on PyPI/TestPyPI in CI with an OIDC token available;
    8. none: anonymous, except on PyPI/TestPyPI, which always need a token, and except
       when a user was named (``TWINE_USERNAME``): then no password is an error.
    """
    env = os.environ if env is None else env
    username = repository.username or "__token__"
    if repository.token_env and env.get(repository.token_env):
        return Credentials(username, Secret(env[repository.token_env]), repository.token_env)
    named = _named_user(env)
    found = _from_tool_variables(env, username)
    if found is not None:
        return found
    if named is not None:
        username = named[1]
    lookup = keyring_lookup or _keyring_password
    from_keyring = lookup(repository.upload_url, username)
    if from_keyring:
        source = f"keyring ({repository.upload_url})"
        return Credentials(username, Secret(from_keyring), _with_user(source, named))
    found = _from_pypirc(
        pypirc or pypirc_path(env), repository, lookup, user=named[1] if named else None
    )
    if found is not None:
        return dataclasses.replace(found, source=_with_user(found.source, named))
    if named is not None:
        raise MissingCredentialsError(
            f"{named[0]} is {named[1]!r}, and no password for that user was found for the "
            f"repository {repository.name!r} ({repository.upload_url}): not in "
            f"{'TWINE_PASSWORD' if named[0].startswith('TWINE') else 'UV_PUBLISH_PASSWORD'}, "
            "the keyring or .pypirc (releasekit never prompts).",
            f"Set {'TWINE_PASSWORD' if named[0].startswith('TWINE') else 'UV_PUBLISH_PASSWORD'}"
            f" (from your CI's secrets), or store it: keyring set {repository.upload_url} "
            f"{named[1]}; or unset {named[0]} for an anonymous upload.",
        )
    if env.get("CI_JOB_TOKEN") and "/api/v4/projects/" in repository.upload_url:
        return Credentials("gitlab-ci-token", Secret(env["CI_JOB_TOKEN"]), "CI_JOB_TOKEN")
    if repository.pypi_host:
        if oidc_available(env):
            return Credentials("__token__", None, "trusted publishing", trusted_publishing=True)
        if env.get("GITHUB_ACTIONS") == "true":
            raise MissingCredentialsError(
                f"No credentials for the repository {repository.name!r}, and trusted "
                "publishing is unavailable: ACTIONS_ID_TOKEN_REQUEST_URL and "
                "ACTIONS_ID_TOKEN_REQUEST_TOKEN are not set in this GitHub Actions job.",
                "Give the job `permissions: id-token: write` (GitHub sets those variables "
                f"only then), or set {repository.token_env or 'TWINE_PASSWORD'} from a secret.",
            )
        raise MissingCredentialsError(
            f"No credentials for the repository {repository.name!r} ({repository.upload_url}).",
            f"Set {repository.token_env or 'TWINE_PASSWORD'} to an API token (in the "
            "environment or your CI's secrets, never on the command line), add it to keyring "
            "or ~/.pypirc, or set up trusted publishing and run in CI.",
        )
    in_url = "@" in urlsplit(repository.upload_url).netloc  # user:password@ in the URL
    if repository.production and not repository.anonymous_upload and not in_url:
        raise MissingCredentialsError(
            f"No credentials for the repository {repository.name!r} "
            f"({repository.upload_url}), a production repository: an anonymous upload to "
            "production is refused.",
            f"Set {repository.token_env or 'TWINE_PASSWORD'} (in the environment or your CI's "
            "secrets), or add the credentials to keyring or ~/.pypirc. If this index takes "
            "uploads from anyone, say so: anonymous-upload = true in "
            f"[tool.releasekit.repositories.{repository.name}].",
        )
    return Credentials(ANONYMOUS, Secret(ANONYMOUS), "none (anonymous upload)")


def _named_user(env: Mapping[str, str]) -> tuple[str, str] | None:
    """(variable, user) when twine's or uv's variables name the user to upload as."""
    for variable in ("TWINE_USERNAME", "UV_PUBLISH_USERNAME"):
        if env.get(variable):
            return variable, env[variable]
    return None


def _from_tool_variables(env: Mapping[str, str], username: str) -> Credentials | None:
    """A password or token from twine's or uv's variables, as those tools read them."""
    if env.get("TWINE_PASSWORD"):
        named = env.get("TWINE_USERNAME")
        source = "TWINE_USERNAME/TWINE_PASSWORD" if named else "TWINE_PASSWORD"
        return Credentials(named or username, Secret(env["TWINE_PASSWORD"]), source)
    if env.get("UV_PUBLISH_TOKEN"):
        return Credentials("__token__", Secret(env["UV_PUBLISH_TOKEN"]), "UV_PUBLISH_TOKEN")
    if env.get("UV_PUBLISH_PASSWORD"):
        named = env.get("UV_PUBLISH_USERNAME")
        source = "UV_PUBLISH_USERNAME/UV_PUBLISH_PASSWORD" if named else "UV_PUBLISH_PASSWORD"
        return Credentials(named or username, Secret(env["UV_PUBLISH_PASSWORD"]), source)
    return None


def _with_user(source: str, named: tuple[str, str] | None) -> str:
    return f"{named[0]} + {source}" if named else source


def read_credentials(
    repository: Repository, *, env: Mapping[str, str] | None = None
) -> Credentials | None:
    """Credentials for reading ``repository``'s index: None when none are configured (a
    public index needs none); a broken .pypirc or keyring is an error, as for uploading."""
    try:
        return resolve_credentials(repository, env=env)
    except MissingCredentialsError:
        return None


def _keyring_password(service: str, username: str) -> str | None:
    # Lazy: keyring loads its backends (D-Bus, macOS Keychain) on import, which costs
    # start-up time for every command that never needs a password.
    try:
        import keyring
        from keyring.errors import NoKeyringError
    except ImportError:
        return None

    try:
        password = keyring.get_password(service, username)
    except NoKeyringError:
        return None  # no keyring on this machine (a CI runner): nothing stored there
    # A keyring backend is a plugin that may raise anything (KeyringError, OSError from
    # D-Bus, ValueError from a bad entry, RuntimeError from a locked store): each is one
    # message naming the keyring, never a traceback.
    except Exception as exc:
        raise CredentialsError(
            f"The keyring ({_keyring_backend_name()}) could not be read for {service}, user "
            f"{username!r} ({exc.__class__.__name__}: {_one_line(exc)}).",
            "Unlock or repair the keyring, or give the token another way (an environment "
            "variable, ~/.pypirc); PYTHON_KEYRING_BACKEND=keyring.backends.null.Keyring "
            "switches the keyring off.",
        ) from None
    if password is not None and not isinstance(password, str):
        raise CredentialsError(
            f"The keyring ({_keyring_backend_name()}) gave a {type(password).__name__}, not "
            f"a password, for {service}, user {username!r}.",
            "Store the token again (keyring set SERVICE USER) or switch that backend off.",
        )
    return password


def _keyring_backend_name() -> str:
    import keyring  # already imported by the caller

    try:
        backend = keyring.get_keyring()
    except Exception:  # only a name for the message
        return "unknown backend"
    return f"{type(backend).__module__}.{type(backend).__qualname__}"


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:300] or "no detail"


def pypirc_path(env: Mapping[str, str] | None = None) -> Path:
    """``$PYPIRC``, else ``~/.pypirc``."""
    env = os.environ if env is None else env
    return Path(env.get("PYPIRC") or Path(env.get("HOME") or Path.home()) / ".pypirc")


def pypirc_repository_url(section: str, env: Mapping[str, str] | None = None) -> str:
    """The ``repository`` URL of a ``.pypirc`` section; "" if there is none."""
    path = pypirc_path(env)
    if not path.is_file():
        return ""
    parser = _read_pypirc(path)
    return parser.get(section, "repository", fallback="") if parser.has_section(section) else ""


def _read_pypirc(path: Path) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser()
    try:
        parser.read_string(read_utf8(path, ConfigError, "The credentials file"), str(path))
    except configparser.Error as exc:
        # The exception's text may quote a line of the file, and so a password: not shown.
        raise CredentialsError(
            f"{path} cannot be read: {exc.__class__.__name__}.", "Fix its syntax."
        ) from None
    return parser


def _from_pypirc(
    path: Path,
    repository: Repository,
    keyring_lookup: Callable[[str, str], str | None],
    *,
    user: str | None = None,
) -> Credentials | None:
    """The section of ``path`` for ``repository``; a section with a username and no
    password takes the password from keyring for that user (as twine does), or is an
    error naming it. With ``user`` (TWINE_USERNAME), only a section of that user or of
    none lends its password."""
    if not path.is_file():
        return None
    parser = _read_pypirc(path)
    default_urls = {
        "pypi": "https://upload.pypi.org/legacy/",
        "testpypi": "https://test.pypi.org/legacy/",
    }
    aliases = {"prod": "pypi", "test": "testpypi"}
    for section in parser.sections():
        url = parser.get(section, "repository", fallback=default_urls.get(section, ""))
        named = section in (repository.name, aliases.get(repository.name))
        # A section made for another URL never lends its password, whatever its name: it
        # would go to a host it was not meant for.
        if (named and not url) or url.rstrip("/") == repository.upload_url.rstrip("/"):
            password = parser.get(section, "password", fallback="")
            username = parser.get(section, "username", fallback="")
            if user and username and username != user:
                continue  # another user's section (TWINE_USERNAME names who uploads)
            if not password and username:
                from_keyring = keyring_lookup(repository.upload_url, username)
                if from_keyring:
                    return Credentials(
                        username,
                        Secret(from_keyring),
                        f"{path} [{section}] with the password from keyring",
                    )
                raise CredentialsError(
                    f"{path} [{section}] names the user {username!r} for the repository "
                    f"{repository.name!r} but no password, and keyring has none for that "
                    f"user at {repository.upload_url}.",
                    f"Add password = ... to [{section}] (then chmod 600 {path}), store it "
                    f"in keyring (keyring set {repository.upload_url} {username}), or give "
                    f"the token through {repository.token_env or 'TWINE_PASSWORD'}.",
                )
            if not password:
                continue
            return Credentials(
                username or user or repository.username,
                Secret(password),
                f"{path} [{section}]",
                warnings=_permission_warnings(path),
            )
    return None


def _permission_warnings(path: Path) -> tuple[str, ...]:
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        return (
            f"{path} holds a password and is readable by others (mode "
            f"{stat.filemode(mode)}); run: chmod 600 {path}",
        )
    return ()


# --- PyPI API tokens (macaroons) -------------------------------------------------------


@dataclass(frozen=True)
class TokenScope:
    """What a PyPI API token says about itself."""

    location: str  # "pypi.org" or "test.pypi.org"
    projects: tuple[str, ...] | None  # None: any project of the user
    expires: int | None = None


def inspect_pypi_token(token: str) -> TokenScope | None:
    """Read the caveats of a ``pypi-...`` token; ``None`` if it is not one."""
    if not token.startswith("pypi-"):
        return None
    try:
        raw = base64.urlsafe_b64decode(token[5:] + "=" * (-len(token[5:]) % 4))
        location, caveats = _parse_macaroon_v2(raw)
    except (ValueError, IndexError):
        return None
    projects: tuple[str, ...] | None = None
    expires = None
    for caveat in caveats:
        try:
            data = json.loads(caveat)
        except ValueError:
            continue
        if isinstance(data, dict):  # legacy: {"version": 1, "permissions": ...}
            permissions = data.get("permissions")
            if isinstance(permissions, dict) and isinstance(permissions.get("projects"), list):
                projects = _narrow(projects, permissions["projects"])
        elif isinstance(data, list) and data:
            if data[0] == 1 and len(data) > 1 and isinstance(data[1], list):  # ProjectName
                projects = _narrow(projects, data[1])
            elif data[0] == 0 and len(data) > 1 and isinstance(data[1], int):  # Expiration
                expires = data[1] if expires is None else min(expires, data[1])
    return TokenScope(location, projects, expires)


def _narrow(current: tuple[str, ...] | None, names: list[object]) -> tuple[str, ...]:
    allowed = tuple(normalize_name(str(n)) for n in names)
    return allowed if current is None else tuple(n for n in current if n in allowed)


def _parse_macaroon_v2(raw: bytes) -> tuple[str, list[bytes]]:
    """The location and the caveat identifiers of a binary (v2) macaroon."""
    if not raw or raw[0] != 2:
        raise ValueError("not a version 2 macaroon")
    position = 1

    def varint() -> int:
        nonlocal position
        value = shift = 0
        while True:
            byte = raw[position]
            position += 1
            value |= (byte & 0x7F) << shift
            if not byte & 0x80:
                return value
            shift += 7

    def section() -> dict[int, bytes]:
        nonlocal position
        fields: dict[int, bytes] = {}
        while (kind := varint()) != 0:
            length = varint()
            fields[kind] = raw[position : position + length]
            position += length
        return fields

    header = section()
    caveats = []
    while raw[position] != 0:
        caveats.append(section().get(2, b""))
    return header.get(1, b"").decode(), caveats


def check_token_scope(credentials: Credentials, repository: Repository, project: str) -> None:
    """Refuse, before uploading, a PyPI token that cannot upload ``project`` here."""
    if credentials.password is None or not repository.pypi_host:
        return
    scope = inspect_pypi_token(credentials.password.reveal())
    if scope is None:
        return
    host = repository.pypi_host
    if scope.location and scope.location != host:
        raise CredentialsError(
            f"The token from {credentials.source} is a {scope.location} token, but the "
            f"repository {repository.name!r} is {host}; it would be refused.",
            f"Use a token created on {host}: tokens of PyPI and TestPyPI are not interchangeable.",
        )
    if scope.projects is not None and normalize_name(project) not in scope.projects:
        raise CredentialsError(
            f"The token from {credentials.source} may upload only "
            f"{', '.join(scope.projects) or 'no project'}, not {normalize_name(project)}.",
            f"Create a token scoped to {normalize_name(project)} (or to your account for a "
            "project's first upload).",
        )
    if scope.expires is not None and scope.expires < time.time():
        raise CredentialsError(
            f"The token from {credentials.source} expired at "
            f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(scope.expires))}.",
            "Create a new token.",
        )
