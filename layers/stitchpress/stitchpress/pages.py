"""The site's pages, rendered from the index: post pages, listing pages (with the feed),
the overviews, sitemaps and static files. Reads the index and drafts it needs; writes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from . import clock, paging, parallel
from .config import Config
from .index import HOME, Listing, PostIndex
from .media import MediaIndex
from .model import DraftRejected, PostSummary, Term
from .pipeline import CompiledPost, compile_draft
from .plan import (
    FEED_SIZE,
    PAGE_SIZE,
    Neighbours,
    first_page,
    listing_path,
    newer_among,
    numbered_pages_gone,
    sitemap_path,
    wanted_posts,
)
from .render import ARCHIVE_PATH, CATEGORIES_PATH, FEED_PATH, SITEMAP_PATH, TAGS_PATH, Renderer, static_assets
from .storage import ASSET_CACHE_CONTROL, PAGE_CACHE_CONTROL, DraftStore, NotFound, Page
from .urls import object_key

HTML = "text/html; charset=utf-8"
XML = "application/xml; charset=utf-8"


def page(key: str, body: bytes, content_type: str, cache: str = PAGE_CACHE_CONTROL) -> Page:
    return Page(key, body, content_type, cache)


def gone(path: str) -> Page:
    """The site object of `path`, to be deleted."""
    return Page(object_key(path), None)


class Pages:
    def __init__(self, config: Config, renderer: Renderer, index: PostIndex, drafts: DraftStore) -> None:
        self.config = config
        self.renderer = renderer
        self.index = index
        self.drafts = drafts

    # --- posts ------------------------------------------------------------------------------

    def post_page(self, compiled: CompiledPost, neighbours: Neighbours) -> Page:
        prev, nxt = neighbours
        html = self.renderer.post_page(
            compiled.summary, compiled.body, reading_time=compiled.reading_time, prev=prev, next=nxt
        )
        return page(object_key(compiled.summary.url), html.encode(), HTML)

    def rerendered(self, key: str, neighbours: Neighbours | None = None) -> list[Page]:
        """A published post's page rendered again from the draft version the index says is live
        (none when it is not published or its draft is gone or rejected)."""
        indexed = self.index.get_post(key)
        if indexed is None:
            return []
        try:
            draft = self.drafts.get(key, indexed.state.get("version_id") or None)
            compiled = compile_draft(
                key,
                draft.data,
                self.config.site,
                max_bytes=self.config.max_draft_bytes,
                images=MediaIndex(self.index.db, self.index.table).images,
            )
        except (NotFound, DraftRejected):
            return []  # its own event will report it
        if neighbours is None:
            neighbours = self.index.neighbours(compiled.summary)
        return [self.post_page(compiled, neighbours)]

    # --- listings ---------------------------------------------------------------------------

    def listing_pages(self, listing: Listing, touched: list[PostSummary], every_page: bool) -> list[Page]:
        name, count, title = listing.name, listing.count, listing.title
        base = listing_path(name)
        kind = name.partition("/")[0]
        size = PAGE_SIZE
        pages = paging.numbered(count, size)
        out: list[Page] = []
        if count == 0 and name != HOME:
            out.append(gone(base))  # an emptied tag or month disappears
        else:
            # Reading the posts of the front page and the two newest numbered pages usually
            # tells where the touched posts are, too.
            want = max(FEED_SIZE, wanted_posts(count, every_page, size))  # the feed's are here too
            posts = self.index.newest(name, want)
            newer_counts = []
            for post in touched:
                newer = newer_among(posts, post, want)
                newer_counts.append(self.index.newer_than(name, post) if newer is None else newer)
            low = first_page(count, newer_counts, every_page, size)
            need = count - (low - 1) * size if pages else count
            if need > len(posts) == want:
                posts = self.index.newest(name, need)
            front = paging.front_size(count, size)
            out.append(self._listing_page(kind, title, base, posts[:front], paging.front_nav(base, pages)))
            for n in range(low, pages + 1):
                start, stop = paging.page_slice(count, size, n)
                path = paging.numbered_path(base, n)
                out.append(
                    self._listing_page(kind, title, path, posts[start:stop], paging.page_nav(base, n, pages))
                )
            if name == HOME:
                feed_posts = posts[:FEED_SIZE]
                feed = self.renderer.feed(feed_posts, updated=_updated(feed_posts))
                out.append(page(object_key(FEED_PATH), feed.encode(), "application/atom+xml; charset=utf-8"))
        out += [gone(path) for path in numbered_pages_gone(base, count, size)]
        return out

    def _listing_page(
        self, kind: str, title: str, path: str, posts: list[PostSummary], nav: paging.Nav
    ) -> Page:
        html = self.renderer.listing_page(kind=kind, title=title, path=path, posts=posts, nav=nav)
        return page(object_key(path), html.encode(), HTML)

    # --- overviews, sitemaps, static files ----------------------------------------------------

    def index_pages(self, months: list[str] | None) -> list[Page]:
        """The three overviews (every page's navigation links them, so they always exist), the
        sitemaps of the given months (all months with None) and the sitemap index. Each kind's
        listings are read once, for its overview and, for months, the sitemaps too."""
        kinds = ("tag", "category", "month")
        found = dict(zip(kinds, parallel.each(self.index.listings, kinds), strict=True))
        pages = [self._overview_page(kind, listings) for kind, listings in found.items()]
        names = [m.name for m in found["month"]] if months is None else months
        return pages + self._sitemap_pages(names, found["month"])

    def _overview_page(self, kind: str, listings: list[Listing]) -> Page:
        """/tags/, /categories/ or /archives/: every listing of the kind with its post count."""
        terms = [(Term(key=lst.name.partition("/")[2], name=lst.title), lst.count) for lst in listings]
        if kind == "month":
            terms.sort(key=lambda t: t[0].key, reverse=True)
        else:
            terms.sort(key=lambda t: (-t[1], t[0].key))
        name, path = {"tag": ("tags", TAGS_PATH), "category": ("categories", CATEGORIES_PATH)}.get(
            kind, ("archives", ARCHIVE_PATH)
        )
        html = self.renderer.tags_overview(kind=name, terms=terms)
        return page(object_key(path), html.encode(), HTML)

    def _sitemap_pages(self, months: Iterable[str], all_months: list[Listing]) -> list[Page]:
        counts = {m.name: m.count for m in all_months}  # listings() leaves out empty months
        out: list[Page] = []
        for name in sorted(months):
            count = counts.get(name, 0)
            path = sitemap_path(name)
            if count == 0:
                out.append(gone(path))
                continue
            entries = self.index.newest_urls(name, count)
            out.append(page(object_key(path), self.renderer.sitemap(entries).encode(), XML))
        index = [(sitemap_path(m.name), m.updated) for m in all_months]
        out.append(page(object_key(SITEMAP_PATH), self.renderer.sitemap_index(index).encode(), XML))
        return out

    def static_pages(self) -> list[Page]:
        """The stylesheet, 404 page and robots.txt: they change only with a deploy or the theme."""
        out = [
            page(object_key(path), data, _content_type(path), ASSET_CACHE_CONTROL)
            for path, data in static_assets().items()
        ]
        out.append(page("404.html", self.renderer.not_found_page().encode(), HTML))
        out.append(page("robots.txt", self.renderer.robots_txt().encode(), "text/plain; charset=utf-8"))
        return out


def _updated(posts: list[PostSummary]) -> datetime:
    """The feed's <updated>: its newest post's date, never later than now (a post indexed before
    scheduling existed, or under a clock that was ahead, may be dated in the future)."""
    return min(max((p.date for p in posts), default=datetime(1970, 1, 1, tzinfo=UTC)), clock.now())


def _content_type(path: str) -> str:
    if path.endswith(".css"):
        return "text/css; charset=utf-8"
    if path.endswith(".svg"):
        return "image/svg+xml"
    return "application/octet-stream"
