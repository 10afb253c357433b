"""upload-test, upload-prod and verify end to end, against real pypiserver and devpi indexes.

Every test releases the example project (tests/release_project.py) and asserts what a
user sees: the files on the index, the exit code, the message, the --json summary.
"""

from __future__ import annotations

import dataclasses
import json
import os
import pty
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from index_servers import INDEX_KINDS, NewIndex, StartProxy, make_wheel, sha256_of, upload
from release_project import (
    FILES,
    MODULE,
    NAME,
    SDIST,
    VERSION,
    WHEEL,
    Release,
    ToTest,
    ToTestAndProd,
    ToTestThroughProxy,
    git,
    rebuild_with_other_contents,
    release_on,
    write_project,
)
from releasekit.cli import main
from releasekit.credentials import Credentials
from releasekit.errors import ExitCode, ReleaseError
from releasekit.index import IndexClient, IndexFile, ReleaseViews
from releasekit.repositories import Repository
from releasekit.runner import SubprocessRunner
from releasekit.secret import Secret
from releasekit.steps.verify import installer_index_url, verify_release

Capsys = pytest.CaptureFixture[str]


@pytest.fixture(autouse=True)
def not_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    """Prod uploads ask unless CI is set: the tests decide when it is."""
    monkeypatch.delenv("CI", raising=False)


# --- the whole release ----------------------------------------------------------------


@pytest.mark.parametrize("kind", INDEX_KINDS)
def test_build_check_upload_test_verify_upload_prod_verify(
    kind: str,
    tmp_path: Path,
    new_index: NewIndex,
    fault_proxy: StartProxy,
    monkeypatch: pytest.MonkeyPatch,
    capsys: Capsys,
) -> None:
    test, prod = new_index(kind, "test"), new_index(kind, "prod")
    watch = fault_proxy(test.url)  # only to see the order of the uploads
    tables = {"test": test.repository("RK_TEST_TOKEN", through=watch)}
    tables["prod"] = prod.repository("RK_PROD_TOKEN")
    monkeypatch.setenv("RK_TEST_TOKEN", test.password)
    monkeypatch.setenv("RK_PROD_TOKEN", prod.password)
    repositories = "".join(
        f"\n[tool.releasekit.repositories.{name}]\n"
        + "".join(f'{key} = "{value}"\n' for key, value in table.items())
        # pypiserver takes uploads from anyone; prod is production by its role.
        + ("anonymous-upload = true\n" if kind == "pypiserver" else "")
        for name, table in tables.items()
    )
    root = write_project(tmp_path / NAME, releasekit=repositories)
    project = ["--project", str(root)]

    def run(*argv: str) -> dict[str, Any]:
        capsys.readouterr()
        code = main([*argv, *project, "--json"])
        captured = capsys.readouterr()
        assert code == ExitCode.OK, captured.out + captured.err
        summary: dict[str, Any] = json.loads(captured.out)
        return summary

    built = run("build")
    local = {a["filename"]: a["sha256"] for a in built["artifacts"]}
    assert sorted(local) == sorted(FILES)
    assert {a["filename"]: a["state"] for a in run("check")["index"]} == dict.fromkeys(
        FILES, "absent"
    )

    uploaded = run("upload-test")
    assert uploaded["uploaded"] == [WHEEL, SDIST]
    assert [r.uploaded for r in watch.requests if r.method == "POST"] == [WHEEL, SDIST]
    assert test.files(NAME) == local
    assert prod.files(NAME) == {}

    verified = run("verify", "--install", "--timeout", "30")
    assert [(f["filename"], f["state"], f["found_sha256"]) for f in verified["files"]] == [
        (name, "ok", local[name]) for name in FILES
    ]
    assert verified["install"] == {
        "installer": "uv",
        "installed_version": VERSION,
        "imported": [MODULE],
    }

    uploaded = run("upload-prod", "--yes")
    assert (uploaded["repository"], uploaded["uploaded"]) == ("prod", [WHEEL, SDIST])
    assert prod.files(NAME) == local
    verified = run("verify", "--repository", "prod", "--install", "--timeout", "30")
    assert verified["repository"] == "prod"
    assert verified["install"]["installed_version"] == VERSION


# --- resuming, conflicts ------------------------------------------------------------


# `python -m releasekit ARGS`, with Ctrl-C turned back on: a test runner started in the
# background inherits an ignored SIGINT, and Python then never raises KeyboardInterrupt.
WITH_CTRL_C = (
    "import runpy, signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
    "sys.argv[0] = 'releasekit'; runpy.run_module('releasekit', run_name='__main__')"
)


@pytest.mark.parametrize("kind", INDEX_KINDS)
def test_upload_interrupted_after_the_wheel_is_finished_by_the_same_command(
    kind: str,
    to_test_through_proxy: ToTestThroughProxy,
) -> None:
    release, test, proxy = to_test_through_proxy(kind)
    local = release.local_files()
    # The wheel goes through; the connection drops under the sdist, and while releasekit
    # waits to try again, the user presses Ctrl-C.
    proxy.pass_next(1, methods={"POST"})
    proxy.drop_next(10, methods={"POST"})
    process = subprocess.Popen(
        [sys.executable, "-c", WITH_CTRL_C, *release.argv("upload-test")],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not any(r.method == "POST" and r.status == 0 for r in proxy.requests):
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.02)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)

    assert process.returncode == ExitCode.INTERRUPTED, out + err
    assert f"was interrupted: {WHEEL} is on the index; {SDIST} is not." in err
    assert test.files(NAME) == {WHEEL: local[WHEEL]}

    proxy.clear_faults()
    again = release.run_process("upload-test", "--json")

    assert again.code == ExitCode.OK, again.text
    assert (again.json["skipped_identical"], again.json["uploaded"]) == ([WHEEL], [SDIST])
    assert f"{WHEEL} is already on test (same sha256): skipped" in again.json["notes"]
    assert test.files(NAME) == local
    posts = [r.uploaded for r in proxy.requests if r.method == "POST" and r.status == 200]
    assert posts == [WHEEL, SDIST]  # the wheel was sent once, never again


@pytest.mark.parametrize("kind", INDEX_KINDS)
def test_a_different_file_under_a_used_name_is_refused_and_nothing_is_replaced(
    kind: str,
    tmp_path_factory: pytest.TempPathFactory,
    to_test_through_proxy: ToTestThroughProxy,
    capsys: Capsys,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    release, test, proxy = to_test_through_proxy(kind)
    upload(test, *sorted((release.root / "dist").iterdir()))
    first = test.files(NAME)
    rebuild_with_other_contents(tmp_path_factory, release.root)
    second = release.local_files()
    assert first.keys() == second.keys()

    listed = release.run(capsys, "upload-test", "--json")

    assert listed.code == ExitCode.CHECK
    for name in FILES:
        assert (
            f"{name} is already on test with sha256 {first[name]}, but the local file has "
            f"sha256 {second[name]}; a filename can never be reused" in listed.err
        )
    assert {s["filename"]: (s["state"], s["index_sha256"]) for s in listed.json["index"]} == {
        name: ("different", first[name]) for name in FILES
    }
    assert not any(r.method == "POST" for r in proxy.requests)

    # Like a file deleted from PyPI: the index does not list it, but refuses its name.
    # The listing is polled for the upload.timeout at most (PyPI's may lag): 3 s here.
    monkeypatch.setenv("RELEASEKIT_UPLOAD_TIMEOUT", "3")
    proxy.fail_next(100, 404, methods={"GET"})
    unlisted = release.run(capsys, "upload-test")

    assert unlisted.code == ExitCode.UPLOAD
    assert [status for _, status in proxy.posts()] == [409]
    assert "answered 409 " in unlisted.err
    # Within what is left of the 3 s once the index answered (devpi takes a while).
    assert re.search(
        rf"for {re.escape(WHEEL)}, but its listing did not show that file within [0-3] s",
        unlisted.err,
    )
    assert "PyPI refuses names of deleted files too: if it was deleted, bump the version" in (
        unlisted.err
    )
    assert test.files(NAME) == first


# --- production ---------------------------------------------------------------------


def run_with_terminal(release: Release, answer: str, *argv: str) -> tuple[int, str, str]:
    """``releasekit ARGV`` with a terminal on stdin, to which the user types ``answer``."""
    controller, terminal = pty.openpty()
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "releasekit", *release.argv(*argv)],
            stdin=terminal,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        os.write(controller, answer.encode() + b"\n")
        out, err = process.communicate(timeout=60)
    finally:
        os.close(terminal)
        os.close(controller)
    return process.returncode, out, err


def test_upload_prod_asks_showing_project_version_files_and_target(
    to_test_and_prod: ToTestAndProd,
) -> None:
    release, _, prod = to_test_and_prod()

    code, out, err = run_with_terminal(release, "n", "upload-prod")

    assert code == ExitCode.UPLOAD, out + err
    assert f"Upload {NAME} {VERSION} to prod ({prod.upload_url})?\n  {WHEEL}\n  {SDIST}\n" in out
    assert "Upload to prod cancelled; nothing was uploaded." in err
    assert prod.files(NAME) == {}

    code, out, err = run_with_terminal(release, "y", "upload-prod")

    assert code == ExitCode.OK, out + err
    assert f"uploaded {NAME} {VERSION} to prod" in out
    assert prod.files(NAME) == release.local_files()


def test_upload_prod_without_a_terminal_needs_yes_or_ci(
    to_test_and_prod: ToTestAndProd,
    monkeypatch: pytest.MonkeyPatch,
    capsys: Capsys,
) -> None:
    release, _, prod = to_test_and_prod()

    refused = release.run(capsys, "upload-prod")

    assert refused.code == ExitCode.UPLOAD
    assert "needs a confirmation, and there is no terminal to ask" in refused.err
    assert "Pass --yes" in refused.err
    assert prod.files(NAME) == {}

    monkeypatch.setenv("CI", "true")
    assert release.run(capsys, "upload-prod").code == ExitCode.OK
    assert prod.files(NAME) == release.local_files()


def test_upload_prod_refuses_a_branch_that_is_not_a_release_branch(
    to_test_and_prod: ToTestAndProd,
    capsys: Capsys,
) -> None:
    release, _, prod = to_test_and_prod()
    git(release.root, "switch", "--quiet", "-c", "feature/speedup")

    outcome = release.run(capsys, "upload-prod", "--yes")

    assert outcome.code == ExitCode.CHECK
    assert "the branch 'feature/speedup' is not a release branch" in outcome.err
    assert prod.files(NAME) == {}


def test_upload_prod_refuses_dev_and_local_versions_that_test_takes(
    to_test_and_prod: ToTestAndProd,
    capsys: Capsys,
) -> None:
    version = "1.1.0.dev1+build.7"
    release, test, prod = to_test_and_prod(version=version)

    outcome = release.run(capsys, "upload-prod", "--yes")

    assert outcome.code == ExitCode.CHECK
    assert "2 check(s) failed" in outcome.err
    assert f"{version} is a development release; refusing it for prod" in outcome.err
    assert (
        f"{version} has a local version label (+build.7); prod is a production repository"
        in outcome.err
    )
    assert prod.files(NAME) == {}
    assert release.run(capsys, "upload-test").code == ExitCode.OK
    assert test.files(NAME) == release.local_files()


def test_upload_prod_refuses_artifacts_whose_check_fails_listing_every_failure(
    to_test_and_prod: ToTestAndProd,
    capsys: Capsys,
) -> None:
    release, _, prod = to_test_and_prod()
    (release.root / "dist" / WHEEL).write_bytes(b"not a zip file: truncated by a full disk")

    outcome = release.run(capsys, "upload-prod", "--yes", "--json")

    assert outcome.code == ExitCode.CHECK
    assert f"twine check failed: {WHEEL}: cannot be read (File is not a zip file)" in (outcome.err)
    assert f"{WHEEL}: cannot read its metadata (File is not a zip file)" in outcome.err
    assert "Traceback" not in outcome.text
    assert outcome.json["passed"] == [
        "artifact names",
        "PEP 440 version",
        "target rules",
        "git",
        "index prod",
    ]
    assert prod.files(NAME) == {}


# --- what each index answer says ----------------------------------------------------------


def test_403_names_the_credentials_and_uploads_nothing(
    to_test_through_proxy: ToTestThroughProxy,
    capsys: Capsys,
) -> None:
    release, test, proxy = to_test_through_proxy("devpi")
    proxy.fail_next(1, 403, methods={"POST"})

    outcome = release.run(capsys, "upload-test")

    assert outcome.code == ExitCode.CREDENTIALS
    assert f"test ({proxy.proxied(test.upload_url)}) answered 403 " in outcome.err
    assert (
        f": {test.username} (from RK_TEST_TOKEN) is not allowed to upload this project "
        "(a missing permission"
    ) in outcome.err
    assert f"Ask the index's administrator or the project's owner to let {test.username}" in (
        outcome.err
    )
    assert [r.status for r in proxy.requests if r.method == "POST"] == [403]
    assert test.files(NAME) == {}


def test_a_redirected_upload_is_refused_naming_the_target_without_credentials(
    to_test_through_proxy: ToTestThroughProxy,
    capsys: Capsys,
) -> None:
    release, test, proxy = to_test_through_proxy()
    elsewhere = f"{test.url}/uploads/legacy/"
    proxy.redirect_next(1, elsewhere.replace("://", "://mirror:hunter2@"), methods={"POST"})

    outcome = release.run(capsys, "upload-test")

    assert outcome.code == ExitCode.UPLOAD
    assert (
        f"test ({proxy.proxied(test.upload_url)}) answered 307 Temporary Redirect: it "
        f"redirected the upload of {WHEEL} to {elsewhere}; releasekit does not follow upload "
        "redirects."
    ) in outcome.err
    assert "hunter2" not in outcome.text
    assert "mirror" not in outcome.text
    assert f"not uploaded: {WHEEL}, {SDIST}" in outcome.err
    assert test.files(NAME) == {}


# --- verify ---------------------------------------------------------------------------


def test_verify_polls_until_the_release_appears(
    to_test: ToTest,
) -> None:
    release, test = to_test()
    dist = sorted((release.root / "dist").iterdir())
    waits: list[float] = []

    def wait(seconds: float) -> None:
        waits.append(seconds)
        if len(waits) == 2:  # the upload lands while verify waits
            upload(test, *dist)

    result = verify_release(
        release.plan("test"),
        SubprocessRunner(echo=False),
        release.repository("test"),
        timeout=60,
        sleep=wait,
    )

    assert result.polls == 3
    assert waits == [1.0, 1.5]  # backoff
    assert [(f.filename, f.state) for f in result.files] == [(WHEEL, "ok"), (SDIST, "ok")]


def test_verify_on_an_index_on_this_machine_says_the_files_are_not_there_within_seconds(
    to_test: ToTest, capsys: Capsys
) -> None:
    release, _ = to_test()  # built, never uploaded

    started = time.monotonic()
    outcome = release.run(capsys, "verify", "--repository", "test")
    elapsed = time.monotonic() - started

    assert outcome.code == ExitCode.VERIFY
    assert elapsed < 10  # not verify.timeout's 300 s: nothing there can lag
    assert f"{WHEEL}, {SDIST} of {NAME} {VERSION} are not on test (" in outcome.err
    assert "lag" not in outcome.err
    assert "CDN" not in outcome.err
    assert "Upload them first" in outcome.err


def test_verify_gives_a_remote_index_the_whole_timeout_to_list_the_files(
    to_test: ToTest,
) -> None:
    release, _ = to_test()
    remote = dataclasses.replace(
        release.repository("test"),
        upload_url="https://upload.example.org/legacy/",
        index_url="https://example.org/simple/",
    )
    now = [0.0]

    class EmptyIndex(IndexClient):
        def release_views(self, name: str, version: str) -> ReleaseViews:
            return ReleaseViews([], None)

    def sleep(seconds: float) -> None:
        now[0] += seconds

    with pytest.raises(ReleaseError) as raised:
        verify_release(
            release.plan("test"),
            SubprocessRunner(echo=False),
            remote,
            index=EmptyIndex(remote.index_url),
            clock=lambda: now[0],
            sleep=sleep,
        )

    assert now[0] == pytest.approx(300.0)  # verify.timeout: PyPI's CDN may lag for minutes
    assert "did not appear on test" in raised.value.message
    assert "Indexes behind a CDN can lag for minutes" in raised.value.hint


def test_verify_says_a_file_the_json_api_lists_but_the_simple_page_does_not(
    to_test: ToTest,
) -> None:
    release, _ = to_test()
    local = release.local_files()
    remote = dataclasses.replace(
        release.repository("test"),
        upload_url="https://upload.example.org/legacy/",
        index_url="https://example.org/simple/",
    )
    now = [0.0]

    def listed(*names: str) -> list[IndexFile]:
        return [IndexFile(n, local[n], f"https://example.org/files/{n}") for n in names]

    class SplitIndex(IndexClient):
        def release_views(self, name: str, version: str) -> ReleaseViews:
            return ReleaseViews(listed(WHEEL), listed(WHEEL, SDIST))

    def sleep(seconds: float) -> None:
        now[0] += seconds

    with pytest.raises(ReleaseError) as raised:
        verify_release(
            release.plan("test"),
            SubprocessRunner(echo=False),
            remote,
            index=SplitIndex(remote.index_url),
            clock=lambda: now[0],
            sleep=sleep,
        )

    assert (
        f"{SDIST} is in the JSON API but not on the simple page (what installers read)"
    ) in raised.value.message
    assert "Installers read the simple API" in raised.value.hint


@pytest.mark.parametrize(
    ("index_url", "sent"),
    [("https://test.pypi.org/simple/", False), ("https://pypi.internal.example/simple/", True)],
)
def test_verify_install_gives_the_installer_a_token_only_for_a_private_index(
    index_url: str, sent: bool
) -> None:
    repository = Repository(
        name="test", upload_url=index_url.replace("/simple/", "/legacy/"), index_url=index_url
    )
    credentials = Credentials("__token__", Secret("pypi-planted-token"), "RK_TOKEN")

    url = installer_index_url(repository, credentials)

    assert ("pypi-planted-token" in url) is sent
    assert url.endswith(urlsplit(index_url).netloc + "/simple/")


def test_verify_reports_missing_and_extra_files_with_their_hashes(
    to_test: ToTest,
    tmp_path: Path,
    capsys: Capsys,
) -> None:
    release, test = to_test()
    local = release.local_files()
    upload(test, release.root / "dist" / WHEEL)

    missing = release.run(capsys, "verify", "--timeout", "0", "--json")

    assert missing.code == ExitCode.VERIFY
    assert (
        f"{NAME} {VERSION} on test is not what was built:\n"
        f"  - {SDIST}: missing from the index (expected sha256 {local[SDIST]})"
    ) in missing.err
    assert "Upload again (files already there are skipped), then verify again." in missing.err
    assert missing.json["ok"] is False
    assert missing.json["exit_code"] == ExitCode.VERIFY
    assert missing.json["files"] == [
        {"filename": WHEEL, "state": "ok", "expected_sha256": local[WHEEL],
         "found_sha256": local[WHEEL]},
        {"filename": SDIST, "state": "missing", "expected_sha256": local[SDIST],
         "found_sha256": None},
    ]  # fmt: skip

    upload(test, release.root / "dist" / SDIST)
    other = make_wheel(tmp_path, NAME, VERSION, filename=f"{MODULE}-{VERSION}-py2-none-any.whl")
    upload(test, other)

    extra = release.run(capsys, "verify", "--timeout", "0")

    assert extra.code == ExitCode.VERIFY
    assert (
        f"  - {other.name}: on the index but not built here (sha256 {sha256_of(other)}; if "
        "another job of this release built it, list it in allow-other-files)"
    ) in extra.err
    assert "Do not announce this release." in extra.err


def test_files_another_matrix_job_uploaded_are_accepted_when_allow_other_files_lists_them(
    to_test: ToTest,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: Capsys,
) -> None:
    release, test = to_test()
    # Another job of the same release (another platform) uploaded its wheel first.
    platform_wheel = f"{MODULE}-{VERSION}-py3-none-manylinux_2_17_x86_64.whl"
    other = make_wheel(tmp_path, NAME, VERSION, filename=platform_wheel)
    upload(test, other)

    refused = release.run(capsys, "upload-test")
    assert refused.code == ExitCode.CHECK
    assert f"already exists on test with other files ({platform_wheel})" in refused.err
    assert "or list them in allow-other-files" in refused.err

    monkeypatch.setenv("RELEASEKIT_ALLOW_OTHER_FILES", "*-manylinux_*.whl, *-win_amd64.whl")
    uploaded = release.run(capsys, "upload-test", "--json")
    assert uploaded.code == ExitCode.OK
    assert uploaded.json["uploaded"] == [WHEEL, SDIST]
    assert test.files(NAME) == {**release.local_files(), platform_wheel: sha256_of(other)}

    verified = release.run(capsys, "verify", "--timeout", "0", "--json")
    assert verified.code == ExitCode.OK
    assert {f["filename"]: f["state"] for f in verified.json["files"]} == {
        WHEEL: "ok",
        SDIST: "ok",
        platform_wheel: "other",
    }
    assert verified.json["notes"] == [
        f"{platform_wheel} is on test too (built elsewhere: allowed by allow-other-files)"
    ]

    # Allowed files are still compared as files: one of ours that differs still fails.
    (release.root / "dist" / SDIST).write_bytes(b"not what was uploaded")
    changed = release.run(capsys, "verify", "--timeout", "0")
    assert changed.code == ExitCode.VERIFY
    assert f"  - {SDIST}: sha256 on the index is" in changed.err


@pytest.mark.parametrize("installer", ["uv", "pip"])
def test_verify_installs_from_that_index_only(
    installer: str,
    tmp_path_factory: pytest.TempPathFactory,
    tmp_path: Path,
    new_index: NewIndex,
    fault_proxy: StartProxy,
    monkeypatch: pytest.MonkeyPatch,
    capsys: Capsys,
) -> None:
    """Another index with a file of the same name and version, named by every setting an
    installer would read (the user's environment, a uv.toml here), is never asked."""
    test, other = new_index("pypiserver", "test"), new_index("pypiserver", "other")
    release = release_on(tmp_path_factory, tmp_path, monkeypatch, test)
    upload(test, *sorted((release.root / "dist").iterdir()))
    upload(other, make_wheel(tmp_path, NAME, VERSION))
    impostor = fault_proxy(other.url)
    simple = impostor.proxied(other.simple_url)
    for variable in ("UV_EXTRA_INDEX_URL", "UV_INDEX", "UV_DEFAULT_INDEX", "PIP_EXTRA_INDEX_URL"):
        monkeypatch.setenv(variable, simple)
    monkeypatch.setenv("UV_FIND_LINKS", f"{simple}{NAME}/")
    monkeypatch.setenv("PIP_FIND_LINKS", f"{simple}{NAME}/")
    (tmp_path / "uv.toml").write_text(f'extra-index-url = ["{simple}"]\n')
    monkeypatch.chdir(tmp_path)
    if installer == "pip":
        monkeypatch.setattr("releasekit.steps.verify.find_uv", lambda: None)

    outcome = release.run(capsys, "verify", "--install", "--timeout", "0", "--json")

    assert outcome.code == ExitCode.OK, outcome.text
    assert outcome.json["install"] == {
        "installer": installer,
        "installed_version": VERSION,
        "imported": [MODULE],
    }
    assert impostor.requests == []


def test_verify_refuses_artifacts_of_another_version_at_once(
    to_test: ToTest,
    capsys: Capsys,
) -> None:
    release, _ = to_test()
    bumped = release.run(capsys, "bump-version", "patch", "--no-commit", "--no-tag", "--json")
    assert bumped.code == ExitCode.OK
    new_version = bumped.json["version"]

    started = time.monotonic()
    outcome = release.run(capsys, "verify", "--timeout", "60")

    assert outcome.code == ExitCode.VERIFY
    assert time.monotonic() - started < 10  # not a minute of polling for the wrong files
    assert f"are not those of {NAME} {new_version}: {WHEEL}: version {VERSION}, expected " in (
        outcome.err
    )
    assert "Build (and upload) this version first" in outcome.err


def test_a_publish_asks_the_keyring_for_a_targets_credentials_once(
    to_test: ToTest, capsys: Capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    import keyring
    import keyring.backend

    release, test = to_test()
    monkeypatch.delenv("RK_TEST_TOKEN")
    asked: list[tuple[str, str]] = []

    class CountingKeyring(keyring.backend.KeyringBackend):
        priority = 1

        def get_password(self, service: str, username: str) -> str | None:
            asked.append((service, username))
            return test.password

        def set_password(self, service: str, username: str, password: str) -> None:
            raise NotImplementedError

        def delete_password(self, service: str, username: str) -> None:
            raise NotImplementedError

    previous = keyring.get_keyring()
    keyring.set_keyring(CountingKeyring())  # type: ignore[no-untyped-call]
    try:
        published = release.run(capsys, "publish", "--test", "--yes")
    finally:
        keyring.set_keyring(previous)

    assert published.code == ExitCode.OK, published.text
    assert set(test.files(NAME)) == {WHEEL, SDIST}
    assert len(asked) == 1  # pre-flight, check, upload and verify share one resolution
