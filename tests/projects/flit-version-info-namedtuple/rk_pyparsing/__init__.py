"""A parsing module."""

from typing import NamedTuple


class version_info(NamedTuple):
    major: int
    minor: int
    micro: int
    releaselevel: str
    serial: int

    @property
    def __version__(self):
        return f"{self.major}.{self.minor}.{self.micro}" + (
            f"{'r' if self.releaselevel[0] == 'c' else ''}{self.releaselevel[0]}{self.serial}"
            if self.releaselevel != "final"
            else ""
        )


__version_info__ = version_info(1, 2, 3, "final", 1)
__version_time__ = "01 May 2024 00:00 UTC"
__version__ = __version_info__.__version__
