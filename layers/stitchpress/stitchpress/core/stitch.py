"""Stitch a draft written in segments into one article.

An AI model asked to "continue" ends a segment with a `---END---` line; the next segment starts
with a marker (`…`, `……`, `⋯` or `...`) and repeats the tail of the text so far (the *quote*)
before going on. This
module removes the markers and the repeated text, picks the branch the draft ends on, and reports
what it did. Pure: no I/O; never raises on any str input (problems are Messages in the result).

Rules (issue 3), and the decisions taken where they leave room:

- Segments end at a line that is `---END---` (surrounding whitespace allowed). Blank segments,
  and segments holding nothing but a marker, are ignored.
- A segment starting with the marker is a continuation. So is a paragraph inside a segment that
  starts with the marker *and* whose text repeats the end of the text just before it; any other
  paragraph starting with "…" is ordinary text. The first segment has nothing to continue: a
  marker there is kept as text, with a warning (the start of the draft may be missing).
- A segment without a marker whose start repeats the end of the text before it (at least
  MISSING_MARKER_MIN characters, not code, not a rule like "=====") is a continuation whose
  marker was forgotten: stitched as one, with a warning naming its line (issue 15).
- Matching is on characters, ignoring whitespace, zero-width characters, compatibility
  differences and Markdown marks (emphasis/strong/code marks, link syntax: `[text](url)` counts
  as `text`): text is compared in NFKD form (NFKD-equal iff NFKC-equal; NFKD never composes,
  so positions map back to the original text, which the output keeps, marks included). A quote
  must be at least MIN_OVERLAP such characters long.
- Parent choice, for a continuation whose text is T:
  1. End match: the most recent earlier piece P such that a prefix of T (at least MIN_OVERLAP
     characters) equals a suffix of the article as it stands along P's chain. The longest such
     prefix is the quote. Nothing is lost.
  2. Else rewind: the most recent earlier piece P whose own new text contains the end of a quote
     (the quote may start in P's ancestors). The longest match wins, the latest on a tie. P's
     text after the match is dropped and reported.
     Rewinds are looked for in the _REWIND_PIECES most recent pieces and the chain the article
     so far ends with, in the last _REWIND_WINDOW characters of each, never inside fenced code.
  3. Else an error; the segment is then kept as plain text after the previous one so that later
     segments can still be checked.
  End matches come first so that two continuations quoting the same tail are siblings (a branch)
  rather than the second being read as a rewind of the first: see the example draft, where
  segments 3 and 4 both quote the end of segment 2.
- The article is the chain of pieces ending with the last piece; every piece off it is
  discarded ("superseded branch") and reported.
- The joint keeps what the continuation wrote after the quote: a quote ending mid-word joins on
  the same line; a continuation going on after a line or paragraph break keeps the break. A
  segment that is not a continuation follows the previous one after a blank line.
- Afterwards: the title line is removed before stitching; exact duplicate paragraphs (at least
  DUPLICATE_MIN characters, outside code blocks) are removed with a warning; sentences of at
  least REPEAT_MIN characters that occur twice get a "possible repetition loop" warning; an
  article whose last prose line lacks terminal punctuation gets "ends mid-sentence".

- Fenced code is never de-duplicated, and a marker line inside it is code, not a continuation.

Cost: linear in the draft's size however many segments it has. Quotes are matched within
bounded windows (WINDOW characters, grown only when a quote fills one) with str.find/startswith;
a piece's tail is built on its parent's; an end match is looked for first in the most recent
piece, then only in pieces whose last characters occur in the quote (an index), at most
_MAX_END_CANDIDATES; rewinds are binary searches over a bounded set of pieces.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from . import budget
from .model import Message

MIN_OVERLAP = 8  # normalised characters a quote needs before it is trusted
WINDOW = 1024  # normalised characters compared at a joint; grown when a quote fills it
MAX_WINDOW = 1 << 16
PREVIEW_CHARS = 40
REPEAT_MIN = 40
DUPLICATE_MIN = 20  # shorter paragraphs ("---", "Thanks!") may legitimately repeat
MAX_ERRORS = 20  # after this many quotes not found, stop matching (bounds the cost of junk input)
MISSING_MARKER_MIN = 20  # normalised characters a segment without a marker must repeat to continue
_MIN_DISTINCT = 5  # ... and that many different characters ("-----" or "=====" repeat nothing)
_MAX_WALK = 64  # pieces walked back to fill a window (pieces that add nothing, e.g. "…" only)
# Bounds that keep stitching linear however many segments a draft has:
_MAX_PER_KEY = 64  # earlier pieces with the same last characters compared with one quote
_MAX_END_CANDIDATES = 64  # earlier pieces whose end is compared with one quote
_REWIND_PIECES = 32  # a rewind is looked for in this many most recent pieces and ancestors...
_REWIND_WINDOW = 1 << 16  # ...in the last this many characters of each piece's own text...
_REWIND_CHARS = 1 << 17  # ...and in this many characters in all

FIX_HINT = (
    "start the segment by repeating the last sentence of the text it continues, "
    'or remove the leading "…" if it starts new text'
)

Status = Literal["used", "discarded"]

_END_LINE = re.compile(r"[^\S\n]*---END---[^\S\n]*")
# The continuation marker: "…", "……" (the Japanese ellipsis), "⋯" (U+22EF, CJK), "..." and runs
# of them, with any whitespace after. One definition for segment starts and inline paragraphs.
_MARKER_START = r"(?:[…⋯]|\.{3})"
_MARKER = re.compile(r"[^\S\n]*(?:[…⋯]|\.{3,})+\s*")
# A paragraph (after a blank line) that starts with a marker: a possible inline continuation.
_INLINE = re.compile(r"\n[^\S\n]*\n\s*(?=" + _MARKER_START + ")")
# Markdown marks a quote may add or leave out: emphasis/strong/code marks, and link syntax
# ("[text](url "title")", "[text][ref]", "![alt](url)"), of which only the text is compared.
_LINK_TAIL = r"\]\((?:[^()\s]|\([^()\s]*\))*(?:\s+(?:\"[^\"\n]*\"|'[^'\n]*'))?\s*\)|\]\[[^\[\]\n]*\]"
_MARKUP = re.compile(_LINK_TAIL + r"|!\[|[*_`\[\]]")
# Marks that may close what a quote ended with (never "[" or "![", which open what follows).
_CLOSING_MARKS = re.compile(r"(?:" + _LINK_TAIL + r"|[*`\]]|_(?!\w))+")
_EMPHASIS_UNDERSCORE = re.compile(r"(?<!\w)_|_(?!\w)")  # not inside a word (snake_case)
_FENCE_LINE = re.compile(r"^ {0,3}(`{3,}|~{3,})([^\n]*)$", re.M)
_PARA_SEP = re.compile(r"\n(?:[^\S\n]*\n)+")
_WS = re.compile(r"\s+")
# A sentence (in NFKD text, where "。" stays and "！？．）" become "!?.)") ends at terminal
# punctuation, taking closing quotes and brackets with it; "." ends one before a space, which
# _check_repeats turns into a line break first.
_SENTENCE = re.compile(r"[^\n。!?]+[。!?]*[」』)\]\"'”’»]*")
_TERMINAL = frozenset("。．！？!?.…‥」』）)】〕〉》\"'”’»]〜～")
_NOT_PROSE = re.compile(r"\s*(?:#|\||<|!\[|\[[^\]]*\]:|(?:[-*_]\s*){3,}$)")
_ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
_LINK_SLACK = 512  # characters past a quote's end read so that a link cut there is seen whole


def _has_markup(text: str) -> bool:
    return "*" in text or "_" in text or "`" in text or "[" in text or "]" in text


def _norm(text: str) -> str:
    """The form quotes are matched in: NFKD, without whitespace, zero-width characters or
    Markdown marks (_MARKUP).

    NFKD never composes, so the length of a prefix's form is the sum over its characters: a
    position in the form maps back to one in the original (see _orig_end).
    """
    if _has_markup(text):
        text = _MARKUP.sub("", text)
    form = "".join(unicodedata.normalize("NFKD", text).split())
    for ch in _ZERO_WIDTH:
        if ch in form:
            form = form.replace(ch, "")
    return form


def _key(text: str) -> str:
    """Comparison key for paragraphs, sentences and the title: NFKC without whitespace."""
    return _WS.sub("", unicodedata.normalize("NFKC", text))


def _orig_end(text: str, start: int, stop: int, n: int) -> int:
    """Index just after the original character holding match-form character n-1 of text[start:stop]."""
    if n <= 0:
        return start
    hi = min(stop, start + n)
    while hi < stop and len(_norm(text[start:hi])) < n:  # whitespace and marks: look further
        hi = min(stop, start + 2 * (hi - start))
    region = text[start : min(stop, hi + _LINK_SLACK)]
    if _has_markup(region):
        # Marks become zero-width characters (which _norm drops): positions stay put, and the
        # form of a prefix no longer depends on where a link is cut, so it grows monotonically.
        region = _MARKUP.sub(lambda m: "\u200b" * len(m.group()), region)
    lo, hi = 1, hi - start
    while lo < hi:
        mid = (lo + hi) // 2
        if len(_norm(region[:mid])) >= n:
            hi = mid
        else:
            lo = mid + 1
    return start + lo


def _after_marks(text: str, i: int) -> int:
    """Index after the closing marks ("*", "`", "](url)"...) that directly follow text[i-1]: a
    rewind's cut keeps them, so the kept text stays balanced. (They never run past the piece's
    end: a piece ends at its segment's end or before a blank line.)"""
    marks = _CLOSING_MARKS.match(text, i)
    return marks.end() if marks else i


def _paragraph_before(piece: _Piece, end: int) -> str:
    """The article's text from the start of its paragraph to piece.src[:end], along piece's chain
    (at most 4096 characters)."""
    parts: list[str] = []
    total = 0
    cur: _Piece | None = piece
    for _ in range(_MAX_WALK):
        if cur is None or total >= 4096:
            break
        text = cur.src[max(cur.new_start, end - 4096) : end]
        parts.append(text)
        total += len(text)
        if "\n\n" in text:
            break
        end, cur = cur.cut, cur.parent
    return "".join(reversed(parts))


def _quote_end(text: str, start: int, stop: int, n: int, before: str) -> int:
    """Where a continuation's own text starts: after its quote of n match-form characters, and
    after the closing marks that follow the quote when they close marks the quote opened (the
    article's paragraph it repeats, `before`, has its own). Marks closing what `before` left open
    ("*brown fox" quoted as "brown fox* jumps") belong to the continuation and stay."""
    end = _orig_end(text, start, stop, n)
    marks = _CLOSING_MARKS.match(text, end, stop)
    if marks is None:
        return end
    para = before[before.rfind("\n\n") + 1 :]
    run = marks.group()
    for ch in "*`":
        if ch in run and para.count(ch) % 2:
            return end
    if "_" in run and len(_EMPHASIS_UNDERSCORE.findall(para)) % 2:
        return end
    if "]" in run and para.count("[") > para.count("]"):
        return end
    return marks.end()


def _end_overlap(tail: str, head: str) -> int:
    """Longest k >= MIN_OVERLAP with tail ending in head[:k]; 0 when there is none."""
    if len(tail) < MIN_OVERLAP or len(head) < MIN_OVERLAP or tail[-MIN_OVERLAP:] not in head:
        return 0
    key = head[:MIN_OVERLAP]
    p = tail.find(key, max(0, len(tail) - len(head)))
    while p != -1:  # the first (leftmost) hit is the longest overlap
        if head.startswith(tail[p:]):
            return len(tail) - p
        p = tail.find(key, p + 1)
    return 0


def _preview(text: str, limit: int = PREVIEW_CHARS) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[:limit] + "…"


@dataclass(frozen=True)
class SegmentReport:
    """What happened to one segment (an inline continuation counts as a segment of its own)."""

    index: int  # 1-based, in order of appearance
    line: int  # file line where it starts
    chars: int  # length of its text (marker excluded, quote included)
    continuation: bool
    inline: bool
    parent: int | None
    overlap_chars: int  # length of the quote that was removed
    status: Status
    reason: str | None  # None when used
    first_words: str
    dropped_chars: int = 0  # text of the parent cut away because this segment rewound into it
    dropped_text: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "line": self.line,
            "chars": self.chars,
            "continuation": self.continuation,
            "inline": self.inline,
            "parent": self.parent,
            "overlap_chars": self.overlap_chars,
            "status": self.status,
            "reason": self.reason,
            "first_words": self.first_words,
            "dropped_chars": self.dropped_chars,
            "dropped_text": self.dropped_text,
        }


@dataclass
class StitchResult:
    markdown: str  # the article; best effort (not publishable) when there are errors
    segments: list[SegmentReport] = field(default_factory=list)
    warnings: list[Message] = field(default_factory=list)
    errors: list[Message] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_json(self) -> dict[str, Any]:
        return {
            "segments": [s.to_json() for s in self.segments],
            "warnings": [m.to_json() for m in self.warnings],
            "errors": [m.to_json() for m in self.errors],
        }


@dataclass(eq=False)
class _Piece:
    """A segment, or the part of one from an inline continuation on. Offsets index into `src`
    (the whole stripped segment text, shared by its pieces: splitting copies nothing)."""

    index: int
    src: str
    base: int  # the piece is src[base:stop], marker included
    stop: int
    line: int  # file line of src[base]
    continuation: bool = False
    inline: bool = False
    quote_start: int = 0  # after the marker
    new_start: int = 0  # after the quote: where this piece's own text starts
    parent: _Piece | None = None
    cut: int = 0  # parent.src[parent.new_start:cut] is what this piece's chain keeps of its parent
    joiner: str = ""
    tail_cache: _Window | None = None
    own_cache: str | None = None
    newlines: list[int] | None = None  # offsets of src's line breaks, shared by its pieces

    def line_at(self, offset: int) -> int:
        # Bisecting, not counting from base: a long paragraph can ask for thousands of lines.
        if self.newlines is None:
            self.newlines = [m.start() for m in re.finditer("\n", self.src)]
        nl = self.newlines
        return self.line + bisect_left(nl, offset) - bisect_left(nl, self.base)

    def own_norm(self) -> str:
        if self.own_cache is None:
            self.own_cache = _norm(self.src[self.new_start : self.stop])
        return self.own_cache


@dataclass
class _Window:
    norm: str
    truncated: bool  # more text exists beyond the window


def _tail(piece: _Piece | None, end: int, want: int) -> _Window:
    """At least `want` match-form characters (if there are) ending the chain at piece.src[:end]."""
    parts: list[str] = []
    total = 0
    cur = piece
    for _ in range(_MAX_WALK):
        if cur is None:
            break
        start = cur.new_start
        need = want - total
        a = max(start, end - need)
        n = _norm(cur.src[a:end]) if a < end else ""
        while len(n) < need and a > start:  # whitespace shrinks text; take more
            a = max(start, end - 2 * (end - a))
            n = _norm(cur.src[a:end])
        parts.append(n)
        total += len(n)
        if total >= want:
            parts.reverse()
            return _Window("".join(parts), a > start or cur.parent is not None)
        end = cur.cut
        cur = cur.parent
    parts.reverse()
    return _Window("".join(parts), cur is not None)


def _head(text: str, start: int, stop: int, want: int) -> _Window:
    b = min(stop, start + want)
    n = _norm(text[start:b])
    while len(n) < want and b < stop:
        b = min(stop, start + 2 * (b - start))
        n = _norm(text[start:b])
    return _Window(n, b < stop)


def _piece_tail(piece: _Piece) -> _Window:
    """The WINDOW (or more) match-form characters ending piece's chain; built on its parent's when
    the piece goes on from the parent's end, so a chain of tiny pieces costs one step each."""
    if piece.tail_cache is None:
        parent = piece.parent
        a = max(piece.new_start, piece.stop - WINDOW)
        if a > piece.new_start or parent is None or piece.cut != parent.stop or parent.tail_cache is None:
            piece.tail_cache = _tail(piece, piece.stop, WINDOW)
        else:  # the piece's whole own text is in the window: the parent's tail comes before it
            joined = parent.tail_cache.norm + _norm(piece.src[a : piece.stop])
            cut = max(0, len(joined) - 2 * WINDOW)
            piece.tail_cache = _Window(joined[cut:], cut > 0 or parent.tail_cache.truncated)
    return piece.tail_cache


def _match_end(cont: _Piece, cand: _Piece, head: _Window) -> int:
    """Quote length (match-form chars) if cont's text starts by repeating the end of cand's chain.

    `head` is the start of cont's text (a WINDOW-sized _head), shared by all candidates."""
    want = WINDOW
    tail = _piece_tail(cand)
    while True:
        k = _end_overlap(tail.norm, head.norm)
        grow = (k == len(head.norm) and head.truncated) or (k == len(tail.norm) and tail.truncated)
        if k == 0 or not grow or want >= MAX_WINDOW:
            return k
        want *= 4  # the quote filled a window: it may be longer
        tail = _tail(cand, cand.stop, want)
        head = _head(cont.src, cont.quote_start, cont.stop, want)


def _longest_prefix_in(win: str, head: str, boundary: int) -> int:
    """Longest L >= MIN_OVERLAP such that head[:L] occurs in win ending after `boundary`; else 0.

    Binary search on L with str.find: O(log len(head)) scans of win at C speed, however
    repetitive the text (checking every occurrence of a short key is quadratic on "abab…").
    "Occurs ending after boundary" alone is not monotonic in L: a match may end just after the
    boundary while its one-shorter prefix ends on it. `across` (the longest match ending exactly
    one character after the boundary) covers those, which makes the search monotonic."""
    if boundary >= len(win):
        return 0
    across = _end_overlap(win[: boundary + 1], head)
    lo, hi = 0, len(head)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if mid < MIN_OVERLAP or across > mid or win.find(head[:mid], max(0, boundary - mid + 1)) != -1:
            lo = mid
        else:
            hi = mid - 1
    return lo if lo >= MIN_OVERLAP else 0


def _match_inside(cont: _Piece, cand: _Piece, head: _Window) -> tuple[int, int] | None:
    """(quote length, match-form end in cand's own text) of the best rewind match (longest, then
    latest), if any. Only the last _REWIND_WINDOW characters of cand's own
    text are searched."""
    want = WINDOW
    own = cand.own_norm()
    skip = max(0, len(own) - _REWIND_WINDOW)
    if skip:
        own = own[skip:]
    while True:
        if len(head.norm) < MIN_OVERLAP:
            return None
        # Text before cand's own text, so that a quote may start in its ancestors.
        before = _tail(cand.parent, cand.cut, len(head.norm)).norm if cand.parent and not skip else ""
        win = before + own
        boundary = len(before)
        q = _longest_prefix_in(win, head.norm, boundary)
        if not q:
            return None
        p = win.rfind(head.norm[:q], max(0, boundary - q + 1))
        if q < len(head.norm) or not head.truncated or want >= MAX_WINDOW:
            return q, p + q - boundary + skip
        want *= 4
        head = _head(cont.src, cont.quote_start, cont.stop, want)


def _fence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each fenced code block: its opening fence line to the end of its closing
    one, or to the end of the text when it is not closed."""
    if "```" not in text and "~~~" not in text:
        return []
    spans: list[tuple[int, int]] = []
    open_at, fence = -1, ""
    for m in _FENCE_LINE.finditer(text):
        run, rest = m.group(1), m.group(2)
        if open_at < 0:
            if run[0] == "`" and "`" in rest:  # CommonMark: not a fence (an inline code span)
                continue
            open_at, fence = m.start(), run
        elif run[0] == fence[0] and len(run) >= len(fence) and not rest.strip():
            spans.append((open_at, m.end()))
            open_at = -1
    if open_at >= 0:
        spans.append((open_at, len(text)))
    return spans


def _span_at(spans: list[tuple[int, int]], pos: int) -> tuple[int, int] | None:
    """The span holding position pos (start < pos <= end: a cut just after a fence is in it)."""
    k = bisect_left(spans, (pos, -1)) - 1
    return spans[k] if k >= 0 and pos <= spans[k][1] else None


class _Stitcher:
    def __init__(self, body: str, title: str | None, first_line: int) -> None:
        self.body = body
        self.title = title
        self.first_line = first_line
        self.pieces: list[_Piece] = []
        self.warnings: list[Message] = []
        self.errors: list[Message] = []
        self.not_found = 0
        # Pieces by the last MIN_OVERLAP characters of their chain's end: an end match needs
        # them in the quote, so a quote is compared only with the pieces it can match.
        self.ends: dict[str, list[_Piece]] = {}
        self.fences: dict[int, list[tuple[int, int]]] = {}  # id(src) -> fenced code spans

    def fence_spans(self, src: str) -> list[tuple[int, int]]:
        spans = self.fences.get(id(src))
        if spans is None:
            spans = self.fences[id(src)] = _fence_spans(src)
        return spans

    def warn(self, text: str, line: int | None) -> None:
        self.warnings.append(Message("warning", text, line=line, field="stitch"))

    def error(self, text: str, line: int | None) -> None:
        self.errors.append(Message("error", text, line=line, field="stitch"))

    # --- splitting ------------------------------------------------------------------------

    def segments(self) -> list[tuple[str, int]]:
        """(stripped text, file line of its first character) for each non-blank segment."""
        lines = self.body.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        if self.title is not None:
            self._drop_title(lines)
        out: list[tuple[str, int]] = []
        start = 0
        for i in range(len(lines) + 1):
            if i < len(lines) and not _END_LINE.fullmatch(lines[i]):
                continue
            chunk = lines[start:i]
            skip = 0
            while skip < len(chunk) and not chunk[skip].strip():
                skip += 1
            text = "\n".join(chunk[skip:]).rstrip()
            marker = _MARKER.match(text)
            if text and not (marker and marker.end() == len(text)):
                out.append((text, self.first_line + start + skip))
            start = i + 1
        return out

    def _drop_title(self, lines: list[str]) -> None:
        want = _key(self.title or "")
        for i, line in enumerate(lines):
            if line.strip():
                if want and _key(line.strip().lstrip("#")) == want:
                    lines[i] = ""
                return

    # --- parents --------------------------------------------------------------------------

    def run(self) -> None:
        for text, line in self.segments():
            # The compile deadline (a no-op outside one): each segment's work is bounded, not
            # the count of segments.
            budget.check("stitching the segments", lambda: f"the segment at line {line}")  # noqa: B023
            piece = _Piece(index=len(self.pieces) + 1, src=text, base=0, stop=len(text), line=line)
            marker = _MARKER.match(text)
            prev = self.pieces[-1] if self.pieces else None
            if marker and prev is None:
                self.warn(
                    f'segment 1 starts with "{marker.group().strip()}" but there is no earlier text '
                    "to continue; kept as text (if the start of the draft is missing, add it)",
                    line,
                )
            elif marker:
                piece.continuation = True
                piece.quote_start = marker.end()
                if self.not_found >= MAX_ERRORS or not self._attach(piece):
                    self._attach_after(piece, prev)  # kept as plain text so later segments resolve
            elif prev is not None and not self._missing_marker(piece, prev):
                self._attach_after(piece, prev)
            first = len(self.pieces)
            self.pieces.append(piece)
            self._split_inline(piece)
            for p in self.pieces[first:]:  # their ends are final now
                tail = _piece_tail(p).norm
                if len(tail) >= MIN_OVERLAP:
                    self.ends.setdefault(tail[-MIN_OVERLAP:], []).append(p)

    def _attach_after(self, piece: _Piece, prev: _Piece | None) -> None:
        piece.parent, piece.joiner = prev, "\n\n"
        piece.cut = prev.stop if prev else 0
        piece.new_start = piece.base

    def _missing_marker(self, piece: _Piece, prev: _Piece) -> bool:
        """Attach a segment without a marker as a continuation of prev when it starts by repeating
        the end of the text so far (at least MISSING_MARKER_MIN characters, not code)."""
        if _FENCE_LINE.match(piece.src) or _indented(piece.src.split("\n", 1)[0]):
            return False
        if _span_at(self.fence_spans(prev.src), prev.stop):  # the text so far ends in code
            return False
        k = _match_end(piece, prev, _head(piece.src, 0, piece.stop, WINDOW))
        if k < MISSING_MARKER_MIN:
            return False
        new_start = _quote_end(piece.src, 0, piece.stop, k, _paragraph_before(prev, prev.stop))
        quote = piece.src[:new_start]
        if len(set(_norm(quote))) < _MIN_DISTINCT or _FENCE_LINE.search(quote):
            return False
        piece.continuation = True
        piece.parent, piece.cut, piece.new_start = prev, prev.stop, new_start
        self.warn(
            f"segment {piece.index} (line {piece.line}) has no continuation marker but starts by repeating "
            f'the last {len(quote.strip())} characters of the text before it ("{_preview(quote)}"); stitched as a '
            f'continuation with the repeated text removed. The marker is missing: start the segment with "…"',
            piece.line,
        )
        return True

    def _end_candidates(self, head: str) -> list[_Piece]:
        """Earlier pieces whose end may be repeated by a quote starting with head, most recent first."""
        found: set[_Piece] = set()
        for j in range(len(head) - MIN_OVERLAP + 1):
            same_end = self.ends.get(head[j : j + MIN_OVERLAP])
            if same_end:
                found.update(same_end[-_MAX_PER_KEY:])
        return sorted(found, key=lambda p: p.index, reverse=True)[:_MAX_END_CANDIDATES]

    def _rewind_candidates(self) -> list[_Piece]:
        """The most recent pieces and the chain the article so far ends with, most recent first."""
        found = set(self.pieces[-_REWIND_PIECES:])
        node: _Piece | None = self.pieces[-1]
        for _ in range(_REWIND_PIECES):
            if node is None:
                break
            found.add(node)
            node = node.parent
        return sorted(found, key=lambda p: p.index, reverse=True)

    def _attach(self, piece: _Piece) -> bool:
        head = _head(piece.src, piece.quote_start, piece.stop, WINDOW)
        # The most recent piece first: nearly every quote repeats it, and then no lookup is needed.
        cand = self.pieces[-1]
        k = _match_end(piece, cand, head)
        if not k:
            for cand in self._end_candidates(head.norm):
                k = _match_end(piece, cand, head)
                if k:
                    break
        if k:
            piece.parent, piece.cut = cand, cand.stop
            piece.new_start = _quote_end(
                piece.src, piece.quote_start, piece.stop, k, _paragraph_before(cand, cand.stop)
            )
            return True
        searched = 0
        for cand in self._rewind_candidates():
            found = _match_inside(piece, cand, head)
            if found:
                q, end = found
                cut = _after_marks(cand.src, _orig_end(cand.src, cand.new_start, cand.stop, end))
                if not _span_at(self.fence_spans(cand.src), cut):  # never rewind into code
                    piece.parent, piece.cut = cand, cut
                    piece.new_start = _quote_end(
                        piece.src, piece.quote_start, piece.stop, q, _paragraph_before(cand, cut)
                    )
                    return True
            searched += min(len(cand.own_norm()), _REWIND_WINDOW)
            if searched > _REWIND_CHARS:
                break
        self.not_found += 1
        quote = _preview(piece.src[piece.quote_start : piece.quote_start + 4 * PREVIEW_CHARS])
        self.error(
            f'segment {piece.index}: its quote "{quote}" matches no earlier text; {FIX_HINT}', piece.line
        )
        if self.not_found == MAX_ERRORS:
            self.error(f"stopped matching quotes after {MAX_ERRORS} errors", piece.line)
        return False

    def _split_inline(self, piece: _Piece) -> None:
        """Split off paragraphs that start with a marker and repeat the text just before them."""
        src, pos = piece.src, piece.new_start
        fences = self.fence_spans(src)
        while True:
            m = _INLINE.search(src, pos)
            if m is None:
                return
            para = m.end()
            code = _span_at(fences, para)
            if code:  # a "..." line in fenced code is code
                pos = code[1]
                continue
            marker = _MARKER.match(src, para)
            if marker is None:  # the lookahead guarantees one; keeps mypy and readers sure
                return
            head = _head(src, marker.end(), len(src), WINDOW)
            k = _end_overlap(_tail(piece, m.start(), WINDOW).norm, head.norm)
            if not k:
                pos = para  # ordinary text that happens to start with "…"
                continue
            end = m.start()
            while end > piece.new_start and src[end - 1].isspace():
                end -= 1
            piece.stop, piece.own_cache, piece.tail_cache = end, None, None
            inline = _Piece(
                index=len(self.pieces) + 1,
                src=src,
                base=para,
                stop=len(src),
                line=piece.line_at(para),
                newlines=piece.newlines,
                continuation=True,
                inline=True,
                quote_start=marker.end(),
                parent=piece,
                cut=end,
            )
            inline.new_start = _quote_end(
                src, inline.quote_start, inline.stop, k, _paragraph_before(piece, end)
            )
            self.pieces.append(inline)
            piece, pos = inline, inline.new_start

    # --- the article ----------------------------------------------------------------------

    def result(self) -> StitchResult:
        if not self.pieces:
            return StitchResult(markdown="", warnings=self.warnings, errors=self.errors)
        chain: list[_Piece] = []
        node: _Piece | None = self.pieces[-1]
        while node is not None:
            chain.append(node)
            node = node.parent
        chain.reverse()
        on_chain = {id(p) for p in chain}
        child_on_chain = {id(p.parent): p for p in chain if p.parent is not None}

        parts: list[str] = []
        offsets: list[int] = []
        origins: list[tuple[_Piece, int]] = []
        pos = 0
        for p in chain:
            if p.joiner and parts:
                parts.append(p.joiner)
                pos += len(p.joiner)
            child = child_on_chain.get(id(p))
            end = child.cut if child is not None else p.stop
            offsets.append(pos)
            origins.append((p, p.new_start))
            parts.append(p.src[p.new_start : end])
            pos += end - p.new_start
        article = "".join(parts)

        def line_of(x: int) -> int:
            k = max(0, bisect_right(offsets, x) - 1)
            p, start = origins[k]
            return p.line_at(min(p.stop, start + x - offsets[k]))

        reports = self._reports(on_chain, child_on_chain)
        markdown = self._check_article(article, line_of)
        self.warnings.sort(key=lambda m: m.line or 0)  # stable: same-line findings keep their order
        return StitchResult(markdown=markdown, segments=reports, warnings=self.warnings, errors=self.errors)

    def _reports(self, on_chain: set[int], child_on_chain: dict[int, _Piece]) -> list[SegmentReport]:
        reports = []
        for p in self.pieces:
            used = id(p) in on_chain
            dropped = ""
            if p.parent is not None and p.continuation and p.joiner == "":
                dropped = p.parent.src[p.cut : p.parent.stop].strip()
            if used and dropped and p.parent is not None:
                self.warn(
                    f"segment {p.index} rewinds into segment {p.parent.index}: its quote matches inside "
                    f'it, so {len(dropped)} characters after the quote are dropped ("{_preview(dropped)}")',
                    p.line,
                )
            first_words = _preview(p.src[p.quote_start : min(p.stop, p.quote_start + 4 * PREVIEW_CHARS)])
            if not used:
                anc = p.parent
                while anc is not None and id(anc) not in on_chain:
                    anc = anc.parent
                winner = child_on_chain.get(id(anc)) if anc is not None else None
                why = (
                    f"; segment {winner.index} (line {winner.line}) also continues segment {anc.index} "
                    "and the article goes on from there"
                    if winner is not None and anc is not None
                    else ""
                )
                self.warn(
                    f'segment {p.index} ({p.stop - p.quote_start} chars, "{first_words}") '
                    f"is discarded as a superseded branch{why}",
                    p.line,
                )
            quoted = p.continuation and p.joiner == ""  # False for a quote that was not found
            reports.append(
                SegmentReport(
                    index=p.index,
                    line=p.line,
                    chars=p.stop - p.quote_start,
                    continuation=p.continuation,
                    inline=p.inline,
                    parent=p.parent.index if p.parent else None,
                    overlap_chars=len(p.src[p.quote_start : p.new_start].strip()) if quoted else 0,
                    status="used" if used else "discarded",
                    reason=None if used else "superseded branch",
                    first_words=first_words,
                    dropped_chars=len(dropped),
                    dropped_text=dropped,
                )
            )
        return reports

    def _check_article(self, article: str, line_of: Callable[[int], int]) -> str:
        """Remove duplicate paragraphs; warn about repetition loops and a truncated ending."""
        spans: list[tuple[int, int]] = []
        start = 0
        for m in _PARA_SEP.finditer(article):
            if m.start() > start:
                spans.append((start, m.start()))
            start = m.end()
        if start < len(article):
            spans.append((start, len(article)))

        # Keys are NFKD without whitespace (equal iff NFKC-equal, and several times faster to
        # compute); length thresholds are checked in NFKC, only for the rare repeat.
        kept: list[tuple[int, int, str | None]] = []  # start, end, NFKD text when prose
        seps: list[str] = []  # the separator that stood before each kept paragraph
        seen: dict[str, int] = {}
        fences = _fence_spans(article)
        f = 0  # the first fenced block not yet passed
        for j, (a, b) in enumerate(spans):
            para = article[a:b]
            while f < len(fences) and fences[f][1] <= a:
                f += 1
            code = (f < len(fences) and fences[f][0] < b) or _indented(para)
            nfd = None if code else unicodedata.normalize("NFKD", para)
            if nfd is not None:
                key = "".join(nfd.split())
                if key not in seen:
                    seen[key] = a
                elif len(_key(para)) >= DUPLICATE_MIN:
                    self.warn(
                        f"removed a duplicate paragraph (the same text is at line {line_of(seen[key])}): "
                        f'"{_preview(para)}"',
                        line_of(a),
                    )
                    continue
            kept.append((a, b, nfd))
            seps.append(article[spans[j - 1][1] : a] if j else "")

        out: list[str] = []
        for (a, b, _), sep in zip(kept, seps, strict=True):
            out.append((sep or "\n\n") if out else "")
            out.append(article[a:b])
        self._check_repeats(article, kept, line_of)
        self._check_ending(article, kept, line_of)
        text = "".join(out).rstrip()
        return text + "\n" if text else ""

    def _check_repeats(
        self, article: str, kept: list[tuple[int, int, str | None]], line_of: Callable[[int], int]
    ) -> None:
        # Positions are only worked out for the rare sentence that repeats.
        first: dict[str, tuple[int, str, str]] = {}
        checked: set[str] = set()
        for a, _, nfd in kept:
            if nfd is None:
                continue
            for raw in _SENTENCE.findall(nfd.replace(". ", ".\n")):
                if len(raw) < REPEAT_MIN:  # NFKD is never shorter than NFKC
                    continue
                key = "".join(raw.split())
                if key not in first:
                    first[key] = (a, nfd, raw)
                elif key not in checked:
                    checked.add(key)
                    if len(" ".join(unicodedata.normalize("NFKC", raw).split())) < REPEAT_MIN:
                        continue
                    here = _sentence_line(article, line_of, a, nfd, raw, last=True)
                    there = _sentence_line(article, line_of, *first[key])
                    self.warn(
                        f"possible repetition loop: this sentence also appears at line {there}: "
                        f'"{_preview(unicodedata.normalize("NFKC", raw))}"',
                        here,
                    )

    def _check_ending(
        self, article: str, kept: list[tuple[int, int, str | None]], line_of: Callable[[int], int]
    ) -> None:
        if not kept or kept[-1][2] is None:
            return
        a, b, _ = kept[-1]
        last_line = article[a:b].rstrip().rsplit("\n", 1)[-1]
        if _NOT_PROSE.match(last_line):
            return
        tail = last_line.rstrip().rstrip("*_~`").rstrip()
        if not tail:
            return
        ch = tail[-1]
        if ch in _TERMINAL or unicodedata.category(ch) == "So":  # emoji and symbols end sentences too
            return
        self.warn(
            f'the article ends mid-sentence ("…{tail[-PREVIEW_CHARS:]}"); the draft may be truncated: '
            "finish the sentence, or add the missing segment",
            line_of(b - 1),
        )


def _sentence_line(
    article: str, line_of: Callable[[int], int], start: int, nfd: str, raw: str, last: bool = False
) -> int:
    """File line of sentence `raw`, found in `nfd`, the NFKD form of the paragraph at `start` (its
    last occurrence there when `last`: a repeat within one paragraph).

    NFKD keeps line breaks, so the sentence's line within the paragraph carries over."""
    offset = start
    at = nfd.rfind(raw) if last else nfd.find(raw)
    for _ in range(nfd.count("\n", 0, max(0, at))):
        nl = article.find("\n", offset)
        if nl == -1:
            break
        offset = nl + 1
    return line_of(offset)


def _indented(para: str) -> bool:
    """An indented code block: every line starts with four spaces or a tab."""
    return para.startswith(("    ", "\t")) and all(ln.startswith(("    ", "\t")) for ln in para.split("\n"))


def stitch(body: str, *, title: str | None = None, first_line: int = 1) -> StitchResult:
    """Stitch a draft body (the Markdown after the front matter) into one article.

    `first_line` is the file line of body's first line, so messages point into the file.
    """
    stitcher = _Stitcher(body, title, first_line)
    try:
        stitcher.run()
        return stitcher.result()
    except budget.TooComplex:
        raise  # the compile reports it as the budget's rejection, not as a bug
    except Exception as e:  # a bug must reject the draft with a clear message, not crash the worker
        return StitchResult(
            markdown="",
            warnings=stitcher.warnings,
            errors=[
                *stitcher.errors,
                Message(
                    "error",
                    f"internal error while stitching ({type(e).__name__}: {e}); please report it",
                    field="stitch",
                ),
            ],
        )
