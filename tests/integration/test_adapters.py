"""releasekit.nox and releasekit.invoke, as their users run them: real nox and invoke
commands in subprocesses, on a sample project, against two real pypiservers."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from index_servers import PypiServer, free_port
from release_project import (
    NAME,
    RELEASE_STEPS,
    PypiServers,
    announced,
    git,
    invoke,
    nox,
    pyproject,
    repositories,
    run_tool,
    sha256_files,
    step_outcomes,
    version_in,
    write_project,
)
from releasekit.commands import ADAPTED, BY_NAME, parse, resume_command
from releasekit.config import _NOT_FROM_ENV, SCHEMA, env_variable
from releasekit.nox import SESSIONS

PUBLISH_TEST_STEPS = ["build", "check (test)", "upload (test)", "verify (test)"]
FILES_1_0_0 = {"rk_demo-1.0.0-py3-none-any.whl", "rk_demo-1.0.0.tar.gz"}
FILES_1_0_1 = {"rk_demo-1.0.1-py3-none-any.whl", "rk_demo-1.0.1.tar.gz"}


def released_project(
    tmp_path: Path,
    test: PypiServer,
    prod: PypiServer,
    *,
    releasekit: str = "",
    files: dict[str, str] | None = None,
) -> Path:
    """The sample project with ``test`` and ``prod`` as its repositories."""
    return write_project(
        tmp_path / "project",
        pyproject_toml=pyproject(releasekit) + repositories(test, prod),
        files=files,
        origin=True,
    )


def assert_no_traceback(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stdout + result.stderr, result


# --- importing and registering -------------------------------------------------------

HEAVY = ["twine", "build", "requests", "hatchling", "urllib3", "releasekit.cli"]


@pytest.mark.parametrize(
    ("module", "heavy"),
    [
        ("releasekit.nox", [*HEAVY, "releasekit.config"]),
        # Invoke's task list holds the tasks' configuration, whose keys releasekit.config
        # names: `invoke -l` reads it, so importing the tasks may load it.
        ("releasekit.invoke", HEAVY),
    ],
)
def test_importing_an_adapter_loads_none_of_the_release_machinery(
    module: str, heavy: list[str]
) -> None:
    code = (
        f"import json, sys, {module}\n"
        f"print(json.dumps(sorted(m for m in {heavy!r} if m in sys.modules)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )

    assert json.loads(result.stdout) == []


def test_importing_releasekit_nox_registers_nothing_and_imports_no_nox() -> None:
    code = (
        "import json, sys, releasekit.nox\n"
        "loaded = 'nox' in sys.modules\n"
        "import nox.registry\n"
        "print(json.dumps([loaded, sorted(nox.registry.get())]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )

    assert json.loads(result.stdout) == [False, []]


@pytest.fixture
def empty_nox_registry(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """nox's session registry and releasekit.nox's memory of register(), empty for a test."""
    import nox.registry

    import releasekit.nox

    registry: dict[str, Any] = {}
    monkeypatch.setattr(nox.registry, "_REGISTRY", registry)
    monkeypatch.setattr(releasekit.nox, "_registered", [])
    return registry


def test_register_passes_its_options_to_every_session(empty_nox_registry: dict[str, Any]) -> None:
    import releasekit.nox

    names = releasekit.nox.register(
        python=["3.11", "3.12"], venv_backend="uv", prefix="rk-", tags=["ship"], default=True
    )

    assert names == [f"rk-{command}" for command in SESSIONS]
    assert list(empty_nox_registry) == names
    for command, description in SESSIONS.items():
        session = empty_nox_registry[f"rk-{command}"]
        assert session.__doc__ == description
        assert session.tags == ["ship"]
        assert session.default is True
        # Only building and verify's fresh virtualenvs need the tools (build, uv).
        if command in ("bump-version", "check", "upload-test", "upload-prod"):
            assert (session.venv_backend, session.python) == ("none", None)
        else:
            assert (session.venv_backend, session.python) == ("uv", ["3.11", "3.12"])


def test_register_twice_is_an_error_that_says_what_to_do(
    empty_nox_registry: dict[str, Any],
) -> None:
    import releasekit.nox

    releasekit.nox.register()

    with pytest.raises(SystemExit) as raised:
        releasekit.nox.register(prefix="again-")
    message = str(raised.value)
    assert "releasekit.nox.register() was already called" in message
    assert "bump-version, build, check" in message
    assert "Call it once; use prefix= to tell sessions apart." in message
    assert not any(name.startswith("again-") for name in empty_nox_registry)


def test_a_noxfile_that_registers_twice_fails_to_load_with_that_message(tmp_path: Path) -> None:
    root = write_project(
        tmp_path / "project",
        files={"noxfile.py": "import releasekit.nox\n\nreleasekit.nox.register()\n" * 2},
        origin=True,
    )

    result = nox(root, "-l")

    assert result.returncode != 0, result
    assert "releasekit.nox.register() was already called" in result.output
    assert_no_traceback(result)


# --- nox -l, prefixes, settings ------------------------------------------------------


def test_nox_lists_the_release_sessions_with_descriptions_not_run_by_default(
    tmp_path: Path,
) -> None:
    root = write_project(tmp_path / "project", origin=True)

    listed = nox(root, "-l")
    tagged = nox(root, "-l", "-t", "release")

    assert listed.returncode == 0, listed
    for name, description in SESSIONS.items():
        line = rf" {re.escape(name)}\b.* -> {re.escape(description)}$"
        assert re.search("^-" + line, listed.stdout, re.M), listed  # not selected by default
        assert re.search(r"^\*" + line, tagged.stdout, re.M), tagged  # selected by its tag


def test_nox_prefix_names_the_sessions_beside_the_projects_own(tmp_path: Path) -> None:
    noxfile = (
        "import nox\n"
        "import releasekit.nox\n\n"
        'releasekit.nox.register(prefix="rk-")\n\n\n'
        "@nox.session(venv_backend='none')\n"
        "def tests(session: nox.Session) -> None:\n"
        '    """The project\'s own tests."""\n'
    )
    root = write_project(tmp_path / "project", files={"noxfile.py": noxfile}, origin=True)

    listed = nox(root, "-l")

    assert listed.returncode == 0, listed
    assert re.search(r"^\* tests -> The project's own tests\.$", listed.stdout, re.M)
    for name in SESSIONS:
        assert re.search(rf"^- rk-{re.escape(name)}\b", listed.stdout, re.M), listed
        assert not re.search(rf"^- {re.escape(name)}\b", listed.stdout, re.M), listed


def test_nox_settings_and_profile_layer_over_the_project_table(tmp_path: Path) -> None:
    root = write_project(
        tmp_path / "project",
        files={
            "org.toml": 'tag-format = "org-{version}"\n',
            "profile.py": "import releasekit.nox\n\nreleasekit.nox.register(profile='org.toml')\n",
            "settings.py": "import releasekit.nox\n\nreleasekit.nox.register("
            "profile='org.toml', settings={'tag_format': 'nox-{version}'})\n",
        },
        origin=True,
    )

    def bumped_tag(noxfile: str) -> str:
        result = nox(
            root, "-s", "bump-version", "--", "patch", "--dry-run", "--json", noxfile=noxfile
        )
        assert result.returncode == 0, result
        tag: str = json.loads(result.stdout)["tag"]
        return tag

    assert bumped_tag("noxfile.py") == "v1.0.1"  # releasekit's default
    assert bumped_tag("profile.py") == "org-1.0.1"
    assert bumped_tag("settings.py") == "nox-1.0.1"


def test_nox_settings_with_an_unknown_key_fail_the_session_naming_key_and_source(
    tmp_path: Path,
) -> None:
    noxfile = "import releasekit.nox\n\nreleasekit.nox.register(settings={'tag_fromat': 'x'})\n"
    root = write_project(tmp_path / "project", files={"noxfile.py": noxfile}, origin=True)

    result = nox(root, "-s", "bump-version", "--", "patch")

    assert result.returncode == 1, result
    assert (
        "Session bump-version aborted: [exit 3] nox register() settings: unknown key "
        "'tag-fromat'" in result.stderr
    )
    assert_no_traceback(result)
    assert version_in(root) == "1.0.0"


def test_nox_build_installs_the_build_backend_when_settings_turn_isolation_off(
    tmp_path: Path,
) -> None:
    """[tool.releasekit] leaves isolation on; only register(settings=...) turns it off."""
    noxfile = (
        "import releasekit.nox\n\n"
        "releasekit.nox.register(settings={'build': {'isolation': False}})\n"
    )
    root = write_project(
        tmp_path / "project",
        pyproject_toml=pyproject(isolation=True),
        files={"noxfile.py": noxfile},
        origin=True,
    )

    result = nox(root, "-s", "build")

    assert result.returncode == 0, result
    assert re.search(r"^nox > .*uv pip install .*'uv[^']*'.* hatchling$", result.stderr, re.M)
    assert "-m build" in result.stderr
    assert "--no-isolation" in result.stderr
    assert set(sha256_files(root / "dist")) == FILES_1_0_0


# --- nox: errors ---------------------------------------------------------------------


def test_nox_usage_errors_become_session_errors_with_the_usage(tmp_path: Path) -> None:
    root = write_project(tmp_path / "project", origin=True)

    result = nox(root, "-s", "publish", "--", "--tset")

    assert result.returncode == 1, result
    assert (
        "Session publish aborted: [exit 2] nox -s publish --: unrecognized "
        "arguments: --tset." in result.stderr
    )
    assert "Usage: nox -s publish -- [flags of 'releasekit publish']" in result.stderr
    assert_no_traceback(result)


def test_nox_release_without_a_part_is_a_session_error(tmp_path: Path) -> None:
    root = write_project(tmp_path / "project", origin=True)

    result = nox(root, "-s", "release")

    assert result.returncode == 1, result
    assert (
        "Session release aborted: [exit 2] release needs the version part to bump" in result.stderr
    )
    # nox ends the line with its own period: the message brings none ("README..").
    assert not re.search(r"[^.]\.\.( \(took|$)", result.stderr, re.M), result.stderr
    assert_no_traceback(result)
    assert version_in(root) == "1.0.0"


# --- nox: publish and release end to end ---------------------------------------------


def test_nox_publish_test_builds_checks_uploads_and_verifies_on_the_test_index(
    tmp_path: Path, servers: PypiServers
) -> None:
    test, prod = servers.start("test"), servers.start("prod")
    root = released_project(tmp_path, test, prod)

    result = nox(root, "-s", "publish", "--", "--test")

    assert result.returncode == 0, result
    dist = sha256_files(root / "dist")
    assert set(dist) == FILES_1_0_0
    assert sha256_files(test.packages_dir) == dist
    assert sha256_files(prod.packages_dir) == {}
    assert announced(result.stderr, "publish") == PUBLISH_TEST_STEPS
    outcomes = step_outcomes(result.stderr, "publish")
    assert list(outcomes) == PUBLISH_TEST_STEPS
    assert outcomes["upload (test)"] == "uploaded 2, skipped 0 already there"
    assert outcomes["verify (test)"].startswith("2 files match sha256")
    # The upload's progress is told the nox way; keyring's debug lines are not.
    assert "nox > uploading 2 files to test (" in result.stderr
    assert "keyring.backend" not in result.stderr
    assert git(root, "status", "--porcelain") == ""
    assert git(root, "tag") == ""


def test_nox_release_patch_bumps_uploads_to_both_indexes_tags_and_pushes(
    tmp_path: Path, servers: PypiServers
) -> None:
    test, prod = servers.start("test"), servers.start("prod")
    root = released_project(tmp_path, test, prod)

    result = nox(root, "-s", "release", "--", "patch", "--yes")

    assert result.returncode == 0, result
    assert version_in(root) == "1.0.1"
    dist = sha256_files(root / "dist")
    assert set(dist) == FILES_1_0_1
    assert sha256_files(test.packages_dir) == dist
    assert sha256_files(prod.packages_dir) == dist
    assert git(root, "log", "--format=%s") == "Release 1.0.1\nInitial commit"
    head = git(root, "rev-parse", "HEAD")
    assert git(root, "rev-parse", "v1.0.1^{commit}") == head
    remote = git(root, "ls-remote", "origin")
    assert f"{head}\trefs/heads/main" in remote
    assert "refs/tags/v1.0.1" in remote
    assert git(root, "status", "--porcelain") == ""
    assert announced(result.stderr, "release") == list(RELEASE_STEPS)
    outcomes = step_outcomes(result.stderr, "release")
    assert list(outcomes) == list(RELEASE_STEPS)
    assert outcomes["bump-version"] == "1.0.0 -> 1.0.1"
    assert outcomes["upload (prod)"] == "uploaded 2, skipped 0 already there"
    assert outcomes["tag"] == "created v1.0.1"
    assert outcomes["push"] == "pushed main and v1.0.1 to origin"
    assert f"release: {NAME} 1.0.1" in result.stdout  # the summary table


def test_nox_release_with_an_index_down_stops_in_the_pre_flight_changing_nothing(
    tmp_path: Path, servers: PypiServers
) -> None:
    test = servers.start("test")
    prod_port = free_port()  # nothing listens there
    prod = PypiServer(
        f"http://127.0.0.1:{prod_port}",
        f"http://127.0.0.1:{prod_port}/simple/",
        f"http://127.0.0.1:{prod_port}/",
        tmp_path / "pypiserver-prod",
    )
    root = released_project(tmp_path, test, prod)

    failed = nox(root, "-s", "release", "--", "patch", "--yes")

    assert failed.returncode == 1, failed
    assert_no_traceback(failed)
    assert (  # an unreadable index: exit 13 for every command
        "Session release aborted: [exit 13] Pre-flight of release rk-demo 1.0.1 "
        "found 1 problem(s); nothing was changed:" in failed.stderr
    ), failed.stderr
    assert "prod cannot be read" in failed.stderr
    assert version_in(root) == "1.0.0"
    assert git(root, "log", "--format=%s") == "Initial commit"
    assert git(root, "tag") == ""
    assert not (root / "dist").exists()


def test_resume_command_keeps_the_flags_drops_the_part_for_each_adapter() -> None:
    def resume(invocation: tuple[str, ...], argv: list[str]) -> str:
        args = parse(["release", *argv])
        args.invocation = invocation
        return resume_command(args)

    assert resume(("releasekit", "release"), ["patch", "--yes"]) == (
        "releasekit release --resume --yes"
    )
    # A flag's value equal to PART stays: it is the project directory here.
    assert resume(("releasekit", "release"), ["--project", "minor", "minor", "--no-push"]) == (
        "releasekit release --resume --no-push --project minor"
    )
    assert resume(("nox", "rk-release"), ["minor", "-y", "-n"]) == (
        "nox -s rk-release -- --resume --yes --dry-run"
    )
    assert resume(("invoke", "release"), ["1.2.3", "--fresh", "--timeout", "30"]) == (
        "invoke release --resume --timeout 30.0 --fresh"
    )


def test_the_cli_nox_and_invoke_accept_the_same_flags_for_every_command() -> None:
    """Walks the command table: every option of every adapted command is a flag of the
    CLI, a flag after `nox -s NAME --`, and an argument of the Invoke task."""
    from releasekit.invoke import release_tasks

    for command in ADAPTED:
        task = release_tasks.tasks[command.name]
        invoke_names = {name for a in task.get_arguments() for name in a.names}
        for option in command.options:
            if option.kind == "positional":
                continue
            assert option.name in invoke_names, (command.name, option.name)
            if option.short:
                assert option.short in invoke_names, (command.name, option.short)
            value = {"flag": [], "switch": [], "paths": ["d"], "int": ["2"], "seconds": ["5"]}.get(
                option.kind, [option.choices[0]] if option.choices else ["x"]
            )
            argv = [f"--{option.name}", *value]
            if option.kind == "files":  # FILE... on the CLI and after nox's --; Invoke: --files
                argv = ["dist/x.whl"]
            if command.positional is not None:
                argv = ["1.2.3", *argv]
            parsed = parse([command.name, *argv])  # the CLI, nox (same parser)
            assert getattr(parsed, option.attr) not in (None, False) or option.name == "fresh", (
                command.name,
                option.name,
            )
            if option.short:
                short = parse(
                    [
                        command.name,
                        f"-{option.short}",
                        *value,
                        *(["1.2.3"] if command.positional else []),
                    ]
                )
                assert vars(short)[option.attr] == vars(parsed)[option.attr]
        # Global options work before the command too.
        before = parse(
            ["--json", "--project", "p", command.name, *(["1.2.3"] if command.positional else [])]
        )
        assert (before.json, str(before.project)) == (True, "p")
    assert BY_NAME["publish"].positional is None


# --- invoke --------------------------------------------------------------------------


def test_invoke_lists_the_release_tasks_with_descriptions(tmp_path: Path) -> None:
    root = write_project(tmp_path / "project", origin=True)

    result = invoke(root, "-l")

    assert result.returncode == 0, result
    for name, description in SESSIONS.items():
        first_words = " ".join(description.split()[:5])
        assert re.search(rf"^  {re.escape(name)} +{re.escape(first_words)}", result.stdout, re.M)


def test_every_invoke_flag_has_help_text(tmp_path: Path) -> None:
    from releasekit.invoke import release_tasks

    for name, task in release_tasks.tasks.items():
        assert all(a.help for a in task.get_arguments()), name

    root = write_project(tmp_path / "project", origin=True)
    result = invoke(root, "--help", "publish")
    assert result.returncode == 0, result
    options = result.stdout.split("Options:", 1)[1]
    flags = re.findall(r"^  (-\S.*?)(?: {2,}(\S.*))?$", options, re.M)
    assert len(flags) == len(release_tasks.tasks["publish"].get_arguments()), result.stdout
    assert all(text for _, text in flags), result.stdout


ENV_KEYS = sorted(set(SCHEMA) - _NOT_FROM_ENV)


@pytest.mark.parametrize("key", ENV_KEYS)
def test_invoke_reads_an_environment_variable_for_every_key_releasekit_does(
    monkeypatch: pytest.MonkeyPatch, key: str
) -> None:
    from invoke.config import Config

    from releasekit.invoke import release_tasks

    variable = "INVOKE_" + env_variable(key)  # INVOKE_RELEASEKIT_BUILD_OUTDIR
    monkeypatch.setenv(variable, "from-the-environment")
    config = Config()
    config.load_collection(release_tasks.configuration())
    config.load_shell_env()

    section, _, name = key.rpartition(".")
    table = config.releasekit[section] if section else config.releasekit
    assert table[name.replace("-", "_")] == "from-the-environment"


def test_invoke_publish_test_uploads_to_the_test_index_only(
    tmp_path: Path, servers: PypiServers
) -> None:
    test, prod = servers.start("test"), servers.start("prod")
    root = released_project(tmp_path, test, prod)

    result = invoke(root, "publish", "--test")

    assert result.returncode == 0, result
    dist = sha256_files(root / "dist")
    assert set(dist) == FILES_1_0_0
    assert sha256_files(test.packages_dir) == dist
    assert sha256_files(prod.packages_dir) == {}
    assert list(step_outcomes(result.stderr, "publish")) == PUBLISH_TEST_STEPS
    assert "uploading 2 files to test (" in result.stdout + result.stderr
    assert git(root, "status", "--porcelain") == ""


def test_invoke_release_patch_takes_settings_from_invoke_yaml_and_the_environment(
    tmp_path: Path, servers: PypiServers
) -> None:
    test, prod = servers.start("test"), servers.start("prod")
    invoke_yaml = (
        "releasekit:\n"
        '  tag_format: "rel-{version}"\n'
        '  commit_message: "From invoke.yaml {version}"\n'
    )
    root = released_project(
        tmp_path,
        test,
        prod,
        releasekit='tag-format = "v{version}"\ncommit-message = "From pyproject {version}"\n'
        'tag-message = "Shipped {version}"',
        files={"invoke.yaml": invoke_yaml},
    )

    result = invoke(
        root,
        "release",
        "patch",
        "--yes",
        INVOKE_RELEASEKIT_COMMIT_MESSAGE="From the environment {version}",
    )

    assert result.returncode == 0, result
    assert version_in(root) == "1.0.1"
    # Environment over invoke.yaml over pyproject; pyproject's own keys stay.
    assert git(root, "log", "-1", "--format=%s") == "From the environment 1.0.1"
    assert git(root, "tag") == "rel-1.0.1"
    assert git(root, "tag", "-l", "--format=%(contents:subject)", "rel-1.0.1") == "Shipped 1.0.1"
    assert git(root, "rev-parse", "rel-1.0.1^{commit}") == git(root, "rev-parse", "HEAD")
    assert "refs/tags/rel-1.0.1" in git(root, "ls-remote", "origin")
    dist = sha256_files(root / "dist")
    assert set(dist) == FILES_1_0_1
    assert sha256_files(test.packages_dir) == dist
    assert sha256_files(prod.packages_dir) == dist
    outcomes = step_outcomes(result.stderr, "release")
    assert list(outcomes) == list(RELEASE_STEPS)
    assert outcomes["tag"] == "created rel-1.0.1"


def test_invoke_release_resume_needs_no_part(tmp_path: Path, servers: PypiServers) -> None:
    test, prod = servers.start("test"), servers.start("prod")
    root = released_project(tmp_path, test, prod)
    # A release stopped at its push (the remote is out of reach), so there is one to resume.
    origin = git(root, "remote", "get-url", "origin")
    git(root, "remote", "set-url", "origin", str(tmp_path / "unreachable.git"))
    assert invoke(root, "release", "patch", "--yes").returncode != 0
    git(root, "remote", "set-url", "origin", origin)

    result = invoke(root, "release", "--resume", "--yes")

    assert result.returncode == 0, result
    outcomes = step_outcomes(result.stderr, "release")
    assert list(outcomes) == list(RELEASE_STEPS[1:])
    assert git(root, "tag") == "v1.0.1"
    assert "refs/tags/v1.0.1" in git(root, "ls-remote", "origin")
    assert sha256_files(prod.packages_dir) == sha256_files(root / "dist")


def test_invoke_release_tasks_as_a_sub_collection_read_the_environment(tmp_path: Path) -> None:
    tasks = (
        "from invoke.collection import Collection\n"
        "from invoke.context import Context\n"
        "from invoke.tasks import task\n\n"
        "from releasekit.invoke import release_tasks\n\n\n"
        "@task\n"
        "def hello(c: Context) -> None:\n"
        '    """Say hello."""\n\n\n'
        "ns = Collection(hello, release_tasks)\n"
    )
    root = write_project(tmp_path / "project", files={"tasks.py": tasks}, origin=True)

    listed = invoke(root, "-l")
    bumped = invoke(
        root,
        "release.bump-version",
        "patch",
        "--dry-run",
        "--json",
        INVOKE_RELEASEKIT_TAG_FORMAT="sub-{version}",
    )
    built = invoke(root, "release.build", "--json", INVOKE_RELEASEKIT_BUILD_OUTDIR="out")

    assert listed.returncode == 0, listed
    assert re.search(r"^  release\.publish +Build, check", listed.stdout, re.M), listed
    assert bumped.returncode == 0, bumped
    assert json.loads(bumped.stdout)["tag"] == "sub-1.0.1"
    assert built.returncode == 0, built
    # --json: stdout is the JSON summary alone, commands are not echoed into it.
    assert json.loads(built.stdout)["step"] == "build"
    assert set(sha256_files(root / "out")) == FILES_1_0_0


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        (["bump-version", "0.0.1"], 5, "The new version 0.0.1 is not greater than"),
        (["publish", "--test", "--timeout", "soon"], 2, "invoke publish: argument --timeout"),
        (["verify"], 11, "There are no local artifacts"),
    ],
)
def test_invoke_release_errors_exit_with_their_message_and_code(
    tmp_path: Path, argv: list[str], code: int, message: str
) -> None:
    root = write_project(tmp_path / "project", origin=True)

    result = invoke(root, *argv)

    assert result.returncode == code, result
    assert message in result.stderr
    assert_no_traceback(result)
    assert version_in(root) == "1.0.0"


def test_invoke_from_another_project_below_uses_the_one_of_tasks_py(tmp_path: Path) -> None:
    """Invoke finds tasks.py in a parent directory; releasekit releases that project,
    not the nearest pyproject.toml of the working directory."""
    root = write_project(
        tmp_path / "project",
        files={"examples/other/pyproject.toml": '[project]\nname = "other"\nversion = "9.0"\n'},
        origin=True,
    )

    result = run_tool(
        [sys.executable, "-m", "invoke", "build", "--dry-run", "--json"],
        root / "examples" / "other",
        {},
    )

    assert result.returncode == 0, result
    summary = json.loads(result.stdout)
    assert (summary["project"], summary["version"]) == ("rk-demo", "1.0.0")
