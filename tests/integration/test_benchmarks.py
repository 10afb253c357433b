"""The benchmark script keeps working: its smoke mode runs every section once.

Never a timed test: it asserts that the report is written, not what the numbers are.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

BENCHMARK = Path(__file__).resolve().parents[2] / "benchmarks" / "run.py"
SECTIONS = (
    "## Targets",
    "## 1. A release to an index",
    "## 2. Single steps",
    "## 3. Import overhead",
    "## 4. Scaling",
    "## Machine and tools",
)


def test_smoke_run_writes_every_section_and_the_targets(tmp_path: Path) -> None:
    report = tmp_path / "RESULTS.md"

    done = subprocess.run(
        [sys.executable, str(BENCHMARK), "--smoke", "--out", str(report)],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )

    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    text = report.read_text()
    positions = [text.index(heading) for heading in SECTIONS]
    assert positions == sorted(positions)
    assert "smoke mode" in text
    # Every target has a row with a measurement, whether it is met or not.
    targets = text.split("## Targets", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in targets.splitlines() if line.startswith("| ") and "---" not in line]
    assert len(rows) == 10, targets
    assert not [row for row in rows[1:] if "not measured" in row], targets
    for name in (
        "classic hand-written (pip)",
        "fastest hand-written (uv)",
        "releasekit publish (CLI)",
        "releasekit publish (nox -s publish, -r)",
        "releasekit publish (invoke publish)",
        "releasekit release patch --no-push",
        "releasekit build",
        "releasekit verify --install",
        "nox -l, with releasekit",
        "invoke -l, with releasekit",
        "1 packages: publish -j 2",
    ):
        assert re.search(rf"^\| {re.escape(name)}.* \| \d+\.\d\d \|", text, re.M), name
    assert re.search(r"^\| uv \| \d", text, re.M)


def test_the_upload_benchmark_runs_in_its_smoke_mode() -> None:
    script = BENCHMARK.with_name("upload_many.py")
    done = subprocess.run(
        [sys.executable, str(script), "--smoke"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "3 files of 0.2 MB to pypiserver at http://127.0.0.1:" in done.stdout
    assert re.search(r"^ratio releasekit/uv, pair by pair: median \d+\.\d\d$", done.stdout, re.M)


def test_a_full_run_keeps_the_hand_written_upload_section(tmp_path: Path) -> None:
    sys.path.insert(0, str(BENCHMARK.parent))
    try:
        import run
    finally:
        sys.path.remove(str(BENCHMARK.parent))
    previous = tmp_path / "RESULTS.md"
    previous.write_text(
        "# old\n\n## 4. Scaling\n\nold rows\n\n## 5. Uploading many files, and more\n\n"
        "kept text\n\n## Machine and tools\n\n| old | machine |\n"
    )
    new = "# new\n\n## 4. Scaling\n\nnew rows\n\n## Machine and tools\n\n| new | machine |\n"

    report = run.keep_upload_section(new, previous)

    assert report == (
        "# new\n\n## 4. Scaling\n\nnew rows\n\n## 5. Uploading many files, and more\n\n"
        "kept text\n\n## Machine and tools\n\n| new | machine |\n"
    )
    assert run.keep_upload_section(new, tmp_path / "absent.md") == new


def test_the_lock_and_record_benchmark_prints_its_table() -> None:
    script = BENCHMARK.with_name("lock_and_record.py")
    done = subprocess.run(
        [sys.executable, str(script), "--repeat", "2", "--size-mb", "0.1"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 0, done.stdout + done.stderr
    for row in ("lock taken and released", "first publish: lock", "rerun: lock"):
        assert re.search(rf"^\| {re.escape(row)}.* \| \d+\.\d \| < 20 \|$", done.stdout, re.M)
