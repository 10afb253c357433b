"""Python 2 and 3 compatibility."""

__version__ = "1.2.3"
