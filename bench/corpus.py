"""The benchmark corpus: N posts with the same content for stitchpress, Hugo and Pelican.

    .venv/bin/python bench/corpus.py --posts 1000 --out bench/out/corpus-1000

Each post: ~3,000 characters of mixed Japanese/English Markdown (headings, a list, a link, now
and then a fenced code block), one category, 2–4 tags drawn without replacement from a pool of
200 with Zipf-like weights (exponent fitted so the most common tag is on about a fifth of the
posts). Posts are two a day, newest on 2025-09-20, so a bigger site is an older one and every
month holds about the same number of posts. `new_post(i)` is the post whose publish is measured:
newer than all of them, with three tags (the most common, the 5th and the 20th).

Only the front matter differs between the tools (each wants its own fields and date format);
the Markdown body is byte-identical.
"""

from __future__ import annotations

import argparse
import random
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import cache
from pathlib import Path

from bench_stitch import sentence

JST = timezone(timedelta(hours=9))
NEWEST = datetime(2025, 9, 20, 21, 0, tzinfo=JST)
STEP = timedelta(hours=12)
BODY_CHARS = 3000
TAGS_PER_POST = (2, 3, 4)
TOP_TAG_SHARE = 0.2
NEW_POST_TAG_RANKS = (0, 4, 19)

# fmt: off
_TAG_WORDS = ["AI", "投資", "Meta", "技術動向", "半導体", "Python", "クラウド", "セキュリティ",
              "データセンター", "LLM", "規制", "Startups", "教育", "電力", "Open Source", "ロボット",
              "Hardware", "倫理", "Research", "モバイル"]
CATEGORIES = ["ニュース", "Analysis", "投資分析", "Tutorials", "コラム", "Reviews", "インタビュー", "Opinion"]
_CATEGORY_WEIGHTS = [30, 20, 15, 10, 10, 6, 5, 4]
_CODE = ['```python\ndef total(xs: list[int]) -> int:\n    return sum(x * 2 for x in xs)\n```',
         '```sh\naws s3 cp draft.md s3://drafts/drafts/2025-09-21-post.md\n```']
# fmt: on


def tag_pool() -> list[str]:
    """200 distinct tag names (distinct also after case folding), most common first."""
    pool = list(_TAG_WORDS)
    n = 0
    while len(pool) < 200:
        pool.append(f"トピック{n}" if n % 2 else f"topic-{n}")
        n += 1
    return pool


@cache
def _zipf_weights(exponent: float) -> list[float]:
    return [1 / (rank + 1) ** exponent for rank in range(200)]


def _top_share(exponent: float) -> float:
    """Expected share of posts carrying the rank-1 tag (3 draws without replacement, approx.)."""
    w = _zipf_weights(exponent)
    p = w[0] / sum(w)
    return 1 - (1 - p) ** 3


@cache
def fitted_exponent() -> float:
    lo, hi = 0.0, 2.0
    for _ in range(40):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if _top_share(mid) < TOP_TAG_SHARE else (lo, mid)
    return (lo + hi) / 2


@dataclass(frozen=True)
class Post:
    index: int
    slug: str
    title: str
    date: datetime
    tags: tuple[str, ...]
    category: str
    body: str

    @property
    def draft_name(self) -> str:
        return f"{self.date:%Y-%m-%d}-{self.slug}.md"

    def jekyll(self) -> str:
        """stitchpress's draft format (Jekyll-style YAML front matter)."""
        tags = ", ".join(_yaml_str(t) for t in self.tags)
        return (
            "---\n"
            f"title: {_yaml_str(self.title)}\n"
            f"date: {self.date:%Y-%m-%d %H:%M:%S %z}\n"
            f"categories: [{_yaml_str(self.category)}]\n"
            f"tags: [{tags}]\n"
            "author: bench\n"
            "---\n\n" + self.body
        )

    def hugo(self) -> str:
        tags = ", ".join(_yaml_str(t) for t in self.tags)
        return (
            "---\n"
            f"title: {_yaml_str(self.title)}\n"
            f"date: {self.date.isoformat()}\n"
            f"slug: {self.slug}\n"
            f"categories: [{_yaml_str(self.category)}]\n"
            f"tags: [{tags}]\n"
            f'months: ["{self.date:%Y-%m}"]\n'  # Hugo has no month archives but a taxonomy
            "author: bench\n"
            "---\n\n" + self.body
        )

    def pelican(self) -> str:
        return (
            f"Title: {self.title}\n"
            f"Date: {self.date.isoformat()}\n"
            f"Slug: {self.slug}\n"
            f"Category: {self.category}\n"
            f"Tags: {', '.join(self.tags)}\n"
            "Author: bench\n\n" + self.body
        )


def _yaml_str(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def body(rng: random.Random, chars: int = BODY_CHARS) -> str:
    parts: list[str] = []
    total = 0
    while total < chars:
        roll = rng.random()
        if roll < 0.12:
            part = "## " + sentence(rng).rstrip(".!?。！？")
        elif roll < 0.18:
            part = "\n".join("- " + sentence(rng) for _ in range(rng.randint(2, 4)))
        elif roll < 0.21:
            part = rng.choice(_CODE)
        else:
            text = " ".join(sentence(rng) for _ in range(rng.randint(2, 5)))
            if rng.random() < 0.2:
                words = " ".join(sentence(rng).split()[:3])
                text += f" 詳しくは [{words}](https://example.com/reports/{rng.randint(1, 99999)}) を参照。"
            part = text
        parts.append(part)
        total += len(part) + 2
    return "\n\n".join(parts) + "\n"


def generate(n: int, seed: int = 20250921) -> list[Post]:
    """n posts, oldest first. The same (n, seed) always gives the same posts; a bigger n adds
    older posts, the newest ones stay the same."""
    pool = tag_pool()
    weights = _zipf_weights(fitted_exponent())
    posts: list[Post] = []
    for age in range(n):  # age 0 is the newest
        rng = random.Random(f"{seed}:{age}")
        k = rng.choice(TAGS_PER_POST)
        tags: list[str] = []
        while len(tags) < k:
            tag = rng.choices(pool, weights)[0]
            if tag not in tags:
                tags.append(tag)
        title_words = " ".join(sentence(rng).split()[:4]).rstrip(".!?。！？")[:40]
        posts.append(
            Post(
                index=n - 1 - age,
                slug=f"post-{age:05d}",
                title=f"{title_words} #{age}",
                date=NEWEST - age * STEP,
                tags=tuple(tags),
                category=rng.choices(CATEGORIES, _CATEGORY_WEIGHTS)[0],
                body=body(rng),
            )
        )
    posts.reverse()
    return posts


def new_post(i: int = 0) -> Post:
    """The i-th post published into the site during a benchmark: newer than the corpus."""
    rng = random.Random(f"new:{i}")
    pool = tag_pool()
    return Post(
        index=-1,
        slug=f"new-post-{i}",
        title=f"新しい記事 {i}: AI investment and models",
        date=NEWEST + timedelta(days=1, minutes=i),
        tags=tuple(pool[r] for r in NEW_POST_TAG_RANKS),
        category=CATEGORIES[1],
        body=body(rng),
    )


def tag_counts(posts: list[Post]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for p in posts:
        for t in p.tags:
            counts[t] = counts.get(t, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: -kv[1]))


def write(posts: list[Post], out: Path, kind: str) -> None:
    """kind: "jekyll" (stitchpress drafts), "hugo" or "pelican"."""
    out.mkdir(parents=True, exist_ok=True)
    for p in posts:
        text = {"jekyll": p.jekyll, "hugo": p.hugo, "pelican": p.pelican}[kind]()
        (out / p.draft_name).write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--posts", type=int, default=1000)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--kind", choices=["jekyll", "hugo", "pelican"], default="jekyll")
    args = parser.parse_args(argv)
    posts = generate(args.posts)
    write(posts, args.out, args.kind)
    counts = tag_counts(posts)
    top, top_n = next(iter(counts.items()))
    chars = sum(len(p.body) for p in posts) / len(posts)
    print(
        f"{len(posts)} posts in {args.out} ({args.kind}); {len(counts)} tags, top tag {top!r} on "
        f"{top_n} posts ({top_n / len(posts):.0%}); mean body {chars:.0f} characters"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
