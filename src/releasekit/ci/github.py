"""The GitHub Actions release workflow that ``releasekit init-ci github`` writes.

Build and check, then (where configured) TestPyPI and verify, then PyPI and verify; each
upload in a GitHub environment with ``id-token: write``, so PyPI's trusted publishing
mints the token and Sigstore signs the PEP 740 attestations. The workflow is written to
pass actionlint, ``zizmor --persona=pedantic`` and the GitHub workflow schema: actions
pinned by commit, no permission a job does not use, a concurrency group that never
cancels a release, releasekit itself pinned to the version that wrote the file.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from releasekit.ci.release_page import github_release_job
from releasekit.ci.requirements import install_requirements
from releasekit.ci.trusted_publishing import github_permissions, title
from releasekit.ci.yaml_text import (
    comment,
    github_tag_pattern,
    quoted,
    release_branch,
    yaml_scalar,
)
from releasekit.project import normalize_name

if TYPE_CHECKING:
    from releasekit.config import ReleaseConfig
    from releasekit.repositories import Repository

# Every action the workflows use, pinned to the commit of a release: a tag can be moved to
# other code, a commit cannot. Dependabot (package-ecosystem "github-actions") updates the
# commit and the version comment together. To refresh by hand: for each action, take the
# newest release tag and its commit (`git ls-remote --tags https://github.com/OWNER/NAME
# 'vX.Y.Z^{}'`, or the release page), put both here, and run the init-ci tests (they
# lint every workflow variant).
ACTIONS: dict[str, tuple[str, str]] = {
    "actions/checkout": ("3d3c42e5aac5ba805825da76410c181273ba90b1", "v7.0.1"),
    "actions/setup-python": ("5fda3b95a4ea91299a34e894583c3862153e4b97", "v7.0.0"),
    "actions/upload-artifact": ("bbbca2ddaa5d8feaa63e36b76fdaad77386f024f", "v7.0.0"),
    "actions/download-artifact": ("3e5f45b2cfb9172054b4087a40e8e0b5a5461e7c", "v8.0.1"),
    "pypa/cibuildwheel": ("1828c10ab37f080699c7b81cea34097c684a7074", "v4.2.0"),
}
WHEEL_PLATFORMS = ("ubuntu-latest", "ubuntu-24.04-arm", "macos-latest", "windows-latest")


def uses(action: str) -> str:
    """``action@commit  # version``: the pinned reference Dependabot can update."""
    commit, version = ACTIONS[action]
    return f"uses: {action}@{commit}  # {version}"


@dataclass(frozen=True)
class Upload:
    job: str
    repository: Repository
    environment: str


def _uploads(
    config: ReleaseConfig, test_first: bool, environment: str, test_environment: str
) -> list[Upload]:
    """The upload jobs, in order: TestPyPI's when ``test_first``, then PyPI's."""
    test = Upload("publish-test", config.repository("test"), test_environment)
    return [
        *([test] if test_first else []),
        Upload("publish", config.repository("prod"), environment),
    ]


_HEADER = """\
# Written by `releasekit init-ci github`.
{about}
name: Release

on:
  push:
{trigger}
permissions: {{}}

# One release at a time; a release in progress is never cancelled.
concurrency:
  group: ${{{{ github.workflow }}}}
  cancel-in-progress: false
{defaults}
jobs:
"""

_CHECKOUT = """\
      - {checkout}
        with:
          fetch-depth: 0  # every tag and commit: the tag check and SOURCE_DATE_EPOCH
          persist-credentials: false
"""

_SETUP = (
    _CHECKOUT
    + """\
      - {setup_python}
        with:
          python-version: {python}
      - run: python -m pip install {install}
"""
)

_KEEP_ARTIFACT = """\
      - {upload_artifact}
        with:
          name: {name}
          path: {path}
          if-no-files-found: error
"""


def _keep_artifact(name: str, path: str) -> str:
    """The step that keeps the files at ``path`` (a YAML scalar) as the workflow artifact
    ``name``, for the jobs after this one: the files, the wheels, the attestations."""
    return _KEEP_ARTIFACT.format(
        upload_artifact=uses("actions/upload-artifact"), name=name, path=path
    )


def _setup(
    config: ReleaseConfig, uploads: Sequence[Upload], python: str, install: str | None
) -> str:
    """The steps a job starts with: check out, set up Python, install releasekit."""
    return _SETUP.format(
        checkout=uses("actions/checkout"),
        setup_python=uses("actions/setup-python"),
        python=yaml_scalar(python),
        install=install
        or install_requirements(config, attest=any(u.repository.pypi_host for u in uploads)),
    )


def _checks(uploads: Sequence[Upload]) -> str:
    """The build job's check against each target, before anything is uploaded."""
    return "".join(
        f"      - run: releasekit check --repository {u.repository.name}\n" for u in uploads
    )


_READ = """\
    permissions:
      contents: read  # check out the repository
"""

_PLAN = """\
  plan:
    name: {title}
    runs-on: ubuntu-latest
{read}\
    outputs:
{matrix_output}\
      release: ${{{{ steps.plan.outputs.release }}}}
    steps:
{setup}\
      - id: plan
        run: |
          releasekit plan --repository prod --json > "$RUNNER_TEMP/plan.json"
          python - "$RUNNER_TEMP/plan.json" >> "$GITHUB_OUTPUT" <<'PLAN'
          import json, sys
          with open(sys.argv[1], encoding="utf-8") as plan:
              pending = json.load(plan)["include"]
{matrix_print}\
          print("release=" + ("true" if pending else "false"))
          PLAN

"""


def _plan_job(setup: str, *, matrix: bool) -> str:
    """The job that says whether (and, in a monorepo, which packages) to release."""
    return _PLAN.format(
        title="Which packages have a new version?"
        if matrix
        else "Is there a new version to release?",
        read=_READ,
        setup=setup,
        matrix_output="      matrix: ${{ steps.plan.outputs.matrix }}\n" if matrix else "",
        matrix_print='          print("matrix=" + json.dumps({"include": pending}))\n'
        if matrix
        else "",
    )


_BUILD = """\
  build:
    name: Build and check
{gate}\
    runs-on: ubuntu-latest
{read}\
    steps:
{setup}\
      - run: releasekit build
{checks}\
{keep}\
"""

_WHEELS = """\
  wheels:
    name: Wheels on ${{{{ matrix.os }}}}
{gate}\
    runs-on: ${{{{ matrix.os }}}}
    strategy:
      matrix:
        os:
{platforms}\
{read}\
    steps:
{checkout}\
      - {cibuildwheel}
        with:
          package-dir: {package_dir}
          output-dir: wheelhouse
{keep_wheels}\

  sdist:
    name: Source distribution
{gate}\
    runs-on: ubuntu-latest
{read}\
    steps:
{setup}\
      - run: python -m build --sdist --outdir "$OUTDIR" .
        env:
          OUTDIR: {outdir}  # not in the run line, where the shell would expand it
{keep_sdist}\
"""

_PUBLISH = """\

  {job}:
    name: {title}
    needs: {needs}
    runs-on: ubuntu-latest
{matrix}\
    environment:
      name: {environment}{url}
{permissions}\
    steps:
{setup}\
      - {download_artifact}
        with:
{download}\
          path: {outdir}
{checks}\
      - run: releasekit {upload} --yes
      - run: releasekit verify --repository {repository}{install}
{after}"""


def github_workflow(
    config: ReleaseConfig,
    project: str,
    *,
    install: str | None = None,
    trigger: str = "tag",
    environment: str = "pypi",
    test_environment: str = "testpypi",
    test_first: bool = True,
    python: str = "3.12",
    project_dir: str = "",
    outdir: str = "dist/",
    wheels: str = "",
    release_page: bool = True,
) -> str:
    """The text of a GitHub Actions release workflow for ``project``; ``install`` is what
    ``pip install`` gets (releasekit pinned, and the organisation's profile package).
    ``release_page``: a last job makes the tag's GitHub release (releasekit.ci.release_page)."""
    uploads = _uploads(config, test_first, environment, test_environment)
    about, on = _trigger(config, project, trigger)
    about += _about(uploads, wheels)
    defaults = (
        f"\ndefaults:\n  run:\n    working-directory: {yaml_scalar(project_dir)}\n"
        if project_dir
        else ""
    )
    text = _HEADER.format(about=comment(about), trigger=on, defaults=defaults)
    checkout = _CHECKOUT.format(checkout=uses("actions/checkout"))
    setup = _setup(config, uploads, python, install)
    gate = ""
    if trigger == "branch":
        text += _plan_job(setup, matrix=False)
        gate = "    needs: plan\n    if: needs.plan.outputs.release == 'true'\n"
    if wheels:
        text += _WHEELS.format(
            gate=gate,
            platforms="".join(f"          - {p}\n" for p in WHEEL_PLATFORMS),
            read=_READ,
            checkout=checkout,
            setup=setup,
            cibuildwheel=uses("pypa/cibuildwheel"),
            keep_wheels=_keep_artifact("wheels-${{ matrix.os }}", "wheelhouse/*.whl"),
            package_dir=yaml_scalar(project_dir or "."),
            outdir=yaml_scalar(outdir),
            keep_sdist=_keep_artifact("sdist", yaml_scalar(outdir)),
        )
        needs: Sequence[str] = ("wheels", "sdist")
        # Every artifact of every job, into one directory.
        download = "          pattern: '*'\n          merge-multiple: true\n"
    else:
        text += _BUILD.format(
            gate=gate,
            read=_READ,
            setup=setup,
            checks=_checks(uploads),
            keep=_keep_artifact("dist", yaml_scalar(outdir)),
        )
        needs = ("build",)
        download = "          name: dist\n"
    # The release page attaches the attestations the production upload signs.
    attested = release_page and bool(uploads[-1].repository.pypi_host) and config.attest
    for upload in uploads:
        text += _publish_job(
            upload,
            needs,
            project=project,
            setup=setup,
            outdir=outdir,
            download=download,
            # The wheels are checked where they come together, before the upload.
            check=bool(wheels),
            after=_keep_artifact("attestations", yaml_scalar(outdir + "*.publish.attestation"))
            if attested and upload is uploads[-1]
            else "",
        )
        needs = (upload.job,)
    if release_page:
        text += github_release_job(
            needs=needs[0],
            setup=setup,
            download_artifact=uses("actions/download-artifact"),
            download=download,
            path=yaml_scalar(outdir),
            # With --wheels every artifact comes down at once, the attestations too.
            attestations="attestations" if attested and not wheels else "",
            trigger=trigger,
        )
    return text


def _trigger(config: ReleaseConfig, project: str, trigger: str) -> tuple[str, str]:
    if trigger == "tag":
        pattern = github_tag_pattern(config, project)
        about = f"It runs when a release tag ({config.format_tag('1.2.3', project)}) is pushed."
        return about, f"    tags:\n      - {yaml_scalar(pattern)}\n"
    branch = release_branch(config)
    about = (
        f"It runs on every push to {branch}; the plan job releases only a version that is "
        "not on the index yet, so an ordinary push is a green run that publishes nothing."
    )
    return about, f"    branches:\n      - {yaml_scalar(branch)}\n"


def _about(uploads: Sequence[Upload], wheels: str) -> str:
    built = (
        "wheels for Linux, macOS and Windows (cibuildwheel) and the sdist, then"
        if wheels
        else "build and check, then"
    )
    about = (
        f" Jobs: {built} "
        + " and verify, then ".join(title(u.repository) for u in uploads)
        + " and verify. Every step is a releasekit command you can run locally."
    )
    trusted = [title(u.repository) for u in uploads if u.repository.pypi_host]
    if trusted:
        about += (
            f" The uploads to {' and '.join(trusted)} use trusted publishing: GitHub hands the "
            "job an OIDC token (id-token: write) that the index trades for a short-lived upload "
            "token, so no API token is stored anywhere, and that Sigstore uses to sign each "
            "file (PEP 740 attestations). Register the publisher once: "
            "`releasekit trusted-publisher` prints the exact values and the page."
        )
    return about


def _publish_job(
    upload: Upload,
    needs: Sequence[str],
    *,
    project: str,
    setup: str,
    outdir: str,
    download: str,
    check: bool,
    after: str = "",
) -> str:

    host = upload.repository.pypi_host
    page = f"https://{host}/project/{normalize_name(project)}/"
    url = f"\n      url: {yaml_scalar(page)}" if host else ""
    repository = upload.repository.name
    return _PUBLISH.format(
        job=upload.job,
        title=f"Publish to {title(upload.repository)}",
        needs=needs[0] if len(needs) == 1 else "[" + ", ".join(needs) + "]",
        matrix="",
        environment=yaml_scalar(upload.environment),
        url=url,
        permissions=github_permissions(upload.repository),
        setup=setup,
        download_artifact=uses("actions/download-artifact"),
        download=download,
        outdir=yaml_scalar(outdir),
        checks=f"      - run: releasekit check --repository {repository}\n" if check else "",
        upload=f"upload-{repository}" if repository in ("test", "prod") else "upload",
        repository=repository,
        install=" --install" if repository == "prod" else "",
        after=after,
    )


# --- a monorepo: one workflow, the jobs over `releasekit plan`'s matrix ------------------

_MATRIX = """\
    strategy:
      fail-fast: false
      matrix: ${{ fromJSON(needs.plan.outputs.matrix) }}
    defaults:
      run:
        working-directory: ${{ matrix.package }}
"""

_MATRIX_BUILD = """\
  build:
    name: Build and check ${{{{ matrix.name }}}}
    needs: plan
    if: needs.plan.outputs.release == 'true'
    runs-on: ubuntu-latest
{matrix}\
{read}\
    steps:
{setup}\
      - run: releasekit build
{checks}\
{keep}\
"""


def github_matrix_workflow(
    config: ReleaseConfig,
    tag_patterns: Sequence[str],
    *,
    install: str | None = None,
    trigger: str = "tag",
    environment: str = "pypi",
    test_environment: str = "testpypi",
    test_first: bool = True,
    python: str = "3.12",
    outdir: str = "dist/",
    release_page: bool = True,
) -> str:
    """One release workflow for every package of a monorepo: a plan job lists the
    packages whose version is not on the index yet (``releasekit plan --json``), and the
    build and publish jobs run over that matrix, each in its package's directory."""
    uploads = _uploads(config, test_first, environment, test_environment)
    if trigger == "tag":
        about = "It runs when a package's release tag is pushed."
        on = "    tags:\n" + "".join(f"      - {yaml_scalar(p)}\n" for p in tag_patterns)
    else:
        branch = release_branch(config)
        about = f"It runs on every push to {branch}."
        on = f"    branches:\n      - {yaml_scalar(branch)}\n"
    about += (
        " The plan job lists the packages whose version is not on the index yet; each of "
        "them is built, checked, uploaded and verified in its own matrix job, and a run "
        "with nothing new is green and publishes nothing."
    ) + _about(uploads, "")
    text = _HEADER.format(about=comment(about), trigger=on, defaults="")
    setup = _setup(config, uploads, python, install)
    text += _plan_job(setup, matrix=True)
    text += _MATRIX_BUILD.format(
        matrix=_MATRIX,
        read=_READ,
        setup=setup,
        checks=_checks(uploads),
        keep=_keep_artifact("dist-${{ matrix.name }}", _in_package(outdir)),
    )
    needs = "build"
    attested = release_page and bool(uploads[-1].repository.pypi_host) and config.attest
    for upload in uploads:
        host = upload.repository.pypi_host
        name = upload.repository.name
        text += _PUBLISH.format(
            job=upload.job,
            title=f"Publish ${{{{ matrix.name }}}} to {title(upload.repository)}",
            needs=f"[plan, {needs}]",
            matrix=_MATRIX,
            environment=yaml_scalar(upload.environment),
            url=f"\n      url: https://{host}/project/${{{{ matrix.name }}}}/" if host else "",
            permissions=github_permissions(upload.repository),
            setup=setup,
            download_artifact=uses("actions/download-artifact"),
            download="          name: dist-${{ matrix.name }}\n",
            outdir=_in_package(outdir),
            checks="",
            upload=f"upload-{name}",
            repository=name,
            install=" --install" if name == "prod" else "",
            after=_keep_artifact(
                quoted("attestations-${{ matrix.name }}"),
                _in_package(outdir + "*.publish.attestation"),
            )
            if attested and upload is uploads[-1]
            else "",
        )
        needs = upload.job
    if release_page:
        text += github_release_job(
            title="GitHub release of ${{ matrix.name }}",
            needs=f"[plan, {needs}]",
            matrix=_MATRIX,
            setup=setup,
            download_artifact=uses("actions/download-artifact"),
            download="          name: dist-${{ matrix.name }}\n",
            path=_in_package(outdir),
            attestations=quoted("attestations-${{ matrix.name }}") if attested else "",
            trigger=trigger,
        )
    return text


def _in_package(outdir: str) -> str:
    """``outdir`` under the matrix job's package directory, as one quoted scalar."""
    yaml_scalar(outdir)  # refuses what can never be written (control characters, ${{)
    return quoted("${{ matrix.package }}/" + outdir)
