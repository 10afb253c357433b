"""The ``releasekit`` command: each step run from the parsed arguments (see
:mod:`releasekit.arguments`), its output printed, and the one place errors become exit
codes."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from releasekit import ci, trusted_publisher
from releasekit.arguments import build_parser, overrides
from releasekit.errors import ExitCode, ReleaseError, UsageError

if TYPE_CHECKING:
    from releasekit.config import ReleaseConfig, Repository
    from releasekit.runner import Runner
    from releasekit.workspace import Package


def _repository(args: argparse.Namespace, config: ReleaseConfig) -> Repository:
    from releasekit.repositories import select_repository

    name = args.repository
    if args.command in ("upload-test", "upload-prod"):
        name = name or args.command.removeprefix("upload-")
    return select_repository(
        config, name, repository_url=args.repository_url, index_url=args.index_url
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
    from releasekit.runner import SubprocessRunner
    from releasekit.workspace import Package, find_packages

    root = args.project.resolve()

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
        root, config, args.package or (), load=lambda directory: configure(directory, root)
    )
    blocked = config.deploy_blocked(os.environ) if args.command in UPLOADING else ""
    if blocked:
        summary, lines = (
            {"step": args.command, "ok": True, "skipped": blocked},
            (f"{args.command}: skipped, nothing uploaded ({blocked})"),
        )
    elif args.command == "plan":
        summary, lines = _plan(args, root, packages or [Package(root, config)], runner)
    elif packages:
        summary, lines = _for_packages(args, root, packages, runner)
    else:
        summary, lines = STEPS[args.command](args, root, config, runner)
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print(lines)
    return summary


def _for_packages(
    args: argparse.Namespace, workspace: Path, packages: list[Package], runner: Runner
) -> tuple[dict[str, Any], str]:
    """A command over several packages: builds in parallel, the rest one at a time."""
    from releasekit.workspace import default_jobs, run_parallel, run_sequential

    if args.command == "release" and len(packages) != 1:
        raise UsageError(
            "A monorepo release bumps, tags and pushes one package at a time.",
            "Choose it with --package DIR (publish works on all packages at once).",
        )
    if args.command == "init-ci" and args.provider == "gitlab" and len(packages) != 1:
        raise UsageError(
            "A repository has one .gitlab-ci.yml, and this monorepo has several packages.",
            "Write the job for one package with --package DIR (GitHub gets one workflow "
            "per package: init-ci github).",
        )
    jobs = args.jobs or default_jobs()

    def step(command: str) -> Callable[[Package], tuple[dict[str, Any], str]]:
        def work(package: Package) -> tuple[dict[str, Any], str]:
            return STEPS[command](args, package.root, package.config, runner)

        return work

    if args.command in ("build", "publish"):
        built = run_parallel(packages, step("build"), jobs)
        if args.command == "build":
            results = built
        else:

            def publish(package: Package) -> tuple[dict[str, Any], str]:
                return _pipeline(args, package.root, package.config, runner, build=False)

            # Packages are independent, so they are published -j at a time too; but a
            # prod upload that must ask for confirmation asks one package at a time.
            asks = not (args.test or args.yes or os.environ.get("CI"))
            results = (
                run_sequential(packages, publish) if asks else run_parallel(packages, publish, jobs)
            )
    else:
        results = run_sequential(packages, step(args.command))
    summary = {
        "step": args.command,
        "ok": True,
        "packages": [
            {"path": p.root.relative_to(workspace).as_posix(), **result}
            for p, (result, _) in zip(packages, results, strict=True)
        ],
    }
    lines = [f"[{p.label}] {text}" for p, (_, text) in zip(packages, results, strict=True)]
    return summary, "\n".join(lines)


def _plan(
    args: argparse.Namespace, workspace: Path, packages: list[Package], runner: Runner
) -> tuple[dict[str, Any], str]:
    from releasekit.workspace import default_jobs, plan_package, run_parallel

    entries = run_parallel(
        packages,
        lambda p: plan_package(p, workspace, args.repository, runner),
        args.jobs or default_jobs(),
    )
    pending = [e for e in entries if not e.on_index]
    summary = {
        "step": "plan",
        "ok": True,
        "repository": args.repository,
        "packages": [e.to_json() for e in entries],
        # Ready for a CI matrix: strategy.matrix.include = fromJSON(...).include
        "include": [{"package": e.path, "name": e.name, "version": e.version} for e in pending],
    }
    lines = [
        f"{'release' if not e.on_index else 'on index':<9} {e.name} {e.version} ({e.path})"
        for e in entries
    ]
    return summary, "\n".join(lines)


Step = Callable[[argparse.Namespace, Path, "ReleaseConfig", "Runner"], tuple[dict[str, Any], str]]


def _version(
    args: argparse.Namespace, root: Path, config: ReleaseConfig, runner: Runner
) -> tuple[dict[str, Any], str]:
    from releasekit.project import load_project
    from releasekit.steps.bump import current_version

    project = load_project(root, config)
    version = str(current_version(project, config, runner))
    return {"step": "version", "ok": True, "project": project.name, "version": version}, version


def _bump(
    args: argparse.Namespace, root: Path, config: ReleaseConfig, runner: Runner
) -> tuple[dict[str, Any], str]:
    from releasekit.steps.bump import bump_version

    result = bump_version(root, config, args.target, runner, dry_run=args.dry_run)
    verb = "would bump" if result.dry_run else "bumped"
    lines = [result.diff().rstrip("\n")] if result.dry_run else []
    lines.append(f"{verb} {result.project} {result.previous} -> {result.version}")
    lines += [f"  {c.path.relative_to(result.root).as_posix()}: {c.what}" for c in result.changes]
    if result.commit:
        lines.append(f"  commit: {result.commit_sha or '(would commit)'}")
    if result.tag:
        lines.append(f"  tag: {result.tag}")
    lines += [f"  note: {note}" for note in result.notes]
    if result.dry_run:
        lines.append("dry run: nothing was changed")
    return result.to_json(), "\n".join(lines)


def _build(
    args: argparse.Namespace, root: Path, config: ReleaseConfig, runner: Runner
) -> tuple[dict[str, Any], str]:
    from releasekit.steps.build import build_release, format_artifacts

    # Also the first phase of a monorepo publish, whose flags have no --outdir/--dry-run.
    result = build_release(
        root,
        config,
        runner,
        outdir=getattr(args, "outdir", None),
        dry_run=getattr(args, "dry_run", False),
    )
    if result.dry_run:
        lines = [f"would run: {' '.join(result.command)}", f"into: {result.outdir}"]
        lines += [f"would remove: {p.name}" for p in result.removed]
    else:
        lines = [
            f"built {result.project} {result.version} into {result.outdir}:",
            format_artifacts(result),
        ]
    lines += [f"  note: {note}" for note in result.notes]
    return result.to_json(), "\n".join(lines)


def _check(
    args: argparse.Namespace, root: Path, config: ReleaseConfig, runner: Runner
) -> tuple[dict[str, Any], str]:
    from releasekit.credentials import resolve_credentials
    from releasekit.repositories import index_client
    from releasekit.steps.check import check_release

    repository = _repository(args, config)
    try:
        credentials = resolve_credentials(repository)
    except ReleaseError:
        credentials = None  # reading a public index needs none; upload will say what is missing
    result = check_release(
        root,
        config,
        runner,
        repository,
        outdir=args.outdir,
        index=index_client(repository, credentials, log=runner.log),
    )
    lines = [f"check {result.project} {result.version} for {result.repository}:"]
    lines += [f"  ok: {name}" for name in result.passed]
    lines += [
        f"  already on {result.repository} (same sha256): {name}"
        for name in result.already_uploaded
    ]
    lines += [f"  note: {note}" for note in result.notes]
    if not args.json:
        print("\n".join(lines))
    result.raise_for_failures()
    return result.to_json(), "all checks passed"


def _upload(
    args: argparse.Namespace, root: Path, config: ReleaseConfig, runner: Runner
) -> tuple[dict[str, Any], str]:
    from releasekit.steps.upload import upload_release

    repository = _repository(args, config)
    result = upload_release(
        root, config, runner, repository, outdir=args.outdir, yes=args.yes, dry_run=args.dry_run
    )
    verb = "would upload" if result.dry_run else "uploaded"
    lines = [
        f"{verb} {result.project} {result.version} to {result.repository} "
        f"({result.upload_url}), credentials: {result.credentials}"
    ]
    if result.files:
        width = max(len(f.filename) for f in result.files)
        lines += [
            f"  {f.filename:<{width}}  {f.state:<13}  HTTP {f.status or '-'}  "
            f"{f.attempts} attempt{'s' * (f.attempts != 1)}  {f.seconds:.2f} s"
            for f in result.files
        ]
    else:
        lines += [f"  {verb}: {name}" for name in result.uploaded]
    lines += [f"  skipped (already there, same sha256): {name}" for name in result.skipped]
    lines += [f"  with attestation: {name}" for name in result.attestations]
    if not result.uploaded:
        lines.append("  nothing to upload: every file is already there")
    return result.to_json(), "\n".join(lines)


def _verify(
    args: argparse.Namespace, root: Path, config: ReleaseConfig, runner: Runner
) -> tuple[dict[str, Any], str]:
    from releasekit.credentials import resolve_credentials
    from releasekit.steps.verify import verify_release

    repository = _repository(args, config)
    try:
        credentials = resolve_credentials(repository)
    except ReleaseError:
        credentials = None
    result = verify_release(
        root, config, runner, repository, outdir=args.outdir, credentials=credentials
    )
    lines = [
        f"verified {result.project} {result.version} on {result.repository} "
        f"({result.index_url}) after {result.waited:.1f} s:"
    ]
    lines += [f"  ok: {f.filename} sha256:{f.expected_sha256}" for f in result.files]
    if result.install:
        lines.append(
            f"  installed with {result.install.installer} in a fresh venv: version "
            f"{result.install.installed_version}, imported "
            f"{', '.join(result.install.imported) or 'nothing'}"
        )
    return result.to_json(), "\n".join(lines)


def _pipeline(
    args: argparse.Namespace,
    root: Path,
    config: ReleaseConfig,
    runner: Runner,
    build: bool = True,
) -> tuple[dict[str, Any], str]:
    from releasekit import pipeline

    if args.command == "publish":
        resume = "releasekit publish" + (" --test" if args.test else "")
        result = pipeline.publish(
            root,
            config,
            runner,
            test=args.test,
            yes=args.yes,
            resume=getattr(args, "resume_command", resume),
            build=build,
        )
    else:
        result = pipeline.release(
            root,
            config,
            runner,
            args.part,
            resume=args.resume,
            yes=args.yes,
            resume_command=getattr(args, "resume_command", "releasekit release --resume"),
        )
    width = max(len(s.name) for s in result.steps)
    lines = [f"{args.command}: {result.project} {result.version}"]
    lines += [f"  {s.name:<{width}}  {s.seconds:6.1f} s  {s.outcome}" for s in result.steps]
    return result.to_json(), "\n".join(lines)


def _config(
    args: argparse.Namespace, root: Path, config: ReleaseConfig, runner: Runner
) -> tuple[dict[str, Any], str]:
    from releasekit.config import effective_settings

    rows = effective_settings(config)
    width = max(len(key) + len(json.dumps(value)) for key, value, _ in rows) + 3
    lines = [
        f"{f'{key} = {json.dumps(value)}':<{width}}  # {source}" for key, value, source in rows
    ]
    summary = {
        "step": "config",
        "ok": True,
        "settings": {key: {"value": value, "source": source} for key, value, source in rows},
    }
    return summary, "\n".join(lines)


# Commands that upload; only-if-env can make them skip (one job of a CI matrix uploads).
UPLOADING = {"upload", "upload-test", "upload-prod", "publish", "release"}

STEPS: dict[str, Step] = {
    "config": _config,
    "init-ci": ci.run_init_ci,
    "trusted-publisher": trusted_publisher.run_trusted_publisher,
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


def resume_command(argv: Sequence[str], part: str | None) -> str:
    """The command that resumes a stopped ``release``: the same flags, no part, --resume."""
    import shlex

    flags = [arg for arg in argv if arg != part]
    return shlex.join(["releasekit", *flags, *([] if "--resume" in flags else ["--resume"])])


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv)
    if args.command == "release":
        args.resume_command = resume_command(argv, args.part)
    elif args.command == "publish":
        args.resume_command = resume_command(argv, None).removesuffix(" --resume")
    try:
        run_command(args)
    except ReleaseError as exc:
        print(f"releasekit: error: {exc.message}", file=sys.stderr)
        if exc.hint:
            print(f"  {exc.hint}", file=sys.stderr)
        if args.json:
            error = {
                **(exc.details or {}),
                "step": args.command,
                "ok": False,
                "exit_code": int(exc.exit_code),
                "error": exc.message,
                "hint": exc.hint,
            }
            print(json.dumps(error, indent=2))
        return int(exc.exit_code)
    except KeyboardInterrupt:
        print("releasekit: interrupted", file=sys.stderr)
        return int(ExitCode.INTERRUPTED)
    return int(ExitCode.OK)
