"""The pipelines: ``publish`` and ``release``, made of the steps and nothing else.

Each step announces itself and its outcome in one line with its timing. A failure stops
the pipeline and says which step failed and how to resume; resuming is safe because
every step is idempotent on a reproducible build (identical files on the index are
skipped, an existing tag at HEAD is accepted).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from releasekit.config import ReleaseConfig, Repository
from releasekit.errors import ReleaseError, UsageError, VcsError
from releasekit.runner import Runner


@dataclass(frozen=True)
class StepOutcome:
    name: str
    seconds: float
    outcome: str
    summary: Mapping[str, Any]


@dataclass(frozen=True)
class PipelineResult:
    pipeline: str
    project: str
    version: str
    steps: tuple[StepOutcome, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "step": self.pipeline,
            "ok": True,
            "project": self.project,
            "version": self.version,
            "steps": [
                {
                    "name": s.name,
                    "seconds": round(s.seconds, 2),
                    "outcome": s.outcome,
                    "summary": dict(s.summary),
                }
                for s in self.steps
            ],
        }


class PipelineError(ReleaseError):
    """A step failed; carries that step's exit code and says how to resume."""

    def __init__(
        self, pipeline: str, step: str, cause: ReleaseError, resume: str, done: list[StepOutcome]
    ) -> None:
        finished = ", ".join(s.name for s in done) or "none"
        super().__init__(
            f"{pipeline} stopped at step {step!r} (steps done: {finished}). {cause.message}",
            f"{cause.hint} {_next_move(resume)}".strip(),
        )
        self.exit_code = cause.exit_code
        self.step = step
        self.details = {
            "step": pipeline,
            "failed_step": step,
            "steps": [
                {"name": s.name, "seconds": round(s.seconds, 2), "outcome": s.outcome} for s in done
            ],
            "resume": resume or None,
        }


def _next_move(resume: str) -> str:
    if resume:
        return f"Then resume with: {resume}"
    return "Nothing was changed: run the same command again (not --resume)."


class _Pipeline:
    """Runs named steps in order, timing and announcing each."""

    def __init__(self, name: str, runner: Runner, resume: str) -> None:
        self.name = name
        self.runner = runner
        self.resume = resume
        self.done: list[StepOutcome] = []

    def step(self, name: str, action: Callable[[], tuple[str, Mapping[str, Any]]]) -> None:
        self.runner.log(f"releasekit: {self.name}: {name} ...")
        start = time.perf_counter()
        try:
            outcome, summary = action()
        except ReleaseError as exc:
            self.runner.log(
                f"releasekit: {self.name}: {name} FAILED ({time.perf_counter() - start:.1f} s)"
            )
            raise PipelineError(self.name, name, exc, self.resume, self.done) from exc
        except KeyboardInterrupt:
            self.runner.log(
                f"releasekit: {self.name}: {name} INTERRUPTED "
                f"({time.perf_counter() - start:.1f} s). {_next_move(self.resume)}"
            )
            raise
        seconds = time.perf_counter() - start
        self.done.append(StepOutcome(name, seconds, outcome, summary))
        self.runner.log(f"releasekit: {self.name}: {name}: {outcome} ({seconds:.1f} s)")


def _deliver(
    pipeline: _Pipeline,
    root: Path,
    config: ReleaseConfig,
    repository: Repository,
    *,
    yes: bool,
    env: Mapping[str, str] | None,
    install: bool | None,
    timeout: float | None,
    label: str,
) -> None:
    """check (first time only), upload and verify against one repository."""
    from releasekit.credentials import resolve_credentials
    from releasekit.steps.check import check_release
    from releasekit.steps.upload import upload_release
    from releasekit.steps.verify import verify_release

    runner = pipeline.runner
    checked = None
    if not any(s.name.startswith("check") for s in pipeline.done):

        def check() -> tuple[str, Mapping[str, Any]]:
            nonlocal checked
            checked = check_release(root, config, runner, repository)
            checked.raise_for_failures()
            there = len(checked.already_uploaded)
            return (
                f"all passed ({there} of {len(checked.artifacts)} files already on "
                f"{repository.name})"
            ), checked.to_json()

        pipeline.step(f"check ({repository.name})", check)

    def upload() -> tuple[str, Mapping[str, Any]]:
        result = upload_release(root, config, runner, repository, yes=yes, env=env, check=checked)
        return (
            f"uploaded {len(result.uploaded)}, skipped {len(result.skipped)} already there"
        ), result.to_json()

    def verify() -> tuple[str, Mapping[str, Any]]:
        try:
            credentials = resolve_credentials(repository, env=env)
        except ReleaseError:
            credentials = None
        result = verify_release(
            root,
            config,
            runner,
            repository,
            timeout=timeout,
            install=install,
            credentials=credentials,
        )
        installed = f", installed {result.install.installed_version}" if result.install else ""
        return (
            f"{len(result.files)} files match sha256 after {result.waited:.1f} s{installed}"
        ), result.to_json()

    pipeline.step(f"upload-{label}" if label else f"upload ({repository.name})", upload)
    pipeline.step(f"verify ({repository.name})", verify)


def publish(
    root: Path,
    config: ReleaseConfig,
    runner: Runner,
    *,
    test: bool = False,
    yes: bool = False,
    env: Mapping[str, str] | None = None,
    install: bool | None = None,
    timeout: float | None = None,
    resume: str = "the same command again",
    build: bool = True,
) -> PipelineResult:
    """build, check, upload and verify, to the test repository or to prod.

    ``build=False`` publishes what is already built (a monorepo builds all its packages
    in parallel first).
    """
    from releasekit.project import load_project
    from releasekit.steps.build import build_release
    from releasekit.steps.bump import current_version

    repository = config.repository("test" if test else "prod")
    pipeline = _Pipeline("publish", runner, resume)
    project = load_project(root, config)
    built = {"project": project.name, "version": str(current_version(project, config, runner))}

    def build_step() -> tuple[str, Mapping[str, Any]]:
        result = build_release(root, config, runner)
        built.update(project=result.project, version=result.version)
        return (
            f"{result.project} {result.version}, {len(result.artifacts)} artifacts",
            result.to_json(),
        )

    if build:
        pipeline.step("build", build_step)
    _deliver(
        pipeline,
        root,
        config,
        repository,
        yes=yes,
        env=env,
        install=install,
        timeout=timeout,
        label="test" if test else "prod",
    )
    return PipelineResult("publish", built["project"], built["version"], tuple(pipeline.done))


def release(
    root: Path,
    config: ReleaseConfig,
    runner: Runner,
    part: str | None,
    *,
    resume: bool = False,
    yes: bool = False,
    env: Mapping[str, str] | None = None,
    install: bool | None = None,
    timeout: float | None = None,
    resume_command: str = "releasekit release --resume",
) -> PipelineResult:
    """bump (commit), build, check, upload-test, verify, upload-prod, verify, tag, push.

    With ``resume``, starts from the current version without bumping; every later step
    skips what is already done.
    """
    from releasekit.project import load_project
    from releasekit.steps.build import build_release
    from releasekit.steps.bump import bump_version, current_version

    # Until the bump is committed there is nothing to resume: --resume would release the
    # current, unbumped version.
    pipeline = _Pipeline("release", runner, "" if not resume else resume_command)
    if not resume:
        if not part:
            raise UsageError(
                "release needs the version part to bump (e.g. patch) or --resume.",
                "Example: releasekit release minor",
            )
        bump_config = dataclasses.replace(config, commit=True, tag=False)

        def bump() -> tuple[str, Mapping[str, Any]]:
            result = bump_version(root, bump_config, part, runner)
            return f"{result.previous} -> {result.version}", result.to_json()

        pipeline.step("bump-version", bump)
    pipeline.resume = resume_command
    project = load_project(root, config)
    version = str(current_version(project, config, runner))

    def build() -> tuple[str, Mapping[str, Any]]:
        result = build_release(root, config, runner)
        return f"{len(result.artifacts)} artifacts", result.to_json()

    pipeline.step("build", build)
    if config.release_test_first:
        _deliver(
            pipeline,
            root,
            config,
            config.repository("test"),
            yes=yes,
            env=env,
            install=install,
            timeout=timeout,
            label="test",
        )
    _deliver(
        pipeline,
        root,
        config,
        config.repository("prod"),
        yes=yes,
        env=env,
        install=install,
        timeout=timeout,
        label="prod",
    )
    pipeline.step("tag", lambda: _tag(root, config, runner, project.name, version))
    if config.release_push:
        pipeline.step("push", lambda: _push(root, config, runner, project.name, version))
    return PipelineResult("release", project.name, version, tuple(pipeline.done))


def _tag(
    root: Path, config: ReleaseConfig, runner: Runner, name: str, version: str
) -> tuple[str, Mapping[str, Any]]:
    from releasekit.vcs import Git

    git = Git(runner, root)
    tag = config.format_tag(version, name)
    at = git.tag_commit(tag)
    if at is None:
        git.create_tag(tag, config.tag_message.format(version=version, name=name, tag=tag))
        return f"created {tag}", {"tag": tag, "created": True}
    if at == git.head():
        return f"{tag} already at HEAD", {"tag": tag, "created": False}
    changed = git.changed_since(at)
    if changed:
        raise VcsError(
            f"The tag {tag} exists but points at {at[:12]}, and the project's files changed "
            f"since ({', '.join(changed[:5])}).",
            "Check out the released commit, or delete the stale tag.",
        )
    return f"{tag} already on {at[:12]} (same project files)", {"tag": tag, "created": False}


def _push(
    root: Path, config: ReleaseConfig, runner: Runner, name: str, version: str
) -> tuple[str, Mapping[str, Any]]:
    from releasekit.vcs import Git

    git = Git(runner, root)
    remote = config.release_remote
    if remote not in git.remotes():
        return f"no git remote {remote!r}: nothing pushed", {"pushed": False}
    tag = config.format_tag(version, name)
    git.push(remote, tag)
    return f"pushed {git.branch() or 'HEAD'} and {tag} to {remote}", {"pushed": True}
