"""More routines for operating on iterables, beyond itertools"""

from .more import *  # noqa

__version__ = '1.2.3'
