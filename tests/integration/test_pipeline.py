"""The publish and release pipelines, in process, on the sample project and two real
pypiservers: progress lines, and releases stopped at every step then resumed."""

from __future__ import annotations

import dataclasses
import io
import re
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from index_servers import PypiServer
from release_project import (
    RELEASE_STEPS,
    PypiServers,
    git,
    repositories,
    sha256_files,
    version_in,
    write_project,
)
from releasekit import pipeline
from releasekit.config import Repository, load_config
from releasekit.errors import ExitCode, ReleaseError
from releasekit.pipeline import Delivery, PipelineError, PipelineResult, Steps
from releasekit.plan import ReleasePlan, resolve_plan
from releasekit.runner import SubprocessRunner
from releasekit.targets import select_repository

RESUME = "releasekit release --resume"
# Every commit and tag gets the same date, so two runs on identical projects make
# identical commits, hence identical SOURCE_DATE_EPOCH and byte-identical artifacts.
GIT_DATE = "2024-05-01T12:00:00+00:00"


@pytest.fixture(autouse=True)
def fixed_git_dates(monkeypatch: pytest.MonkeyPatch) -> None:
    for role in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{role}_DATE", GIT_DATE)


@dataclass(frozen=True)
class Sample:
    """The sample project and its own two indexes (named in a file outside the project,
    so the project's bytes do not depend on the servers' ports)."""

    root: Path
    indexes: Path
    test: PypiServer
    prod: PypiServer

    def release(
        self,
        part: str | None,
        *,
        runner: SubprocessRunner | None = None,
        overrides: dict[str, Any] | None = None,
        steps: Steps | None = None,
    ) -> PipelineResult:
        """``release PART --yes`` (``--resume`` if no PART), configured like the CLI."""
        runner = runner or quiet_runner()
        plan = self.plan(runner, overrides, bump=part)
        return pipeline.release(plan, runner, Delivery(yes=True), resume=RESUME, steps=steps)

    def plan(
        self,
        runner: SubprocessRunner,
        overrides: dict[str, Any] | None = None,
        *,
        bump: str | None = None,
        targets: tuple[str, ...] | None = None,
    ) -> ReleasePlan:
        config = load_config(self.root, config_file=self.indexes, overrides=overrides)
        names = targets or (("test", "prod") if config.release_test_first else ("prod",))
        repositories = [select_repository(config, name) for name in names]
        return resolve_plan(self.root, config, runner, bump=bump, targets=repositories)

    def end_state(self) -> dict[str, Any]:
        """What a release leaves behind, everywhere a user would look."""
        return {
            "version": version_in(self.root),
            "commits": git(self.root, "log", "--format=%H %s"),
            "tags": git(
                self.root,
                "for-each-ref",
                "refs/tags",
                "--format=%(refname) %(objectname) %(*objectname) %(contents:subject)",
            ),
            "origin": git(self.root, "ls-remote", "origin"),
            "uncommitted": git(self.root, "status", "--porcelain"),
            "dist": sha256_files(self.root / "dist"),
            "test": sha256_files(self.test.packages_dir),
            "prod": sha256_files(self.prod.packages_dir),
        }


def quiet_runner() -> SubprocessRunner:
    return SubprocessRunner(stream=io.StringIO())


def log_of(runner: SubprocessRunner) -> str:
    stream = runner.stream
    assert isinstance(stream, io.StringIO)
    return stream.getvalue()


def new_sample(tmp_path: Path, servers: PypiServers, name: str = "project") -> Sample:
    test, prod = servers.start(f"{name}-test"), servers.start(f"{name}-prod")
    indexes = tmp_path / f"{name}-indexes.toml"
    indexes.write_text(repositories(test, prod, table=""), encoding="utf-8")
    return Sample(write_project(tmp_path / name, origin=True), indexes, test, prod)


_reference: dict[str, Any] = {}


@pytest.fixture
def uninterrupted(tmp_path: Path, servers: PypiServers) -> dict[str, Any]:
    """The end state and log of ``release patch`` run once, without interruption, on a
    fresh identical project (computed once per test session)."""
    if not _reference:
        sample = new_sample(tmp_path, servers, "reference")
        runner = quiet_runner()
        result = sample.release("patch", runner=runner)
        _reference.update(state=sample.end_state(), log=log_of(runner), result=result)
    return _reference


# --- progress and the uninterrupted pipelines ----------------------------------------


def test_release_announces_each_step_and_its_outcome_with_timing(
    uninterrupted: dict[str, Any],
) -> None:
    result: PipelineResult = uninterrupted["result"]
    lines = uninterrupted["log"]

    assert [s.name for s in result.steps] == list(RELEASE_STEPS)
    for step in RELEASE_STEPS:
        start = lines.index(f"releasekit: release: {step} ...\n")
        outcome = re.compile(rf"^releasekit: release: {re.escape(step)}: .+ \(\d+\.\d s\)$", re.M)
        found = outcome.search(lines, start)
        assert found, lines
        # The outcome is the next progress line after the announcement.
        between = lines[start : found.start()].splitlines()[1:]
        assert not [line for line in between if line.startswith("releasekit:")], lines
    state = uninterrupted["state"]
    assert state["version"] == "1.0.1"
    assert state["commits"].splitlines()[0].endswith(" Release 1.0.1")
    assert state["test"] == state["prod"] == state["dist"]
    assert set(state["dist"]) == {"rk_demo-1.0.1-py3-none-any.whl", "rk_demo-1.0.1.tar.gz"}
    assert "refs/tags/v1.0.1" in state["origin"]
    assert state["uncommitted"] == ""
    summary = result.to_json()
    assert summary["version"] == "1.0.1"
    assert [s["name"] for s in summary["steps"]] == list(RELEASE_STEPS)
    assert all(s["seconds"] >= 0 for s in summary["steps"])


def test_release_without_the_test_index_goes_straight_to_prod(
    tmp_path: Path, servers: PypiServers
) -> None:
    sample = new_sample(tmp_path, servers)

    result = sample.release("minor", overrides={"release.test-first": False})

    assert [s.name for s in result.steps] == [
        "bump-version",
        "build",
        "check (prod)",
        "upload (prod)",
        "verify (prod)",
        "tag",
        "push",
    ]
    assert sha256_files(sample.test.packages_dir) == {}
    assert sha256_files(sample.prod.packages_dir) == sha256_files(sample.root / "dist")
    assert git(sample.root, "tag") == "v1.1.0"


def test_publish_builds_checks_uploads_and_verifies_on_prod(
    tmp_path: Path, servers: PypiServers
) -> None:
    sample = new_sample(tmp_path, servers)
    runner = quiet_runner()

    result = pipeline.publish(sample.plan(runner, targets=("prod",)), runner, Delivery(yes=True))

    assert [s.name for s in result.steps] == [
        "build",
        "check (prod)",
        "upload (prod)",
        "verify (prod)",
    ]
    assert (result.project, result.version) == ("rk-demo", "1.0.0")
    assert sha256_files(sample.prod.packages_dir) == sha256_files(sample.root / "dist")
    assert sha256_files(sample.test.packages_dir) == {}
    assert git(sample.root, "tag") == ""  # publish neither bumps nor tags


def test_release_without_a_part_or_resume_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from releasekit.cli import main

    root = write_project(tmp_path / "project", origin=True)

    assert main(["release", "--project", str(root)]) == ExitCode.USAGE
    assert "release needs the version part" in capsys.readouterr().err


# --- stopped at each step, then resumed ----------------------------------------------

# Step -> (the pipeline's Steps field that does its work, repository it must fail for).
STEP_FUNCTIONS: dict[str, tuple[str, str | None]] = {
    "bump-version": ("bump", None),
    "build": ("build", None),
    "check (test)": ("check", "test"),
    "upload (test)": ("upload", "test"),
    "verify (test)": ("verify", "test"),
    "check (prod)": ("check", "prod"),
    "upload (prod)": ("upload", "prod"),
    "verify (prod)": ("verify", "prod"),
    "tag": ("tag", None),
    "push": ("push", None),
}
assert tuple(STEP_FUNCTIONS) == RELEASE_STEPS


def failing(step: str, original: Callable[..., Any], repository: str | None) -> Callable[..., Any]:
    def fail(*args: Any, **kwargs: Any) -> Any:
        if kwargs.get("dry_run"):
            # The pre-flight's dry run of the bump: the failure is one it cannot foresee
            # (a commit hook, a full disk), in the real bump.
            return original(*args, **kwargs)
        target = next((a for a in args if isinstance(a, Repository)), None)
        if repository is None or (target is not None and target.name == repository):
            raise ReleaseError(f"Injected failure in {step}.", "Fix the injected fault.")
        return original(*args, **kwargs)

    return fail


@pytest.mark.parametrize("step", RELEASE_STEPS)
def test_release_failed_at_each_step_resumes_to_the_uninterrupted_result(
    tmp_path: Path,
    servers: PypiServers,
    monkeypatch: pytest.MonkeyPatch,
    uninterrupted: dict[str, Any],
    step: str,
) -> None:
    sample = new_sample(tmp_path, servers)
    field, repository = STEP_FUNCTIONS[step]
    runner = quiet_runner()
    real = Steps.real()
    faulty = dataclasses.replace(real, **{field: failing(step, getattr(real, field), repository)})

    with pytest.raises(PipelineError) as raised:
        sample.release("patch", runner=runner, steps=faulty)

    error = raised.value
    assert error.step == step
    done = ", ".join(RELEASE_STEPS[: RELEASE_STEPS.index(step)]) or "none"
    assert error.message == (
        f"release stopped at step {step!r} (steps done: {done}). Injected failure in {step}."
    )
    assert re.search(
        rf"^releasekit: release: {re.escape(step)} FAILED \(\d+\.\d s\)$", log_of(runner), re.M
    )
    if step == "bump-version":
        # Nothing was bumped: --resume would release the old version.
        assert error.hint.endswith("run the same command again once the cause is fixed.")
        assert sample.end_state()["commits"].endswith(" Initial commit")
        resumed = sample.release("patch")
    else:
        assert error.hint == f"Fix the injected fault. Then resume with: {RESUME}"
        resumed = sample.release(None)
        assert [s.name for s in resumed.steps] == list(RELEASE_STEPS[1:])

    assert resumed.version == "1.0.1"
    if step == "push":
        assert {s.name: s.outcome for s in resumed.steps}["tag"] == "v1.0.1 already at HEAD"
    assert sample.end_state() == uninterrupted["state"]


def interrupting_runner(after: str) -> SubprocessRunner:
    """A runner whose user presses Ctrl-C as soon as ``after`` has done its work."""

    class Interrupting(SubprocessRunner):
        def log(self, message: str) -> None:
            super().log(message)
            if message.startswith(f"releasekit: release: {after}: "):
                raise KeyboardInterrupt

    return Interrupting(stream=io.StringIO())


# The state after each step is also where a failure in the next one leaves it (above);
# these prove a Ctrl-C between steps is as safe, where it matters most.
@pytest.mark.parametrize("step", ["bump-version", "upload (prod)"])
def test_release_interrupted_after_a_step_did_its_work_resumes_without_redoing_it(
    tmp_path: Path, servers: PypiServers, uninterrupted: dict[str, Any], step: str
) -> None:
    sample = new_sample(tmp_path, servers)

    with pytest.raises(KeyboardInterrupt):
        sample.release("patch", runner=interrupting_runner(step))
    resumed = sample.release(None)

    outcomes = {s.name: s.outcome for s in resumed.steps}
    assert "bump-version" not in outcomes
    if step == "upload (prod)":
        assert outcomes[step] == "uploaded 0, skipped 2 already there"
    assert sample.end_state() == uninterrupted["state"]


def test_release_interrupted_inside_a_step_says_how_to_resume(
    tmp_path: Path, servers: PypiServers, uninterrupted: dict[str, Any]
) -> None:
    sample = new_sample(tmp_path, servers)

    class CtrlCAtProdUpload(SubprocessRunner):
        def log(self, message: str) -> None:
            # The upload step announces its files just before the first byte goes out.
            if message.startswith("uploading ") and f"to prod ({sample.prod.upload_url})" in (
                message
            ):
                raise KeyboardInterrupt
            super().log(message)

    runner = CtrlCAtProdUpload(stream=io.StringIO())
    with pytest.raises(KeyboardInterrupt):
        sample.release("patch", runner=runner)

    assert re.search(
        r"^releasekit: release: upload \(prod\) INTERRUPTED \(\d+\.\d s\)\. "
        rf"Resume with: {RESUME}$",
        log_of(runner),
        re.M,
    )
    assert sha256_files(sample.prod.packages_dir) == {}
    sample.release(None)
    assert sample.end_state() == uninterrupted["state"]


def test_the_tag_step_accepts_an_earlier_tag_only_on_the_same_project_files(
    tmp_path: Path,
) -> None:
    from layouts import copy_project, git_init
    from releasekit.errors import VcsError

    root = git_init(copy_project("static", tmp_path / "demo"), tag="v1.2.3")
    config, runner = load_config(root, env={}), SubprocessRunner(echo=False)

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)

    git("commit", "--quiet", "--allow-empty", "-m", "CI config only")
    plan = resolve_plan(root, config, runner)
    text, details = pipeline._tag(plan, runner)
    assert re.fullmatch(r"v1\.2\.3 already on [0-9a-f]{12} \(same project files\)", text)
    tagged = subprocess.run(
        ["git", "rev-parse", "v1.2.3^{commit}"],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert details == {"tag": "v1.2.3", "created": False, "commit": tagged}

    (root / "NEWS.txt").write_text("changed\n")
    git("add", "NEWS.txt")
    git("commit", "--quiet", "-m", "A change after the release")
    with pytest.raises(VcsError, match=r"the project's files changed since \(NEWS.txt\)"):
        pipeline._tag(plan, runner)


def test_a_hint_without_a_full_stop_gets_one_before_the_next_move() -> None:
    from releasekit.pipeline import _sentences

    assert _sentences("Run it again", "Then resume with: rk --resume") == (
        "Run it again. Then resume with: rk --resume"
    )
    assert _sentences("Fixed.", "Then resume with: rk") == "Fixed. Then resume with: rk"
    assert _sentences("", "Nothing was changed.") == "Nothing was changed."
