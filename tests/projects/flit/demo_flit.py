"""A flit module."""

__version__ = "1.2.3"
