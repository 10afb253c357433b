"""The ``releasekit`` command: parse (:mod:`releasekit.commands`) -> resolve the plan
(:mod:`releasekit.plan`) -> run the step -> render (:mod:`releasekit.render`) -> exit code.
This is the one place errors become exit codes."""

from __future__ import annotations

import argparse
import contextlib
import importlib
import importlib.util
import json
import logging
import os
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from releasekit import __version__, render
from releasekit.commands import (
    DEFAULT_REPOSITORY,
    ENV_TARGETED,
    UPLOADING,
    overrides,
    parse,
    resume_command,
)
from releasekit.config import ReleaseConfig, effective_settings, load_config, locked_by
from releasekit.errors import (
    CheckError,
    DryRunFailed,
    ExitCode,
    ReleaseError,
    UsageError,
    VerifyError,
    interruptible,
)
from releasekit.lock import CHANGING_COMMANDS, release_lock
from releasekit.plan import ReleasePlan, release_tags, resolve_plan
from releasekit.project import find_project_root, load_project
from releasekit.repositories import Repository, redact_url
from releasekit.runner import Runner, SubprocessRunner
from releasekit.tool_env import target_from_env
from releasekit.workspace import (
    Package,
    PackagesFailed,
    default_jobs,
    find_packages,
    plan_packages,
    run_over_packages,
)

# The lazy imports, declared here alone: the modules that only some commands use. Together
# they bring urllib3, ssl, zipfile and PyYAML, twice the CPU time of `releasekit --help`
# (benchmarks/RESULTS.md, 2026-12-02); each loads when a command first uses it.
_LAZY: list[ModuleType] = []


def _lazy(name: str) -> ModuleType:
    """The module ``name``, bound now and loaded at its first use (importlib's LazyLoader)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    assert spec is not None
    assert spec.loader is not None
    spec.loader = importlib.util.LazyLoader(spec.loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    parent, _, child = name.rpartition(".")
    setattr(sys.modules[parent], child, module)  # as an import does: releasekit.steps.check
    _LAZY.append(module)
    return module


def _load_lazy_modules() -> None:
    """Load them all now, in this thread: before Python 3.12 two threads could both start
    loading a lazy module (a monorepo plans and runs its packages in threads)."""
    for module in _LAZY:
        importlib.import_module(module.__name__)


if TYPE_CHECKING:
    from releasekit import (
        audit,
        build_record,
        ci,
        credentials,
        explicit_files,
        notes,
        pipeline,
        reproduce,
        rules,
        targets,
    )
    from releasekit.steps import build, bump, check, upload, verify
    from releasekit.trust import doctor, publisher
else:
    audit = _lazy("releasekit.audit")
    build_record = _lazy("releasekit.build_record")
    ci = _lazy("releasekit.ci")
    credentials = _lazy("releasekit.credentials")
    explicit_files = _lazy("releasekit.explicit_files")
    notes = _lazy("releasekit.notes")
    pipeline = _lazy("releasekit.pipeline")
    reproduce = _lazy("releasekit.reproduce")
    rules = _lazy("releasekit.rules")
    targets = _lazy("releasekit.targets")
    build = _lazy("releasekit.steps.build")
    bump = _lazy("releasekit.steps.bump")
    check = _lazy("releasekit.steps.check")
    upload = _lazy("releasekit.steps.upload")
    verify = _lazy("releasekit.steps.verify")
    doctor = _lazy("releasekit.trust.doctor")
    publisher = _lazy("releasekit.trust.publisher")


def _repository(args: argparse.Namespace, config: ReleaseConfig) -> Repository:
    """The repository a step targets: ``--repository``/``--repository-url``, or the one
    its name implies (upload-test: test, upload-prod: prod)."""
    name = getattr(args, "repository", None)
    url = getattr(args, "repository_url", None)
    index_url = getattr(args, "index_url", None)
    found = None
    if not (name or url) and args.command in ENV_TARGETED:
        # What twine's and uv's users set for `twine upload` / `uv publish`.
        found = target_from_env()
        if found is not None:
            name, url, index_url = (
                found.name or None,
                found.url or None,
                index_url or found.index_url,
            )
    if not url:
        name = name or DEFAULT_REPOSITORY.get(args.command)
    try:
        repository = targets.select_repository(
            config, name, repository_url=url, index_url=index_url or None
        )
    except ReleaseError as exc:
        if found is None:
            raise
        exc.message = f"{found.source} chose the target: {exc.message}"
        raise
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
    with _requests_logged(_verbosity(args) > 0):
        return _run_command(args, runner=runner, adapter=adapter)


def _run_command(
    args: argparse.Namespace,
    *,
    runner: Runner | None,
    adapter: tuple[str, Mapping[str, Any]] | None,
) -> dict[str, Any]:

    if args.command == "audit":  # many checkouts, none of them "the project"
        return _audit(args, runner or SubprocessRunner(echo=False))
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
    verbosity = _verbosity(args)
    if hasattr(runner, "verbosity"):  # the runners of the CLI, nox and Invoke
        runner.verbosity = verbosity
    if verbosity >= 0:
        for warning in config.warnings:
            print(render.paint(f"releasekit: warning: {warning}", sys.stderr), file=sys.stderr)
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
        try:
            summary, lines = _plan_packages(args, root, packages or [Package(root, config)], runner)
        except PackagesFailed as exc:
            if packages:
                raise
            raise exc.failures[0][1] from None  # one project: its own error, not a list
    else:
        with _changing(args, root, runner):
            if packages:
                summary, lines = _for_packages(args, root, packages, runner)
            else:
                summary, lines = STEPS[args.command](args, root, config, runner)
    if args.json:
        print(json.dumps(summary, indent=2))
    elif verbosity >= 0 or args.command in QUERIES or getattr(args, "list_rules", False):
        print(render.paint(lines, sys.stdout))
    preflight = summary.get("preflight") or {}
    if summary.get("dry_run") and not preflight.get("ok", True):
        failed = DryRunFailed(
            f"Dry run of {args.command}: the pre-flight found {len(preflight['failures'])} "
            "problem(s), listed above; the real run would stop there, before changing "
            "anything.",
            "Fix them and run the dry run again.",
        )
        if preflight.get("unreadable"):
            failed.exit_code = ExitCode.INDEX  # as the real run would exit
        raise failed
    return summary


def _changing(args: argparse.Namespace, root: Path, runner: Runner) -> AbstractContextManager[None]:
    """The checkout's lock for a command that changes something (releasekit.lock)."""

    if args.command not in CHANGING_COMMANDS or getattr(args, "dry_run", False):
        return nullcontext()
    return release_lock(root, runner, args.command)


def _for_packages(
    args: argparse.Namespace, workspace: Path, packages: list[Package], runner: Runner
) -> tuple[dict[str, Any], str]:
    """A command over several packages (releasekit.workspace schedules them)."""
    if getattr(args, "files", None) and len(packages) != 1:
        raise UsageError(
            f"{args.command} FILE... uploads the files of one package, and this is a monorepo.",
            "Name the package with --package DIR.",
        )
    if args.command == "init-ci" and args.provider == "github" and len(packages) > 1:
        # One workflow for the monorepo, its jobs over `releasekit plan`'s matrix.
        written = ci.init_ci_workspace(
            workspace, [(p.root, p.config) for p in packages], runner, _ci_options(args)
        )
        return written.to_json(), written.describe()
    if args.command == "init-ci" and args.provider == "gitlab" and len(packages) != 1:
        raise UsageError(
            "A repository has one .gitlab-ci.yml, and this monorepo has several packages.",
            "Write the job for one package with --package DIR (GitHub gets one workflow "
            "per package: init-ci github).",
        )

    def run(command: str, package: Package) -> tuple[dict[str, Any], str]:
        return STEPS[command](args, package.root, package.config, runner)

    def publish_built(package: Package) -> tuple[dict[str, Any], str]:
        return _pipeline(args, package.root, package.config, runner, build_first=False)

    def reuse_build(package: Package) -> tuple[dict[str, Any], str] | None:
        """publish sends a package's own files again once their upload began (as
        publish of one project does: releasekit.build_record)."""
        plan = _plan(args, package.root, package.config, runner)
        reused = build_record.reusable_build(plan, runner)
        return None if reused is None else (reused.to_json(), f"{plan.name}: {reused.describe()}")

    _load_lazy_modules()
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
    _load_lazy_modules()  # the packages are planned in threads
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


def _notes(
    args: argparse.Namespace, root: Path, config: ReleaseConfig, runner: Runner
) -> tuple[dict[str, Any], str]:
    return notes.notes_summary(_plan(args, root, config, runner), args.notes_version, root)


def _bump(
    args: argparse.Namespace, root: Path, config: ReleaseConfig, runner: Runner
) -> tuple[dict[str, Any], str]:
    if not args.target:
        raise UsageError(
            "bump-version needs the version part to bump (or the new version).",
            "Example: releasekit bump-version patch",
        )
    plan = _plan(args, root, config, runner, bump=args.target)
    if plan.auto is not None and plan.auto.part is None:
        return _nothing_to_release(plan)
    result = bump.bump_version(plan, runner, dry_run=args.dry_run)
    return _with_auto(plan, result.to_json(), render.bump(result))


def _nothing_to_release(plan: ReleasePlan) -> tuple[dict[str, Any], str]:
    """``auto`` found no releasable commit: a success that changed nothing."""
    assert plan.auto is not None
    summary = {
        "step": "bump-version",
        "ok": True,
        "project": plan.name,
        "version": str(plan.current),
        "nothing_to_release": True,
        "auto": plan.auto.to_json(),
    }
    return summary, f"{plan.name} {plan.current}: {plan.auto.describe()}; nothing was changed"


def _with_auto(plan: ReleasePlan, summary: dict[str, Any], text: str) -> tuple[dict[str, Any], str]:
    """A step's output, with the commits that decided an ``auto`` bump."""
    if plan.auto is None:
        return summary, text
    return {**summary, "auto": plan.auto.to_json()}, text + "\n" + render.auto(plan.auto)


def _build(
    args: argparse.Namespace, root: Path, config: ReleaseConfig, runner: Runner
) -> tuple[dict[str, Any], str]:
    # Also the first phase of a monorepo publish, whose dry run is the pipeline's.
    plan = _plan(args, root, config, runner)
    result = build.build_release(plan, runner, dry_run=args.command == "build" and args.dry_run)
    return result.to_json(), render.build(result)


def _checked(
    args: argparse.Namespace, root: Path, config: ReleaseConfig, runner: Runner
) -> tuple[ReleasePlan, Repository, Any]:
    """The plan for one target and check's verdict on it (upload starts from it)."""
    repository = _repository(args, config)
    plan = _plan(args, root, config, runner, targets=[repository])
    index = plan.target(repository).index(log=runner.log)
    return plan, repository, check.check_release(plan, runner, repository, index=index)


def _check(
    args: argparse.Namespace, root: Path, config: ReleaseConfig, runner: Runner
) -> tuple[dict[str, Any], str]:
    if args.list_rules:
        return rules.rules_summary()
    _, _, result = _checked(args, root, config, runner)
    if not args.json and _verbosity(args) >= 0:
        print(render.paint(render.check(result), sys.stdout))
    result.raise_for_failures()
    return result.to_json(), "all checks passed"


def _upload(
    args: argparse.Namespace, root: Path, config: ReleaseConfig, runner: Runner
) -> tuple[dict[str, Any], str]:
    if args.files:  # upload FILE...: exactly those, checked as the output directory is
        with explicit_files.staged(args.files) as outdir:
            args.outdir, args.files = outdir, []
            return _upload(args, root, config, runner)
    plan, repository, checked = _checked(args, root, config, runner)
    result = upload.upload_release(
        plan, runner, repository, checked, yes=args.yes, dry_run=args.dry_run
    )
    return result.to_json(), render.upload(result)


def _verify(
    args: argparse.Namespace, root: Path, config: ReleaseConfig, runner: Runner
) -> tuple[dict[str, Any], str]:
    repository = _repository(args, config)
    plan = _plan(args, root, config, runner, targets=[repository])
    if getattr(args, "reproduce", False):
        return _reproduce(args, plan, runner, repository)
    result = verify.verify_release(plan, runner, repository)
    return result.to_json(), render.verify(result)


def _reproduce(
    args: argparse.Namespace, plan: ReleasePlan, runner: Runner, repository: Repository
) -> tuple[dict[str, Any], str]:
    """verify --reproduce: the comparison printed; exit 11 on a mismatch."""
    result = reproduce.reproduce_release(plan, runner, repository)
    if not result.mismatches:
        return result.to_json(), result.describe()
    if not args.json:
        print(result.describe())
    names = ", ".join(f.filename for f in result.mismatches)
    error = VerifyError(
        f"{plan.name} {result.version} rebuilt from {result.tag} is not what "
        f"{repository.name} serves: {names}.",
        "The listed members differ: the release was not built from the tagged source "
        "(a dirty tree, another commit) or the build is not reproducible.",
    )
    error.details = result.to_json()
    raise error


def _publish_target(args: argparse.Namespace, config: ReleaseConfig) -> Repository:
    """publish's repository: ``--repository NAME``, ``test`` with ``--test``, else ``prod``
    in the role of production."""
    if args.test and args.repository:
        raise UsageError(
            "publish takes --test or --repository NAME, not both.",
            "--test is --repository test.",
        )
    if args.repository or args.test:
        return targets.select_repository(config, args.repository or "test")
    return targets.select_repository(config, "prod").as_production_target()


def _pipeline(
    args: argparse.Namespace,
    root: Path,
    config: ReleaseConfig,
    runner: Runner,
    build_first: bool = True,
) -> tuple[dict[str, Any], str]:
    delivery = pipeline.Delivery(yes=args.yes)
    resume = resume_command(args)
    if args.command == "publish":
        plan = _plan(args, root, config, runner, targets=[_publish_target(args, config)])
        result = pipeline.publish(
            plan, runner, delivery, resume=resume, build=build_first, dry_run=args.dry_run
        )
    else:
        if bool(args.part) == bool(args.resume):
            raise UsageError(
                "release needs the version part to bump (e.g. patch), or --resume to continue "
                "a stopped release — one of them.",
                "Example: releasekit release minor",
            )
        release_to = pipeline.release_targets(
            lambda name: targets.select_repository(config, name),
            test_first=config.release_test_first,
        )
        plan = _plan(args, root, config, runner, bump=args.part, targets=release_to)
        if plan.auto is not None and plan.auto.part is None:
            summary, text = _nothing_to_release(plan)
            return {**summary, "step": "release"}, text
        result = pipeline.release(plan, runner, delivery, resume=resume, dry_run=args.dry_run)
        return _with_auto(plan, result.to_json(), render.pipeline(result))
    return result.to_json(), render.pipeline(result)


def _config(
    args: argparse.Namespace, root: Path, config: ReleaseConfig, runner: Runner
) -> tuple[dict[str, Any], str]:

    used = _as_used(root, config, runner)
    rows = effective_settings(used) + _target_rows(config)
    summary = {
        "step": "config",
        "ok": True,
        # "locked": true only on the keys the profile holds.
        "settings": {
            key: {"value": value, "source": source.removesuffix(" (locked)")}
            | ({"locked": True} if locked_by(used, key) else {})
            for key, value, source in rows
        },
    }
    return summary, render.settings(rows)


def _target_rows(config: ReleaseConfig) -> list[tuple[str, Any, str]]:
    """Where ``upload`` (and check, verify, plan) without ``--repository`` goes, and the
    credentials it would use, each with the variable or layer that decided it: twine's
    and uv's variables count (releasekit.tool_env). No secret is shown, only where it is."""
    try:
        found = target_from_env()
        if found is None:
            repository, source = config.repository("test"), "default (the test repository)"
        else:
            repository = targets.select_repository(
                config,
                found.name or None,
                repository_url=found.url or None,
                index_url=found.index_url or None,
            )
            source = found.source
    except ReleaseError as exc:
        return [("target.repository", None, f"error: {exc.message}")]
    index_source = "UV_PUBLISH_CHECK_URL" if found and found.index_url else source
    try:
        found_credentials = credentials.resolve_credentials(repository)
        who = (
            found_credentials.source  # "none (anonymous upload)"
            if found_credentials.username == credentials.ANONYMOUS
            else f"{found_credentials.username} ({found_credentials.source})"
        )
        how = "the first found in the order of the README's upload section"
    except ReleaseError as exc:
        who, how = "none", f"error: {exc.message}"
    return [
        ("target.repository", repository.name, source),
        ("target.upload-url", redact_url(repository.upload_url), source),
        ("target.index-url", redact_url(repository.index_url), index_source),
        ("target.credentials", who, how),
    ]


def _as_used(root: Path, config: ReleaseConfig, runner: Runner) -> ReleaseConfig:
    """The configuration as the commands use it: a tag-format the project's tags imply
    (see releasekit.plan.release_tags). The settings as written when the project cannot
    be read: config --show is where a broken configuration is looked at."""

    try:
        return release_tags(root, config, load_project(root, config, runner).name, runner).config
    except ReleaseError:
        return config


def _audit(args: argparse.Namespace, runner: Runner) -> dict[str, Any]:
    """``releasekit audit DIR ...``: the findings (printed), exit 9 when one falls short."""
    report = audit.audit(args.directories or [Path(".")], runner)
    summary = report.to_json()
    if args.json and report.ok:
        print(json.dumps(summary, indent=2))
    elif not args.json:
        print(report.describe())
    if not report.ok:
        error = CheckError(
            f"{len(report.falling_short)} of {len(report.repositories)} repositories fall short "
            "of the conventions: " + ", ".join(repr(r) for r in report.falling_short) + ".",
            "Each 'fail' row says what to change; releasekit init-ci writes the pipeline "
            "the conventions ask for (--force replaces one that differs).",
        )
        error.details = summary
        raise error
    return summary


def _init_ci(
    args: argparse.Namespace, root: Path, config: ReleaseConfig, runner: Runner
) -> tuple[dict[str, Any], str]:
    options = _ci_options(args)
    project = load_project(root, config, runner)
    tags = release_tags(root, config, project.name, runner)
    written = ci.init_ci(root, project, tags, runner, args.provider, options)
    return written.to_json(), written.describe()


def _ci_options(args: argparse.Namespace) -> ci.CiOptions:
    """init-ci's flags as its options; a flag of the other provider is a usage error."""
    if args.provider == "gitlab":
        other = {
            "--environment": args.environment,
            "--test-environment": args.test_environment,
            "--test-first/--no-test-first": args.test_first,
            "--wheels": args.wheels,
        }
        why = "GitHub only; the GitLab job publishes to one --target.", "Leave them out for gitlab."
    else:
        other = {"--target": args.target, "--include": args.include or None}
        why = (
            "GitLab only.",
            ("Leave them out for github (it publishes to the test and prod repositories)."),
        )
    given = [flag for flag, value in other.items() if value is not None]
    if given:
        raise UsageError(f"{', '.join(given)}: {why[0]}", why[1])
    return ci.CiOptions(
        trigger=args.trigger,
        environment=args.environment or ci.DEFAULT_ENVIRONMENT,
        test_environment=args.test_environment or ci.DEFAULT_TEST_ENVIRONMENT,
        test_first=args.test_first,
        python=args.python,
        output=args.output.resolve() if args.output else None,
        force=args.force,
        dry_run=args.dry_run,
        release_page=args.release_page is not False,
        wheels=args.wheels or "",
        target=args.target or "registry",
        include=bool(args.include),
    )


def _trusted_publisher(
    args: argparse.Namespace, root: Path, config: ReleaseConfig, runner: Runner
) -> tuple[dict[str, Any], str]:
    workflow = args.workflow.resolve() if args.workflow else None
    if args.check:  # in the publishing job: the OIDC token's claims
        token_check = doctor.check_trusted_publisher_token(
            root,
            config,
            runner,
            audience=args.audience,
            workflow=workflow,
            repository=args.github_repository,
        )
        return token_check.to_json(), render.token_check(token_check)
    report = publisher.check_trusted_publishing(
        root, config, runner, workflow=workflow, repository=args.github_repository
    )
    return report.to_json(), report.describe()


STEPS: dict[str, Step] = {
    "config": _config,
    "init-ci": _init_ci,
    "trusted-publisher": _trusted_publisher,
    "version": _version,
    "notes": _notes,
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


# Commands whose output is the answer asked for: printed with -q too.
QUERIES = frozenset({"version", "config", "plan"})


def _verbosity(args: argparse.Namespace) -> int:
    """-1 with -q (errors only), 1 with -v (every command, output and request), else 0."""
    if getattr(args, "quiet", False) and getattr(args, "verbose", False):
        raise UsageError("-q (errors only) and -v (everything) contradict each other.", "")
    return -1 if getattr(args, "quiet", False) else int(bool(getattr(args, "verbose", False)))


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is when a record comes (nox and tests swap it)."""

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


@contextlib.contextmanager
def _requests_logged(on: bool) -> Iterator[None]:
    """-v: each request to an index on stderr, for this command only (urllib3 logs every
    one at DEBUG, without headers; releasekit's own modules log on ``releasekit.*``)."""
    if not on:
        yield
        return
    handler = _StderrHandler()
    handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
    loggers = [logging.getLogger(name) for name in ("urllib3.connectionpool", "releasekit")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
        logger.addHandler(handler)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.removeHandler(handler)
            logger.setLevel(level)


def report_error(exc: ReleaseError, command: str, *, as_json: bool) -> int:
    """Print ``exc`` (stderr; and a JSON object on stdout with ``--json``); its exit code."""
    try:
        _print_error(exc, command, as_json=as_json)
    except BrokenPipeError:
        _discard_stdout()  # `releasekit ... | head`: the reader went away; the code stays
    return int(exc.exit_code)


def _discard_stdout() -> None:
    """The reader of stdout is gone: what is still buffered goes nowhere, quietly."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _print_error(exc: ReleaseError, command: str, *, as_json: bool) -> None:
    print(render.paint(f"releasekit: error: {exc.message}", sys.stderr), file=sys.stderr)
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


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        code = _main(argv)
        sys.stdout.flush()  # a closed pipe shows here, not in the interpreter's exit
        return code
    except BrokenPipeError:
        # `releasekit config --show --json | head -1`: the reader has what it wanted.
        _discard_stdout()
        return int(ExitCode.OK)


def _main(argv: list[str]) -> int:
    try:
        args = parse(argv, version=__version__)
    except UsageError as exc:
        # --json anywhere on the line: the usage error is a JSON object too.
        return report_error(
            exc, next((a for a in argv if not a.startswith("-")), ""), as_json="--json" in argv
        )

    def command() -> int:
        try:
            run_command(args)
        except ReleaseError as exc:
            return report_error(exc, args.command, as_json=args.json)
        return int(ExitCode.OK)

    return interruptible(command)
