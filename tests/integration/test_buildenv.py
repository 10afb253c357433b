"""The cached build environment: reused only when it is exactly what a new one would be.

These builds are isolated: the build requirements are resolved from the package
registry and installed with uv (into a uv cache shared by the tests of this module).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import pytest

from layouts import copy_project, git_init, write
from release_project import RecordingRunner
from releasekit.buildenv import (
    MARKER,
    BuildEnvCache,
    BuildSystem,
    Pin,
    fingerprint,
    parse_compiled,
    unsatisfied,
)
from releasekit.cli import main
from releasekit.config import ReleaseConfig, load_config
from releasekit.errors import BuildError, CommandError
from releasekit.plan import resolve_plan
from releasekit.runner import SubprocessRunner
from releasekit.steps.build import BuildResult, build_release
from releasekit.tools import find_uv

COMMIT_TIME = 1714564800
WHEEL = "tiny_pkg-1.0.0-py2.py3-none-any.whl"
SDIST = "tiny_pkg-1.0.0.tar.gz"

# A custom hatchling build hook that writes down what the backend process sees.
SPY_HOOK = """\
import json
import os
import sys

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class Spy(BuildHookInterface):
    def initialize(self, version, build_data):
        report = os.environ.get("SPY_REPORT")
        if report:
            with open(report, "a") as f:
                f.write(json.dumps({
                    "target": self.target_name,
                    "prefix": sys.prefix,
                    "path": sys.path,
                    "environ": sorted(os.environ),
                    "virtual_env": os.environ.get("VIRTUAL_ENV"),
                    "hatchling": __import__("hatchling").__file__,
                }) + "\\n")
"""


@pytest.fixture(autouse=True)
def fixed_commit_time(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    for role in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{role}_DATE", f"@{COMMIT_TIME} +0000")
    # One uv cache for the module: each test's HOME is new, downloads need not be.
    monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "uv-cache"))


def isolated_project(
    root: Path, *, requires: Sequence[str] = ("hatchling",), extra: str = ""
) -> Path:
    """A hatchling project "Tiny.Pkg" 1.0.0, built in isolation, committed to git."""
    quoted = ", ".join(json.dumps(r) for r in requires)
    write(
        root,
        {
            ".gitignore": "/dist/\n",
            "pyproject.toml": textwrap.dedent(f"""\
                [build-system]
                requires = [{quoted}]
                build-backend = "hatchling.build"

                [project]
                name = "Tiny.Pkg"
                version = "1.0.0"

                [tool.hatch.build.targets.wheel]
                packages = ["src/tiny_pkg"]
                """)
            + extra,
            "src/tiny_pkg/__init__.py": '"""A tiny package."""\n',
        },
    )
    return git_init(root)


def commit(root: Path) -> None:
    subprocess.run(["git", "add", "--all"], cwd=root, check=True)
    subprocess.run(["git", "commit", "--quiet", "-m", "Change"], cwd=root, check=True)


def configured(root: Path, cache: Path, **changes: object) -> ReleaseConfig:
    settings: dict[str, object] = {"build_installer": "uv", **changes}
    config = load_config(root, env={})
    return replace(config, build_cache_dir=str(cache), **settings)  # type: ignore[arg-type]


def build(root: Path, config: ReleaseConfig, runner: SubprocessRunner | None = None) -> BuildResult:
    runner = runner or SubprocessRunner(echo=False)
    return build_release(resolve_plan(root, config, runner), runner)


def dist_bytes(root: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((root / "dist").iterdir())}


def environments(cache: Path) -> list[Path]:
    envs = cache / "build-envs"
    return sorted(p for p in envs.iterdir() if not p.name.startswith(".")) if envs.exists() else []


def used_env(result: BuildResult) -> dict[str, object]:
    assert result.build_envs is not None, result.notes
    (env,) = result.build_envs
    return dict(env)


def test_cached_build_gives_the_bytes_of_a_fresh_isolated_build(tmp_path: Path) -> None:
    root = isolated_project(tmp_path / "tiny")
    cache = tmp_path / "cache"

    first = build(root, configured(root, cache))
    cached_bytes = dist_bytes(root)
    second = build(root, configured(root, cache))
    assert dist_bytes(root) == cached_bytes
    fresh = build(root, configured(root, cache, build_cache=False))

    # python -m build in a new environment (the reference) made the very same files.
    assert sorted(cached_bytes) == [WHEEL, SDIST]
    assert dist_bytes(root) == cached_bytes
    assert fresh.build_envs is None
    assert fresh.command[1:3] == ("-m", "build")
    made, reused = used_env(first), used_env(second)
    assert made["created"] is True
    assert reused["created"] is False
    assert made["key"] == reused["key"]
    assert made["resolution"] == "resolved now"
    assert str(reused["resolution"]).endswith("s ago")  # within build.cache-ttl
    assert any(str(r).startswith("hatchling==") for r in made["requirements"])  # type: ignore[attr-defined]
    assert first.source_date_epoch == second.source_date_epoch == COMMIT_TIME
    assert any("reused" in note for note in second.notes)
    # The environment holds only the pins, under the user cache, complete and marked.
    (env,) = environments(cache)
    assert env.name == made["key"]
    marker = json.loads((env / MARKER).read_text())
    assert marker["fingerprint"] == fingerprint(env)
    assert [line.split(" ")[0] for line in marker["pins"]] == made["requirements"]


def test_asking_for_the_requirements_leaves_no_egg_info_to_make_a_git_version_dirty(
    tmp_path: Path,
) -> None:
    """toolz (setuptools-git-versioning) from a tree whose .gitignore does not list
    *.egg-info: setuptools writes one when asked for the build requirements, and left
    there it made the sdist's version "1.2.3+0.g....dirty" on a cold cache only."""
    root = copy_project("setuptools-git-versioning", tmp_path / "toolz")
    (root / ".gitignore").write_text("/dist/\n")
    git_init(root, tag="v1.2.3")

    build(root, configured(root, tmp_path / "cache"))

    assert sorted(dist_bytes(root)) == ["rk_toolz-1.2.3-py3-none-any.whl", "rk_toolz-1.2.3.tar.gz"]


def test_changed_build_requirements_get_their_own_environment(tmp_path: Path) -> None:
    root = isolated_project(tmp_path / "tiny")
    cache = tmp_path / "cache"
    before = used_env(build(root, configured(root, cache)))

    pyproject = root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('["hatchling"]', '["hatchling", "wheel"]'))
    after = used_env(build(root, configured(root, cache)))

    assert after["resolution"] == "resolved now"  # the TTL does not hide a changed pyproject
    assert after["created"] is True
    assert after["key"] != before["key"]
    assert any(str(r).startswith("wheel==") for r in after["requirements"])  # type: ignore[attr-defined]
    assert {p.name for p in environments(cache)} == {before["key"], after["key"]}


@pytest.mark.parametrize("damage", ["no marker", "a file removed", "a file changed", "not a venv"])
def test_damaged_or_partial_environment_is_never_used(tmp_path: Path, damage: str) -> None:
    root = isolated_project(tmp_path / "tiny")
    cache = tmp_path / "cache"
    build(root, configured(root, cache))
    good = dist_bytes(root)
    (env,) = environments(cache)
    (backend,) = env.glob("lib/python*/site-packages/hatchling/build.py")
    if damage == "no marker":  # as if the process making it had been killed
        (env / MARKER).unlink()
    elif damage == "a file removed":
        backend.unlink()
    elif damage == "a file changed":
        backend.write_text(backend.read_text() + "\nraise SystemExit('tampered')\n")
    else:
        marker = (env / MARKER).read_bytes()
        shutil.rmtree(env)
        env.mkdir()
        (env / MARKER).write_bytes(marker)

    result = build(root, configured(root, cache))

    assert used_env(result)["created"] is True
    assert dist_bytes(root) == good
    (again,) = environments(cache)
    assert json.loads((again / MARKER).read_text())["fingerprint"] == fingerprint(again)


def test_fresh_bypasses_the_cache(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = isolated_project(
        tmp_path / "tiny", extra='\n[tool.releasekit.build]\ninstaller = "uv"\n'
    )
    cache = tmp_path / "cache"
    monkeypatch.setenv("RELEASEKIT_BUILD_CACHE_DIR", str(cache))

    code = main(["build", "--fresh", "--project", str(root), "--json"])

    out, err = capsys.readouterr()
    assert code == 0, err
    summary = json.loads(out)
    assert summary["build_envs"] is None
    assert summary["command"][1:3] == ["-m", "build"]
    assert sorted(a["filename"] for a in summary["artifacts"]) == [WHEEL, SDIST]
    assert not cache.exists()


def test_the_users_environment_does_not_reach_the_backend(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = isolated_project(
        tmp_path / "tiny",
        extra="\n[tool.hatch.build.hooks.custom]\n",
    )
    (root / "hatch_build.py").write_text(SPY_HOOK)
    commit(root)
    cache = tmp_path / "cache"
    clean = build(root, configured(root, cache))
    clean_bytes = dist_bytes(root)
    # A fake hatchling first on PYTHONPATH, and the user's pip and uv settings.
    fake = tmp_path / "fake"
    write(fake, {"hatchling/__init__.py": "raise ImportError('the fake hatchling')\n"})
    report = tmp_path / "report.jsonl"
    monkeypatch.setenv("PYTHONPATH", str(fake))
    monkeypatch.setenv("PIP_INDEX_URL", "http://127.0.0.1:9/simple/")
    monkeypatch.setenv("PYTHONSTARTUP", str(fake / "startup.py"))
    monkeypatch.setenv("SPY_REPORT", str(report))

    result = build(root, configured(root, cache))

    assert dist_bytes(root) == clean_bytes
    env = Path(str(used_env(result)["path"]))
    assert used_env(result)["key"] == used_env(clean)["key"]
    seen = [json.loads(line) for line in report.read_text().splitlines()]
    assert {s["target"] for s in seen} == {"sdist", "wheel"}
    for backend in seen:
        assert Path(backend["prefix"]) == env
        assert Path(backend["virtual_env"]) == env
        assert Path(backend["hatchling"]).is_relative_to(env)
        assert str(fake) not in backend["path"]
        assert not {"PYTHONPATH", "PIP_INDEX_URL", "PYTHONSTARTUP"} & set(backend["environ"])
        assert not any(name.startswith("_RELEASEKIT_") for name in backend["environ"])


# An in-tree backend (backend-path) that asks for more requirements at build time.
DYNAMIC_BACKEND = """\
from hatchling.build import *  # noqa: F403


def get_requires_for_build_wheel(config_settings=None):
    return {requires!r}
"""


@pytest.mark.parametrize(
    ("asked", "cached"),
    [(["packaging>=20"], True), (["wheel"], False)],
    ids=["satisfied-by-the-pins", "missing-so-python-m-build"],
)
def test_requirements_the_backend_asks_for(tmp_path: Path, asked: list[str], cached: bool) -> None:
    root = tmp_path / "tiny"
    write(root, {"_backend/dynamic_backend.py": DYNAMIC_BACKEND.format(requires=asked)})
    isolated_project(root)
    pyproject = root / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace(
            'build-backend = "hatchling.build"',
            'build-backend = "dynamic_backend"\nbackend-path = ["_backend"]',
        )
    )
    commit(root)
    runner = RecordingRunner()

    result = build(root, configured(root, tmp_path / "cache"), runner)

    assert sorted(dist_bytes(root)) == [WHEEL, SDIST]
    if cached:
        assert used_env(result)["created"] is True
        assert not any(c[1:3] == ["-m", "build"] for c in runner.argvs)
    else:
        assert result.build_envs is None
        assert any("lacks (wheel)" in note for note in result.notes), result.notes
        assert runner.argvs[-1][1:3] == ["-m", "build"]


def test_the_wheel_comes_from_the_sdist_and_a_failure_keeps_dist(tmp_path: Path) -> None:
    # The wheel wants a file the sdist leaves out: only a wheel built from the sdist fails.
    root = isolated_project(
        tmp_path / "tiny",
        extra="""
[tool.hatch.build.targets.wheel.force-include]
"data/config.json" = "tiny_pkg/config.json"

[tool.hatch.build.targets.sdist]
exclude = ["data"]
""",
    )
    write(root, {"data/config.json": "{}\n"})
    commit(root)
    write(root / "dist", {"tiny_pkg-0.9.0.tar.gz": "the last good sdist"})

    with pytest.raises(BuildError) as caught:
        build(root, configured(root, tmp_path / "cache"))

    assert "Forced include not found" in str(caught.value)
    assert dist_bytes(root) == {"tiny_pkg-0.9.0.tar.gz": b"the last good sdist"}


def test_compiled_pins_are_exact_and_hashed() -> None:
    markers = {"python_version": "3.11", "sys_platform": "linux"}
    output = (
        "hatchling==1.33.0 \\\n    --hash=sha256:" + "b" * 64 + " \\\n    --hash=sha256:" + "a" * 64
        + "\ntomli==2.0.1 ; python_version < '3.11' \\\n    --hash=sha256:" + "c" * 64 + "\n"
    )  # fmt: skip

    pins = parse_compiled(output, markers)

    assert pins == [Pin("hatchling", "1.33.0", (f"sha256:{'a' * 64}", f"sha256:{'b' * 64}"))]
    assert unsatisfied(["hatchling>=1.20", "tomli; python_version < '3'"], pins, markers) == []
    assert unsatisfied(["hatchling<1", "wheel", "hatchling[extra]"], pins, markers) == [
        "hatchling<1",
        "wheel",
        "hatchling[extra]",
    ]


def test_the_interpreter_of_another_python_is_probed(tmp_path: Path) -> None:
    runner = SubprocessRunner(echo=False)
    here = BuildEnvCache(tmp_path, runner, installer="uv", uv="uv", ttl=0, project=tmp_path)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    other = SubprocessRunner(echo=False, python=str(venv / "bin" / "python"))
    there = BuildEnvCache(tmp_path, other, installer="uv", uv="uv", ttl=0, project=tmp_path)

    assert there.interpreter() == here.interpreter()
    assert here.interpreter()["markers"]["python_full_version"] == ".".join(
        map(str, sys.version_info[:3])
    )


def test_parallel_builds_in_a_monorepo_share_one_new_environment(tmp_path: Path) -> None:
    root = tmp_path / "mono"
    write(root, {"pyproject.toml": '[tool.releasekit]\npackages = ["packages/*"]\n'})
    for name in ("alpha", "beta", "gamma"):
        package = isolated_project(root / "packages" / name)
        shutil.rmtree(package / ".git")
        text = (package / "pyproject.toml").read_text().replace("Tiny.Pkg", f"acme-{name}")
        (package / "pyproject.toml").write_text(text)
    git_init(root)
    environment = {**os.environ, "RELEASEKIT_BUILD_CACHE_DIR": str(tmp_path / "cache")}

    # A new process, as a user runs it: the first look-ups of uv and of the interpreter
    # happen in three threads at once.
    done = subprocess.run(
        [sys.executable, "-m", "releasekit", "build", "-j", "3", "--json"],
        cwd=root,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    packages = json.loads(done.stdout)["packages"]
    used = [package["build_envs"][0] for package in packages]
    assert sorted(env["created"] for env in used) == [False, False, True]
    assert len({env["key"] for env in used}) == 1
    assert len(environments(tmp_path / "cache")) == 1


def test_pip_makes_the_environment_when_uv_is_not_used(tmp_path: Path) -> None:
    root = isolated_project(tmp_path / "tiny")
    with_uv = build(root, configured(root, tmp_path / "cache"))
    uv_bytes = dist_bytes(root)

    with_pip = build(root, configured(root, tmp_path / "cache", build_installer="pip"))

    assert with_pip.installer == "pip"
    assert dist_bytes(root) == uv_bytes
    made = used_env(with_pip)
    assert made["created"] is True
    assert made["requirements"] == used_env(with_uv)["requirements"]
    assert made["key"] != used_env(with_uv)["key"]  # the installer is part of the key
    # Made in a scratch directory, then moved: its scripts name the final place (in the
    # shebang, or in a /bin/sh trampoline's exec line when the path is long) and run.
    script = Path(str(made["path"])) / "bin" / "hatchling"
    head = "\n".join(script.read_text().splitlines()[:2])
    assert f"{made['path']}/bin/python" in head
    assert subprocess.run([script, "--help"], capture_output=True, check=False).returncode == 0


def test_a_backend_that_does_not_answer_is_stopped_at_its_deadline(tmp_path: Path) -> None:
    root = Path(
        shutil.copytree(Path(__file__).parents[1] / "projects/hanging-backend", tmp_path / "p")
    )
    cache = BuildEnvCache(
        tmp_path / "cache",
        SubprocessRunner(echo=False),
        installer="uv",
        uv=uv.path if (uv := find_uv()) else None,
        ttl=600,
        project=root,
    )
    system = BuildSystem.of(root)
    environment = cache.environment(system.requires)
    started = time.monotonic()

    with pytest.raises(CommandError) as raised:
        cache.call_backend(environment, system, root, "metadata", tmp_path, {}, timeout=1)

    assert time.monotonic() - started < 20
    assert raised.value.message == (
        "The build backend (hang) did not answer within 1 s and was stopped."
    )
