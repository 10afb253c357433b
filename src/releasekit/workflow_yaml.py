"""A reader for the block-style YAML that CI workflows are written in.

releasekit needs to read one kind of file (a GitHub workflow) a few ways; this reader
does that without a YAML library. See :func:`read_workflow_yaml` for what it handles.
"""

from __future__ import annotations

import itertools
import json
import re
from typing import Any


class WorkflowSyntaxError(ValueError):
    """The workflow file is not YAML that :func:`read_workflow_yaml` can read."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line


_KEY = re.compile(
    r"""(?:"(?P<dq>(?:[^"\\]|\\.)*)"|'(?P<sq>(?:[^']|'')*)'|(?P<plain>[^\s"'#\[\]{},&*!|>%@`?][^:]*?))"""
    r"""[ \t]*:(?:[ \t]+(?P<rest>.*))?$"""
)


def _strip_comment(line: str) -> str:
    """``line`` without its comment; a quote opens a string only where a value starts."""
    quote = ""
    previous = " "
    for index, char in enumerate(line):
        if quote:
            if char == quote and not (quote == '"' and line[index - 1] == "\\"):
                quote = ""
        elif char in "\"'" and previous in " :-[{,":
            quote = char
        elif char == "#" and previous in " \t":
            return line[:index].rstrip()
        previous = char
    return line.rstrip()


def _is_item(text: str) -> bool:
    return text == "-" or text.startswith("- ")


def _flow_items(text: str, line: int) -> list[str]:
    """The items of a one-line flow collection's body, split at top-level commas."""
    items, current, quote = [], "", ""
    for char in text:
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char in "[]{}":
            raise WorkflowSyntaxError(line, "nested flow collections are not supported")
        elif char == ",":
            items.append(current.strip())
            current = ""
            continue
        current += char
    if current.strip():
        items.append(current.strip())
    return items


_PROPERTIES = re.compile(r"^(?:[&!]\S*(?:[ \t]+|$))+")  # anchors (&name) and tags (!!str)
_ALIAS = re.compile(r"\*[^\s\[\]{},]+")


def _scalar(text: str, line: int) -> Any:
    text = _PROPERTIES.sub("", text.strip())
    if text.startswith("'"):
        if len(text) < 2 or not text.endswith("'"):
            raise WorkflowSyntaxError(line, "a quoted string spanning lines is not supported")
        return text[1:-1].replace("''", "'")
    if text.startswith('"'):
        if len(text) < 2 or not text.endswith('"'):
            raise WorkflowSyntaxError(line, "a quoted string spanning lines is not supported")
        return _double_quoted(text[1:-1])
    if text.startswith("["):
        if not text.endswith("]"):
            raise WorkflowSyntaxError(line, "a flow sequence spanning lines is not supported")
        return [_scalar(item, line) for item in _flow_items(text[1:-1], line)]
    if text.startswith("{"):
        if not text.endswith("}"):
            raise WorkflowSyntaxError(line, "a flow mapping spanning lines is not supported")
        mapping = {}
        for item in _flow_items(text[1:-1], line):
            match = _KEY.fullmatch(item)
            if not match:
                raise WorkflowSyntaxError(line, f"{item!r} is not 'key: value'")
            mapping[_key(match)] = _scalar(match["rest"] or "", line) if match["rest"] else None
        return mapping
    return text


def _double_quoted(body: str) -> str:
    """A double-quoted scalar's body, its escapes read (JSON's; others left as written)."""
    try:
        value: str = json.loads('"' + body + '"')
    except ValueError:
        return body
    return value


def _key(match: re.Match[str]) -> str:
    if match["dq"] is not None:
        return _double_quoted(match["dq"])
    if match["sq"] is not None:
        return match["sq"].replace("''", "'")
    return match["plain"].strip()


class _Reader:
    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.position = 0
        # "- key: value" is read as a mapping that starts at the key's column.
        self.virtual: dict[int, tuple[int, str]] = {}
        # Anchors, aliases or merge keys were seen: values may live elsewhere.
        self.references = False

    def peek(self) -> tuple[int, str] | None:
        """The next line that holds structure: (indent, text without comment)."""
        while self.position < len(self.lines):
            if self.position in self.virtual:
                return self.virtual[self.position]
            raw = self.lines[self.position]
            text = _strip_comment(raw)
            stripped = text.strip()
            if not stripped or (text.startswith(("---", "...")) and stripped in ("---", "...")):
                self.position += 1
                continue
            indent = len(text) - len(text.lstrip(" "))
            if text[indent] == "\t":
                raise WorkflowSyntaxError(self.position + 1, "tabs are not allowed for indenting")
            return indent, stripped
        return None

    def advance(self) -> int:
        self.virtual.pop(self.position, None)
        self.position += 1
        return self.position  # the 1-based number of the line just read

    def node(self, indent: int) -> Any:
        peeked = self.peek()
        if peeked is None or peeked[0] < indent:
            return None
        column, text = peeked
        if _is_item(text):
            return self.sequence(column)
        if _KEY.fullmatch(text):
            return self.mapping(column)
        line = self.advance()
        return self.continued(_scalar(text, line), column - 1)

    def continued(self, value: Any, indent: int) -> Any:
        """A plain scalar folded over the following, more indented, lines."""
        while (peeked := self.peek()) is not None and peeked[0] > indent:
            if not isinstance(value, str) or _KEY.fullmatch(peeked[1]) or _is_item(peeked[1]):
                raise WorkflowSyntaxError(self.position + 1, "unexpected indentation")
            value += " " + peeked[1]
            self.advance()
        return value

    def mapping(self, indent: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        while (peeked := self.peek()) is not None and peeked[0] == indent:
            match = _KEY.fullmatch(peeked[1])
            if _is_item(peeked[1]) or not match:
                raise WorkflowSyntaxError(self.position + 1, "expected 'key: value' here")
            line = self.advance()
            rest = self.properties(match["rest"] or "")
            self.references |= _key(match) == "<<"
            if not rest:
                following = self.peek()
                nested = following is not None and (
                    following[0] > indent or (following[0] == indent and _is_item(following[1]))
                )
                value = self.node(following[0]) if following and nested else None
            elif rest[0] in "|>":
                value = self.block_scalar(indent, rest, line)
            else:
                value = self.continued(_scalar(rest, line), indent)
            result[_key(match)] = value
        peeked = self.peek()
        if peeked is not None and peeked[0] > indent:
            raise WorkflowSyntaxError(self.position + 1, "unexpected indentation")
        return result

    def sequence(self, indent: int) -> list[Any]:
        result: list[Any] = []
        while (peeked := self.peek()) is not None and peeked[0] == indent and _is_item(peeked[1]):
            after = peeked[1][1:]
            text = self.properties(after)
            column = indent + 1 + len(after) - len(after.lstrip(" "))
            if not text:
                self.advance()
                following = self.peek()
                deeper = following is not None and following[0] > indent
                result.append(self.node(following[0]) if following and deeper else None)
            elif _is_item(text) or _KEY.fullmatch(text):
                self.virtual[self.position] = (column, text)
                result.append(self.node(column))
            else:
                line = self.advance()
                if text[0] in "|>":
                    result.append(self.block_scalar(indent, text, line))
                else:
                    result.append(self.continued(_scalar(text, line), indent))
        return result

    def properties(self, text: str) -> str:
        """``text`` without anchors and tags; noting anchors and aliases."""
        text = text.strip()
        without = _PROPERTIES.sub("", text)
        anchored = "&" in text[: len(text) - len(without)]
        self.references |= anchored or bool(_ALIAS.fullmatch(without))
        return without

    def block_scalar(self, indent: int, header: str, line: int) -> str:
        """A ``|`` or ``>`` scalar: the following lines indented deeper than ``indent``."""
        if not re.fullmatch(r"[|>][0-9]?[-+]?|[|>][-+][0-9]?", header.strip()):
            raise WorkflowSyntaxError(line, f"unsupported block scalar header {header!r}")
        body: list[str] = []
        while self.position < len(self.lines):
            raw = self.lines[self.position]
            if raw.strip() and len(raw) - len(raw.lstrip(" ")) <= indent:
                break
            body.append(raw)
            self.position += 1
        while body and not body[-1].strip():
            body.pop()
        width = min((len(b) - len(b.lstrip(" ")) for b in body if b.strip()), default=0)
        lines = [b[width:] if b.strip() else "" for b in body]
        text = _fold(lines) if header.startswith(">") else "\n".join(lines)
        return text if "-" in header or not lines else text + "\n"


def _fold(lines: list[str]) -> str:
    """The lines of a ``>`` scalar folded: a break between two lines becomes a space, an
    empty line a break; lines indented more than the first keep their breaks."""
    leading = next((i for i, line in enumerate(lines) if line), len(lines))
    lines = lines[leading:]
    text = "\n" * leading + (lines[0] if lines else "")
    for previous, line in itertools.pairwise(lines):
        if not line:
            text += "\n"
        elif not previous:
            text += line
        elif previous[0] == " " or line[0] == " ":
            text += "\n" + line
        else:
            text += " " + line
    return text


def read_workflow_yaml(text: str, notes: list[str] | None = None) -> Any:
    """Read the block-style YAML of a CI workflow into dicts, lists and strings.

    Every scalar stays a string (``true`` is ``"true"``); ``on:`` is the key ``"on"``.
    Handled: nested mappings and sequences (also a sequence at its key's indentation),
    ``- key: value`` items, comments, plain, single- and double-quoted scalars, plain
    scalars folded over several lines, ``|`` and ``>`` block scalars, one-line flow
    sequences and mappings (``[a, b]``, ``{a: b}``), tags and anchors (skipped).
    Not handled (raises :class:`WorkflowSyntaxError` or reads them as plain text):
    aliases and merge keys (``*name``, ``<<:``), quoted or flow scalars spanning lines,
    nested flow collections, complex keys (``? ``), several documents, tab indentation.
    When the text uses anchors, aliases or merge keys, a sentence saying so is added to
    ``notes``.
    """
    reader = _Reader(text)
    document = reader.node(0)
    if reader.peek() is not None:
        raise WorkflowSyntaxError(reader.position + 1, "unexpected text after the document")
    if reader.references and notes is not None:
        notes.append(
            "the workflow uses YAML anchors, aliases or merge keys, which releasekit does not "
            "follow: check what it reports against the file"
        )
    return document
