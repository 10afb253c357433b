"""Reading a CI workflow file with PyYAML's safe loader: anchors and aliases (which GitHub
accepts) are followed, and a file that is not YAML is one clear sentence naming the line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


class WorkflowSyntaxError(ValueError):
    """The workflow file is not YAML (or not text)."""


def read_workflow(path: Path) -> Any:
    """The document in the workflow file ``path`` (dicts, lists, strings, numbers, bools)."""
    try:
        return read_workflow_text(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as error:
        raise WorkflowSyntaxError(f"it is not UTF-8 text (byte offset {error.start})") from None


def read_workflow_text(text: str) -> Any:
    """The document in ``text``; :class:`WorkflowSyntaxError` when it is not YAML."""
    try:
        return yaml.safe_load(text)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"line {mark.line + 1}: " if mark is not None else ""
        said = " ".join(filter(None, (error.context, error.problem)))
        raise WorkflowSyntaxError(f"{where}{said or 'not YAML'}") from None
    except (yaml.YAMLError, RecursionError) as error:
        raise WorkflowSyntaxError(f"not YAML ({error.__class__.__name__})") from None
