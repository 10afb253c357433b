"""Sorted containers."""

__title__ = 'rk-sortedcontainers'
__version__ = '1.2.3'
