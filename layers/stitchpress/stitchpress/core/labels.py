"""markdown-it's link-label scan, with its answers remembered.

markdown-it looks for the "]" that closes a label from every "[" (links, images "![", inline
footnotes "^["), walking token by token; a "[" met on the way starts another walk (nested
labels), until maxNesting (100) stops the recursion. So a paragraph of unclosed brackets is
walked about a hundred times over: linear, but ~1 s per 10,000 "![" here. This version walks
the same way and gives the same answer (tests/unit/test_budget.py checks it against
markdown-it on random input), but remembers the answer of every "[" it passes on the way:
the label opened by a plain "[" met during a walk closes where the walk's own nesting level
comes back down, or nowhere when the walk ends first. Later calls from those positions are
answered at once, and a walk that meets such a "[" jumps to its closing "]": 5-15x faster on
bracket-heavy paragraphs (BENCHMARKS.md).

Answers are remembered per inline parse state (one paragraph or heading) and per end of the
range being parsed (markdown-it narrows it to parse a label's own text).
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.rules_inline import StateInline

_MEMO = "_stitchpress_labels"


def parse_link_label(state: StateInline, start: int, disableNested: bool = False) -> int:
    """markdown_it.helpers.parseLinkLabel with remembered answers (same arguments, same result)."""
    memo: dict[tuple[int, int, bool], int] = state.__dict__.setdefault(_MEMO, {})
    end = state.posMax
    known = memo.get((start, end, disableNested))
    if known is not None:
        return known
    old_pos = state.pos
    src = state.src
    skip = state.md.inline.skipToken
    opened = [start]  # plain "[" whose labels are still open, innermost last
    state.pos = start + 1
    result = -1
    ran_out = True
    while state.pos < state.posMax:
        pos = state.pos
        marker = src[pos]
        if marker == "]":
            memo[(opened.pop(), end, disableNested)] = pos
            if not opened:
                result = pos
                break
        skip(state)
        if marker == "[":
            if state.pos == pos + 1:  # a plain "[", not the start of a token
                closes = memo.get((pos, end, disableNested))
                if closes == -1:
                    ran_out = False  # its label never closes, so neither does any around it
                    break
                opened.append(pos)
                if closes is not None:
                    state.pos = closes  # the walk from here was done before
            elif disableNested:
                for p in opened:  # each of them would meet this token too
                    memo[(p, end, True)] = -1
                state.pos = old_pos
                return -1
    if result == -1:
        for p in opened:  # a walk that ran out closes none of them, whatever the mode
            memo[(p, end, disableNested)] = -1
            if ran_out:
                memo[(p, end, not disableNested)] = -1
    state.pos = old_pos
    return result


def make_linear(md: MarkdownIt) -> MarkdownIt:
    """Use the linear label scan in `md` (its helpers are otherwise shared by every parser)."""
    import markdown_it.helpers as helpers

    md.helpers = SimpleNamespace(  # type: ignore[assignment]
        parseLinkDestination=helpers.parseLinkDestination,
        parseLinkLabel=parse_link_label,
        parseLinkTitle=helpers.parseLinkTitle,
    )
    return md


def patch_footnotes() -> None:
    """The footnote plugin calls markdown-it's scan by name for inline footnotes ("^[")."""
    import mdit_py_plugins.footnote.index as footnote

    footnote_module: Any = footnote
    footnote_module.parseLinkLabel = parse_link_label
