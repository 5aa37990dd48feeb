"""What a post's arrival, change or departure affects on the site: pure planning, no AWS.

Given the post as it is now (`new`, None once unpublished) and every earlier version whose
pages may still be on the site (`olds`: the index's previous entry and any change an earlier
attempt left unfinished), these functions name the listings, sitemaps, post URLs and neighbour
pages to render or remove. The publisher reads the index as it is *now* and feeds it here, so a
retry computes the same plan whether or not the earlier attempt's index write happened.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC

from . import paging
from .model import PostSummary
from .urls import category_path, tag_path

HOME = "home"
PAGE_SIZE = 20
FEED_SIZE = 20

Neighbours = tuple[PostSummary | None, PostSummary | None]  # (previous/older, next/newer)
Around = tuple[list[PostSummary], list[PostSummary]]  # older and newer posts, nearest first


def listings_of(post: PostSummary) -> dict[str, str]:
    """Every listing a post appears on -> its display name."""
    out = {HOME: "", f"month/{post.date:%Y}/{post.date:%m}": f"{post.date:%Y}-{post.date:%m}"}
    out.update({f"tag/{t.key}": t.name for t in post.tags})
    out.update({f"category/{c.key}": c.name for c in post.categories})
    return out


def sort_key(post: PostSummary) -> str:
    instant = post.date.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"{instant}#{post.source_key}"


def listing_path(name: str) -> str:
    if name == HOME:
        return "/"
    kind, _, rest = name.partition("/")
    if kind == "tag":
        return tag_path(rest)
    if kind == "category":
        return category_path(rest)
    if kind == "month":
        return f"/{rest}/"
    raise ValueError(f"unknown listing {name!r}")


def listing_feed_path(name: str) -> str | None:
    """The Atom feed of a tag or category listing (/tags/ai/feed.xml); None for the others."""
    kind = name.partition("/")[0]
    return listing_path(name) + "feed.xml" if kind in ("tag", "category") else None


def sitemap_path(month_listing: str) -> str:
    return "/sitemaps/" + month_listing.removeprefix("month/").replace("/", "-") + ".xml"


@dataclass(frozen=True)
class Change:
    """A post's change as the site must show it: `new` is the post now (None: unpublished),
    `olds` every earlier version whose pages may still be on the site."""

    new: PostSummary | None
    olds: tuple[PostSummary, ...] = ()

    @property
    def touched(self) -> list[PostSummary]:
        return [p for p in (self.new, *self.olds) if p is not None]

    def listings(self) -> dict[str, str]:
        """Every listing the post is on or was on -> its display name."""
        names: dict[str, str] = {}
        for post in reversed(self.touched):  # the newest version's display names win
            names.update(listings_of(post))
        return names

    def months(self) -> list[str]:
        return sorted(n for n in self.listings() if n.startswith("month/"))

    def gone_urls(self) -> list[str]:
        """Post URLs the post had and no longer has."""
        now = self.new.url if self.new is not None else None
        return sorted({p.url for p in self.olds if p.url != now})

    def moved_from(self) -> list[PostSummary]:
        """Earlier versions at another place on the home listing (their neighbours change)."""
        now = sort_key(self.new) if self.new is not None else None
        seen: set[str] = set()
        out: list[PostSummary] = []
        for p in self.olds:
            if sort_key(p) != now and sort_key(p) not in seen:
                seen.add(sort_key(p))
                out.append(p)
        return out


def nearest(around: Around) -> Neighbours:
    older, newer = around
    return (older[0] if older else None), (newer[0] if newer else None)


def beside(around: Around, middle: PostSummary | None) -> dict[str, Neighbours]:
    """Each nearest post's (previous, next) with `middle` (or nothing) between them."""
    older, newer = around
    before, after = nearest(around) if middle is None else (middle, middle)
    out: dict[str, Neighbours] = {}
    if older:
        out[older[0].source_key] = (older[1] if len(older) > 1 else None, after)
    if newer:
        out[newer[0].source_key] = (before, newer[1] if len(newer) > 1 else None)
    return out


def newer_among(posts: Sequence[PostSummary], post: PostSummary, limit: int) -> int | None:
    """How many posts of a listing are newer than `post`, if its newest `limit` posts (newest
    first) tell: they do when they reach back to `post` or are the whole listing."""
    key = sort_key(post)
    keys = [sort_key(p) for p in posts]
    if len(keys) < limit or (keys and keys[-1] <= key):
        return sum(1 for k in keys if k > key)
    return None


def wanted_posts(count: int, every_page: bool, size: int = PAGE_SIZE) -> int:
    """How many of a listing's newest posts to read first: the front page and the two newest
    numbered pages (a new numbered page, and the one whose "newer" link moves to it)."""
    return count if every_page else max(size, count - max(0, paging.numbered(count, size) - 2) * size)


def first_page(
    count: int,
    newer_counts: Iterable[int],
    every_page: bool,
    size: int = PAGE_SIZE,
    *,
    relinked: int | None = None,
) -> int:
    """The oldest numbered page to render: where a touched post is or was (`newer_counts`: how
    many posts are newer than each), and no later than `relinked` (the oldest page whose links
    the listing's change of size moved, see relinked_from; unknown: the page before the newest).
    Past the newest (`numbered(count) + 1`): none to render."""
    pages = paging.numbered(count, size)
    first = 1 if every_page else pages + 1
    for newer in newer_counts:
        first = min(first, paging.page_of(count - 1 - newer, size))
    first = min(first, pages - 1 if relinked is None else relinked)
    return max(1, first)


def relinked_from(count: int, size: int = PAGE_SIZE) -> int:
    """The oldest numbered page whose links one post more or less moved, for a listing that has
    `count` posts now (a change may add a post or remove one; either is assumed): with a new
    numbered page, the page before it ("newer" now leads to the new one); with one page fewer,
    the newest ("newer" leads to the front page again). `numbered(count) + 1` for none."""
    pages = paging.numbered(count, size)
    if pages != paging.numbered(count - 1, size):
        return pages - 1
    if pages != paging.numbered(count + 1, size):
        return pages
    return pages + 1


def numbered_pages_gone(base: str, count: int, size: int = PAGE_SIZE) -> list[str]:
    """Numbered pages that may exist from before a removal and must not now."""
    return [
        paging.numbered_path(base, page)
        for page in range(paging.numbered(count, size) + 1, paging.numbered(count + 1, size) + 1)
    ]
