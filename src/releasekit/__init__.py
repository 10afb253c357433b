"""releasekit: reusable, safe release tasks for nox, Invoke and the command line."""

from __future__ import annotations

from releasekit.config import ReleaseConfig, load_config
from releasekit.errors import ExitCode, ReleaseError

__all__ = ["ExitCode", "ReleaseConfig", "ReleaseError", "__version__", "load_config"]

__version__ = "0.1.0"
