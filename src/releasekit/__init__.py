"""releasekit: reusable, safe release tasks for nox, Invoke and the command line."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from releasekit.errors import ExitCode, ReleaseError

if TYPE_CHECKING:
    from releasekit.config import ReleaseConfig, load_config

__all__ = ["ExitCode", "ReleaseConfig", "ReleaseError", "__version__", "load_config"]

__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    # The configuration machinery loads on first use, not when a noxfile imports
    # releasekit.nox: `nox -l` must not pay for it.
    if name in ("ReleaseConfig", "load_config"):
        from releasekit import config

        return getattr(config, name)
    raise AttributeError(f"module 'releasekit' has no attribute {name!r}")
