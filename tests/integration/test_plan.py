"""Plan, then act: the pre-flight refuses before anything changes, --dry-run prints the
plan, a started release cannot be released past, repositories own their policy, and one
publish derives the project's name and version once."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
from packaging.version import Version

from fault_proxy import FaultProxy, refusing_url
from index_servers import PypiServer, StartProxy
from release_project import (
    PypiServers,
    RecordingRunner,
    git,
    invoke,
    nox,
    pyproject,
    repositories,
    sha256_files,
    version_in,
    write_project,
)
from releasekit.cli import main
from releasekit.errors import ExitCode

Capsys = pytest.CaptureFixture[str]
PYPI_UPLOAD = "https://upload.pypi.org/legacy/"


def project(tmp_path: Path, releasekit: str, files: dict[str, str] | None = None) -> Path:
    return write_project(
        tmp_path / "project", pyproject_toml=pyproject(releasekit), files=files, origin=True
    )


def tag_versioned(tmp_path: Path, releasekit: str, tag: str) -> Path:
    """The sample project with its version from git tags (hatch-vcs), tagged ``tag``."""
    root = project(
        tmp_path,
        releasekit,
        files={
            "pyproject.toml": pyproject(releasekit)
            .replace('version = "1.0.0"\n', 'dynamic = ["version"]\n')
            .replace('requires = ["hatchling"]', 'requires = ["hatchling", "hatch-vcs"]')
            + '\n[tool.hatch.version]\nsource = "vcs"\n'
        },
    )
    git(root, "tag", "-a", tag, "-m", tag)
    return root


def snapshot(root: Path) -> dict[str, Any]:
    """Everything a release could change: every file's bytes (git's own included), refs."""
    files = {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and "/objects/" not in p.as_posix() and not p.name.endswith(".lock")
    }
    return {
        "files": files,
        "refs": git(root, "for-each-ref"),
        "status": git(root, "status", "--porcelain", "--ignored"),
    }


def run(capsys: Capsys, root: Path, *argv: str) -> tuple[int, str, str]:
    code = main([*argv, "--project", str(root)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# --- the pre-flight refuses before the bump; the repository stays byte-identical ----------


def test_release_on_a_branch_that_is_not_a_release_branch_changes_nothing(
    tmp_path: Path, servers: PypiServers, capsys: Capsys
) -> None:
    root = project(tmp_path, repositories(servers.start("test"), servers.start("prod")))
    git(root, "switch", "--quiet", "-c", "feature")
    before = snapshot(root)

    code, _, err = run(capsys, root, "release", "patch", "--yes")

    assert code == ExitCode.CHECK, err
    assert "Pre-flight of release rk-demo 1.0.1 found 1 problem(s); nothing was changed" in err
    assert "the branch 'feature' is not a release branch (main, master" in err
    assert "Traceback" not in err
    assert snapshot(root) == before


def test_release_with_a_readme_pypi_cannot_render_changes_nothing(
    tmp_path: Path, servers: PypiServers, capsys: Capsys
) -> None:
    table = repositories(servers.start("test"), servers.start("prod"))
    root = project(
        tmp_path,
        table,
        files={
            "pyproject.toml": pyproject(table).replace('"README.md"', '"README.rst"'),
            "README.rst": "Title\n=====\n\n.. unknown-directive:: here\n\n`broken link <\n",
        },
    )
    before = snapshot(root)

    code, _, err = run(capsys, root, "release", "minor", "--yes")

    assert code == ExitCode.CHECK, err
    assert "README.rst (pyproject.toml): the long description does not render" in err
    assert snapshot(root) == before


def test_release_without_credentials_for_pypi_changes_nothing(
    tmp_path: Path, servers: PypiServers, capsys: Capsys
) -> None:
    prod = servers.start("prod")
    root = project(
        tmp_path,
        "release.test-first = false\n"
        f'[tool.releasekit.repositories.prod]\nupload-url = "{PYPI_UPLOAD}"\n'
        f'index-url = "{prod.simple_url}"\n',
    )
    before = snapshot(root)

    code, _, err = run(capsys, root, "release", "patch", "--yes")

    assert code == ExitCode.CHECK, err
    assert "prod: No credentials for the repository 'prod'" in err
    assert snapshot(root) == before


def test_a_dev_release_to_a_repository_named_pypi_at_pypis_host_is_refused_in_the_dry_run(
    tmp_path: Path, servers: PypiServers, capsys: Capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Policy follows the upload host, not the name 'prod'. The index is read from a local
    server and the dry run uploads nothing: nothing reaches PyPI."""
    index = servers.start("pypi-mirror")
    table = (
        f'[tool.releasekit.repositories.pypi]\nupload-url = "{PYPI_UPLOAD}"\n'
        f'index-url = "{index.simple_url}"\ntoken-env = "PYPI_TOKEN"\n'
    )
    root = project(
        tmp_path,
        table,
        files={"pyproject.toml": pyproject(table).replace('"1.0.0"', '"1.0.1.dev0"')},
    )
    monkeypatch.setenv("PYPI_TOKEN", "pypi-not-a-macaroon")
    # The pre-flight proves the token at the upload URL: through a proxy that is not there.
    monkeypatch.setenv("https_proxy", refusing_url())
    before = snapshot(root)

    code, out, err = run(
        capsys, root, "publish", "--repository", "pypi", "--dry-run", "--json", "--yes"
    )

    assert code == ExitCode.CHECK, err
    summary = json.loads(out)
    assert summary["plan"]["targets"] == [
        {
            "name": "pypi",
            "upload_url": PYPI_UPLOAD,
            "index_url": index.simple_url,
            "production": True,
            "public": True,
        }
    ]
    assert summary["preflight"]["failures"][0] == (
        "1.0.1.dev0 is a development release; refusing it for pypi, a production repository "
        "(set allow-dev-to-prod = true if you mean it)"
    )
    assert summary["preflight"]["failures"][1].startswith(
        f"pypi's upload URL {PYPI_UPLOAD} did not answer an upload request with no file"
    )
    assert "releasekit: publish: pre-flight: 2 problem(s)" in err  # progress, --json or not
    assert snapshot(root) == before
    assert "pypi-not-a-macaroon" not in out + err


def test_upload_test_to_a_production_repository_is_refused(
    tmp_path: Path, servers: PypiServers, capsys: Capsys
) -> None:
    prod = servers.start("prod")
    root = project(
        tmp_path,
        f'[tool.releasekit.repositories.prod]\nupload-url = "{prod.url}/"\n'
        f'index-url = "{prod.simple_url}"\nproduction = true\n',
    )

    code, _, err = run(capsys, root, "upload-test", "--repository", "prod")

    assert code == ExitCode.USAGE, err
    assert "upload-test goes to a test index, and prod" in err
    assert "is a production repository" in err


# --- --dry-run ---------------------------------------------------------------------------


def test_release_dry_run_prints_the_plan_runs_the_pre_flight_and_changes_nothing(
    tmp_path: Path, servers: PypiServers, capsys: Capsys
) -> None:
    test, prod = servers.start("test"), servers.start("prod")
    root = project(tmp_path, repositories(test, prod))
    before = snapshot(root)

    # prod is production by its role: without a terminal to ask, --yes.
    code, out, err = run(capsys, root, "release", "minor", "--dry-run", "--yes")
    as_json = run(capsys, root, "release", "minor", "--dry-run", "--json", "--yes")

    assert code == ExitCode.OK, err
    assert out.splitlines()[:4] == [
        "release rk-demo 1.0.0 -> 1.1.0 (dry run: nothing was changed)",
        "plan:",
        "  1.  bump-version     1.0.0 -> 1.1.0 in pyproject.toml; commit",
        f"  2.  build            sdist and wheel of 1.1.0 into {root / 'dist'}",
    ]
    assert f"  7.  upload (prod)    the artifacts not yet there to {prod.url}/" in out
    assert "  10. push             the branch and v1.1.0 to origin" in out
    assert "  ok: credentials for prod" in out
    assert "releasekit: release: pre-flight: passed" in err
    summary = json.loads(as_json[1])
    assert summary["ok"] is True
    assert summary["dry_run"] is True
    assert [s["name"] for s in summary["plan"]["steps"]] == [
        "bump-version", "build", "check", "upload", "verify", "check", "upload", "verify",
        "tag", "push",
    ]  # fmt: skip
    assert summary["plan"]["tag"] == "v1.1.0"
    assert summary["preflight"]["failures"] == []
    assert snapshot(root) == before


def test_publish_dry_run_through_nox_and_invoke_changes_nothing(
    tmp_path: Path, servers: PypiServers
) -> None:
    root = project(tmp_path, repositories(servers.start("test"), servers.start("prod")))
    before = snapshot(root)

    through_nox = nox(root, "-s", "publish", "--", "--test", "--dry-run")
    through_invoke = invoke(root, "release", "patch", "--dry-run", "--json", "--yes")

    assert through_nox.returncode == 0, through_nox
    assert "nox > publish rk-demo 1.0.0 (dry run: nothing was changed)" not in through_nox.stderr
    assert "publish rk-demo 1.0.0 (dry run: nothing was changed)" in through_nox.stdout
    assert through_invoke.returncode == 0, through_invoke
    assert json.loads(through_invoke.stdout)["plan"]["version"] == "1.0.1"
    after = snapshot(root)
    # nox's virtualenv is the one thing the sessions write (in .nox/, ignored by git).
    after["files"] = {k: v for k, v in after["files"].items() if not k.startswith(".nox/")}
    after["status"] = "\n".join(
        line for line in after["status"].splitlines() if ".nox/" not in line
    )
    assert after == before


# --- a started release is finished, never released past ----------------------------------


def proxied(server: PypiServer, proxy: FaultProxy) -> PypiServer:
    return PypiServer(
        proxy.proxied(server.url),
        proxy.proxied(server.simple_url),
        proxy.proxied(server.upload_url),
        server.packages_dir,
    )


def test_running_release_part_again_after_a_stop_is_refused_with_the_resume_command(
    tmp_path: Path, servers: PypiServers, fault_proxy: StartProxy, capsys: Capsys
) -> None:
    test, prod = servers.start("test"), servers.start("prod")
    proxy = fault_proxy(prod.url)
    root = project(tmp_path, repositories(test, proxied(prod, proxy)))
    proxy.pass_next(1, methods={"POST"})  # the pre-flight's proof of credentials
    proxy.fail_next(100, 403, methods={"POST"})  # the prod upload is refused, for now

    code, _, err = run(capsys, root, "release", "patch", "--yes")

    assert code == ExitCode.CREDENTIALS, err
    assert "release stopped at step 'upload (prod)'" in err
    resume = re.search(r"Then resume with: (.+)$", err, re.M)
    assert resume, err
    assert resume.group(1) == f"releasekit release --resume --yes --project {root}"
    assert version_in(root) == "1.0.1"
    started = snapshot(root)

    again, _, refused = run(capsys, root, "release", "patch", "--yes")

    assert again == ExitCode.USAGE, refused
    assert (
        "The release of rk-demo 1.0.1 was started (its bump is committed) and is not "
        "finished: the tag v1.0.1 does not exist yet. Running release patch now would "
        "release 1.0.2 instead." in refused
    )
    assert f"Finish it with: {resume.group(1)}" in refused
    assert snapshot(root) == started

    proxy.clear_faults()
    argv = shlex.split(resume.group(1))[1:]
    assert main(argv) == ExitCode.OK, capsys.readouterr().err
    assert git(root, "tag") == "v1.0.1"
    assert sha256_files(prod.packages_dir) == sha256_files(root / "dist")
    # Finished: the next release is a new one.
    assert not (root / ".git" / "releasekit-release.json").exists()


# --- one publish derives the name and the version once ------------------------------------


def test_one_publish_reads_pyproject_and_asks_git_for_the_version_once(
    tmp_path: Path, servers: PypiServers, capsys: Capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A tag-versioned project: its version comes from git tags, so every re-derivation
    would show as another `git tag` / `git describe` call through the runner."""
    import importlib
    import sys

    from releasekit.cli import run_command
    from releasekit.commands import parse

    test, prod = servers.start("test"), servers.start("prod")
    table = repositories(test, prod)
    root = tag_versioned(tmp_path, table, "v1.0.0")
    reads: list[str] = []
    # The TOML parser releasekit.config uses: every pyproject read goes through it.
    tomllib = importlib.import_module("tomllib" if sys.version_info >= (3, 11) else "tomli")
    real_load = tomllib.load

    def counting_load(file: Any) -> dict[str, Any]:
        reads.append(Path(file.name).name)
        document: dict[str, Any] = real_load(file)
        return document

    monkeypatch.setattr(tomllib, "load", counting_load)
    runner = RecordingRunner()
    args = parse(["publish", "--test", "--project", str(root), "--json", "--dry-run"])

    run_command(args, runner=runner)

    version_calls = [a for a in runner.argvs if a[:2] in (["git", "tag"], ["git", "describe"])]
    assert len(version_calls) == 1, version_calls
    # load_config reads it for [tool.releasekit]; the plan reads the project once (the
    # pre-flight checks the [project] table the plan carries).
    assert reads.count("pyproject.toml") == 2, reads
    assert json.loads(capsys.readouterr().out)["plan"]["version_written_in"] == ["git tags"]


# --- errors are reported where they are read ---------------------------------------------


def test_a_broken_pypirc_is_reported_by_check_not_skipped(
    tmp_path: Path, servers: PypiServers, capsys: Capsys
) -> None:
    root = project(tmp_path, repositories(servers.start("test"), servers.start("prod")))
    (Path(os.environ["HOME"]) / ".pypirc").write_text("[pypi\nusername = x\n")

    code, _, err = run(capsys, root, "check", "--repository", "test")

    assert code == ExitCode.CREDENTIALS, err
    assert (
        f"{Path(os.environ['HOME']) / '.pypirc'} cannot be read: MissingSectionHeaderError." in err
    )


# --- Invoke configuration, every documented form, through a real invoke ---------------

TASKS_FORMS = {
    "ns = release_tasks": "from releasekit.invoke import release_tasks as ns\n",
    "ns.configure": (
        "from releasekit.invoke import release_tasks as ns\n\n"
        'ns.configure({"releasekit": {"commit_message": "Ship {version}"}})\n'
    ),
    "Collection(..., release_tasks)": (
        "from invoke.collection import Collection\n\n"
        "from releasekit.invoke import release_tasks\n\n"
        "ns = Collection(release_tasks)\n"
    ),
}


@pytest.mark.slow
@pytest.mark.parametrize("form", list(TASKS_FORMS))
def test_invoke_reads_the_environment_and_invoke_yaml_in_every_documented_form(
    tmp_path: Path, form: str
) -> None:
    root = write_project(
        tmp_path / "project",
        files={
            "tasks.py": TASKS_FORMS[form],
            "invoke.yaml": "releasekit:\n  tag_format: yaml-{version}\n",
        },
        origin=True,
    )
    task = "release.bump-version" if "Collection" in form else "bump-version"

    from_yaml = invoke(root, task, "patch", "--dry-run", "--json")
    from_env = invoke(
        root, task, "patch", "--dry-run", "--json", INVOKE_RELEASEKIT_TAG_FORMAT="env-{version}"
    )
    # Run from a subdirectory: the project is the one of the tasks.py Invoke found.
    (root / "src" / "deeper").mkdir()
    from_below = invoke(root / "src" / "deeper", task, "patch", "--dry-run", "--json")

    assert from_yaml.returncode == 0, from_yaml
    assert json.loads(from_yaml.stdout)["tag"] == "yaml-1.0.1"
    assert from_env.returncode == 0, from_env
    assert json.loads(from_env.stdout)["tag"] == "env-1.0.1"
    assert from_below.returncode == 0, from_below
    assert json.loads(from_below.stdout)["project"] == "rk-demo"


def test_a_failing_tools_colour_codes_never_reach_the_error_text() -> None:
    from releasekit.runner import describe_failure

    error = describe_failure(
        ["twine", "check"], 1, "\x1b[31mERROR   \x1b[0m `long_description` has syntax errors\n"
    )

    assert "\x1b" not in error.message
    assert error.message.endswith("It said:\nERROR    `long_description` has syntax errors")


def test_a_keyring_that_fails_is_reported_not_taken_for_no_credentials() -> None:
    import keyring
    from keyring.backend import KeyringBackend
    from keyring.errors import KeyringLocked

    from releasekit.credentials import resolve_credentials
    from releasekit.errors import CredentialsError
    from releasekit.repositories import Repository

    class Locked(KeyringBackend):
        priority = 1

        def get_password(self, service: str, username: str) -> str | None:
            raise KeyringLocked("the keyring is locked")

        def set_password(self, service: str, username: str, password: str) -> None:
            raise KeyringLocked("the keyring is locked")

    previous = keyring.get_keyring()
    keyring.set_keyring(Locked())  # type: ignore[no-untyped-call]
    try:
        with pytest.raises(CredentialsError) as raised:
            resolve_credentials(
                Repository(
                    name="corp",
                    upload_url="http://127.0.0.1:9/",
                    index_url="http://127.0.0.1:9/simple/",
                ),
                env={},
            )
    finally:
        keyring.set_keyring(previous)
    assert raised.value.message.startswith("The keyring (test_plan.")  # the backend, named
    assert raised.value.message.endswith(
        "could not be read for http://127.0.0.1:9/, user '__token__' (KeyringLocked: the "
        "keyring is locked)."
    )
    assert "PYTHON_KEYRING_BACKEND=keyring.backends.null.Keyring" in raised.value.hint


def test_a_shallow_clone_without_the_release_tags_is_refused_not_read_as_0_0_0(
    tmp_path: Path, capsys: Capsys
) -> None:
    """A CI checkout of depth 1: the version would come out as 0.0.0 (the backend builds
    0.1.dev1); releasekit says to fetch the tags."""
    from layouts import copy_project

    origin = copy_project("hatch-vcs", tmp_path / "origin")  # a git repository, tagged v1.2.3
    git(origin, "commit", "--quiet", "--allow-empty", "-m", "after the release")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "--quiet", "--depth", "1", f"file://{origin}", str(clone))

    code, _, err = run(capsys, clone, "version")

    assert code == ExitCode.VCS, err
    assert "this shallow clone has no tag matching 'v{version}'" in err
    assert "fetch-depth: 0" in err
    assert run(capsys, origin, "version")[1].strip() == "1.2.3"


def test_a_usage_error_with_json_is_a_json_object_too(capsys: Capsys) -> None:
    code = main(["--json", "release", "patch", "--no-such-flag"])

    out, err = capsys.readouterr()
    assert code == ExitCode.USAGE
    error = json.loads(out)
    assert error["ok"] is False
    assert error["exit_code"] == ExitCode.USAGE
    assert error["step"] == "release"
    assert "unrecognized arguments: --no-such-flag" in error["error"]
    assert "unrecognized arguments: --no-such-flag" in err


def test_a_production_upload_that_cannot_ask_is_refused_in_the_pre_flight(
    tmp_path: Path, servers: PypiServers, capsys: Capsys
) -> None:
    """No terminal, no --yes, no CI: the prod upload could only fail after the bump; the
    pre-flight says so first, and --yes gets past it."""
    test, prod = servers.start("test"), servers.start("prod")
    root = project(tmp_path, repositories(test, prod) + "production = true\n")
    before = snapshot(root)

    code, _, err = run(capsys, root, "release", "patch")  # pytest's stdin is no terminal

    assert code == ExitCode.CHECK, err
    assert (
        "uploading to prod, a production repository, needs a confirmation and there is no "
        "terminal to ask: pass --yes" in err
    )
    assert snapshot(root) == before
    assert run(capsys, root, "release", "patch", "--dry-run", "--yes")[0] == ExitCode.OK


def test_resume_after_a_finished_release_says_there_is_nothing_to_resume(
    tmp_path: Path, servers: PypiServers, capsys: Capsys
) -> None:
    root = project(tmp_path, repositories(servers.start("test"), servers.start("prod")))
    assert run(capsys, root, "release", "patch", "--yes")[0] == ExitCode.OK
    git(root, "commit", "--quiet", "--allow-empty", "-m", "work after the release")

    code, _, err = run(capsys, root, "release", "--resume", "--yes")

    assert code == ExitCode.USAGE, err
    assert (
        "There is no started release of rk-demo to resume: 1.0.1 was released (the tag "
        "v1.0.1 exists) and no release was started since." in err
    )
    assert "Start the next one with release PART" in err


def test_list_rules_into_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    import subprocess
    import sys

    listing = subprocess.run(
        f"{sys.executable} -m releasekit check --list-rules | head -1",
        shell=True,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )

    assert listing.stdout.strip()
    assert "Traceback" not in listing.stderr, listing.stderr


@pytest.mark.slow
def test_invoke_task_help_and_stdout_are_the_invoke_way_and_the_clis(tmp_path: Path) -> None:
    root = write_project(tmp_path / "project", origin=True)

    helped = invoke(root, "release", "--help")
    bumped = invoke(root, "bump-version", "patch")

    assert helped.returncode == 0, helped
    assert helped.stdout.startswith("Usage: invoke [--core-opts] release [--options] [PART|X.Y.Z]")
    assert "  -y, --yes" in helped.stdout
    assert "usage: releasekit" not in helped.stdout
    assert bumped.returncode == 0, bumped
    # stdout: the result alone, as with the CLI; what changed git is told on stderr.
    assert bumped.stdout.startswith("bumped rk-demo 1.0.0 -> 1.0.1"), bumped.stdout
    assert "\x1b[" not in bumped.stdout
    assert "$ git commit" in bumped.stderr
    assert "git tag --merged" not in bumped.stdout + bumped.stderr


def test_a_command_that_hangs_is_stopped_at_the_runners_bound() -> None:
    import sys
    import time

    from releasekit.errors import CommandError
    from releasekit.runner import SubprocessRunner

    runner = SubprocessRunner(echo=False, timeout=0.5)
    started = time.monotonic()
    with pytest.raises(CommandError) as stopped:
        runner.run([sys.executable, "-c", "import time; time.sleep(30)"])

    assert time.monotonic() - started < 10
    assert stopped.value.message.endswith("did not finish within 0.5 s and was stopped.")
    # Nothing it runs can wait for an answer: stdin is closed, git may not prompt.
    script = "import os, sys; print(sys.stdin.read() == '', os.environ['GIT_TERMINAL_PROMPT'])"
    assert runner.run([sys.executable, "-c", script]).split() == ["True", "0"]


# --- tags as the project writes them --------------------------------------------------------


def _tag_versioned(tmp_path: Path) -> Path:
    """Tagged 0.17.2: a bare version, the way many projects tag (setuptools-scm and
    hatch-vcs take both)."""
    return tag_versioned(tmp_path, "", "0.17.2")


def test_bare_version_tags_are_the_release_tags_when_tag_format_is_not_set(
    tmp_path: Path, capsys: Capsys
) -> None:
    root = _tag_versioned(tmp_path)

    assert run(capsys, root, "version")[:2] == (ExitCode.OK, "0.17.2\n")
    git(root, "commit", "--quiet", "--allow-empty", "-m", "Work for the next release")
    code, out, err = run(capsys, root, "bump-version", "patch", "--json")

    assert code == ExitCode.OK, err
    summary = json.loads(out)
    assert (summary["previous"], summary["version"]) == ("0.17.2", "0.17.3")
    assert "0.17.3" in git(root, "tag", "--list").split()  # the project's own form
    assert "v0.17.3" not in git(root, "tag", "--list")
    assert run(capsys, root, "version")[:2] == (ExitCode.OK, "0.17.3\n")
    code, out, _ = run(capsys, root, "config", "--show", "--json")
    shown = json.loads(out)["settings"]["tag-format"]
    assert shown == {"value": "{version}", "source": "the existing tags"}


def test_a_tag_format_that_is_set_is_kept_and_the_plan_says_where_it_came_from(
    tmp_path: Path,
) -> None:
    from releasekit.config import load_config
    from releasekit.plan import resolve_plan

    root = _tag_versioned(tmp_path)
    inferred = resolve_plan(root, load_config(root, env={}), RecordingRunner())
    assert (inferred.current, inferred.config.tag_format) == (Version("0.17.2"), "{version}")
    assert inferred.latest_tag == ("0.17.2", Version("0.17.2"))
    assert "tag-format '{version}' is learned from the tag 0.17.2" in inferred.project.notes[-1]
    assert inferred.config.sources["tag-format"] == "the existing tags"

    chosen = load_config(root, env={"RELEASEKIT_TAG_FORMAT": "v{version}"})
    kept = resolve_plan(root, chosen, RecordingRunner())
    assert (kept.current, kept.config.tag_format, kept.latest_tag) == (
        Version("0.0.0"),
        "v{version}",
        None,
    )
