""" "Did you mean ...?" for names a user types: configuration keys, version parts,
commands, repository names, RELEASEKIT_* variables. One close match or none (difflib),
so a typo gets the one name meant instead of a list of forty."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def closest(word: str, candidates: Iterable[str], *, cutoff: float = 0.75) -> str:
    """The candidate ``word`` most likely misspells; "" when none is close enough."""
    matches = difflib.get_close_matches(word, list(candidates), n=1, cutoff=cutoff)
    return matches[0] if matches else ""


def did_you_mean(word: str, candidates: Iterable[str], *, cutoff: float = 0.75) -> str:
    """`` (did you mean 'x'?)`` for the closest candidate, or ""."""
    match = closest(word, candidates, cutoff=cutoff)
    return f" (did you mean {match!r}?)" if match else ""
