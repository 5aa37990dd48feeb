"""Time stitch() on a ~1 MB draft of 200 segments (mixed Japanese/English, with overlaps).

    .venv/bin/python bench/bench_stitch.py [--size BYTES] [--segments N] [--repeat N]

Prints one line: best-of-N wall time of stitch() (time.perf_counter) and the draft's shape. The
draft is generated with a fixed seed; the stitched text is checked against the original so a
fast wrong answer cannot pass. Goal (issue 3): 1 MB / 200 segments in under 100 ms.
"""

from __future__ import annotations

import argparse
import random
import sys
import time

from stitchpress.core.stitch import stitch

# fmt: off
JP = ["人工知能", "投資", "データセンター", "未来", "技術者", "私たち", "巨額", "変革", "時代", "社会",
      "ガバナンス", "半導体", "電力", "インフラ", "競争", "人材", "教育", "倫理", "規制", "市場",
      "収益", "広告", "利用者", "開発", "研究", "モデル", "計算資源"]
JP_PARTICLES = ["は", "が", "を", "に", "の", "と", "で", "も", "へ"]
JP_ENDS = ["です。", "でしょう。", "と考えます。", "かもしれません。", "ではありませんか？", "！"]
EN = ["the", "model", "writes", "another", "segment", "while", "investors", "watch", "data",
      "centres", "grow", "and", "engineers", "tune", "large", "language", "models", "for", "every",
      "new", "product", "across", "global", "markets", "with", "care"]
# fmt: on


def sentence(rng: random.Random) -> str:
    if rng.random() < 0.5:
        parts = [rng.choice(JP) + rng.choice(JP_PARTICLES) for _ in range(rng.randint(3, 9))]
        return "".join(parts) + rng.choice(JP_ENDS)
    words = [rng.choice(EN) for _ in range(rng.randint(6, 18))]
    return " ".join(words).capitalize() + rng.choice([".", ".", "?", "!"])


def article(rng: random.Random, size: int) -> str:
    paragraphs: list[str] = []
    total = 0
    while total < size:
        para = " ".join(sentence(rng) for _ in range(rng.randint(2, 6)))
        if rng.random() < 0.1:
            para = f"### {sentence(rng).rstrip('.!?。！？')}\n\n{para}"
        paragraphs.append(para)
        total += len(para.encode()) + 2
    return "\n\n".join(paragraphs)


def make_draft(size: int, segments: int, seed: int = 20250921) -> tuple[str, str]:
    """(draft body, the article it must stitch back to)."""
    rng = random.Random(seed)
    text = article(rng, size)
    cuts = sorted(rng.sample(range(1000, len(text) - 1000), segments - 1))
    bounds = [0, *cuts, len(text)]
    parts = [text[: cuts[0]]]
    for i, c in enumerate(cuts):
        overlap = rng.randint(30, 200)
        parts.append("…" + text[c - overlap : bounds[i + 2]])
    return "\n\n---END---\n\n".join(parts), text + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=1_000_000, help="article size in UTF-8 bytes")
    parser.add_argument("--segments", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args(argv)
    body, expected = make_draft(args.size, args.segments)
    times = []
    result = stitch(body)
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        result = stitch(body)
        times.append(time.perf_counter() - t0)
    if not result.ok or result.markdown != expected or len(result.segments) != args.segments:
        print("bench_stitch: WRONG RESULT", result.errors[:3], file=sys.stderr)
        return 1
    mb = len(body.encode()) / 1e6
    print(
        f"stitch: {mb:.2f} MB draft, {len(result.segments)} segments, {len(result.warnings)} warnings: "
        f"best {min(times) * 1000:.1f} ms, median {sorted(times)[len(times) // 2] * 1000:.1f} ms "
        f"(best of {args.repeat})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
