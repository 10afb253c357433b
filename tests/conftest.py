from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:  # imported after the plugins below, so that pytest rewrites them
    from sample_release import PypiServers

# Real package indexes (pypiserver, devpi-server), a fault-injecting proxy, and
# `releasekit` (the command through cli.main).
pytest_plugins = ["index_servers", "release_project", "static_index"]


@pytest.fixture(autouse=True)
def isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test sees the developer's git identity, releasekit settings or tokens."""
    import os

    for variable in list(os.environ):
        if variable.startswith(("RELEASEKIT_", "TWINE_", "GIT_")) or variable.endswith("_TOKEN"):
            monkeypatch.delenv(variable)
    # CI runs this suite with CI=true: a test that wants CI's behaviour sets it itself.
    monkeypatch.delenv("CI", raising=False)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    # No keyring look-ups: slow, and they may prompt or find a developer's real tokens.
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    for role in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{role}_NAME", "Release Tester")
        monkeypatch.setenv(f"GIT_{role}_EMAIL", "tester@example.invalid")


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[PypiServers]:
    """pypiservers started on demand by the test (``servers.start(name)``), all stopped
    after it."""
    from sample_release import PypiServers

    started = PypiServers(tmp_path)
    try:
        yield started
    finally:
        started.close()


# The unit tier (tests/unit, or `-m "not slow"`: under 15 s) leaves out tests/integration:
# what starts indexes, builds, runs nox/invoke in a subprocess or releases end to end. A
# unit test that asks for one of these fixtures is marked slow too.
SLOW_FIXTURES = frozenset(
    {
        "servers",
        "start_pypiserver",
        "new_index",
        "fault_proxy",
        "to_test",
        "to_test_and_prod",
        "to_test_through_proxy",
        "uninterrupted",
        "on_pypiserver",
        "pypiserver",
        "protected_pypiserver",
        "devpi",
        "static_index",
        "pypi_corpus",
    }
)
INTEGRATION = Path(__file__).resolve().parent / "integration"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "slow: starts package indexes, builds or runs nox/invoke (not the unit tier)"
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if fixtures & SLOW_FIXTURES or INTEGRATION in item.path.parents:
            item.add_marker(pytest.mark.slow)
