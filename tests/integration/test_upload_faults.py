"""What the index said -> what releasekit says and does: issue 12's cases, each through
the fault proxy in front of a real pypiserver.

Every test asserts the exit code, the message, what is on the index afterwards and (for
the waits) the elapsed time against the configured bound, generously.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from fault_proxy import FaultProxy, refusing_url
from index_servers import Index, NewIndex, StartProxy, upload
from release_project import NAME, SDIST, WHEEL, Outcome, Release, new_release, write_config
from releasekit.errors import ExitCode

Capsys = pytest.CaptureFixture[str]
TOKEN = "pypi-AgEIcHlwaS5vcmc-planted+secret/value"
Setup = Callable[..., tuple[Release, Index, FaultProxy]]


@pytest.fixture
def through_proxy(
    tmp_path_factory: pytest.TempPathFactory,
    tmp_path: Path,
    new_index: NewIndex,
    fault_proxy: StartProxy,
    monkeypatch: pytest.MonkeyPatch,
) -> Setup:
    """A factory: the example project, its "test" repository a new pypiserver behind a
    fault proxy, uploaded to with the token TOKEN (pypiserver takes any), the upload
    bounded by ``timeout`` seconds."""

    def make(timeout: float = 60, **table: str) -> tuple[Release, Index, FaultProxy]:
        test = new_index("pypiserver", "test")
        proxy = fault_proxy(test.url)
        monkeypatch.setenv("RK_TEST_TOKEN", TOKEN)
        monkeypatch.setenv("RELEASEKIT_UPLOAD_TIMEOUT", str(timeout))
        repository = {**test.repository(through=proxy), "token-env": "RK_TEST_TOKEN", **table}
        return new_release(tmp_path_factory, tmp_path, {"test": repository}), test, proxy

    return make


def timed(release: Release, capsys: Capsys, *argv: str) -> tuple[Outcome, float]:
    started = time.monotonic()
    outcome = release.run(capsys, "upload-test", *argv)
    return outcome, time.monotonic() - started


# 1. Every 400 became "already exists — bump the version".
@pytest.mark.parametrize(
    ("reason", "hint"),
    [
        ("Invalid value for classifiers. Error: Classifier 'Foo' is not a valid classifier.",
         "use only classifiers from https://pypi.org/classifiers/"),
        ("The description failed to render for 'text/x-rst'. See "
         "https://pypi.org/help/#description-content-type for more information.",
         "The long description does not render"),
    ],
)  # fmt: skip
def test_a_400_that_is_not_a_clash_shows_the_index_reason_and_its_hint(
    through_proxy: Setup, capsys: Capsys, reason: str, hint: str
) -> None:
    release, test, proxy = through_proxy()
    proxy.fail_next(1, 400, reason=reason, methods={"POST"})

    outcome = release.run(capsys, "upload-test")

    assert outcome.code == ExitCode.UPLOAD
    assert f"refused {WHEEL}: 400 {reason}" in outcome.err
    assert hint in outcome.err
    assert "bump" not in outcome.err.lower()
    assert proxy.posts() == [(WHEEL, 400)]  # no retry, and the sdist was not sent
    assert test.files(NAME) == {}


def test_the_name_of_a_deleted_file_is_refused_at_once_with_bump_the_version(
    through_proxy: Setup, capsys: Capsys
) -> None:
    release, test, proxy = through_proxy()
    reason = (
        "This filename has already been used, use a different version. See "
        "https://pypi.org/help/#file-name-reuse for more information."
    )
    proxy.fail_next(1, 400, reason=reason, methods={"POST"})

    outcome, elapsed = timed(release, capsys)

    assert outcome.code == ExitCode.UPLOAD
    assert f"refused {WHEEL}: 400 {reason}" in outcome.err
    assert "bump the version" in outcome.err
    assert elapsed < 10  # no polling for a file that will never be listed
    assert test.files(NAME) == {}


# 2. Connection refused was reported as "redirected the upload", and not told apart.
def test_a_refused_connection_is_unreachable_at_once_not_a_redirect(
    through_proxy: Setup, capsys: Capsys
) -> None:
    nowhere = refusing_url()
    release, test, _ = through_proxy(**{"upload-url": nowhere})

    outcome, elapsed = timed(release, capsys, "--json")

    assert outcome.code == ExitCode.INDEX
    assert f"Could not reach test ({nowhere}) to upload {WHEEL}: the connection was refused" in (
        outcome.err
    )
    assert "redirect" not in outcome.err
    assert outcome.json["exit_code"] == ExitCode.INDEX
    assert elapsed < 10
    assert test.files(NAME) == {}


def test_a_tls_handshake_that_fails_is_unreachable_not_a_server_error(
    through_proxy: Setup, capsys: Capsys
) -> None:
    release, test, proxy = through_proxy()
    # https:// to a server that speaks plain HTTP: the handshake fails.
    tls_url = proxy.proxied(test.upload_url).replace("http://", "https://")
    table = {**test.repository(through=proxy), "token-env": "RK_TEST_TOKEN"}
    write_config(release.config_file, {"test": {**table, "upload-url": tls_url}})

    outcome = release.run(capsys, "upload-test")

    assert outcome.code == ExitCode.INDEX
    assert f"Could not reach test ({tls_url}) to upload {WHEEL}: the TLS handshake failed" in (
        outcome.err
    )
    assert not [r for r in proxy.requests if r.method == "POST" and r.uploaded]
    assert test.files(NAME) == {}


def test_an_unreadable_ca_bundle_is_a_configuration_error_before_any_upload(
    through_proxy: Setup, capsys: Capsys, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    release, test, proxy = through_proxy()
    tls_url = proxy.proxied(test.upload_url).replace("http://", "https://")
    table = {**test.repository(through=proxy), "token-env": "RK_TEST_TOKEN"}
    write_config(release.config_file, {"test": {**table, "upload-url": tls_url}})
    monkeypatch.setenv("TWINE_CERT", str(tmp_path / "missing-ca.pem"))

    outcome = release.run(capsys, "upload-test")

    assert outcome.code == ExitCode.CONFIG
    assert f"The CA bundle {tmp_path / 'missing-ca.pem'} (from TWINE_CERT)" in outcome.err
    assert not [r for r in proxy.requests if r.method == "POST"]


# 3. A hanging upload had no cap.
def test_a_hanging_upload_ends_at_the_upload_timeout_and_says_so(
    through_proxy: Setup, capsys: Capsys
) -> None:
    release, test, proxy = through_proxy(timeout=3)
    proxy.hang_next(1, methods={"POST"})

    outcome, elapsed = timed(release, capsys)

    assert outcome.code == ExitCode.UPLOAD
    assert (
        f"The upload timeout (3 s, upload.timeout) ran out before {WHEEL} was on test "
        f"({proxy.proxied(test.upload_url)}); the last try: "
    ) in outcome.err
    assert f"not uploaded: {WHEEL}, {SDIST}" in outcome.err
    assert 2 < elapsed < 20
    assert test.files(NAME) == {}


def test_an_upload_silent_mid_way_is_tried_again_within_the_upload_timeout(
    through_proxy: Setup, capsys: Capsys
) -> None:
    release, test, proxy = through_proxy(timeout=15)  # silence bound: 5 s
    proxy.hang_next(1, methods={"POST"})

    outcome, elapsed = timed(release, capsys)

    assert outcome.code == ExitCode.OK, outcome.text
    assert f"{WHEEL}: the server went silent; trying again" in outcome.err
    assert set(test.files(NAME)) == {WHEEL, SDIST}
    assert elapsed < 14


# 4. 500 after the index stored the file, while its listing lags (PyPI's CDN).
def test_a_500_after_storing_with_a_lagging_listing_is_our_own_file_and_the_rest_is_sent(
    through_proxy: Setup, capsys: Capsys
) -> None:
    release, test, proxy = through_proxy()
    proxy.lag_listing(3.0)
    proxy.fail_next(1, 500, methods={"POST"}, after_forwarding=True)

    outcome, elapsed = timed(release, capsys, "--json")

    assert outcome.code == ExitCode.OK, outcome.text
    assert proxy.posts() == [(WHEEL, 500), (WHEEL, 409), (SDIST, 200)]
    states = {f["filename"]: f["state"] for f in outcome.json["files"]}
    assert states == {WHEEL: "already there", SDIST: "uploaded"}
    assert f"{WHEEL}: test answered 500" in outcome.err  # the retry, announced
    assert "says it exists; waiting" in outcome.err  # the listing poll, announced
    assert test.files(NAME) == release.local_files()
    assert elapsed < 30


def test_a_clash_with_a_different_file_names_both_hashes(
    through_proxy: Setup, capsys: Capsys
) -> None:
    release, test, proxy = through_proxy()
    local = release.local_files()
    upload(test, *sorted((release.root / "dist").iterdir()))
    proxy.fail_next(1, 404, methods={"GET"})  # check's read misses them (a lagging listing)
    proxy.corrupt_hashes()  # and the index's listing shows other files under those names

    outcome = release.run(capsys, "upload-test")

    assert outcome.code == ExitCode.UPLOAD
    assert f"test ({proxy.proxied(test.upload_url)}) already has a different {WHEEL}" in (
        outcome.err
    )
    assert f"here {local[WHEEL]}" in outcome.err
    assert "bump the version" in outcome.err
    assert proxy.posts() == [(WHEEL, 409)]
    assert test.files(NAME) == local  # nothing replaced


# 5. All 401/403 variants printed the same message.
@pytest.mark.parametrize(
    ("reason", "says"),
    [
        ("Invalid or non-existent authentication information. See "
         "https://pypi.org/help/#invalid-auth for more information.",
         "the token (from RK_TEST_TOKEN) was not accepted: it is wrong"),
        ("Invalid API Token: token is expired", "the token has expired"),
        (f"The user 'alice' isn't allowed to upload to project '{NAME}'. See "
         "https://pypi.org/help/#project-name for more information.",
         "the login was accepted, but it is not allowed to upload this project"),
        (f"Invalid API Token: project-scoped token is not valid for project: '{NAME}'",
         "the token is scoped to another project"),
        ("User 'alice' has two factor auth enabled, an API Token or Trusted Publisher must "
         "be used to upload in place of password.",
         "this project takes uploads only with an API token or trusted publishing"),
    ],
)  # fmt: skip
def test_each_403_reason_has_its_own_message(
    through_proxy: Setup, capsys: Capsys, reason: str, says: str
) -> None:
    release, test, proxy = through_proxy()
    proxy.fail_next(1, 403, reason=reason, methods={"POST"})

    outcome = release.run(capsys, "upload-test", "--json")

    assert outcome.code == ExitCode.CREDENTIALS
    assert f"answered 403 {reason}: {says}" in outcome.err
    assert outcome.json["error"].startswith("test (")
    assert proxy.posts() == [(WHEEL, 403)]
    assert test.files(NAME) == {}
    assert TOKEN not in outcome.text


def test_413_names_the_size_limit_and_how_to_raise_it(through_proxy: Setup, capsys: Capsys) -> None:
    release, test, proxy = through_proxy()
    proxy.fail_next(1, 413, reason="File too large. Limit for project is 100 MB.", methods={"POST"})

    outcome = release.run(capsys, "upload-test")

    assert outcome.code == ExitCode.UPLOAD
    assert "larger than the index's file-size limit" in outcome.err
    assert "File size limit request" in outcome.err
    assert test.files(NAME) == {}


def test_429_waits_as_told_and_then_uploads(through_proxy: Setup, capsys: Capsys) -> None:
    release, test, proxy = through_proxy()
    proxy.fail_next(1, 429, methods={"POST"}, headers={"Retry-After": "1"})

    outcome, elapsed = timed(release, capsys, "--json")

    assert outcome.code == ExitCode.OK, outcome.text
    assert "answered 429" in outcome.err
    assert "trying again in 1.0 s" in outcome.err
    assert test.files(NAME) == release.local_files()
    assert 1 <= elapsed < 30


def test_429_longer_than_the_upload_timeout_is_not_waited_for(
    through_proxy: Setup, capsys: Capsys
) -> None:
    release, test, proxy = through_proxy(timeout=5)
    proxy.fail_next(1, 429, methods={"POST"}, headers={"Retry-After": "3600"})

    outcome, elapsed = timed(release, capsys)

    assert outcome.code == ExitCode.UPLOAD
    assert "The upload timeout (5 s, upload.timeout) ran out" in outcome.err
    assert "the next try would be in 3600.0 s" in outcome.err
    assert elapsed < 10
    assert test.files(NAME) == {}


def test_a_redirect_is_refused_and_shown_without_credentials(
    through_proxy: Setup, capsys: Capsys
) -> None:
    release, test, proxy = through_proxy()
    proxy.redirect_next(1, "https://mirror:hunter2@elsewhere.example/legacy/", methods={"POST"})

    outcome = release.run(capsys, "upload-test")

    assert outcome.code == ExitCode.UPLOAD
    assert f"redirected the upload of {WHEEL} to https://elsewhere.example/legacy/" in outcome.err
    assert "hunter2" not in outcome.text
    assert test.files(NAME) == {}


def test_5xx_are_retried_with_backoff_each_retry_on_stderr_also_with_json(
    through_proxy: Setup, capsys: Capsys
) -> None:
    release, test, proxy = through_proxy()
    proxy.fail_next(2, 503, methods={"POST"})

    outcome, elapsed = timed(release, capsys, "--json")

    assert outcome.code == ExitCode.OK, outcome.text
    retries = [line for line in outcome.err.splitlines() if "trying again in" in line]
    assert len(retries) == 2
    assert all(line.startswith(f"{WHEEL}: test answered 503") for line in retries)
    json.loads(outcome.out)  # stdout holds the JSON document and nothing else
    assert test.files(NAME) == release.local_files()
    assert elapsed < 30


def _more_wheels(release: Release, count: int) -> list[str]:
    """``count`` more wheels of the release (build tags 1..count): a release of many files."""
    wheel = release.root / "dist" / WHEEL
    names = [WHEEL.replace("-py3-", f"-{build}-py3-") for build in range(1, count + 1)]
    for name in names:
        shutil.copyfile(wheel, wheel.with_name(name))
    return names


def count_in_flight(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """For each upload releasekit starts, in order: how many are in flight then, itself
    included (counted around releasekit's own POST, so the count is exact)."""
    import threading

    import releasekit.upload.client

    real_post = releasekit.upload.client.post
    lock, at_start, flying = threading.Lock(), [], [0]

    def counted(*args: Any, **kwargs: Any) -> Any:
        with lock:
            flying[0] += 1
            at_start.append(flying[0])
        try:
            return real_post(*args, **kwargs)
        finally:
            with lock:
                flying[0] -= 1

    monkeypatch.setattr(releasekit.upload.client, "post", counted)
    return at_start


def test_files_go_up_in_parallel_after_the_first_wheel(
    through_proxy: Setup, capsys: Capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RELEASEKIT_UPLOAD_JOBS", "3")
    release, test, proxy = through_proxy()
    extra = _more_wheels(release, 4)
    proxy.delay(0.3, methods={"POST"})  # each upload takes a while: they overlap
    at_start = count_in_flight(monkeypatch)

    outcome = release.run(capsys, "upload-test", "--json")

    assert outcome.code == ExitCode.OK, outcome.text
    assert "uploading 6 files to test" in outcome.err
    assert "the first wheel alone, then 3 at a time" in outcome.err
    assert at_start[0] == 1  # the first wheel creates the release alone
    assert max(at_start) == 3  # then never more than upload.jobs at once
    sent = [name for name, _ in proxy.posts()]
    assert sorted(sent) == sorted([WHEEL, SDIST, *extra])
    assert sent[0].endswith(".whl")
    assert test.files(NAME) == release.local_files()
    assert {f["state"] for f in outcome.json["files"]} == {"uploaded"}

    rerun = release.run(capsys, "upload-test", "--json")  # resumable: nothing left to send
    assert rerun.code == ExitCode.OK
    assert sorted(rerun.json["skipped_identical"]) == sorted(sent)


def test_an_index_on_this_machine_gets_one_file_at_a_time_by_default(
    through_proxy: Setup, capsys: Capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    release, test, proxy = through_proxy()
    _more_wheels(release, 2)
    proxy.delay(0.1, methods={"POST"})
    at_start = count_in_flight(monkeypatch)

    outcome = release.run(capsys, "upload-test")

    assert outcome.code == ExitCode.OK, outcome.text
    assert "one at a time, as the index is on this machine (upload.jobs sets it)" in outcome.err
    assert at_start == [1, 1, 1, 1]
    assert test.files(NAME) == release.local_files()


# 8. Secrets echoed by an index, in any encoding.
def test_credentials_echoed_by_the_index_are_never_shown(
    through_proxy: Setup, capsys: Capsys
) -> None:
    release, _, proxy = through_proxy()
    proxy.echo_credentials_next(1, 400, methods={"POST"})

    outcome = release.run(capsys, "upload-test", "--json")

    assert outcome.code == ExitCode.UPLOAD
    assert "Bad request from Basic ********" in outcome.err, outcome.err
    from releasekit.net import secret_forms

    assert [form for form in secret_forms([TOKEN], "__token__") if form in outcome.text] == []


def test_credentials_in_the_upload_url_are_used_for_the_upload_and_never_shown(
    through_proxy: Setup, capsys: Capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    release, test, proxy = through_proxy()
    table = json.loads(json.dumps(release.config().repositories["test"].__dict__))
    url = table["upload_url"].replace("://", "://uploader:s3cr%40t-pass@")
    monkeypatch.delenv("RK_TEST_TOKEN")

    outcome = release.run(capsys, "upload-test", "--repository-url", url, "--json")

    assert outcome.code == ExitCode.OK, outcome.text
    posts = [r for r in proxy.requests if r.method == "POST"]
    import base64

    sent = {base64.b64decode(r.headers["Authorization"].split()[1]).decode() for r in posts}
    assert sent == {"uploader:s3cr@t-pass"}
    assert "s3cr" not in outcome.text
    assert test.files(NAME) == release.local_files()


# 11. verify's reads are uncached; a refusing index fails verify at once.
def test_verify_asks_caches_to_revalidate_and_a_refusing_index_fails_at_once(
    through_proxy: Setup, capsys: Capsys
) -> None:
    release, _, proxy = through_proxy()
    assert release.run(capsys, "upload-test").code == ExitCode.OK

    verified = release.run(capsys, "verify", "--timeout", "30")

    assert verified.code == ExitCode.OK, verified.text
    reads = [r for r in proxy.requests if r.method == "GET"]
    assert reads
    assert {r.headers.get("Cache-Control") for r in reads} == {"max-age=0"}

    nowhere = refusing_url()
    started = time.monotonic()
    refused = release.run(capsys, "verify", "--timeout", "300", "--index-url", nowhere + "simple/")

    assert refused.code == ExitCode.INDEX
    assert f"Could not read {nowhere}simple/{NAME}/: the connection was refused" in refused.err
    assert time.monotonic() - started < 10  # not the 300 s of polling


def signalled_upload(
    release: Release, proxy: FaultProxy, signum: int, *, posts: int, settle: float
) -> tuple[int, str, float]:
    """``upload-test`` in a process, sent ``signum`` once the proxy saw ``posts`` POSTs
    (and ``settle`` seconds more): its exit code, its stderr, and how long it took to end."""
    process = subprocess.Popen(
        [sys.executable, "-m", "releasekit", *release.argv("upload-test")],
        env={**os.environ, "RK_TEST_TOKEN": TOKEN},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while (
            len([r for r in proxy.requests if r.method == "POST"]) < posts
            and time.monotonic() < deadline
        ):
            time.sleep(0.1)
        assert len([r for r in proxy.requests if r.method == "POST"]) == posts
        time.sleep(settle)
        process.send_signal(signum)
        sent = time.monotonic()
        _, err = process.communicate(timeout=90)
        return process.returncode, err, time.monotonic() - sent
    finally:
        process.kill()


@pytest.mark.parametrize(
    ("signum", "code", "how"),
    [
        (signal.SIGINT, ExitCode.INTERRUPTED, "interrupted"),
        (signal.SIGTERM, ExitCode.TERMINATED, "terminated (SIGTERM)"),
    ],
)
def test_a_signal_ends_an_upload_in_flight_at_once_saying_which_files_are_up(
    through_proxy: Setup, signum: int, code: int, how: str
) -> None:
    release, test, proxy = through_proxy(timeout=300)
    proxy.pass_next(1, methods={"POST"})
    proxy.hang_next(5, methods={"POST"})  # the wheel goes up; the sdist never gets an answer
    code_seen, err, ended = signalled_upload(release, proxy, signum, posts=2, settle=0.3)

    assert ended < 2.0
    assert code_seen == code, err
    assert f"was {how}: {WHEEL} is on the index; {SDIST} is not." in err
    assert "Traceback" not in err
    assert set(test.files(NAME)) == {WHEEL}


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_during_a_wait_between_tries_ends_the_upload_at_once(
    through_proxy: Setup, signum: int
) -> None:
    # The worker is not in an exchange (abort_all has no socket to cut): it waits out the
    # index's Retry-After; the signal must end that wait too.
    release, test, proxy = through_proxy(timeout=300)
    proxy.fail_next(5, 429, methods={"POST"}, headers={"Retry-After": "60"})
    code_seen, err, ended = signalled_upload(release, proxy, signum, posts=1, settle=1.0)

    assert code_seen in (ExitCode.INTERRUPTED, ExitCode.TERMINATED), err
    assert "trying again in 60.0 s" in err
    assert ended < 2.0, err
    assert "Traceback" not in err
    assert test.files(NAME) == {}


def test_after_an_interrupted_upload_the_same_process_can_still_reach_the_index(
    through_proxy: Setup, capsys: Capsys
) -> None:
    # nox and invoke run releasekit in their own process: an interrupted upload is one
    # failed session (a ReleaseError), and the next session's requests must still go out.
    release, test, proxy = through_proxy(timeout=300)
    proxy.hang_next(1, methods={"POST"})
    interrupt = threading.Timer(2.0, os.kill, (os.getpid(), signal.SIGINT))
    interrupt.start()
    try:
        interrupted = release.run(capsys, "upload-test")
    finally:
        interrupt.cancel()
    assert interrupted.code == ExitCode.INTERRUPTED, interrupted.text

    again = release.run(capsys, "upload-test")

    assert again.code == ExitCode.OK, again.text
    assert test.files(NAME) == release.local_files()
