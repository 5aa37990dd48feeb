"""Re-render the post pages of one range of the home listing: a rebuild job's posts chunk
(stitchpress.service.rebuild_job) and, range after range, the one-process `rebuild --posts`
(Publisher.rebuild), so both are safe with publishes running in the same way.

The range is read (with one neighbour each side), its index entries read in one BatchGetItem,
the pages rendered and written; then read again, until a read finds nothing to render again: a
post whose entry or neighbours changed meanwhile, or one of whose related posts left its URL, is
rendered again, and a page written here for a post unpublished or moved meanwhile is removed
(unless another draft owns its URL now). Without that last read, a post unpublished between its
render and its write would come back, or stay linked from a page rendered beside it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from ..aws import parallel
from ..aws.index import IndexedPost
from ..aws.storage import Page
from ..core import search
from ..core.model import PostSummary
from ..core.plan import Neighbours
from .pages import gone

if TYPE_CHECKING:
    from .publish import Publisher

log = logging.getLogger(__name__)

MAX_READS = 5  # reads of one range while concurrent publishes keep changing it

Record = Callable[[list[str]], None]


def rebuild_range(
    publisher: Publisher, after: str | None, upto: str | None, record: Record | None = None
) -> list[str]:
    """Every post page whose home-listing sort key is after `after` and at most `upto` (None:
    unbounded), with the neighbours the home listing gives; the site keys written or deleted.
    `record` gets the keys before they are written (a job's invalidation)."""
    index, pages = publisher.index, publisher.pages
    written: dict[str, tuple[IndexedPost, Neighbours]] = {}
    urls: dict[str, str] = {}  # draft key -> the URL whose page this range last wrote for it
    links: dict[str, tuple[tuple[str, str], ...]] = {}  # draft key -> its page's related posts
    bodies: dict[str, tuple[IndexedPost, str]] = {}  # draft key -> its entry and rendered Markdown
    changed: set[str] = set()
    for _ in range(MAX_READS):
        older, posts, newer = index.home_range(after, upto)
        linked = {key for named in links.values() for key, _ in named}
        indexed = index.get_posts([*(p.source_key for p in posts), *urls, *linked])
        line: list[PostSummary | None] = [older, *posts, newer]
        todo: list[tuple[IndexedPost, Neighbours]] = []
        for n, post in enumerate(posts):
            key = post.source_key
            entry = indexed.get(key)
            if entry is None:
                continue
            around = (line[n], line[n + 2])
            # A related post that left its URL meanwhile: its own unpublish may have looked at
            # this page before it was written here, so the page is rendered again.
            stale = any(k not in indexed or indexed[k].summary.url != url for k, url in links.get(key, ()))
            if stale or written.get(key) != (entry, around):
                todo.append((entry, around))
        # Pages this range wrote for a post that is gone or at another URL by now.
        left = sorted(
            (key, url) for key, url in urls.items() if key not in indexed or indexed[key].summary.url != url
        )
        if not todo and not left:
            break
        owners = parallel.each(index.url_owner, [url for _, url in left])
        removed = [gone(url) for (key, url), owner in zip(left, owners, strict=True) if owner in (None, key)]
        rendered = parallel.call_all([partial(pages.render_indexed, entry, around) for entry, around in todo])
        new_pages: list[Page] = [page for found in rendered for page in found]
        changed.update(publisher.site.write_changed([*new_pages, *removed], record))
        for key, _ in left:
            urls.pop(key)
            links.pop(key, None)
        for (entry, around), found in zip(todo, rendered, strict=True):
            key = entry.summary.source_key
            written[key] = (entry, around)
            bodies.pop(key, None)
            if found:
                urls[key] = entry.summary.url
                links[key] = found[0].links
                if found[0].body_html is not None:
                    bodies[key] = (entry, found[0].body_html)
    else:
        log.warning(
            "posts after %s up to %s kept changing; the publishes that changed them re-render them",
            after or "the oldest",
            upto or "the newest",
        )
    # Search texts as a publish keeps them: a site published before search existed gets them
    # here, and search is marked due (the index writes only the missing or different ones).
    index.keep_search_texts(
        [
            (entry, search.pack(search.text_of(html)))
            for key, (entry, html) in sorted(bodies.items())
            if key in urls
        ]
    )
    return sorted(changed)
