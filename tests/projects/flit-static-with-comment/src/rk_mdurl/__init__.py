__all__ = ("decode",)
__version__ = "1.2.3"  # DO NOT EDIT THIS LINE MANUALLY. LET bump2version UTILITY DO IT


def decode(url):
    return url
