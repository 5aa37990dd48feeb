"""Properties of stitching: cut a text into overlapping segments, stitch, get the text back."""

from __future__ import annotations

import itertools
import json
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from stitchpress.core.stitch import MIN_OVERLAP, MISSING_MARKER_MIN, stitch

# Vocabularies: no "…", no "...", no "#", "|", "`" or "---" (they would change what a paragraph
# is); some characters whose NFKC form differs (full-width, half-width kana, accents).
JP_WORDS = [
    "人工知能", "投資", "データセンター", "未来", "技術者", "私たち", "は", "が", "を", "に", "の",
    "と", "します", "でしょう", "考えます", "ＡＩ", "２０２５年", "（注）", "巨額", "変革", "時代",
    "社会", "ガバナンス", "ﾃｽﾄ", "Meta", "GPU", "しかし", "それだけ", "ではありません",
]  # fmt: skip
JP_ENDS = ["。", "。", "！", "？"]
EN_WORDS = [
    "the", "model", "writes", "another", "segment", "quick", "brown", "fox", "data", "centre",
    "invest", "future", "café", "naïve", "über", "2025", "GPU", "AI", "stitch", "press", "over",
    "lazy", "dog", "and", "then", "it", "was",
]  # fmt: skip
EN_ENDS = [".", ".", "!", "?"]
# A branch writes from a vocabulary the article never uses, so it cannot continue the article.
BRANCH_WORDS = ["αλφα", "βήτα", "γάμμα", "δέλτα", "ψι", "ωμέγα", "ζήτα"]


def norm(text: str) -> str:
    """Matching form as the rules define it: NFKC, whitespace ignored."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def occurrences(hay: str, needle: str) -> int:
    """Occurrences of needle in hay, overlapping ones included (str.count skips those)."""
    n, p = 0, hay.find(needle)
    while p != -1:
        n, p = n + 1, hay.find(needle, p + 1)
    return n


@st.composite
def sentences(draw: st.DrawFn, lang: str) -> str:
    if lang == "mixed":
        lang = draw(st.sampled_from(["ja", "en"]))
    if lang == "ja":
        words = draw(st.lists(st.sampled_from(JP_WORDS), min_size=2, max_size=8))
        return "".join(words) + draw(st.sampled_from(JP_ENDS))
    words = draw(st.lists(st.sampled_from(EN_WORDS), min_size=2, max_size=10))
    return " ".join(words).capitalize() + draw(st.sampled_from(EN_ENDS))


@st.composite
def articles(draw: st.DrawFn) -> str:
    lang = draw(st.sampled_from(["ja", "en", "mixed"]))
    paragraphs = []
    for _ in range(draw(st.integers(1, 6))):
        parts = draw(st.lists(sentences(lang), min_size=1, max_size=4))
        joiner = draw(st.sampled_from(["", " ", "\n"] if lang == "ja" else [" ", " ", "\n"]))
        paragraphs.append(joiner.join(parts))
    return "\n\n".join(paragraphs)


@dataclass(frozen=True)
class Cut:
    text: str
    cuts: list[int]  # segment i+1 starts its new text at cuts[i]
    overlaps: list[int]  # ... and repeats text[cuts[i] - overlaps[i] : cuts[i]] first


@st.composite
def cut_articles(draw: st.DrawFn, min_cuts: int = 1) -> Cut:
    text = draw(articles())
    assume(len(text) > 20)
    newlines = [i for i, ch in enumerate(text) if ch == "\n"]
    cuts: set[int] = set()
    for _ in range(draw(st.integers(min_cuts, 6))):
        if len(newlines) > 0 and draw(st.booleans()):  # cut at a line or paragraph break
            cuts.add(draw(st.sampled_from(newlines)) + draw(st.sampled_from([0, 1])))
        else:  # anywhere: mid-word, mid-sentence
            cuts.add(draw(st.integers(1, len(text) - 1)))
    ordered = sorted(c for c in cuts if 0 < c < len(text))
    assume(len(ordered) >= min_cuts)
    overlaps = [min(c, draw(st.integers(MIN_OVERLAP, 80))) for c in ordered]
    return Cut(text, ordered, overlaps)


def usable(cut: Cut) -> bool:
    """Exclude the cuts where the writer's intent is genuinely ambiguous (see each check)."""
    text = cut.text
    for c, ov in zip(cut.cuts, cut.overlaps, strict=True):
        quote = norm(text[c - ov : c])
        # A quote shorter than MIN_OVERLAP matching characters is not trusted by design.
        if len(quote) < MIN_OVERLAP:
            return False
        # Periodic text at the cut: if the continuation also repeats a *longer* tail, the quote's
        # end (and so the joint) is ambiguous; the stitcher takes the longest, the test could not.
        before, after = norm(text[:c]), norm(text[c - ov :])
        if any(before.endswith(after[:k]) for k in range(len(quote) + 1, min(len(before), len(after)) + 1)):
            return False
    return no_long_duplicates(text)


def no_long_duplicates(text: str) -> bool:
    """An exact duplicate paragraph (20+ matching characters) is removed by design; then the
    text would not come back."""
    keys = [norm(p) for p in text.split("\n\n")]
    long_keys = [k for k in keys if len(k) >= 20]
    return len(long_keys) == len(set(long_keys))


def draft(
    cut: Cut,
    *,
    marker: str = "…",
    after_marker: str = "",
    end: str = "\n---END---\n",
    quote: Callable[[str], str] = lambda q: q,
    branch: str | None = None,
    branch_overlap: int = 0,
) -> str:
    text = cut.text
    bounds = [*cut.cuts, len(text)]
    segments = [text[: cut.cuts[0]]]
    for i, (c, ov) in enumerate(zip(cut.cuts, cut.overlaps, strict=True)):
        if branch is not None and i == len(cut.cuts) - 1:
            bq = text[c - branch_overlap : c]
            segments.append(marker + after_marker + bq + " " + branch)
        segments.append(marker + after_marker + quote(text[c - ov : c]) + text[c : bounds[i + 1]])
    return end.join(segments)


@settings(max_examples=150, deadline=None)
@given(cut_articles())
def test_cut_and_stitched_text_comes_back(cut: Cut) -> None:
    assume(usable(cut))
    r = stitch(draft(cut))
    assert r.errors == []
    assert r.markdown == cut.text + "\n"
    assert [s.status for s in r.segments] == ["used"] * (len(cut.cuts) + 1)
    assert [s.parent for s in r.segments] == [None, *range(1, len(cut.cuts) + 1)]


@settings(max_examples=100, deadline=None)
@given(cut_articles(), st.lists(st.sampled_from(BRANCH_WORDS), min_size=3, max_size=12), st.data())
def test_branch_before_the_last_segment_is_discarded(cut: Cut, words: list[str], data: st.DataObject) -> None:
    assume(usable(cut))
    c = cut.cuts[-1]
    branch_overlap = min(c, data.draw(st.integers(MIN_OVERLAP, 60)))
    assume(len(norm(cut.text[c - branch_overlap : c])) >= MIN_OVERLAP)  # as in usable()
    r = stitch(draft(cut, branch=" ".join(words) + ".", branch_overlap=branch_overlap))
    assert r.errors == []
    assert r.markdown == cut.text + "\n"
    n = len(cut.cuts)
    branch_index = n + 1  # segments 1..n are the article's, then the branch, then the last
    statuses = {s.index: (s.status, s.reason) for s in r.segments}
    assert statuses[branch_index] == ("discarded", "superseded branch")
    assert all(v == ("used", None) for k, v in statuses.items() if k != branch_index)
    assert r.segments[-1].parent == r.segments[branch_index - 1].parent == n
    assert sum("superseded branch" in m.text for m in r.warnings) == 1


@settings(max_examples=100, deadline=None)
@given(cut_articles(), st.lists(st.sampled_from(BRANCH_WORDS), min_size=1, max_size=5))
def test_rewinds_drop_the_text_after_the_quote(cut: Cut, words: list[str]) -> None:
    """Every segment but the last ends with extra text that the next one rewinds over."""
    assume(usable(cut))
    for c, ov in zip(cut.cuts, cut.overlaps, strict=True):
        # The quote must point at one place; a quote occurring twice (even overlapping itself,
        # as in "人工知能人工知能人工知能") is a genuine ambiguity.
        assume(occurrences(norm(cut.text[:c]), norm(cut.text[c - ov : c])) == 1)
    bounds = [0, *cut.cuts, len(cut.text)]
    # A segment that adds only whitespace before its extra text: the next quote then ends in
    # the segment before it, so that one is its parent and this one a branch, not a rewind.
    assume(all(cut.text[a:b].strip() for a, b in itertools.pairwise(bounds)))
    extra = " ".join(words) + "."
    text = cut.text
    segments = []
    for i in range(len(bounds) - 1):
        quote = text[bounds[i] - cut.overlaps[i - 1] : bounds[i]] if i else ""
        last = i == len(bounds) - 2
        segments.append(
            ("…" if i else "") + quote + text[bounds[i] : bounds[i + 1]] + ("" if last else " " + extra)
        )
    r = stitch("\n---END---\n".join(segments))
    assert r.errors == []
    assert r.markdown == text + "\n"
    assert [s.dropped_text for s in r.segments] == ["", *[extra] * len(cut.cuts)]
    assert [s.parent for s in r.segments] == [None, *range(1, len(cut.cuts) + 1)]
    assert sum("rewinds" in m.text for m in r.warnings) == len(cut.cuts)


def _fullwidth(q: str) -> str:
    return "".join(chr(ord(ch) + 0xFEE0) if ch.isascii() and ch.isalnum() else ch for ch in q)


def _nfkc(q: str) -> str:
    return unicodedata.normalize("NFKC", q)


def _respace(q: str) -> str:
    # Whitespace inside the quote changes (up to its last visible character; what follows it
    # is the continuation's own text and is kept as written).
    body, tail = q.rstrip(), q[len(q.rstrip()) :]
    return body[:-1].replace(" ", "\n").replace("。", "。 ") + body[-1:] + tail


def _marked(mark: str, close: str | None = None) -> Callable[[str], str]:
    """The quote wrapped in Markdown marks the original does not have (around its visible text)."""

    def wrap(q: str) -> str:
        lead, core = q[: len(q) - len(q.lstrip())], q.strip()
        trail = q[len(q.rstrip()) :]
        return lead + mark + core + (mark if close is None else close) + trail if core else q

    return wrap


@settings(max_examples=120, deadline=None)
@given(
    cut_articles(),
    st.sampled_from(["…", "...", "……", "⋯", "⋯⋯"]),
    st.sampled_from(["", " ", "  "]),
    st.sampled_from(["\n---END---\n", "\n\n  ---END---\t\n\n\n", "\n---END---  \n"]),
    st.sampled_from(
        [
            _fullwidth,
            _nfkc,
            _respace,
            _marked("*"),
            _marked("**"),
            _marked("`"),
            _marked("[", "](https://x.org/a)"),
        ]
    ),
    st.booleans(),
)
def test_variants_stitch_to_the_same_text_as_the_clean_form(
    cut: Cut,
    marker: str,
    after_marker: str,
    end: str,
    quote: Callable[[str], str],
    crlf: bool,
) -> None:
    assume(usable(cut))
    body = draft(cut, marker=marker, after_marker=after_marker, end=end, quote=quote)
    if crlf:
        body = body.replace("\n", "\r\n")
    clean = stitch(draft(cut))
    r = stitch(body)
    assert r.errors == []
    assert r.markdown == clean.markdown == cut.text + "\n"
    assert [s.parent for s in r.segments] == [s.parent for s in clean.segments]


@settings(max_examples=100, deadline=None)
@given(articles())
def test_text_without_segments_passes_through_unchanged(text: str) -> None:
    keys = [norm(p) for p in text.split("\n\n") if len(norm(p)) >= 20]
    assume(len(keys) == len(set(keys)))  # duplicate paragraphs are removed by design
    r = stitch("\n\n" + text + "\n\n\n")
    assert r.ok and r.markdown == text + "\n"
    assert len(r.segments) == 1


# Pieces that exercise the parser (markers, end lines, fences), glued with arbitrary characters.
MESSY = st.lists(
    st.sampled_from(
        ["…", "...", ".", "\n---END---\n", "\n", "\r\n", "\n\n", " ", "a", "b", "あ", "。", "# ", "```"]
    )
    | st.text(max_size=12),
    max_size=60,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(MESSY, st.none() | st.text(max_size=20), st.integers(-5, 1000))
def test_never_raises_and_reports_are_json_safe(body: str, title: str | None, first_line: int) -> None:
    r = stitch(body, title=title, first_line=first_line)
    assert not [e for e in r.errors if "internal error" in e.text]
    json.dumps(r.to_json())
    assert r.ok == (not r.errors)
    assert all(m.field == "stitch" for m in [*r.warnings, *r.errors])
    assert [s.index for s in r.segments] == list(range(1, len(r.segments) + 1))
    if r.ok:
        assert "---END---" not in [ln.strip() for ln in r.markdown.split("\n")]
    for s in r.segments:
        assert (s.status == "used") == (s.reason is None)
        assert s.parent is None or s.parent < s.index


# Most generated cuts quote too little to be trusted without a marker: filtering is the point.
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(cut_articles())
def test_segments_without_markers_that_repeat_the_tail_come_back_with_a_warning_each(cut: Cut) -> None:
    assume(usable(cut))
    # Long enough to be trusted without a marker; not starting with a Markdown block marker.
    for c, ov in zip(cut.cuts, cut.overlaps, strict=True):
        quote = cut.text[c - ov : c]
        assume(len(norm(quote)) >= MISSING_MARKER_MIN and len(set(norm(quote))) >= 5)
        assume(quote[:1].strip() and not quote.startswith("    "))
    r = stitch(draft(cut, marker=""))
    assert r.errors == []
    assert r.markdown == cut.text + "\n"
    assert [s.continuation for s in r.segments] == [False] + [True] * len(cut.cuts)
    missing = [m for m in r.warnings if "marker is missing" in m.text]
    assert [m.line for m in missing] == [s.line for s in r.segments[1:]]


EMPHASISED = re.compile(r"\b(fox|data|model|centre|future)\b")


@settings(max_examples=120, deadline=None)
@given(cut_articles(), st.sampled_from(["*", "**", "_", "`"]))
def test_quotes_without_the_originals_marks_keep_the_marks(cut: Cut, mark: str) -> None:
    """The article has emphasised words; the quotes repeat them without the marks."""
    marked = EMPHASISED.sub(lambda m: mark + m.group() + mark, cut.text)
    assume(marked != cut.text)
    # The cuts move with the text: count the marks inserted before each.
    shift = [0] * (len(cut.text) + 1)
    for m in EMPHASISED.finditer(cut.text):
        for i in range(m.start() + 1, m.end() + 1):
            shift[i] += len(mark)
        for i in range(m.end() + 1, len(shift)):
            shift[i] += 2 * len(mark)
    # A cut inside a word or next to its marks: where the marks go is a guess; keep it simple.
    spans = [(m.start(), m.end()) for m in EMPHASISED.finditer(cut.text)]
    assume(all(not (a <= c <= b) for c in cut.cuts for a, b in spans))
    moved = Cut(
        marked,
        [c + shift[c] for c in cut.cuts],
        [ov + shift[c] - shift[c - ov] for c, ov in zip(cut.cuts, cut.overlaps, strict=True)],
    )
    assume(usable(cut))
    # Marks lengthen a paragraph: a repeated one can reach the duplicate length only with them.
    assume(no_long_duplicates(marked))
    plain = mark.replace("\\", "")
    r = stitch(draft(moved, quote=lambda q: q.replace(plain, "")))
    assert r.errors == []
    assert r.markdown == marked + "\n"
    assert not [m for m in r.warnings if "rewinds" in m.text]
