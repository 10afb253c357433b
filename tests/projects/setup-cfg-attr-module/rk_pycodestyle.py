"""Check Python source code formatting."""

__version__ = '1.2.3'
