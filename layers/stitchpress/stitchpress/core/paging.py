"""Stable pagination without repeats: numbered pages are anchored at the oldest post, so page k
keeps its posts (and its bytes) as new posts arrive; every post is on exactly one page.

For a listing of `count` posts and `size` posts a page there are `numbered(count, size)` full
numbered pages: page k (1-based) holds the posts at oldest-first positions [(k-1)*size, k*size).
The front page (/tags/ai/) holds every newer post: between `size` and 2*size - 1 of them once
the listing has `size` posts, all of them before. A new post changes the front page; every
`size`-th one also fills a new numbered page, whose older neighbour's "newer" link moves from
the front page to it: at most three pages are rewritten. Navigation links only neighbours.
"""

from __future__ import annotations

from dataclasses import dataclass


def numbered(count: int, size: int) -> int:
    """How many numbered pages a listing of `count` posts has (the front page is not one)."""
    return max(0, count // size - 1)


def front_size(count: int, size: int) -> int:
    """How many posts the front page holds: the newest, down to the newest numbered page."""
    return count - numbered(count, size) * size


def page_of(position: int, size: int) -> int:
    """The numbered page holding the post at this oldest-first position (a number above
    `numbered(count, size)` means the post is on the front page)."""
    return max(0, position) // size + 1


def page_slice(count: int, size: int, page: int) -> tuple[int, int]:
    """Newest-first [start, stop) of the posts on a numbered page."""
    return count - page * size, count - (page - 1) * size


def numbered_path(base: str, page: int) -> str:
    return f"{base}page/{page}/"


@dataclass(frozen=True)
class Nav:
    """Where a listing page's "newer" and "older" links go (site paths), and its number."""

    page: int | None  # None for the front page
    pages: int  # numbered pages
    newer: str | None
    older: str | None


def front_nav(base: str, pages: int) -> Nav:
    return Nav(None, pages, None, numbered_path(base, pages) if pages > 0 else None)


def page_nav(base: str, page: int, pages: int) -> Nav:
    newer = base if page >= pages else numbered_path(base, page + 1)
    older = numbered_path(base, page - 1) if page > 1 else None
    return Nav(page, pages, newer, older)
