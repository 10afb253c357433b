"""Backoff."""

__all__ = ["on_exception"]

__version__ = "1.2.3"


def on_exception():
    pass
