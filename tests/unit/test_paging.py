from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from stitchpress import paging


def pages_content(count: int, size: int) -> dict[int, list[int]]:
    """Posts numbered 0..count-1 oldest first; what each numbered page holds."""
    newest_first = list(range(count - 1, -1, -1))
    out = {}
    for page in range(1, paging.page_count(count, size) + 1):
        start, stop = paging.page_slice(count, size, page)
        out[page] = newest_first[start:stop]
    return out


@given(st.integers(1, 500), st.integers(1, 30))
def test_pages_partition_the_listing(count: int, size: int) -> None:
    pages = pages_content(count, size)
    seen = [p for page in pages.values() for p in page]
    assert sorted(seen) == list(range(count))
    assert all(len(page) == size for n, page in pages.items() if n < len(pages))


@given(st.integers(1, 500), st.integers(1, 30))
def test_a_new_post_changes_only_the_newest_page(count: int, size: int) -> None:
    before = pages_content(count, size)
    after = pages_content(count + 1, size)
    changed = {n for n in after if before.get(n) != after[n]}
    assert changed == {paging.page_count(count + 1, size)}


@given(st.integers(0, 500), st.integers(1, 30))
def test_page_of_matches_page_slice(position: int, size: int) -> None:
    count = position + 1
    page = paging.page_of(position, size)
    assert position in pages_content(count, size)[page]


def test_navigation_links_only_neighbours() -> None:
    front = paging.front_nav("/tags/ai/", 3)
    assert (front.newer, front.older) == (None, "/tags/ai/page/2/")
    assert paging.page_nav("/tags/ai/", 3, 3).newer == "/tags/ai/"
    assert paging.page_nav("/tags/ai/", 2, 3) == paging.Nav(2, 3, "/tags/ai/page/3/", "/tags/ai/page/1/")
    assert paging.page_nav("/tags/ai/", 1, 3).older is None
    assert paging.front_nav("/", 1).older is None
