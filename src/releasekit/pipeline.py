"""The pipelines: ``publish`` and ``release``, made of the steps and nothing else.

Both start from a resolved :class:`~releasekit.plan.ReleasePlan` and run the pre-flight
(:mod:`releasekit.preflight`) before anything changes. Each step announces itself and its
outcome in one line with its timing. A failure stops the pipeline and says which step
failed and the one command that resumes it; resuming is safe because every step is
idempotent (identical files on the index are skipped, an existing tag at HEAD is
accepted), and the build is not redone once its files went to an index: the files sent
are reused (:mod:`releasekit.build_record`), since not every backend rebuilds them byte
for byte. A started release leaves a note in the git directory until it
is finished, so running ``release PART`` again cannot release the next version instead.
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from releasekit.build_record import built_commit, reusable_build, sent_record
from releasekit.errors import ReleaseError, UsageError, VcsError
from releasekit.lock import release_lock
from releasekit.plan import ReleasePlan, pipeline_steps
from releasekit.preflight import run_preflight
from releasekit.runner import Runner
from releasekit.steps.build import build_release
from releasekit.steps.bump import bump_version
from releasekit.steps.check import check_release
from releasekit.steps.upload import upload_release
from releasekit.steps.verify import verify_release
from releasekit.vcs import Git

if TYPE_CHECKING:
    from releasekit.comparison import CheckResult
    from releasekit.preflight import PreflightResult
    from releasekit.repositories import Repository


@dataclass(frozen=True)
class StepOutcome:
    name: str
    seconds: float
    outcome: str
    summary: Mapping[str, Any]


@dataclass(frozen=True)
class PipelineResult:
    pipeline: str
    plan: ReleasePlan
    steps: tuple[StepOutcome, ...]
    preflight: PreflightResult | None = None
    dry_run: bool = False

    @property
    def project(self) -> str:
        return self.plan.name

    @property
    def version(self) -> str:
        return str(self.plan.version)

    def to_json(self) -> dict[str, Any]:
        summary: dict[str, Any] = {
            "step": self.pipeline,
            "ok": self.preflight.ok if self.preflight is not None else True,
            "dry_run": self.dry_run,
            "project": self.project,
            "version": self.version,
        }
        if self.dry_run:
            summary["plan"] = self.plan.to_json()
        if self.preflight is not None:
            summary["preflight"] = self.preflight.to_json()
        summary["steps"] = [
            {
                "name": s.name,
                "seconds": round(s.seconds, 2),
                "outcome": s.outcome,
                "summary": dict(s.summary),
            }
            for s in self.steps
        ]
        return summary


class PipelineError(ReleaseError):
    """A step failed; carries that step's exit code and says how to resume."""

    def __init__(
        self, pipeline: str, step: str, cause: ReleaseError, resume: str, done: list[StepOutcome]
    ) -> None:
        finished = ", ".join(s.name for s in done) or "none"
        super().__init__(
            f"{pipeline} stopped at step {step!r} (steps done: {finished}). {cause.message}",
            _sentences(cause.hint, _next_move(resume)),
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


def _sentences(hint: str, next_move: str) -> str:
    """The cause's hint, ended as a sentence, then the next move (which may end in a
    command to copy: nothing is added to it)."""
    hint = hint.strip()
    if hint and not hint.endswith((".", "!", "?", ":")):
        hint += "."
    return f"{hint} {next_move}".strip()


def _next_move(resume: str) -> str:
    if resume:
        return f"Then resume with: {resume}"
    return "Nothing was changed: run the same command again once the cause is fixed."


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
            move = f"Resume with: {self.resume}" if self.resume else "Nothing was changed."
            self.runner.log(
                f"releasekit: {self.name}: {name} INTERRUPTED "
                f"({time.perf_counter() - start:.1f} s). {move}"
            )
            raise
        seconds = time.perf_counter() - start
        self.done.append(StepOutcome(name, seconds, outcome, summary))
        self.runner.log(f"releasekit: {self.name}: {name}: {outcome} ({seconds:.1f} s)")


@dataclass(frozen=True)
class Steps:
    """The functions the pipelines call for each step. Tests inject a fault by passing
    one replaced (``dataclasses.replace(Steps.real(), upload=failing)``)."""

    bump: Callable[..., Any]
    build: Callable[..., Any]
    check: Callable[..., Any]
    upload: Callable[..., Any]
    verify: Callable[..., Any]
    tag: Callable[[ReleasePlan, Runner], tuple[str, Mapping[str, Any]]]
    push: Callable[[ReleasePlan, Runner], tuple[str, Mapping[str, Any]]]

    @classmethod
    def real(cls) -> Steps:

        return cls(
            bump=bump_version,
            build=build_release,
            check=check_release,
            upload=upload_release,
            verify=verify_release,
            tag=_tag,
            push=_push,
        )


@dataclass(frozen=True)
class Delivery:
    """How each target is delivered to: confirmation, verify's settings, the environment."""

    yes: bool = False
    env: Mapping[str, str] | None = None
    install: bool | None = None
    timeout: float | None = None


def _deliver(
    pipeline: _Pipeline,
    plan: ReleasePlan,
    repository: Repository,
    delivery: Delivery,
    steps: Steps,
    *,
    first: bool,
) -> None:
    """check, upload and verify against one repository. The artifact checks (twine,
    names, metadata) run for the first repository only: the files are the same."""
    runner = pipeline.runner
    checked: CheckResult | None = None
    target = plan.target(repository, delivery.env)

    def check() -> tuple[str, Mapping[str, Any]]:
        nonlocal checked
        index = target.index(log=runner.log)
        checked = steps.check(plan, runner, repository, index=index, artifact_checks=first)
        checked.raise_for_failures()
        there = len(checked.already_uploaded)
        return (
            f"all passed ({there} of {len(checked.artifacts)} files already on {repository.name})"
        ), checked.to_json()

    def upload() -> tuple[str, Mapping[str, Any]]:
        assert checked is not None
        result = steps.upload(plan, runner, repository, checked, yes=delivery.yes, env=delivery.env)
        return (
            f"uploaded {len(result.uploaded)}, skipped {len(result.skipped)} already there"
        ), result.to_json()

    def verify() -> tuple[str, Mapping[str, Any]]:
        result = steps.verify(
            plan,
            runner,
            repository,
            timeout=delivery.timeout,
            install=delivery.install,
        )
        installed = f", installed {result.install.installed_version}" if result.install else ""
        return (
            f"{len(result.files)} files match sha256 after {result.waited:.1f} s{installed}"
        ), result.to_json()

    pipeline.step(f"check ({repository.name})", check)
    pipeline.step(f"upload ({repository.name})", upload)
    pipeline.step(f"verify ({repository.name})", verify)


def _preflight(
    plan: ReleasePlan,
    runner: Runner,
    command: str,
    delivery: Delivery,
    also: Callable[[PreflightResult], tuple[list[str], list[str]]] | None = None,
) -> PreflightResult:
    """The pre-flight, and the failures and notes ``also`` finds given its result."""

    runner.log(f"releasekit: {command}: pre-flight ...")
    start = time.perf_counter()
    result = run_preflight(plan, runner, command=command, env=delivery.env, confirmed=delivery.yes)
    if also is not None:
        failures, notes = also(result)
        result = dataclasses.replace(
            result, failures=(*result.failures, *failures), notes=(*result.notes, *notes)
        )
    verdict = "passed" if result.ok else f"{len(result.failures)} problem(s)"
    runner.log(
        f"releasekit: {command}: pre-flight: {verdict} ({time.perf_counter() - start:.1f} s)"
    )
    for note in result.notes:
        runner.log(f"releasekit: {command}: note: {note}")
    return result


def publish(
    plan: ReleasePlan,
    runner: Runner,
    delivery: Delivery = Delivery(),
    *,
    resume: str = "",
    build: bool = True,
    dry_run: bool = False,
    steps: Steps | None = None,
) -> PipelineResult:
    """Pre-flight, then build, check, upload and verify to each of ``plan.targets``.

    ``build=False`` publishes what is already built (a monorepo builds all its packages
    in parallel first).
    """
    with release_lock(plan.root, runner, "publish"):
        return _publish(plan, runner, delivery, resume, build, dry_run, steps or Steps.real())


def _publish(
    plan: ReleasePlan,
    runner: Runner,
    delivery: Delivery,
    resume: str,
    build: bool,
    dry_run: bool,
    steps: Steps,
) -> PipelineResult:
    plan = _as_things_are(pipeline_steps(plan, "publish", build=build), Git(runner, plan.root))
    preflight = _preflight(plan, runner, "publish", delivery)
    if dry_run:
        return PipelineResult("publish", plan, (), preflight, dry_run=True)
    preflight.raise_for_failures(f"publish {plan.name} {plan.version}")
    # Publishing is idempotent: the same command resumes it.
    pipeline = _Pipeline("publish", runner, resume)

    def build_step() -> tuple[str, Mapping[str, Any]]:
        reused = reusable_build(plan, runner)
        if reused is not None:
            return reused.describe(), reused.to_json()
        result = steps.build(plan, runner)
        return (
            f"{result.project} {result.version}, {len(result.artifacts)} artifacts",
            result.to_json(),
        )

    if build:
        pipeline.step("build", build_step)
    for position, repository in enumerate(plan.targets):
        _deliver(pipeline, plan, repository, delivery, steps, first=position == 0)
    return PipelineResult("publish", plan, tuple(pipeline.done), preflight)


def release(
    plan: ReleasePlan,
    runner: Runner,
    delivery: Delivery = Delivery(),
    *,
    resume: str,
    dry_run: bool = False,
    steps: Steps | None = None,
) -> PipelineResult:
    """Pre-flight, then bump (commit), build, check, upload, verify for each target, tag,
    push.

    ``plan.bump`` None resumes: the current version is released, every step skipping what
    is already done. ``resume`` is the command that continues this release once it has
    changed something.
    """
    # Dry runs too: what they would say of a release another run is changing is stale.
    with release_lock(plan.root, runner, "release"):
        return _release(plan, runner, delivery, resume, dry_run, steps or Steps.real())


def _release(
    plan: ReleasePlan,
    runner: Runner,
    delivery: Delivery,
    resume: str,
    dry_run: bool,
    steps: Steps,
) -> PipelineResult:
    git = Git(runner, plan.root)
    state = ReleaseState(git) if git.is_repository() else None
    if plan.bump and state is not None:
        state.refuse_if_unfinished(plan, git)
    elif state is not None:
        state.refuse_if_nothing_to_resume(plan, git)
    plan = pipeline_steps(plan, "release", remotes=git.remotes() if state is not None else None)
    if state is not None:
        plan = _as_things_are(plan, git)
    # A version taken from git tags is bumped by its tag, which the build then reads;
    # any other is tagged at the end, once every target has the release.
    tag_at_bump = plan.project.vcs_versioned

    def bump_refusals(found: PreflightResult) -> tuple[list[str], list[str]]:
        """The bump's own refusals (nothing to rewrite, tagging off, ...) and notes (an
        empty changelog section), by its dry run now, not after the release went out."""
        if not plan.bump or ("git" not in found.passed and state is not None):
            return [], []  # a dirty tree or a taken tag is reported once, by the git check
        try:
            bumped = steps.bump(
                plan, runner, dry_run=True, commit_override=True, tag_override=tag_at_bump
            )
        except ReleaseError as exc:
            return [f"bump-version: {exc}"], []
        # The same words as the bump's own notes, so the final notes block says each once.
        return [], list(getattr(bumped, "notes", ()))

    preflight = _preflight(plan, runner, "release", delivery, also=bump_refusals)
    what = f"release {plan.name} {plan.version}"
    if dry_run:
        return PipelineResult("release", plan, (), preflight, dry_run=True)
    preflight.raise_for_failures(what)

    # Until the bump is committed there is nothing to resume.
    pipeline = _Pipeline("release", runner, "" if plan.bump else resume)
    if plan.bump:

        def bump() -> tuple[str, Mapping[str, Any]]:
            # Noted before the commit: a kill right after it must leave a release to resume.
            if state is not None:
                state.started(plan, resume)
            try:
                result = steps.bump(plan, runner, commit_override=True, tag_override=tag_at_bump)
            except ReleaseError:
                if state is not None:
                    state.abandoned(plan)  # the bump rolled back: nothing to resume
                raise
            return f"{result.previous} -> {result.version}", result.to_json()

        pipeline.step("bump-version", bump)
        pipeline.resume = resume

    def build() -> tuple[str, Mapping[str, Any]]:
        # The release's tag pins the commit its files were built from: commits since
        # (a pull, a fix) are not in it and change nothing that was sent.
        reused = reusable_build(plan, runner, commits_after=True)
        if reused is not None:
            return reused.describe(), reused.to_json()
        result = steps.build(plan, runner)
        return f"{len(result.artifacts)} artifacts", result.to_json()

    pipeline.step("build", build)
    for position, repository in enumerate(plan.targets):
        _deliver(pipeline, plan, repository, delivery, steps, first=position == 0)
    pipeline.step("tag", lambda: steps.tag(plan, runner))
    if plan.config.release_push:
        pipeline.step("push", lambda: steps.push(plan, runner))
    if state is not None:
        state.finished(plan)
    return PipelineResult("release", plan, tuple(pipeline.done), preflight)


def _as_things_are(plan: ReleasePlan, git: Git) -> ReleasePlan:
    """The plan's build and tag steps as this checkout has them (a dry run of a resumed
    release says what it will do): files whose upload began are sent again, a tag that
    exists is kept where it is."""
    if not git.is_repository():
        return plan
    version = str(plan.version)
    sent = sent_record(git, plan.name, version)
    built = built_commit(git, plan.name, version)
    tagged = None if plan.bump else git.tag_commit(plan.tag)
    steps = []
    for step in plan.steps:
        does = step.does
        if step.name == "build" and sent is not None:
            source = f" built from {sent.commit[:12]}" if sent.commit else ""
            does = (
                f"no rebuild: the {len(sent.files)} files{source} whose upload to "
                f"{', '.join(sent.uploads)} began are sent again"
            )
        elif step.name == "tag" and tagged is not None:
            where = "HEAD" if tagged == git.head() else tagged[:12]
            why = ", the commit the release was built from" if tagged == built else ""
            does = f"{plan.tag} exists on {where}{why}: kept"
        steps.append(dataclasses.replace(step, does=does))
    return dataclasses.replace(plan, steps=tuple(steps))


class ReleaseState:
    """A started release, noted in the git directory (never committed, never pushed)
    from just before its bump commit until its push (or tag, without push)."""

    def __init__(self, git: Git) -> None:
        self.path = git.git_dir() / "releasekit-release.json"

    def _read(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def refuse_if_unfinished(self, plan: ReleasePlan, git: Git) -> None:
        """``release PART`` while the release of the current version is unfinished would
        release the next version and leave this one half done: refused."""
        data = self._read()
        if data.get("project") != plan.name:
            return
        if data.get("version") != str(plan.current):
            self.path.unlink(missing_ok=True)  # that commit was undone: nothing to resume
            return
        tag = str(data.get("tag"))
        tagged = git.tag_commit(tag)
        where = (
            f"the tag {tag} exists (on {tagged[:12]}) but the steps after it did not all run"
            if tagged is not None
            else f"the tag {tag} does not exist yet"
        )
        raise UsageError(
            f"The release of {plan.name} {plan.current} was started (its bump is committed) "
            f"and is not finished: {where}. Running release {plan.bump} now would release "
            f"{plan.version} instead.",
            f"Finish it with: {data.get('resume')}",
        )

    def refuse_if_nothing_to_resume(self, plan: ReleasePlan, git: Git) -> None:
        """``release --resume`` continues a release that was started (noted here, or one
        whose upload began); with none, it would release the current version from
        scratch, tag and push included: refused, nothing changed."""
        data = self._read()
        if data.get("project") == plan.name and data.get("version") == str(plan.version):
            return
        tagged = git.tag_commit(plan.tag)
        if tagged is None and sent_record(git, plan.name, str(plan.version)) is not None:
            return  # its files went to an index (publish, or an older releasekit)
        if data.get("project") == plan.name:
            self.path.unlink(missing_ok=True)  # its bump was undone
        if tagged is not None:
            what = (
                f"{plan.version} was released (the tag {plan.tag} exists) and no release "
                "was started since"
            )
        else:
            what = (
                f"no release of {plan.version} was started in this checkout (no bump by "
                "release, no upload of its files)"
            )
        raise UsageError(
            f"There is no started release of {plan.name} to resume: {what}. Nothing was changed.",
            "Start the next one with release PART (e.g. release patch).",
        )

    def started(self, plan: ReleasePlan, resume: str) -> None:
        record = {
            "project": plan.name,
            "version": str(plan.version),
            "previous": str(plan.current),
            "tag": plan.tag,
            "resume": resume,
        }
        scratch = self.path.with_suffix(".tmp")
        scratch.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
        os.replace(scratch, self.path)

    def abandoned(self, plan: ReleasePlan) -> None:
        self.finished(plan)

    def finished(self, plan: ReleasePlan) -> None:
        if self._read().get("project") == plan.name:
            self.path.unlink(missing_ok=True)


def _tag(plan: ReleasePlan, runner: Runner) -> tuple[str, Mapping[str, Any]]:
    """The release tag, on the commit the release's files were built from (HEAD, unless
    commits came since: a pull after a rejected push, a fix after a failed step)."""
    git = Git(runner, plan.root)
    tag, version, name = plan.tag, str(plan.version), plan.name
    built = built_commit(git, name, version)
    at = git.tag_commit(tag)
    head = git.head()
    if at is None:
        message = plan.config.tag_message.format(version=version, name=name, tag=tag)
        on = built if built is not None and built != head else None
        git.create_tag(tag, message, on)
        if on is None:
            return f"created {tag}", {"tag": tag, "created": True, "commit": head}
        return f"created {tag} on {on[:12]}, {_built_commit_note(git, on)}", {
            "tag": tag,
            "created": True,
            "commit": on,
        }
    if at == head:
        return f"{tag} already at HEAD", {"tag": tag, "created": False, "commit": at}
    if at == built:
        return f"{tag} stays on {at[:12]}, {_built_commit_note(git, at)}", {
            "tag": tag,
            "created": False,
            "commit": at,
        }
    changed = git.changed_since(at)
    if changed:
        raise VcsError(
            f"The tag {tag} exists but points at {at[:12]}, and the project's files changed "
            f"since ({', '.join(changed[:5])}).",
            "Check out the released commit, or delete the stale tag.",
        )
    return f"{tag} already on {at[:12]} (same project files)", {
        "tag": tag,
        "created": False,
        "commit": at,
    }


def _built_commit_note(git: Git, commit: str) -> str:
    if git.is_ancestor(commit):
        return "the commit the release was built from (commits came after it)"
    return (
        "the commit the release was built from, which the branch's history no longer "
        "holds (it was rebased): the tag keeps the released source"
    )


def _push(plan: ReleasePlan, runner: Runner) -> tuple[str, Mapping[str, Any]]:
    git = Git(runner, plan.root)
    remote = plan.config.release_remote
    if remote not in git.remotes():
        return f"no git remote {remote!r}: nothing pushed", {"pushed": False}
    git.push(remote, plan.tag)
    return f"pushed {git.branch() or 'HEAD'} and {plan.tag} to {remote}", {"pushed": True}


def release_targets(
    select: Callable[[str], Repository], *, test_first: bool
) -> tuple[Repository, ...]:
    """The repositories a release goes to, in order; the last is production by its role."""
    prod = select("prod").as_production_target()
    return (select("test"), prod) if test_first else (prod,)
