"""Pure helpers over Markdown text: excerpt, reading time, language guess.

Counting uses regular expressions (C speed) so a 2 MB article costs milliseconds. markdown-it is
imported only when an excerpt is derived.
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
_CJK = re.compile(f"[{_CJK_CLASS}]")
_KANA = re.compile("[\u3040-\u309f\u30a0-\u30ff\u31f0-\u31ff\uff66-\uff9f]")
_HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")
_LATIN = re.compile("[A-Za-z\u00c0-\u024f]")
_LETTER = re.compile(r"[^\W\d_]")
_WORD = re.compile(rf"[^\W{_CJK_CLASS}]+")
_ASCII_WORD = re.compile(r"[A-Za-z']+")
# Markdown noise that readers do not read: link targets, HTML tags, bare URLs.
_LINK_TARGET = re.compile(r"\]\([^)\s]*(?:\s+\"[^\"]*\")?\)")
_HTML_TAG = re.compile(r"</?[A-Za-z][^>\n]*>|<!--.*?-->", re.DOTALL)
_URL = re.compile(r"\b(?:https?|ftp)://\S+")
_FENCE = re.compile(r"^(`{3,}|~{3,})[^\n]*\n.*?(?:^\1[ \t]*$|\Z)", re.DOTALL | re.MULTILINE)
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
_SENTENCE_END = re.compile(
    rf"(?:[。！？．][{_CLOSERS_RE}]*|[!?][{_CLOSERS_RE}]*(?=\s|$|[{_CJK_CLASS}])|(?<=[^.\d])\.[{_CLOSERS_RE}]*(?=\s|$))"
)
_ELLIPSIS = "…"


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
    ends = [m.end() for m in _SENTENCE_END.finditer(window) if m.end() <= limit]
    if ends and ends[-1] >= limit // 3:
        return text[: ends[-1]].rstrip()
    cut = text[: limit - 1]
    if cut and _is_word_char(text[limit - 1]) and _is_word_char(cut[-1]):
        space = cut.rfind(" ")
        if space >= limit // 3:
            cut = cut[:space]
    return cut.rstrip(" \t,、，;:；：-—") + _ELLIPSIS


def _is_word_char(ch: str) -> bool:
    return (ch.isalnum() or ch in "'’-") and not _CJK.match(ch)


@cache
def _parser() -> MarkdownIt:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").enable(["table", "strikethrough"])


def _first_paragraph(markdown: str) -> str:
    tokens = _parser().parse(markdown)
    in_list = 0
    for i, tok in enumerate(tokens):
        if tok.type in ("bullet_list_open", "ordered_list_open"):
            in_list += 1
        elif tok.type in ("bullet_list_close", "ordered_list_close"):
            in_list -= 1
        elif tok.type == "inline" and i > 0 and tokens[i - 1].type == "paragraph_open" and not in_list:
            text = _plain(tok.children or [])
            if text:
                return text
    return ""


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
    text = _LINK_TARGET.sub("]", markdown)
    text = _HTML_TAG.sub(" ", text)
    return _URL.sub(" ", text)


def _counts(markdown: str) -> tuple[int, int]:
    """(CJK characters, words in other scripts) of the text a reader reads."""
    text = _readable(markdown)
    cjk = len(_CJK.findall(text))
    words = sum(1 for _ in _WORD.finditer(text))
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
    sample = _CODE_SPAN.sub(" ", _FENCE.sub("", text[:_SAMPLE_CHARS]))
    sample = _readable(sample)
    letters = len(_LETTER.findall(sample))
    if letters == 0:
        return None
    kana = len(_KANA.findall(sample))
    han = len(_HAN.findall(sample))
    if kana > 0 and (kana + han) * _LATIN_LETTERS_PER_CJK_CHAR >= letters - kana - han:
        return "ja"
    latin = len(_LATIN.findall(sample))
    if latin < 0.8 * letters:
        return None
    words = [w.lower() for w in _ASCII_WORD.findall(sample)]
    if len(words) < 5:
        return None
    common = sum(1 for w in words if w in _ENGLISH)
    return "en" if common >= 0.1 * len(words) else None
