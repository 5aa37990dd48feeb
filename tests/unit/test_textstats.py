"""Excerpt, reading time and language guess over Markdown text."""

from __future__ import annotations

import re
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stitchpress.core import textstats
from stitchpress.core.model import Message
from stitchpress.core.textstats import (
    check_reading_time,
    derive_excerpt,
    detect_language,
    estimate_reading_time,
)
from stitchpress.core.validate import parse_draft
from tests.conftest import EXAMPLE_DRAFT

# --- derive_excerpt ------------------------------------------------------------------------------


def test_excerpt_is_the_first_prose_paragraph_as_plain_text() -> None:
    markdown = (
        "# Title\n\n"
        "![cover](cover.png)\n\n"
        "```python\nprint('code')\n```\n\n"
        "This is **bold**, _it_, [a link](http://x.com) and `code` &amp; ~~gone~~ text.\n\n"
        "Second paragraph.\n"
    )
    assert derive_excerpt(markdown) == "This is bold, it, a link and code & gone text."


def test_excerpt_skips_lists_tables_and_html_blocks() -> None:
    markdown = (
        "<!-- more -->\n\n- item\n- item\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\nThe <b>real</b> start.\n"
    )
    assert derive_excerpt(markdown) == "The real start."


def test_excerpt_joins_lines_with_a_space_but_not_between_japanese() -> None:
    assert derive_excerpt("line one\nline two\n") == "line one line two"
    assert derive_excerpt("日本語の文章\nが続く。\n") == "日本語の文章が続く。"


def test_short_paragraph_is_returned_whole() -> None:
    assert derive_excerpt("Just one sentence without a stop") == "Just one sentence without a stop"


def test_long_paragraph_is_cut_after_the_last_sentence_that_fits() -> None:
    text = "First sentence is here. " * 10  # each sentence is 23 characters plus a space
    excerpt = derive_excerpt(text, limit=160)
    assert excerpt == ("First sentence is here. " * 6).strip()  # 6 sentences = 143 characters
    assert len(excerpt) == 143


def test_an_abbreviation_before_japanese_is_not_a_sentence_end() -> None:
    text = "私は" * 30 + "記憶にありません。" + "Meta Platforms, Inc.のCEOが" + "話す" * 80
    assert derive_excerpt(text) == "私は" * 30 + "記憶にありません。"


def test_without_a_sentence_end_the_cut_is_at_a_word_with_an_ellipsis() -> None:
    text = "abcdef " * 40
    # The limit falls inside a word: back up to the space after the 22nd word.
    assert derive_excerpt(text, limit=160) == " ".join(["abcdef"] * 22) + "…"


def test_cjk_without_a_sentence_end_is_cut_anywhere() -> None:
    assert derive_excerpt("あ" * 300, limit=160) == "あ" * 159 + "…"


def test_example_draft_excerpt_ends_at_a_japanese_full_stop() -> None:
    body = parse_draft("drafts/2025-09-21-x.md", EXAMPLE_DRAFT.read_bytes()).body
    body = body.split("\n\n", 2)[2]  # past the title line the example repeats as its first paragraph
    excerpt = derive_excerpt(body)
    assert excerpt.startswith("私がシリコンバレーの小さなスタートアップから")
    assert excerpt.endswith("記憶にありません。")
    assert len(excerpt) <= 160


def test_no_paragraph_gives_an_empty_excerpt() -> None:
    assert derive_excerpt("") == ""
    assert derive_excerpt("# Only a heading\n\n```\ncode\n```\n") == ""


def test_limit_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        derive_excerpt("x", limit=0)


markdown_pieces = st.sampled_from(
    [
        "word",
        "語",
        "**bold**",
        "_em_",
        "`code`",
        "[link](http://x.y)",
        "![img](a.png)",
        ". ",
        "。",
        "\n",
        " ",
        "# ",
    ]
)


@settings(max_examples=150, deadline=None)
@given(st.lists(markdown_pieces, max_size=120).map(" ".join), st.integers(min_value=1, max_value=200))
def test_excerpt_is_short_plain_text(markdown: str, limit: int) -> None:
    # Pieces are space-separated so every mark is well-formed syntax (glued runs such as
    # "**a****b**" are literal text in CommonMark, and the page shows them too).
    excerpt = derive_excerpt(markdown, limit=limit)
    assert len(excerpt) <= limit
    for syntax in ("**", "`", "](", "!["):
        assert syntax not in excerpt
    assert excerpt == excerpt.strip()


def _excerpt_from_whole_document(markdown: str, limit: int = 160) -> str:
    """derive_excerpt as it was: the first paragraph taken from a parse of the whole document."""
    paragraph = textstats._paragraph_in(textstats._parser().parse(markdown), None) or ""
    with mock.patch.object(textstats, "_first_paragraph", lambda _: paragraph):
        return derive_excerpt(markdown, limit=limit)


FAR_DOWN = "The first paragraph, far down."


@pytest.mark.parametrize(
    "head",
    [
        "```\n" + "code line\n\n" * 3000 + "```\n\n",  # blank lines inside a long fence
        "```\n" + "never closed\n\n" * 3000,  # the fence runs to the end: no paragraph at all
        "- item\n\n  more of the item\n\n" * 1500,  # a long loose list
        "| a | b |\n|---|---|\n" + "| 1 | 2 |\n" * 3000 + "\n",  # a long table
        "# Heading\n\n![image](a.png)\n\n" * 800,  # headings and image-only paragraphs
        "<!--\n" + "comment\n\n" * 3000 + "-->\n\n",  # an HTML block with blank lines
        "> quoted\n>\n" * 3000 + "\n",  # a long blockquote (its paragraphs count)
        "    indented code\n\n" * 3000,
    ],
)
def test_excerpt_after_long_blocks_is_the_whole_document_s(head: str) -> None:
    markdown = head + FAR_DOWN + "\n\nSecond paragraph.\n"
    assert len(markdown) > 2 * textstats._PREFIX_CHARS
    assert derive_excerpt(markdown) == _excerpt_from_whole_document(markdown)


@pytest.mark.parametrize(
    "tail",
    [
        "===\n",  # a setext underline: the "paragraph" at the cut is a heading
        "|---|---|\n| 1 | 2 |\n",  # a delimiter row: it is a table header
        "lazy continuation of the same paragraph\n",
        "\n[ref]: https://example.com/\n",  # a reference defined at the very end
    ],
)
def test_excerpt_when_later_lines_change_the_first_paragraph(tail: str) -> None:
    filler = "```\n" + "x\n" * 2040 + "```\n\n"  # 4,089 characters: the first cut is near
    for pad in range(0, 60, 7):
        markdown = filler + "p" * pad + "\n\n" + "A [ref] | b |\n" + tail + "\nLater text.\n"
        assert derive_excerpt(markdown) == _excerpt_from_whole_document(markdown)


blocks = st.sampled_from(
    [
        "para text",
        "語の文。",
        "[ref]",
        "[ref]: /url",
        "```",
        "~~~",
        "    indented",
        "- item",
        "1. item",
        "> quote",
        "| a | b |",
        "|---|---|",
        "===",
        "---",
        "# heading",
        "<div>",
        "<!--",
        "-->",
        "![img](a.png)",
        "",
        "",
        "",
    ]
)


@settings(max_examples=200, deadline=None)
@given(st.lists(blocks, max_size=60), st.integers(min_value=1, max_value=400))
def test_excerpt_equals_the_whole_document_s(lines: list[str], repeat_at: int) -> None:
    # A small prefix size so that the prefix logic runs on small documents.
    markdown = "\n".join(lines) + "\n"
    with mock.patch.object(textstats, "_PREFIX_CHARS", 1 + repeat_at % 40):
        assert derive_excerpt(markdown) == _excerpt_from_whole_document(markdown)


# --- estimate_reading_time / check_reading_time --------------------------------------------------


def test_reading_time_rates() -> None:
    assert estimate_reading_time("") == 1
    assert estimate_reading_time("あ" * 500) == 1
    assert estimate_reading_time("あ" * 501) == 2
    assert estimate_reading_time("word " * 230) == 1
    assert estimate_reading_time("word " * 231) == 2
    assert estimate_reading_time("漢" * 250 + " word" * 115) == 1  # half a minute each
    assert estimate_reading_time("한" * 2500) == 5  # Hangul counts as CJK characters


def test_link_targets_and_urls_are_not_read() -> None:
    assert estimate_reading_time("[word](https://example.com/a/b/c/d/e/f) " * 230) == 1
    assert estimate_reading_time("<span class='a b c d'>word</span> " * 230) == 1
    assert estimate_reading_time("word https://example.com/a/b/c/d/e/f " * 230) == 1


def test_example_draft_reading_time() -> None:
    body = parse_draft("drafts/2025-09-21-x.md", EXAMPLE_DRAFT.read_bytes()).body
    # Unstitched (overlaps counted twice): about 8,500 CJK characters and 300 other words.
    assert 15 <= estimate_reading_time(body) <= 22


def test_reading_time_far_from_the_estimate_warns() -> None:
    text = "あ" * 5000  # 10 minutes
    assert check_reading_time(10, text) is None
    assert check_reading_time(5, text) is None  # half: honest rounding
    assert check_reading_time(20, text) is None
    assert check_reading_time(4, text) == Message(
        "warning",
        "4 minutes given, but the text reads in about 10; correct it, or remove reading_time to use the estimate",
        field="reading_time",
    )
    assert check_reading_time(21, text) is not None
    warning = check_reading_time(60, text, line=9)
    assert warning is not None
    assert warning.format("drafts/x.md").startswith("drafts/x.md:9: warning: reading_time: 60 minutes given")


def test_short_posts_never_warn_for_one_minute_off() -> None:
    assert check_reading_time(2, "short") is None
    assert check_reading_time(3, "short") is not None


texts = st.text(alphabet=st.sampled_from(list("abc xyz 日本語かな한글.,\n")), max_size=300)


@settings(max_examples=100, deadline=None)
@given(texts, texts)
def test_more_text_never_reads_faster(a: str, b: str) -> None:
    assert 1 <= estimate_reading_time(a) <= estimate_reading_time(a + "\n\n" + b)


mixed = st.lists(
    st.sampled_from([*"ab Zé_9'.,\n\t日本語かなカナｶﾅ한글\U00020001ー・", "](x)", "<b>", "http://u"]),
    max_size=200,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(mixed)
def test_counts_equal_one_match_per_character(text: str) -> None:
    # The per-character findall counts these replaced, on the same readable text.
    readable = textstats._readable(text)
    cjk = len(re.findall(f"[{textstats._CJK_CLASS}]", readable))
    words = len(re.findall(rf"[^\W{textstats._CJK_CLASS}]+", readable))
    assert textstats._counts(text) == (cjk, words)
    letters = len(re.findall(r"[^\W\d_]", readable))
    assert textstats._count(textstats._LETTER_RUN, readable) == letters
    kana_han = len(re.findall(f"[{textstats._KANA_CLASS}]", readable)) + len(
        re.findall(f"[{textstats._HAN_CLASS}]", readable)
    )
    assert textstats._count(textstats._kana_han_run(), readable) == kana_han
    assert textstats._count(textstats._LATIN_RUN, readable) == len(
        re.findall("[A-Za-z\u00c0-\u024f]", readable)
    )


def test_readable_skips_only_patterns_that_cannot_match() -> None:
    text = "[a](http://x) <i>b</i> see https://y.z/ ok"
    assert textstats._readable(text) == "[a]  b  see   ok"
    assert textstats._readable("plain ] ( text") == "plain ] ( text"


# --- detect_language -----------------------------------------------------------------------------


def test_example_draft_is_japanese() -> None:
    body = parse_draft("drafts/2025-09-21-x.md", EXAMPLE_DRAFT.read_bytes()).body
    assert detect_language(body) == "ja"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("こんにちは、世界", "ja"),
        ("MetaはAIインフラに巨額の投資を行うと発表しました。Llama 4 の開発も進めています。", "ja"),
        ("MetaはAIに投資します。Llama 4 and GPUs are mentioned, in English, at length.", "en"),
        ("The quick brown fox jumps over the lazy dog and runs to the river.", "en"),
        ("We wrote a post about ピカチュウ and it was fun to write for the team.", "en"),
        ("Le renard brun rapide saute par-dessus le chien paresseux.", None),  # Latin, not English
        ("El zorro marrón salta sobre el perro perezoso en la mañana.", None),
        ("我们今天去公园玩了很长时间", None),  # Chinese: Han without kana
        ("Hello world", None),  # too little to tell
        ("", None),
        ("12345 !!! ---", None),
    ],
)
def test_detect_language(text: str, expected: str | None) -> None:
    assert detect_language(text) == expected


def test_code_and_urls_do_not_make_japanese_english() -> None:
    text = (
        "日本語の説明です。\n\n```python\n"
        + "for item in the_list: print(item) and the rest\n" * 50
        + "```\n"
    )
    assert detect_language(text + "https://example.com/the/and/of/to") == "ja"
