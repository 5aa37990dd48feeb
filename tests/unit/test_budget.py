"""Issue 13: what one draft may cost. The link-label scan that remembers its answers gives
markdown-it's own answers, heading ids and word counts stay linear, and the limits and the
compile deadline reject a draft with a report instead of running on."""

from __future__ import annotations

import gc
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager

import markdown_it.helpers
import mdit_py_plugins.footnote.index as footnote_index
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from mdit_py_plugins.footnote import footnote_plugin

from stitchpress.core import budget, textstats
from stitchpress.core.labels import make_linear
from stitchpress.core.mdrender import render_markdown
from stitchpress.core.model import DraftRejected, SiteSettings
from stitchpress.core.pipeline import compile_draft

SITE = SiteSettings(title="t", base_url="https://example.com")


def draft(body: str) -> bytes:
    return f"---\ntitle: Budget\ndate: 2025-01-01\n---\n\n{body}\n".encode()


def cpu(fn: object, *args: object) -> float:
    """The call's CPU time without the garbage collector's passes (a full pass over the
    objects other tests left made one run of a linear-time check look quadratic)."""
    gc.collect()
    gc.disable()
    try:
        start = time.thread_time()
        fn(*args)  # type: ignore[operator]
        return time.thread_time() - start
    finally:
        gc.enable()


# --- the linear label scan gives markdown-it's own answers -------------------------------------


def _parser(linear: bool) -> MarkdownIt:
    md = MarkdownIt("js-default", {"html": False, "linkify": False}).enable(["table", "strikethrough"])
    md.use(footnote_plugin)
    return make_linear(md) if linear else md


@contextmanager
def original_footnote_scan() -> Iterator[None]:
    """The footnote plugin as shipped (stitchpress.core.mdrender patches its scan module-wide)."""
    patched = footnote_index.parseLinkLabel
    footnote_index.parseLinkLabel = markdown_it.helpers.parseLinkLabel
    try:
        yield
    finally:
        footnote_index.parseLinkLabel = patched


_REFERENCE, _LINEAR = _parser(False), _parser(True)
_PIECES = st.sampled_from([*"[]()!^<>`*_\\ ax:\n", "](", "![", "^[", "[^1]", "\n\n[^1]: n\n"])


@settings(max_examples=400, deadline=None)
@given(st.lists(_PIECES, max_size=80).map("".join))
def test_linear_label_scan_renders_exactly_as_markdown_it(text: str) -> None:
    render_markdown("warm")  # patches the footnote plugin the way production does
    with original_footnote_scan():
        expected = _REFERENCE.render(text)
    assert _LINEAR.render(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "[a] [b](c) ![d](e) [[f]](g) [x [y](z)](w) ^[note [in] it] [^1]\n\n[^1]: n",
        "[" * 300 + "]" * 300,
        "![" * 300 + "](x)",
        "[a](" * 200,
        "[[[[[[[[[[[[[[[[[[[[[foo]()",  # markdown-it's own maxNesting corner
        "^[" * 200 + "]" * 10,
    ],
)
def test_linear_label_scan_on_nested_and_unclosed_brackets(text: str) -> None:
    render_markdown("warm")
    with original_footnote_scan():
        expected = _REFERENCE.render(text)
    assert _LINEAR.render(text) == expected


# --- heading ids ------------------------------------------------------------------------------


def _ids_reference(slugs: list[str]) -> list[str]:
    used: set[str] = set()
    out = []
    for base in slugs:
        ident, n = base, 1
        while ident in used:
            n += 1
            ident = f"{base}-{n}"
        used.add(ident)
        out.append(ident)
    return out


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["a", "a 2", "a 2 2", "a 3", "b", "a-2-2"]), max_size=30))
def test_heading_ids_are_the_first_free_number(titles: list[str]) -> None:
    body = render_markdown("\n\n".join(f"## {t}" for t in titles))
    expected = _ids_reference(["h-" + re.sub(r"\s+", "-", t) for t in titles])
    assert [h.id for h in body.headings] == expected
    assert len(set(expected)) == len(expected)


def test_a_thousand_equal_headings_cost_linear_time() -> None:
    # Was `while ident in used: n += 1` from 1 for every heading: 5,000 "# a" took ~20 s.
    small = min(cpu(render_markdown, "# a\n" * 1_000) for _ in range(3))
    large = min(cpu(render_markdown, "# a\n" * 4_000) for _ in range(3))
    assert large < 6 * small + 0.05, (small, large)
    assert render_markdown("# a\n" * 3).headings[2].id == "h-a-3"


# --- word counts --------------------------------------------------------------------------------


@pytest.mark.parametrize("pattern", ["[a](", "<a", "<!--", '](x "', "<a <!-- "])
def test_word_counts_are_linear_on_one_long_line(pattern: str) -> None:
    # The regexes scanned from every "](" / "<" to the end of the line: 10 KB of "[a](" took 4 s.
    text = pattern * 50_000
    assert cpu(textstats.estimate_reading_time, text) < 1.0
    assert cpu(textstats.detect_language, text) < 1.0


def test_html_comments_and_tags_are_still_not_counted() -> None:
    words = "one two three four five six seven eight nine ten " * 23  # 230 words: 1 minute
    noise = "<!-- " + "hidden " * 500 + '--> <span class="x y z">' + "[t](https://a.b/c d e) " * 0
    assert textstats.estimate_reading_time(words + noise) == 1
    assert textstats.estimate_reading_time(words + "<!-- unclosed " + "w " * 300) == 3


# --- limits and the deadline -----------------------------------------------------------------


def test_a_draft_over_the_deadline_is_rejected_naming_the_stage_and_the_fix() -> None:
    body = "![" * 200_000  # 400 KB in one paragraph: minutes for markdown-it before the fix
    start = time.thread_time()
    with pytest.raises(DraftRejected) as info:
        compile_draft("drafts/bomb.md", draft(body), SITE, seconds=0.3)
    assert time.thread_time() - start < 2.0
    [message] = info.value.messages
    assert message.level == "error" and message.field == "body"
    assert "too complex to render within 0.3 s" in message.text
    assert "rendering the Markdown" in message.text
    assert (
        'the paragraph starting "![![' in message.text
        and '(200,000 "[" in 400,000 characters)' in message.text
    )
    assert "close the brackets" in message.text


def test_the_deadline_counts_only_the_compiling_threads_time() -> None:
    ticks = iter([0.0, 0.5, 1.5])
    with budget.deadline(1.0, clock=lambda: next(ticks)) as d:
        budget.check("stitching the segments")  # 0.5 s used
        with pytest.raises(budget.TooComplex, match=r"still stitching the segments\); join small segments"):
            d.check("stitching the segments")
    budget.check("outside any deadline: never raises")


def test_a_huge_code_block_is_shown_without_colours_and_the_writer_told() -> None:
    code = "x = 1\n" * 20_000  # 120,000 characters
    body = render_markdown(f"```python\n{code}```\n\n```python\nprint(1)\n```\n")
    huge, small = body.html.split("</pre>")[:2]
    assert '<pre><code class="language-python">x = 1\n' in huge and "<span" not in huge
    assert '<span class="nb">print</span>' in small  # the small block is still coloured
    [note] = body.notes
    assert "at line 1 of the article (120,000 characters) is over 100,000 characters" in note


def test_code_past_the_total_highlight_budget_is_shown_plainly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(budget, "MAX_HIGHLIGHT_TOTAL", 3_000)
    block = "```python\n" + "y = 2\n" * 150 + "```\n\n"  # 900 characters each
    body = render_markdown(block * 4)
    assert body.html.count('<pre class="highlight">') == 3
    assert body.html.count('<pre><code class="language-python">y = 2\n') == 1
    assert len(body.notes) == 1 and "at line 460 of the article" in body.notes[0]
    assert "past the 3,000 characters of code a post may colour" in body.notes[0]


def test_compiled_post_reports_plain_code_as_a_warning() -> None:
    post = compile_draft("drafts/code.md", draft("Text.\n\n```sh\n" + "echo\n" * 30_000 + "```"), SITE)
    assert any(m.level == "warning" and "without syntax colours" in m.text for m in post.messages)


def test_a_page_over_the_size_limit_is_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(budget, "MAX_PAGE_CHARS", 50_000)
    with pytest.raises(DraftRejected) as info:
        compile_draft("drafts/amp.md", draft("&" * 20_000), SITE)  # "&amp;": 100,000 characters
    assert "renders to 100,0" in info.value.messages[0].text
    assert "over the limit of 50,000; split it into several posts" in info.value.messages[0].text
