"""acme-demo's Invoke tasks: the organisation's release tasks (invoke publish --test)."""

from __future__ import annotations

from releasekit.invoke import release_tasks as ns

__all__ = ["ns"]
