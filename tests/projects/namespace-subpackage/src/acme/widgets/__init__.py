"""Widgets of acme (acme is a namespace package: it has no __init__.py)."""

__version__ = "1.2.3"
__version_info__ = (1, 2, 3)
# Not the version: left alone by the bump.
MIN_PYTHON = (3, 10)
version_info = (3, 10)
