"""Stitching stays linear in the number of segments (issue 13 found 54 KB of tiny `---END---`/`…`
segments taking 14.7 s: every quote was compared with every earlier segment).

Each shape is stitched at n and 2n segments; doubling the input must not much more than double
the CPU time. Timing is best-of-N of process CPU time (other processes on a loaded machine
barely move it), re-measured a few times before failing, so only a real change of growth fails.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from stitchpress.core.stitch import stitch

ROUNDS = 3  # measurements of the ratio before the test fails
REPEATS = 3  # best of this many runs per size
MAX_RATIO = 2.5  # linear is 2.0; quadratic would be 4.0


def _same_quote(n: int) -> str:  # every segment repeats the same tail and adds nothing
    return "start text here\n" + "---END---\n…text here\n" * n


def _rewinds(n: int) -> str:  # every segment rewinds into the first one
    return "Alpha beta gamma delta epsilon.\n" + "---END---\n…Alpha beta gamma x\n" * n


def _chain(n: int) -> str:  # each tiny segment continues the one before it
    return "\n---END---\n".join(
        ["start of the text 0"] + [f"…of the text {i - 1} of the text {i}" for i in range(1, n)]
    )


def _branches(n: int) -> str:  # every segment is a sibling quoting the first one
    return "A common start of the story.\n" + "".join(
        f"---END---\n…common start of the story. Branch {i}.\n" for i in range(n)
    )


def _missing_markers(n: int) -> str:  # no markers: each segment is checked for a repeated tail
    return "".join(f"---END---\nparagraph number {i} of many.\n" for i in range(n))


def _inline(n: int) -> str:  # one segment, many inline continuations
    return "".join(
        f"Sentence number {i} ends here.\n\n…number {i} ends here. More {i}.\n\n" for i in range(n)
    )


def _marks(n: int) -> str:  # Markdown marks everywhere, quotes without them
    return "*Start* of `it` all\n" + "".join(
        f"---END---\n…*Start* of it all **{i}** [x](y) and *Start* of it all\n" for i in range(n)
    )


def _big_rewinds(n: int) -> str:  # rewinds searched in a long repetitive segment
    return "ab" * 20_000 + " end.\n" + "---END---\n…abababababx\n" * n


def _repeated_sentences(n: int) -> str:  # one segment; each paragraph repeats its own sentence
    return "\n\n".join(f"Paragraph {i} says the same thing once more. " * 3 for i in range(n)) + "\n"


SHAPES: dict[str, tuple[Callable[[int], str], int]] = {
    "same-quote": (_same_quote, 2000),
    "rewinds": (_rewinds, 2000),
    "chain": (_chain, 2000),
    "branches": (_branches, 1000),
    "missing-markers": (_missing_markers, 2000),
    "inline": (_inline, 1000),
    "marks": (_marks, 1000),
    "big-rewinds": (_big_rewinds, 1000),
    "repeated-sentences": (_repeated_sentences, 4000),
}


def _cpu(body: str) -> float:
    best = float("inf")
    for _ in range(REPEATS):
        t0 = time.process_time()
        r = stitch(body)
        best = min(best, time.process_time() - t0)
        assert r.ok, r.errors[:2]  # every quote resolved: the work was really done
    return best


@pytest.mark.parametrize("shape", list(SHAPES))
def test_twice_the_segments_take_about_twice_the_time(shape: str) -> None:
    make, n = SHAPES[shape]
    small, large = make(n), make(2 * n)
    ratios = []
    for _ in range(ROUNDS):
        ratio = _cpu(large) / max(_cpu(small), 1e-3)
        ratios.append(round(ratio, 2))
        if ratio <= MAX_RATIO:
            return
    pytest.fail(f"{shape}: 2x input took {ratios}x the time (linear is 2x)")
