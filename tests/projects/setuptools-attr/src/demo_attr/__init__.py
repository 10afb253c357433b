"""Demo."""

__version__ = "1.2.3"
OTHER = "1.2.3"
