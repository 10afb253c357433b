"""The server: only with the [server] extra installed."""

import rk_not_installed_web  # noqa: F401
