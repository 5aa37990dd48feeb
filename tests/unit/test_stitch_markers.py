"""Stitching as models and writers really write (issue 15): every continuation marker, segments
that forgot their marker, quotes that add or leave out Markdown marks, fenced code, and the
thresholds pinned at their boundaries."""

from __future__ import annotations

import hashlib

import pytest

from stitchpress.core import stitch as stitch_module
from stitchpress.core.stitch import (
    DUPLICATE_MIN,
    MIN_OVERLAP,
    MISSING_MARKER_MIN,
    REPEAT_MIN,
    StitchResult,
    stitch,
)


def _ok(result: StitchResult) -> str:
    assert result.errors == [], result.errors
    return result.markdown


def _texts(result: StitchResult) -> list[str]:
    return [m.text for m in result.warnings]


MARKERS = ["…", "……", "...", "⋯", "⋯⋯", "… ", "…… ", "... ", "⋯ "]


# --- markers -----------------------------------------------------------------------------------


@pytest.mark.parametrize("marker", MARKERS)
def test_every_marker_starts_a_continuation_segment(marker: str) -> None:
    body = (
        "投資家としてこの状況をどう見るべきか。正直なところ、この数字は\n\n---END---\n\n"
        f"{marker}正直なところ、この数字は短期的な財務リスクを伴います。\n"
    )
    r = stitch(body)
    assert (
        _ok(r)
        == "投資家としてこの状況をどう見るべきか。正直なところ、この数字は短期的な財務リスクを伴います。\n"
    )
    assert [(s.continuation, s.parent) for s in r.segments] == [(False, None), (True, 1)]
    assert r.segments[1].overlap_chars == len("正直なところ、この数字は")
    assert _texts(r) == []


@pytest.mark.parametrize("marker", MARKERS)
def test_every_marker_starts_an_inline_continuation(marker: str) -> None:
    body = (
        "The first paragraph ends with this sentence.\n\n"
        f"{marker}ends with this sentence.\n\nThe second paragraph.\n"
    )
    r = stitch(body)
    assert _ok(r) == "The first paragraph ends with this sentence.\n\nThe second paragraph.\n"
    assert [(s.inline, s.parent, s.line) for s in r.segments] == [(False, None, 1), (True, 1, 3)]


@pytest.mark.parametrize("marker", ["……", "⋯"])
def test_marker_only_segments_of_new_markers_are_ignored(marker: str) -> None:
    r = stitch(f"Text here.\n---END---\n{marker}\n---END---\n")
    assert _ok(r) == "Text here.\n"
    assert len(r.segments) == 1


def test_an_ellipsis_inside_a_sentence_is_text_not_a_marker() -> None:
    body = "それは……本当でしょうか。\n\n⋯と彼は言った。誰も答えなかった。\n"
    r = stitch(body)
    assert _ok(r) == body  # the "⋯" paragraph repeats nothing: ordinary text
    assert len(r.segments) == 1


# --- a missing marker ---------------------------------------------------------------------------


def test_segment_repeating_the_tail_without_a_marker_is_a_continuation_with_a_warning() -> None:
    body = (
        "AIが深化することで、広告配信はより効果的になるでしょう。しかし、それだけ\n"
        "\n---END---\n\n"
        "広告配信はより効果的になるでしょう。しかし、それだけではありません。新たな収益源も生まれます。\n"
    )
    r = stitch(body, first_line=11)
    assert _ok(r) == (
        "AIが深化することで、広告配信はより効果的になるでしょう。しかし、それだけ"
        "ではありません。新たな収益源も生まれます。\n"
    )
    assert [(s.continuation, s.parent) for s in r.segments] == [(False, None), (True, 1)]
    assert r.segments[1].overlap_chars == len("広告配信はより効果的になるでしょう。しかし、それだけ")
    (w,) = r.warnings
    assert w.line == 15 and w.field == "stitch"
    assert w.text == (
        "segment 2 (line 15) has no continuation marker but starts by repeating the last 26 characters "
        'of the text before it ("広告配信はより効果的になるでしょう。しかし、それだけ"); stitched as a '
        "continuation with the repeated text removed. The marker is missing: start the segment with "
        '"…"'
    )
    assert not [t for t in _texts(r) if "mid-sentence" in t]


def test_segment_that_repeats_nothing_stays_a_new_paragraph_without_a_warning() -> None:
    r = stitch("One paragraph about data centres.\n---END---\nA new paragraph about chips.\n")
    assert _ok(r) == "One paragraph about data centres.\n\nA new paragraph about chips.\n"
    assert [s.continuation for s in r.segments] == [False, False]
    assert _texts(r) == []


def test_missing_marker_threshold_is_pinned_at_its_boundary() -> None:
    assert MISSING_MARKER_MIN == 20
    tail = "abcdefghijklmnopqrst"  # exactly 20 matching characters
    r = stitch(f"Start {tail}\n---END---\n{tail} and on.\n")
    assert _ok(r) == f"Start {tail} and on.\n"
    assert any("marker is missing" in t for t in _texts(r))
    short = tail[1:]  # 19: too short to be sure, stays a paragraph of its own
    r = stitch(f"Start {short}\n---END---\n{short} and on.\n")
    assert _ok(r) == f"Start {short}\n\n{short} and on.\n"
    assert _texts(r) == []


def test_repeated_rule_or_code_is_not_read_as_a_missing_marker() -> None:
    rule = "=" * 30
    r = stitch(f"Heading\n{rule}\n---END---\n{rule}\nMore.\n")
    assert _ok(r) == f"Heading\n{rule}\n\n{rule}\nMore.\n"
    code = "```\nprint('the same code line again')\n```"
    r = stitch(f"Intro.\n\n{code}\n---END---\n{code}\n\nAfter.\n")
    assert r.markdown.count("print('the same code line again')") == 2
    assert _texts(r) == []


# --- Markdown marks in quotes -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("parent", "quote", "article"),
    [
        # The original has marks, the quote leaves them out: the original's marks are kept.
        ("We keep *emphasised words*", "emphasised words", "We keep *emphasised words* here."),
        ("We keep **strong words**", "strong words", "We keep **strong words** here."),
        ("We keep __strong words__", "strong words", "We keep __strong words__ here."),
        ("Then run `make test`", "Then run make test", "Then run `make test` here."),
        (
            'Read [the manual page](https://example.com/man "Manual")',
            "Read the manual page",
            'Read [the manual page](https://example.com/man "Manual") here.',
        ),
        ("See [the full guide][guide]", "See the full guide", "See [the full guide][guide] here."),
        # The quote adds marks the original does not have: the original is kept as written.
        ("We keep emphasised words", "*emphasised words*", "We keep emphasised words here."),
        ("Then run make test", "Then run `make test`", "Then run make test here."),
        ("Read the manual page", "Read [the manual page](https://x.org/m)", "Read the manual page here."),
        # The original stopped inside the emphasis: the continuation's closing mark completes it.
        ("The *brown fox", "brown fox*", "The *brown fox* here."),
        ("The *brown fox", "*brown fox*", "The *brown fox* here."),
    ],
)
def test_quote_matches_across_markdown_marks_and_keeps_the_originals(
    parent: str, quote: str, article: str
) -> None:
    r = stitch(f"{parent}\n---END---\n…{quote} here.\n")
    assert _ok(r) == article + "\n"
    assert r.segments[1].parent == 1 and r.segments[1].dropped_chars == 0
    assert not [t for t in _texts(r) if "rewinds" in t]


def test_inline_continuation_quote_without_marks() -> None:
    body = "First paragraph ends with *this emphasised sentence*.\n\n…this emphasised sentence.\n\nNext.\n"
    assert _ok(stitch(body)) == "First paragraph ends with *this emphasised sentence*.\n\nNext.\n"


def test_rewind_cut_keeps_the_closing_mark_of_the_parent() -> None:
    body = (
        "Alpha one. **Bold claim made here.** Gamma three.\n---END---\n…Bold claim made here. Delta four.\n"
    )
    r = stitch(body)
    assert _ok(r) == "Alpha one. **Bold claim made here.** Delta four.\n"
    assert r.segments[1].dropped_text == "Gamma three."


def test_underscores_inside_words_are_not_closing_marks() -> None:
    r = stitch("Name it snake\n---END---\n…Name it snake_case in code.\n")
    assert _ok(r) == "Name it snake_case in code.\n"


# --- fenced code ----------------------------------------------------------------------------------


def test_fenced_code_with_blank_lines_and_a_repeated_line_is_kept_whole() -> None:
    code = "```python\nvalue = compute_the_long_value(1)\n\nvalue = compute_the_long_value(1)\n```"
    body = f"Some text before the code.\n\n{code}\n\nSome text after the code.\n"
    r = stitch(body)
    assert _ok(r) == body
    assert _texts(r) == []


def test_tilde_fence_and_longer_backtick_fence_are_code_too() -> None:
    line = "the same line of output, repeated"
    body = f"Before.\n\n~~~\n{line}\n\n{line}\n~~~\n\n````\n```\n{line}\n\n{line}\n````\n\nAfter.\n"
    assert _ok(stitch(body)) == body


def test_duplicate_paragraph_after_a_closed_fence_is_removed() -> None:
    para = "This paragraph is repeated after the code."
    body = f"{para}\n\n```\ncode\n```\n\n{para}\n"
    r = stitch(body)
    assert _ok(r) == f"{para}\n\n```\ncode\n```\n"
    assert any("duplicate paragraph" in t for t in _texts(r))


def test_a_marker_line_inside_fenced_code_is_code() -> None:
    body = "Intro.\n\n```python\nprint('hello there world')\n\n...print('hello there world')\n```\n\nAfter.\n"
    r = stitch(body)
    assert _ok(r) == body
    assert len(r.segments) == 1


def test_a_quote_never_rewinds_into_fenced_code() -> None:
    body = (
        "Text before.\n\n```\nsay('the quick brown fox')\nmore code\n```\n\nText after.\n"
        "---END---\n…the quick brown fox jumps.\n"
    )
    r = stitch(body)
    assert not r.ok
    assert "matches no earlier text" in r.errors[0].text


# --- internal errors -------------------------------------------------------------------------------


def test_an_internal_error_rejects_the_draft_with_a_message_and_keeps_earlier_findings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def boom(self: object) -> StitchResult:
        raise ValueError("broken on purpose")

    monkeypatch.setattr(stitch_module._Stitcher, "result", boom)
    r = stitch("…starts with a marker but nothing came before it.\n")
    assert r.markdown == "" and not r.ok
    (e,) = r.errors
    assert e.level == "error" and e.field == "stitch" and e.line is None
    assert e.text == "internal error while stitching (ValueError: broken on purpose); please report it"
    assert [w.line for w in r.warnings] == [1] and "no earlier text" in r.warnings[0].text


# --- thresholds at their boundaries ----------------------------------------------------------------


def test_duplicate_paragraph_threshold_is_pinned_at_its_boundary() -> None:
    assert DUPLICATE_MIN == 20
    para = "a" * 10 + " " + "b" * 10  # 20 characters once whitespace is ignored
    r = stitch(f"{para}\n\n{para}\n")
    assert _ok(r) == f"{para}\n"
    assert any("duplicate paragraph" in t for t in _texts(r))
    short = para[1:]  # 19
    assert _ok(stitch(f"{short}\n\n{short}\n")) == f"{short}\n\n{short}\n"


def test_repetition_threshold_is_pinned_at_its_boundary() -> None:
    assert REPEAT_MIN == 40
    sentence = "x" * 39 + "."  # 40 characters
    r = stitch(f"{sentence} One.\n\n{sentence} Two.\n")
    assert [t for t in _texts(r) if "repetition loop" in t]
    shorter = "x" * 38 + "."
    r = stitch(f"{shorter} One.\n\n{shorter} Two.\n")
    assert not [t for t in _texts(r) if "repetition loop" in t]


def test_quote_length_threshold_is_pinned_at_its_boundary() -> None:
    assert MIN_OVERLAP == 8
    r = stitch("Start abcdefgh\n---END---\n…abcdefgh and on.\n")
    assert _ok(r) == "Start abcdefgh and on.\n"
    r = stitch("Start abcdefg\n---END---\n…abcdefg and on.\n")
    assert not r.ok and "matches no earlier text" in r.errors[0].text


# --- indentation ------------------------------------------------------------------------------------


def test_paragraph_indented_with_spaces_and_tabs_is_code_and_kept() -> None:
    code = "    first_line_of_code = 1\n\tsecond_line_of_code = 2"
    body = f"Before.\n\n{code}\n\n{code}\n"
    assert _ok(stitch(body)) == body


def test_paragraph_with_only_some_lines_indented_is_prose_and_deduplicated() -> None:
    para = "    an indented first line here\nfollowed by a line that is not indented"
    r = stitch(f"{para}\n\n{para}\n")
    assert _ok(r) == f"{para}\n"
    assert any("duplicate paragraph" in t for t in _texts(r))


# --- every message, word for word -------------------------------------------------------------------


def test_message_for_a_marker_with_nothing_before_it() -> None:
    (w,) = stitch("…starts with a marker.\n", first_line=3).warnings
    assert (w.line, w.level, w.field) == (3, "warning", "stitch")
    assert w.text == (
        'segment 1 starts with "…" but there is no earlier text to continue; kept as text '
        "(if the start of the draft is missing, add it)"
    )


def test_message_and_report_for_a_superseded_branch() -> None:
    body = (
        "Common start of the story.\n---END---\n"
        "…start of the story. Branch A goes left.\n---END---\n"
        "…start of the story. Branch B goes right.\n"
    )
    r = stitch(body, first_line=3)
    (w,) = r.warnings
    assert w.line == 5
    assert w.text == (
        'segment 2 (39 chars, "start of the story. Branch A goes left.") is discarded as a superseded '
        "branch; segment 3 (line 7) also continues segment 1 and the article goes on from there"
    )
    assert [s.to_json() for s in r.segments] == [
        {
            "index": 1,
            "line": 3,
            "chars": 26,
            "continuation": False,
            "inline": False,
            "parent": None,
            "overlap_chars": 0,
            "status": "used",
            "reason": None,
            "first_words": "Common start of the story.",
            "dropped_chars": 0,
            "dropped_text": "",
        },
        {
            "index": 2,
            "line": 5,
            "chars": 39,
            "continuation": True,
            "inline": False,
            "parent": 1,
            "overlap_chars": 19,
            "status": "discarded",
            "reason": "superseded branch",
            "first_words": "start of the story. Branch A goes left.",
            "dropped_chars": 0,
            "dropped_text": "",
        },
        {
            "index": 3,
            "line": 7,
            "chars": 40,
            "continuation": True,
            "inline": False,
            "parent": 1,
            "overlap_chars": 19,
            "status": "used",
            "reason": None,
            "first_words": "start of the story. Branch B goes right.",
            "dropped_chars": 0,
            "dropped_text": "",
        },
    ]


def test_message_for_a_rewind() -> None:
    body = (
        "Alpha sentence one. Beta sentence two. Gamma sentence three.\n---END---\n"
        "…Beta sentence two. Delta sentence four.\n"
    )
    (w,) = stitch(body).warnings
    assert (w.line, w.text) == (
        3,
        "segment 2 rewinds into segment 1: its quote matches inside it, so 21 characters after the "
        'quote are dropped ("Gamma sentence three.")',
    )


def test_message_for_a_duplicate_paragraph() -> None:
    para = "This paragraph is long enough to count."
    r = stitch(f"{para}\n\n{para}\n", first_line=2)
    (w,) = r.warnings
    assert (w.line, w.text) == (4, f'removed a duplicate paragraph (the same text is at line 2): "{para}"')


def test_message_for_a_repetition_loop_previews_40_characters() -> None:
    sentence = "The same sentence is written here twice over."
    r = stitch(f"{sentence} One.\n\n{sentence} Two.\n", first_line=2)
    (w,) = r.warnings
    assert (w.line, w.text) == (
        4,
        'possible repetition loop: this sentence also appears at line 2: "The same sentence is written here twice …"',
    )


def test_message_for_a_truncated_ending_shows_its_last_40_characters() -> None:
    last = "The text goes on and on until it stops in the middle of a"
    r = stitch(f"Intro.\n\n{last}\n", first_line=4)
    (w,) = r.warnings
    assert last[-40:] == "and on until it stops in the middle of a"
    assert (w.line, w.text) == (
        6,
        f'the article ends mid-sentence ("…{last[-40:]}"); the draft may be '
        "truncated: finish the sentence, or add the missing segment",
    )


def test_message_for_a_quote_found_nowhere() -> None:
    quote = "a quote that was never written before " * 5
    (e,) = stitch(f"Some text.\n---END---\n…{quote}\n").errors
    assert (e.line, e.level) == (3, "error")
    assert quote[:40] == "a quote that was never written before a "
    assert e.text == (
        'segment 2: its quote "a quote that was never written before a …" matches no earlier text; '
        "start the segment by repeating the last sentence of the text it continues, or remove the "
        'leading "…" if it starts new text'
    )


# --- rewinds: long quotes, branches off the article ---------------------------------------------------


def test_rewind_with_a_quote_longer_than_the_matching_window() -> None:
    words = " ".join(hashlib.sha256(str(i).encode()).hexdigest()[:6] for i in range(300))  # 2,099 chars
    r = stitch(f"{words} DROPPED tail here.\n---END---\n…{words} New ending.\n")
    assert _ok(r) == f"{words} New ending.\n"
    assert r.segments[1].dropped_text == "DROPPED tail here."


def test_rewind_into_a_superseded_branch_revives_it() -> None:
    body = (
        "Root text of the story ends.\n---END---\n"
        "…story ends. Branch A has unique words and goes on.\n---END---\n"
        "…story ends. Branch B goes right.\n---END---\n"
        "…Branch A has unique words and then continues.\n"
    )
    r = stitch(body)
    assert _ok(r) == "Root text of the story ends. Branch A has unique words and then continues.\n"
    assert [(s.parent, s.status) for s in r.segments] == [
        (None, "used"),
        (1, "used"),
        (1, "discarded"),
        (2, "used"),
    ]
    assert r.segments[3].dropped_text == "goes on."


def test_end_match_finds_a_branch_far_back_even_for_a_one_character_continuation() -> None:
    others = "".join(f"---END---\n…text of it. Other branch {i}.\n" for i in range(34))
    body = f"Root text of it.\n---END---\n…text of it. Branch T ends here with tail words\n{others}"
    r = stitch(body + "---END---\n…here with tail words!\n")
    assert _ok(r) == "Root text of it. Branch T ends here with tail words!\n"
    assert (r.segments[-1].parent, r.segments[1].status) == (2, "used")
    assert [s.status for s in r.segments[2:-1]] == ["discarded"] * 34


def test_quote_ending_where_a_sibling_rewound_belongs_to_the_older_segment() -> None:
    # Segment 3 repeats segment 1 up to where segment 2 cut it: the match ends at segment 2's
    # joint, not in segment 2's own text, so segment 3 rewinds into segment 1.
    body = (
        "Alpha beta gamma delta epsilon. Dropped one.\n---END---\n"
        "…gamma delta epsilon. Zeta eta.\n---END---\n"
        "…beta gamma delta epsilon. Theta iota kappa lambda.\n"  # the quote is half the text
    )
    r = stitch(body)
    assert _ok(r) == "Alpha beta gamma delta epsilon. Theta iota kappa lambda.\n"
    assert [(s.parent, s.status) for s in r.segments] == [(None, "used"), (1, "discarded"), (1, "used")]
    assert r.segments[2].dropped_text == "Dropped one."


def test_repetition_warning_names_the_lines_inside_multi_line_paragraphs() -> None:
    sentence = "The same sentence is written here twice over."
    r = stitch(f"Intro line.\n{sentence} Yes.\n\nOther.\n{sentence} No.\n", first_line=1)
    (w,) = r.warnings
    assert w.line == 5 and "also appears at line 2" in w.text


def test_repetition_inside_one_paragraph_points_from_the_second_to_the_first() -> None:
    sentence = "The same sentence is written here twice over."
    r = stitch(f"Intro line.\n{sentence}\nMiddle line.\n{sentence}\n")
    (w,) = r.warnings
    assert w.line == 4 and "also appears at line 2" in w.text


def test_lines_of_findings_after_an_inline_continuation() -> None:
    para = "This paragraph is long enough to count."
    body = f"Para one ends with this sentence.\n\n…ends with this sentence.\n\n{para}\n\n{para}\n"
    r = stitch(body, first_line=10)
    (w,) = r.warnings
    assert (w.line, w.text) == (16, f'removed a duplicate paragraph (the same text is at line 14): "{para}"')


# --- more joints, bounds and endings (mutation survivors) ---------------------------------------------


def test_a_text_of_exactly_eight_characters_can_be_continued_from_its_end() -> None:
    body = "abcdefgh\n---END---\n…abcdefgh, then abcdefgh again and more.\n---END---\n…abcdefgh tail end.\n"
    r = stitch(body)
    assert _ok(r) == "abcdefgh tail end.\n"
    assert [(s.parent, s.status) for s in r.segments] == [(None, "used"), (1, "discarded"), (1, "used")]


def test_the_longest_overlap_wins_in_repetitive_text() -> None:
    assert _ok(stitch("Start Zaaaaaaaaaa\n---END---\n…aaaaaaaaaXYZ end.\n")) == "Start ZaaaaaaaaaaXYZ end.\n"


def test_a_long_quote_repeating_an_older_segment_makes_a_branch() -> None:
    words = " ".join(hashlib.sha256(str(i).encode()).hexdigest()[:6] for i in range(300))
    r = stitch(f"{words}\n---END---\n…{words[-30:]} Branch A.\n---END---\n…{words} Branch B.\n")
    assert _ok(r) == f"{words} Branch B.\n"
    assert [(s.parent, s.status) for s in r.segments] == [(None, "used"), (1, "discarded"), (1, "used")]


def test_rewinds_are_searched_within_a_bounded_amount_of_text() -> None:
    def filler(k: int) -> str:
        return " ".join(hashlib.sha256(f"{k}-{i}".encode()).hexdigest()[:9] for i in range(5000))

    segments = ["Unique phrase alpha beta gamma here. " + filler(0)]
    for k in range(1, 4):  # three segments of ~50,000 characters each come after it
        segments.append("…" + segments[-1][-40:] + " " + filler(k))
    segments.append("…Unique phrase alpha beta gamma here. New.")
    r = stitch("\n---END---\n".join(segments))
    assert [e.text.split(":")[0] for e in r.errors] == ["segment 5"]
    assert "matches no earlier text" in r.errors[0].text


def test_every_segment_of_a_superseded_branch_names_the_winner() -> None:
    body = (
        "Root text of the story.\n---END---\n…of the story. Branch A goes\n---END---\n"
        "…Branch A goes on and on.\n---END---\n…of the story. Branch B.\n"
    )
    r = stitch(body)
    assert _ok(r) == "Root text of the story. Branch B.\n"
    assert [w.text.split("; ", 1)[1] for w in r.warnings] == [
        "segment 4 (line 7) also continues segment 1 and the article goes on from there"
    ] * 2


@pytest.mark.parametrize(
    ("ending", "warned"),
    [
        ("Look at this:\n| a | b |", False),  # the last line is a table row, not prose
        ("It ends with a closing mark. **", False),
        ("Call it version 2.X", True),
    ],
)
def test_ending_checks_the_last_line_without_its_closing_marks(ending: str, warned: bool) -> None:
    r = stitch(ending + "\n")
    assert bool([t for t in _texts(r) if "mid-sentence" in t]) == warned


PARA = "This paragraph is long enough to count."


@pytest.mark.parametrize(
    "before",
    [
        "```\ncode here\n```",  # a fence at the very start of the article, closed
        "Intro.\n\n```a`b is not a fence",  # a backtick in the info string: not a fence
    ],
)
def test_paragraphs_after_what_is_not_open_code_are_prose(before: str) -> None:
    r = stitch(f"{before}\n\n{PARA}\n\n{PARA}\n")
    assert _ok(r) == f"{before}\n\n{PARA}\n"
    assert any("duplicate paragraph" in t for t in _texts(r))


def test_a_fence_is_closed_only_by_the_same_kind_of_fence() -> None:
    body = f"Intro.\n\n```\n~~~\n\n{PARA}\n\n{PARA}\n```\n\nAfter.\n"
    assert _ok(stitch(body)) == body


def test_fences_are_found_per_segment() -> None:
    body = (
        "Intro text here.\n---END---\nMore text.\n\n"
        "```\nprint('hello there world')\n\n...print('hello there world')\n```\n\nAfter.\n"
    )
    assert _ok(stitch(body)).endswith(
        "```\nprint('hello there world')\n\n...print('hello there world')\n```\n\nAfter.\n"
    )


def test_a_closing_bracket_alone_is_a_mark_too() -> None:
    assert _ok(stitch("See item 3] of the list\n---END---\n…item 3 of the list, and more.\n")) == (
        "See item 3] of the list, and more.\n"
    )


def test_trailing_space_before_an_inline_continuation_is_dropped() -> None:
    body = "Para one ends with this sentence. \n\n…this sentence.\n\nNext one.\n"
    assert _ok(stitch(body)) == "Para one ends with this sentence.\n\nNext one.\n"


def test_old_mac_line_endings() -> None:
    assert _ok(stitch("Alpha beta gamma delta.\r---END---\r…gamma delta. Epsilon.\r")) == (
        "Alpha beta gamma delta. Epsilon.\n"
    )


def test_a_quote_filling_the_window_of_periodic_text_makes_a_branch() -> None:
    ab = "ab" * 1000  # the quote fills the 1,024-character window: matching grows it
    r = stitch(f"Start. {ab}\n---END---\n…abababababab X.\n---END---\n…{ab} end.\n")
    assert _ok(r) == f"Start. {ab} end.\n"
    assert [(s.parent, s.status) for s in r.segments] == [(None, "used"), (1, "discarded"), (1, "used")]


def test_marks_are_balanced_within_the_paragraph_the_quote_repeats() -> None:
    # The article's paragraph opens "*lazy" and the continuation closes it: the "*" stays. The
    # first character of the article counts too, and so do earlier paragraphs' boundaries.
    r = stitch("*Brown fox* jumps over the *lazy dog\n---END---\n…over the lazy dog* and more.\n")
    assert _ok(r) == "*Brown fox* jumps over the *lazy dog* and more.\n"
    r = stitch("First paragraph.\n\nWe keep *emphasised words*\n---END---\n…*emphasised words* here.\n")
    assert _ok(r) == "First paragraph.\n\nWe keep *emphasised words* here.\n"


@pytest.mark.parametrize(
    ("parent", "continuation", "article"),
    [
        # An open "_" elsewhere in the paragraph does not keep a "*" the quote closes.
        (
            "We keep _one *emphasised words*",
            "*emphasised words* here.",
            "We keep _one *emphasised words* here.",
        ),
        # The original stopped inside a link's text: the continuation's "](url)" completes it.
        (
            "See the [docs page",
            "See the docs page](https://x.org) now.",
            "See the [docs page](https://x.org) now.",
        ),
    ],
)
def test_closing_marks_after_a_quote(parent: str, continuation: str, article: str) -> None:
    assert _ok(stitch(f"{parent}\n---END---\n…{continuation}\n")) == article + "\n"


def test_a_rewind_quote_may_start_two_segments_back() -> None:
    body = (
        "Alpha one.\n---END---\n…Alpha one. Beta two. Dropped two.\n---END---\n"
        "…Beta two. Gamma three. Dropped three.\n---END---\n…one. Beta two. Gamma three. Zeta.\n"
    )
    r = stitch(body)
    assert _ok(r) == "Alpha one. Beta two. Gamma three. Zeta.\n"
    assert [(s.parent, s.dropped_text) for s in r.segments] == [
        (None, ""),
        (1, ""),
        (2, "Dropped two."),
        (3, "Dropped three."),
    ]
