"""Rules on the project's history at the index: read from its PEP 691 JSON page.

PEP 700 gives each file's ``upload-time`` and ``size``; PEP 792 (api-version 1.4) the
project's ``project-status``. An index that serves HTML only says none of this, and
these rules then have nothing to decide.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator

from releasekit.index import IndexFile
from releasekit.rules import MAX_PROJECT_SIZE, ONE_GIB, Finding, Release, rule

# warehouse legacy.py: a release this old takes no new files (PyPI, since July 2026).
MAXIMUM_AGE_FOR_NEW_UPLOADS_DAYS = 14
# Warn when a release would bring the project this close to its total size limit.
PROJECT_SIZE_WARNING = 0.9


def files_of_version(release: Release) -> list[IndexFile]:
    """The index's files of this release (same PEP 440 version, same project)."""
    from packaging.utils import (
        InvalidSdistFilename,
        InvalidWheelFilename,
        canonicalize_name,
        parse_sdist_filename,
        parse_wheel_filename,
    )
    from packaging.version import InvalidVersion

    if release.page is None:
        return []
    found = []
    project = canonicalize_name(release.name)
    for file in release.page.files:
        try:
            if file.filename.endswith(".whl"):
                name, version = parse_wheel_filename(file.filename)[:2]
            else:
                name, version = parse_sdist_filename(file.filename)
        except (InvalidWheelFilename, InvalidSdistFilename, InvalidVersion):
            continue
        if name == project and version == release.version:
            found.append(file)
    return found


def _new_files(release: Release) -> list[str]:
    """Local files the index does not have yet: the ones an upload would send."""
    on_index = {f.filename for f in files_of_version(release)}
    return [c.filename for c in release.files if c.filename not in on_index]


def _upload_time(file: IndexFile) -> datetime.datetime | None:
    if not file.upload_time:
        return None
    try:
        when = datetime.datetime.fromisoformat(file.upload_time.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=datetime.timezone.utc)


@rule(
    "pypi-release-closed",
    f"Uploading new files to releases older than {MAXIMUM_AGE_FOR_NEW_UPLOADS_DAYS} days is "
    "not allowed.",
    "Release the new files as a new version (a post release, X.Y.Z.post1, if only files "
    "are added).",
)
def release_closed(release: Release) -> Iterator[Finding]:
    times = [t for t in map(_upload_time, files_of_version(release)) if t is not None]
    new = _new_files(release)
    if not times or not new:
        return
    created = min(times)
    age = release.now - created
    if age > datetime.timedelta(days=MAXIMUM_AGE_FOR_NEW_UPLOADS_DAYS):
        yield Finding(
            "",
            f"Uploading new files to releases older than {MAXIMUM_AGE_FOR_NEW_UPLOADS_DAYS} "
            f"days is not allowed. ({release.name} {release.version} was first uploaded "
            f"{created:%Y-%m-%d}, {age.days} days ago; new: {', '.join(new)})",
        )


@rule(
    "pypi-project-status",
    "The user 'U' isn't allowed to upload to project 'P'. (archived; a quarantined "
    "project takes uploads but serves no files)",
    "Ask an owner to unarchive the project on PyPI (Settings); a quarantined project "
    "waits for PyPI's admins.",
)
def project_status(release: Release) -> Iterator[Finding]:
    status = release.page.status if release.page is not None else None
    if status == "archived":
        yield Finding(
            "",
            f"project {release.name!r} is archived (PEP 792 project-status); archived "
            "projects take no uploads: the upload is refused as not allowed.",
        )
    elif status == "quarantined":
        # warehouse still lets owners upload, but the index hides the project: nobody could
        # install the release, and verify would wait for it in vain.
        yield Finding(
            "",
            f"project {release.name!r} is quarantined (PEP 792 project-status): its files "
            "are not served, so the release could not be installed or verified.",
        )


@rule(
    "pypi-release-yanked",
    "(PyPI accepts the file into a yanked release; installers skip it)",
    "Un-yank the release on PyPI, or release a new version.",
    severity="warning",
)
def release_yanked(release: Release) -> Iterator[Finding]:
    yanked = [f for f in files_of_version(release) if f.yanked]
    if yanked:
        reason = next((f.yanked for f in yanked if isinstance(f.yanked, str)), "")
        yield Finding(
            "",
            f"{release.name} {release.version} is yanked on the index"
            + (f" ({reason})" if reason else "")
            + ": pip will not pick new files of it unless pinned with ==.",
        )


@rule(
    "pypi-project-size",
    "Project size too large. Limit for project 'P' total size is 10 GB.",
    "Delete old files on PyPI, or ask PyPI for a larger project limit.",
    severity="warning",
)
def project_size(release: Release) -> Iterator[Finding]:
    if release.page is None or not release.page.files:
        return
    sizes = [f.size for f in release.page.files]
    if any(size is None for size in sizes):
        return  # the index does not say: nothing to add up
    on_index = {f.filename for f in release.page.files}
    total = sum(s for s in sizes if s is not None) + sum(
        c.artifact.size for c in release.files if c.filename not in on_index
    )
    if total > PROJECT_SIZE_WARNING * MAX_PROJECT_SIZE:
        yield Finding(
            "",
            f"{release.name} would take {total / ONE_GIB:.2f} GiB of PyPI's default "
            f'{MAX_PROJECT_SIZE // ONE_GIB} GiB per project ("Project size too large" above '
            "it, unless PyPI raised the project's limit).",
        )
