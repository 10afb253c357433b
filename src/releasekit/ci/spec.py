"""The pipeline init-ci writes, as one value: what the writers (github, gitlab) take,
what init-ci builds from its flags and the project's place in the repository, and what
audit builds from a file it reads back to regenerate it. A leaf of the ci package."""

from __future__ import annotations

from dataclasses import dataclass

from releasekit.commands import CI_PYTHON

DEFAULT_ENVIRONMENT = "pypi"
DEFAULT_TEST_ENVIRONMENT = "testpypi"


@dataclass(frozen=True)
class PipelineSpec:
    """Everything a CI file depends on besides the configuration and the project (or, for
    a monorepo's workflow, its tag patterns). Some fields serve one provider (see README,
    init-ci); the monorepo's workflow works in each package's directory, so it has no
    ``project_dir`` and no ``wheels``."""

    trigger: str = "tag"
    python: str = CI_PYTHON
    project_dir: str = ""  # relative to the repository's top; "": the top
    outdir: str = "dist/"  # relative to the top, with a trailing "/"
    release_page: bool = True
    # GitHub
    environment: str = DEFAULT_ENVIRONMENT
    test_environment: str = DEFAULT_TEST_ENVIRONMENT
    test_first: bool = True
    wheels: str = ""
    # GitLab
    target: str = "registry"
    include: bool = False
