"""Markdown -> safe HTML fragment, plus the headings a table of contents needs.

Safety rules (issue 4): raw HTML in Markdown is shown as text (markdown-it "js-default" preset,
html=False); link and image destinations must pass `is_safe_url`, an allowlist of schemes checked
after undoing every obfuscation a browser would undo; no inline `style` attributes are emitted
(table alignment becomes a class) so the pages work under a strict Content-Security-Policy.
Heading ids are prefixed with "h-" so they cannot clobber page globals or the theme's own ids.
"""

from __future__ import annotations

import html
import itertools
import re
import threading
import unicodedata
from collections.abc import Iterable, Iterator, MutableMapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import unquote

from . import budget, pictures
from .labels import make_linear, patch_footnotes
from .pictures import ImageUse

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.renderer import RendererHTML
    from markdown_it.rules_block import StateBlock
    from markdown_it.rules_core import StateCore
    from markdown_it.rules_inline import StateInline
    from markdown_it.token import Token
    from markdown_it.utils import EnvType, OptionsDict

HEADING_ID_PREFIX = "h-"
_MAX_SLUG = 64

# Schemes a reader may follow from a post. Everything else with a scheme is dropped (rendered
# as plain text), which also covers ones nobody thought of (e.g. "livescript:", "ms-its:").
_SAFE_SCHEMES = frozenset({"http", "https", "mailto", "tel", "ftp", "ftps"})
_SAFE_DATA = re.compile(r"data:image/(?:gif|png|jpeg|webp)[;,]")
# Browsers drop ASCII tab/newline anywhere in a URL and C0 controls/space at its ends; we drop
# every control and whitespace character anywhere, which is stricter.
_IGNORED = re.compile(r"[\x00-\x20\x7f-\x9f\u00ad\u200b-\u200f\u2028\u2029\u2060\ufeff\s]+")
_SCHEME = re.compile(r"^([^/?#]*?):")


@dataclass(frozen=True)
class Heading:
    level: int
    id: str
    text: str


@dataclass(frozen=True)
class RenderedBody:
    html: str
    headings: tuple[Heading, ...]
    notes: tuple[str, ...] = ()  # what the writer should know (e.g. code shown without colours)
    images: tuple[ImageUse, ...] = ()  # draft-relative images, in order (with `images` only)


def is_safe_url(url: str) -> bool:
    """True when a link/image destination may be emitted as href/src.

    Relative URLs, fragments and the schemes in _SAFE_SCHEMES pass; so do raster `data:image/`
    URLs (not SVG). The check runs on the URL as a browser would see it after HTML entity and
    percent decoding (repeated, so double encoding does not help), with whitespace and control
    characters removed and case folded.
    """
    text = url
    for _ in range(3):
        decoded = unquote(html.unescape(text))
        if decoded == text:
            break
        text = decoded
    text = unicodedata.normalize("NFKC", _IGNORED.sub("", text)).casefold()
    text = _IGNORED.sub("", text)
    match = _SCHEME.match(text)
    if match is None:
        return True  # relative path, "//host/...", "?query" or "#fragment"
    scheme = match.group(1)
    if scheme in _SAFE_SCHEMES:
        return True
    return scheme == "data" and _SAFE_DATA.match(text) is not None


def heading_slug(text: str) -> str:
    """Unicode-friendly slug: letters and digits of any script survive, the rest becomes "-"."""
    slug = unicodedata.normalize("NFKC", text).casefold()
    slug = re.sub(r"[^\w\s-]+", "", slug)
    slug = re.sub(r"[\s_-]+", "-", slug).strip("-")
    return slug[:_MAX_SLUG].rstrip("-")


def render_markdown(
    markdown: str, *, draft_key: str = "", images: pictures.ImageLookup | None = None
) -> RenderedBody:
    """Render a post body. Pure; safe for untrusted input (see the module docstring).

    With `images`, images named relative to `draft_key` become <picture>s of their derivatives
    (stitchpress.core.pictures); `images` is asked once, with every key the body refers to."""
    md = _markdown_it()
    env: MutableMapping[str, Any] = {}
    tokens = md.parse(markdown, env)
    if images is not None:
        pictures.prepare(tokens, draft_key, images, env)
    body = md.renderer.render(tokens, md.options, env)
    return RenderedBody(
        html=body,
        headings=tuple(env.get("stitchpress_headings", ())),
        notes=tuple(env.get("stitchpress_notes", ())),
        images=pictures.uses(env),
    )


@cache
def _markdown_it() -> MarkdownIt:
    # Built on first use: keeps `import stitchpress.core.render` cheap on a Lambda cold start.
    from markdown_it import MarkdownIt
    from mdit_py_plugins.footnote import footnote_plugin

    md = MarkdownIt("js-default", {"html": False, "linkify": False, "highlight": _highlight})
    md.enable(["table", "strikethrough"])
    md.use(footnote_plugin)
    md.validateLink = is_safe_url  # type: ignore[method-assign]
    md.core.ruler.push("stitchpress_headings", _heading_ids)
    md.core.ruler.push("stitchpress_no_styles", _alignment_classes)
    md.core.ruler.push("stitchpress_highlight_budget", _highlight_budget)
    md.add_render_rule("fence", _fence)
    md.add_render_rule("image", pictures.render_image)
    patch_footnotes()
    return warmed(bounded(md))


def bounded(md: MarkdownIt) -> MarkdownIt:
    """`md` with the linear link-label scan, the table limit, and the compile deadline checked
    as it parses (every 1,024 blocks and inline positions) and renders (every 1,024 inlines)."""
    md.block.ruler.before("table", "stitchpress_deadline", _block_tick)
    md.block.parse = _parse_blocks  # type: ignore[method-assign,assignment]
    md.core.ruler.at("inline", _inline_within_deadline)
    md.inline.ruler.before("text", "stitchpress_deadline", _deadline_tick)
    renderer: Any = md.renderer  # RendererHTML; its protocol type lacks renderInline
    render_inline = renderer.renderInline

    def render_inline_ticking(tokens: Sequence[Token], options: OptionsDict, env: EnvType) -> str:
        _tick()
        return str(render_inline(tokens, options, env))

    renderer.renderInline = render_inline_ticking
    return make_linear(md)


def _parse_blocks(src: str, md: MarkdownIt, env: EnvType, tokens: list[Token]) -> list[Token] | None:
    """ParserBlock.parse with a state that checks the deadline as block tokens are made: one
    table of 10,000 rows is one call of the table rule, and took 40 s here."""
    if not src:
        return None
    state = _ticking_state()(src, md, env, tokens)
    md.block.tokenize(state, state.line, state.lineMax)
    return state.tokens


@cache
def _ticking_state() -> type[StateBlock]:
    from markdown_it.rules_block import StateBlock

    class TickingState(StateBlock):
        def push(self, ttype: str, tag: str, nesting: Literal[-1, 0, 1]) -> Token:
            _tick()
            return super().push(ttype, tag, nesting)

    return TickingState


def _block_tick(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    """First block rule: never matches. Refuses a table wider than MAX_TABLE_COLUMNS (markdown-it
    builds every cell of every row, seconds for one wide table) and checks the deadline."""
    _tick()
    if start + 1 < end:  # a table's second line is its delimiter row: | --- | :-: |
        row = state.src[state.bMarks[start + 1] + state.tShift[start + 1] : state.eMarks[start + 1]]
        columns = row.count("|") - 1
        if columns > budget.MAX_TABLE_COLUMNS and _DELIMITER_ROW.match(row):
            raise budget.TooComplex(
                f"the table at line {start + 1} of the article has {columns:,} columns, over the "
                f"limit of {budget.MAX_TABLE_COLUMNS:,}; split it into narrower tables"
            )
    return False


_DELIMITER_ROW = re.compile(r"\|?\s*:?-+:?\s*\|")


_TICKS = itertools.count()
_TICK_MASK = 1023  # check the clock every 1,024 positions: ~15 ms of parsing at worst


def _tick() -> None:
    if next(_TICKS) & _TICK_MASK == 0:
        budget.check("rendering the Markdown")


def _deadline_tick(state: StateInline, silent: bool) -> bool:
    """First inline rule: never matches; every 1,024th call checks the deadline, so even one
    huge paragraph cannot run past it (markdown-it parses punctuation at ~50,000 chars/s)."""
    if next(_TICKS) & _TICK_MASK == 0:
        budget.check("rendering the Markdown", where=lambda: _paragraph(state.src))
    return False


def _paragraph(text: str) -> str:
    """The paragraph a deadline stopped in, as a writer finds it: its start and its most
    frequent markup character (what makes markdown-it slow: each one is tried as a link,
    image, HTML tag...)."""
    first = " ".join(text[:60].split())
    quoted = f'"{first[:40]}…"' if len(first) > 40 else f'"{first}"'
    count, char = max((text.count(c), c) for c in "[]()<>!`*_~\\&")
    return f'the paragraph starting {quoted} ({count:,} "{char}" in {len(text):,} characters)'


def _inline_within_deadline(state: StateCore) -> None:
    """markdown-it's core "inline" rule, checking the compile deadline between blocks."""
    budget.check("rendering the Markdown")
    inline = state.md.inline
    for token in state.tokens:
        if token.type == "inline":
            if token.children is None:
                token.children = []
            inline.parse(token.content, state.md, state.env, token.children)
            budget.check("rendering the Markdown")


def warmed(md: MarkdownIt) -> MarkdownIt:
    """Compile the parser's rule chains now, before threads share it.

    markdown-it compiles them on first use, and a thread reading a chain another thread is still
    compiling skips rules (empty bodies, "none of the block rules matched"); a publish parses
    posts from several threads at once.
    """
    for ruler in (md.core.ruler, md.block.ruler, md.inline.ruler, md.inline.ruler2):
        ruler.getRules()  # compiles every chain of the ruler
    return md


def _heading_ids(state: StateCore) -> None:
    used: set[str] = set()
    # The last number tried per base id: a thousand headings "Notes" try each number once,
    # not 1 + 2 + ... + 1000 times. An id is some base's number at most twice (as base and as
    # base-n), so all the tries together stay linear in the headings.
    last: dict[str, int] = {}
    headings: list[Heading] = []
    tokens = state.tokens
    for i, token in enumerate(tokens):
        if token.type != "heading_open" or i + 1 >= len(tokens):
            continue
        _tick()  # 500,000 headings took ~0.5 s here
        text = _inline_text(tokens[i + 1].children or [])
        base = HEADING_ID_PREFIX + (heading_slug(text) or "section")
        ident, n = base, last.get(base, 1)
        if n > 1 or ident in used:
            n += 1
            ident = f"{base}-{n}"
            while ident in used:
                n += 1
                ident = f"{base}-{n}"
        last[base] = n
        used.add(ident)
        token.attrSet("id", ident)
        headings.append(Heading(level=int(token.tag[1]), id=ident, text=text))
    state.env["stitchpress_headings"] = headings


def _inline_text(children: Sequence[Any]) -> str:
    parts: list[str] = []
    for child in children:
        if child.type in ("text", "code_inline", "image"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
    return " ".join("".join(parts).split())


def _alignment_classes(state: StateCore) -> None:
    # markdown-it aligns table cells with style="text-align:..."; a CSP without
    # 'unsafe-inline' would ignore that, so use classes the theme's CSS defines.
    for token in state.tokens:
        if token.type in ("th_open", "td_open"):
            style = token.attrGet("style")
            if isinstance(style, str) and style.startswith("text-align:"):
                del token.attrs["style"]
                token.attrJoin("class", "align-" + style.removeprefix("text-align:"))


def _highlight_budget(state: StateCore) -> None:
    """Mark the code blocks Pygments must not colour: each over MAX_HIGHLIGHT_CHARS, and all
    once MAX_HIGHLIGHT_TOTAL characters of the post were coloured (Pygments is slow per char)."""
    left = budget.MAX_HIGHLIGHT_TOTAL
    notes: list[str] = []
    for token in state.tokens:
        if token.type != "fence" or not _LANG.match(token.info.strip().split(" ", 1)[0]):
            continue
        size = len(token.content)
        if size <= min(left, budget.MAX_HIGHLIGHT_CHARS):
            left -= size
            continue
        token.meta["stitchpress_plain"] = True
        line = f"line {token.map[0] + 1} of the article" if token.map else "the article"
        over = (
            f"over {budget.MAX_HIGHLIGHT_CHARS:,} characters"
            if size > budget.MAX_HIGHLIGHT_CHARS
            else f"past the {budget.MAX_HIGHLIGHT_TOTAL:,} characters of code a post may colour"
        )
        notes.append(
            f"the code block at {line} ({size:,} characters) is {over}: shown without syntax "
            "colours; split it or link to the file instead"
        )
    state.env["stitchpress_notes"] = notes


def _fence(self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
    if tokens[idx].meta.get("stitchpress_plain"):
        from markdown_it.utils import OptionsDict

        options = OptionsDict({**options, "highlight": None})  # type: ignore[typeddict-item]
    return self.fence(tokens, idx, options, env)


def _ticking(tokens: Iterable[tuple[Any, str]]) -> Iterator[tuple[Any, str]]:
    """Pygments' tokens, checking the compile deadline every 1,024 (~7 µs a character)."""
    for n, token in enumerate(tokens):
        if n & _TICK_MASK == 0:
            budget.check("rendering the Markdown", where=lambda: "a code block")
        yield token


_LANG = re.compile(r"^[A-Za-z0-9_+#.-]{1,40}$")
_PYGMENTS_LOOKUP = threading.Lock()


def _highlight(code: str, lang: str, _attrs: str) -> str:
    """Pygments highlighting with static CSS classes; "" lets markdown-it escape it as is."""
    if not lang or not _LANG.match(lang):
        return ""
    import pygments

    # Pygments loads its formatter, lexer and style classes on first use through module
    # __getattr__ hooks that are not thread-safe (a publish renders posts concurrently):
    # "cannot import name 'HtmlFormatter'". Look them up one thread at a time.
    with _PYGMENTS_LOOKUP:
        from pygments.formatters import HtmlFormatter
        from pygments.lexers import get_lexer_by_name
        from pygments.util import ClassNotFound

        try:
            lexer = get_lexer_by_name(lang)
        except ClassNotFound:
            return ""
        formatter = HtmlFormatter(nowrap=True)
    body = pygments.format(_ticking(lexer.get_tokens(code)), formatter)
    return f'<pre class="highlight"><code class="language-{html.escape(lang)}">{body}</code></pre>'
