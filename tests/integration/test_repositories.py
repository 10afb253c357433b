"""A repository's policy follows its role and its host: the one upload-prod and release's
last step send to is production unless it says ``production = false``; PyPI's upload
host always is."""

from __future__ import annotations

from pathlib import Path

import pytest

from fault_proxy import refusing_url
from release_project import PypiServers, pyproject, write_project
from releasekit.cli import main
from releasekit.errors import ExitCode
from releasekit.repositories import Repository

Capsys = pytest.CaptureFixture[str]
LOCAL = Repository(
    name="prod", upload_url="http://127.0.0.1:9/", index_url="http://127.0.0.1:9/simple/"
)
PYPI = Repository(
    name="pypi",
    upload_url="https://upload.pypi.org/legacy/",
    index_url="https://pypi.org/simple/",
)


@pytest.mark.parametrize(
    ("repository", "production"),
    [
        (LOCAL, False),  # named prod, but not sent to as production
        (LOCAL.as_production_target(), True),  # upload-prod, release's last step
        (Repository(**{**vars(LOCAL), "production_flag": False}).as_production_target(), False),
        (Repository(**{**vars(LOCAL), "production_flag": True}), True),
        (PYPI, True),
        (Repository(**{**vars(PYPI), "production_flag": False}), True),  # PyPI always is
    ],
)
def test_production_follows_the_role_unless_the_table_says_otherwise(
    repository: Repository, production: bool
) -> None:
    assert repository.production is production


def test_one_rule_decides_whether_an_upload_asks_first() -> None:
    prod = LOCAL.as_production_target()
    assert prod.needs_confirmation(yes=False, env={})
    assert not prod.needs_confirmation(yes=True, env={})
    assert not prod.needs_confirmation(yes=False, env={"CI": "true"})
    assert not LOCAL.needs_confirmation(yes=False, env={})


def project(tmp_path: Path, prod_url: str, extra: str = "") -> Path:
    """The sample project at 1.0.0.dev1 whose prod is a local pypiserver (no
    ``production`` key)."""
    table = (
        f'\n[tool.releasekit.repositories.prod]\nupload-url = "{prod_url}/"\n'
        f'index-url = "{prod_url}/simple/"\nanonymous-upload = true\n{extra}'
    )
    text = pyproject(table).replace('version = "1.0.0"', 'version = "1.0.0.dev1"')
    return write_project(tmp_path / "project", pyproject_toml=text, origin=True)


def test_publish_to_an_organisations_own_prod_refuses_a_development_release(
    tmp_path: Path, servers: PypiServers, capsys: Capsys
) -> None:
    prod = servers.start("prod")
    root = project(tmp_path, prod.url)

    code = main(["publish", "--dry-run", "--yes", "--project", str(root)])
    out = capsys.readouterr().out

    assert code == ExitCode.CHECK, out
    assert "1.0.0.dev1 is a development release; refusing it for prod, a production" in out
    assert f"the artifacts not yet there to {prod.url}/ (asks first: production)" in out

    without = project(tmp_path / "not-production", prod.url, "production = false\n")
    code = main(["publish", "--dry-run", "--yes", "--project", str(without)])
    out = capsys.readouterr().out

    assert code == ExitCode.OK, out
    assert "asks first" not in out


def test_release_asks_before_sending_to_an_organisations_own_prod(
    tmp_path: Path, servers: PypiServers, capsys: Capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No terminal, no --yes, no CI: a production upload is refused before anything."""
    # test stays TestPyPI: what would go there meets a refusing proxy (nothing leaves
    # this machine, not even a name lookup).
    monkeypatch.setenv("https_proxy", refusing_url())
    prod = servers.start("prod")
    table = (
        f'\n[tool.releasekit.repositories.prod]\nupload-url = "{prod.url}/"\n'
        f'index-url = "{prod.url}/simple/"\nanonymous-upload = true\n'
    )
    root = write_project(tmp_path / "project", pyproject_toml=pyproject(table), origin=True)

    code = main(["release", "patch", "--dry-run", "--project", str(root)])
    out = capsys.readouterr().out

    assert code == ExitCode.INDEX, out  # TestPyPI cannot be read here: 13, the rest listed
    assert (
        "uploading to prod, a production repository, needs a confirmation and there is no "
        "terminal to ask" in out
    )
