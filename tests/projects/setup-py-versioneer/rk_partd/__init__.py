"""Appendable key-value storage."""

from ._version import get_versions

__version__ = get_versions()["version"]
