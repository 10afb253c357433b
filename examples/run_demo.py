"""The main job: a complete release of examples/demo-project, through the nox adapter,
to two real package indexes (a "test" and a "prod" pypiserver) started here on
127.0.0.1 and stopped at the end.

The project is copied to a scratch git repository first, so the checkout is never
touched. The indexes are given to releasekit with ``--config``, the way a CI job would
point a project at its organisation's indexes.
"""

from __future__ import annotations

import importlib.util
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from local_index import IndexDidNotStart, pypiserver

DEMO = Path(__file__).resolve().parent / "demo-project"
GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "releasekit demo",
    "GIT_AUTHOR_EMAIL": "demo@example.invalid",
    "GIT_COMMITTER_NAME": "releasekit demo",
    "GIT_COMMITTER_EMAIL": "demo@example.invalid",
}


def run(argv: list[str], cwd: Path) -> None:
    print(f"\n$ {shlex.join(argv)}", flush=True)
    subprocess.run(argv, cwd=cwd, check=True, env={**os.environ, **GIT_IDENTITY})


def show_index(name: str, url: str, packages: Path) -> None:
    from releasekit.artifacts import Artifact

    print(f"  {name} ({url}/simple/):")
    for path in sorted(packages.iterdir()):
        print(f"    {path.name}  sha256:{Artifact.from_path(path).sha256}")


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="releasekit-demo-") as scratch_dir:
        scratch = Path(scratch_dir)
        project = scratch / "acme-demo"
        shutil.copytree(DEMO, project, ignore=shutil.ignore_patterns(".nox", "dist"))
        run(["git", "init", "--quiet", "--initial-branch=main"], project)
        run(["git", "add", "--all"], project)
        run(["git", "commit", "--quiet", "-m", "Import acme-demo"], project)
        with pypiserver(scratch / "test-index") as test, pypiserver(scratch / "prod-index") as prod:
            indexes = scratch / "indexes.toml"
            indexes.write_text(
                f'[repositories.test]\nupload-url = "{test}/"\nindex-url = "{test}/simple/"\n'
                f'[repositories.prod]\nupload-url = "{prod}/"\nindex-url = "{prod}/simple/"\n'
                # PyPI is production by its host; a stand-in says so (confirmation, no
                # dev or local versions).
                "production = true\n"
                # The demo's pypiservers take uploads from anyone (-a . -P .).
                "anonymous-upload = true\n"
            )
            print(f"\ntest index: {test}/simple/\nprod index: {prod}/simple/")
            # uv makes the session's virtualenv in a second; plain venv works too.
            backend = "uv" if importlib.util.find_spec("uv") or shutil.which("uv") else "venv"
            nox = [sys.executable, "-m", "nox", "--noxfile", str(project / "noxfile.py"),
                   "--default-venv-backend", backend]  # fmt: skip
            run([*nox, "--list"], project)
            run([*nox, "--session", "release", "--",
                 "minor", "--yes", "--install", "--config", str(indexes)], project)  # fmt: skip
            run(["git", "log", "--oneline", "--decorate", "-n", "3"], project)
            print("\nreleased acme-demo 0.5.0; what each index now serves:")
            show_index("test", test, scratch / "test-index")
            show_index("prod", prod, scratch / "prod-index")
    print("\ndemo: done (indexes stopped, scratch copy removed)")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except subprocess.CalledProcessError as exc:
        print(
            f"\ndemo: `{shlex.join(exc.cmd)}` failed with exit code {exc.returncode}",
            file=sys.stderr,
        )
        sys.exit(exc.returncode)
    except IndexDidNotStart as exc:
        print(f"\ndemo: {exc}; is pypiserver installed (pip install pypiserver)?", file=sys.stderr)
        sys.exit(1)
