"""`releasekit audit`: repositories checked against their organisation's conventions.

Each repository is a real git checkout whose pipeline `releasekit init-ci` wrote, then
changed the ways real repositories drift."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from layouts import write
from release_project import Releasekit
from releasekit import __version__
from releasekit.errors import ExitCode

WORKFLOW = Path(".github/workflows/release.yml")
CHANGELOG = "# Changelog\n\n## [Unreleased]\n\n## [1.0.0] - 2026-01-01\n\n- First.\n"


def repository(
    root: Path, releasekit: Releasekit, *, table: str = "", ci: str = "github", **files: str
) -> Path:
    write(
        root,
        {
            "org/profile.toml": 'locked = ["attest", "tag-format"]\n',
            "pyproject.toml": '[project]\nname = "demo"\nversion = "1.0.0"\n\n'
            f'[tool.releasekit]\nextends = "org/profile.toml"\n{table}',
            "CHANGELOG.md": CHANGELOG,
            ".gitignore": "dist/\n",
            **files,
        },
    )
    subprocess.run(["git", "init", "--quiet", str(root)], check=True)
    flags = ("--target", "pypi") if ci == "gitlab" else ()
    assert releasekit("--project", root, "init-ci", ci, *flags)[0] == 0
    return root


def findings(out: str) -> dict[tuple[str, str], tuple[str, str]]:
    rows = json.loads(out)["findings"]
    return {(Path(r["repository"]).name, r["check"]): (r["status"], r["detail"]) for r in rows}


def test_repositories_as_init_ci_writes_them_keep_the_conventions(
    tmp_path: Path, releasekit: Releasekit
) -> None:
    github = repository(tmp_path / "github", releasekit)
    gitlab = repository(tmp_path / "gitlab", releasekit, ci="gitlab")

    code, out, err = releasekit("--json", "audit", github, gitlab)

    assert (code, err) == (0, "")
    found = findings(out)
    assert {check: status for (repo, check), (status, _) in found.items() if repo == "github"} == {
        "profile": "ok",
        "locked": "ok",
        "ci.current": "ok",
        "ci.actions-pinned": "ok",
        "ci.releasekit-pinned": "ok",
        "ci.trusted-publishing": "ok",
        "ci.attestations": "ok",
        "ci.environment": "ok",
        "changelog": "ok",
    }
    assert found["github", "profile"] == (
        "ok",
        "extends org/profile.toml (a file in the repository)",
    )
    assert found["github", "locked"] == ("ok", "no locked key overridden (attest, tag-format)")
    assert found["github", "ci.releasekit-pinned"] == ("ok", f"releasekit=={__version__}")
    assert [s for (repo, _), (s, _) in found.items() if repo == "gitlab" and s == "fail"] == []
    assert found["gitlab", "ci.environment"][0] == "ok"
    assert found["gitlab", "ci.current"][0] == "ok"


def test_a_repository_that_drifted_is_named_with_each_shortfall(
    tmp_path: Path, releasekit: Releasekit
) -> None:
    drifted = repository(tmp_path / "drifted", releasekit)
    workflow = drifted / WORKFLOW
    text = workflow.read_text(encoding="utf-8")
    text = text.replace(f"releasekit[attest,uv]=={__version__}", "releasekit[uv]")
    text = text.replace(
        "actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1  # v7.0.1",
        "actions/checkout@v7",
    )
    text = text.replace(
        "    environment:\n      name: pypi\n      url: https://pypi.org/project/demo/\n", "", 1
    ).replace("    environment:\n      name: pypi\n", "", 1)
    text = text.replace(
        "      id-token: write  # trusted publishing and Sigstore attestations: no stored token\n"
        "    steps:\n",
        "    env:\n      PYPI_TOKEN: ${{ secrets.PYPI_TOKEN }}\n    steps:\n",
    )
    workflow.write_text(text, encoding="utf-8")
    (drifted / "CHANGELOG.md").write_text("# History\n\n1.0.0\n-----\n\n", encoding="utf-8")
    kept = repository(tmp_path / "kept", releasekit)

    code, out, err = releasekit("--json", "audit", kept, drifted)

    summary = json.loads(out)
    found = findings(out)
    assert code == ExitCode.CHECK
    assert summary["ok"] is False
    assert [Path(r).name for r in summary["falling_short"]] == ["drifted"]
    failed = {check for (repo, check), (status, _) in found.items() if status == "fail"}
    assert {repo for (repo, _), (status, _) in found.items() if status == "fail"} == {"drifted"}
    assert failed == {
        "ci.current",
        "ci.actions-pinned",
        "ci.releasekit-pinned",
        "ci.trusted-publishing",
        "ci.attestations",
        "ci.environment",
        "changelog",
    }
    assert found["drifted", "ci.actions-pinned"][1] == "not pinned to a commit: actions/checkout@v7"
    assert found["drifted", "ci.trusted-publishing"][1].endswith(": publish, publish-test")
    assert "1 of 2 repositories fall short" in err


def test_a_locked_key_overridden_and_no_profile_at_all(
    tmp_path: Path, releasekit: Releasekit
) -> None:
    overriding = tmp_path / "overriding"
    write(
        overriding,
        {
            "org/profile.toml": 'locked = ["attest"]\n',
            "pyproject.toml": '[project]\nname = "x"\nversion = "1.0.0"\n\n[tool.releasekit]\n'
            'extends = "org/profile.toml"\nattest = false\n',
        },
    )
    alone = tmp_path / "alone"
    write(alone, {"pyproject.toml": '[project]\nname = "y"\nversion = "1.0.0"\n'})

    code, out, _ = releasekit("--json", "audit", overriding, alone)

    found = findings(out)
    assert code == ExitCode.CHECK
    status, detail = found["overriding", "locked"]
    assert status == "fail"
    assert "'attest' is locked by" in detail
    # The override does not hide the other checks.
    assert found["overriding", "profile"][0] == "ok"
    assert found["overriding", "changelog"][0] == "fail"
    assert found["alone", "profile"][0] == "fail"
    assert found["alone", "ci"] == (
        "fail",
        "no release pipeline (releasekit init-ci github, or gitlab, writes one)",
    )
    assert found["alone", "changelog"][0] == "fail"


def test_text_output_is_one_row_per_repository_and_check(
    tmp_path: Path, releasekit: Releasekit
) -> None:
    root = repository(tmp_path / "one", releasekit)

    code, out, _ = releasekit("audit", root)

    lines = out.splitlines()
    assert code == 0
    assert len(lines) == 10
    assert lines[0].split()[:3] == [str(root), "profile", "ok"]
    assert lines[-1] == "1 repositories audited; every one keeps the conventions"
