"""Draft bytes -> validated ParsedDraft, or DraftRejected carrying every error found.

Pure: no I/O. The front matter is YAML between a `---` line and a `---` (or `...`) line, as in
Jekyll. It is composed into YAML nodes with PyYAML's SafeLoader (never a loader that builds
objects), so every field keeps its file line for messages and one bad field does not stop the
check of the others. TOML (`+++`, Hugo) and JSON (`{ }`) front matter are read by stitchpress.core.matter
(python-frontmatter's handlers) into the same nodes, so the same rules and messages apply.

Decisions on ambiguous input (Jekyll-compatible where Jekyll has an answer):

- `date`: YAML dates/datetimes, ISO 8601 strings, and Jekyll's `YYYY-MM-DD HH:MM[:SS] +ZZZZ`.
  A date without a time is midnight; a date or time without an offset is taken as UTC, quietly.
  The writer's offset is kept. Years outside 1900-2999 are rejected (almost always a typo).
  A `date` in the future schedules the post (stitchpress.core.schedule); it is not an error.
- `expires` (or Hugo's spelling `expiryDate`): same formats as `date`; the post is taken down at
  that time. It must be later than `date`; giving both spellings is an error.
- `tags` / `categories`: a list of strings, or one string. A string containing a comma
  ("," or the Japanese "、") is split on commas; otherwise it is split on whitespace, as Jekyll
  does ("ai ml" -> two tags; write a list to keep a space inside a tag). The singular Jekyll
  forms `tag` / `category` name one term and are never split. Numbers in a list are kept as
  written (`[2025]` -> "2025"). Names are NFKC-normalised, trimmed, inner whitespace collapsed;
  terms with the same URL key are merged, keeping the first spelling (a warning when the
  spellings differ by more than letter case).
- `slug`: explicit slug, else the `slug` part of a `YYYY-MM-DD-slug.md` file name, else the title
  (cut to 80 characters at a "-"). An explicit slug is lower-cased quietly; any other character
  url_key would change is an error suggesting the fixed slug.
- Text fields (title, author, excerpt, slug, lang, layout) take plain YAML scalars as written:
  `title: 1984` is the text "1984", not a number. `excerpt:` left empty means "derive it".
- Unknown fields are kept in PostMeta.extra with one warning. A field given twice: the last one
  wins (as in YAML/Jekyll) with a warning.
- Leading blank lines before the opening `---` are allowed.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .model import DraftRejected, Message, ParsedDraft, PostMeta, Term
from .urls import url_key

DEFAULT_MAX_BYTES = 2 * 1024 * 1024
# Pure-Python YAML parses ~100 KB/s; a bigger front matter is a mistake, not metadata.
MAX_FRONT_MATTER_CHARS = 64 * 1024
EMPTY_BODY_MESSAGE = "the draft has no text after the front matter; write the article below the closing ---"
DATE_FORMATS_HINT = "use YYYY-MM-DD or YYYY-MM-DD HH:MM:SS +ZZZZ"
KNOWN_LAYOUTS = ("post", "page")
MAX_TERM_CHARS = 100
MAX_SLUG_CHARS = 200
DERIVED_SLUG_CHARS = 80
MAX_READING_TIME = 24 * 60

KNOWN_FIELDS = frozenset(
    {
        "title",
        "date",
        "expires",
        "expiryDate",
        "slug",
        "excerpt",
        "reading_time",
        "draft",
        "published",
        "layout",
        "author",
        "image",
        "lang",
        "tags",
        "categories",
        "tag",
        "category",
    }
)
_Y = "tag:yaml.org,2002:"
_ALLOWED_TAGS = frozenset(t for t in SafeConstructor.yaml_constructors if t is not None)
_RAW_TEXT_TAGS = frozenset(_Y + t for t in ("str", "int", "float", "bool", "timestamp"))
_DELIM = re.compile(r"---[ \t]*")
_CLOSE = re.compile(r"(?:---|\.\.\.)[ \t]*")
_FILE_NAME = re.compile(r"(\d{4})-(\d{2})-(\d{2})-(.+?)(?:\.(?:md|markdown|mdown|mkd))?")
_DATE = re.compile(
    r"(\d{4})-(\d{1,2})-(\d{1,2})"
    r"(?:(?:[Tt]|[ \t]+)(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?"
    r"[ \t]*(?:(?P<utc>[Zz]|UTC|GMT)|(?P<sign>[+-])(?P<oh>\d{2})(?::?(?P<om>\d{2}))?)?"
)
_LANG = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*")
_TERM_SPLIT_COMMAS = re.compile(r"[,、]")
_WS = re.compile(r"\s+")
_MAX_VALUE_NODES = 10_000


@dataclass
class _Messages:
    errors: list[Message] = field(default_factory=list)
    warnings: list[Message] = field(default_factory=list)
    unreadable: set[str] = field(default_factory=set)  # fields already reported as unreadable

    def error(self, text: str, line: int | None = None, field: str | None = None) -> None:
        self.errors.append(Message("error", text, line=line, field=field))

    def warn(self, text: str, line: int | None = None, field: str | None = None) -> None:
        self.warnings.append(Message("warning", text, line=line, field=field))

    def rejected(self) -> DraftRejected:
        return DraftRejected(_sorted(self.errors) + _sorted(self.warnings))


def _sorted(messages: list[Message]) -> list[Message]:
    return sorted(messages, key=lambda m: m.line or 0)


@dataclass(frozen=True)
class _Split:
    yaml_text: str
    open_line: int  # file line of the opening ---
    close_line: int
    body: str
    body_line: int
    fmt: str = "YAML"  # or "TOML", "JSON" (stitchpress.core.matter)
    first_line: int = 0  # file line of yaml_text's first line; 0: the line after the opening ---


@dataclass(frozen=True)
class _Field:
    name: str
    line: int
    node: Node
    first_yaml_line: int  # file line of the YAML text's first line

    def line_of(self, node: Node) -> int:
        return self.first_yaml_line + int(node.start_mark.line)


def parse_draft(key: str, data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> ParsedDraft:
    """Parse and validate a draft's front matter; raise DraftRejected listing every error.

    `key` (S3 key or path) names the file in messages and supplies the slug from its file name.
    The body is returned unstitched; the pipeline checks the stitched body is not empty.
    """
    msgs = _Messages()
    if len(data) > max_bytes:
        msgs.error(
            f"the draft is {len(data):,} bytes, over the limit of {max_bytes:,} bytes; "
            "shorten or split it, or raise the MAX_DRAFT_BYTES setting"
        )
        raise msgs.rejected()
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        msgs.error("the file is UTF-16; save it as UTF-8", line=1)  # the rest would be noise
        raise msgs.rejected()
    text = _decode(data, msgs)
    split = _split(text, msgs)
    if split is None:
        raise msgs.rejected()
    fields = _load_fields(split, msgs)
    meta = _build_meta(key, fields, split, msgs) if fields is not None else None
    if not split.body.strip():
        msgs.error(EMPTY_BODY_MESSAGE, line=split.close_line, field="body")
    if msgs.errors or meta is None:
        raise msgs.rejected()
    return ParsedDraft(
        key=key,
        meta=meta,
        body=split.body,
        body_line=split.body_line,
        warnings=tuple(_sorted(msgs.warnings)),
    )


# --- bytes -> text ------------------------------------------------------------------------


def _line_of_byte(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _decode(data: bytes, msgs: _Messages) -> str:
    """Decode UTF-8 (BOM allowed); report bad bytes and NULs but carry on to find more errors."""
    nul = data.find(b"\x00")
    if nul >= 0:
        msgs.error(
            f"the file contains a NUL byte (byte offset {nul}); drafts must be UTF-8 text",
            line=_line_of_byte(data, nul),
        )
    payload = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    skipped = len(data) - len(payload)
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError as e:
        offset = e.start + skipped
        msgs.error(
            f"not valid UTF-8: byte 0x{data[offset]:02x} at byte offset {offset}; save the file as UTF-8",
            line=_line_of_byte(data, offset),
        )
        text = payload.decode("utf-8", errors="replace")
    # U+FFFD keeps the YAML reader going; the NUL itself was reported above.
    return text.replace("\x00", "\ufffd").replace("\r\n", "\n").replace("\r", "\n")


def _split(text: str, msgs: _Messages) -> _Split | None:
    lines = text.split("\n")
    start = 0
    while start < len(lines) and not lines[start].strip():
        start += 1
    if start == len(lines):
        msgs.error("the file is empty; a draft starts with front matter between --- lines, then the text")
        return None
    first = lines[start]
    if first.startswith(("+++", "{")):  # import python-frontmatter only for such drafts
        from . import matter

        fmt = matter.format_of(first)
        if fmt is not None:
            return _split_other(fmt, lines, start, msgs)
    if not _DELIM.fullmatch(first):
        hint = "the file must start with a --- line, then fields such as title: and date:, then ---"
        msgs.error(f"missing; {hint}", line=start + 1, field="front matter")
        return None
    for i in range(start + 1, len(lines)):
        if _CLOSE.fullmatch(lines[i]):
            body = "\n".join(lines[i + 1 :])
            return _Split(
                yaml_text="\n".join(lines[start + 1 : i]),
                open_line=start + 1,
                close_line=i + 1,
                body=body,
                body_line=i + 2,
            )
    msgs.error(
        "not closed; add a --- line after the last field",
        line=start + 1,
        field="front matter",
    )
    return None


def _split_other(fmt: str, lines: list[str], start: int, msgs: _Messages) -> _Split | None:
    """TOML (+++) or JSON ({ }) front matter, found by python-frontmatter's handler (see matter)."""
    from . import matter

    text = "\n".join(lines[start:])
    found = matter.block(fmt, text)
    if found is None:
        msgs.error(
            f"not closed; add a {matter.CLOSING[fmt]} line after the last field",
            line=start + 1,
            field="front matter",
        )
        return None
    fm, fm_offset, close_offset = found
    close = start + text.count("\n", 0, close_offset)  # index in lines
    return _Split(
        yaml_text=fm,
        open_line=start + 1,
        close_line=close + 1,
        body="\n".join(lines[close + 1 :]),
        body_line=close + 2,
        fmt=fmt,
        first_line=start + 1 + text.count("\n", 0, fm_offset),
    )


# --- YAML -> fields -----------------------------------------------------------------------

_YAML_HINTS: tuple[tuple[str, str], ...] = (
    ("mapping values are not allowed", 'put the value in quotes if it contains ": "'),
    ("found character '\\t'", "use spaces, not tabs"),
    ("found undefined alias", 'put values starting with "*" in quotes'),
    ("that cannot start any token", "put the value in quotes"),
    ("could not find expected ':'", "each line must be `field: value`"),
    ("found unexpected end of stream", "a quote is probably not closed"),
    ("expected <block end>", "check the indentation of this line and the one before"),
)


def _yaml_error_text(problem: str) -> str:
    for needle, hint in _YAML_HINTS:
        if needle in problem:
            return f"{problem}; {hint}"
    return f"{problem}; check the quoting and indentation"


def _compose(text: str) -> Node | None:
    loader = yaml.SafeLoader(text)  # checks for unprintable characters: may raise ReaderError
    try:
        return loader.get_single_node()
    finally:
        loader.dispose()


class _Reported(Exception):
    """The front matter cannot be read; the error is already in the messages."""


def _compose_other(split: _Split, first_line: int, msgs: _Messages) -> Node:
    from . import matter

    try:
        return matter.compose(split.fmt, split.yaml_text)
    except matter.MatterError as e:
        line = split.open_line if e.line is None else first_line + e.line
        msgs.error(e.message, line=line, field="front matter")
        raise _Reported from None


def _codepoint(character: int) -> str:
    return f"U+{character:04X}"  # PyYAML's ReaderError holds the code point of a str input


def _load_fields(split: _Split, msgs: _Messages) -> dict[str, _Field] | None:
    """Compose the YAML and return its top-level fields by name (None when it cannot be read)."""
    first_yaml_line = split.first_line or split.open_line + 1
    if len(split.yaml_text) > MAX_FRONT_MATTER_CHARS:
        msgs.error(
            f"the front matter is {len(split.yaml_text):,} characters, over the limit of "
            f"{MAX_FRONT_MATTER_CHARS:,}; move long text into the body",
            line=split.open_line,
            field="front matter",
        )
        return None
    try:
        if split.fmt == "YAML":
            root = _compose(split.yaml_text)
        else:
            root = _compose_other(split, first_yaml_line, msgs)
    except _Reported:
        return None
    except yaml.MarkedYAMLError as e:
        # An unclosed quote or bracket is found at the end; its opening (context) is the place to fix.
        at_end = "end of stream" in (e.problem or "")
        mark = (e.context_mark if at_end else None) or e.problem_mark or e.context_mark
        line = first_yaml_line + mark.line if mark is not None else split.open_line
        column = f" at column {mark.column + 1}" if mark is not None else ""
        problem = e.problem or e.context or "syntax error"
        msgs.error(f"invalid YAML{column}: {_yaml_error_text(problem)}", line=line, field="front matter")
        return None
    except yaml.reader.ReaderError as e:
        line = first_yaml_line + split.yaml_text.count("\n", 0, e.position)
        msgs.error(
            f"invalid YAML: character {_codepoint(int(e.character))} is not allowed in front matter; remove it",
            line=line,
            field="front matter",
        )
        return None
    except yaml.YAMLError as e:
        msgs.error(f"invalid YAML: {e}", line=split.open_line, field="front matter")
        return None
    except RecursionError:
        msgs.error("the YAML is nested too deeply", line=split.open_line, field="front matter")
        return None
    if root is None:
        return {}
    if not isinstance(root, MappingNode):
        kind = _kind(root)
        msgs.error(
            f"expected `field: value` lines, got {kind}",
            line=first_yaml_line + root.start_mark.line,
            field="front matter",
        )
        return None
    try:
        SafeConstructor().flatten_mapping(root)  # resolves `<<:` merge keys in place
    except yaml.MarkedYAMLError as e:
        line = first_yaml_line + e.problem_mark.line if e.problem_mark is not None else split.open_line
        msgs.error(f"invalid YAML merge (<<): {_problem(e)}", line=line, field="front matter")
        return None
    except (yaml.YAMLError, RecursionError) as e:
        msgs.error(f"invalid YAML merge (<<): {_problem(e)}", line=split.open_line, field="front matter")
        return None
    fields: dict[str, _Field] = {}
    for key_node, value_node in root.value:
        line = first_yaml_line + key_node.start_mark.line
        if not isinstance(key_node, ScalarNode) or key_node.tag not in _ALLOWED_TAGS:
            msgs.error("field names must be plain words, e.g. title:", line=line, field="front matter")
            continue
        name = str(key_node.value).strip()
        if not _check_value(name, value_node, first_yaml_line, msgs):
            msgs.unreadable.add(name)
            continue
        if name in fields:
            msgs.warn(f"given twice (lines {fields[name].line} and {line}); the last one is used", line, name)
        fields[name] = _Field(name, line, value_node, first_yaml_line)
    return fields


def _check_value(name: str, node: Node, first_yaml_line: int, msgs: _Messages) -> bool:
    """Reject object-building tags, recursive aliases and alias bombs anywhere in a value."""
    seen: dict[int, int] = {}  # id(node) -> expanded size; shared (aliased) nodes count each time
    on_path: set[int] = set()

    def size(n: Node) -> int:
        if id(n) in seen:
            return seen[id(n)]
        if id(n) in on_path:
            raise _Recursive(n)
        if n.tag not in _ALLOWED_TAGS:
            raise _BadTag(n)
        on_path.add(id(n))
        total = 1
        if isinstance(n, SequenceNode):
            children: list[Node] = list(n.value)
        elif isinstance(n, MappingNode):
            children = [c for pair in n.value for c in pair]
        else:
            children = []
        for child in children:
            total += size(child)
            if total > _MAX_VALUE_NODES:
                raise _TooBig(n)
        on_path.discard(id(n))
        seen[id(n)] = total
        return total

    try:
        size(node)
    except _BadTag as e:
        msgs.error(
            f'YAML tag "{_short_tag(e.node.tag)}" is not allowed; remove it (front matter holds only text, '
            "numbers, dates, true/false, lists and mappings)",
            line=first_yaml_line + e.node.start_mark.line,
            field=name,
        )
        return False
    except _Recursive as e:
        msgs.error(
            "a YAML alias refers to itself; remove the recursive * alias",
            line=first_yaml_line + e.node.start_mark.line,
            field=name,
        )
        return False
    except _TooBig:
        msgs.error(f"the value is too large (over {_MAX_VALUE_NODES:,} items)", first_yaml_line, name)
        return False
    except RecursionError:
        msgs.error("the value is nested too deeply", first_yaml_line + node.start_mark.line, name)
        return False
    return True


class _NodeProblem(Exception):
    def __init__(self, node: Node) -> None:
        super().__init__(node.tag)
        self.node = node


class _BadTag(_NodeProblem):
    pass


class _Recursive(_NodeProblem):
    pass


class _TooBig(_NodeProblem):
    pass


def _short_tag(tag: str) -> str:
    return "!!" + tag.removeprefix(_Y) if tag.startswith(_Y) else tag


def _kind(node: Node) -> str:
    if isinstance(node, SequenceNode):
        return "a list"
    if isinstance(node, MappingNode):
        return "a mapping"
    names = {
        "null": "nothing",
        "bool": "true/false",
        "int": "a number",
        "float": "a number",
        "timestamp": "a date",
        "binary": "binary data",
        "str": "text",
    }
    return names.get(node.tag.removeprefix(_Y), "a value")


def _problem(e: BaseException) -> str:
    """One line about a YAML/constructor error, without PyYAML's multi-line source excerpt."""
    if isinstance(e, yaml.MarkedYAMLError):
        return e.problem or e.context or "invalid YAML"
    if isinstance(e, RecursionError):
        return "nested too deeply"
    return str(e).splitlines()[0] if str(e) else type(e).__name__


def _construct(node: Node) -> Any:
    return SafeConstructor().construct_object(node, deep=True)


# --- fields -> PostMeta --------------------------------------------------------------------


def _build_meta(key: str, fields: dict[str, _Field], split: _Split, msgs: _Messages) -> PostMeta | None:
    n_errors = len(msgs.errors)
    file_date, file_slug = _from_file_name(key)

    title = _text(fields.get("title"), msgs, "text")
    title_field = fields.get("title")
    if title is None and title_field is None and "title" not in msgs.unreadable:
        msgs.error('missing; add a line like title: "My post" to the front matter', split.open_line, "title")
    elif title is None and title_field is not None and _is_text_or_null(title_field.node):
        msgs.error("is empty; write the post's title", title_field.line, "title")

    post_date = _date(fields, msgs, split.open_line, file_date)
    expires = _expires(fields, msgs, post_date)
    tags = _terms(fields, "tags", "tag", msgs)
    categories = _terms(fields, "categories", "category", msgs)
    slug = _slug(fields.get("slug"), file_slug, title, fields, msgs)
    excerpt = _text(fields.get("excerpt"), msgs, "text")
    author = _text(fields.get("author"), msgs, "text")
    image = _image(fields.get("image"), msgs)
    lang = _lang(fields.get("lang"), msgs)
    layout = _layout(fields.get("layout"), msgs)
    reading_time = _reading_time(fields.get("reading_time"), msgs)
    draft_flag = _bool(fields.get("draft"), msgs)
    published = _bool(fields.get("published"), msgs)
    draft = draft_flag is True or published is False
    extra = _extra(fields, msgs)

    if len(msgs.errors) > n_errors or title is None or post_date is None or slug is None:
        return None
    return PostMeta(
        title=_WS.sub(" ", title),
        date=post_date,
        expires=expires,
        slug=slug,
        tags=tags,
        categories=categories,
        author=author,
        excerpt=excerpt,
        reading_time=reading_time,
        layout=layout,
        draft=draft,
        lang=lang,
        extra=extra,
        image=image.strip() if image else None,
    )


def _from_file_name(key: str) -> tuple[date | None, str | None]:
    name = key.replace("\\", "/").rsplit("/", 1)[-1]
    m = _FILE_NAME.fullmatch(name)
    if m is None:
        return None, None
    try:
        file_date: date | None = date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        file_date = None
    return file_date, url_key(m[4]) or None


def _is_text_or_null(node: Node) -> bool:
    return isinstance(node, ScalarNode) and (node.tag in _RAW_TEXT_TAGS or node.tag == _Y + "null")


def _text(f: _Field | None, msgs: _Messages, expected: str) -> str | None:
    """A plain scalar as written, stripped; None when absent, null or blank."""
    if f is None:
        return None
    node = f.node
    if isinstance(node, ScalarNode) and node.tag in _RAW_TEXT_TAGS:
        text = str(node.value).strip()
        return text or None
    if isinstance(node, ScalarNode) and node.tag == _Y + "null":
        return None
    msgs.error(f"expected {expected}, got {_kind(node)}", f.line, f.name)
    return None


def _image(f: _Field | None, msgs: _Messages) -> str | None:
    """`image: cover.png` or jekyll-seo-tag's `image: {path: cover.png}`; anything else is
    ignored with a warning (a preview picture is not worth rejecting a post for)."""
    if f is None:
        return None
    node = f.node
    if isinstance(node, MappingNode):
        paths = [v for k, v in node.value if isinstance(k, ScalarNode) and k.value == "path"]
        node = paths[-1] if paths else node
    if isinstance(node, ScalarNode) and node.tag in _RAW_TEXT_TAGS:
        return str(node.value).strip() or None
    if not (isinstance(node, ScalarNode) and node.tag == _Y + "null"):
        msgs.warn(
            f"expected a path next to the draft or an https:// URL, got {_kind(node)}; ignored",
            f.line,
            f.name,
        )
    return None


def _date(
    fields: dict[str, _Field], msgs: _Messages, open_line: int, file_date: date | None
) -> datetime | None:
    f = fields.get("date")
    if f is None and "date" in msgs.unreadable:
        return None
    if f is None:
        example = file_date.isoformat() if file_date else "2025-09-21 08:30:00 +0900"
        msgs.error(f"missing; add a line like date: {example}", open_line, "date")
        return None
    value = _instant(f, msgs)
    if value is None:
        return None
    if file_date is not None and value.date() != file_date:
        msgs.warn(
            f"{value.date().isoformat()} differs from the file name's date {file_date.isoformat()}; "
            "the front matter date is used for the URL",
            f.line,
            "date",
        )
    return value


def _instant(f: _Field, msgs: _Messages) -> datetime | None:
    """A date field's value (timezone-aware), or None after reporting why it is not one."""
    name = f.name
    node = f.node
    if not isinstance(node, ScalarNode) or node.tag in (_Y + "null", _Y + "bool", _Y + "binary"):
        msgs.error(f"expected a date ({DATE_FORMATS_HINT}), got {_kind(node)}", f.line, name)
        return None
    raw = str(node.value).strip()
    value: datetime | None
    try:
        value = _parse_date(raw)
    except ValueError as e:
        msgs.error(f'"{raw}" is not a valid date ({e}); {DATE_FORMATS_HINT}', f.line, name)
        return None
    if value is None:
        msgs.error(f'cannot parse "{raw}"; {DATE_FORMATS_HINT}', f.line, name)
        return None
    if not 1900 <= value.year <= 2999:
        msgs.error(f'year {value.year} in "{raw}" is out of range (1900-2999); check the year', f.line, name)
        return None
    return value


def _expires(fields: dict[str, _Field], msgs: _Messages, post_date: datetime | None) -> datetime | None:
    """`expires:` (or Hugo's `expiryDate:`): when the post comes down again; after `date`."""
    given = [fields[n] for n in ("expires", "expiryDate") if n in fields]
    if not given:
        return None
    if len(given) == 2:
        msgs.error(
            f"both expires (line {given[0].line}) and expiryDate are given; keep one of them",
            given[1].line,
            "expiryDate",
        )
        return None
    (f,) = given
    node = f.node
    if isinstance(node, ScalarNode) and node.tag == _Y + "null":
        return None  # `expires:` left empty: no expiry
    value = _instant(f, msgs)
    if value is None or post_date is None:
        return None
    if value <= post_date:
        msgs.error(
            f"{value.isoformat(sep=' ')} is not after the post's date {post_date.isoformat(sep=' ')}; "
            "a post must go live before it expires: fix the date or remove the field",
            f.line,
            f.name,
        )
        return None
    return value


def _parse_date(raw: str) -> datetime | None:
    """None when the text is not a date at all; ValueError when it is one with bad values."""
    m = _DATE.fullmatch(raw)
    if m is None:
        try:
            parsed = datetime.fromisoformat(raw)
        except ValueError:
            return None
        return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
    year, month, day, hour, minute, second, frac = m.groups()[:7]
    tz: timezone = UTC
    if m["sign"]:
        hours, minutes = int(m["oh"]), int(m["om"] or 0)
        if hours > 23 or minutes > 59:
            raise ValueError(f"offset {m['sign']}{m['oh']}{m['om'] or ''} is out of range")
        delta = timedelta(hours=hours, minutes=minutes)
        tz = timezone(-delta if m["sign"] == "-" else delta)
    micro = int((frac or "0")[:6].ljust(6, "0"))
    return datetime(
        int(year),
        int(month),
        int(day),
        int(hour or 0),
        int(minute or 0),
        int(second or 0),
        micro,
        tzinfo=tz,
    )


MAX_TERMS = {"tags": 15, "categories": 5}


def _normalise_term(text: str) -> str:
    return _WS.sub(" ", unicodedata.normalize("NFKC", text)).strip()


def _terms(fields: dict[str, _Field], plural: str, singular: str, msgs: _Messages) -> tuple[Term, ...]:
    names: list[tuple[str, _Field, int]] = []  # (name, field, line)
    base = fields.get(plural)
    if base is not None:
        node = base.node
        if isinstance(node, ScalarNode) and node.tag in _RAW_TEXT_TAGS:
            text = unicodedata.normalize("NFKC", str(node.value))
            parts = _TERM_SPLIT_COMMAS.split(text) if _TERM_SPLIT_COMMAS.search(text) else text.split()
            names.extend((p, base, base.line) for p in parts if p.strip())
        elif isinstance(node, SequenceNode):
            for i, item in enumerate(node.value, start=1):
                item_line = base.line_of(item)
                if isinstance(item, ScalarNode) and item.tag in _RAW_TEXT_TAGS and str(item.value).strip():
                    names.append((str(item.value), base, item_line))
                elif isinstance(item, ScalarNode) and (item.tag == _Y + "null" or item.tag == _Y + "str"):
                    msgs.error(f"item {i} is empty; remove it", item_line, plural)
                else:
                    msgs.error(f"item {i}: expected text, got {_kind(item)}", item_line, plural)
        elif not (isinstance(node, ScalarNode) and node.tag == _Y + "null"):
            msgs.error(f"expected text or a list of text, got {_kind(node)}", base.line, plural)
    one = fields.get(singular)
    if one is not None:
        name = _text(one, msgs, "text (one name)")
        if name is not None:
            names.append((name, one, one.line))

    terms: dict[str, Term] = {}
    for raw, f, line in names:
        name = _normalise_term(raw)
        term_key = url_key(name)
        if not term_key:
            msgs.error(f'"{name}" has no letters or digits to use in its URL; rename it', line, f.name)
        elif len(name) > MAX_TERM_CHARS:
            msgs.error(
                f'"{name[:20]}…" is {len(name)} characters; keep it under {MAX_TERM_CHARS}', line, f.name
            )
        elif term_key not in terms:
            terms[term_key] = Term(key=term_key, name=name)
        elif terms[term_key].name.casefold() != name.casefold():
            msgs.warn(
                f'"{name}" and "{terms[term_key].name}" have the same URL key "{term_key}"; '
                f'using "{terms[term_key].name}"',
                line,
                f.name,
            )
    limit = MAX_TERMS[plural]
    if len(terms) > limit:
        # The index moves a post between its listings in one DynamoDB transaction (<= 100 items).
        msgs.error(f"{len(terms)} {plural}; use at most {limit}", base.line if base else None, plural)
    return tuple(terms.values())


def _slug(
    f: _Field | None,
    file_slug: str | None,
    title: str | None,
    fields: dict[str, _Field],
    msgs: _Messages,
) -> str | None:
    if f is not None:
        given = _text(f, msgs, "text")
        if given is None:
            if _is_text_or_null(f.node):
                msgs.error("is empty; remove the slug line or write one like slug: my-post", f.line, "slug")
            return None
        fixed = url_key(given)
        if not fixed:
            msgs.error(f'"{given}" has no letters or digits; use letters, digits and "-"', f.line, "slug")
            return None
        if fixed != unicodedata.normalize("NFKC", given).casefold():
            msgs.error(
                f'"{given}" is not URL-safe (no "/", "..", spaces or punctuation); use "{fixed}"',
                f.line,
                "slug",
            )
            return None
        if len(fixed) > MAX_SLUG_CHARS:
            msgs.error(f"is {len(fixed)} characters; keep it under {MAX_SLUG_CHARS}", f.line, "slug")
            return None
        return fixed
    if file_slug is not None:
        return file_slug
    if title is None:
        return None  # the missing title is already reported
    derived = url_key(title)
    if len(derived) > DERIVED_SLUG_CHARS:
        cut = derived[:DERIVED_SLUG_CHARS]
        derived = (cut.rsplit("-", 1)[0] if "-" in cut[DERIVED_SLUG_CHARS // 2 :] else cut).strip("-.")
    if not derived:
        line = fields["title"].line if "title" in fields else None
        msgs.error("cannot make a URL from the title; add a line like slug: my-post", line, "slug")
        return None
    return derived


def _lang(f: _Field | None, msgs: _Messages) -> str | None:
    lang = _text(f, msgs, "a language code such as ja or en-US")
    if lang is not None and f is not None and not _LANG.fullmatch(lang):
        suggestion = lang.replace("_", "-")
        hint = (
            f'use "{suggestion}"'
            if _LANG.fullmatch(suggestion)
            else "use a language code such as ja or en-US"
        )
        msgs.error(f'"{lang}" is not a language code; {hint}', f.line, "lang")
        return None
    return lang


def _layout(f: _Field | None, msgs: _Messages) -> str:
    layout = _text(f, msgs, "text")
    if layout is None or f is None:
        return "post"
    if layout not in KNOWN_LAYOUTS:
        msgs.warn(
            f'unknown layout "{layout}"; using "post" (known: {", ".join(KNOWN_LAYOUTS)})', f.line, "layout"
        )
        return "post"
    return layout


def _reading_time(f: _Field | None, msgs: _Messages) -> int | None:
    if f is None:
        return None
    node = f.node
    if isinstance(node, ScalarNode) and node.tag == _Y + "null":
        return None
    hint = "write a whole number of minutes, e.g. reading_time: 8"
    value: int | None = None
    if isinstance(node, ScalarNode) and node.tag == _Y + "int":
        try:
            value = int(_construct(node))
        except (ValueError, yaml.YAMLError):
            value = None
    elif isinstance(node, ScalarNode) and node.tag == _Y + "str" and str(node.value).strip().isascii():
        text = str(node.value).strip()
        value = int(text) if text.isdigit() else None
    if value is None:
        shown = f'"{node.value}"' if isinstance(node, ScalarNode) else _kind(node)
        msgs.error(f"expected a whole number of minutes, got {shown}; {hint}", f.line, "reading_time")
        return None
    if value < 1:
        msgs.error(f"must be at least 1 minute, got {value}; {hint}", f.line, "reading_time")
        return None
    if value > MAX_READING_TIME:
        msgs.error(f"{value} minutes is more than a day; {hint}", f.line, "reading_time")
        return None
    return value


_TRUE = frozenset({"true", "yes", "on"})
_FALSE = frozenset({"false", "no", "off"})


def _bool(f: _Field | None, msgs: _Messages) -> bool | None:
    if f is None:
        return None
    node = f.node
    if isinstance(node, ScalarNode):
        if node.tag == _Y + "null":
            return None
        word = str(node.value).strip().lower()
        if node.tag in (_Y + "bool", _Y + "str") and word in _TRUE | _FALSE:
            return word in _TRUE
    msgs.error(f"expected true or false, got {_kind(node)}", f.line, f.name)
    return None


def _extra(fields: dict[str, _Field], msgs: _Messages) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    unknown = [f for name, f in fields.items() if name not in KNOWN_FIELDS]
    for f in unknown:
        try:
            extra[f.name] = _construct(f.node)
        except (yaml.YAMLError, ValueError, TypeError, OverflowError, RecursionError) as e:
            msgs.warn(f"cannot read the value ({_problem(e)}); ignored", f.line, f.name)
    if unknown:
        names = ", ".join(f.name or '""' for f in unknown)
        msgs.warn(f"unknown front matter fields (kept, not used): {names}", unknown[0].line)
    return extra


__all__: list[str] = [
    "DEFAULT_MAX_BYTES",
    "EMPTY_BODY_MESSAGE",
    "MAX_FRONT_MATTER_CHARS",
    "parse_draft",
]
