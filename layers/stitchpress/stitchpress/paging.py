"""Stable pagination: pages are numbered from the oldest post, so a new post changes only the
listing's front page and its newest numbered page; older pages keep their URLs and bytes.

For a listing of `count` posts and `size` posts a page, page k (1-based) holds the posts at
oldest-first positions [(k-1)*size, k*size). The front page (/tags/ai/) shows the newest `size`
posts; its "older" link goes to page pages-1, whose posts may overlap the front page, so nothing
is ever skipped. Navigation links only the neighbouring pages, so adding a page rewrites no
other page than the one before it.
"""

from __future__ import annotations

from dataclasses import dataclass


def page_count(count: int, size: int) -> int:
    return max(1, -(-count // size))


def page_of(position: int, size: int) -> int:
    """The numbered page holding the post at this oldest-first position."""
    return max(0, position) // size + 1


def page_slice(count: int, size: int, page: int) -> tuple[int, int]:
    """Newest-first [start, stop) of the posts on a numbered page."""
    return count - min(page * size, count), count - (page - 1) * size


def numbered_path(base: str, page: int) -> str:
    return f"{base}page/{page}/"


@dataclass(frozen=True)
class Nav:
    """Where a listing page's "newer" and "older" links go (site paths), and its number."""

    page: int | None  # None for the front page
    pages: int
    newer: str | None
    older: str | None


def front_nav(base: str, pages: int) -> Nav:
    return Nav(None, pages, None, numbered_path(base, pages - 1) if pages > 1 else None)


def page_nav(base: str, page: int, pages: int) -> Nav:
    newer = base if page >= pages else numbered_path(base, page + 1)
    older = numbered_path(base, page - 1) if page > 1 else None
    return Nav(page, pages, newer, older)
