"""`releasekit audit` on what init-ci wrote with options (--environment, --python) and on
monorepos, whose packages keep their conventions each: real git checkouts, the pipelines
written by `releasekit init-ci` itself."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from layouts import write
from release_project import Releasekit
from releasekit.errors import ExitCode

PROFILE = {"org/profile.toml": 'locked = ["attest"]\n'}
CHANGELOG = "# Changelog\n\n## [Unreleased]\n\n## [1.0.0] - 2026-01-01\n\n- First.\n"


def project(root: Path, name: str = "demo", table: str = 'extends = "org/profile.toml"\n') -> Path:
    return write(
        root,
        {
            "pyproject.toml": f'[project]\nname = "{name}"\nversion = "1.0.0"\n\n'
            f"[tool.releasekit]\n{table}",
            "CHANGELOG.md": CHANGELOG,
        },
    )


def git_repository(root: Path) -> Path:
    write(root, {".gitignore": "dist/\n", **PROFILE})
    subprocess.run(["git", "init", "--quiet", str(root)], check=True)
    return root


def monorepo(root: Path) -> Path:
    write(root, {"pyproject.toml": '[tool.releasekit]\npackages = ["packages/*"]\n'})
    for name in ("alpha", "beta"):
        # A package's profile is its own (org/profile.toml is the repository's).
        project(root / "packages" / name, f"acme-{name}", 'extends = "../../org/profile.toml"\n')
    return git_repository(root)


def rows(out: str) -> dict[tuple[str, str], tuple[str, str]]:
    found = json.loads(out)["findings"]
    return {(r["package"], r["check"]): (r["status"], r["detail"]) for r in found}


def test_a_pipeline_written_with_other_environments_and_python_is_current(
    tmp_path: Path, releasekit: Releasekit
) -> None:
    github = git_repository(project(tmp_path / "github"))
    options = ("--environment", "release", "--test-environment", "staging", "--python", "3.13")
    assert releasekit("--project", github, "init-ci", "github", *options)[0] == 0
    gitlab = git_repository(project(tmp_path / "gitlab"))
    flags = ("--target", "pypi", "--python", "3.11")
    assert releasekit("--project", gitlab, "init-ci", "gitlab", *flags)[0] == 0

    code, out, err = releasekit("--json", "audit", github, gitlab)

    findings = json.loads(out)["findings"]
    current = {
        Path(r["repository"]).name: r["status"] for r in findings if r["check"] == "ci.current"
    }
    assert (code, current) == (0, {"github": "ok", "gitlab": "ok"}), err
    environment = next(r["detail"] for r in findings if r["check"] == "ci.environment")
    assert "environment release" in environment


def test_a_changed_python_is_still_out_of_date(tmp_path: Path, releasekit: Releasekit) -> None:
    root = git_repository(project(tmp_path / "repo"))
    assert releasekit("--project", root, "init-ci", "github", "--python", "3.13")[0] == 0
    workflow = root / ".github/workflows/release.yml"
    text = workflow.read_text(encoding="utf-8")
    # One job's Python changed by hand: no set of init-ci's options writes that.
    workflow.write_text(text.replace("python-version: '3.13'", "python-version: '3.10'", 1))

    code, out, _ = releasekit("--json", "audit", root)

    assert code == ExitCode.CHECK
    assert rows(out)["", "ci.current"][0] == "fail"


def test_a_monorepo_is_audited_package_by_package(tmp_path: Path, releasekit: Releasekit) -> None:
    root = monorepo(tmp_path / "mono")
    assert releasekit("--project", root, "init-ci", "github", "--python", "3.13")[0] == 0
    beta = root / "packages" / "beta"
    (beta / "CHANGELOG.md").write_text("# History\n\n1.0.0\n-----\n\n- First.\n")
    pyproject = beta / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + "attest = false\n")

    code, out, err = releasekit("--json", "audit", root)

    found = rows(out)
    assert code == ExitCode.CHECK
    assert found["", "packages"] == ("note", "a monorepo of 2: packages/alpha, packages/beta")
    # The one workflow releases both: the repository's rows, what init-ci writes today.
    assert found["", "ci.current"][0] == "ok"
    assert found["", "ci.actions-pinned"][0] == "ok"
    alpha = {check: s for (package, check), (s, _) in found.items() if package == "packages/alpha"}
    assert alpha == {"profile": "ok", "locked": "ok", "changelog": "ok"}
    assert found["packages/beta", "locked"][0] == "fail"
    assert "'attest' is locked by" in found["packages/beta", "locked"][1]
    assert found["packages/beta", "changelog"][0] == "fail"
    assert json.loads(out)["falling_short"] == [str(root)]
    assert "1 of 1 repositories fall short" in err


def test_a_monorepo_package_with_its_own_workflow_has_its_ci_rows(
    tmp_path: Path, releasekit: Releasekit
) -> None:
    root = monorepo(tmp_path / "mono")
    alpha = root / "packages" / "alpha"
    assert releasekit("--project", alpha, "init-ci", "github", "--environment", "alpha")[0] == 0

    code, out, _ = releasekit("--json", "audit", root)

    found = rows(out)
    assert found["packages/alpha", "ci.current"][0] == "ok"
    assert found["packages/alpha", "ci.environment"][0] == "ok"
    assert found["packages/beta", "ci"][0] == "fail"
    assert ("", "ci.current") not in found
    assert code == ExitCode.CHECK


def test_text_rows_name_the_package(tmp_path: Path, releasekit: Releasekit) -> None:
    root = monorepo(tmp_path / "mono")
    assert releasekit("--project", root, "init-ci", "github")[0] == 0

    code, out, _ = releasekit("audit", root)

    assert code == 0
    assert [f"{root}/packages/beta", "changelog", "ok"] in [
        line.split()[:3] for line in out.splitlines()
    ]
    assert out.splitlines()[-1] == "1 repositories audited; every one keeps the conventions"


def test_a_monorepo_pipeline_on_gitlab_for_one_package_is_current(
    tmp_path: Path, releasekit: Releasekit
) -> None:
    root = monorepo(tmp_path / "mono")
    flags = ("--package", "packages/beta", "--target", "pypi", "--python", "3.13")
    assert releasekit("--project", root, "init-ci", "gitlab", *flags)[0] == 0

    code, out, err = releasekit("--json", "audit", root)

    found = rows(out)
    assert (code, found["", "ci.current"][0]) == (0, "ok"), err
    assert found["", "ci.environment"][0] == "ok"


def test_a_heading_per_version_is_a_changelog_releasekit_writes_from_the_commits(
    tmp_path: Path, releasekit: Releasekit
) -> None:
    history = "# History\n\n## 1.0.0\n\n- First.\n"
    table = 'extends = "org/profile.toml"\n'
    written = git_repository(
        project(tmp_path / "written", table=table + "changelog-from-commits = true\n")
    )
    by_hand = git_repository(project(tmp_path / "by-hand", table=table))
    for root in (written, by_hand):
        (root / "CHANGELOG.md").write_text(history, encoding="utf-8")

    _, out, _ = releasekit("--json", "audit", written, by_hand)

    changelog = {
        Path(r["repository"]).name: r["status"]
        for r in json.loads(out)["findings"]
        if r["check"] == "changelog"
    }
    assert changelog == {"written": "ok", "by-hand": "fail"}
