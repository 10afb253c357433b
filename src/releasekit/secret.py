"""A credential held so that it never shows: a password, a token from the keyring or
``.pypirc``, an upload token minted by trusted publishing. Its own module, below both
:mod:`releasekit.credentials` (which finds them) and :mod:`releasekit.trust` (which mints
them)."""

from __future__ import annotations


class Secret:
    """A credential. Printing, formatting or logging it shows ``'********'``."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The value itself: only for the environment of the process that needs it."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("a Secret cannot be pickled")

    def __bool__(self) -> bool:
        return bool(self._value)
