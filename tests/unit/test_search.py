"""The pure part of search (issue 18): a post's text for the index, the stored size limit, the
language Pagefind is told, and when the debounced job is due."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from stitchpress.core.render import render_markdown
from stitchpress.core.search import MAX_STORED_BYTES, Dirty, due, is_hashed, language, pack, text_of, unpack


def test_the_text_of_a_post_is_its_words_without_markup() -> None:
    body = render_markdown(
        "# Heading\n\nA *theme* with [a link](https://example.com) & `code`.\n\n"
        "- one\n- two\n\n![a chart](/img/c.png)\n\n長期の投資信託。\n"
    )
    text = text_of(body.html)
    assert text.split("\n") == [
        "Heading",
        "A theme with a link & code.",
        "one",
        "two",
        "a chart",
        "長期の投資信託。",
    ]
    assert "<" not in text and "https://" not in text


def test_a_raw_script_in_the_body_is_not_searchable_text() -> None:
    assert text_of("<p>ok</p><script>var secret = 1;</script><style>p{}</style>") == "ok"


@given(st.text(max_size=2000))
def test_the_stored_text_round_trips(text: str) -> None:
    assert unpack(pack(text)) == text


def test_a_text_too_large_for_one_item_is_cut_to_fit() -> None:
    import random

    rng = random.Random(1)  # incompressible words
    text = " ".join(
        "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(8)) for _ in range(200_000)
    )
    data = pack(text)
    assert len(data) <= MAX_STORED_BYTES
    assert text.startswith(unpack(data)) and len(unpack(data)) > 100_000


def test_pagefind_gets_the_posts_primary_language() -> None:
    assert language("ja-JP", "en") == "ja"
    assert language(None, "ja") == "ja"
    assert language("EN", "ja") == "en"
    assert language("not a tag", "en") == "en"


def test_the_job_is_due_once_publishes_pause_or_a_burst_goes_on_too_long() -> None:
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    s = timedelta(seconds=1)
    assert not due(None, t0, 30, 300)
    assert not due(Dirty(since=t0, last=t0 + 10 * s), t0 + 20 * s, 30, 300)  # still busy
    assert due(Dirty(since=t0, last=t0 + 10 * s), t0 + 40 * s, 30, 300)  # quiet for 30 s
    assert due(Dirty(since=t0, last=t0 + 299 * s), t0 + 300 * s, 30, 300)  # never quiet, but 5 min


def test_only_pagefinds_content_named_files_are_treated_as_immutable() -> None:
    assert is_hashed("pagefind/fragment/en_cd26ada.pf_fragment")
    assert is_hashed("pagefind/index/ja_4eb3a12.pf_index")
    assert is_hashed("pagefind/pagefind.en_9e8edaacf7.pf_meta")
    for name in (
        "pagefind-entry.json",
        "pagefind.js",
        "pagefind-ui.js",
        "wasm.en.pagefind",
        "pagefind-ui.css",
    ):
        assert not is_hashed(f"pagefind/{name}")
