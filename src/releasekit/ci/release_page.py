"""The release page: after the publish, the tag's release on GitHub or GitLab, with the
changelog's notes (``releasekit notes``) and the distributions and attestations attached.

On GitHub a job of its own, the only one with ``contents: write``; the tag, notes and
directory reach its shell through ``env:``. On GitLab, the ``release:`` keyword for a tag
pipeline, and ``glab release create`` for a branch pipeline, whose release job must run and
end at once when the plan job finds no release (a ``release:`` keyword would make one).
"""

from __future__ import annotations

from releasekit.ci.yaml_text import shell_word, yaml_scalar

# GitLab's CLI, glab: what the release: keyword runs since GitLab 18.0 (release-cli is
# deprecated, to be removed in 20.0), and what the branch pipeline's job calls. Pinned to a
# version, as actions are pinned by commit: the newest release found in public pipelines
# on 2026-12-02. Not by digest: no digest could be checked against GitLab's registry from
# here.
GLAB_IMAGE = "registry.gitlab.com/gitlab-org/cli:v1.120.0"

# The notes as releasekit prints them, and the tag they belong to, into $RUNNER_TEMP.
_READ_NOTES = """\
releasekit notes --json > "$RUNNER_TEMP/notes.json"
python - "$RUNNER_TEMP/notes.json" "$RUNNER_TEMP/notes.md" > "$RUNNER_TEMP/tag" <<'NOTES'
import json, sys
with open(sys.argv[1], encoding="utf-8") as summary:
    notes = json.load(summary)
with open(sys.argv[2], "w", encoding="utf-8") as out:
    out.write(notes["notes"])
print(notes["tag"])
NOTES
"""

_GITHUB_JOB = """\

  release-page:
    name: {title}
    needs: {needs}
    runs-on: ubuntu-latest
{matrix}\
    permissions:
      contents: write  # create the tag's release and attach the files
    steps:
{setup}\
      - {download_artifact}
        with:
{download}\
          path: {path}
{attestations}\
      - name: Create the release with the changelog's notes and the files
        env:
          GH_TOKEN: ${{{{ github.token }}}}
          GH_REPO: ${{{{ github.repository }}}}
          DIST: {path}
        run: |
{script}\
"""

_GITHUB_ATTESTATIONS = """\
      - {download_artifact}
        with:
          name: {name}
          path: {path}
"""


def github_release_job(
    *,
    needs: str,
    setup: str,
    download_artifact: str,
    download: str,
    path: str,
    attestations: str,
    trigger: str,
    title: str = "GitHub release",
    matrix: str = "",
) -> str:
    """The ``release-page`` job: ``gh release create`` for the tag of the version released
    (made by the tag push, or here at the released commit with ``--trigger branch``).
    ``path`` (the files' directory) and ``attestations`` (the artifact's name, "" for
    none) are YAML scalars already; in a monorepo's workflow the job runs over the
    ``matrix``."""
    where = "--verify-tag" if trigger == "tag" else '--target "$GITHUB_SHA"'
    script = _READ_NOTES + (
        'tag="$(cat "$RUNNER_TEMP/tag")"\n'
        f'gh release create "$tag" {where} --title "$tag" '
        '--notes-file "$RUNNER_TEMP/notes.md" "$GITHUB_WORKSPACE/$DIST"*\n'
    )
    return _GITHUB_JOB.format(
        title=title,
        needs=needs,
        matrix=matrix,
        setup=setup,
        download_artifact=download_artifact,
        download=download,
        path=path,
        attestations=_GITHUB_ATTESTATIONS.format(
            download_artifact=download_artifact, name=attestations, path=path
        )
        if attestations
        else "",
        script="".join(f"          {line}\n" if line else "\n" for line in script.splitlines()),
    )


_GITLAB_NOTES_JOB = """\

release-notes:
  extends: .releasekit
  stage: deploy
  needs:
{plan_need}\
    - release-build  # the files
    - release-publish  # after the upload; its attestations
  script:
{gate}\
    - releasekit notes > release-notes.md
    - >-
      releasekit notes --json | python -c 'import json, sys; notes = json.load(sys.stdin);
      print("RELEASE_TAG=" + notes["tag"])' > release.env
    - echo "RELEASE_FILES_JOB=$CI_JOB_ID" >> release.env
  artifacts:
    paths:
      - {notes}
      - {outdir}
    expire_in: never  # the release page links to these files
    reports:
      dotenv: {env}
"""

_GITLAB_TAG_PAGE = """\

release-page:
  stage: deploy
  image: {image}
  needs:
    - release-notes
  rules:
    - if: {rule}
  script:
    - echo "Release $RELEASE_TAG"
  release:
    tag_name: $RELEASE_TAG
    name: $RELEASE_TAG
    description: {description}
    assets:
      links:
        - name: Distributions and attestations
          url: {files}
          link_type: package
"""

# The tag is made at the released commit (--ref), as GitHub's branch workflow does.
_GITLAB_BRANCH_PAGE = """\

release-page:
  stage: deploy
  image: {image}
  needs:
    - release-plan  # RELEASE
    - release-notes  # RELEASE_TAG, RELEASE_FILES_JOB, the notes
  rules:
    - if: {rule}
  variables:
    GLAB_ENABLE_CI_AUTOLOGIN: 'true'  # glab sends the CI job token as the Releases API wants
    RELEASE_FILES: {outdir}
  script:
{gate}\
    - {create}
"""

# The link to the files, in double quotes: the shell expands the variables (values, never
# read as code) and nothing else.
_ASSETS = (
    r'"[{\"name\": \"Distributions and attestations\", \"url\": '
    r"\"$CI_PROJECT_URL/-/jobs/$RELEASE_FILES_JOB/artifacts/browse/$RELEASE_FILES\", "
    r'\"link_type\": \"package\"}]"'
)


def gitlab_keep_attestations(outdir: str) -> str:
    """release-publish's artifacts: the attestations its upload wrote next to the files."""
    return f"  artifacts:\n    paths:\n      - {yaml_scalar(outdir + '*.publish.attestation')}\n"


def gitlab_release_jobs(
    *, outdir: str, project_dir: str, rule: str, trigger: str = "tag", gate: str = ""
) -> str:
    """``release-notes`` (the notes, the tag, and the files kept for good: the release
    links to them) and ``release-page``: GitLab's ``release:`` keyword for a tag pipeline,
    ``glab release create`` for a branch pipeline, which ``gate`` (its script's first line)
    ends at once when the plan found nothing to release. Paths are from the repository's
    top, where GitLab looks for artifacts; the notes job's script runs in the project."""
    here = f"{project_dir}/" if project_dir else ""
    notes = _GITLAB_NOTES_JOB.format(
        plan_need="    - release-plan  # RELEASE\n" if trigger == "branch" else "",
        gate=gate if trigger == "branch" else "",
        notes=yaml_scalar(here + "release-notes.md"),
        outdir=yaml_scalar(outdir),
        env=yaml_scalar(here + "release.env"),
    )
    if trigger == "branch":
        create = (
            'glab release create "$RELEASE_TAG" --ref "$CI_COMMIT_SHA" --name "$RELEASE_TAG" '
            f"--notes-file {shell_word(here + 'release-notes.md')} "
            f"--assets-links {_ASSETS}"
        )
        return notes + _GITLAB_BRANCH_PAGE.format(
            image=yaml_scalar(GLAB_IMAGE),
            rule=yaml_scalar(rule),
            outdir=yaml_scalar(outdir),
            gate=gate,
            create=yaml_scalar(create),
        )
    return notes + _GITLAB_TAG_PAGE.format(
        image=yaml_scalar(GLAB_IMAGE),
        rule=yaml_scalar(rule),
        description=yaml_scalar("./" + here + "release-notes.md"),
        files=yaml_scalar("$CI_PROJECT_URL/-/jobs/$RELEASE_FILES_JOB/artifacts/browse/" + outdir),
    )
