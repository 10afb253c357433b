"""The release page: after the publish, the tag's release on GitHub or GitLab, with the
changelog's notes (``releasekit notes``) and the distributions and their PEP 740
attestations attached.

It gets a job of its own on GitHub, the only one with ``contents: write`` (the publish job
keeps only ``id-token: write``); the tag, the notes and the directory reach its shell
through ``env:``, never written into the script. GitLab has the ``release:`` keyword: a
job writes the notes and the tag for it and keeps the files as artifacts the release
links to.
"""

from __future__ import annotations

from releasekit.ci.yaml_text import yaml_scalar

# The image GitLab's documentation gives for the release: keyword (it runs release-cli).
RELEASE_CLI_IMAGE = "registry.gitlab.com/gitlab-org/release-cli:latest"

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


_GITLAB_JOBS = """\

release-notes:
  extends: .releasekit
  stage: deploy
  needs:
    - release-build  # the files
    - release-publish  # after the upload; its attestations
  script:
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


def gitlab_keep_attestations(outdir: str) -> str:
    """release-publish's artifacts: the attestations its upload wrote next to the files."""
    return f"  artifacts:\n    paths:\n      - {yaml_scalar(outdir + '*.publish.attestation')}\n"


def gitlab_release_jobs(*, outdir: str, project_dir: str, rule: str) -> str:
    """``release-notes`` (the notes, the tag, and the files kept for good: the release
    links to them) and ``release-page`` (GitLab's ``release:`` keyword). Paths are from the
    repository's top, where GitLab looks for artifacts; the script runs in the project."""
    here = f"{project_dir}/" if project_dir else ""
    return _GITLAB_JOBS.format(
        notes=yaml_scalar(here + "release-notes.md"),
        outdir=yaml_scalar(outdir),
        env=yaml_scalar(here + "release.env"),
        image=yaml_scalar(RELEASE_CLI_IMAGE),
        rule=yaml_scalar(rule),
        description=yaml_scalar("./" + here + "release-notes.md"),
        files=yaml_scalar("$CI_PROJECT_URL/-/jobs/$RELEASE_FILES_JOB/artifacts/browse/" + outdir),
    )
