"""Adversarial drafts, generated (not committed): each pattern is something a parser or a
regular expression may handle in quadratic time, repeated to a given size. Shared by
tests/functional/test_bounded.py and bench/bench_limits.py."""

from __future__ import annotations

import random
from collections.abc import Callable

FRONT = "---\ntitle: Adversarial\ndate: 2025-01-01\n---\n\n"


def _repeat(unit: str) -> Callable[[int], str]:
    return lambda size: unit * max(1, size // len(unit.encode()))


def _tiny_segments(size: int) -> str:
    # Each segment repeats the last three words so far and adds one: the stitcher's overlap
    # search runs once per segment.
    def word(n: int) -> str:
        return f"wd{n:07d}"

    parts = [" ".join(word(n) for n in range(3))]
    n, total = 3, 0
    while total < size:
        parts.append(f"\n---END---\n…{word(n - 3)} {word(n - 2)} {word(n - 1)} {word(n)}")
        total += len(parts[-1].encode())
        n += 1
    return "".join(parts) + ".\n"


def _fence(size: int) -> str:
    line = "def f(x): return [x ** 2 for x in range(10) if x % 3]  # comment\n"
    return "```python\n" + line * max(1, size // len(line)) + "```\n"


def _fences(size: int) -> str:
    # many code blocks just under the per-block highlight limit
    block = "```python\n" + "x = [i * 2 for i in range(9)]\n" * 3_000 + "```\n\n"
    return block * max(1, size // len(block))


def _prose(size: int, seed: int = 13, *, repeat: bool = False) -> str:
    rng = random.Random(seed)
    words = [
        "the",
        "quick",
        "brown",
        "fox",
        "jumps",
        "over",
        "lazy",
        "dogs",
        "while",
        "writers",
        "stitch",
        "their",
        "drafts",
    ]
    paragraphs: list[str] = []
    total = 0
    while total < size:
        sentences = [
            " ".join(rng.choice(words) for _ in range(rng.randint(8, 20))).capitalize() + "."
            for _ in range(rng.randint(2, 6))
        ]
        para = " ".join(sentences[:1] * len(sentences) if repeat else sentences)
        if rng.random() < 0.1:
            para = f"## {sentences[0][:40]} {len(paragraphs)}\n\n{para}"
        paragraphs.append(para)
        total += len(para) + 2
    return "\n\n".join(paragraphs) + "\n"


PATTERNS: dict[str, Callable[[int], str]] = {
    "[a](": _repeat("[a]("),
    "<a": _repeat("<a"),
    "<!--": _repeat("<!--"),
    "repeated heading": _repeat("# a\n"),
    "tiny segments": _tiny_segments,
    "![": _repeat("!["),
    "[": _repeat("["),
    "^[": _repeat("^["),
    "[^1": _repeat("[^1"),
    "[x][": _repeat("[x]["),
    "](": _repeat("]("),
    "<http://": _repeat("<http://a"),
    "`": _repeat("`a``"),
    "*_": _repeat("*a_"),
    "**": _repeat("**a"),
    "~~": _repeat("~~a"),
    "&#": _repeat("&#1"),
    "\\": _repeat("\\"),
    "nested quotes": _repeat("> "),
    "nested lists": _repeat("".join(f"{'  ' * i}- x\n" for i in range(30)) + "\n"),
    "table": lambda size: "|a" * 100 + "\n" + "|-" * 100 + "\n" + _repeat("|x" * 100 + "\n")(size),
    "wide table": lambda size: "|a" * max(1, size // 4) + "\n" + "|-" * max(1, size // 4) + "\n",
    "reference defs": _repeat("[a]: <b>\n"),
    "link titles": _repeat('[a](b "'),
    "huge fence": _fence,
    "many fences": _fences,
    "long line": _repeat("word "),
    "{{": _repeat("{{a"),
    "{%": _repeat("{%a"),
    "repeated sentences": lambda size: _prose(size, repeat=True),
}


def draft(pattern: str, size: int) -> bytes:
    return (FRONT + PATTERNS[pattern](size)).encode()


def prose_draft(size: int) -> bytes:
    """An ordinary long article: must never hit a limit."""
    return (FRONT + _prose(size)).encode()
