"""Internationalized domain names."""

from .package_data import __version__

__all__ = ['__version__']
