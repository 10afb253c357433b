"""Core metadata rules: what warehouse's ``forklift/metadata.py`` refuses.

PyPI validates the metadata with ``packaging.metadata`` and then adds its own rules; the
messages below are its own. Errors packaging finds are sorted to a rule by their field.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from releasekit.rules import Finding, Release, rule
from releasekit.rules.contents import ArtifactContents
from releasekit.rules.files import has_dist_info

if TYPE_CHECKING:
    from packaging.metadata import InvalidMetadata, RawMetadata

# warehouse forklift/metadata.py SUPPORTED_METADATA_VERSIONS (packaging knows more).
PYPI_METADATA_VERSIONS = ("1.0", "1.1", "1.2", "2.1", "2.2", "2.3", "2.4", "2.5")
SUMMARY_LIMIT = 512
PROJECT_URL_LABEL_LIMIT = 32
# PEP 643 fields PyPI lets an sdist mark Dynamic (forklift/metadata.py DYNAMIC_FIELDS).
DYNAMIC_FIELDS = frozenset(
    f.lower()
    for f in [
        "Platform",
        "Supported-Platform",
        "Summary",
        "Description",
        "Description-Content-Type",
        "Keywords",
        "Home-Page",
        "Download-Url",
        "Author",
        "Author-Email",
        "Maintainer",
        "Maintainer-Email",
        "License",
        "License-Expression",
        "License-File",
        "Classifier",
        "Requires-Dist",
        "Requires-Python",
        "Requires-External",
        "Project-Url",
        "Provides-Extra",
        "Provides-Dist",
        "Obsoletes-Dist",
        "Requires",
        "Provides",
        "Obsoletes",
        "Import-Name",
        "Import-Namespace",
    ]
)

# packaging's error fields, sorted to the rule that reports them.
_FIELD_RULES = {
    "metadata-version": "pypi-metadata-version",
    "metadata_version": "pypi-metadata-version",
    "name": "pypi-name-invalid",
    "version": "pypi-version-invalid",
    "license-expression": "pypi-license-expression",
    "requires-dist": "pypi-requirement-invalid",
    "requires-python": "pypi-requirement-invalid",
    "provides-dist": "pypi-requirement-invalid",
    "obsoletes-dist": "pypi-requirement-invalid",
    "description-content-type": "pypi-description-content-type",
    "project-url": "pypi-project-url",
    "home-page": "pypi-project-url",
    "download-url": "pypi-project-url",
}


def _rule_for(error: InvalidMetadata) -> str:
    text = str(error)
    if "is a required field" in text:
        return "pypi-metadata-required"
    if "introduced in metadata version" in text:
        return "pypi-metadata-version"
    if error.field == "dynamic":
        return "pypi-dynamic-field"
    return _FIELD_RULES.get(error.field, "pypi-metadata-field")


def _errors_for(release: Release, rule_id: str) -> Iterator[Finding]:
    for contents in release.files:
        for error in contents.metadata_errors:
            if _rule_for(error) == rule_id:
                yield Finding(contents.filename, f"{error}.".replace("..", "."))


def _with_metadata(release: Release) -> Iterator[tuple[ArtifactContents, RawMetadata]]:
    """Each file whose metadata could be read, with its fields as written."""
    return ((c, c.raw) for c in release.files if c.raw is not None)


def _packaging_rule(rule_id: str, pypi_says: str, what_to_do: str) -> None:
    """Register ``rule_id``, whose findings are the errors packaging sorts to it."""
    rule(rule_id, pypi_says, what_to_do)(lambda release: _errors_for(release, rule_id))


@rule(
    "pypi-metadata-missing",
    "Wheel '...' does not contain the required METADATA file / PKG-INFO not found at ...",
    "Rebuild with a standard build backend: the archive lacks its core metadata file.",
)
def metadata_present(release: Release) -> Iterator[Finding]:
    for contents in release.files:
        if contents.raw is None and not contents.unreadable:
            if contents.is_wheel and not has_dist_info(contents):
                continue  # pypi-dist-info-name says it
            if contents.is_wheel:
                message = (
                    f"Wheel '{contents.filename}' does not contain the required METADATA "
                    f"file: {contents.metadata_path}"
                )
            else:
                message = (
                    f"Invalid distribution file. PKG-INFO not found at {contents.metadata_path}"
                )
            yield Finding(contents.filename, message)


@rule(
    "pypi-metadata-version",
    "'X' is not a valid metadata version",
    f"Use a build backend that writes Metadata-Version {PYPI_METADATA_VERSIONS[0]} to "
    f"{PYPI_METADATA_VERSIONS[-1]} (upgrade or pin it).",
)
def metadata_version(release: Release) -> Iterator[Finding]:
    yield from _errors_for(release, "pypi-metadata-version")
    for contents, raw in _with_metadata(release):
        found = raw.get("metadata_version")
        if (
            found
            and found not in PYPI_METADATA_VERSIONS
            and not any(e.field == "metadata-version" for e in contents.metadata_errors)
        ):
            yield Finding(contents.filename, f"{found!r} is not a valid metadata version.")


_packaging_rule(
    "pypi-metadata-required",
    "'name' is a required field",
    "Metadata-Version, Name and Version must be in the metadata: fix the build backend's "
    "configuration ([project] name and version).",
)


_packaging_rule(
    "pypi-name-invalid",
    "'X' is invalid for 'name'",
    "Use a PEP 508 name: letters, digits, '.', '_' and '-', starting and ending with a "
    "letter or digit.",
)


_packaging_rule(
    "pypi-version-invalid",
    "'X' is invalid for 'version'",
    "Use a PEP 440 version (releasekit bump-version writes one).",
)


@rule(
    "pypi-license-conflict",
    "License is deprecated when License-Expression is present. Only License-Expression "
    "should be present.",
    "Remove the old license text field (project.license as a table, or setup's license=) "
    "and keep the SPDX expression.",
)
def license_conflict(release: Release) -> Iterator[Finding]:
    for contents, raw in _with_metadata(release):
        if raw.get("license") and raw.get("license_expression"):
            yield Finding(
                contents.filename,
                "License is deprecated when License-Expression is present. "
                "Only License-Expression should be present.",
            )


_packaging_rule(
    "pypi-license-expression",
    "'X' is invalid for 'license-expression'",
    'Write a valid SPDX expression (project.license = "MIT OR Apache-2.0"); '
    "LicenseRef-... for anything else.",
)


@rule(
    "pypi-license-file-missing",
    "License-File X does not exist in distribution file F at P",
    "List only files that exist (project.license-files) and rebuild; the backend must copy "
    "them into the sdist and under .dist-info/licenses/ in the wheel.",
)
def license_files_present(release: Release) -> Iterator[Finding]:
    for contents, raw in _with_metadata(release):
        present = contents.members
        for license_file in raw.get("license_files") or []:
            if contents.is_wheel:
                where = f"{contents.dist_info}/licenses/{license_file}"
            else:
                where = f"{contents.top_level}/{license_file}"
            if where not in present:
                yield Finding(
                    contents.filename,
                    f"License-File {license_file} does not exist in distribution file "
                    f"{contents.filename} at {where}",
                )


@rule(
    "pypi-classifier-unknown",
    "'X' is not a valid classifier.",
    "Use a classifier from https://pypi.org/classifiers/ (the trove-classifiers package); "
    "'Private ::' ones are never accepted.",
)
def classifiers_known(release: Release) -> Iterator[Finding]:
    known = _trove_classifiers()
    for contents, raw in _with_metadata(release):
        given = set(raw.get("classifiers") or [])
        # "Private ::" is refused by design; it needs no classifier list to tell.
        private = {c for c in given if c.startswith("Private ::")}
        unknown = private | (given - known[0] if known is not None else set())
        for classifier in sorted(unknown):
            yield Finding(contents.filename, f"{classifier!r} is not a valid classifier.")


@rule(
    "pypi-classifier-deprecated",
    "The classifier 'X' has been deprecated, use one of [...] instead.",
    "Replace the classifier by the one PyPI names.",
)
def classifiers_current(release: Release) -> Iterator[Finding]:
    known = _trove_classifiers()
    if known is None:
        return
    deprecated = known[1]
    for contents, raw in _with_metadata(release):
        for classifier in sorted(set(raw.get("classifiers") or []) & deprecated.keys()):
            instead = deprecated[classifier]
            yield Finding(
                contents.filename,
                f"The classifier {classifier!r} has been deprecated"
                + (f", use one of {instead} instead." if instead else "."),
            )


def trove_classifiers_version() -> str | None:
    """The installed trove-classifiers' version; None if it is not installed."""
    import importlib.metadata

    try:
        return importlib.metadata.version("trove-classifiers")
    except importlib.metadata.PackageNotFoundError:
        return None


def _trove_classifiers() -> tuple[frozenset[str], dict[str, list[str]]] | None:
    try:
        import trove_classifiers
    except ImportError:
        return None
    return frozenset(trove_classifiers.all_classifiers), dict(
        trove_classifiers.deprecated_classifiers
    )


_packaging_rule(
    "pypi-requirement-invalid",
    "'X' is invalid for 'requires-dist'",
    "Write each dependency and requires-python as PEP 508 / PEP 440 specifiers.",
)


@rule(
    "pypi-direct-dependency",
    "Can't have direct dependency: X",
    "Depend on a released project by name (pkg>=1.0), not on a URL (pkg @ https://...).",
)
def no_direct_dependencies(release: Release) -> Iterator[Finding]:
    from packaging.requirements import InvalidRequirement, Requirement

    for contents, raw in _with_metadata(release):
        for text in (
            *(raw.get("requires_dist") or []),
            *(raw.get("provides_dist") or []),
            *(raw.get("obsoletes_dist") or []),
        ):
            try:
                requirement = Requirement(text)
            except InvalidRequirement:
                continue  # pypi-requirement-invalid says it
            if requirement.url is not None:
                yield Finding(contents.filename, f"Can't have direct dependency: {text}")


@rule(
    "pypi-project-url",
    "'X' is not a valid url / 'LABEL' must be 32 characters or less.",
    "Give each project URL a label of at most 32 characters and an http(s):// URL.",
)
def project_urls(release: Release) -> Iterator[Finding]:
    yield from _errors_for(release, "pypi-project-url")
    for contents, raw in _with_metadata(release):
        if contents.metadata is None:
            continue  # packaging's own errors were reported
        for key in ("home_page", "download_url"):
            url = raw.get(key)
            if isinstance(url, str) and not _valid_url(url):
                yield Finding(contents.filename, f"{url!r} is not a valid url.")
        for label, url in (contents.metadata.project_urls or {}).items():
            if not label:
                yield Finding(contents.filename, "Project-URL: Must have a label.")
            elif len(label) > PROJECT_URL_LABEL_LIMIT:
                yield Finding(
                    contents.filename,
                    f"{label!r} must be {PROJECT_URL_LABEL_LIMIT} characters or less.",
                )
            elif not url:
                yield Finding(contents.filename, "Project-URL: Must have a URL.")
            elif not _valid_url(url):
                yield Finding(contents.filename, f"{url!r} is not a valid url.")


def _valid_url(url: str) -> bool:
    """http(s) with a well-formed authority, no blanks (warehouse's is_valid_uri)."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - parsing it is the check
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and not any(c.isspace() for c in url)


_packaging_rule(
    "pypi-description-content-type",
    "'description-content-type' must be one of [...]",
    "Set readme's content type to text/markdown, text/x-rst or text/plain (the README is "
    "rendered by twine check --strict, as PyPI does).",
)


@rule(
    "pypi-summary-too-long",
    "'Summary' field must be 512 characters or less.",
    "Shorten the project's description (the one-line summary).",
)
def summary_length(release: Release) -> Iterator[Finding]:
    for contents, raw in _with_metadata(release):
        summary = raw.get("summary") or ""
        if len(summary) > SUMMARY_LIMIT:
            yield Finding(
                contents.filename, f"'Summary' field must be {SUMMARY_LIMIT} characters or less."
            )


@rule(
    "pypi-dynamic-field",
    "Dynamic field 'X' is not a valid dynamic field.",
    "Mark as dynamic only fields PEP 643 allows (never Name, Version or Metadata-Version).",
)
def dynamic_fields(release: Release) -> Iterator[Finding]:
    reported = {
        c.filename
        for c in release.files
        if any(_rule_for(e) == "pypi-dynamic-field" for e in c.metadata_errors)
    }
    yield from _errors_for(release, "pypi-dynamic-field")
    for contents, raw in _with_metadata(release):
        if contents.filename in reported:
            continue
        for key in raw.get("dynamic") or []:
            if key.lower() not in DYNAMIC_FIELDS:
                yield Finding(
                    contents.filename,
                    f"Dynamic field {key.lower()!r} is not a valid dynamic field.",
                )


_packaging_rule(
    "pypi-metadata-field",
    "'X' is invalid for 'FIELD' / FIELD introduced in metadata version ...",
    "Fix the field the message names in the project's metadata and rebuild.",
)
