__all__ = ['first']


def first(iterable):
    return next(iter(iterable))
