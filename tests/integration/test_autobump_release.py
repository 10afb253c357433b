"""`release auto --dry-run`: the plan shows the part the commits decided and the commits
themselves, against real (empty) pypiservers as the test and prod repositories."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from index_servers import PypiServer
from release_project import Releasekit, git, write_project


def test_release_auto_dry_run_lists_the_commits_that_decided(
    tmp_path: Path, releasekit: Releasekit, start_pypiserver: Callable[[str], PypiServer]
) -> None:
    test, prod = start_pypiserver("test"), start_pypiserver("prod")
    root = write_project(tmp_path / "rk-demo")
    git(root, "tag", "--annotate", "--message", "Release 1.0.0", "v1.0.0")
    (root / "src" / "rk_demo" / "cli.py").write_text("", encoding="utf-8")
    git(root, "add", "--all")
    git(root, "commit", "--quiet", "--message", "feat(cli): a command line")
    feature = git(root, "rev-parse", "HEAD")
    (root / "README.md").write_text("# rk-demo\n\nBetter words.\n", encoding="utf-8")
    git(root, "commit", "--quiet", "--all", "--message", "docs: nothing to release")
    config = tmp_path / "indexes.toml"
    config.write_text(
        f'[repositories.test]\nupload-url = "{test.upload_url}"\nindex-url = "{test.simple_url}"\n'
        f'[repositories.prod]\nupload-url = "{prod.upload_url}"\nindex-url = "{prod.simple_url}"\n'
        # pypiserver takes uploads from anyone; production must be told so.
        "anonymous-upload = true\n",
        encoding="utf-8",
    )
    args = ("--project", root, "--config", config, "release", "auto", "--dry-run", "--yes")

    code, out, err = releasekit(*args)
    _, shown, _ = releasekit("--json", *args)

    assert code == 0, out + err
    assert out.splitlines()[0] == "release rk-demo 1.0.0 -> 1.1.0 (dry run: nothing was changed)"
    assert "auto: minor, decided by 1 of 2 commit(s) since v1.0.0:" in out
    assert f"  {feature[:12]} feat(cli): a command line" in out
    summary = json.loads(shown)
    assert summary["plan"]["auto"]["part"] == "minor"
    assert [c["sha"] for c in summary["plan"]["auto"]["decided_by"]] == [feature]
    assert git(root, "tag", "--list") == "v1.0.0"
