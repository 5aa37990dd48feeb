"""Apply one draft change to the site: the orchestration between the pure core and the adapters.

Upload: claim the event's place in the draft's order (older events arriving late are ignored)
-> read the exact draft version -> compile (pure) -> on rejection write the report and stop, the
live site untouched -> index the post atomically -> write its page, its neighbours' pages and
every listing page that changed. Delete (or `draft: true`): remove the post from the index and
the site, and re-render its listings. Site objects whose bytes did not change are not rewritten;
the ones that did are collected for one CloudFront invalidation per invocation.

Listings stay correct under concurrent publishes by re-checking the listing's index version
after writing it: if another publish changed the listing meanwhile, it is rendered again.

Every AWS call is a network round trip, so the independent reads of one step (the listings,
the neighbours, the overviews) and all page writes run concurrently (stitchpress.parallel): a
publish takes about twenty rounds, not seventy calls one after the other.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any, Literal

from . import clock, paging, parallel, schedule
from .cdn import Invalidator
from .config import Config
from .events import DraftChange
from .index import HOME, Listing, PostIndex, Stale, listings_of, sort_key
from .model import DraftRejected, Message, PostSummary, Term
from .pending import PendingIndex, Scheduler
from .pipeline import CompiledPost, compile_draft
from .render import ARCHIVE_PATH, CATEGORIES_PATH, FEED_PATH, SITEMAP_PATH, TAGS_PATH, Renderer, static_assets
from .storage import (
    ASSET_CACHE_CONTROL,
    PAGE_CACHE_CONTROL,
    DraftObject,
    DraftStore,
    NotFound,
    Page,
    SiteStore,
)
from .urls import absolute, category_path, object_key, tag_path

log = logging.getLogger(__name__)

PAGE_SIZE = 20
FEED_SIZE = 20
MAX_RENDER_ATTEMPTS = 5  # re-renders of one listing while concurrent publishes keep moving it
REBUILD_CHUNK = 50  # listings (<= 100: one BatchGetItem) or posts a rebuild writes in one round
HTML = "text/html; charset=utf-8"
XML = "application/xml; charset=utf-8"

Status = Literal["published", "unpublished", "rejected", "skipped", "scheduled", "expired"]
Neighbours = tuple[PostSummary | None, PostSummary | None]  # (previous/older, next/newer)
Around = tuple[list[PostSummary], list[PostSummary]]  # older and newer posts, nearest first
PageJob = Callable[[], list[Page]]  # reads and renders some pages; jobs of one step run at once


@dataclass
class Outcome:
    key: str
    status: Status
    url: str | None = None
    messages: list[Message] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)  # site object keys written or deleted


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


def sitemap_path(month_listing: str) -> str:
    return "/sitemaps/" + month_listing.removeprefix("month/").replace("/", "-") + ".xml"


class Publisher:
    def __init__(self, config: Config, s3: Any, dynamodb: Any, cloudfront: Any) -> None:
        self.config = config
        self.drafts = DraftStore(s3, config.drafts_bucket)
        self.site = SiteStore(s3, config.site_bucket)
        self.index = PostIndex(dynamodb, config.index_table)
        self.scheduler = Scheduler(PendingIndex(dynamodb, config.index_table))
        self.invalidator = Invalidator(cloudfront, config.distribution_id, config.invalidation_path_limit)
        self.renderer = Renderer(config.site)
        self.changed: set[str] = set()
        self._theme: dict[str, str] | None = None  # the overrides the static files were written for
        self._static_due = True

    # --- per invocation ---------------------------------------------------------------------

    def begin(self) -> None:
        """Start an invocation: pick up theme overrides a writer uploaded since the last one."""
        self.changed = set()
        overrides = self.drafts.theme_overrides()
        self.renderer = Renderer(self.config.site, overrides=overrides)
        if overrides != self._theme:
            self._theme = overrides
            self._static_due = True

    def flush(self, batch_id: str) -> str | None:
        """One CloudFront invalidation for everything this invocation changed."""
        changed, self.changed = self.changed, set()
        return self.invalidator.invalidate(changed, batch_id)

    # --- per change -------------------------------------------------------------------------

    def apply(self, change: DraftChange) -> Outcome:
        try:
            self.index.claim(
                change.key, change.order, change.kind, lambda: change.matches(self.drafts.current(change.key))
            )
            if change.kind == "delete":
                self.scheduler.pending.cancel(change)
                outcome = self._unpublish(change.key, change.order)
            else:
                outcome = self._put(change)
        except Stale:
            outcome = Outcome(
                change.key, "skipped", messages=[Message("info", "a newer upload or delete was applied")]
            )
        self.changed.update(outcome.changed)
        return outcome

    def _put(self, change: DraftChange) -> Outcome:
        try:
            draft, old = parallel.both(
                lambda: self.drafts.get(change.key, change.version_id, max_bytes=self.config.max_draft_bytes),
                lambda: self.index.get_post(change.key),
            )
        except NotFound:
            # Deleted (or overwritten, without versioning) since the event: its own event follows.
            return Outcome(change.key, "skipped", messages=[Message("info", "the draft no longer exists")])
        try:
            compiled = compile_draft(
                change.key, draft.data, self.config.site, max_bytes=self.config.max_draft_bytes
            )
        except DraftRejected as rejected:
            self.scheduler.pending.carry(change)  # a scheduled go-live or expiry still stands
            self.drafts.put_report(change.key, self._report(change, draft, "rejected", rejected.messages))
            return Outcome(change.key, "rejected", messages=rejected.messages)
        messages = [*compiled.messages, *self.renderer.problems]
        timing = self.scheduler.gate(change, compiled.meta, draft.version_id)
        if timing.action != "publish" and not compiled.meta.draft:
            return self._hold(change, draft, compiled, messages, timing)
        messages += schedule.messages(timing, compiled.meta.date, compiled.meta.expires)
        if compiled.meta.draft:
            outcome = self._unpublish(change.key, change.order)
            self.drafts.put_report(change.key, self._report(change, draft, "draft", messages, compiled))
            return outcome
        state = {"version_id": draft.version_id or "", "etag": draft.etag, "order": change.order}
        self.index.save_post(compiled.summary, state, old, change.order)
        around = self.index.around(compiled.summary)
        pages = [self._post_page(compiled, _nearest(around))]
        if old is not None and old.summary.url != compiled.summary.url:
            pages.append(_gone(old.summary.url))
        if old is None or old.summary != compiled.summary:
            changed = self._write_around(compiled.summary, old.summary if old else None, pages, around)
        else:
            changed = self.site.apply(pages)
        if self.index.head(change.key) != change.order:
            # A newer event claimed the draft while we rendered; make sure its state wins.
            changed += self.site.apply(self._rerendered(change.key))
        outcome = Outcome(
            change.key, "published", url=compiled.summary.url, messages=messages, changed=changed
        )
        self.drafts.put_report(
            change.key, self._report(change, draft, "published", messages, compiled, changed)
        )
        return outcome

    def _hold(
        self,
        change: DraftChange,
        draft: DraftObject,
        compiled: CompiledPost,
        messages: list[Message],
        timing: schedule.Plan,
    ) -> Outcome:
        """Not on the site now (dated in the future, or expired): take it down if it is live."""
        meta = compiled.meta
        messages = [*messages, *schedule.messages(timing, meta.date, meta.expires)]
        outcome = self._unpublish(change.key, change.order)
        self.drafts.put_report(change.key, self._report(change, draft, timing.status, messages, compiled))
        return Outcome(change.key, timing.status, compiled.summary.url, messages, outcome.changed)

    def _unpublish(self, key: str, order: str) -> Outcome:
        old = self.index.get_post(key)
        if old is None:
            return Outcome(key, "skipped", messages=[Message("info", "it was not published")])
        self.index.remove_post(old, order)
        changed = self._write_around(None, old.summary, [_gone(old.summary.url)])
        return Outcome(key, "unpublished", url=old.summary.url, changed=changed)

    # --- pages ------------------------------------------------------------------------------

    def _write_around(
        self,
        new: PostSummary | None,
        old: PostSummary | None,
        pages: list[Page],
        around: Around = ([], []),
    ) -> list[str]:
        """Write `pages` and everything a post's arrival, change or departure touches besides its
        own page (`around`: the posts around the new one, already read), in concurrent rounds."""
        names: dict[str, str] = {}
        touched = [p for p in (new, old) if p is not None]
        for p in touched:
            names.update(listings_of(p))
        months = [n for n in names if n.startswith("month/")]
        also: list[PageJob] = [
            lambda: pages,
            lambda: self._neighbour_pages(new, old, around),
            lambda: self._index_pages(months),
            self._static_pages,
        ]
        changed = self._write_listings(sorted(names), touched, also=also)
        self._static_due = False
        return changed

    def _post_page(self, compiled: CompiledPost, neighbours: Neighbours) -> Page:
        prev, nxt = neighbours
        html = self.renderer.post_page(
            compiled.summary, compiled.body, reading_time=compiled.reading_time, prev=prev, next=nxt
        )
        return _page(object_key(compiled.summary.url), html.encode(), HTML)

    def _rerendered(self, key: str, neighbours: Neighbours | None = None) -> list[Page]:
        """A published post's page rendered again from the draft version the index says is live
        (none when it is not published or its draft is gone or rejected)."""
        indexed = self.index.get_post(key)
        if indexed is None:
            return []
        try:
            draft = self.drafts.get(key, indexed.state.get("version_id") or None)
            compiled = compile_draft(key, draft.data, self.config.site, max_bytes=self.config.max_draft_bytes)
        except (NotFound, DraftRejected):
            return []  # its own event will report it
        if neighbours is None:
            neighbours = self.index.neighbours(compiled.summary)
        return [self._post_page(compiled, neighbours)]

    def _neighbour_pages(
        self, new: PostSummary | None, old: PostSummary | None, around: Around
    ) -> list[Page]:
        """Previous/next links change on the posts beside where a post arrived or left. The
        posts around that place tell each neighbour's own neighbours: no more index reads."""
        beside: dict[str, Neighbours] = {}
        if old is not None and (new is None or old.date != new.date):
            beside.update(_beside(self.index.around(old), None))
        if new is not None:
            beside.update(_beside(around, new))
            beside.pop(new.source_key, None)  # its own page is written already
        jobs = [partial(self._rerendered, key, beside[key]) for key in sorted(beside)]
        return [page for pages in parallel.call_all(jobs) for page in pages]

    def _write_listings(
        self,
        names: list[str],
        touched: list[PostSummary],
        *,
        every_page: bool = False,
        also: Iterable[PageJob] = (),
    ) -> list[str]:
        """Render the listings (and the pages of the `also` jobs) and write them, each step
        concurrently, then re-check the listings' versions: a listing another publish changed
        meanwhile is rendered again."""
        changed: set[str] = set()
        pending, extra = names, list(also)
        for _ in range(MAX_RENDER_ATTEMPTS):
            before = self.index.listings_named(pending) if pending else {}
            jobs: list[PageJob] = [
                *extra,
                *(partial(self._listing_pages, before[n], touched, every_page) for n in pending),
            ]
            extra = []
            pages = [page for job_pages in parallel.call_all(jobs) for page in job_pages]
            changed.update(self.site.apply(pages))
            if pending:
                after = self.index.listings_named(pending)
                pending = [n for n in pending if after[n].version != before[n].version]
            if not pending:
                break
        else:
            log.warning(
                "listings %s kept changing; the publishes that changed them last re-check them", pending
            )
        return sorted(changed)

    def _listing_pages(self, listing: Listing, touched: list[PostSummary], every_page: bool) -> list[Page]:
        name, count, title = listing.name, listing.count, listing.title
        base = listing_path(name)
        kind = name.partition("/")[0]
        size = PAGE_SIZE
        pages = paging.page_count(count, size)
        # One page more than now may exist from before a removal.
        previous_pages = paging.page_count(count + 1, size)
        out: list[Page] = []
        if count == 0 and name != HOME:
            out.append(_gone(base))  # an emptied tag or month disappears
        else:
            # The page before the newest is always rendered too: its "newer" link changes when
            # a page is added, which concurrent publishes cannot tell apart reliably. Reading
            # the posts of those two pages usually tells where the touched posts are, too.
            want = count if every_page else max(size, count - max(0, pages - 2) * size)
            posts = self.index.newest(name, want)
            # The oldest page whose posts may have shifted: where a touched post is, or was.
            first = 1 if every_page else pages
            for post in touched:
                newer = _newer_among(posts, post, want)
                if newer is None:
                    newer = self.index.newer_than(name, post)
                first = min(first, paging.page_of(count - 1 - newer, size))
            low = max(1, min(first, pages - 1))
            need = max(size, count - (low - 1) * size)
            if need > len(posts) == want:
                posts = self.index.newest(name, need)
            nav = paging.front_nav(base, pages)
            out.append(self._listing_page(kind, title, base, posts[:size], nav))
            if pages > 1:
                for page in range(low, pages + 1):
                    start, stop = paging.page_slice(count, size, page)
                    path = paging.numbered_path(base, page)
                    out.append(
                        self._listing_page(
                            kind, title, path, posts[start:stop], paging.page_nav(base, page, pages)
                        )
                    )
            if name == HOME:
                feed_posts = posts[:FEED_SIZE]  # FEED_SIZE <= PAGE_SIZE: the newest are all here
                feed = self.renderer.feed(feed_posts, updated=_updated(feed_posts))
                out.append(_page(object_key(FEED_PATH), feed.encode(), "application/atom+xml; charset=utf-8"))
        # Numbered pages exist only while a listing has more than one page.
        last_kept = pages if pages > 1 else 0
        out += [_gone(paging.numbered_path(base, page)) for page in range(last_kept + 1, previous_pages + 1)]
        return out

    def _listing_page(
        self, kind: str, title: str, path: str, posts: list[PostSummary], nav: paging.Nav
    ) -> Page:
        html = self.renderer.listing_page(kind=kind, title=title, path=path, posts=posts, nav=nav)
        return _page(object_key(path), html.encode(), HTML)

    def _index_pages(self, months: list[str] | None) -> list[Page]:
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
        page, path = {"tag": ("tags", TAGS_PATH), "category": ("categories", CATEGORIES_PATH)}.get(
            kind, ("archives", ARCHIVE_PATH)
        )
        html = self.renderer.tags_overview(kind=page, terms=terms)
        return _page(object_key(path), html.encode(), HTML)

    def _sitemap_pages(self, months: Iterable[str], all_months: list[Listing]) -> list[Page]:
        counts = {m.name: m.count for m in all_months}  # listings() leaves out empty months
        out: list[Page] = []
        for name in sorted(months):
            count = counts.get(name, 0)
            path = sitemap_path(name)
            if count == 0:
                out.append(_gone(path))
                continue
            entries = self.index.newest_urls(name, count)
            out.append(_page(object_key(path), self.renderer.sitemap(entries).encode(), XML))
        index = [(sitemap_path(m.name), m.updated) for m in all_months]
        out.append(_page(object_key(SITEMAP_PATH), self.renderer.sitemap_index(index).encode(), XML))
        return out

    def _static_pages(self, *, force: bool = False) -> list[Page]:
        """The stylesheet, 404 page and robots.txt: they change only with a deploy or the theme,
        so they are checked once per execution environment and theme, not on every publish."""
        if not (force or self._static_due):
            return []
        out = [
            _page(object_key(path), data, _content_type(path), ASSET_CACHE_CONTROL)
            for path, data in static_assets().items()
        ]
        out.append(_page("404.html", self.renderer.not_found_page().encode(), HTML))
        out.append(_page("robots.txt", self.renderer.robots_txt().encode(), "text/plain; charset=utf-8"))
        return out

    # --- rebuild ----------------------------------------------------------------------------

    def rebuild(self, *, posts: bool = False, progress: Callable[[str], None] = print) -> list[str]:
        """Render every listing page again (and with `posts`, every post page from its draft
        version the index says is live), e.g. after a template change. Safe while publishes
        run: each listing is re-checked against its index version like any publish."""
        changed: list[str] = []
        names = [HOME] + [
            lst.name for kind in ("tag", "category", "month") for lst in self.index.listings(kind)
        ]
        for start in range(0, len(names), REBUILD_CHUNK):
            chunk = names[start : start + REBUILD_CHUNK]
            changed += self._write_listings(chunk, [], every_page=True)
            progress(f"listings {start + len(chunk)}/{len(names)}: {listing_path(chunk[-1])}")
        changed += self.site.apply([*self._index_pages(None), *self._static_pages(force=True)])
        self._static_due = False
        if posts:
            # Newest first, so each post's neighbours are the entries beside it.
            everything = self.index.newest(HOME, self.index.listing(HOME).count)
            for start in range(0, len(everything), REBUILD_CHUNK):
                jobs = [
                    partial(
                        self._rerendered,
                        everything[n].source_key,
                        (
                            everything[n + 1] if n + 1 < len(everything) else None,
                            everything[n - 1] if n else None,
                        ),
                    )
                    for n in range(start, min(start + REBUILD_CHUNK, len(everything)))
                ]
                changed += self.site.apply(page for pages in parallel.call_all(jobs) for page in pages)
                progress(f"posts {min(start + REBUILD_CHUNK, len(everything))}/{len(everything)}")
        self.changed.update(changed)
        return changed

    # --- reports ----------------------------------------------------------------------------

    def _report(
        self,
        change: DraftChange,
        draft: DraftObject,
        status: str,
        messages: list[Message],
        compiled: CompiledPost | None = None,
        changed: list[str] | None = None,
    ) -> dict[str, Any]:
        report: dict[str, Any] = {
            "status": status,
            "draft": change.key,
            # The version actually read: what a writer compares with the upload's VersionId.
            "version_id": draft.version_id,
            "etag": draft.etag,
            "processed_at": clock.now().isoformat(timespec="seconds"),
            "errors": [m.format(change.key) for m in messages if m.level == "error"],
            "warnings": [m.format(change.key) for m in messages if m.level == "warning"],
            "messages": [m.to_json() for m in messages],
        }
        if compiled is not None:
            s = compiled.summary
            report.update(
                title=s.title,
                url=s.url,
                absolute_url=absolute(self.config.site.base_url, s.url),
                tags=[t.name for t in s.tags],
                categories=[c.name for c in s.categories],
                reading_time=compiled.reading_time,
                stitch=compiled.stitch.to_json(),
                **schedule.report_fields(compiled.meta),
            )
        if changed is not None:
            report["changed"] = sorted(changed)
        return report


def _page(key: str, body: bytes, content_type: str, cache: str = PAGE_CACHE_CONTROL) -> Page:
    return Page(key, body, content_type, cache)


def _gone(path: str) -> Page:
    """The site object of `path`, to be deleted."""
    return Page(object_key(path), None)


def _nearest(around: Around) -> Neighbours:
    older, newer = around
    return (older[0] if older else None), (newer[0] if newer else None)


def _beside(around: Around, middle: PostSummary | None) -> dict[str, Neighbours]:
    """Each nearest post's (previous, next) with `middle` (or nothing) between them."""
    older, newer = around
    before, after = _nearest(around) if middle is None else (middle, middle)
    out: dict[str, Neighbours] = {}
    if older:
        out[older[0].source_key] = (older[1] if len(older) > 1 else None, after)
    if newer:
        out[newer[0].source_key] = (before, newer[1] if len(newer) > 1 else None)
    return out


def _newer_among(posts: list[PostSummary], post: PostSummary, limit: int) -> int | None:
    """How many posts of a listing are newer than `post`, if its newest `limit` posts (newest
    first) tell: they do when they reach back to `post` or are the whole listing."""
    key = sort_key(post)
    keys = [sort_key(p) for p in posts]
    if len(keys) < limit or (keys and keys[-1] <= key):
        return sum(1 for k in keys if k > key)
    return None


def _updated(posts: list[PostSummary]) -> datetime:
    """The feed's <updated>: its newest post's date, never later than now (a post indexed before
    scheduling existed may be dated ahead)."""
    return min(max((p.date for p in posts), default=datetime(1970, 1, 1, tzinfo=UTC)), clock.now())


def _content_type(path: str) -> str:
    if path.endswith(".css"):
        return "text/css; charset=utf-8"
    if path.endswith(".svg"):
        return "image/svg+xml"
    return "application/octet-stream"
