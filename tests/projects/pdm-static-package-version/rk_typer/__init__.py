"""Typer, build great CLIs."""

__version__ = "1.2.3"
