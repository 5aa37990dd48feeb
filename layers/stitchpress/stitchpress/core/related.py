"""Related posts: up to five earlier posts that share the most tags and categories with a
post, chosen from the index when the post's page is rendered.

Candidates are the WINDOW posts just older than the post in each of its tags' and categories'
listings (one bounded Query each), so choosing costs the same on a site of 10 or 10,000 posts. A
shared tag counts twice a shared category; ties go to the post nearest in time. Fewer than three
such posts are topped up with the posts just before it on the home listing.

Only older posts are candidates, so a new post never changes an older post's list and no old
page is re-rendered when a post arrives (a back-dated arrival is the exception: it shows on
newer pages when they are next rendered). When a post leaves or moves, the newer posts that
could have chosen it and whose page links it are rendered again (Pages.still_linking). See
README "Related posts".
"""

from __future__ import annotations

from collections.abc import Iterable

from .model import PostSummary

RELATED_MAX = 5
RELATED_MIN = 3
WINDOW = 6  # candidates read each side of the post in each of its listings
MAX_LISTINGS = 8  # tags and categories read; validation allows more tags than are useful here


def listings(post: PostSummary) -> list[str]:
    """The index listings to read candidates from: the post's categories, then its tags."""
    names = [f"category/{c.key}" for c in post.categories] + [f"tag/{t.key}" for t in post.tags]
    return names[:MAX_LISTINGS]


def choose(
    post: PostSummary, candidates: Iterable[PostSummary], nearest: Iterable[PostSummary] = ()
) -> list[PostSummary]:
    """The related posts of `post` among `candidates`, best first; topped up from `nearest`
    (posts nearest in time, nearest first) when fewer than RELATED_MIN share a tag or category."""
    tags = {t.key for t in post.tags}
    categories = {c.key for c in post.categories}
    scored: dict[str, tuple[int, float, PostSummary]] = {}
    for c in candidates:
        if c.source_key == post.source_key or c.source_key in scored:
            continue
        score = 2 * len(tags & {t.key for t in c.tags}) + len(categories & {k.key for k in c.categories})
        if score:
            distance = abs((c.date - post.date).total_seconds())
            scored[c.source_key] = (score, distance, c)
    ranked = sorted(scored.values(), key=lambda s: (-s[0], s[1], s[2].source_key))
    out = [c for _, _, c in ranked[:RELATED_MAX]]
    for p in nearest:
        if len(out) >= RELATED_MIN:
            break
        if p.source_key != post.source_key and all(p.source_key != o.source_key for o in out):
            out.append(p)
    return out
