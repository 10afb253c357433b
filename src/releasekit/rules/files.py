"""File rules: names, archive layout, platform tags, RECORD, size (warehouse legacy.py)."""

from __future__ import annotations

import configparser
import csv
import re
from collections.abc import Iterator

from releasekit.rules import ONE_MIB, Finding, Release, rule
from releasekit.rules.contents import ArtifactContents

# warehouse legacy.py _allowed_platforms and the patterns after it (PEP 600, 656, 730,
# 738, 776): the platform tags PyPI accepts; a plain linux_x86_64 is not among them.
_ALLOWED_PLATFORMS = frozenset(
    {
        "any",
        "win32",
        "win_arm64",
        "win_amd64",
        "win_ia64",
        "manylinux1_x86_64",
        "manylinux1_i686",
        "manylinux2010_x86_64",
        "manylinux2010_i686",
        "manylinux2014_x86_64",
        "manylinux2014_i686",
        "manylinux2014_aarch64",
        "manylinux2014_armv7l",
        "manylinux2014_ppc64",
        "manylinux2014_ppc64le",
        "manylinux2014_s390x",
        "linux_armv6l",
        "linux_armv7l",
    }
)
_MACOSX = re.compile(r"macosx_(?P<major>\d+)_(?P<minor>\d+)_(?P<arch>.*)")
_MACOSX_ARCHES = frozenset(
    [
        "ppc",
        "ppc64",
        "i386",
        "x86_64",
        "arm64",
        "intel",
        "fat",
        "fat3",
        "fat64",
        "universal",
        "universal2",
    ]
)
_MACOSX_MAJORS = frozenset({"11", "12", "13", "14", "15", "26"})
_IOS = re.compile(r"ios_(\d+)_(\d+)_(?P<arch>.*)_(iphoneos|iphonesimulator)")
_IOS_ARCHES = frozenset({"arm64", "x86_64"})
_ANDROID = re.compile(r"android_(\d+)_(?P<arch>.*)")
_ANDROID_ARCHES = frozenset({"armeabi_v7a", "arm64_v8a", "x86", "x86_64"})
_LINUX = re.compile(r"(?P<libc>(many|musl))linux_(\d+)_(\d+)_(?P<arch>.*)")
_JOINT_LINUX_ARCHES = frozenset(
    {"x86_64", "i686", "aarch64", "armv7l", "ppc64le", "s390x", "riscv64"}
)
_MANYLINUX_ARCHES = _JOINT_LINUX_ARCHES | {"ppc64"}
_PYEMSCRIPTEN = re.compile(r"pyemscripten_(?P<major>\d+)_(?P<minor>\d+)_wasm32")
# A zip that unpacks to more than this many times its size is taken for a zip bomb.
COMPRESSION_RATIO_MIN_SIZE = 64 * ONE_MIB
COMPRESSION_RATIO_THRESHOLD = 50
_DIST_FILE = re.compile(r".+?(?P<extension>\.(tar\.gz|zip|whl))$", re.IGNORECASE)
_ENTRY_POINT_NAME = re.compile(r"[\w.-]+")


def valid_platform_tag(tag: str) -> bool:
    """True if PyPI accepts a wheel with platform tag ``tag``."""
    if tag in _ALLOWED_PLATFORMS:
        return True
    m = _MACOSX.match(tag)
    if m and m["major"] == "10" and m["arch"] in _MACOSX_ARCHES:
        return True
    if m and m["major"] in _MACOSX_MAJORS and m["minor"] == "0" and m["arch"] in _MACOSX_ARCHES:
        return True
    m = _LINUX.match(tag)
    if m:
        return m["arch"] in (_MANYLINUX_ARCHES if m["libc"] == "many" else _JOINT_LINUX_ARCHES)
    m = _IOS.match(tag)
    if m and m["arch"] in _IOS_ARCHES:
        return True
    m = _ANDROID.match(tag)
    if m and m["arch"] in _ANDROID_ARCHES:
        return True
    return bool(_PYEMSCRIPTEN.match(tag))


@rule(
    "pypi-filename-invalid",
    "Invalid file extension: Use .tar.gz, .whl or .zip extension. / Cannot upload a file "
    "with '/' or '\\' in the name.",
    "Upload only what build makes: {name}-{version}.tar.gz and wheels (.whl).",
)
def filename_valid(release: Release) -> Iterator[Finding]:
    for contents in release.files:
        name = contents.filename
        if any(ord(c) < 32 or ord(c) == 127 for c in name):
            yield Finding(
                name,
                "Cannot upload a file with non-printable characters (ordinals 0-31) or the "
                "DEL character (ordinal 127) in the name.",
            )
        elif not _DIST_FILE.match(name):
            yield Finding(
                name,
                "Invalid file extension: Use .tar.gz, .whl or .zip extension. See "
                "https://www.python.org/dev/peps/pep-0527 and "
                "https://peps.python.org/pep-0715/ for more information",
            )


@rule(
    "pypi-archive-invalid",
    "Invalid distribution file. (not a zip/tar, no WHEEL or PKG-INFO, sparse members, "
    "unknown compression, one top-level directory)",
    "Rebuild the file with a standard build backend (python -m build); do not repack it.",
)
def archive_valid(release: Release) -> Iterator[Finding]:
    for contents in release.files:
        problem = _archive_problem(contents)
        if problem:
            yield Finding(contents.filename, f"Invalid distribution file. {problem}")


def has_dist_info(contents: ArtifactContents) -> bool:
    """True if the wheel has the .dist-info directory its filename names."""
    prefix = contents.dist_info + "/"
    return any(name.startswith(prefix) for name in contents.names)


def _archive_problem(contents: ArtifactContents) -> str:
    if contents.unreadable:
        return contents.unreadable
    size = contents.artifact.size
    if (
        contents.unpacked_size > COMPRESSION_RATIO_MIN_SIZE
        and contents.unpacked_size / max(size, 1) > COMPRESSION_RATIO_THRESHOLD
    ):
        return f"File exceeds compression ratio of {COMPRESSION_RATIO_THRESHOLD}"
    if contents.bad_compression:
        return "File does not use a supported compression type"
    if contents.sparse:
        return (
            "tar archive not accepted: Sparse members are not allowed. "
            "See https://docs.pypi.org/archives for more information"
        )
    if contents.is_wheel:
        if not has_dist_info(contents):
            return ""  # pypi-dist-info-name says it
        if f"{contents.dist_info}/WHEEL" not in contents.members:
            return f"WHEEL not found at {contents.dist_info}/WHEEL"
        return ""
    if contents.top_level in (".", "/", ""):
        return "Incorrect number of top-level directories in sdist"
    return ""


@rule(
    "pypi-sdist-filename",
    "Filename 'X' is invalid, should be '{normalized_name}-{version}.tar.gz'.",
    "Build the sdist with a PEP 625 backend (setuptools>=69.3, hatchling, flit, "
    "pdm-backend, maturin ...): its name is lowercase with underscores, and .tar.gz.",
)
def sdist_filename(release: Release) -> Iterator[Finding]:
    from packaging.utils import canonicalize_name

    for contents in release.sdists:
        if contents.metadata is None:
            continue  # no valid metadata to compare with: reported elsewhere
        name = canonicalize_name(contents.metadata.name).replace("-", "_")
        expected = f"{name}-{contents.metadata.version}.tar.gz"
        if contents.filename != expected:
            yield Finding(
                contents.filename,
                f"Filename {contents.filename!r} is invalid, should be {expected!r}.",
            )


@rule(
    "pypi-wheel-filename",
    "Filename 'X' should contain the normalized project name 'N', not 'M'. / Version in "
    "filename should be 'V' not 'W'.",
    "Rebuild the wheel: its name and version must be the metadata's, normalised.",
)
def wheel_filename(release: Release) -> Iterator[Finding]:
    from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename

    for contents in release.wheels:
        try:
            name, version, _, _ = parse_wheel_filename(contents.filename)
        except InvalidWheelFilename as exc:
            yield Finding(contents.filename, str(exc))
            continue
        if contents.metadata is None:
            continue
        canonical = canonicalize_name(contents.metadata.name)
        normalized = canonical.replace("-", "_")
        written = contents.filename.split("-", 1)[0]
        if canonical != name:
            yield Finding(
                contents.filename,
                f"Start filename for {contents.metadata.name!r} with {normalized!r}.",
            )
        elif written != normalized:
            yield Finding(
                contents.filename,
                f"Filename {contents.filename!r} should contain the normalized project name "
                f"{normalized!r}, not {written!r}.",
            )
        if contents.metadata.version != version:
            yield Finding(
                contents.filename,
                f"Version in filename should be {str(contents.metadata.version)!r} not "
                f"{str(version)!r}.",
            )


@rule(
    "pypi-platform-tag",
    "Binary wheel 'F' has an unsupported platform tag 'T'.",
    "Repair Linux wheels to manylinux/musllinux (auditwheel repair, or cibuildwheel); "
    "build macOS/Windows wheels with their standard tags.",
)
def platform_tags(release: Release) -> Iterator[Finding]:
    from packaging.utils import InvalidWheelFilename, parse_wheel_filename

    for contents in release.wheels:
        try:
            tags = parse_wheel_filename(contents.filename)[3]
        except InvalidWheelFilename:
            continue  # pypi-wheel-filename says it
        for platform in sorted({tag.platform for tag in tags}):
            if not valid_platform_tag(platform):
                yield Finding(
                    contents.filename,
                    f"Binary wheel '{contents.filename}' has an unsupported platform tag "
                    f"'{platform}'.",
                )


@rule(
    "pypi-one-sdist",
    "Only one sdist may be uploaded per release.",
    "Keep one sdist in the output directory; if the index already has one for this "
    "version, upload only wheels (or release a new version).",
)
def one_sdist(release: Release) -> Iterator[Finding]:
    from releasekit.rules.project import files_of_version

    local = [c.filename for c in release.sdists]
    if len(local) > 1:
        yield Finding("", f"Only one sdist may be uploaded per release ({', '.join(local)}).")
    on_index = [
        f.filename
        for f in files_of_version(release)
        if not f.filename.endswith(".whl") and f.filename not in local
    ]
    if local and on_index:
        yield Finding(
            local[0],
            f"Only one sdist may be uploaded per release (the index has {', '.join(on_index)}).",
        )


@rule(
    "pypi-wheel-record",
    "Wheel 'F' does not contain the required RECORD file: N-V.dist-info/RECORD",
    "Rebuild the wheel with a standard backend; never edit a wheel without rewriting RECORD.",
)
def wheel_record(release: Release) -> Iterator[Finding]:
    for contents in release.wheels:
        if contents.unreadable or f"{contents.dist_info}/WHEEL" not in contents.members:
            continue  # pypi-archive-invalid says it
        record = f"{contents.dist_info}/RECORD"
        if record not in contents.members:
            yield Finding(
                contents.filename,
                f"Wheel '{contents.filename}' does not contain the required RECORD file: {record}",
            )


@rule(
    "pypi-wheel-record-mismatch",
    "(PyPI accepts the wheel, then e-mails the owners that RECORD and the archive differ)",
    "Rebuild the wheel; a RECORD that does not list the archive's files breaks installers.",
    severity="warning",
)
def wheel_record_consistent(release: Release) -> Iterator[Finding]:
    for contents in release.wheels:
        record = contents.files.get(f"{contents.dist_info}/RECORD")
        if record is None:
            continue
        exempt = {f"{contents.dist_info}/RECORD.jws", f"{contents.dist_info}/RECORD.p7s"}
        try:
            listed = {
                row[0].replace("\\", "/") for row in csv.reader(record.decode().splitlines()) if row
            }
        except (UnicodeError, csv.Error):
            yield Finding(contents.filename, f"{contents.dist_info}/RECORD cannot be read")
            continue
        present = {n for n in contents.names if not n.endswith(("/", "\\")) and n not in exempt}
        missing, extra = sorted(present - listed), sorted(listed - present)
        if missing or extra:
            said = [f"not in RECORD: {', '.join(missing[:5])}"] if missing else []
            said += [f"in RECORD but not in the wheel: {', '.join(extra[:5])}"] if extra else []
            yield Finding(
                contents.filename, "RECORD does not match the wheel (" + "; ".join(said) + ")"
            )


@rule(
    "pypi-dist-info-name",
    "Wheel 'F' does not contain the required METADATA file: N-V.dist-info/METADATA",
    "The .dist-info directory must be named like the wheel ({name}-{version}.dist-info); "
    "rebuild, do not rename wheels.",
)
def dist_info_name(release: Release) -> Iterator[Finding]:
    for contents in release.wheels:
        if contents.unreadable:
            continue
        found = sorted(
            {
                n.split("/", 1)[0]
                for n in contents.names
                if n.split("/", 1)[0].endswith(".dist-info")
            }
        )
        if contents.dist_info not in found:
            yield Finding(
                contents.filename,
                f"Wheel '{contents.filename}' does not contain the required METADATA file: "
                f"{contents.metadata_path} (its .dist-info is {', '.join(found) or 'missing'})",
            )


class _CaseSensitiveParser(configparser.ConfigParser):
    """Entry point names keep their case (ConfigParser lowercases keys)."""

    def optionxform(self, optionstr: str) -> str:
        return optionstr


@rule(
    "pypi-entry-points",
    "Wheel 'F' has invalid entry points defined in the entry_points.txt file",
    "Fix [project.scripts] / entry points: names of letters, digits, '.', '_', '-'.",
)
def entry_points(release: Release) -> Iterator[Finding]:
    for contents in release.wheels:
        data = contents.files.get(f"{contents.dist_info}/entry_points.txt")
        if data is None:
            continue
        parser = _CaseSensitiveParser(delimiters=("=",), interpolation=None)
        try:
            parser.read_string(data.decode())
            bad = [
                name
                for section in ("console_scripts", "gui_scripts")
                if parser.has_section(section)
                for name in parser[section]
                if not _ENTRY_POINT_NAME.fullmatch(name)
            ]
        except (UnicodeError, configparser.Error):
            bad = ["(entry_points.txt is not a valid INI file)"]
        if bad:
            yield Finding(
                contents.filename,
                f"Wheel '{contents.filename}' has invalid entry points defined in the "
                f"entry_points.txt file: {', '.join(bad)}",
            )


@rule(
    "pypi-file-size",
    "File too large. Limit for project 'P' is 100 MB.",
    "Make the file smaller, or ask PyPI for a larger limit and set max-file-size to it.",
)
def file_size(release: Release) -> Iterator[Finding]:
    for contents in release.files:
        if contents.artifact.size > release.max_file_size:
            yield Finding(
                contents.filename,
                f"File too large. Limit for project {release.name!r} is "
                f"{release.max_file_size // ONE_MIB} MB (the file has "
                f"{contents.artifact.size / ONE_MIB:.1f} MiB).",
            )
