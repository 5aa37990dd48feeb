from __future__ import annotations

from datetime import UTC, datetime, timedelta

from stitchpress.core.model import PostSummary, Term
from stitchpress.core.related import RELATED_MAX, choose, listings


def post(
    n: int, tags: tuple[str, ...] = (), categories: tuple[str, ...] = (), day: int | None = None
) -> PostSummary:
    return PostSummary(
        source_key=f"drafts/p{n}.md",
        title=f"P{n}",
        date=datetime(2025, 1, 1, tzinfo=UTC) + timedelta(days=n if day is None else day),
        url=f"/p{n}/",
        tags=tuple(Term(t, t) for t in tags),
        categories=tuple(Term(c, c) for c in categories),
    )


def test_shared_tags_count_twice_a_shared_category_then_nearness_in_time() -> None:
    me = post(10, ("ai", "llm"), ("news",))
    both_tags = post(1, ("ai", "llm"))
    tag_and_category = post(2, ("ai",), ("news",))
    one_tag_near = post(9, ("llm",))
    one_tag_far = post(30, ("ai",))
    category_only = post(11, (), ("news",))
    unrelated = post(12, ("cooking",))
    got = choose(me, [unrelated, category_only, one_tag_far, one_tag_near, tag_and_category, both_tags, me])
    assert [p.title for p in got] == ["P1", "P2", "P9", "P30", "P11"]


def test_at_most_five_no_duplicates_never_itself() -> None:
    me = post(50, ("ai",))
    many = [post(n, ("ai",)) for n in range(1, 20)]
    got = choose(me, [*many, *many, me])
    assert len(got) == RELATED_MAX and len({p.source_key for p in got}) == RELATED_MAX
    assert me not in got


def test_fewer_than_three_are_topped_up_with_the_posts_just_before() -> None:
    me = post(10, ("rare",))
    friend = post(3, ("rare",))
    got = choose(me, [friend], [post(9), friend, post(8), post(7)])
    assert [p.title for p in got] == ["P3", "P9", "P8"]


def test_candidates_come_from_the_posts_categories_and_tags() -> None:
    me = post(1, ("ai", "機械学習"), ("news",))
    assert listings(me) == ["category/news", "tag/ai", "tag/機械学習"]
