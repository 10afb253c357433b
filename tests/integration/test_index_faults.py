"""Faults of real indexes, injected by a proxy in front of pypiserver and devpi.

Each test asserts what the user sees and that nothing is lost: the same command (or a
rerun of it) completes the release, or the error says exactly what is on the index.
Retries that would wait seconds run in-process with a recording ``sleep``.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from fault_proxy import FaultProxy, corrupt_sha256
from index_servers import INDEX_KINDS, Index, NewIndex, StartProxy, upload
from release_project import (
    NAME,
    SDIST,
    VERSION,
    WHEEL,
    RecordingRunner,
    Release,
    ToTestThroughProxy,
    release_on,
)
from releasekit.errors import ExitCode, UploadError
from releasekit.index import IndexClient
from releasekit.steps.check import check_release
from releasekit.steps.upload import UploadResult, upload_release

Capsys = pytest.CaptureFixture[str]


def upload_in_process(
    release: Release, runner: RecordingRunner, sleeps: list[float], *, retries: int = 3
) -> UploadResult:
    """``upload-test`` as the CLI runs it, but waiting by recording the waits."""
    plan, repository = release.plan("test", runner=runner), release.repository("test")
    checked = check_release(plan, runner, repository)
    return upload_release(
        plan,
        runner,
        repository,
        checked,
        retries=retries,
        sleep=sleeps.append,
        jitter=lambda: 1.0,  # the longest of the jittered waits, every time
    )


@pytest.fixture
def on_pypiserver(
    tmp_path_factory: pytest.TempPathFactory,
    tmp_path: Path,
    new_index: NewIndex,
    fault_proxy: StartProxy,
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[Release, Index, FaultProxy]:
    """The example project, its test repository a pypiserver behind a fault proxy."""
    test = new_index("pypiserver", "test")
    proxy = fault_proxy(test.url)
    return release_on(tmp_path_factory, tmp_path, monkeypatch, test, proxy=proxy), test, proxy


@pytest.fixture(params=INDEX_KINDS)
def on_each_index(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    tmp_path: Path,
    new_index: NewIndex,
    fault_proxy: StartProxy,
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[Release, Index, FaultProxy]:
    """The example project, its test repository a pypiserver or a devpi index behind a
    fault proxy."""
    test = new_index(request.param, "test")
    proxy = fault_proxy(test.url)
    return release_on(tmp_path_factory, tmp_path, monkeypatch, test, proxy=proxy), test, proxy


def test_500_after_the_index_stored_the_file_still_completes_the_upload(
    on_each_index: tuple[Release, Index, FaultProxy], capsys: Capsys
) -> None:
    """The index stored the file, then answered 500: it is there, not a conflict."""
    release, test, proxy = on_each_index
    proxy.fail_next(1, 500, methods={"POST"}, after_forwarding=True)

    outcome = release.run(capsys, "upload-test", "--json")

    assert outcome.code == ExitCode.OK, outcome.text
    assert outcome.json["uploaded"] == [WHEEL, SDIST]
    assert test.files(NAME) == release.local_files()
    # Before the retry the index was asked: it lists the wheel, which is not sent again.
    assert proxy.posts() == [(WHEEL, 500), (SDIST, 200)]
    assert [f["state"] for f in outcome.json["files"]] == ["already there", "uploaded"]


def test_503_a_few_times_then_success(
    on_pypiserver: tuple[Release, Index, FaultProxy], capsys: Capsys
) -> None:
    """Each file is tried up to 4 times on a 5xx, on every index alike."""
    release, test, proxy = on_pypiserver
    proxy.fail_next(3, 503, methods={"POST"})

    outcome = release.run(capsys, "upload-test", "--json")

    assert outcome.code == ExitCode.OK, outcome.text
    assert test.files(NAME) == release.local_files()
    assert proxy.posts() == [(WHEEL, 503)] * 3 + [(WHEEL, 200), (SDIST, 200)]


def test_5xx_are_retried_with_doubling_backoff_each_retry_logged(
    on_pypiserver: tuple[Release, Index, FaultProxy],
) -> None:
    release, test, proxy = on_pypiserver
    proxy.fail_next(3, 503, methods={"POST"})
    runner, sleeps = RecordingRunner(), list[float]()

    result = upload_in_process(release, runner, sleeps)

    assert (result.uploaded, result.attempts) == ((WHEEL, SDIST), 5)
    assert sleeps == [2.0, 4.0, 8.0]
    retries = [line for line in runner.logs if "trying again" in line]
    assert len(retries) == 3
    assert retries[0].startswith(f"{WHEEL}: test answered 503 ")
    assert "trying again in 2.0 s (attempt 2," in retries[0]
    assert test.files(NAME) == release.local_files()


def test_5xx_that_persist_say_which_files_landed_and_a_rerun_finishes(
    on_pypiserver: tuple[Release, Index, FaultProxy], capsys: Capsys
) -> None:
    release, test, proxy = on_pypiserver
    local = release.local_files()
    proxy.pass_next(1, methods={"POST"})
    proxy.fail_next(100, 502, methods={"POST"})
    sleeps: list[float] = []

    with pytest.raises(UploadError) as raised:
        upload_in_process(release, RecordingRunner(), sleeps, retries=1)

    assert sleeps == [2.0]
    assert raised.value.message.startswith(
        f"Uploading {SDIST} to test ({proxy.proxied(test.upload_url)}) kept failing: "
        "test answered 502 "
    )
    assert raised.value.message.endswith(
        f"(2 attempts). On test now: {WHEEL}; not uploaded: {SDIST}."
    )
    assert "Retry the upload when the index is healthy" in raised.value.hint
    assert test.files(NAME) == {WHEEL: local[WHEEL]}

    proxy.clear_faults()
    rerun = release.run(capsys, "upload-test", "--json")

    assert rerun.code == ExitCode.OK, rerun.text
    assert (rerun.json["skipped_identical"], rerun.json["uploaded"]) == ([WHEEL], [SDIST])
    assert test.files(NAME) == local


@pytest.mark.parametrize(("kind", "after_forwarding"), [("pypiserver", False), ("devpi", True)])
def test_a_connection_dropped_mid_upload_is_retried_and_nothing_is_sent_twice(
    kind: str,
    after_forwarding: bool,
    to_test_through_proxy: ToTestThroughProxy,
) -> None:
    release, test, proxy = to_test_through_proxy(kind)
    proxy.drop_next(1, methods={"POST"}, after_forwarding=after_forwarding)
    runner, sleeps = RecordingRunner(), list[float]()

    result = upload_in_process(release, runner, sleeps)

    # After the drop the index is asked first: a wheel it has is not sent again.
    assert (result.uploaded, result.attempts) == ((WHEEL, SDIST), 2 if after_forwarding else 3)
    assert sleeps == [2.0]
    assert any(
        line.startswith(f"{WHEEL}: the server closed the connection without answering")
        for line in runner.logs
    ), runner.logs
    assert test.files(NAME) == release.local_files()
    if after_forwarding:  # the index had the wheel: only the sdist was left to send
        assert proxy.posts() == [(WHEEL, 0), (SDIST, 200)]
    else:  # dropped before the proxy read which file it was
        assert proxy.posts() == [("", 0), (WHEEL, 200), (SDIST, 200)]


def test_an_index_slower_than_the_timeout_is_reported_and_verify_succeeds_once_it_answers(
    on_pypiserver: tuple[Release, Index, FaultProxy], capsys: Capsys
) -> None:
    release, test, proxy = on_pypiserver
    upload(test, *sorted((release.root / "dist").iterdir()))
    proxy.delay(5.0, methods={"GET"})
    started = time.monotonic()

    slow = release.run(capsys, "verify", "--timeout", "1")

    assert time.monotonic() - started < 4.0  # --timeout bounds the wait, not 4 x 10 s
    assert slow.code == ExitCode.VERIFY
    assert (
        f"{NAME} {VERSION} did not appear on test ({proxy.proxied(test.simple_url)}) within 1 s"
    ) in slow.err
    assert (
        f"The last answer was an error: Could not read {proxy.proxied(test.simple_url)}"
        f"{NAME}/: no answer within 1 s."
    ) in slow.err

    client = IndexClient(proxy.proxied(test.simple_url), timeout=0.5, retries=1)
    runner = RecordingRunner()
    checked = check_release(
        release.plan("test", runner=runner), runner, release.repository("test"), index=client
    )

    assert checked.failures == (
        f"could not ask test what it has: Could not read {proxy.proxied(test.simple_url)}"
        f"{NAME}/: no answer within 0.5 s (tried 2 times). Check that the index URL is right "
        "and the index is up, then run the same command again; an index may be down or "
        "overloaded for a while.",
    )
    assert [s.state for s in checked.index] == ["unknown", "unknown"]

    proxy.clear_faults()
    assert release.run(capsys, "verify", "--timeout", "1").code == ExitCode.OK


def test_a_wrong_sha256_in_the_listing_is_reported_as_the_index_says_and_nothing_is_replaced(
    on_each_index: tuple[Release, Index, FaultProxy], capsys: Capsys
) -> None:
    release, test, proxy = on_each_index
    local = release.local_files()
    upload(test, *sorted((release.root / "dist").iterdir()))
    proxy.corrupt_hashes()
    listed = {name: corrupt_sha256(digest) for name, digest in local.items()}

    again = release.run(capsys, "upload-test", "--json")

    assert again.code == ExitCode.CHECK
    for name in (WHEEL, SDIST):
        assert (
            f"{name} is already on test with sha256 {listed[name]}, but the local file has "
            f"sha256 {local[name]}"
        ) in again.err
    assert [(s["filename"], s["state"], s["index_sha256"]) for s in again.json["index"]] == [
        (name, "different", listed[name]) for name in (WHEEL, SDIST)
    ]

    verified = release.run(capsys, "verify", "--timeout", "0", "--json")

    assert verified.code == ExitCode.VERIFY
    assert (
        f"  - {WHEEL}: sha256 on the index is {listed[WHEEL]}, expected {local[WHEEL]}\n"
        f"  - {SDIST}: sha256 on the index is {listed[SDIST]}, expected {local[SDIST]}\n"
    ) in verified.err
    assert [
        (f["state"], f["expected_sha256"], f["found_sha256"]) for f in verified.json["files"]
    ] == [("mismatch", local[name], listed[name]) for name in (WHEEL, SDIST)]
    assert not any(r.method == "POST" for r in proxy.requests)
    assert test.files(NAME) == local  # what the index really holds never changed
