"""How long `releasekit audit` takes over many repositories: 50 generated checkouts.

    python benchmarks/audit.py                 # prints a markdown table
    python benchmarks/audit.py --repositories 50

Each checkout is a git repository extending an organisation profile (a TOML file with
locked keys), with a Keep a Changelog file and the release workflow ``releasekit init-ci
github`` wrote; every fifth one has drifted (an action by tag, releasekit unpinned). One
``releasekit audit DIR ...`` process reads them all; the target is under 10 s for 50.
Standard library and releasekit only; nothing leaves the machine.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_S = 10.0


def make_repositories(top: Path, count: int) -> list[Path]:
    roots = []
    for number in range(count):
        root = top / f"repo-{number:03}"
        (root / "org").mkdir(parents=True)
        (root / "org" / "profile.toml").write_text(
            'tag-format = "v{version}"\nlocked = ["attest", "tag-format"]\n', encoding="utf-8"
        )
        (root / "pyproject.toml").write_text(
            f'[project]\nname = "pkg{number}"\nversion = "1.{number}.0"\n\n'
            '[tool.releasekit]\nextends = "org/profile.toml"\n',
            encoding="utf-8",
        )
        (root / "CHANGELOG.md").write_text("# Changelog\n\n## [Unreleased]\n", encoding="utf-8")
        (root / ".gitignore").write_text("dist/\n", encoding="utf-8")
        subprocess.run(["git", "init", "--quiet", str(root)], check=True)
        subprocess.run(
            [sys.executable, "-m", "releasekit", "--project", str(root), "init-ci", "github"],
            check=True,
            capture_output=True,
        )
        if number % 5 == 4:
            workflow = root / ".github" / "workflows" / "release.yml"
            text = workflow.read_text(encoding="utf-8")
            workflow.write_text(text.replace("==", ">="), encoding="utf-8")
        roots.append(root)
    return roots


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repositories", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temp:
        roots = make_repositories(Path(temp), args.repositories)
        argv = [sys.executable, "-m", "releasekit", "--json", "audit", *map(str, roots)]
        start = time.perf_counter()
        done = subprocess.run(argv, capture_output=True, text=True, check=False)
        seconds = time.perf_counter() - start
    verdict = "met" if seconds < TARGET_S else "NOT met"
    print("| repositories | exit | seconds | target |")
    print("|---:|---:|---:|---|")
    target = f"< {TARGET_S:.0f} s: {verdict}"
    print(f"| {args.repositories} | {done.returncode} | {seconds:.2f} | {target} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
