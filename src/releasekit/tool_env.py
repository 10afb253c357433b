"""twine's and uv's environment variables, meaning in releasekit what they mean there, so
that a CI job set up for ``twine upload`` or ``uv publish`` releases unchanged.

Where to upload, for the commands that name no repository of their own (``upload``,
``check``, ``verify``, ``plan``), first found wins: ``--repository-url`` /
``--repository``; ``TWINE_REPOSITORY_URL`` or ``UV_PUBLISH_URL`` (both set and different
is an error: nobody can tell which was meant); ``TWINE_REPOSITORY`` (a configured
repository or a ``.pypirc`` section); ``test``. The index read for "already there?" and
verify: ``--index-url``, then ``UV_PUBLISH_CHECK_URL`` (uv's), then the one derived from
the upload URL. Credentials: see :func:`releasekit.credentials.resolve_credentials`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from releasekit.errors import UsageError

# Set by twine's and uv's users; read by releasekit with their meaning.
REPOSITORY_URL_VARIABLES = ("TWINE_REPOSITORY_URL", "UV_PUBLISH_URL")
NON_INTERACTIVE = "TWINE_NON_INTERACTIVE"


@dataclass(frozen=True)
class EnvTarget:
    """Where twine's or uv's variables say to upload: a URL or a repository name."""

    source: str  # the variable that said so
    url: str = ""
    name: str = ""
    index_url: str = ""  # UV_PUBLISH_CHECK_URL, "" when not set


def target_from_env(env: Mapping[str, str] | None = None) -> EnvTarget | None:
    """The upload target twine's and uv's variables name; None when they name none."""
    env = os.environ if env is None else env
    given = {v: env[v] for v in REPOSITORY_URL_VARIABLES if env.get(v)}
    if len(set(given.values())) > 1:
        raise UsageError(
            "TWINE_REPOSITORY_URL and UV_PUBLISH_URL are both set, to different URLs: "
            + ", ".join(f"{v}={u}" for v, u in given.items())
            + ".",
            "Unset one of them, or name the repository with --repository-url.",
        )
    check_url = env.get("UV_PUBLISH_CHECK_URL", "")
    if given:
        source, url = next(iter(given.items()))
        return EnvTarget(source, url=url, index_url=check_url)
    if env.get("TWINE_REPOSITORY"):
        return EnvTarget("TWINE_REPOSITORY", name=env["TWINE_REPOSITORY"])
    return None


def can_prompt(env: Mapping[str, str] | None = None) -> bool:
    """Whether releasekit may ask a question: a terminal, and not TWINE_NON_INTERACTIVE."""
    import sys

    env = os.environ if env is None else env
    value = env.get(NON_INTERACTIVE, "").strip().lower()
    return sys.stdin.isatty() and value in ("", "0", "false", "no", "off")
