"""One module per release step: plain functions over a ReleaseConfig and a Runner."""

from __future__ import annotations

from typing import Any


def step_head(step: str, project: str, version: str, **more: Any) -> dict[str, Any]:
    """What every step's ``--json`` document starts with; its own keys follow."""
    return {"step": step, "ok": True, "project": project, "version": version, **more}
