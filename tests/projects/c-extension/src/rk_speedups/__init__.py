__version__ = "1.2.3"

try:
    from ._speedups import answer
except ImportError:
    from ._native import answer

__all__ = ['answer']
