"""TOML (`+++`, as Hugo writes it) and JSON (`{ ... }`) front matter, read with python-frontmatter.

python-frontmatter's handlers find the block and parse it; the parsed values are turned into the
YAML nodes validate.py checks, each field's node marked with its line in the block (found by
scanning for `key =` / `"key":`), so every field rule and message is the same as for YAML.
Its TOMLHandler needs the third-party `toml` package: ours uses the stdlib tomllib instead.
frontmatter costs ~12 ms to import, so this module is only imported for a `+++` or `{` draft.
"""

from __future__ import annotations

import json
import re
import tomllib
from datetime import date, datetime, time
from typing import Any

from frontmatter.default_handlers import BaseHandler, JSONHandler
from yaml.error import Mark
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

_Y = "tag:yaml.org,2002:"


class TomlHandler(BaseHandler):
    """python-frontmatter's TOMLHandler boundary, parsed with tomllib (Python >= 3.11)."""

    FM_BOUNDARY = re.compile(r"^\+{3,}\s*$", re.MULTILINE)
    START_DELIMITER = END_DELIMITER = "+++"

    def load(self, fm: str) -> dict[str, Any]:
        return tomllib.loads(fm)


HANDLERS: dict[str, BaseHandler] = {"TOML": TomlHandler(), "JSON": JSONHandler()}
CLOSING = {"TOML": "+++", "JSON": "}"}


class MatterError(Exception):
    """A syntax error: `line` counts from 0 at the block text's first line (None: unknown)."""

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


def format_of(first_line: str) -> str | None:
    """ "TOML" or "JSON" when the draft's first line opens such a block, else None."""
    for name, handler in HANDLERS.items():
        assert handler.FM_BOUNDARY is not None
        if handler.detect(first_line) and first_line.strip() != "}":
            return name
    return None


def block(fmt: str, text: str) -> tuple[str, int, int] | None:
    """(metadata text, its offset in `text`, offset of the closing line) or None when unclosed.

    `text` starts at the opening line. The metadata text is what the handler's split() gives."""
    handler = HANDLERS[fmt]
    assert handler.FM_BOUNDARY is not None
    opening = handler.FM_BOUNDARY.match(text)
    closing = handler.FM_BOUNDARY.search(text, opening.end()) if opening else None
    if opening is None or closing is None:
        return None
    fm, _ = handler.split(text)
    start = 0 if fmt == "JSON" else opening.end()  # JSONHandler puts the braces back
    return fm, start, closing.start()


_TOML_HINTS = (
    ("Invalid value", 'put text in quotes, e.g. title = "My post"'),
    ("Expected '=' after a key", "each line must be `field = value`"),
    ("Cannot overwrite a value", "a field is given twice; keep one"),
    ("Cannot declare", "a field is given twice; keep one"),
    ("Unterminated string", "a quote is probably not closed"),
)
_JSON_HINTS = (
    ("Expecting property name", 'put field names in double quotes; remove a comma before "}"'),
    ("Expecting ',' delimiter", "separate the fields with commas"),
    ("Expecting value", "put text in double quotes; remove a trailing comma"),
    ("Unterminated string", "a quote is probably not closed"),
)
_TOML_PLACE = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")


def _hint(problem: str, hints: tuple[tuple[str, str], ...], default: str) -> str:
    return next((h for needle, h in hints if needle in problem), default)


def load(fmt: str, fm: str) -> dict[str, Any]:
    """Parse the block; MatterError with the place and a fix on a syntax error."""
    try:
        data = HANDLERS[fmt].load(fm)
    except tomllib.TOMLDecodeError as e:
        problem = str(e).splitlines()[0]
        m = _TOML_PLACE.search(problem)
        problem = _TOML_PLACE.sub("", problem).removesuffix(" (at end of document)")
        column = f" at column {m[2]}" if m else ""
        hint = _hint(problem, _TOML_HINTS, "check the quoting; text values go in quotes")
        raise MatterError(f"invalid TOML{column}: {problem}; {hint}", int(m[1]) - 1 if m else None) from None
    except json.JSONDecodeError as e:
        hint = _hint(e.msg, _JSON_HINTS, "check the quotes and commas")
        raise MatterError(f"invalid JSON at column {e.colno}: {e.msg}; {hint}", e.lineno - 1) from None
    except RecursionError:
        raise MatterError(f"the {fmt} is nested too deeply", None) from None
    if not isinstance(data, dict):
        raise MatterError(f"expected {fmt} fields, got {type(data).__name__}", 0)
    return data


_TOML_KEY = re.compile(  # `key =`, `"key" =`, a dotted `key.sub =` or a `[key]` / `[[key]]` table
    r"""^[ \t]*(?:\[\[?[ \t]*)?(?:"([^"\\]*)"|'([^']*)'|([A-Za-z0-9_-]+))[ \t]*[=.\]]""", re.MULTILINE
)
_JSON_KEY = re.compile(r'^[ \t]*"((?:[^"\\]|\\.)*)"[ \t]*:', re.MULTILINE)


def _key_lines(fmt: str, fm: str) -> dict[str, int]:
    """Block line (from 0) of each field name's first appearance at a line start: one linear pass."""
    lines: dict[str, int] = {}
    line, counted = 0, 0  # newlines before offset `counted`, counted incrementally
    pattern = _TOML_KEY if fmt == "TOML" else _JSON_KEY
    for m in pattern.finditer(fm):
        raw = next(g for g in m.groups() if g is not None)
        try:
            key = str(json.loads(f'"{raw}"')) if fmt == "JSON" else raw
        except json.JSONDecodeError:
            continue
        line += fm.count("\n", counted, m.start())
        counted = m.start()
        lines.setdefault(key, line)
    return lines


def _mark(line: int) -> Mark:
    return Mark("front matter", 0, line, 0, None, None)


def _node(value: Any, line: int) -> Node:
    mark = _mark(line)
    if isinstance(value, dict):
        pairs = [(ScalarNode(_Y + "str", str(k), mark, mark), _node(v, line)) for k, v in value.items()]
        return MappingNode(_Y + "map", pairs, mark, mark)
    if isinstance(value, list):
        return SequenceNode(_Y + "seq", [_node(v, line) for v in value], mark, mark)
    if value is None:
        tag, text = "null", "null"
    elif isinstance(value, bool):
        tag, text = "bool", "true" if value else "false"
    elif isinstance(value, int):
        tag, text = "int", str(value)
    elif isinstance(value, float):
        tag, text = "float", repr(value)
    elif isinstance(value, datetime | date):  # validates exactly like a YAML date
        tag, text = "timestamp", value.isoformat()
    elif isinstance(value, time):
        tag, text = "str", value.isoformat()  # a time of day alone is not a date
    else:
        tag, text = "str", str(value)
    return ScalarNode(_Y + tag, text, mark, mark)


def compose(fmt: str, fm: str) -> MappingNode:
    """The block as a YAML mapping node whose field nodes carry their block lines."""
    data = load(fmt, fm)
    key_lines = _key_lines(fmt, fm)
    pairs: list[tuple[Node, Node]] = []
    for key, value in data.items():
        line = key_lines.get(key, 0)
        try:
            node = _node(value, line)
        except RecursionError:
            raise MatterError(f"the {fmt} value of {key} is nested too deeply", line) from None
        pairs.append((ScalarNode(_Y + "str", key, _mark(line), _mark(line)), node))
    return MappingNode(_Y + "map", pairs, _mark(0), _mark(0))
