"""A flit project whose version is computed from a version_info tuple."""

version_info = (1, 2, 3)
__version__ = ".".join(str(part) for part in version_info)
