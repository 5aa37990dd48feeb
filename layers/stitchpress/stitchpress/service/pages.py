"""The site's pages, rendered from the index: post pages, listing pages (with their feeds),
the overviews, sitemaps and static files. Reads the index and drafts it needs; writes nothing to
the site (the archive's per-month lists are kept in the index, see PostIndex.put_archive).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from functools import partial

from ..aws import parallel
from ..aws.index import IndexedPost, Listing, PostIndex
from ..aws.media import MediaIndex
from ..aws.storage import ASSET_CACHE_CONTROL, PAGE_CACHE_CONTROL, DraftStore, NotFound, Page
from ..core import budget, clock, paging, related
from ..core.model import DraftRejected, PostSummary, Term
from ..core.pipeline import CompiledPost, compile_draft
from ..core.plan import (
    FEED_SIZE,
    HOME,
    PAGE_SIZE,
    Neighbours,
    first_page,
    listing_feed_path,
    listing_path,
    newer_among,
    numbered_pages_gone,
    relinked_from,
    sitemap_path,
    wanted_posts,
)
from ..core.render import (
    ARCHIVE_PATH,
    CATEGORIES_PATH,
    FEED_PATH,
    JSON_FEED_PATH,
    SITEMAP_PATH,
    TAGS_PATH,
    Renderer,
    static_assets,
)
from ..core.urls import object_key, quote_path
from .config import Config

HTML = "text/html; charset=utf-8"
XML = "application/xml; charset=utf-8"
ATOM = "application/atom+xml; charset=utf-8"
JSON_FEED = "application/feed+json; charset=utf-8"

log = logging.getLogger(__name__)


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
        related = self.related(compiled.summary)
        html = self.renderer.post_page(
            compiled.summary,
            compiled.body,
            reading_time=compiled.reading_time,
            prev=prev,
            next=nxt,
            related=related,
        )
        links = tuple((p.source_key, p.url) for p in related)
        return Page(
            object_key(compiled.summary.url),
            html.encode(),
            HTML,
            PAGE_CACHE_CONTROL,
            links,
            compiled.body.html,
        )

    def related(self, post: PostSummary) -> list[PostSummary]:
        """The post's related posts, from the posts just older than it in each of its tags and
        categories and on the home listing: one round of bounded Queries (stitchpress.core.related)."""
        names = related.listings(post)
        jobs = [partial(self.index.older, post, related.WINDOW, n) for n in names]
        found = parallel.call_all([*jobs, partial(self.index.older, post, related.RELATED_MIN)])
        return related.choose(post, [p for older in found[:-1] for p in older], found[-1])

    def still_linking(
        self, olds: Sequence[PostSummary], urls: Sequence[str], read: Callable[[str], bytes | None]
    ) -> list[str]:
        """Draft keys of the posts whose page may still link a URL a post left (unpublished or
        moved): a post's related list is chosen among the posts just older than it, so only the
        posts just newer than the old version in each of its listings can name it; of those,
        the ones whose page on the site (`read`) links one of the URLs. Bounded: at most WINDOW
        posts a listing, one Query each, and one read per post."""
        jobs = [
            partial(self.index.newer, old, related.WINDOW, name)
            for old in olds
            for name in related.listings(old)
        ]
        jobs += [partial(self.index.newer, old, related.RELATED_MIN) for old in olds]
        found = {p.source_key: p for posts in parallel.call_all(jobs) for p in posts}
        keys = sorted(set(found) - {old.source_key for old in olds})
        hrefs = [f'href="{quote_path(url)}"'.encode() for url in urls]
        bodies = parallel.each(lambda k: read(object_key(found[k].url)), keys)
        return [k for k, body in zip(keys, bodies, strict=True) if body and any(h in body for h in hrefs)]

    def rerendered(self, key: str, neighbours: Neighbours | None = None) -> list[Page]:
        """A published post's page rendered again from the draft version the index says is live
        (none when it is not published or its draft is gone or rejected)."""
        indexed = self.index.get_post(key)
        return [] if indexed is None else self.render_indexed(indexed, neighbours)

    def render_indexed(self, indexed: IndexedPost, neighbours: Neighbours | None = None) -> list[Page]:
        """The post's page from the draft version of its index entry (`rerendered`'s second half,
        for callers that read many entries at once)."""
        key = indexed.summary.source_key
        try:
            draft = self.drafts.get(key, indexed.state.get("version_id") or None)
            compiled = compile_draft(
                key,
                draft.data,
                self.config.site,
                max_bytes=self.config.max_draft_bytes,
                seconds=budget.RECOMPILE_SECONDS,
                images=MediaIndex(self.index.db, self.index.table).images,
            )
        except NotFound:
            log.info("not re-rendered: %s: its draft version is gone (its delete unpublishes it)", key)
            return []
        except DraftRejected as e:
            # It was published, so this is no mistake of its writer's (a slower run past the
            # deadline, a lowered limit): keep the page on the site, with its links as they were.
            log.warning(
                "kept the old page of %s: its draft, published before, did not compile again (%s); "
                "its links to the posts beside it may be out of date until it is published again",
                key,
                "; ".join(m.format(key) for m in e.errors),
            )
            return []
        if neighbours is None:
            neighbours = self.index.neighbours(compiled.summary)
        return [self.post_page(compiled, neighbours)]

    # --- listings ---------------------------------------------------------------------------

    def listing_pages(
        self, listing: Listing, touched: list[PostSummary], every_page: bool, order: str | None = None
    ) -> list[Page]:
        """The listing's pages a change of the `touched` posts changes (all with `every_page`).
        `order`: the event whose change this is; when it is still the listing's last change, its
        count tells whether the numbered pages were resized; otherwise (a concurrent or later
        change, or an older index) the two newest numbered pages are rendered in case."""
        name, count, title = listing.name, listing.count, listing.title
        base = listing_path(name)
        kind = name.partition("/")[0]
        size = PAGE_SIZE
        pages = paging.numbered(count, size)
        feed_path = listing_feed_path(name)
        out: list[Page] = []
        if count == 0 and name != HOME:
            out.append(gone(base))  # an emptied tag or month disappears
            if feed_path:
                out.append(gone(feed_path))
        else:
            # Reading the posts of the front page and the two newest numbered pages usually
            # tells where the touched posts are, too.
            want = max(FEED_SIZE, wanted_posts(count, every_page, size))  # the feed's are here too
            posts = self.index.newest(name, want)
            newer_counts = []
            for post in touched:
                newer = newer_among(posts, post, want)
                newer_counts.append(self.index.newer_than(name, post) if newer is None else newer)
            own = order is not None and listing.writer == order
            relinked = relinked_from(count, size) if own else None
            low = first_page(count, newer_counts, every_page, size, relinked=relinked)
            need = count - (low - 1) * size if pages else count
            if need > len(posts) == want:
                posts = self.index.newest(name, need)
            front = paging.front_size(count, size)
            out.append(
                self._listing_page(kind, title, base, posts[:front], paging.front_nav(base, pages), feed_path)
            )
            for n in range(low, pages + 1):
                start, stop = paging.page_slice(count, size, n)
                path = paging.numbered_path(base, n)
                nav = paging.page_nav(base, n, pages)
                out.append(self._listing_page(kind, title, path, posts[start:stop], nav, feed_path))
            out += self._feeds(name, title, posts[:FEED_SIZE])
        out += [gone(path) for path in numbered_pages_gone(base, count, size)]
        return out

    def _listing_page(
        self,
        kind: str,
        title: str,
        path: str,
        posts: list[PostSummary],
        nav: paging.Nav,
        feed: str | None = None,
    ) -> Page:
        html = self.renderer.listing_page(kind=kind, title=title, path=path, posts=posts, nav=nav, feed=feed)
        return page(object_key(path), html.encode(), HTML)

    def _feeds(self, name: str, title: str, newest: list[PostSummary]) -> list[Page]:
        """The listing's feeds, from its newest posts: the site's Atom and JSON feeds for home,
        an Atom feed for a tag or category (nothing for a month)."""
        updated = _updated(newest)
        if name == HOME:
            atom = self.renderer.feed(newest, updated=updated)
            return [
                page(object_key(FEED_PATH), atom.encode(), ATOM),
                page(object_key(JSON_FEED_PATH), self.renderer.json_feed(newest).encode(), JSON_FEED),
            ]
        path = listing_feed_path(name)
        if path is None:
            return []
        site_title = self.config.site.title
        atom = self.renderer.feed(
            newest, updated=updated, title=f"{title} | {site_title}", path=path, page=listing_path(name)
        )
        return [page(object_key(path), atom.encode(), ATOM)]

    # --- overviews, sitemaps, static files ----------------------------------------------------

    def index_pages(self, months: list[str] | None) -> list[Page]:
        """The three overviews (every page's navigation links them, so they always exist), the
        sitemaps of the given months (all months with None) and the sitemap index. Each kind's
        listings are read once, for its overview and, for months, the sitemaps too. The given
        months' posts are read once, for their sitemaps and the archive page's lists (kept in
        the index, so /archives/ reads the other months in one Query)."""
        kinds = ("tag", "category", "month")
        found = dict(zip(kinds, parallel.each(self.index.listings, kinds), strict=True))
        names = [m.name for m in found["month"]] if months is None else months
        out = self._sitemap_pages(names, found["month"])
        archive = self.index.archive()
        pages = [self._overview_page(kind, listings, archive) for kind, listings in found.items()]
        return pages + out

    def _overview_page(
        self, kind: str, listings: list[Listing], archive: dict[str, tuple[list[PostSummary], int]]
    ) -> Page:
        """/tags/, /categories/ or /archives/: every listing of the kind with its post count;
        the archives with each month's posts too."""
        terms = [(Term(key=lst.name.partition("/")[2], name=lst.title), lst.count) for lst in listings]
        if kind == "month":
            terms.sort(key=lambda t: t[0].key, reverse=True)
            posts = {t.key: archive.get(f"month/{t.key}", ([], 0)) for t, _ in terms}
            html = self.renderer.tags_overview(kind="archives", terms=terms, posts=posts)
            return page(object_key(ARCHIVE_PATH), html.encode(), HTML)
        terms.sort(key=lambda t: (-t[1], t[0].key))
        name, path = {"tag": ("tags", TAGS_PATH), "category": ("categories", CATEGORIES_PATH)}[kind]
        html = self.renderer.tags_overview(kind=name, terms=terms)
        return page(object_key(path), html.encode(), HTML)

    def _sitemap_pages(self, months: Iterable[str], all_months: list[Listing]) -> list[Page]:
        found = {m.name: m for m in all_months}  # listings() leaves out empty months

        def sitemap(name: str) -> Page:
            month = found.get(name)
            path = sitemap_path(name)
            if month is None:
                return gone(path)
            posts = self.index.newest(name, month.count)
            self.index.put_archive(name, month.version, posts)
            entries = [(p.url, p.date) for p in posts]
            return page(object_key(path), self.renderer.sitemap(entries).encode(), XML)

        # One Query and one PutItem a month: at once (a rebuild reads every month).
        out = parallel.each(sitemap, sorted(months))
        index = [(sitemap_path(m.name), m.updated) for m in all_months]
        out.append(page(object_key(SITEMAP_PATH), self.renderer.sitemap_index(index).encode(), XML))
        return out

    def static_pages(self) -> list[Page]:
        """The stylesheet, 404 and search pages and robots.txt: they change only with a deploy or
        the theme."""
        out = [
            page(object_key(path), data, _content_type(path), ASSET_CACHE_CONTROL)
            for path, data in static_assets().items()
        ]
        out.append(page("404.html", self.renderer.not_found_page().encode(), HTML))
        out.append(page("search/index.html", self.renderer.search_page().encode(), HTML))
        out.append(page("robots.txt", self.renderer.robots_txt().encode(), "text/plain; charset=utf-8"))
        return out


def _updated(posts: list[PostSummary]) -> datetime:
    """The feed's <updated>: its newest post's date, never later than now (a post indexed before
    scheduling existed, or under a clock that was ahead, may be dated in the future)."""
    return min(max((p.date for p in posts), default=datetime(1970, 1, 1, tzinfo=UTC)), clock.now())


def _content_type(path: str) -> str:
    if path.endswith(".css"):
        return "text/css; charset=utf-8"
    if path.endswith(".js"):
        return "text/javascript; charset=utf-8"
    if path.endswith(".svg"):
        return "image/svg+xml"
    return "application/octet-stream"
