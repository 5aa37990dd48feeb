"""Pure helpers over Markdown text: excerpt, reading time, language guess.

Counting uses regular expressions (C speed) so a 2 MB article costs milliseconds. markdown-it is
imported only when an excerpt is derived, and then parses only the start of the article.
"""

from __future__ import annotations

import math
import re
from functools import cache
from typing import TYPE_CHECKING

from .model import Message

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.token import Token

CJK_CHARS_PER_MINUTE = 500
WORDS_PER_MINUTE = 230

# Han (incl. extensions A-F and compatibility), kana (incl. half-width), Hangul syllables.
_CJK_CLASS = (
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
    "\u3040-\u309f\u30a0-\u30ff\u31f0-\u31ff\uff66-\uff9f\uac00-\ud7af"
)
_KANA_CLASS = "\u3040-\u309f\u30a0-\u30ff\u31f0-\u31ff\uff66-\uff9f"
_HAN_CLASS = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_KANA = re.compile(f"[{_KANA_CLASS}]")
# Counted as runs: one match per run instead of one per character is several times faster.
_CJK_RUN = re.compile(f"[{_CJK_CLASS}]+")
_LATIN_RUN = re.compile("[A-Za-z\u00c0-\u024f]+")
_LETTER_RUN = re.compile(r"[^\W\d_]+")
_WORD_CHARS = re.compile(r"\w+")
_ASCII_WORD = re.compile(r"[A-Za-z']+")
# Markdown noise that readers do not read: link targets, HTML tags, bare URLs. Each pattern
# stops at the character that starts its next match ("]", "<"): a failed match from every
# "](" or "<" of one long line must not scan to the line's end each time (quadratic).
_LINK_TARGET = re.compile(r"\]\([^)\s\]]*(?:\s+\"[^\"]*\")?\)")
_HTML_TAG = re.compile(r"</?[A-Za-z][^<>\n]*>")
_URL = re.compile(r"\b(?:https?|ftp)://\S+")
# A whole fenced code block, opener to closer (or the end): left out of the language sample.
_FENCED_BLOCK = re.compile(r"^(`{3,}|~{3,})[^\n]*\n.*?(?:^\1[ \t]*$|\Z)", re.DOTALL | re.MULTILINE)
_CODE_SPAN = re.compile(r"`[^`\n]*`")

# Frequent English function words that other Latin-script languages rarely use.
_ENGLISH = frozenset(
    [
        "the",
        "and",
        "of",
        "to",
        "is",
        "are",
        "were",
        "been",
        "it",
        "this",
        "that",
        "for",
        "with",
        "from",
        "not",
        "but",
        "have",
        "has",
        "had",
        "you",
        "they",
        "which",
        "would",
        "will",
        "be",
        "by",
        "at",
        "as",
        "was",
    ]
)
_SAMPLE_CHARS = 50_000
# Reading rates: 230 words/min of ~5 letters vs 500 CJK chars/min, so one CJK char ~ 2.3 letters.
_LATIN_LETTERS_PER_CJK_CHAR = 2.3

# Sentence ends: CJK full stops always; ASCII !? before whitespace, CJK or the end; "." only
# before whitespace or the end ("Inc.のCEO" is not a sentence end).
_CLOSERS_RE = re.escape("」』）)]】〉》\"'”’")


# Compiled on first use: classes with astral ranges cost re ~1.5-6 ms each to compile, on every
# cold start of the publish function, and only some drafts need them (an excerpt cut short, a
# Japanese language guess).
@cache
def _cjk() -> re.Pattern[str]:
    return re.compile(f"[{_CJK_CLASS}]")


@cache
def _kana_han_run() -> re.Pattern[str]:
    return re.compile(f"[{_KANA_CLASS}{_HAN_CLASS}]+")


@cache
def _sentence_end() -> re.Pattern[str]:
    return re.compile(
        rf"(?:[。！？．][{_CLOSERS_RE}]*|[!?][{_CLOSERS_RE}]*(?=\s|$|[{_CJK_CLASS}])|(?<=[^.\d])\.[{_CLOSERS_RE}]*(?=\s|$))"
    )


_ELLIPSIS = "…"
_PREFIX_CHARS = 4096  # parsed first for the excerpt; grown 8-fold until it holds the paragraph
_BLANK_LINE = re.compile(r"\n[ \t]*\n")


def derive_excerpt(markdown: str, *, limit: int = 160) -> str:
    """Plain text of the first paragraph, at most `limit` characters.

    A paragraph longer than `limit` is cut after the last sentence end that fits (。！？ or
    .!? before a space), when that keeps at least a third of the limit; otherwise at a word
    boundary (any character between CJK characters) with "…" appended. Headings, code blocks,
    tables, HTML and image-only paragraphs are skipped; links keep their text, images their
    alt text; emphasis and code marks are dropped. "" when there is no paragraph.
    """
    if limit < 1:
        raise ValueError("limit must be at least 1")
    text = _first_paragraph(markdown)
    if len(text) <= limit:
        return text
    window = text[: limit + 1]  # a sentence ending exactly at the limit still fits
    ends = [m.end() for m in _sentence_end().finditer(window) if m.end() <= limit]
    if ends and ends[-1] >= limit // 3:
        return text[: ends[-1]].rstrip()
    cut = text[: limit - 1]
    if cut and _is_word_char(text[limit - 1]) and _is_word_char(cut[-1]):
        space = cut.rfind(" ")
        if space >= limit // 3:
            cut = cut[:space]
    return cut.rstrip(" \t,、，;:；：-—") + _ELLIPSIS


def _is_word_char(ch: str) -> bool:
    return (ch.isalnum() or ch in "'’-") and not _cjk().match(ch)


@cache
def _parser() -> MarkdownIt:
    from markdown_it import MarkdownIt

    from .mdrender import bounded, warmed

    return warmed(bounded(MarkdownIt("commonmark").enable(["table", "strikethrough"])))


def _first_paragraph(markdown: str) -> str:
    """_paragraph_in(the whole document's tokens), parsing only as much of it as that needs.

    A prefix that ends at a blank line parses, up to its last paragraph, exactly as the whole
    document does: markdown-it decides where each block ends from the lines up to that end, and
    no paragraph, reference definition or block that a paragraph follows spans a blank line, or
    else it reaches past the prefix and ends there. Only reference definitions further down can
    change the prefix's inline text, so their mark "]:" sends us to the whole document.
    """
    size = _PREFIX_CHARS
    while size < len(markdown):
        blank = _BLANK_LINE.search(markdown, size)
        if blank is None or markdown.find("]:", blank.end()) != -1:
            break
        prefix = markdown[: blank.end()]
        text = _paragraph_in(_parser().parse(prefix), prefix.count("\n"))
        if text is not None:
            return text
        size *= 8
    return _paragraph_in(_parser().parse(markdown), None) or ""


def _paragraph_in(tokens: list[Token], lines: int | None) -> str | None:
    """Plain text of the first non-empty paragraph outside lists; None when there is none, or
    when it runs to the end of a prefix of `lines` lines (then it could go on beyond it)."""
    in_list = 0
    for i, tok in enumerate(tokens):
        if tok.type in ("bullet_list_open", "ordered_list_open"):
            in_list += 1
        elif tok.type in ("bullet_list_close", "ordered_list_close"):
            in_list -= 1
        elif tok.type == "inline" and i > 0 and tokens[i - 1].type == "paragraph_open" and not in_list:
            if lines is not None and (tok.map is None or tok.map[1] >= lines):
                return None
            text = _plain(tok.children or [])
            if text:
                return text
    return None


def _plain(children: list[Token]) -> str:
    parts: list[str] = []
    for child in children:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append("\n")
        elif child.type == "image":
            continue  # alt text of an inline image reads oddly in a summary
    text = "".join(parts)
    # A line break between CJK characters is not a space (Japanese has none between words).
    text = re.sub(rf"(?<=[{_CJK_CLASS}、。」』）])\s*\n\s*(?=[{_CJK_CLASS}「『（])", "", text)
    return re.sub(r"\s+", " ", text).strip()


def _readable(markdown: str) -> str:
    # Each pattern needs its literal; skipping the scan when it is absent changes nothing.
    text = _LINK_TARGET.sub("]", markdown) if "](" in markdown else markdown
    text = _without_comments(text) if "<!--" in text else text
    text = _HTML_TAG.sub(" ", text) if "<" in text else text
    return _URL.sub(" ", text) if "://" in text else text


def _without_comments(text: str) -> str:
    """`text` with each HTML comment replaced by a space. Not a regex: "<!--.*?-->" tried
    from each of many unclosed "<!--" scans to the end every time."""
    parts: list[str] = []
    pos = 0
    while (start := text.find("<!--", pos)) != -1:
        end = text.find("-->", start + 4)
        if end == -1:
            break  # no comment closes after this one either
        parts += (text[pos:start], " ")
        pos = end + 3
    parts.append(text[pos:])
    return "".join(parts)


def _count(runs: re.Pattern[str], text: str) -> int:
    """Characters of `text` in the class that `runs` matches runs of."""
    return len(text) - len(runs.sub("", text))


def _counts(markdown: str) -> tuple[int, int]:
    """(CJK characters, words in other scripts) of the text a reader reads."""
    text = _readable(markdown)
    # A CJK run becomes one space: what is left has the CJK characters' count missing and the
    # other scripts' words, now runs of \w, still apart.
    rest, runs = _CJK_RUN.subn(" ", text)
    cjk = len(text) - len(rest) + runs
    words = _WORD_CHARS.subn("", rest)[1]
    return cjk, words


def estimate_reading_time(markdown: str) -> int:
    """Minutes to read, rounded up, at least 1: CJK characters at 500/min plus other words at 230/min.

    Link targets, HTML tags and bare URLs are not counted; code is (it is read too).
    """
    cjk, words = _counts(markdown)
    return max(1, math.ceil(cjk / CJK_CHARS_PER_MINUTE + words / WORDS_PER_MINUTE))


def check_reading_time(given: int, markdown: str, *, line: int | None = None) -> Message | None:
    """A warning when the writer's reading_time is far from the estimate, else None.

    "Far" means off by a factor of more than 2 and by at least 2 minutes, so short posts and
    honest rounding never warn.
    """
    estimate = estimate_reading_time(markdown)
    if abs(given - estimate) >= 2 and (given > 2 * estimate or 2 * given < estimate):
        return Message(
            "warning",
            f"{given} minutes given, but the text reads in about {estimate}; "
            "correct it, or remove reading_time to use the estimate",
            line=line,
            field="reading_time",
        )
    return None


def detect_language(text: str) -> str | None:
    """ "ja" when the text is mostly Japanese, "en" when it is English, None when unsure.

    Japanese: kana present and Han + kana at least half of the reading (one CJK character
    weighs as 2.3 Latin letters, from the reading rates); Chinese has no kana, so it stays None. English: at least 80% Latin letters, at least 5 words, and common English
    words making up at least 10% of them (so French or Spanish stay None). Code and URLs are
    ignored; only the first 50,000 characters are looked at.
    """
    sample = _CODE_SPAN.sub(" ", _FENCED_BLOCK.sub("", text[:_SAMPLE_CHARS]))
    sample = _readable(sample)
    letters = _count(_LETTER_RUN, sample)
    if letters == 0:
        return None
    if _KANA.search(sample):
        kana_han = _count(_kana_han_run(), sample)
        if kana_han * _LATIN_LETTERS_PER_CJK_CHAR >= letters - kana_han:
            return "ja"
    latin = _count(_LATIN_RUN, sample)
    if latin < 0.8 * letters:
        return None
    words = [w.lower() for w in _ASCII_WORD.findall(sample)]
    if len(words) < 5:
        return None
    common = sum(1 for w in words if w in _ENGLISH)
    return "en" if common >= 0.1 * len(words) else None
