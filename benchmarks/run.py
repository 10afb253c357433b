"""releasekit against the commands a maintainer would otherwise type, timed side by side.

    python benchmarks/run.py                     # the full run (~15 min on 2 cores)
    python benchmarks/run.py --smoke             # one repetition, one package: does it work?
    python benchmarks/run.py --plot              # also a PNG chart (pip install matplotlib)

Everything runs on a scratch copy of examples/demo-project (a git repository) against
pypiservers started here on 127.0.0.1 and stopped at the end; the only other traffic is
to the package registry, for the build requirements of the isolated builds. Each
measurement is the wall time of whole processes, as a user would see it; a sequence's
time is the sum of its commands' times. Each one runs ``--warmup`` times untimed first
(warm caches), then ``--repeat`` times; the report shows the median and min-max.

The results (a markdown table of ratios, with the machine and the tool versions) go to
``--out`` (default benchmarks/RESULTS.md). Standard library only; matplotlib for --plot.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.metadata
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "examples"))
from local_index import IndexDidNotStart, pypiserver

HERE = Path(__file__).resolve().parent
EXAMPLES = HERE.parent / "examples"
DEMO = EXAMPLES / "demo-project"
PYTHON = sys.executable
BIN = Path(PYTHON).parent
GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "releasekit benchmark",
    "GIT_AUTHOR_EMAIL": "bench@example.invalid",
    "GIT_COMMITTER_NAME": "releasekit benchmark",
    "GIT_COMMITTER_EMAIL": "bench@example.invalid",
}
# Any credentials do for the local pypiservers (-a . -P .).
UPLOAD_AUTH = ["-u", "bench", "-p", "bench"]
TOOLS = ("releasekit", "build", "twine", "uv", "pip", "hatchling", "nox", "invoke", "pypiserver")
SCALING_SIZES = (1, 5, 10, 20)

# --- processes and timing ---------------------------------------------------------------


class BenchmarkError(Exception):
    pass


def run(argv: Sequence[str], cwd: Path, env: dict[str, str]) -> tuple[float, str]:
    """Run ``argv`` to its end; its wall time and output. Raises if it fails."""
    start = time.perf_counter()
    done = subprocess.run(list(argv), cwd=cwd, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-30:])
        raise BenchmarkError(f"`{' '.join(argv)}` failed ({done.returncode}) in {cwd}:\n{tail}")
    return seconds, done.stdout


@dataclass
class Measurement:
    name: str
    seconds: list[float] = field(default_factory=list)
    note: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    def span(self) -> str:
        return f"{min(self.seconds):.2f}-{max(self.seconds):.2f}"


@dataclass
class Section:
    title: str
    intro: str
    rows: list[Measurement] = field(default_factory=list)
    baselines: tuple[str, ...] = ()  # ratio columns: each row's median / the baseline's
    extra: list[str] = field(default_factory=list)  # more markdown after the table

    def get(self, name: str) -> Measurement | None:
        return next((m for m in self.rows if m.name == name), None)


class Bench:
    """The scratch directory, the environment every command runs in, the indexes."""

    def __init__(self, scratch: Path, repeat: int, warmup: int) -> None:
        self.scratch = scratch
        self.repeat = repeat
        self.warmup = warmup
        self.versions = 0
        path = os.pathsep.join([str(BIN), os.environ.get("PATH", "")])
        self.env = {
            **os.environ,
            **GIT_IDENTITY,
            "PATH": path,
            # A cache of our own, warmed by the warm-up runs, so the user's is untouched.
            "RELEASEKIT_BUILD_CACHE_DIR": str(scratch / "releasekit-cache"),
            "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
            "NO_PROXY": "127.0.0.1,localhost",
        }
        for variable in list(self.env):
            if variable.startswith(("RELEASEKIT_", "TWINE_")) and variable != (
                "RELEASEKIT_BUILD_CACHE_DIR"
            ):
                del self.env[variable]
        # Warm caches include Python's bytecode caches, as after an install made by pip.
        self.env.pop("PYTHONDONTWRITEBYTECODE", None)
        self.uv = shutil.which("uv", path=path)
        self.test_url = self.prod_url = ""

    def next_version(self) -> str:
        self.versions += 1
        return f"1.{self.versions}.0"

    def measure(
        self,
        name: str,
        sequence: Callable[[], float],
        *,
        prepare: Callable[[], None] = lambda: None,
        repeat: int | None = None,
        warmup: int | None = None,
        note: str = "",
    ) -> Measurement:
        measurement = Measurement(name, note=note)
        warmup = self.warmup if warmup is None else warmup
        for i in range(warmup + (self.repeat if repeat is None else repeat)):
            prepare()
            seconds = sequence()
            if i >= warmup:
                measurement.seconds.append(seconds)
        print(f"  {name:<58} {measurement.median:7.2f} s  ({measurement.span()})", flush=True)
        return measurement

    def compare(
        self,
        rows: Sequence[tuple[str, Callable[[], float]]],
        *,
        prepare: Callable[[], None] = lambda: None,
        repeat: int | None = None,
        warmup: int | None = None,
    ) -> list[Measurement]:
        """Like :meth:`measure` for rows meant to be compared, taken in turn (A, B, A,
        B, ...): a change in the machine's load during the run hits them alike."""
        measurements = [Measurement(name) for name, _ in rows]
        warmup = self.warmup if warmup is None else warmup
        for i in range(warmup + (self.repeat if repeat is None else repeat)):
            for measurement, (_, run_once) in zip(measurements, rows, strict=True):
                prepare()
                seconds = run_once()
                if i >= warmup:
                    measurement.seconds.append(seconds)
        for m in measurements:
            print(f"  {m.name:<58} {m.median:7.2f} s  ({m.span()})", flush=True)
        return measurements


def sequence(bench: Bench, cwd: Path, *commands: Sequence[str]) -> Callable[[], float]:
    """A function that runs ``commands`` one after another and returns their total time."""

    def total() -> float:
        return sum(run(argv, cwd, bench.env)[0] for argv in commands)

    return total


# --- indexes and projects ---------------------------------------------------------------


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, env=GIT_ENV)


GIT_ENV = {**os.environ, **GIT_IDENTITY, "GIT_CONFIG_NOSYSTEM": "1"}


def repositories_table(bench: Bench) -> str:
    return textwrap.dedent(f"""
        [tool.releasekit.repositories.test]
        upload-url = "{bench.test_url}/"
        index-url = "{bench.test_url}/simple/"

        [tool.releasekit.repositories.prod]
        upload-url = "{bench.prod_url}/"
        index-url = "{bench.prod_url}/simple/"
        anonymous-upload = true
        """)


def copy_demo(destination: Path, name: str = "acme-demo") -> Path:
    """examples/demo-project at ``destination``, renamed to ``name`` if asked."""
    shutil.copytree(DEMO, destination, ignore=shutil.ignore_patterns(".nox", "dist", "__pycache__"))
    module = name.replace("-", "_")
    if module != "acme_demo":
        (destination / "src" / "acme_demo").rename(destination / "src" / module)
        for path in (destination / "pyproject.toml", destination / "noxfile.py"):
            text = path.read_text().replace("acme-demo", name).replace("acme_demo", module)
            path.write_text(text)
    return destination


def demo_project(bench: Bench, name: str) -> Path:
    """A scratch git repository of the demo project that knows the two indexes."""
    root = copy_demo(bench.scratch / "projects" / name)
    with (root / "pyproject.toml").open("a") as f:
        f.write(repositories_table(bench))
    git(root, "init", "--quiet", "--initial-branch=main")
    git(root, "add", "--all")
    git(root, "commit", "--quiet", "-m", "Import acme-demo")
    return root


def set_version(root: Path, version: str) -> None:
    """Write ``version`` where the demo keeps it ([project] and __version__)."""
    pyproject = root / "pyproject.toml"
    pyproject.write_text(
        re.sub(
            r'^version = ".*"$',
            f'version = "{version}"',
            pyproject.read_text(),
            count=1,
            flags=re.M,
        )
    )
    for init in root.glob("src/*/__init__.py"):
        init.write_text(
            re.sub(
                r'^__version__ = ".*"$',
                f'__version__ = "{version}"',
                init.read_text(),
                count=1,
                flags=re.M,
            )
        )


def commit_version(root: Path, packages: Sequence[Path], version: str) -> None:
    for package in packages:
        set_version(package, version)
    git(root, "commit", "--quiet", "--all", "-m", f"Version {version}")


def clean_dist(root: Path) -> None:
    shutil.rmtree(root / "dist", ignore_errors=True)


# --- the sections -----------------------------------------------------------------------


def fresh_venv_install(bench: Bench, tool: str, version: str, cwd: Path) -> float:
    """A fresh virtualenv, ``acme-demo==version`` from the test index into it, an import."""
    with tempfile.TemporaryDirectory(dir=bench.scratch) as scratch:
        venv = Path(scratch) / "venv"
        python = str(venv / "bin" / "python")
        index = f"{bench.test_url}/simple/"
        if tool == "pip":
            commands = [
                [PYTHON, "-m", "venv", str(venv)],
                [
                    python,
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    "--index-url",
                    index,
                    f"acme-demo=={version}",
                ],
            ]
        else:
            assert bench.uv is not None
            commands = [
                [bench.uv, "venv", "--quiet", "--python", PYTHON, str(venv)],
                [
                    bench.uv,
                    "pip",
                    "install",
                    "--quiet",
                    "--python",
                    python,
                    "--index-url",
                    index,
                    f"acme-demo=={version}",
                ],
            ]
        commands.append([python, "-c", "import acme_demo"])
        return sum(run(argv, cwd, bench.env)[0] for argv in commands)


def hand_written(bench: Bench, root: Path, kind: str, state: dict[str, str]) -> float:
    """The classic or the fastest sequence a maintainer would type, for a new version."""
    upload_url = f"{bench.test_url}/"
    if kind == "classic":
        build: list[str] = [PYTHON, "-m", "build"]
    else:
        assert bench.uv is not None
        build = [bench.uv, "build", "--quiet"]
    seconds, _ = run(build, root, bench.env)
    dist = sorted(str(p) for p in (root / "dist").iterdir() if p.name.endswith((".whl", ".gz")))
    seconds += run([PYTHON, "-m", "twine", "check", "--strict", *dist], root, bench.env)[0]
    if kind == "classic":
        upload = [PYTHON, "-m", "twine", "upload", "--non-interactive",
                  "--repository-url", upload_url, *UPLOAD_AUTH, *dist]  # fmt: skip
    else:
        assert bench.uv is not None
        upload = [bench.uv, "publish", "--quiet", "--publish-url", upload_url,
                  "--trusted-publishing", "never", *UPLOAD_AUTH, *dist]  # fmt: skip
    seconds += run(upload, root, bench.env)[0]
    tool = "pip" if kind == "classic" else "uv"
    return seconds + fresh_venv_install(bench, tool, state["version"], root)


def no_uv_shim(bench: Bench) -> dict[str, str]:
    """An environment in which releasekit finds no uv: neither on PATH nor importable."""
    shim = bench.scratch / "no-uv"
    (shim / "uv").mkdir(parents=True, exist_ok=True)
    (shim / "uv" / "__init__.py").write_text(
        "def find_uv_bin():\n    raise FileNotFoundError('hidden by the benchmark')\n"
    )
    tools = shim / "bin"
    tools.mkdir(exist_ok=True)
    for name in ("git", "python"):
        found = shutil.which(name, path=bench.env["PATH"])
        if found and not (tools / name).exists():
            (tools / name).symlink_to(found)
    return {**bench.env, "PYTHONPATH": str(shim), "PATH": str(tools)}


def section_pipelines(bench: Bench) -> Section:
    section = Section(
        "1. A release to an index: hand-written sequences and releasekit",
        "Each run publishes a new version of the demo project to the local test index and "
        "installs it into a fresh virtualenv. *classic*: `python -m build` (pip), `twine "
        "check --strict`, `twine upload`, `python -m venv` + `pip install` + import. "
        "*fastest*: `uv build`, `twine check --strict`, `uv publish`, `uv venv` + `uv pip "
        "install` + import. releasekit: `publish --test --install --yes` (build, check with "
        "the index's hashes, upload, verify every sha256 on the index, fresh-venv install "
        "and import) through its CLI, `nox -s publish` (a reused session virtualenv: `-r`) "
        "and `invoke publish`; `release patch --no-push` does all of that for the test "
        "*and* the prod index, plus the bump commit and the tag.",
        baselines=("fastest hand-written (uv)", "classic hand-written (pip)"),
    )
    state = {"version": ""}
    projects = {}
    for name in ("classic", "fastest", "cli", "nox", "invoke", "release", "no-uv"):
        projects[name] = demo_project(bench, name)

    def bump(name: str) -> Callable[[], None]:
        def prepare() -> None:
            state["version"] = bench.next_version()
            commit_version(projects[name], [projects[name]], state["version"])
            clean_dist(projects[name])

        return prepare

    def add(m: Measurement) -> None:
        section.rows.append(m)

    add(
        bench.measure(
            "classic hand-written (pip)",
            lambda: hand_written(bench, projects["classic"], "classic", state),
            prepare=bump("classic"),
        )
    )
    if bench.uv:
        add(
            bench.measure(
                "fastest hand-written (uv)",
                lambda: hand_written(bench, projects["fastest"], "fastest", state),
                prepare=bump("fastest"),
            )
        )
    publish = ["publish", "--test", "--install", "--yes"]
    cli = [PYTHON, "-m", "releasekit", *publish]
    add(
        bench.measure(
            "releasekit publish (CLI)", sequence(bench, projects["cli"], cli), prepare=bump("cli")
        )
    )
    # The per-step timings of one more run, to show where the time goes.
    bump("cli")()
    _, output = run([*cli, "--json"], projects["cli"], bench.env)
    section.extra.append(step_breakdown(output))
    nox = [PYTHON, "-m", "nox", "--noxfile", str(projects["nox"] / "noxfile.py"), "-r",
           "--default-venv-backend", "uv" if bench.uv else "venv", "-s", "publish", "--",
           *publish[1:]]  # fmt: skip
    add(
        bench.measure(
            "releasekit publish (nox -s publish, -r)",
            sequence(bench, projects["nox"], nox),
            prepare=bump("nox"),
        )
    )
    invoke = [PYTHON, "-m", "invoke", "--search-root", str(projects["invoke"]), "publish",
              "--test", "--install", "--yes"]  # fmt: skip
    add(
        bench.measure(
            "releasekit publish (invoke publish)",
            sequence(bench, projects["invoke"], invoke),
            prepare=bump("invoke"),
        )
    )
    release = [PYTHON, "-m", "releasekit", "release", "patch", "--no-push", "--install", "--yes"]
    add(
        bench.measure(
            "releasekit release patch --no-push (test and prod)",
            sequence(bench, projects["release"], release),
            prepare=bump("release"),
        )
    )
    no_uv_env = no_uv_shim(bench)

    def publish_without_uv() -> float:
        return run(cli, projects["no-uv"], no_uv_env)[0]

    add(
        bench.measure(
            "releasekit publish (CLI), uv hidden: pip everywhere",
            publish_without_uv,
            prepare=bump("no-uv"),
            note="uv neither on PATH nor importable: the build environment and verify's "
            "venv are made with pip",
        )
    )
    return section


def step_breakdown(output: str) -> str:
    import json

    summary = json.loads(output)
    cells = " · ".join(f"{s['name']} {s['seconds']:.2f} s" for s in summary["steps"])
    return f"Where one `releasekit publish` run spends its time (its own step timings): {cells}."


def section_steps(bench: Bench) -> Section:
    section = Section(
        "2. Single steps: build, and a fresh-venv install",
        "Builds: sdist, then the wheel from it, of the demo project (hatchling). releasekit "
        "build reuses its cached build environment (see the README); `--fresh` bypasses it "
        "(`python -m build --installer uv`, a new environment); *cold* empties the cache "
        "first (resolve, create, build). Installs: the version published in section 1, "
        "from the local index into a new virtualenv, then an import.",
        baselines=("uv build", "python -m venv + pip install + import"),
    )
    root = demo_project(bench, "steps")
    version = bench.next_version()
    commit_version(root, [root], version)
    prepare = lambda: clean_dist(root)  # noqa: E731
    rk = [PYTHON, "-m", "releasekit"]
    builds: list[tuple[str, list[str]]] = [
        ("python -m build (pip)", [PYTHON, "-m", "build"]),
        ("python -m build --installer uv", [PYTHON, "-m", "build", "--installer", "uv"]),
        ("uv build", [bench.uv or "uv", "build", "--quiet"]),
        ("python -m build --no-isolation", [PYTHON, "-m", "build", "--no-isolation"]),
        ("releasekit build", [*rk, "build"]),
        ("releasekit build --fresh", [*rk, "build", "--fresh"]),
    ]
    for name, argv in builds:
        if "uv" in name and not bench.uv:
            continue
        section.rows.append(bench.measure(name, sequence(bench, root, argv), prepare=prepare))
    cache = Path(bench.env["RELEASEKIT_BUILD_CACHE_DIR"])

    def cold() -> None:
        clean_dist(root)
        shutil.rmtree(cache, ignore_errors=True)

    section.rows.append(
        bench.measure(
            "releasekit build, cold cache", sequence(bench, root, [*rk, "build"]), prepare=cold
        )
    )
    # Publish this version once, then install it from the test index again and again.
    run([*rk, "publish", "--test", "--yes"], root, bench.env)
    section.rows.append(
        bench.measure(
            "python -m venv + pip install + import",
            lambda: fresh_venv_install(bench, "pip", version, root),
        )
    )
    if bench.uv:
        section.rows.append(
            bench.measure(
                "uv venv + uv pip install + import",
                lambda: fresh_venv_install(bench, "uv", version, root),
            )
        )
    section.rows.append(
        bench.measure(
            "releasekit verify --install",
            sequence(bench, root, [*rk, "verify", "--repository", "test", "--install"]),
            note="also waits for and compares every file's sha256 on the index",
        )
    )
    return section


def section_imports(bench: Bench) -> Section:
    section = Section(
        "3. Import overhead: listing the sessions and tasks",
        "`nox -l` and `invoke -l` in a project whose noxfile / tasks.py has one task of its "
        "own, without and with releasekit's (`releasekit.nox.register()`, "
        "`from releasekit.invoke import release_tasks`).",
    )
    plain = bench.scratch / "projects" / "imports-plain"
    plain.mkdir(parents=True)
    (plain / "noxfile.py").write_text(
        "import nox\n\n\n@nox.session(python=False)\ndef tests(session):\n    pass\n"
    )
    (plain / "tasks.py").write_text(
        "from invoke import Collection, task\n\n\n@task\ndef tests(c):\n    pass\n\n\n"
        "ns = Collection(tests)\n"
    )
    with_rk = copy_demo(bench.scratch / "projects" / "imports-releasekit")
    repeat = max(bench.repeat * 3, 1) if bench.repeat > 1 else 1
    for tool in ("nox", "invoke"):
        rows = []
        for label, where in (("without releasekit", plain), ("with releasekit", with_rk)):
            if tool == "nox":
                argv = [PYTHON, "-m", "nox", "--noxfile", str(where / "noxfile.py"), "-l"]
            else:
                argv = [PYTHON, "-m", "invoke", "--search-root", str(where), "-l"]
            rows.append((f"{tool} -l, {label}", sequence(bench, where, argv)))
        section.rows += bench.compare(rows, repeat=repeat)
    for tool in ("nox", "invoke"):
        without = section.get(f"{tool} -l, without releasekit")
        with_ = section.get(f"{tool} -l, with releasekit")
        if without and with_:
            delta = (with_.median - without.median) * 1000
            section.extra.append(f"`{tool} -l`: releasekit adds {delta:.0f} ms (median).")
    return section


def monorepo(bench: Bench, size: int) -> tuple[Path, list[Path]]:
    root = bench.scratch / "projects" / f"monorepo-{size}"
    packages = [
        copy_demo(root / "packages" / f"pkg{i:02d}", f"acme-mono{size}-pkg{i:02d}")
        for i in range(size)
    ]
    for package in packages:
        for extra in ("noxfile.py", "tasks.py", ".gitignore"):
            (package / extra).unlink()
    (root / ".gitignore").write_text("dist/\n.nox/\n")
    (root / "pyproject.toml").write_text(
        '[tool.releasekit]\npackages = ["packages/*"]\ntag-format = "{name}-v{version}"\n'
        + repositories_table(bench)
    )
    git(root, "init", "--quiet", "--initial-branch=main")
    git(root, "add", "--all")
    git(root, "commit", "--quiet", "-m", "A monorepo")
    return root, packages


def section_scaling(bench: Bench, sizes: Sequence[int], jobs: int, repeat: int) -> Section:
    section = Section(
        f"4. Scaling: monorepos, sequential (-j 1) and parallel (-j {jobs})",
        "`releasekit build` and `releasekit publish --test --yes` over every package of a "
        "monorepo of copies of the demo project (a new version of each for every publish). "
        "publish builds the packages -j at a time, then checks, uploads and verifies them "
        "-j at a time too (the packages are independent).",
    )
    for size in sizes:
        root, packages = monorepo(bench, size)

        def bump(root: Path = root, packages: list[Path] = packages) -> None:
            commit_version(root, packages, bench.next_version())

        for command in ("build", "publish"):
            rows = []
            for j in (1, jobs):
                argv = [PYTHON, "-m", "releasekit", command, "-j", str(j)]
                if command == "publish":
                    argv += ["--test", "--yes"]
                rows.append((f"{size} packages: {command} -j {j}", sequence(bench, root, argv)))
            section.rows += bench.compare(
                rows,
                prepare=bump if command == "publish" else lambda: None,
                repeat=repeat,
                warmup=min(bench.warmup, 1),
            )
    for size in sizes:
        cells = []
        for command in ("build", "publish"):
            one = section.get(f"{size} packages: {command} -j 1")
            many = section.get(f"{size} packages: {command} -j {jobs}")
            if one and many:
                cells.append(f"{command} {one.median / many.median:.2f}x")
        section.extra.append(f"{size} packages, -j {jobs} speed-up: " + ", ".join(cells) + ".")
    return section


# --- the report -------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    goal: str
    measured: str
    met: bool | None


def ratio(a: Measurement | None, b: Measurement | None) -> float | None:
    return a.median / b.median if a and b else None


def targets(sections: Sequence[Section], jobs: int) -> list[Target]:
    rows = {m.name: m for s in sections for m in s.rows}
    found: list[Target] = []

    def check(goal: str, value: float | None, text: str, ok: Callable[[float], bool]) -> None:
        if value is None:
            found.append(Target(goal, "not measured", None))
        else:
            found.append(Target(goal, text.format(value), ok(value)))

    publish = rows.get("releasekit publish (CLI)")
    fastest = rows.get("fastest hand-written (uv)")
    classic = rows.get("classic hand-written (pip)")
    check(
        "publish ≤ 1.1x the fastest hand-written sequence",
        ratio(publish, fastest),
        "{:.2f}x",
        lambda r: r <= 1.1,
    )
    check(
        "publish ≥ 4x faster than the classic sequence",
        ratio(classic, publish),
        "{:.1f}x faster",
        lambda r: r >= 4,
    )
    check(
        "without uv: publish no slower than the classic sequence",
        ratio(rows.get("releasekit publish (CLI), uv hidden: pip everywhere"), classic),
        "{:.2f}x",
        lambda r: r <= 1.0,
    )
    check(
        "releasekit build ≤ 0.6x uv build",
        ratio(rows.get("releasekit build"), rows.get("uv build")),
        "{:.2f}x",
        lambda r: r <= 0.6,
    )
    check(
        "verify --install ≤ 0.1x python -m venv + pip install + import",
        ratio(
            rows.get("releasekit verify --install"),
            rows.get("python -m venv + pip install + import"),
        ),
        "{:.3f}x",
        lambda r: r <= 0.1,
    )
    for tool in ("nox", "invoke"):
        without = rows.get(f"{tool} -l, without releasekit")
        with_ = rows.get(f"{tool} -l, with releasekit")
        delta = (with_.median - without.median) * 1000 if with_ and without else None
        check(f"`{tool} -l` ≤ 30 ms slower with releasekit", delta, "+{:.0f} ms", lambda d: d <= 30)
    sizes = [int(n.split()[0]) for n in rows if n.endswith(" packages: build -j 1")]
    largest = max(sizes, default=0)
    for command in ("build", "publish"):
        check(
            f"{largest} packages: {command} -j {jobs} ≥ 1.8x faster than -j 1",
            ratio(
                rows.get(f"{largest} packages: {command} -j 1"),
                rows.get(f"{largest} packages: {command} -j {jobs}"),
            ),
            "{:.2f}x",
            lambda r: r >= 1.8,
        )
    return found


def tool_versions() -> list[tuple[str, str]]:
    versions = []
    for tool in TOOLS:
        try:
            versions.append((tool, importlib.metadata.version(tool)))
        except importlib.metadata.PackageNotFoundError:
            versions.append((tool, "not installed"))
    return versions


LOAD_AT_START: list[str] = []


def load_average() -> str:
    """The machine is shared: other work on it shows here, and slows parallel runs."""
    return ", ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"


def machine() -> list[tuple[str, str]]:
    cpu = platform.processor() or platform.machine()
    with_cpuinfo = Path("/proc/cpuinfo")
    if with_cpuinfo.is_file():
        names = re.findall(r"^model name\s*:\s*(.+)$", with_cpuinfo.read_text(), re.M)
        cpu = names[0] if names else cpu
    memory = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.is_file():
        kb = re.search(r"^MemTotal:\s*(\d+)", meminfo.read_text(), re.M)
        memory = f"{int(kb.group(1)) / 1024 / 1024:.0f} GiB" if kb else ""
    bytecode = os.environ.get("PYTHONDONTWRITEBYTECODE")
    return [
        ("system", f"{platform.system()} {platform.release()} ({platform.machine()})"),
        ("CPU", f"{cpu}, {os.cpu_count()} logical cores"),
        ("memory", memory or "unknown"),
        (
            "load average (1, 5, 15 min) at the start, at the end",
            f"{LOAD_AT_START[0] if LOAD_AT_START else '?'}; {load_average()}",
        ),
        ("Python", f"{platform.python_implementation()} {platform.python_version()} ({PYTHON})"),
        (
            "PYTHONDONTWRITEBYTECODE",
            f"{bytecode!r} here, unset for the measured commands (warm bytecode caches)"
            if bytecode
            else "unset",
        ),
    ]


def render(
    sections: Sequence[Section], found: Sequence[Target], args: argparse.Namespace, took: float
) -> str:
    today = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    mode = "smoke mode (one repetition, one package)" if args.smoke else "full run"
    lines = [
        "# releasekit benchmarks",
        "",
        f"`python benchmarks/run.py` ({mode}), {today}, {took / 60:.1f} min. Wall seconds of "
        f"whole processes, median of {args.repeat} runs after {args.warmup} warm-up run(s) "
        "(min-max in the next column); local pypiservers on 127.0.0.1.",
        "",
        "## Targets",
        "",
        "| target | measured | |",
        "|---|---|---|",
    ]
    for t in found:
        status = "met" if t.met else "not measured" if t.met is None else "**missed**"
        lines.append(f"| {t.goal} | {t.measured} | {status} |")
    for section in sections:
        lines += ["", f"## {section.title}", "", section.intro, ""]
        header = "| | median s | min-max s |" + "".join(f" x {b} |" for b in section.baselines)
        lines += [header, "|---|---:|---:|" + "---:|" * len(section.baselines)]
        for m in section.rows:
            cells = [f"{m.median:.2f}", m.span()]
            for name in section.baselines:
                base = section.get(name)
                cells.append(f"{m.median / base.median:.2f}" if base else "-")
            label = m.name + (f" ({m.note})" if m.note else "")
            lines.append(f"| {label} | " + " | ".join(cells) + " |")
        if section.extra:
            lines += [""] + [f"- {text}" for text in section.extra]
    lines += ["", "## Machine and tools", "", "| | |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in machine()]
    lines += [f"| {tool} | {version} |" for tool, version in tool_versions()]
    return "\n".join(lines) + "\n"


UPLOAD_SECTION = "## 5. Uploading many files"


def keep_upload_section(report: str, previous: Path) -> str:
    """Section 5 is written by hand from benchmarks/upload_many.py: carried over from the
    report being replaced, before "Machine and tools"."""
    old = previous.read_text() if previous.is_file() else ""
    if UPLOAD_SECTION not in old:
        return report
    kept = old[old.index(UPLOAD_SECTION) :].split("\n## Machine and tools", 1)[0].rstrip()
    head, machine = report.split("\n## Machine and tools", 1)
    return f"{head}\n{kept}\n\n## Machine and tools{machine}"


def highlighted(name: str) -> bool:
    """releasekit's own rows, with releasekit registered, or in parallel: orange."""
    return (
        name.startswith("releasekit")
        or name.endswith(", with releasekit")
        or re.search(r" -j (?!1\b)\d+", name) is not None
    )


def plot(sections: Sequence[Section], path: Path) -> None:
    try:
        import matplotlib  # type: ignore[import-not-found, unused-ignore]

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        raise BenchmarkError(
            "--plot needs matplotlib: pip install -r benchmarks/requirements.txt"
        ) from None
    figure, axes = plt.subplots(
        len(sections), 1, figsize=(10, 2.2 + 0.42 * sum(len(s.rows) for s in sections))
    )
    for ax, section in zip(figure.axes if len(sections) > 1 else [axes], sections, strict=True):
        names = [m.name for m in section.rows][::-1]
        medians = [m.median for m in section.rows][::-1]
        low = [m.median - min(m.seconds) for m in section.rows][::-1]
        high = [max(m.seconds) - m.median for m in section.rows][::-1]
        colors = ["tab:orange" if highlighted(n) else "tab:gray" for n in names]
        ax.barh(names, medians, xerr=[low, high], color=colors, capsize=3)
        ax.set_title(section.title, loc="left", fontsize=10)
        ax.set_xlabel("seconds (median, min-max)")
        ax.tick_params(axis="y", labelsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=110)


# --- main -------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help="one repetition, one package")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs of each (default 5)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed runs first (default 1)")
    parser.add_argument("--jobs", "-j", type=int, default=2, help="parallel jobs (default 2)")
    parser.add_argument(
        "--sizes",
        default=",".join(map(str, SCALING_SIZES)),
        help="monorepo sizes (default 1,5,10,20)",
    )
    parser.add_argument("--out", type=Path, default=HERE / "RESULTS.md", help="the markdown report")
    parser.add_argument(
        "--plot",
        nargs="?",
        const=True,
        default=None,
        metavar="PNG",
        help="also write a chart (default: the report's name with .png)",
    )
    parser.add_argument(
        "--only", default="1,2,3,4", help="sections to run, e.g. 2,3 (default: all)"
    )
    args = parser.parse_args(argv)
    if args.smoke:
        args.repeat, args.warmup, args.sizes = 1, 0, "1"
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    only = set(args.only.split(","))
    started = time.perf_counter()
    LOAD_AT_START.append(load_average())
    with ExitStack() as stack:
        scratch = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="rk-bench-")))
        bench = Bench(scratch, args.repeat, args.warmup)
        bench.test_url = stack.enter_context(pypiserver(scratch / "test-index"))
        bench.prod_url = stack.enter_context(pypiserver(scratch / "prod-index"))
        print(f"indexes: {bench.test_url} (test), {bench.prod_url} (prod); uv: {bench.uv}")
        sections = []
        runs: list[tuple[str, Callable[[], Section]]] = [
            ("1", lambda: section_pipelines(bench)),
            ("2", lambda: section_steps(bench)),
            ("3", lambda: section_imports(bench)),
            ("4", lambda: section_scaling(bench, sizes, args.jobs, min(args.repeat, 3))),
        ]
        for key, make in runs:
            if key in only:
                print(f"section {key}", flush=True)
                sections.append(make())
    found = targets(sections, args.jobs)
    report = render(sections, found, args, time.perf_counter() - started)
    report = keep_upload_section(report, args.out)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report)
    print()
    print(report)
    if args.plot:
        png = args.out.with_suffix(".png") if args.plot is True else Path(args.plot)
        plot(sections, png)
        print(f"chart: {png}")
    print(f"report: {args.out}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (BenchmarkError, IndexDidNotStart) as exc:
        print(f"benchmark: {exc}", file=sys.stderr)
        sys.exit(1)
