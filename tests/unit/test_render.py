"""The text output of the pipelines: every warning and note of every step is printed, as
--json holds them."""

from __future__ import annotations

from types import SimpleNamespace
from typing import cast

from releasekit import render
from releasekit.pipeline import PipelineResult, StepOutcome
from releasekit.plan import ReleasePlan
from releasekit.preflight import PreflightResult

STALE = "CHANGELOG.md does not mention 1.0.10"


def test_release_text_ends_with_every_steps_warnings_and_notes_once() -> None:
    plan = cast(ReleasePlan, SimpleNamespace(name="demo", version="1.0.10"))
    check = {"ok": True, "warnings": [STALE], "notes": ["classifiers not checked"]}
    result = PipelineResult(
        "release",
        plan,
        (
            StepOutcome("bump-version", 0.1, "1.0.9 -> 1.0.10", {"notes": ["no Unreleased"]}),
            StepOutcome("build", 1.0, "2 artifacts", {"notes": []}),
            StepOutcome("check (test)", 0.2, "all passed", check),
            StepOutcome("check (prod)", 0.2, "all passed", check),
            StepOutcome("tag", 0.0, "created v1.0.10", {"tag": "v1.0.10"}),
        ),
        PreflightResult(("git",), (), ("tag-format learned from v1.0.9",)),
    )

    text = render.pipeline(result)

    assert text.splitlines()[-5:] == [
        "notes:",
        f"  warning: {STALE}",
        "  note: tag-format learned from v1.0.9",
        "  note: no Unreleased",
        "  note: classifiers not checked",
    ]


def test_a_release_with_nothing_to_say_has_no_notes_block() -> None:
    plan = cast(ReleasePlan, SimpleNamespace(name="demo", version="1.0.10"))
    result = PipelineResult("publish", plan, (StepOutcome("build", 1.0, "2 artifacts", {}),))

    assert "notes:" not in render.pipeline(result)
