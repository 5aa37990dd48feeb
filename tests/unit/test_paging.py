from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from stitchpress.core import paging


def pages_content(count: int, size: int) -> dict[int | None, list[int]]:
    """Posts numbered 0..count-1 oldest first; what each page holds (None: the front page)."""
    newest_first = list(range(count - 1, -1, -1))
    out: dict[int | None, list[int]] = {None: newest_first[: paging.front_size(count, size)]}
    for page in range(1, paging.numbered(count, size) + 1):
        start, stop = paging.page_slice(count, size, page)
        out[page] = newest_first[start:stop]
    return out


@given(st.integers(0, 500), st.integers(1, 30))
def test_every_post_is_on_exactly_one_page(count: int, size: int) -> None:
    pages = pages_content(count, size)
    seen = [p for page in pages.values() for p in page]
    assert sorted(seen) == list(range(count))  # no repeats, nothing skipped
    assert all(len(page) == size for n, page in pages.items() if n is not None)
    front = len(pages[None])
    assert (size <= front < 2 * size) if count >= size else front == count


@given(st.integers(0, 500), st.integers(1, 30))
def test_a_new_post_changes_the_front_page_and_at_most_one_new_numbered_page(count: int, size: int) -> None:
    before = pages_content(count, size)
    after = pages_content(count + 1, size)
    changed = {n for n in after if before.get(n) != after[n]}
    assert None in changed and changed - {None} <= {paging.numbered(count + 1, size)}
    assert all(before[n] == after[n] for n in before if n is not None)  # numbered pages keep their posts


@given(st.integers(0, 500), st.integers(1, 30))
def test_page_of_matches_page_slice(position: int, size: int) -> None:
    count = position + 1 + size  # the post is not among the newest `size`: on a numbered page or the front
    page = paging.page_of(position, size)
    pages = pages_content(count, size)
    assert position in pages.get(page, pages[None])


def test_navigation_links_only_neighbours() -> None:
    front = paging.front_nav("/tags/ai/", 3)
    assert (front.newer, front.older) == (None, "/tags/ai/page/3/")
    assert paging.page_nav("/tags/ai/", 3, 3).newer == "/tags/ai/"
    assert paging.page_nav("/tags/ai/", 2, 3) == paging.Nav(2, 3, "/tags/ai/page/3/", "/tags/ai/page/1/")
    assert paging.page_nav("/tags/ai/", 1, 3).older is None
    assert paging.front_nav("/", 0).older is None


def test_thirty_posts_twenty_a_page_all_on_the_front_page() -> None:
    # The site: 30 posts showed the newest 20 and then the oldest 20 on /page/1/.
    assert paging.numbered(30, 20) == 0 and paging.front_size(30, 20) == 30
    assert paging.numbered(40, 20) == 1 and paging.front_size(40, 20) == 20
