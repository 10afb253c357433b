"""Pre-flight: every check that needs no new artifact, run before anything changes.

``release`` and ``publish`` run it first: the branch and the working tree, the tag, the
version (strictly greater, not already on an index, no dev or local version for
production), credentials and token scope for each target, each index reachable, and the
metadata that can be checked from the source (the readme renders, classifiers exist, no
``Private ::`` classifier for a public index). A failure here changes nothing: no commit,
no tag, no file. check runs the git and version rules again on the built artifacts.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Mapping, Set
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from packaging.version import Version

from releasekit.build_record import sent_record
from releasekit.buildenv import build_byproducts
from releasekit.changelog import changelog_mentions
from releasekit.credentials import check_token_scope
from releasekit.errors import CheckError, ExitCode, ReleaseError
from releasekit.lockfiles import stale_locks
from releasekit.probe import prove_credentials
from releasekit.rules.description import TWINE_CHECK, skipped, source_description_findings
from releasekit.targets import index_client
from releasekit.tool_env import can_prompt
from releasekit.vcs import Git

if TYPE_CHECKING:
    from releasekit.config import ReleaseConfig
    from releasekit.plan import ReleasePlan
    from releasekit.repositories import Repository
    from releasekit.runner import Runner
    from releasekit.vcs import Git


@dataclass(frozen=True)
class PreflightResult:
    passed: tuple[str, ...]
    failures: tuple[str, ...]
    notes: tuple[str, ...] = field(default=())
    # Repositories whose index could not be read: exit 13, as anywhere else.
    unreadable: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not self.failures

    @property
    def exit_code(self) -> ExitCode:
        return ExitCode.INDEX if self.unreadable else ExitCode.CHECK

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "passed": list(self.passed),
            "failures": list(self.failures),
            "notes": list(self.notes),
            "unreadable": list(self.unreadable),
        }

    def raise_for_failures(self, what: str) -> None:
        if self.failures:
            listed = "\n".join(f"  - {failure}" for failure in self.failures)
            error = CheckError(
                f"Pre-flight of {what} found {len(self.failures)} problem(s); nothing was "
                f"changed:\n{listed}",
                "Fix each of them and run the same command again (--dry-run shows the plan "
                "and runs the pre-flight only).",
            )
            error.exit_code = self.exit_code
            error.details = {"preflight": self.to_json()}
            raise error


def run_preflight(
    plan: ReleasePlan,
    runner: Runner,
    *,
    command: str,
    env: Mapping[str, str] | None = None,
    index_timeout: float = 10.0,
    confirmed: bool = False,
    can_ask: bool | None = None,
) -> PreflightResult:
    """Every check of ``plan`` that needs no artifact; all failures listed at once.

    ``confirmed`` (``--yes``) or ``CI`` in ``env``: production uploads need not ask;
    otherwise they must be able to (``can_ask``, default: stdin is a terminal)."""

    passed: list[str] = []
    failures: list[str] = []
    notes: list[str] = []
    unreadable: list[str] = []

    def record(name: str, problems: list[str]) -> None:
        failures.extend(problems)
        if not problems:
            passed.append(name)

    git = Git(runner, plan.root)
    if git.is_repository():
        ignored = set(build_byproducts(git, plan.outdir))
        problems = git_problems(git, plan.config, plan.name, plan.version, ignored)
        if command == "release" and plan.bump:
            problems += _new_tag_problems(git, plan)
        record("git", problems)
    elif command == "release":
        record("git", [f"{plan.root} is not in a git repository: release commits and tags"])
    else:
        notes.append(f"{plan.root} is not a git repository: git checks skipped.")
    environment = os.environ if env is None else env
    for repository in plan.targets:
        policy = policy_problems(plan.version, repository, plan.config)
        asks = repository.needs_confirmation(yes=confirmed, env=environment)
        if asks and not (can_prompt(environment) if can_ask is None else can_ask):
            policy.append(
                f"uploading to {repository.name}, a production repository, needs a "
                "confirmation and there is no terminal to ask: pass --yes (or run in CI, "
                "where the CI variable is set)"
            )
        record(f"version for {repository.name}", policy)
        problems, proof = _credential_problems(plan, repository, env, index_timeout)
        record(f"credentials for {repository.name}", problems)
        if proof:
            notes.append(proof)
        record(
            f"index {repository.name}",
            _index_problems(plan, repository, env, runner, index_timeout, command, unreadable),
        )
    metadata, metadata_notes = source_metadata_problems(plan)
    notes.extend(metadata_notes)
    record("metadata from the source", metadata)
    if not plan.bump:  # a bump writes both; its own refusals run in release's pre-flight
        said = changelog_mentions(
            plan.project.changelog, plan.project.changelog_style, str(plan.version)
        )
        if plan.config.changelog_required:
            record("changelog", said)
        notes.extend(stale_locks(plan.project, str(plan.version)))
    return PreflightResult(tuple(passed), tuple(failures), tuple(notes), tuple(unreadable))


def git_problems(
    git: Git,
    config: ReleaseConfig,
    name: str,
    version: Version,
    ignored: Set[str] = frozenset(),
) -> list[str]:
    """A clean tree (but for ``ignored`` paths) on a release branch (or a detached HEAD at
    the release tag), and no stale release tag."""
    problems = []
    dirty = [path for path in git.dirty_files() if path not in ignored]
    if dirty:
        problems.append(
            "the working tree has uncommitted changes: "
            + ", ".join(dirty[:5])
            + (" ..." if len(dirty) > 5 else "")
            + " (a release is built from committed files only: commit, stash or .gitignore "
            "them; allow-dirty is for bump-version alone)"
        )
    tag = config.format_tag(str(version), name)
    for kind, value in (("tag", tag), ("remote", config.release_remote)):
        if problem := git.ref_problem(kind, value):
            problems.append(
                problem + " (from " + ("tag-format" if kind == "tag" else "release.remote") + ")"
            )
    tag_commit = git.tag_commit(tag)
    # The tag may be on an earlier commit if the project's files are the same there (in a
    # monorepo, other packages moved on since); HEAD itself has nothing to compare.
    changed = git.changed_since(tag_commit) if tag_commit not in (None, git.head()) else []
    sent = sent_record(git, name, str(version)) if changed else None
    if sent is not None and tag_commit == sent.commit:
        changed = []  # the tag is on what was built and sent: commits since are not in it
    branch = git.branch()
    if not branch:
        if tag_commit is None or changed:  # detached is fine at the release tag (CI)
            problems.append(f"HEAD is detached and not at the tag {tag}")
    elif not any(fnmatch.fnmatchcase(branch, p) for p in config.release_branches):
        problems.append(
            f"the branch {branch!r} is not a release branch "
            f"({', '.join(config.release_branches)}; see release-branches)"
        )
    if changed:
        problems.append(
            f"the tag {tag} exists but points at {tag_commit[:12] if tag_commit else ''}, and "
            f"the project's files changed since ({', '.join(changed[:5])}"
            + (" ..." if len(changed) > 5 else "")
            + "): bump the version for a new release"
        )
    return problems


def _new_tag_problems(git: Git, plan: ReleasePlan) -> list[str]:
    """A bump must create a new tag for a version greater than every released one."""
    problems = []
    if git.tag_commit(plan.tag) is not None:
        problems.append(f"the tag {plan.tag} already exists: {plan.version} was released before")
    latest = plan.latest_tag
    if latest and latest[1] >= plan.version:
        problems.append(
            f"{plan.version} is not greater than {latest[1]}, already tagged {latest[0]}"
        )
    return problems


def policy_problems(version: Version, repository: Repository, config: ReleaseConfig) -> list[str]:
    """The repository's policy on this version: no local version on a public or
    production index, no development release on a production one."""
    problems = []
    if version.local is not None and (repository.pypi_host or repository.production):
        where = "a public index" if repository.pypi_host else "a production repository"
        problems.append(
            f"{version} has a local version label (+{version.local}); {repository.name} is "
            f"{where} ({repository.upload_url}), and local versions are for builds that are "
            "never published"
        )
    if repository.production and version.is_devrelease and not config.allow_dev_to_prod:
        problems.append(
            f"{version} is a development release; refusing it for {repository.name}, a "
            "production repository (set allow-dev-to-prod = true if you mean it)"
        )
    return problems


def _credential_problems(
    plan: ReleasePlan, repository: Repository, env: Mapping[str, str] | None, timeout: float
) -> tuple[list[str], str]:
    """The credentials found for ``repository``, read offline (a PyPI token's scope),
    then proven against its upload URL with an upload request that carries no file; and
    a note saying where they came from and what the index said."""

    target = plan.target(repository, env)
    try:
        credentials = target.credentials()
        check_token_scope(credentials, repository, plan.name)
    except ReleaseError as exc:
        return [f"{repository.name}: {exc}"], ""
    proof = prove_credentials(repository, credentials, target.network, timeout=timeout)
    return ([proof.problem] if proof.problem else []), proof.note


def _index_problems(
    plan: ReleasePlan,
    repository: Repository,
    env: Mapping[str, str] | None,
    runner: Runner,
    timeout: float,
    command: str,
    unreadable: list[str],
) -> list[str]:
    """The index answers (else its name goes to ``unreadable``); a version about to be
    bumped to is not on it already."""

    target = plan.target(repository, env)
    try:
        target.read_credentials()
        index = target.index(timeout=timeout, retries=1, log=runner.log)
    except ReleaseError:
        # Reported by the credentials check; the index may be public.
        index = index_client(repository, None, timeout=timeout, retries=1, log=runner.log)
    try:
        files = index.release_files(plan.name, str(plan.version))
    except ReleaseError as exc:
        unreadable.append(repository.name)
        return [f"{repository.name} cannot be read: {exc}"]
    if files and command == "release" and plan.bump:
        return [
            f"{plan.name} {plan.version} is already on {repository.name} "
            f"({', '.join(sorted(f.filename for f in files))}): bump to another version"
        ]
    return []


def source_metadata_problems(plan: ReleasePlan) -> tuple[list[str], list[str]]:
    """What PyPI would refuse in the metadata as the source declares it: a long
    description that does not render (the same rules as check's, from pyproject.toml,
    setup.cfg or setup.py), unknown classifiers, ``Private ::`` for a public index. Notes
    when it cannot tell (dynamic metadata, no classifier list installed) and for check's
    warnings."""

    table = plan.project.table
    problems: list[str] = []
    notes: list[str] = []
    skip = tuple(plan.config.skip_checks)
    if TWINE_CHECK not in skip:
        findings, described = source_description_findings(plan.root, table)
        notes += described
        for finding in findings:
            if skipped(finding.check_id, skip):
                continue
            said = f"{finding.message} [{finding.check_id}]"
            if finding.severity == "failure":
                problems.append(said)
            else:
                notes.append(f"check will warn: {said}")
    if not table:
        notes.append("no [project] table: classifiers are checked on the built artifacts.")
        return problems, notes
    classifiers = [c for c in table.get("classifiers", []) if isinstance(c, str)]
    if any(c.startswith("Private ::") for c in classifiers):
        public = [r.name for r in plan.targets if r.pypi_host]
        if public:
            problems.append(
                f"a 'Private ::' classifier in pyproject.toml: it is meant never to reach a "
                f"public index like {', '.join(public)}"
            )
    try:
        from trove_classifiers import classifiers as known
    except ImportError:
        if classifiers:
            notes.append(
                "classifiers not checked before the build (trove-classifiers is not installed)"
            )
        return problems, notes
    unknown = [c for c in classifiers if c not in known and not c.startswith("Private ::")]
    if unknown:
        problems.append(
            "unknown classifiers in pyproject.toml (PyPI refuses them): " + "; ".join(unknown)
        )
    return problems, notes
