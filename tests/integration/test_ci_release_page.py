"""init-ci's release page: after the publish, the tag's GitHub or GitLab release with the
changelog's notes and the files. The script the GitHub job runs is run here too, with a
stand-in `gh` that records its arguments, so what reaches the release is checked, not the
YAML's wording."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from release_project import Releasekit

WORKFLOW = Path(".github/workflows/release.yml")


def make_project(root: Path, *, table: str = "") -> Path:
    root.mkdir(parents=True)
    (root / "pyproject.toml").write_text(
        '[project]\nname = "demo"\nversion = "1.1.0"\n' + table, encoding="utf-8"
    )
    (root / "CHANGELOG.md").write_text(
        "# Changelog\n\n## [1.1.0] - 2026-01-02\n\n- New.\n\n## [1.0.0] - 2025-01-01\n\n- Old.\n",
        encoding="utf-8",
    )
    (root / ".gitignore").write_text("dist/\n", encoding="utf-8")
    subprocess.run(["git", "init", "--quiet", str(root)], check=True)
    return root


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def test_github_release_job_alone_may_write_contents(
    tmp_path: Path, releasekit: Releasekit
) -> None:
    project = make_project(tmp_path / "p")

    code, _, _ = releasekit("init-ci", "github", "--project", project)

    assert code == 0
    jobs = load(project / WORKFLOW)["jobs"]
    page = jobs["release-page"]
    assert page["needs"] == "publish"
    assert page["permissions"] == {"contents": "write"}
    writers = [name for name, job in jobs.items() if job["permissions"].get("contents") == "write"]
    assert writers == ["release-page"]
    # The production upload keeps its attestations for the page.
    keep = jobs["publish"]["steps"][-1]
    assert keep["with"] == {
        "name": "attestations",
        "path": "dist/*.publish.attestation",
        "if-no-files-found": "error",
    }
    downloads = [s["with"] for s in page["steps"] if "download-artifact" in s.get("uses", "")]
    assert downloads == [
        {"name": "dist", "path": "dist/"},
        {"name": "attestations", "path": "dist/"},
    ]
    create = page["steps"][-1]
    assert create["env"] == {
        "GH_TOKEN": "${{ github.token }}",
        "GH_REPO": "${{ github.repository }}",
        "DIST": "dist/",
    }
    assert "${{" not in create["run"]  # values come through env:, never into the script


def recording(tmp_path: Path, tool: str) -> tuple[Path, Path]:
    """A stand-in ``tool`` in a directory of its own that writes its argv (JSON) to a file:
    the directory, for PATH, and the file."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    record = tmp_path / f"{tool}-argv"
    program = bin_dir / tool
    program.write_text(
        f"#!{sys.executable}\nimport sys, json\n"
        f"open({str(record)!r}, 'w').write(json.dumps(sys.argv[1:]))\n",
        encoding="utf-8",
    )
    program.chmod(0o755)
    return bin_dir, record


def run_release_script(tmp_path: Path, project: Path, workflow: dict[str, Any]) -> list[str]:
    """The release step's script, run in ``project`` with a `gh` that records argv."""
    bin_dir, record = recording(tmp_path, "gh")
    (project / "dist").mkdir()
    for name in ("demo-1.1.0.tar.gz", "demo-1.1.0.tar.gz.publish.attestation"):
        (project / "dist" / name).write_bytes(b"x")
    step = workflow["jobs"]["release-page"]["steps"][-1]
    temp = tmp_path / "runner-temp"
    temp.mkdir()
    env = {
        **os.environ,
        **{k: v for k, v in step["env"].items() if "${{" not in v},
        "PATH": f"{bin_dir}{os.pathsep}{Path(sys.executable).parent}{os.pathsep}"
        + os.environ["PATH"],
        "RUNNER_TEMP": str(temp),
        "GITHUB_WORKSPACE": str(project),
        "GITHUB_SHA": "0123abcd",
    }
    subprocess.run(["bash", "-e", "-c", step["run"]], cwd=project, env=env, check=True)
    argv: list[str] = yaml.safe_load(record.read_text(encoding="utf-8"))
    notes = argv[argv.index("--notes-file") + 1]
    assert Path(notes).read_text(encoding="utf-8") == "- New.\n"
    return argv


def test_github_release_is_the_tag_with_its_notes_and_the_files(
    tmp_path: Path, releasekit: Releasekit
) -> None:
    project = make_project(tmp_path / "p")
    assert releasekit("init-ci", "github", "--project", project)[0] == 0

    argv = run_release_script(tmp_path, project, load(project / WORKFLOW))

    files = [str(project / "dist" / n) for n in ("demo-1.1.0.tar.gz",)]
    assert argv[:4] == ["release", "create", "v1.1.0", "--verify-tag"]
    assert argv[argv.index("--title") + 1] == "v1.1.0"
    assert files[0] in argv
    assert f"{files[0]}.publish.attestation" in argv


def test_github_branch_trigger_makes_the_tag_at_the_released_commit(
    tmp_path: Path, releasekit: Releasekit
) -> None:
    project = make_project(tmp_path / "p")
    flags = ("--trigger", "branch", "--project", project)
    assert releasekit("init-ci", "github", *flags)[0] == 0

    argv = run_release_script(tmp_path, project, load(project / WORKFLOW))

    assert argv[:5] == ["release", "create", "v1.1.0", "--target", "0123abcd"]


def test_no_release_page_leaves_the_publish_job_as_it_was(
    tmp_path: Path, releasekit: Releasekit
) -> None:
    project = make_project(tmp_path / "p")

    code, *_ = releasekit("init-ci", "github", "--no-release-page", "--project", project)

    jobs = load(project / WORKFLOW)["jobs"]
    assert code == 0
    assert list(jobs) == ["build", "publish-test", "publish"]
    assert "write" not in str(jobs["publish"]["permissions"].get("contents"))
    assert jobs["publish"]["steps"][-1]["run"].startswith("releasekit verify")


def test_gitlab_release_keyword_with_the_notes_and_a_link_to_the_files(
    tmp_path: Path, releasekit: Releasekit
) -> None:
    project = make_project(tmp_path / "p")

    code, *_ = releasekit("init-ci", "gitlab", "--target", "pypi", "--project", project)

    pipeline = load(project / ".gitlab-ci.yml")
    assert code == 0
    notes, page = pipeline["release-notes"], pipeline["release-page"]
    assert notes["needs"] == ["release-build", "release-publish"]
    assert notes["script"][0] == "releasekit notes > release-notes.md"
    assert notes["artifacts"]["paths"] == ["release-notes.md", "dist/"]
    assert notes["artifacts"]["reports"] == {"dotenv": "release.env"}
    assert pipeline["release-publish"]["artifacts"] == {"paths": ["dist/*.publish.attestation"]}
    # The upload runs in a GitLab environment a project protects to say who may release.
    assert pipeline["release-publish"]["environment"] == {
        "name": "pypi",
        "deployment_tier": "production",
    }
    assert page["needs"] == ["release-notes"]
    assert page["rules"] == pipeline[".releasekit"]["rules"]
    # glab, which the keyword runs since GitLab 18.0, pinned to a version.
    assert page["image"] == "registry.gitlab.com/gitlab-org/cli:v1.120.0"
    assert page["release"] == {
        "tag_name": "$RELEASE_TAG",
        "name": "$RELEASE_TAG",
        "description": "./release-notes.md",
        "assets": {
            "links": [
                {
                    "name": "Distributions and attestations",
                    "url": "$CI_PROJECT_URL/-/jobs/$RELEASE_FILES_JOB/artifacts/browse/dist/",
                    "link_type": "package",
                }
            ]
        },
    }
    # What release-notes writes for the keyword, run here.
    script = notes["script"]
    subprocess.run(
        ["bash", "-e", "-c", "\n".join(script)],
        cwd=project,
        env={
            **os.environ,
            "CI_JOB_ID": "77",
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        },
        check=True,
    )
    assert (project / "release-notes.md").read_text(encoding="utf-8") == "- New.\n"
    assert (project / "release.env").read_text(encoding="utf-8") == (
        "RELEASE_TAG=v1.1.0\nRELEASE_FILES_JOB=77\n"
    )


def run_gitlab_release(tmp_path: Path, project: Path, release: str) -> list[str] | None:
    """release-notes' then release-page's scripts, run in ``project`` as the branch
    pipeline runs them (RELEASE from the plan job), with a `glab` that records its argv;
    None when glab was not called."""
    pipeline = load(project / ".gitlab-ci.yml")
    bin_dir, record = recording(tmp_path, "glab")
    env = {
        **os.environ,
        "RELEASE": release,
        "CI_JOB_ID": "77",
        "CI_COMMIT_SHA": "0123abcd",
        "CI_PROJECT_URL": "https://gitlab.example/acme/demo",
        "PATH": f"{bin_dir}{os.pathsep}{Path(sys.executable).parent}{os.pathsep}"
        + os.environ["PATH"],
    }
    notes = "\n".join(pipeline["release-notes"]["script"])
    subprocess.run(["bash", "-e", "-c", notes], cwd=project, env=env, check=True)
    if release == "true":  # what the dotenv report passes on
        for line in (project / "release.env").read_text(encoding="utf-8").splitlines():
            key, value = line.split("=", 1)
            env[key] = value
    page = pipeline["release-page"]
    env.update(page["variables"])
    subprocess.run(
        ["bash", "-e", "-c", "\n".join(page["script"])], cwd=project, env=env, check=True
    )
    return json.loads(record.read_text(encoding="utf-8")) if record.exists() else None


def test_gitlab_branch_pipeline_makes_the_release_with_glab_when_there_is_one(
    tmp_path: Path, releasekit: Releasekit
) -> None:
    project = make_project(tmp_path / "p")
    flags = ("--trigger", "branch", "--target", "pypi", "--project", project)

    code, out, _ = releasekit("init-ci", "gitlab", *flags)

    assert code == 0
    assert "no GitLab release page" not in out
    pipeline = load(project / ".gitlab-ci.yml")
    page = pipeline["release-page"]
    assert "release" not in page  # the keyword would make a release when there is none
    assert page["needs"] == ["release-plan", "release-notes"]
    assert page["image"] == "registry.gitlab.com/gitlab-org/cli:v1.120.0"
    assert page["variables"] == {"GLAB_ENABLE_CI_AUTOLOGIN": "true", "RELEASE_FILES": "dist/"}
    assert pipeline["release-notes"]["needs"][0] == "release-plan"

    argv = run_gitlab_release(tmp_path, project, "true")

    assert argv is not None
    assert argv[:3] == ["release", "create", "v1.1.0"]
    assert argv[argv.index("--ref") + 1] == "0123abcd"
    assert argv[argv.index("--name") + 1] == "v1.1.0"
    notes = argv[argv.index("--notes-file") + 1]
    assert (project / notes).read_text(encoding="utf-8") == "- New.\n"
    assert json.loads(argv[argv.index("--assets-links") + 1]) == [
        {
            "name": "Distributions and attestations",
            "url": "https://gitlab.example/acme/demo/-/jobs/77/artifacts/browse/dist/",
            "link_type": "package",
        }
    ]


def test_gitlab_branch_pipeline_with_nothing_to_release_makes_no_release(
    tmp_path: Path, releasekit: Releasekit
) -> None:
    project = make_project(tmp_path / "p")
    flags = ("--trigger", "branch", "--target", "pypi", "--project", project)
    assert releasekit("init-ci", "gitlab", *flags)[0] == 0

    assert run_gitlab_release(tmp_path, project, "false") is None
    assert not (project / "release-notes.md").exists()


def test_a_monorepo_gets_a_release_page_per_package_of_the_matrix(
    tmp_path: Path, releasekit: Releasekit
) -> None:
    top = tmp_path / "repo"
    for name in ("alpha", "beta"):
        make_project(top / "packages" / name)
    (top / "pyproject.toml").write_text(
        '[tool.releasekit]\npackages = ["packages/*"]\n', encoding="utf-8"
    )
    subprocess.run(["git", "init", "--quiet", str(top)], check=True)

    code, _, err = releasekit("init-ci", "github", "--project", top)

    assert code == 0, err
    jobs = load(top / WORKFLOW)["jobs"]
    page = jobs["release-page"]
    assert page["needs"] == ["plan", "publish"]
    assert page["strategy"]["matrix"] == "${{ fromJSON(needs.plan.outputs.matrix) }}"
    assert page["defaults"]["run"]["working-directory"] == "${{ matrix.package }}"
    assert page["permissions"] == {"contents": "write"}
    assert jobs["publish"]["steps"][-1]["with"] == {
        "name": "attestations-${{ matrix.name }}",
        "path": "${{ matrix.package }}/dist/*.publish.attestation",
        "if-no-files-found": "error",
    }
    downloads = [s["with"] for s in page["steps"] if "download-artifact" in s.get("uses", "")]
    assert downloads == [
        {"name": "dist-${{ matrix.name }}", "path": "${{ matrix.package }}/dist/"},
        {"name": "attestations-${{ matrix.name }}", "path": "${{ matrix.package }}/dist/"},
    ]
    assert page["steps"][-1]["env"]["DIST"] == "${{ matrix.package }}/dist/"


def test_a_project_without_a_changelog_gets_no_release_page_and_a_note(
    tmp_path: Path, releasekit: Releasekit
) -> None:
    project = make_project(tmp_path / "p")
    (project / "CHANGELOG.md").unlink()

    code, out, _ = releasekit("init-ci", "github", "--project", project)

    assert code == 0
    assert list(load(project / WORKFLOW)["jobs"]) == ["build", "publish-test", "publish"]
    assert "note: no release page: demo has no changelog for `releasekit notes` to read" in out
