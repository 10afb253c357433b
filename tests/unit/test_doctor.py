"""``releasekit trusted-publisher --check``: the job's OIDC token against the publisher.

The tokens are built here (unsigned JWTs with the claims GitHub and GitLab put in theirs);
on GitHub the token service is a small HTTP server on 127.0.0.1 standing in for
``ACTIONS_ID_TOKEN_REQUEST_URL``. Whatever the verdict, the token never appears in the
output.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from git_projects import make_project
from release_project import Releasekit
from releasekit.errors import ExitCode

WORKFLOW_REF = "acme/widgets/.github/workflows/release.yml@refs/tags/v1.0.0"
GITHUB_CLAIMS = {
    "iss": "https://token.actions.githubusercontent.com",
    "aud": "pypi",
    "repository": "acme/widgets",
    "workflow_ref": WORKFLOW_REF,
    "job_workflow_ref": WORKFLOW_REF,
    "environment": "pypi",
    "event_name": "push",
    "ref": "refs/tags/v1.0.0",
    "sub": "repo:acme/widgets:environment:pypi",
}
GITLAB_CLAIMS = {
    "iss": "https://gitlab.com",
    "aud": "pypi",
    "project_path": "acme/tools/widgets",
    "ci_config_ref_uri": "gitlab.com/acme/tools/widgets//.gitlab-ci.yml@refs/tags/v1.0.0",
    "environment": "",
    "pipeline_source": "push",
    "ref": "v1.0.0",
}


def jwt(claims: dict[str, Any]) -> str:
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    return f"{part({'alg': 'RS256', 'typ': 'JWT'})}.{part(claims)}.c2lnbmF0dXJl"


class TokenService:
    """GitHub's OIDC token endpoint: hands ``token`` to a request with the bearer."""

    def __init__(self) -> None:
        self.token = ""
        self.audiences: list[str] = []
        self.url = ""


@pytest.fixture
def github_job(monkeypatch: pytest.MonkeyPatch) -> Iterator[TokenService]:
    service = TokenService()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            if self.headers.get("Authorization") != "bearer request-secret":
                self.send_error(403)
                return
            service.audiences.append(self.path.rpartition("audience=")[2])
            body = json.dumps({"value": service.token}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
    ).start()
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv(
        "ACTIONS_ID_TOKEN_REQUEST_URL",
        f"http://127.0.0.1:{server.server_address[1]}/token?api-version=2.0",
    )
    monkeypatch.setenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "request-secret")
    try:
        yield service
    finally:
        server.shutdown()
        server.server_close()


def released_with_generated_workflow(tmp_path: Path, releasekit: Releasekit) -> Path:
    project = make_project(tmp_path / "p")
    assert releasekit("init-ci", "github", "--project", project)[0] == 0
    return project


def check(releasekit: Releasekit, project: Path, *extra: str) -> tuple[int, str, str]:
    return releasekit("trusted-publisher", "--check", "--project", project, *extra)


def test_a_token_that_matches_the_generated_workflow_passes(
    tmp_path: Path, releasekit: Releasekit, github_job: TokenService
) -> None:
    project = released_with_generated_workflow(tmp_path, releasekit)
    github_job.token = jwt(GITHUB_CLAIMS)

    code, out, err = check(releasekit, project, "--json")

    assert code == 0, err
    summary = json.loads(out)
    assert summary["ok"] is True
    assert summary["claims"]["repository"] == "acme/widgets"
    assert summary["claims"]["job_workflow_ref"] == WORKFLOW_REF
    assert github_job.audiences == ["pypi"]
    assert github_job.token not in out + err


@pytest.mark.parametrize(
    ("claims", "problem"),
    [
        (
            {"repository": "evil/widgets"},
            "repository: the job runs in evil/widgets, the trusted publisher names acme/widgets",
        ),
        (
            {
                "workflow_ref": "acme/widgets/.github/workflows/ci.yml@refs/heads/main",
                "job_workflow_ref": "acme/widgets/.github/workflows/ci.yml@refs/heads/main",
            },
            "workflow: the job runs in ci.yml, the trusted publisher names release.yml",
        ),
        (
            {"environment": "staging"},
            "environment: the job runs in staging, the trusted publisher requires pypi",
        ),
        (
            {"event_name": "pull_request_target"},
            "the run was triggered by pull_request_target, which PyPI refuses",
        ),
        (
            {"job_workflow_ref": "acme/shared/.github/workflows/publish.yml@refs/heads/main"},
            "the job runs in a reusable workflow (acme/shared/.github/workflows/publish.yml@"
            "refs/heads/main, called from " + WORKFLOW_REF + "); PyPI does not support "
            "reusable workflows",
        ),
        ({"aud": "sigstore"}, "the token's audience is 'sigstore', PyPI wants 'pypi'"),
    ],
    ids=["repository", "workflow", "environment", "pull_request_target", "reusable", "audience"],
)
def test_each_claim_pypi_would_not_match_is_named(
    tmp_path: Path,
    releasekit: Releasekit,
    github_job: TokenService,
    claims: dict[str, str],
    problem: str,
) -> None:
    project = released_with_generated_workflow(tmp_path, releasekit)
    github_job.token = jwt({**GITHUB_CLAIMS, **claims})

    code, out, err = check(releasekit, project, "--json")

    assert code == ExitCode.CHECK
    summary = json.loads(out)
    assert summary["ok"] is False
    assert any(p.startswith(problem) for p in summary["problems"]), summary["problems"]
    assert problem in err
    assert github_job.token not in out + err


def test_gitlab_token_is_read_from_the_id_tokens_variable(
    tmp_path: Path, releasekit: Releasekit, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = make_project(tmp_path / "p")
    with (project / "pyproject.toml").open("a", encoding="utf-8") as pyproject:
        pyproject.write(
            '\n[tool.releasekit.provenance]\nprovider = "gitlab"\n'
            'repository = "acme/tools/widgets"\n'
        )
    token = jwt(GITLAB_CLAIMS)
    monkeypatch.setenv("PYPI_ID_TOKEN", token)

    code, out, err = check(releasekit, project)
    assert code == 0, err
    assert "acme/tools/widgets" in out

    monkeypatch.setenv(
        "PYPI_ID_TOKEN",
        jwt({**GITLAB_CLAIMS, "ci_config_ref_uri": "gitlab.com/acme/shared//ci/release.yml@main"}),
    )
    code, out, err = check(releasekit, project)
    assert code == ExitCode.CHECK
    assert "the pipeline's CI file comes from another project (gitlab.com/acme/shared)" in err
    assert "workflow: the pipeline runs ci/release.yml, the trusted publisher names" in err
    assert token not in out + err


def test_without_a_token_the_check_says_how_to_get_one(
    tmp_path: Path, releasekit: Releasekit, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = released_with_generated_workflow(tmp_path, releasekit)
    monkeypatch.setenv("GITHUB_ACTIONS", "true")

    code, _, err = check(releasekit, project, "--audience", "testpypi")

    assert code == ExitCode.CREDENTIALS
    assert "no OIDC token for audience 'testpypi'" in err
    assert "id-token: write" in err


def test_a_token_that_is_no_jwt_is_refused_without_showing_it(
    tmp_path: Path, releasekit: Releasekit, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = make_project(tmp_path / "p")
    with (project / "pyproject.toml").open("a", encoding="utf-8") as pyproject:
        pyproject.write('\n[tool.releasekit.provenance]\nrepository = "acme/widgets"\n')
    monkeypatch.setenv("PYPI_ID_TOKEN", "not-a-jwt-but-a-secret")

    code, out, err = check(releasekit, project)

    assert code == ExitCode.CREDENTIALS
    assert "is not a JWT" in err
    assert "not-a-jwt-but-a-secret" not in out + err
