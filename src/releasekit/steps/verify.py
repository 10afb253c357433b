"""verify: prove that what is on the index is exactly what was built.

Polls the index until the version appears (PyPI's pages are CDN-cached; an index on this
machine is given a few seconds), then compares
every file's sha256 with the local artifact. With ``install``, installs the release from
that index alone into a fresh virtual environment and checks what got installed.
"""

from __future__ import annotations

import datetime
import email.parser
import json
import os
import shlex
import tempfile
import time
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import quote, urlsplit, urlunsplit

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from releasekit.artifacts import Artifact, artifact_problems, find_artifacts
from releasekit.attestations import attestation_path
from releasekit.comparison import is_allowed_other
from releasekit.config import ReleaseConfig
from releasekit.credentials import ANONYMOUS, Credentials
from releasekit.errors import CommandError, IndexUnreachableError, ReleaseError, VerifyError
from releasekit.index import IndexClient, IndexFile, ReleaseViews
from releasekit.plan import ReleasePlan
from releasekit.project import normalize_name
from releasekit.provenance import expected_publisher, verify_provenance
from releasekit.repositories import Repository, redact_url
from releasekit.runner import Runner
from releasekit.steps import step_head
from releasekit.targets import dependencies_index
from releasekit.tools import find_uv

if TYPE_CHECKING:
    from releasekit.provenance import ExpectedPublisher, ProvenanceVerdict

# "other": on the index, not built here, and accepted by allow-other-files.
FileState = Literal["ok", "missing", "mismatch", "extra", "other"]
ACCEPTED: tuple[FileState, ...] = ("ok", "other")


@dataclass(frozen=True)
class FileVerdict:
    filename: str
    state: FileState
    expected_sha256: str | None
    found_sha256: str | None


@dataclass(frozen=True)
class InstallCheck:
    installer: str
    installed_version: str
    imported: tuple[str, ...]


@dataclass(frozen=True)
class VerifyResult:
    project: str
    version: str
    repository: str
    index_url: str
    files: tuple[FileVerdict, ...]
    waited: float
    polls: int
    install: InstallCheck | None = None
    notes: tuple[str, ...] = field(default=())
    # PEP 740: one verdict per local file when provenance was checked, and against whom.
    provenance: tuple[ProvenanceVerdict, ...] = ()
    publisher: ExpectedPublisher | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            **step_head("verify", self.project, self.version),
            "repository": self.repository,
            "index_url": self.index_url,
            "files": [f.__dict__ for f in self.files],
            "waited_seconds": round(self.waited, 2),
            "polls": self.polls,
            "install": self.install.__dict__ if self.install else None,
            "provenance": [v.to_json() for v in self.provenance] if self.publisher else None,
            "publisher": self.publisher.to_json() if self.publisher else None,
            "notes": list(self.notes),
        }


def verify_release(
    plan: ReleasePlan,
    runner: Runner,
    repository: Repository,
    *,
    outdir: Path | None = None,
    timeout: float | None = None,
    install: bool | None = None,
    credentials: Credentials | None = None,
    index: IndexClient | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], object] = time.sleep,
    publisher: ExpectedPublisher | None = None,
) -> VerifyResult:
    """Wait for the release on ``repository`` and compare it with the local artifacts;
    then, when ``verify.provenance`` asks for it, check each file's PEP 740 provenance
    against ``publisher`` (default: from config or the release workflow)."""
    config, project, version = plan.config, plan.project, str(plan.version)
    outdir = outdir or plan.outdir
    artifacts = find_artifacts(outdir)
    if not artifacts:
        raise VerifyError(
            f"There are no local artifacts in {outdir} to compare the index with.",
            "Verify from the directory you built and uploaded from (or pass --outdir).",
        )
    # Files of another version would be waited for in vain (minutes), then "missing".
    problems = artifact_problems([a.filename for a in artifacts], project.name, Version(version))
    if problems:
        raise VerifyError(
            f"The artifacts in {outdir} are not those of "
            f"{project.name} {version}: " + "; ".join(problems) + ".",
            "Build (and upload) this version first, or verify from the checkout of the "
            "version that was built.",
        )
    timeout = config.verify_timeout if timeout is None else timeout
    # No request may outlast the wait (--timeout 5 ends after about 5 s, whatever the index
    # does), and the client does not retry: polling again is this step's job.
    target = plan.target(repository)
    credentials = credentials or target.read_credentials()
    index = index or target.index(timeout=max(1.0, min(10.0, timeout)), retries=0)
    wanted = frozenset(a.filename for a in artifacts)
    remote, waited, polls = _wait_for_release(
        index, runner, repository, project.name, version, wanted, timeout, clock, sleep
    )
    verdicts = _compare(artifacts, remote, config.allow_other_files)
    if any(v.state not in ACCEPTED for v in verdicts):
        raise _not_what_was_built(project.name, version, repository, verdicts)
    proven: tuple[ProvenanceVerdict, ...] = ()
    if _wants_provenance(config, repository, artifacts):
        publisher = publisher or expected_publisher(plan.root, config, runner, repository)
        proven = check_provenance(
            index, runner, repository, project.name, version, artifacts, remote, publisher
        )
    else:
        publisher = None
    checked: InstallCheck | None = None
    install_notes: list[str] = []
    if config.verify_install if install is None else install:
        checked, install_notes = install_and_check(
            runner, repository, config, project.name, version, artifacts, credentials
        )
    return VerifyResult(
        project=project.name,
        version=version,
        repository=repository.name,
        index_url=redact_url(repository.index_url),
        files=tuple(verdicts),
        waited=waited,
        polls=polls,
        install=checked,
        notes=(
            *(
                f"{v.filename} is on {repository.name} too (built elsewhere: allowed by "
                "allow-other-files)"
                for v in verdicts
                if v.state == "other"
            ),
            *install_notes,
        ),
        provenance=proven,
        publisher=publisher,
    )


def _wants_provenance(
    config: ReleaseConfig, repository: Repository, artifacts: tuple[Artifact, ...]
) -> bool:
    """``always``, ``never``, or (auto) on PyPI/TestPyPI when upload left attestations."""
    if config.verify_provenance != "auto":
        return config.verify_provenance == "always"
    return bool(repository.pypi_host) and any(attestation_path(a.path).is_file() for a in artifacts)


def check_provenance(
    index: IndexClient,
    runner: Runner,
    repository: Repository,
    name: str,
    version: str,
    artifacts: tuple[Artifact, ...],
    remote: list[IndexFile],
    publisher: ExpectedPublisher,
) -> tuple[ProvenanceVerdict, ...]:
    """Fetch and verify the provenance of every local artifact; a VerifyError (exit 11)
    naming each file's verdict unless all are ``verified``."""

    by_name = {f.filename: f for f in remote}
    runner.log(f"checking the PEP 740 provenance on {repository.name} ({publisher.describe()})")
    verdicts = tuple(
        verify_provenance(
            artifact.path, index.provenance(name, version, by_name[artifact.filename]), publisher
        )
        for artifact in artifacts
    )
    bad = [v for v in verdicts if v.state != "verified"]
    if bad:
        error = VerifyError(
            f"The provenance of {name} {version} on {repository.name} does not prove it was "
            f"published by {publisher.describe()}:\n"
            + "\n".join(f"  - {v.filename}: {v.state}: {v.detail}" for v in bad),
            "Do not announce this release until you know why. A missing provenance: the "
            "upload was not attested (attest = false, an API token, or another tool). A "
            "wrong repository or workflow: the file was published by someone else's "
            "trusted publisher, or [tool.releasekit.provenance] names the wrong one. "
            "Tampered or invalid: the file on the index is not the one that was signed.",
        )
        error.details = {
            "project": name,
            "version": version,
            "repository": repository.name,
            "publisher": publisher.to_json(),
            "provenance": [v.to_json() for v in verdicts],
        }
        raise error
    return verdicts


def _not_what_was_built(
    name: str, version: str, repository: Repository, verdicts: list[FileVerdict]
) -> VerifyError:
    """The error for files missing, different or unexpected on the index."""
    bad = [v for v in verdicts if v.state not in ACCEPTED]
    error = VerifyError(
        f"{name} {version} on {repository.name} is not what was built:\n"
        + "\n".join(f"  - {_describe(v)}" for v in bad),
        "Upload again (files already there are skipped), then verify again."
        if all(v.state == "missing" for v in bad)
        else "Do not announce this release. A file that differs can never be replaced: "
        "yank the release on the index and publish a new version.",
    )
    error.details = {
        "project": name,
        "version": version,
        "repository": repository.name,
        "index_url": redact_url(repository.index_url),
        "files": [v.__dict__ for v in verdicts],
    }
    return error


# Seconds verify waits for an index on this machine to list the files: it has no CDN, so
# what it does not list at once it does not have (verify.timeout is for remote indexes).
LOCAL_WAIT = 3.0


def _wait_for_release(
    index: IndexClient,
    runner: Runner,
    repository: Repository,
    name: str,
    version: str,
    wanted: frozenset[str],
    timeout: float,
    clock: Callable[[], float],
    sleep: Callable[[float], object],
) -> tuple[list[IndexFile], float, int]:
    """Poll until the index lists every ``wanted`` file (both APIs where it has two), or
    the wait is over: (its files, seconds waited, polls)."""
    start = clock()
    delay, polls = 1.0, 0
    last_error: ReleaseError | None = None
    views = ReleaseViews([], None)
    per_read = index.timeout
    while True:
        polls += 1
        # A poll begun near the end gets only what is left of the wait for its reads, so
        # a trickling index cannot hold verify a whole read's bound past --timeout.
        index.timeout = max(1.0, min(per_read, timeout - (clock() - start)))
        try:
            # What installers read (the simple API) and, where the index has one, its
            # JSON API: a file is published when both list it.
            views = index.release_views(name, version)
            last_error = None
        except IndexUnreachableError:
            raise  # nothing listens there: polling for minutes would not change that
        except ReleaseError as exc:  # the index is down for a moment: keep asking
            last_error = exc
        remote = views.simple
        found = {f.filename for f in remote}
        if views.json_api is not None:
            found &= {f.filename for f in views.json_api}
        elapsed = clock() - start
        # An index on this machine that answers lists what it has: a few seconds settle
        # it. One that answers with errors gets the whole timeout to recover.
        listed = repository.read_on_this_machine and last_error is None
        limit = min(timeout, LOCAL_WAIT) if listed else timeout
        if wanted <= found:
            return remote, elapsed, polls
        apart = _listed_apart(views, wanted)
        if elapsed >= limit and apart:
            raise VerifyError(
                f"{name} {version} on {repository.name} "
                f"({redact_url(repository.index_url)}) is listed by one of its APIs only "
                f"after {elapsed:.1f} s ({polls} polls): {apart}.",
                "Installers read the simple API: until it lists every file, the release "
                "cannot be installed from it. Run verify again later; if it stays so, "
                "report it to the index's operators.",
            )
        if elapsed >= limit and remote:
            return remote, elapsed, polls
        missing = sorted(wanted - found)
        if elapsed >= limit and listed:
            raise VerifyError(
                f"{', '.join(missing)} of {name} {version} are not on {repository.name} "
                f"({redact_url(repository.index_url)}): it answered {polls} times in "
                f"{elapsed:.1f} s without listing them, and an index on this machine lists a "
                "file as soon as it has stored it.",
                "Upload them first (releasekit upload-test, upload-prod or publish); if they "
                "were uploaded, check that index-url reads the index upload-url sends to.",
            )
        if elapsed >= limit:
            detail = f" The last answer was an error: {last_error}" if last_error else ""
            raise VerifyError(
                f"{name} {version} did not appear on {repository.name} "
                f"({redact_url(repository.index_url)}) within {timeout:g} s "
                f"({polls} polls).{detail}",
                "Indexes behind a CDN can lag for minutes: run verify again with a longer "
                "--timeout, and check that the upload really succeeded."
                if not repository.read_on_this_machine
                else "Run verify again once the index answers (--timeout waits longer).",
            )
        runner.log(
            f"waiting for {repository.name} to list {', '.join(missing)} "
            f"({elapsed:.0f}/{limit:g} s{'; ' + apart if apart else ''})"
        )
        sleep(min(delay, max(0.0, limit - elapsed)))
        delay = min(delay * 1.5, 15.0)


def _listed_apart(views: ReleaseViews, wanted: frozenset[str]) -> str:
    """The built files one API lists and the other does not, in words ("" if none)."""
    if views.json_api is None:
        return ""
    simple = {f.filename for f in views.simple} & wanted
    json_api = {f.filename for f in views.json_api} & wanted
    said = [
        f"{f} is in the JSON API but not on the simple page (what installers read)"
        for f in sorted(json_api - simple)
    ]
    said += [
        f"{f} is on the simple page but not in the JSON API" for f in sorted(simple - json_api)
    ]
    return "; ".join(said)


def _compare(
    artifacts: tuple[Artifact, ...], remote: list[IndexFile], allow_other_files: Sequence[str]
) -> list[FileVerdict]:
    by_name = {f.filename: f for f in remote}
    verdicts = []
    for artifact in artifacts:
        found = by_name.pop(artifact.filename, None)
        if found is None:
            verdicts.append(FileVerdict(artifact.filename, "missing", artifact.sha256, None))
        elif found.sha256 != artifact.sha256:
            verdicts.append(
                FileVerdict(artifact.filename, "mismatch", artifact.sha256, found.sha256)
            )
        else:
            verdicts.append(FileVerdict(artifact.filename, "ok", artifact.sha256, found.sha256))
    verdicts.extend(
        FileVerdict(
            f.filename,
            "other" if is_allowed_other(f.filename, allow_other_files) else "extra",
            None,
            f.sha256,
        )
        for f in by_name.values()
    )
    return verdicts


def _describe(verdict: FileVerdict) -> str:
    if verdict.state == "missing":
        return (
            f"{verdict.filename}: missing from the index (expected sha256 "
            f"{verdict.expected_sha256})"
        )
    if verdict.state == "mismatch":
        return (
            f"{verdict.filename}: sha256 on the index is {verdict.found_sha256 or 'unknown'}"
            f", expected {verdict.expected_sha256}"
        )
    return (
        f"{verdict.filename}: on the index but not built here (sha256 "
        f"{verdict.found_sha256}; if another job of this release built it, list it in "
        "allow-other-files)"
    )


# --- the fresh-venv install --------------------------------------------------------------


def install_and_check(
    runner: Runner,
    repository: Repository,
    config: ReleaseConfig,
    name: str,
    version: str,
    artifacts: tuple[Artifact, ...],
    credentials: Credentials | None = None,
) -> tuple[InstallCheck, list[str]]:
    """Install ``name==version`` from the repository alone into a fresh venv, import its
    import names and check its metadata version; the notes (a module that needs an extra).

    The release comes only from the repository's index, pinned and hash-checked against
    the local artifacts, with any release-age cooldown of the installer switched off (the
    release was uploaded a moment ago); its dependencies from
    :func:`~releasekit.targets.dependencies_index`, with the release constrained to its
    version, so a same-named project there is never installed, and a name squatted on a
    test index never stands in for a dependency.
    """

    uv = find_uv()
    index_url = installer_index_url(repository, credentials)
    deps_index = dependencies_index(repository, config)
    if deps_index == repository.index_url:
        deps_index = index_url
    modules = config.verify_import or import_names(artifacts, name)
    with tempfile.TemporaryDirectory(prefix="releasekit-verify-") as scratch:
        venv = Path(scratch) / "venv"
        python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
        if uv:
            runner.run([uv.path, "venv", "--quiet", "--python", runner.python, str(venv)])
            install = [uv.path, "pip", "install", "--quiet", "--no-cache", "--python", str(python)]
        else:
            runner.run([runner.python, "-m", "venv", str(venv)])
            install = [
                str(python),
                "-m",
                "pip",
                "install",
                "--quiet",
                "--no-cache-dir",
                "--disable-pip-version-check",
            ]
        # The release itself: only from the target index, exactly this version, and only
        # a file with the sha256 of one built here.
        pinned = Path(scratch) / "release.txt"
        hashes = " ".join(f"--hash=sha256:{a.sha256}" for a in artifacts)
        pinned.write_text(f"{name}=={version} {hashes}\n", encoding="utf-8")
        # Index URLs travel in the environment: they may carry credentials.
        release_only = ["--no-deps", "--require-hashes", "-r", str(pinned)]
        _install(
            runner,
            [*install, *_no_cooldown(uv is not None, name), *release_only],
            {**_index_env(uv is not None, index_url), **_no_cooldown_env(uv is not None)},
            repository,
        )
        requirements = json.loads(runner.run([str(python), "-c", _REQUIRES, name]))
        base = [r for r in requirements if not _under_extra(r)]
        if base:
            # A project of the same name on the dependencies index never replaces it.
            constraint = Path(scratch) / "constraints.txt"
            constraint.write_text(f"{name}=={version}\n", encoding="utf-8")
            _install(
                runner,
                [*install, "-c", str(constraint), *base],
                _index_env(uv is not None, deps_index),
                repository,
            )
        probe = json.loads(runner.run([str(python), "-c", _PROBE, name, *modules]))
    if probe["version"] != version:
        raise VerifyError(
            f"Installing {name}=={version} from {repository.name} gave version "
            f"{probe['version']} (importlib.metadata).",
            "The index serves other files than the ones built here; do not announce this release.",
        )
    imported, notes = _import_outcome(name, requirements, probe["failed"], modules)
    return InstallCheck("uv" if uv else "pip", probe["version"], tuple(imported)), notes


def _no_cooldown(uv: bool, name: str) -> list[str]:
    """uv's options that exempt the release from a release-age cooldown (``exclude-newer``
    in the user's environment; configuration files are not read, see _index_env): it was
    uploaded a moment ago, and an index without upload times would hide it altogether."""
    if uv and os.environ.get("UV_EXCLUDE_NEWER"):
        return ["--exclude-newer-package", f"{name}=false"]
    return []


def _no_cooldown_env(uv: bool) -> dict[str, str]:
    """pip's cooldown (``--uploaded-prior-to`` as PIP_UPLOADED_PRIOR_TO; pip.conf is not
    read) moved to a day from now for the release's install."""
    if uv or not os.environ.get("PIP_UPLOADED_PRIOR_TO"):
        return {}
    tomorrow = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=1)
    return {"PIP_UPLOADED_PRIOR_TO": tomorrow.strftime("%Y-%m-%dT%H:%M:%SZ")}


def _under_extra(requirement: str) -> bool:
    """Declared under an extra (``aiohttp; extra == "d"``): not installed by default."""
    try:
        marker = Requirement(requirement).marker
    except InvalidRequirement:
        return False
    return marker is not None and "extra" in str(marker)


def _import_outcome(
    name: str,
    requirements: Sequence[str],
    failed: Mapping[str, Mapping[str, str]],
    modules: Sequence[str],
) -> tuple[list[str], list[str]]:
    """The modules imported, and notes for those that need an optional dependency; any
    other failure to import is a VerifyError."""
    optional = {canonicalize_name(Requirement(r).name): r for r in requirements if _under_extra(r)}
    notes, problems = [], []
    for module, error in failed.items():
        missing = canonicalize_name((error.get("missing") or "").split(".")[0] or "-")
        if error["type"] == "ModuleNotFoundError" and missing in optional:
            notes.append(
                f"import {module} needs {error['missing']}, which {name} declares only as an "
                f"optional dependency ({optional[missing]}): not imported"
            )
        else:
            problems.append(f"import {module}: {error['type']}: {error['message']}")
    if problems:
        raise VerifyError(
            f"{name} installed, but importing it failed: " + "; ".join(problems) + ".",
            "Fix the package (a module or a dependency missing from the wheel), or list the "
            "modules to import in verify.import.",
        )
    return [m for m in modules if m not in failed], notes


_REQUIRES = (
    "import importlib.metadata as m, json, sys; print(json.dumps(m.requires(sys.argv[1]) or []))"
)
# Each module imported on its own: what failed, and for a missing module which one.
_PROBE = """\
import importlib, importlib.metadata as m, json, sys
failed = {}
for module in sys.argv[2:]:
    try:
        importlib.import_module(module)
    except Exception as exc:
        failed[module] = {
            "type": type(exc).__name__,
            "message": str(exc),
            "missing": getattr(exc, "name", None) or "",
        }
print(json.dumps({"version": m.version(sys.argv[1]), "failed": failed}))
"""


def _index_env(uv: bool, index_url: str) -> dict[str, str]:
    """The environment that makes the installer use ``index_url`` and nothing else: the
    user's extra indexes, find-links and config files (uv.toml, [tool.uv] of the project
    in the current directory, pip.conf) could serve another file under the same name."""
    if uv:
        unset = ("UV_DEFAULT_INDEX", "UV_INDEX", "UV_EXTRA_INDEX_URL", "UV_FIND_LINKS")
        return {"UV_INDEX_URL": index_url, **dict.fromkeys(unset, ""), "UV_NO_CONFIG": "1"}
    return {
        "PIP_INDEX_URL": index_url,
        "PIP_EXTRA_INDEX_URL": "",
        "PIP_FIND_LINKS": "",
        "PIP_CONFIG_FILE": os.devnull,
    }


def _install(
    runner: Runner, argv: list[str], env: Mapping[str, str], repository: Repository
) -> None:
    try:
        runner.run(argv, env=env)
    except CommandError as exc:
        raise VerifyError(
            f"Installing from {repository.name} in a fresh environment failed: "
            f"`{shlex.join(argv)}` said:\n{exc.output.strip()[-2000:]}",
            "Check that the release and its dependencies can be installed from that index; "
            "dependencies come from verify.dependencies-index (or the repository's "
            "dependencies-index-url) when that index does not have them.",
        ) from None


def installer_index_url(repository: Repository, credentials: Credentials | None) -> str:
    """The index URL the installer gets (through its environment, never argv): with the
    credentials for a private index, without for a public one, whose token is an upload
    token that no read endpoint may see."""
    url = repository.index_url
    if repository.index_is_public or not credentials or not credentials.password:
        return url
    if credentials.username == ANONYMOUS:
        return url
    parts = urlsplit(url)
    userinfo = (
        quote(credentials.username, safe="") + ":" + quote(credentials.password.reveal(), safe="")
    )
    return urlunsplit(
        parts._replace(
            netloc=f"{userinfo}@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
        )
    )


def import_names(artifacts: tuple[Artifact, ...], name: str) -> list[str]:
    """What a user would import: the wheel's ``Import-Name`` fields (Metadata 2.5, PEP
    794) when it declares them, else the importable top-level names it installs."""
    for artifact in artifacts:
        if artifact.kind != "wheel":
            continue
        with zipfile.ZipFile(artifact.path) as wheel:
            entries = wheel.namelist()
            metadata = next(
                (e for e in entries if e.count("/") == 1 and e.endswith(".dist-info/METADATA")),
                None,
            )
            if metadata is not None:
                message = email.parser.BytesParser().parsebytes(
                    wheel.read(metadata), headersonly=True
                )
                declared = message.get_all("Import-Name")
                if declared is not None:
                    # "name; private" is still importable; an empty field: nothing to import.
                    return [v.split(";", 1)[0].strip() for v in declared if v.strip()]
        tops = set()
        for entry in entries:
            top = entry.split("/", 1)[0]
            if top.endswith((".dist-info", ".data")) or top.endswith(".pth"):
                continue
            if "/" in entry or top.endswith(".py"):
                tops.add(top.removesuffix(".py"))
        return sorted(t for t in tops if t.isidentifier())
    return [normalize_name(name).replace("-", "_")]
