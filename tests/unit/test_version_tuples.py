"""Version tuples read and rewritten in each file's own form (version_tuples.py)."""

from __future__ import annotations

import re

import pytest
from packaging.version import Version

from releasekit.errors import ProjectError
from releasekit.version_files import _VERSION_TUPLE
from releasekit.version_tuples import VersionTuple, level_words

# markdown's __meta__.py names its levels in an assert; pyparsing's namedtuple names none.
MARKDOWN_WORDS = frozenset({"dev", "alpha", "beta", "rc", "final"})
NONE = frozenset[str]()


@pytest.mark.parametrize(
    ("line", "contents"),
    [
        ("version_info = (1, 2, 3)", "1, 2, 3"),
        ("__version_info__ = (3, 7, 0, 'final', 0)", "3, 7, 0, 'final', 0"),
        ('__version_info__ = version_info(3, 3, 3, "final", 1)', '3, 3, 3, "final", 1'),
        ('__version_info__ = ("2", "5", "2")', '"2", "5", "2"'),
        ('VERSION_TUPLE: tuple[int, ...] = (1, 3, 0, "rc1")', '1, 3, 0, "rc1"'),
    ],
)
def test_each_form_of_a_version_tuple_is_found(line: str, contents: str) -> None:
    match = _VERSION_TUPLE.search(line)
    assert match is not None
    assert match["version"] == contents


@pytest.mark.parametrize(
    ("contents", "version"),
    [
        ("1, 2, 3", "1.2.3"),
        ("3, 7, 0, 'final', 0", "3.7.0"),
        ('3, 3, 3, "final", 1', "3.3.3"),
        ("1, 2, 0, 'beta', 2", "1.2.0b2"),
        ("1, 1, 2, 'dev', 0", "1.1.2.dev0"),
        ('1, 3, 0, "candidate", 1', "1.3.0rc1"),
        ('"2", "5", "2"', "2.5.2"),
        ('"2", "6", "0", "rc1"', "2.6.0rc1"),
        ('"2", "6", "0", "dev1"', "2.6.0.dev1"),
    ],
)
def test_a_tuple_says_the_version_its_project_computes_from_it(contents: str, version: str) -> None:
    assert VersionTuple.parse(contents).version() == version


@pytest.mark.parametrize(
    ("contents", "new", "words", "written"),
    [
        ("1, 2, 3", "1.2.4", NONE, "1, 2, 4"),
        ("1,2,3", "1.3.0rc1", NONE, '1,3,0,"rc1"'),
        ("3, 7, 0, 'final', 0", "3.8", MARKDOWN_WORDS, "3, 8, 0, 'final', 0"),
        ("3, 7, 0, 'final', 0", "3.8rc1", MARKDOWN_WORDS, "3, 8, 0, 'rc', 1"),
        ("3, 7, 0, 'final', 0", "3.8b2", MARKDOWN_WORDS, "3, 8, 0, 'beta', 2"),
        ("3, 7, 0, 'final', 0", "3.8.dev1", MARKDOWN_WORDS, "3, 8, 0, 'dev', 1"),
        ("3, 8, 0, 'rc', 1", "3.8.0", MARKDOWN_WORDS, "3, 8, 0, 'final', 0"),
        # pyparsing keeps serial 1 on its final releases; its namedtuple says 'candidate'.
        ('3, 3, 3, "final", 1', "3.3.4", NONE, '3, 3, 4, "final", 1'),
        ('3, 3, 3, "final", 1', "3.4.0rc1", NONE, '3, 4, 0, "candidate", 1'),
        ('"2", "5", "2"', "2.5.3", NONE, '"2", "5", "3"'),
        ("'2', '5', '2'", "2.6.0rc1", NONE, "'2', '6', '0', 'rc1'"),
    ],
)
def test_a_tuple_is_rewritten_in_its_own_form(
    contents: str, new: str, words: frozenset[str], written: str
) -> None:
    tuple_ = VersionTuple.parse(contents)
    assert tuple_.render(new, "__version_info__ in x.py", words) == written
    assert Version(VersionTuple.parse(written).version()) == Version(new)


@pytest.mark.parametrize(
    ("contents", "new", "words", "why"),
    [
        ("3, 7, 0, 'final', 0", "3.7.1.post1", MARKDOWN_WORDS, "post-release"),
        ("3, 7, 0, 'final', 0", "3.8rc1.dev1", MARKDOWN_WORDS, "not both"),
        ('3, 3, 3, "final", 1', "3.4.0.dev1", NONE, "no 'dev'"),
        ("1, 2, 3", "1.2.3.4", NONE, "3 numbers"),
        ("1, 2, 3", "1!1.2.4", NONE, "epoch"),
    ],
)
def test_a_version_the_tuple_cannot_say_is_refused_naming_the_tuple(
    contents: str, new: str, words: frozenset[str], why: str
) -> None:
    with pytest.raises(ProjectError) as raised:
        VersionTuple.parse(contents).render(new, "__version_info__ in x.py", words)
    assert f"__version_info__ in x.py cannot say {new}" in raised.value.message
    assert why in raised.value.message


@pytest.mark.parametrize("contents", ["3, 'x'", "1, 2, 3, 4, 5, 6", "1, '2', 3", "1, 2, [3]"])
def test_what_is_no_version_tuple_is_not_taken_for_one(contents: str) -> None:
    with pytest.raises(ValueError, match="tuple"):
        VersionTuple.parse(contents)


def test_the_level_words_are_the_string_literals_a_file_writes() -> None:
    text = "assert version_info[3] in ('dev', 'alpha', 'beta', 'rc', 'final')\nx = 'other'"
    assert level_words(text) == MARKDOWN_WORDS
    assert not re.search("candidate", "".join(level_words(text)))
