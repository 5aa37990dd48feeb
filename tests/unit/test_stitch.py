"""Stitching rules (issue 3) on small drafts and on the real example draft."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from stitchpress.core.stitch import StitchResult, stitch

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "drafts" / "2025-09-21-meta-ai-investment.md"
EXAMPLE_TITLE = "Metaの6000億ドルAI投資、その真意と業界への波紋とは？"


def _ok(result: StitchResult) -> str:
    assert result.errors == [], result.errors
    return result.markdown


def _texts(result: StitchResult) -> list[str]:
    return [m.text for m in result.warnings]


# --- the example draft, worked out by hand ---------------------------------------------------


@pytest.fixture(scope="module")
def example_lines() -> list[str]:
    return EXAMPLE.read_text(encoding="utf-8").split("\n")


@pytest.fixture(scope="module")
def example_result(example_lines: list[str]) -> StitchResult:
    # The body starts after the closing `---` on line 10, i.e. on line 11.
    assert example_lines[9] == "---"
    body = "\n".join(example_lines[10:])
    return stitch(body, title=EXAMPLE_TITLE, first_line=11)


def _expected_example(lines: list[str]) -> str:
    """The article, assembled from the raw file by reading the rules, not from stitch()."""

    def line(n: int) -> str:  # 1-based file line
        return lines[n - 1]

    def block(a: int, b: int) -> str:  # file lines a..b inclusive
        return "\n".join(lines[a - 1 : b])

    def after_quote(cont_line: int, quote: str) -> str:
        """What a continuation line adds after `…` + the quote it repeats."""
        assert line(cont_line).startswith("…" + quote)
        return line(cont_line)[len("…" + quote) :]

    assert line(12) == EXAMPLE_TITLE  # the title line: dropped
    # Segment 1, lines 14-26, up to the inline continuation on line 28. That paragraph is only
    # the repeated last sentence of line 26; what follows it (a blank line, then line 30) stays.
    inline_quote = "この壮大な実験の行方を、私もあなたと一緒に見守っていきたいですね。"
    assert line(26).endswith(inline_quote) and line(28) == "…" + inline_quote
    part1 = block(14, 26) + "\n\n" + block(30, 34)
    # Segment 1 stops mid-sentence; segment 2 (line 38) repeats line 34 from "現在のMetaは" and
    # goes on on the same line with "ではありません。".
    assert line(34).endswith("しかし、それだけ") and line(35) == "" and line(36) == "---END---"
    quote2 = line(34)[line(34).index("現在のMetaは") :]
    rest2 = after_quote(38, quote2)
    assert rest2.startswith("ではありません。")
    part2 = rest2 + "\n" + block(39, 94)
    # Segments 3 (line 98) and 4 (line 104) both repeat the tail of line 94; the draft ends on
    # the branch through segment 4, so segment 3 (lines 98-100) is left out entirely.
    quote34 = line(94)[line(94).index("私たちは、この変革の時代において") :]
    assert line(98).startswith("…" + quote34)
    rest4 = after_quote(104, quote34)
    assert rest4.startswith("、その可能性を最大限に引き出しつつ")
    part4 = rest4 + "\n" + block(105, 122)
    # Segment 5 (line 126) repeats all of line 122 and continues "の覇権争い..." on that line.
    rest5 = after_quote(126, line(122))
    assert rest5.startswith("の覇権争いが")
    assert line(141) == "" and line(142) == "---END---" and len(lines) == 142
    part5 = rest5 + "\n" + block(127, 140)
    return part1 + part2 + part4 + part5 + "\n"


def test_example_is_stitched_exactly_as_worked_out_by_hand(
    example_lines: list[str], example_result: StitchResult
) -> None:
    assert _ok(example_result) == _expected_example(example_lines)


def test_example_has_no_markers_title_or_superseded_text(example_result: StitchResult) -> None:
    md = _ok(example_result)
    assert "---END---" not in md
    assert not [ln for ln in md.split("\n") if ln.lstrip().startswith(("…", "..."))]
    assert EXAMPLE_TITLE not in md
    # The segment-1/2 joint is mid-sentence: one sentence, on one line, once.
    assert md.count("しかし、それだけではありません。") == 1
    assert "しかし、それだけ\n" not in md
    # The inline continuation's sentence appears once, and the paragraph break after it is kept.
    assert md.count("この壮大な実験の行方を、私もあなたと一緒に見守っていきたいですね。\n\nさて、") == 1
    assert md.count("この壮大な実験の行方を") == 1
    # Segment 3 ended "...大きい。さあ、このAIが..." in one paragraph; segment 5 repeats that
    # sentence after a paragraph break. Only segment 5's version is in the article.
    assert "大きい。さあ、" not in md
    assert (
        md.count("大きい。\n\nさあ、このAIが織りなす新たな時代を、共に深く考察し、賢く歩んでいきましょう。")
        == 1
    )
    assert md.count("さあ、このAIが織りなす新たな時代を") == 1
    assert md.count("Metaのような巨大企業の動きは") == 1  # in segments 3 and 5; 3 is gone
    assert md.count("AI技術を理解し、その可能性を最大限に引き出しつつ") == 2  # segment 4 and segment 5
    assert md.count("の覇権争いが繰り広げられています。") == 1
    assert md.startswith("いやはや、Metaが2028年までに")
    assert md.endswith("社会全体の対話に他なりません。\n")


def test_example_report(example_result: StitchResult) -> None:
    segs = example_result.segments
    # Inline continuations count as segments: 1, 1's inline (line 28), then the four after ---END---.
    assert [s.line for s in segs] == [14, 28, 38, 98, 104, 126]
    assert [s.parent for s in segs] == [None, 1, 2, 3, 3, 5]
    assert [s.inline for s in segs] == [False, True, False, False, False, False]
    assert [s.continuation for s in segs] == [False, True, True, True, True, True]
    assert [s.status for s in segs] == ["used", "used", "used", "discarded", "used", "used"]
    assert segs[3].reason == "superseded branch"
    assert all(s.reason is None for s in segs if s.status == "used")
    assert all(s.dropped_chars == 0 and s.dropped_text == "" for s in segs)  # no rewinds here
    # overlap = the quote's length: the inline sentence, then the quotes of lines 38, 98/104, 126.
    assert segs[1].overlap_chars == len("この壮大な実験の行方を、私もあなたと一緒に見守っていきたいですね。")
    assert (
        segs[3].overlap_chars
        == segs[4].overlap_chars
        == len("私たちは、この変革の時代において、単なる傍観者であってはなりません。AI技術を理解し")
    )
    assert segs[3].first_words.startswith("私たちは、この変革の時代において")
    assert segs[3].chars > 300

    branch = [m for m in example_result.warnings if "superseded branch" in m.text]
    assert len(branch) == 1 and branch[0].line == 98 and branch[0].field == "stitch"
    assert "segment 4" in branch[0].text and "segment 5" in branch[0].text


def test_example_warnings(example_result: StitchResult) -> None:
    loops = {m.line: m.text for m in example_result.warnings if "possible repetition loop" in m.text}
    # Checked by reading: line 94 repeats line 24's "正直なところ、これだけの投資が..." sentence;
    # line 140 repeats "AI技術を理解し、その可能性を...求められます。" from the 94/104 joint.
    # "私たちは、この変革の時代において、単なる傍観者であってはなりません。" repeats too but is
    # only 34 characters.
    assert set(loops) == {94, 140}
    assert "line 24" in loops[94] and "正直なところ、これだけの投資が" in loops[94]
    assert "line 94" in loops[140] and "AI技術を理解し、その可能性" in loops[140]
    assert not [m for m in example_result.warnings if "mid-sentence" in m.text]
    assert not [m for m in example_result.warnings if "duplicate paragraph" in m.text]
    json.dumps(example_result.to_json())  # JSON-safe


# --- joints --------------------------------------------------------------------------------


def test_quote_ending_mid_word_joins_on_the_same_line() -> None:
    r = stitch("The quick brown fox jum\n---END---\n…brown fox jumps over the lazy dog.\n")
    assert _ok(r) == "The quick brown fox jumps over the lazy dog.\n"
    assert r.segments[1].overlap_chars == len("brown fox jum")


def test_japanese_mid_sentence_joint() -> None:
    r = stitch(
        "広告配信が可能になるでしょう。しかし、それだけ\n\n---END---\n\n…しかし、それだけではありません。次へ。"
    )
    assert _ok(r) == "広告配信が可能になるでしょう。しかし、それだけではありません。次へ。\n"


def test_break_after_the_quote_is_kept() -> None:
    para = "First paragraph ends right here."
    r = stitch(f"{para}\n---END---\n…paragraph ends right here.\n\nSecond paragraph.\n")
    assert _ok(r) == f"{para}\n\nSecond paragraph.\n"
    r = stitch(f"{para}\n---END---\n…ends right here.\nSame paragraph, next line.\n")
    assert _ok(r) == f"{para}\nSame paragraph, next line.\n"


def test_three_dots_marker_space_crlf_and_padding_around_end() -> None:
    clean = stitch("Alpha beta gamma delta.\n---END---\n…gamma delta. Epsilon zeta.")
    messy = stitch(
        "Alpha beta gamma delta.\r\n\r\n  ---END---  \r\n\r\n\r\n...  gamma delta. Epsilon zeta.\r\n"
    )
    assert _ok(clean) == _ok(messy) == "Alpha beta gamma delta. Epsilon zeta.\n"


def test_quote_tolerates_nfkc_and_whitespace_differences_and_output_keeps_originals() -> None:
    # The parent wrote full-width ＡＩ and a line break; the quote uses ASCII and a space.
    body = "私たちはＡＩ技術を\n理解し\n---END---\n…ＡＩ 技術を理解し、その可能性を引き出す。"
    body = body.replace("…ＡＩ 技術", "…AI 技術")
    assert _ok(stitch(body)) == "私たちはＡＩ技術を\n理解し、その可能性を引き出す。\n"


def test_segment_without_marker_follows_the_previous_one_as_a_new_paragraph() -> None:
    r = stitch("One paragraph.\n---END---\nAnother paragraph.\n---END---\n")
    assert _ok(r) == "One paragraph.\n\nAnother paragraph.\n"
    assert [s.parent for s in r.segments] == [None, 1]
    assert [s.continuation for s in r.segments] == [False, False]


def test_empty_segments_and_marker_only_segments_are_ignored() -> None:
    r = stitch("\n---END---\n   \n---END---\nText here.\n---END---\n…\n---END---\n")
    assert _ok(r) == "Text here.\n"
    assert len(r.segments) == 1 and r.segments[0].line == 5


def test_quote_may_run_across_segments() -> None:
    # Segment 3's quote starts in segment 1 and ends in segment 2's new text.
    body = "Alpha alpha one.\n---END---\n…alpha one. Beta\n---END---\n…one. Beta two.\n"
    r = stitch(body)
    assert _ok(r) == "Alpha alpha one. Beta two.\n"
    assert [s.parent for s in r.segments] == [None, 1, 2]


# --- parents, rewinds, branches ------------------------------------------------------------


def test_rewind_drops_the_parent_text_after_the_quote_and_says_so() -> None:
    body = (
        "Alpha sentence one. Beta sentence two. Gamma sentence three.\n"
        "---END---\n"
        "…Beta sentence two. Delta sentence four.\n"
    )
    r = stitch(body, first_line=7)
    assert _ok(r) == "Alpha sentence one. Beta sentence two. Delta sentence four.\n"
    seg = r.segments[1]
    assert seg.parent == 1 and seg.status == "used"
    assert seg.dropped_text == "Gamma sentence three." and seg.dropped_chars == 21
    (w,) = [m for m in r.warnings if "rewinds" in m.text]
    assert w.line == 9 and "21 characters" in w.text and "Gamma sentence three." in w.text


def test_siblings_last_one_wins_and_the_other_is_a_superseded_branch() -> None:
    body = (
        "Common start of the story.\n---END---\n"
        "…start of the story. Branch A goes left.\n---END---\n"
        "…start of the story. Branch B goes right.\n---END---\n"
        "…goes right. And it ends well.\n"
    )
    r = stitch(body)
    assert _ok(r) == "Common start of the story. Branch B goes right. And it ends well.\n"
    assert [s.status for s in r.segments] == ["used", "discarded", "used", "used"]
    assert [s.parent for s in r.segments] == [None, 1, 1, 3]
    assert r.segments[1].reason == "superseded branch"
    (w,) = [m for m in r.warnings if "superseded" in m.text]
    assert w.line == 3 and "segment 2" in w.text and "Branch A goes left." in w.text


def test_end_match_is_preferred_over_a_rewind_of_a_more_recent_segment() -> None:
    # Segment 3 quotes the end of segment 1; that text also occurs inside segment 2 (which
    # repeats it and goes on), so a rewind reading would make 3 a child of 2. The rules make
    # 2 and 3 siblings: segment 2 is a superseded branch.
    body = (
        "Shared tail text here\n---END---\n"
        "…Shared tail text here, and segment two goes on.\n---END---\n"
        "…Shared tail text here, and segment three goes on.\n"
    )
    r = stitch(body)
    assert _ok(r) == "Shared tail text here, and segment three goes on.\n"
    assert [s.parent for s in r.segments] == [None, 1, 1]
    assert r.segments[1].status == "discarded" and r.segments[1].dropped_chars == 0


def test_quote_not_found_rejects_the_draft_with_a_useful_message() -> None:
    body = "Some text that was written.\n---END---\n\n…This quote was never written before, not anywhere at all.\n"
    r = stitch(body, first_line=12)
    assert not r.ok
    (e,) = r.errors
    assert e.level == "error" and e.field == "stitch" and e.line == 15
    assert "segment 2" in e.text
    assert '"This quote was never written before, not…"' in e.text  # its first 40 characters
    assert "repeating the last sentence of the text it continues" in e.text
    assert e.format("drafts/x.md").startswith("drafts/x.md:15: stitch: segment 2")
    json.dumps(r.to_json())


def test_every_missing_quote_is_reported_and_later_segments_still_resolve() -> None:
    body = (
        "Opening words of the piece.\n---END---\n"
        "…nothing like this came before.\n---END---\n"
        "…no such words were written either.\n---END---\n"
        "…were written either. Then it resolves.\n"
    )
    r = stitch(body)
    assert [e.line for e in r.errors] == [3, 5]
    assert r.segments[3].parent == 3 and r.segments[3].overlap_chars > 0


# --- inline continuations ------------------------------------------------------------------


def test_inline_continuation_without_end_line() -> None:
    body = "Para one ends with this sentence.\n\n…ends with this sentence.\n\nPara two.\n"
    r = stitch(body)
    assert _ok(r) == "Para one ends with this sentence.\n\nPara two.\n"
    assert [(s.inline, s.parent, s.line) for s in r.segments] == [(False, None, 1), (True, 1, 3)]


def test_paragraph_starting_with_ellipsis_that_repeats_nothing_is_ordinary_text() -> None:
    body = "It was late.\n\n…and then the lights went out over the whole city.\n"
    r = stitch(body)
    assert _ok(r) == body
    assert len(r.segments) == 1


def test_first_segment_starting_with_a_marker_is_kept_with_a_warning() -> None:
    r = stitch("…and so it begins, in the middle of things.\n")
    assert _ok(r) == "…and so it begins, in the middle of things.\n"
    assert any("no earlier text to continue" in t for t in _texts(r))


# --- title, duplicates, truncation ---------------------------------------------------------


@pytest.mark.parametrize(
    "first",
    ["My Title?", "# My Title?", "  ##  My  Title？  ", "\n\nＭｙ Title?"],
    ids=["plain", "h1", "h2", "nfkc"],
)
def test_title_line_is_removed(first: str) -> None:
    r = stitch(f"{first}\n\nBody text.\n", title="My Title?")
    assert _ok(r) == "Body text.\n"


def test_title_line_is_kept_when_it_is_not_the_title_or_not_first() -> None:
    assert _ok(stitch("My Title, longer\n\nBody.\n", title="My Title")) == "My Title, longer\n\nBody.\n"
    assert _ok(stitch("Body.\n\nMy Title\n", title="My Title")) == "Body.\n\nMy Title\n"
    assert _ok(stitch("My Title\n\nBody.\n")) == "My Title\n\nBody.\n"  # no title given


def test_exact_duplicate_paragraph_is_removed_and_reported() -> None:
    dup = "This paragraph is repeated by a looping model."
    body = f"Intro paragraph here.\n\n{dup}\n\nMiddle.\n\n{dup.replace(' by', '  by')}\n\nEnd.\n"
    r = stitch(body, first_line=5)
    assert _ok(r) == f"Intro paragraph here.\n\n{dup}\n\nMiddle.\n\nEnd.\n"
    (w,) = [m for m in r.warnings if "duplicate paragraph" in m.text]
    assert w.line == 11 and "line 7" in w.text


def test_short_repeated_paragraphs_and_code_blocks_are_kept() -> None:
    code = "```\nprint('the same line of code, twice')\n```"
    body = f"Thanks!\n\nText.\n\nThanks!\n\n{code}\n\n{code}\n\nDone.\n"
    r = stitch(body)
    assert _ok(r) == body
    assert not [t for t in _texts(r) if "duplicate" in t or "repetition" in t]


def test_long_repeated_sentence_is_a_warning_and_kept() -> None:
    s40 = "Every sentence here is forty chars long."
    assert len(s40) == 40
    s39 = s40[1:]
    body = f"{s40} Other words.\n\nMore words. {s40}\n\n{s39} And\n\n{s39} end.\n"
    r = stitch(body)
    assert _ok(r) == body
    loops = [m for m in r.warnings if "possible repetition loop" in m.text]
    assert len(loops) == 1 and loops[0].line == 3 and "line 1" in loops[0].text


@pytest.mark.parametrize(
    "ending",
    [
        "終わりです。",
        "「そうだ」",
        "Done.",
        'He said "yes."',
        "Really?!",
        "（補足）",
        "Yay 🎉",
        "**Bold end.**",
    ],
)
def test_complete_last_sentence_gets_no_truncation_warning(ending: str) -> None:
    r = stitch(f"Start.\n\n{ending}\n")
    assert not [t for t in _texts(r) if "mid-sentence" in t]


@pytest.mark.parametrize("ending", ["しかし、それだけ", "and then the", "The end is near,"])
def test_unfinished_last_sentence_gets_a_warning(ending: str) -> None:
    r = stitch(f"Start.\n\n{ending}\n", first_line=20)
    (w,) = [m for m in r.warnings if "ends mid-sentence" in m.text]
    assert w.line == 22 and ending in w.text
    assert r.ok  # a warning, not an error


@pytest.mark.parametrize("ending", ["```\ncode\n```", "## A heading", "| a | b |\n|---|---|"])
def test_non_prose_ending_gets_no_truncation_warning(ending: str) -> None:
    r = stitch(f"Start.\n\n{ending}\n")
    assert not [t for t in _texts(r) if "mid-sentence" in t]


# --- shape ---------------------------------------------------------------------------------


def test_empty_body() -> None:
    r = stitch("")
    assert r.ok and r.markdown == "" and r.segments == []
    assert stitch("\n\n---END---\n\n").markdown == ""


def test_to_json_shape() -> None:
    r = stitch("Alpha beta gamma delta\n---END---\n…gamma delta epsilon.\n")
    data = r.to_json()
    assert set(data) == {"segments", "warnings", "errors"}
    assert data["segments"][1] == {
        "index": 2,
        "line": 3,
        "chars": len("gamma delta epsilon."),
        "continuation": True,
        "inline": False,
        "parent": 1,
        "overlap_chars": len("gamma delta"),
        "status": "used",
        "reason": None,
        "first_words": "gamma delta epsilon.",
        "dropped_chars": 0,
        "dropped_text": "",
    }
    assert json.loads(json.dumps(data)) == data


def test_inline_continuation_inside_a_continuation_segment() -> None:
    body = (
        "First part ends here.\n---END---\n"
        "…part ends here. Second part ends there.\n\n…Second part ends there.\n\nThird part.\n"
    )
    r = stitch(body)
    assert _ok(r) == "First part ends here. Second part ends there.\n\nThird part.\n"
    assert [(s.inline, s.parent, s.line) for s in r.segments] == [
        (False, None, 1),
        (False, 1, 3),
        (True, 2, 5),
    ]


def test_zero_width_characters_in_the_quote_are_ignored() -> None:
    r = stitch("データセンターの拡張にあります\n---END---\n…データ\u200bセンターの拡張にあります。次です。")
    assert _ok(r) == "データセンターの拡張にあります。次です。\n"


def test_error_count_is_bounded() -> None:
    # Quotes share no 8 characters with anything, so none can match an earlier (failed) one.
    quotes = [hashlib.sha256(str(i).encode()).hexdigest()[:30] for i in range(30)]
    body = "Start.\n" + "".join(f"---END---\n…{q}\n" for q in quotes)
    r = stitch(body)
    assert len(r.errors) == 21  # 20 quotes, then "stopped matching quotes after 20 errors"
    assert "stopped matching" in r.errors[-1].text


@pytest.mark.parametrize(
    "body",
    [
        "...\n\n" * 40_000,  # every paragraph a marker: once took minutes (quadratic)
        "\n\n".join(f"…ordinary paragraph number {i} with words." for i in range(5_000)),
        "\n---END---\n".join(
            ["start of the text 0"] + [f"…of the text {i - 1} of the text {i}" for i in range(1, 5_000)]
        ),
        "\n---END---\n".join(["ab" * 2_500] + ["…" + "ab" * 2_500] * 100),  # periodic text
    ],
    ids=["markers", "ellipsis-paragraphs", "tiny-continuations", "periodic"],
)
def test_adversarial_drafts_stay_fast(body: str) -> None:
    import time

    t0 = time.perf_counter()
    r = stitch(body)
    assert time.perf_counter() - t0 < 5  # linear: well under a second on a laptop
    assert not [e for e in r.errors if "internal error" in e.text]
