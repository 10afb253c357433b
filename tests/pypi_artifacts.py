"""Crafted wheels and sdists for the PyPI upload rules: a good pair, and knobs to break it."""

from __future__ import annotations

import base64
import hashlib
import io
import tarfile
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path

NAME, VERSION = "demo-pkg", "1.0"
Fields = Sequence[tuple[str, str]]

GOOD_FIELDS: Fields = (
    ("Metadata-Version", "2.4"),
    ("Name", NAME),
    ("Version", VERSION),
    ("Summary", "A demo package"),
    ("License-Expression", "MIT"),
    ("License-File", "LICENSE"),
    ("Classifier", "Programming Language :: Python :: 3"),
    ("Requires-Dist", "packaging>=24"),
    ("Requires-Python", ">=3.10"),
    ("Project-URL", "Source, https://example.org/demo"),
    ("Description-Content-Type", "text/markdown"),
)


def fields(
    *, drop: Sequence[str] = (), set: Mapping[str, str] | None = None, add: Fields = ()
) -> Fields:
    """GOOD_FIELDS with fields dropped, replaced (``set``) or added."""
    replaced = dict(set or {})
    kept = [(k, replaced.pop(k, v)) for k, v in GOOD_FIELDS if k not in drop]
    return (*kept, *replaced.items(), *add)


def metadata_text(meta: Fields) -> str:
    return "".join(f"{key}: {value}\n" for key, value in meta) + "\n# Demo\n"


def wheel(
    directory: Path,
    *,
    meta: Fields = GOOD_FIELDS,
    filename: str = "",
    dist_info: str = "",
    tag: str = "py3-none-any",
    record: str = "ok",  # "ok", "missing" or "stale" (a file not listed)
    license_file: bool = True,
    wheel_file: bool = True,
    extra: Mapping[str, str] | None = None,
) -> Path:
    stem = f"{NAME.replace('-', '_')}-{VERSION}"
    path = directory / (filename or f"{stem}-{tag}.whl")
    dist_info = dist_info or f"{stem}.dist-info"
    files = {"demo_pkg/__init__.py": "", f"{dist_info}/METADATA": metadata_text(meta)}
    if wheel_file:
        files[f"{dist_info}/WHEEL"] = f"Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: {tag}\n"
    if license_file:
        files[f"{dist_info}/licenses/LICENSE"] = "MIT License\n"
    files.update(extra or {})
    listed = dict(files)
    if record == "stale":
        listed.pop("demo_pkg/__init__.py")
    if record != "missing":
        rows = "".join(
            f"{name},sha256={_digest(text)},{len(text)}\n" for name, text in listed.items()
        )
        files[f"{dist_info}/RECORD"] = rows + f"{dist_info}/RECORD,,\n"
    directory.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return path


def sdist(
    directory: Path,
    *,
    meta: Fields = GOOD_FIELDS,
    filename: str = "",
    top: str = "",
    pkg_info: bool = True,
    license_file: bool = True,
    extra_top_level: bool = False,
) -> Path:
    stem = f"{NAME.replace('-', '_')}-{VERSION}"
    path = directory / (filename or f"{stem}.tar.gz")
    top = top or stem
    files = {f"{top}/pyproject.toml": f'[project]\nname = "{NAME}"\nversion = "{VERSION}"\n'}
    if pkg_info:
        files[f"{top}/PKG-INFO"] = metadata_text(meta)
    if license_file:
        files[f"{top}/LICENSE"] = "MIT License\n"
    if extra_top_level:
        files["other/setup.py"] = ""
    directory.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, "w:gz") as archive:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def _digest(text: str) -> str:
    digest = hashlib.sha256(text.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
