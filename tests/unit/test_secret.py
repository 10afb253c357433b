"""A credential held so that it never shows: not in str, repr, f-strings, logs or pickles."""

from __future__ import annotations

import logging
import pickle

import pytest

from releasekit.secret import Secret

PLANTED = "pypi-PLANTED-SECRET-0123456789"


def test_secret_never_shows_its_value(caplog: pytest.LogCaptureFixture) -> None:
    secret = Secret(PLANTED)
    logging.getLogger("t").warning("token %s %r", secret, secret)
    shown = [str(secret), repr(secret), f"{secret}", f"{secret!r}", str([secret]), caplog.text]
    assert all(PLANTED not in text for text in shown)
    assert secret.reveal() == PLANTED
    with pytest.raises(TypeError):
        pickle.dumps(secret)
