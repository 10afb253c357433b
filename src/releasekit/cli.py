"""The ``releasekit`` command: parse (:mod:`releasekit.commands`) -> resolve the plan
(:mod:`releasekit.plan`) -> run the step -> render (:mod:`releasekit.render`) -> exit code.
This is the one place errors become exit codes."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any

from releasekit import render
from releasekit.commands import DEFAULT_REPOSITORY, UPLOADING, overrides, parse, resume_command
from releasekit.errors import DryRunFailed, ExitCode, ReleaseError, Terminated, UsageError

if TYPE_CHECKING:
    from releasekit.config import ReleaseConfig
    from releasekit.plan import ReleasePlan
    from releasekit.repositories import Repository
    from releasekit.runner import Runner
    from releasekit.workspace import Package


def _repository(args: argparse.Namespace, config: ReleaseConfig) -> Repository:
    """The repository a step targets: ``--repository``/``--repository-url``, or the one
    its name implies (upload-test: test, upload-prod: prod)."""
    from releasekit.targets import select_repository

    name = getattr(args, "repository", None) or DEFAULT_REPOSITORY.get(args.command)
    repository = select_repository(
        config,
        name,
        repository_url=getattr(args, "repository_url", None),
        index_url=getattr(args, "index_url", None),
    )
    if args.command == "upload-prod":
        repository = repository.as_production_target()
    if args.command == "upload-test" and repository.production:
        raise UsageError(
            f"upload-test goes to a test index, and {repository.name} "
            f"({repository.upload_url}) is a production repository.",
            f"Use upload-prod --repository {repository.name} (it asks first), or name a test "
            "repository.",
        )
    return repository


def _plan(
    args: argparse.Namespace,
    root: Path,
    config: ReleaseConfig,
    runner: Runner,
    *,
    bump: str | None = None,
    targets: Sequence[Repository] = (),
) -> ReleasePlan:
    from releasekit.plan import resolve_plan

    return resolve_plan(
        root, config, runner, bump=bump, targets=targets, outdir=getattr(args, "outdir", None)
    )


def run_command(
    args: argparse.Namespace,
    *,
    runner: Runner | None = None,
    adapter: tuple[str, Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """Run the chosen step; print its human output; return its JSON summary.

    The nox and Invoke adapters pass their own ``runner`` and their settings as
    ``adapter`` (a configuration layer above the project's table).
    """
    from releasekit.config import load_config
    from releasekit.project import find_project_root
    from releasekit.runner import SubprocessRunner
    from releasekit.workspace import Package, find_packages

    root = find_project_root(args.project)

    def configure(directory: Path, workspace: Path | None = None) -> ReleaseConfig:
        return load_config(
            directory,
            config_file=args.config,
            overrides=overrides(args),
            adapter=adapter,
            workspace=workspace,
        )

    config = configure(root)
    runner = runner or SubprocessRunner()
    packages = find_packages(
        root,
        config,
        getattr(args, "package", None) or (),
        load=lambda directory: configure(directory, root),
    )
    blocked = config.deploy_blocked(os.environ) if args.command in UPLOADING else ""
    if blocked:
        summary, lines = (
            {"step": args.command, "ok": True, "skipped": blocked},
            (f"{args.command}: skipped, nothing uploaded ({blocked})"),
        )
    elif args.command == "plan":
        summary, lines = _plan_packages(args, root, packages or [Package(root, config)], runner)
    else:
        with _changing(args, root, runner):
            if packages:
                summary, lines = _for_packages(args, root, packages, runner)
            else:
                summary, lines = STEPS[args.command](args, root, config, runner)
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print(lines)
    preflight = summary.get("preflight") or {}
    if summary.get("dry_run") and not preflight.get("ok", True):
        raise DryRunFailed(
            f"Dry run of {args.command}: the pre-flight found {len(preflight['failures'])} "
            "problem(s), listed above; the real run would stop there, before changing "
            "anything.",
            "Fix them and run the dry run again.",
        )
    return summary


def _changing(args: argparse.Namespace, root: Path, runner: Runner) -> AbstractContextManager[None]:
    """The checkout's lock for a command that changes something (releasekit.lock)."""
    from releasekit.lock import CHANGING_COMMANDS, release_lock

    if args.command not in CHANGING_COMMANDS or getattr(args, "dry_run", False):
        return nullcontext()
    return release_lock(root, runner, args.command)


def _for_packages(
    args: argparse.Namespace, workspace: Path, packages: list[Package], runner: Runner
) -> tuple[dict[str, Any], str]:
    """A command over several packages (releasekit.workspace schedules them)."""
    from releasekit.build_record import reusable_build
    from releasekit.workspace import default_jobs, run_over_packages

    if args.command == "init-ci" and args.provider == "github" and len(packages) > 1:
        # One workflow for the monorepo, its jobs over `releasekit plan`'s matrix.
        from releasekit import ci

        summary: dict[str, Any]
        summary, text = ci.run_init_ci_workspace(args, workspace, packages, runner)
        return summary, text
    if args.command == "init-ci" and args.provider == "gitlab" and len(packages) != 1:
        raise UsageError(
            "A repository has one .gitlab-ci.yml, and this monorepo has several packages.",
            "Write the job for one package with --package DIR (GitHub gets one workflow "
            "per package: init-ci github).",
        )

    def run(command: str, package: Package) -> tuple[dict[str, Any], str]:
        return STEPS[command](args, package.root, package.config, runner)

    def publish_built(package: Package) -> tuple[dict[str, Any], str]:
        return _pipeline(args, package.root, package.config, runner, build=False)

    def reuse_build(package: Package) -> tuple[dict[str, Any], str] | None:
        """publish sends a package's own files again once their upload began (as
        publish of one project does: releasekit.build_record)."""
        plan = _plan(args, package.root, package.config, runner)
        reused = reusable_build(plan, runner)
        return None if reused is None else (reused.to_json(), f"{plan.name}: {reused.describe()}")

    return run_over_packages(
        args.command,
        workspace,
        packages,
        run=run,
        publish_built=publish_built,
        reuse_build=reuse_build,
        build_first=not getattr(args, "dry_run", False),
        jobs=getattr(args, "jobs", None) or default_jobs(),
        # A prod upload that must ask for confirmation asks one package at a time.
        confirm_each=args.command == "publish"
        and not args.test
        and _publish_target(args, packages[0].config).needs_confirmation(
            yes=args.yes, env=os.environ
        ),
    )


def _plan_packages(
    args: argparse.Namespace, workspace: Path, packages: list[Package], runner: Runner
) -> tuple[dict[str, Any], str]:
    from releasekit.workspace import default_jobs, plan_packages

    return plan_packages(
        workspace,
        packages,
        lambda config: _repository(args, config),
        runner,
        args.jobs or default_jobs(),
    )


Step = Callable[[argparse.Namespace, Path, "ReleaseConfig", "Runner"], tuple[dict[str, Any], str]]


def _version(
    args: argparse.Namespace, root: Path, config: ReleaseConfig, runner: Runner
) -> tuple[dict[str, Any], str]:
    plan = _plan(args, root, config, runner)
    summary = {"step": "version", "ok": True, "project": plan.name, "version": str(plan.version)}
    return summary, str(plan.version)


def _bump(
    args: argparse.Namespace, root: Path, config: ReleaseConfig, runner: Runner
) -> tuple[dict[str, Any], str]:
    from releasekit.steps.bump import bump_version

    if not args.target:
        raise UsageError(
            "bump-version needs the version part to bump (or the new version).",
            "Example: releasekit bump-version patch",
        )
    plan = _plan(args, root, config, runner, bump=args.target)
    result = bump_version(plan, runner, dry_run=args.dry_run)
    return result.to_json(), render.bump(result)


def _build(
    args: argparse.Namespace, root: Path, config: ReleaseConfig, runner: Runner
) -> tuple[dict[str, Any], str]:
    from releasekit.steps.build import build_release

    # Also the first phase of a monorepo publish, whose dry run is the pipeline's.
    plan = _plan(args, root, config, runner)
    result = build_release(plan, runner, dry_run=args.command == "build" and args.dry_run)
    return result.to_json(), render.build(result)


def _checked(
    args: argparse.Namespace, root: Path, config: ReleaseConfig, runner: Runner
) -> tuple[ReleasePlan, Repository, Any]:
    """The plan for one target and check's verdict on it (upload starts from it)."""
    from releasekit.steps.check import check_release

    repository = _repository(args, config)
    plan = _plan(args, root, config, runner, targets=[repository])
    index = plan.target(repository).index(log=runner.log)
    return plan, repository, check_release(plan, runner, repository, index=index)


def _check(
    args: argparse.Namespace, root: Path, config: ReleaseConfig, runner: Runner
) -> tuple[dict[str, Any], str]:
    if args.list_rules:
        from releasekit.rules import rules_summary

        return rules_summary()
    _, _, result = _checked(args, root, config, runner)
    if not args.json:
        print(render.check(result))
    result.raise_for_failures()
    return result.to_json(), "all checks passed"


def _upload(
    args: argparse.Namespace, root: Path, config: ReleaseConfig, runner: Runner
) -> tuple[dict[str, Any], str]:
    from releasekit.steps.upload import upload_release

    plan, repository, checked = _checked(args, root, config, runner)
    result = upload_release(plan, runner, repository, checked, yes=args.yes, dry_run=args.dry_run)
    return result.to_json(), render.upload(result)


def _verify(
    args: argparse.Namespace, root: Path, config: ReleaseConfig, runner: Runner
) -> tuple[dict[str, Any], str]:
    from releasekit.steps.verify import verify_release

    repository = _repository(args, config)
    plan = _plan(args, root, config, runner, targets=[repository])
    result = verify_release(plan, runner, repository)
    return result.to_json(), render.verify(result)


def _publish_target(args: argparse.Namespace, config: ReleaseConfig) -> Repository:
    """publish's repository: ``--repository NAME``, ``test`` with ``--test``, else ``prod``
    in the role of production."""
    from releasekit.targets import select_repository

    if args.test and args.repository:
        raise UsageError(
            "publish takes --test or --repository NAME, not both.",
            "--test is --repository test.",
        )
    if args.repository or args.test:
        return select_repository(config, args.repository or "test")
    return select_repository(config, "prod").as_production_target()


def _pipeline(
    args: argparse.Namespace,
    root: Path,
    config: ReleaseConfig,
    runner: Runner,
    build: bool = True,
) -> tuple[dict[str, Any], str]:
    from releasekit import pipeline
    from releasekit.targets import select_repository

    delivery = pipeline.Delivery(yes=args.yes)
    resume = resume_command(args)
    if args.command == "publish":
        plan = _plan(args, root, config, runner, targets=[_publish_target(args, config)])
        result = pipeline.publish(
            plan, runner, delivery, resume=resume, build=build, dry_run=args.dry_run
        )
    else:
        if bool(args.part) == bool(args.resume):
            raise UsageError(
                "release needs the version part to bump (e.g. patch), or --resume to continue "
                "a stopped release — one of them.",
                "Example: releasekit release minor",
            )
        targets = pipeline.release_targets(
            lambda name: select_repository(config, name), test_first=config.release_test_first
        )
        plan = _plan(args, root, config, runner, bump=args.part, targets=targets)
        result = pipeline.release(plan, runner, delivery, resume=resume, dry_run=args.dry_run)
    return result.to_json(), render.pipeline(result)


def _config(
    args: argparse.Namespace, root: Path, config: ReleaseConfig, runner: Runner
) -> tuple[dict[str, Any], str]:
    from releasekit.config import effective_settings

    rows = effective_settings(_as_used(root, config, runner))
    summary = {
        "step": "config",
        "ok": True,
        "settings": {key: {"value": value, "source": source} for key, value, source in rows},
    }
    return summary, render.settings(rows)


def _as_used(root: Path, config: ReleaseConfig, runner: Runner) -> ReleaseConfig:
    """The configuration as the commands use it: a tag-format the project's tags imply
    (see releasekit.plan.release_tags). The settings as written when the project cannot
    be read: config --show is where a broken configuration is looked at."""
    from releasekit.plan import release_tags
    from releasekit.project import load_project

    try:
        return release_tags(root, config, load_project(root, config, runner).name, runner).config
    except ReleaseError:
        return config


def _init_ci(
    args: argparse.Namespace, root: Path, config: ReleaseConfig, runner: Runner
) -> tuple[dict[str, Any], str]:
    from releasekit import ci

    return ci.run_init_ci(args, root, config, runner)


def _trusted_publisher(
    args: argparse.Namespace, root: Path, config: ReleaseConfig, runner: Runner
) -> tuple[dict[str, Any], str]:
    workflow = args.workflow.resolve() if args.workflow else None
    if args.check:  # in the publishing job: the OIDC token's claims
        from releasekit.trust.doctor import check_trusted_publisher_token

        check = check_trusted_publisher_token(
            root,
            config,
            runner,
            audience=args.audience,
            workflow=workflow,
            repository=args.github_repository,
        )
        return check.to_json(), render.token_check(check)
    from releasekit.trust.publisher import check_trusted_publishing

    report = check_trusted_publishing(
        root, config, runner, workflow=workflow, repository=args.github_repository
    )
    return report.to_json(), report.describe()


STEPS: dict[str, Step] = {
    "config": _config,
    "init-ci": _init_ci,
    "trusted-publisher": _trusted_publisher,
    "version": _version,
    "bump-version": _bump,
    "build": _build,
    "check": _check,
    "upload": _upload,
    "upload-test": _upload,
    "upload-prod": _upload,
    "verify": _verify,
    "publish": _pipeline,
    "release": _pipeline,
}


def report_error(exc: ReleaseError, command: str, *, as_json: bool) -> int:
    """Print ``exc`` (stderr; and a JSON object on stdout with ``--json``); its exit code."""
    print(f"releasekit: error: {exc.message}", file=sys.stderr)
    if exc.hint:
        print(f"  {exc.hint}", file=sys.stderr)
    if as_json and not isinstance(exc, DryRunFailed):  # its JSON is printed already
        error = {
            **(exc.details or {}),
            "step": command,
            "ok": False,
            "exit_code": int(exc.exit_code),
            "error": exc.message,
            "hint": exc.hint,
        }
        print(json.dumps(error, indent=2))
    return int(exc.exit_code)


def _terminate(signum: int, frame: object) -> None:
    raise Terminated


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args = parse(argv)
    except UsageError as exc:
        # --json anywhere on the line: the usage error is a JSON object too.
        return report_error(
            exc, next((a for a in argv if not a.startswith("-")), ""), as_json="--json" in argv
        )
    # A cancelled CI job sends SIGTERM: end as Ctrl-C does, uploads in flight included.
    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _terminate) if main_thread else None
    try:
        run_command(args)
    except ReleaseError as exc:
        return report_error(exc, args.command, as_json=args.json)
    except Terminated:
        print("releasekit: terminated (SIGTERM)", file=sys.stderr)
        return int(ExitCode.TERMINATED)
    except KeyboardInterrupt:
        print("releasekit: interrupted", file=sys.stderr)
        return int(ExitCode.INTERRUPTED)
    except BrokenPipeError:
        # `releasekit check --list-rules | head`: the reader has what it wanted.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    finally:
        if main_thread:
            signal.signal(signal.SIGTERM, previous)
    return int(ExitCode.OK)
