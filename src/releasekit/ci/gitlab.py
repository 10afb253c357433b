"""The GitLab CI pipeline that ``releasekit init-ci gitlab`` writes.

Build and check, then upload and verify: to the project's own package registry with the
CI job token (``--target registry``), or to PyPI / TestPyPI by trusted publishing
(``--target pypi|testpypi``): the job's ``id_tokens`` carry an OIDC token with PyPI's
audience, which releasekit trades for a short-lived upload token, and one for Sigstore, which
signs the PEP 740 attestations. With ``--include`` the jobs go into a file of their own
that the project's existing ``.gitlab-ci.yml`` includes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from releasekit.ci.release_page import gitlab_keep_attestations, gitlab_release_jobs
from releasekit.ci.requirements import install_requirements
from releasekit.ci.trusted_publishing import gitlab_id_tokens
from releasekit.ci.yaml_text import (
    comment,
    gitlab_branch_rule,
    gitlab_tag_regex,
    release_branch,
    shell_word,
    yaml_scalar,
)
from releasekit.commands import CI_TARGETS

if TYPE_CHECKING:
    from releasekit.config import ReleaseConfig

TARGETS = CI_TARGETS
# The project's GitLab package registry, as the job sees it (CI_API_V4_URL has no slash
# at the end). Job variables, expanded by GitLab; not RELEASEKIT_*: those are settings.
GITLAB_UPLOAD_URL = "${CI_API_V4_URL}/projects/${CI_PROJECT_ID}/packages/pypi"
GITLAB_INDEX_URL = GITLAB_UPLOAD_URL + "/simple"
GITLAB_REPOSITORY = "gitlab"
# The GitLab environment each target's upload runs in (protected, it says who may release).
ENVIRONMENTS = {"registry": "package-registry", "pypi": "pypi", "testpypi": "testpypi"}
# GitLab's default stages: an included file cannot count on stages of its own.
STAGES = ("build", "deploy")

_PIPELINE = """\
# Written by `releasekit init-ci gitlab`.
{when}

{sections}.releasekit:
  image: {image}
  rules:
    - if: {rule}
  variables:
    GIT_DEPTH: '0'  # every tag and commit: the tag check and SOURCE_DATE_EPOCH
  before_script:
{before}\
    - python -m pip install {install}

{plan_job}\
release-build:
  extends: .releasekit
  stage: build
{build_needs}\
  script:
{gate}\
    - releasekit build
    - releasekit check {repository}
  artifacts:
    paths:
      - {outdir}
    expire_in: 1 week

release-publish:
  extends: .releasekit
  stage: deploy
  needs:
{plan_need}\
    - release-build
  # Protect it (Settings > CI/CD > Protected environments) to say who may release.
  environment:
    name: {environment}
    deployment_tier: {tier}
{id_tokens}\
  script:
{gate}\
    - releasekit upload {repository} --yes
    - releasekit verify {repository} --install
{publish_artifacts}{release_page}"""

# --trigger branch: a push releases only a version the index does not have yet. The plan
# job says so in a dotenv report (RELEASE=true|false); the other jobs end at once, green,
# when it is false.
_PLAN_JOB = """\
release-plan:
  extends: .releasekit
  stage: build
  script:
    - releasekit plan {repository} --json > plan.json
    - >-
      python -c 'import json; pending = json.load(open("plan.json"))["include"];
      print("RELEASE=" + ("true" if pending else "false"))' > plan.env
    - cat plan.env
  artifacts:
    reports:
      dotenv: plan.env

"""
_GATE = (
    "    - "
    + yaml_scalar(
        'if [ "$RELEASE" != "true" ]; then echo "This version is on the index already: '
        'nothing to release."; exit 0; fi'
    )
    + "\n"
)

_VARIABLES = """\
variables:
  RELEASE_UPLOAD_URL: {upload_url}
  RELEASE_INDEX_URL: {index_url}
"""


def gitlab_ci(
    config: ReleaseConfig,
    project: str,
    *,
    install: str | None = None,
    trigger: str = "tag",
    target: str = "registry",
    python: str = "3.12",
    project_dir: str = "",
    outdir: str = "dist/",
    include: bool = False,
    release_page: bool = True,
) -> str:
    """The text of a GitLab pipeline that releases ``project`` to ``target``; with
    ``include``, a file for the ``include:`` of an existing ``.gitlab-ci.yml``.
    ``release_page``: the tag's GitLab release, with the changelog's notes and the files
    (releasekit.ci.release_page)."""
    # A script line is a shell's: the directory is one word it does not expand.
    before = f"    - {yaml_scalar('cd ' + shell_word(project_dir))}\n" if project_dir else ""
    if trigger == "tag":
        rule = f"$CI_COMMIT_TAG =~ {gitlab_tag_regex(config, project)}"
        when = f"It runs when a release tag ({config.format_tag('1.2.3', project)}) is pushed."
    else:
        branch = release_branch(config)
        rule = gitlab_branch_rule(branch)
        when = (
            f"It runs on every push to {branch}; the release-plan job releases only a version "
            "that is not on the index yet (any other push is a green pipeline that publishes "
            "nothing)."
        )
        # GitLab checks out a detached HEAD; releasekit's check wants the release branch.
        before += '    - git checkout -B "$CI_COMMIT_BRANCH"\n'
    if target == "registry":
        repository = (
            f'--repository {GITLAB_REPOSITORY} --repository-url "$RELEASE_UPLOAD_URL" '
            '--index-url "$RELEASE_INDEX_URL"'
        )
        variables = _VARIABLES.format(upload_url=GITLAB_UPLOAD_URL, index_url=GITLAB_INDEX_URL)
        id_tokens = ""
        when += (
            " Jobs: build and check, then upload to this project's package registry with the "
            "CI job token (no stored secret) and verify it there."
        )
    else:
        name, host = ("prod", "pypi.org") if target == "pypi" else ("test", "test.pypi.org")
        repository = f"--repository {name}"
        variables = ""
        id_tokens = gitlab_id_tokens(host)
        index = "PyPI" if target == "pypi" else "TestPyPI"
        when += (
            f" Jobs: build and check, then upload to {index} by trusted publishing (the job's "
            f"id_tokens: no stored secret; register the GitLab publisher on {index} with this "
            "project's path and the top-level CI file .gitlab-ci.yml), signed with Sigstore "
            "(PEP 740 attestations), and verify it there."
        )
    when += " Every step is a releasekit command you can run locally."
    if include:
        when += " Include it from .gitlab-ci.yml (include: - local: PATH)."
    stages = "" if include else "stages:\n" + "".join(f"  - {s}\n" for s in STAGES)
    sections = "".join(part + "\n" for part in (stages, variables) if part)
    return _PIPELINE.format(
        when=comment(when),
        sections=sections,
        image=yaml_scalar(f"python:{python}"),
        rule=yaml_scalar(rule),
        before=before,
        install=install or install_requirements(config, attest=target != "registry"),
        repository=repository,
        outdir=yaml_scalar(outdir),
        id_tokens=id_tokens,
        plan_job=_PLAN_JOB.format(repository=repository) if trigger == "branch" else "",
        build_needs="  needs:\n    - release-plan\n" if trigger == "branch" else "",
        plan_need="    - release-plan\n" if trigger == "branch" else "",
        gate=_GATE if trigger == "branch" else "",
        environment=ENVIRONMENTS[target],
        tier="testing" if target == "testpypi" else "production",
        publish_artifacts=gitlab_keep_attestations(outdir)
        if release_page and target != "registry" and config.attest
        else "",
        release_page=gitlab_release_jobs(
            outdir=outdir, project_dir=project_dir, rule=rule, trigger=trigger, gate=_GATE
        )
        if release_page
        else "",
    )


def gitlab_jobs(trigger: str, *, release_page: bool = True) -> tuple[str, ...]:
    """The jobs :func:`gitlab_ci` writes for ``trigger``."""
    page = ("release-notes", "release-page") if release_page else ()
    return ("release-plan",) * (trigger == "branch") + ("release-build", "release-publish", *page)


def add_include(existing: str, path: str) -> str | None:
    """``existing`` (a ``.gitlab-ci.yml``) with ``path`` added to its ``include:``; None
    when it has an ``include:`` already (adding to it safely needs a YAML editor)."""
    for line in existing.splitlines():
        if line.startswith("include:") or line.startswith('"include":'):
            return None
    text = existing if existing.endswith("\n") or not existing else existing + "\n"
    return text + f"\ninclude:\n  - local: {yaml_scalar('/' + path)}\n"
