"""verify --install under an installer's release-age cooldown (pip's
``--uploaded-prior-to`` as PIP_UPLOADED_PRIOR_TO, uv's UV_EXCLUDE_NEWER): the release,
uploaded a moment ago, installs only because releasekit exempts it.

pypiserver serves no upload times, so a cooldown there hides nothing; the index here is a
static PEP 691 one whose file carries a PEP 700 ``upload-time`` of a minute ago. pip reads
the option from 26.0 on, and verify's fresh venv has the pip its Python bundles (23.x to
24.x for the Pythons here, which ignore it): the pip case gives the venv the pip 26 that
virtualenv embeds, as a Python bundling pip 26 would.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from packaging.version import Version
from virtualenv.seed.wheels.embed import BUNDLE_FOLDER

from index_servers import make_wheel
from releasekit.artifacts import Artifact
from releasekit.config import ReleaseConfig
from releasekit.errors import VerifyError
from releasekit.repositories import Repository
from releasekit.runner import SubprocessRunner
from releasekit.steps import verify
from releasekit.tools import find_uv
from static_index import StaticIndex

NAME, VERSION = "rk-cooldown", "1.0"


def _pip_26() -> Path | None:
    """A pip >= 26 wheel available offline: the one virtualenv embeds."""
    wheels = sorted(BUNDLE_FOLDER.glob("pip-*.whl"), key=lambda p: Version(p.name.split("-")[1]))
    return (
        wheels[-1] if wheels and Version(wheels[-1].name.split("-")[1]) >= Version("26") else None
    )


class _VenvWithPip(SubprocessRunner):
    """Makes verify's fresh venvs with ``pip`` (a wheel) in place of the bundled one."""

    def __init__(self, pip: Path) -> None:
        super().__init__(echo=False)
        self.pip = pip

    def run(self, argv: Sequence[str], **options: Any) -> str:
        out = super().run(argv, **options)
        if list(argv[1:3]) == ["-m", "venv"]:
            python = Path(argv[-1]) / "bin" / "python"
            super().run([str(python), "-m", "pip", "install", "-q", "--no-index", str(self.pip)])
        return out


def _iso(moment: datetime.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@pytest.mark.parametrize("installer", ["pip", "uv"])
@pytest.mark.parametrize("exempted", [True, False], ids=["exempted", "not-exempted"])
def test_a_release_uploaded_a_minute_ago_installs_despite_the_installers_cooldown(
    installer: str,
    exempted: bool,
    tmp_path: Path,
    static_index: StaticIndex,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    now = datetime.datetime.now(datetime.timezone.utc)
    wheel = make_wheel(tmp_path, NAME, VERSION)
    static_index.add_file(NAME, wheel, _iso(now - datetime.timedelta(minutes=1)))
    # The user's cooldown: nothing younger than a week.
    week_ago = (now - datetime.timedelta(days=7)).strftime("%Y-%m-%dT%H:%M:%SZ")
    runner = SubprocessRunner(echo=False)
    if installer == "pip":
        pip = _pip_26()
        if pip is None:
            pytest.skip("no pip 26 wheel at hand")
        runner = _VenvWithPip(pip)
        monkeypatch.setattr(verify, "find_uv", lambda: None)
        monkeypatch.setenv("PIP_UPLOADED_PRIOR_TO", week_ago)
    else:
        if find_uv() is None:
            pytest.skip("uv is not installed")
        monkeypatch.setenv("UV_EXCLUDE_NEWER", week_ago)
    if not exempted:  # what the switch is for: without it the installer sees no release
        monkeypatch.setattr(verify, "_no_cooldown", lambda uv, name: [])
        monkeypatch.setattr(verify, "_no_cooldown_env", lambda uv: {})
    repository = Repository(name="cooldown", upload_url="", index_url=static_index.simple_url)

    def install() -> verify.InstallCheck:
        check, _ = verify.install_and_check(
            runner,
            repository,
            ReleaseConfig(),
            NAME,
            VERSION,
            (Artifact.from_path(wheel),),
        )
        return check

    if exempted:
        check = install()
        assert (check.installer, check.installed_version) == (installer, VERSION)
        assert check.imported == ("rk_cooldown",)
    else:
        with pytest.raises(VerifyError, match="in a fresh environment failed"):
            install()
