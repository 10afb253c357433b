"""acme-demo: says hello."""

__version__ = "0.4.1"


def hello() -> str:
    return "hello from acme-demo"
