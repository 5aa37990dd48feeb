"""Apply one draft change to the site: the orchestration between the pure core and the adapters.

Upload: claim the event's place in the draft's order (older events arriving late are ignored)
-> read the exact draft version -> compile (pure) -> on rejection write the report and stop, the
live site untouched -> index the post atomically -> write its page, its neighbours' pages and
every listing page that changed. Delete (or `draft: true`): remove the post from the index and
the site, and re-render its listings. Site objects whose bytes did not change are not rewritten;
the ones that did are collected for one CloudFront invalidation per invocation.

Listings stay correct under concurrent publishes by re-checking the listing's index version
after writing it: if another publish changed the listing meanwhile, it is rendered again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from . import paging
from .cdn import Invalidator
from .config import Config
from .events import DraftChange
from .index import HOME, Listing, PostIndex, Stale, listings_of
from .model import DraftRejected, Message, PostSummary, Term
from .pipeline import CompiledPost, compile_draft
from .render import ARCHIVE_PATH, CATEGORIES_PATH, FEED_PATH, SITEMAP_PATH, TAGS_PATH, Renderer, static_assets
from .storage import ASSET_CACHE_CONTROL, PAGE_CACHE_CONTROL, DraftObject, DraftStore, NotFound, SiteStore
from .urls import absolute, category_path, object_key, tag_path

log = logging.getLogger(__name__)

PAGE_SIZE = 20
FEED_SIZE = 20
MAX_RENDER_ATTEMPTS = 5  # re-renders of one listing while concurrent publishes keep moving it
HTML = "text/html; charset=utf-8"
XML = "application/xml; charset=utf-8"

Status = Literal["published", "unpublished", "rejected", "skipped"]


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
        self.invalidator = Invalidator(cloudfront, config.distribution_id, config.invalidation_path_limit)
        self.renderer = Renderer(config.site)
        self.changed: set[str] = set()

    # --- per invocation ---------------------------------------------------------------------

    def begin(self) -> None:
        """Start an invocation: pick up theme overrides a writer uploaded since the last one."""
        self.changed = set()
        self.renderer = Renderer(self.config.site, overrides=self.drafts.theme_overrides())

    def flush(self, batch_id: str) -> str | None:
        """One CloudFront invalidation for everything this invocation changed."""
        changed, self.changed = self.changed, set()
        return self.invalidator.invalidate(changed, batch_id)

    # --- per change -------------------------------------------------------------------------

    def apply(self, change: DraftChange) -> Outcome:
        try:
            self.index.claim(change.key, change.order, change.kind)
            if change.kind == "delete":
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
            draft = self.drafts.get(change.key, change.version_id, max_bytes=self.config.max_draft_bytes)
        except NotFound:
            # Deleted (or overwritten, without versioning) since the event: its own event follows.
            return Outcome(change.key, "skipped", messages=[Message("info", "the draft no longer exists")])
        try:
            compiled = compile_draft(
                change.key, draft.data, self.config.site, max_bytes=self.config.max_draft_bytes
            )
        except DraftRejected as rejected:
            self.drafts.put_report(change.key, self._report(change, draft, "rejected", rejected.messages))
            return Outcome(change.key, "rejected", messages=rejected.messages)
        messages = [*compiled.messages, *self.renderer.problems]
        if compiled.meta.draft:
            outcome = self._unpublish(change.key, change.order)
            self.drafts.put_report(change.key, self._report(change, draft, "draft", messages, compiled))
            return outcome
        old = self.index.get_post(change.key)
        state = {"version_id": draft.version_id or "", "etag": draft.etag, "order": change.order}
        self.index.save_post(compiled.summary, state, old, change.order)
        changed = self._write_post(compiled)
        if self.index.head(change.key) != change.order:
            # A newer event claimed the draft while we rendered; make sure its state wins.
            changed += self._rerender(change.key)
        if old is not None and old.summary.url != compiled.summary.url:
            changed += self._delete_page(old.summary.url)
        if old is None or old.summary != compiled.summary:
            changed += self._write_around(compiled.summary, old.summary if old else None)
        outcome = Outcome(
            change.key, "published", url=compiled.summary.url, messages=messages, changed=changed
        )
        self.drafts.put_report(
            change.key, self._report(change, draft, "published", messages, compiled, changed)
        )
        return outcome

    def _unpublish(self, key: str, order: str) -> Outcome:
        old = self.index.get_post(key)
        if old is None:
            return Outcome(key, "skipped", messages=[Message("info", "it was not published")])
        self.index.remove_post(old, order)
        changed = self._delete_page(old.summary.url)
        changed += self._write_around(None, old.summary)
        return Outcome(key, "unpublished", url=old.summary.url, changed=changed)

    # --- pages ------------------------------------------------------------------------------

    def _write_around(self, new: PostSummary | None, old: PostSummary | None) -> list[str]:
        """Everything a post's arrival, change or departure touches besides its own page."""
        names: dict[str, str] = {}
        touched = [p for p in (new, old) if p is not None]
        for p in touched:
            names.update(listings_of(p))
        changed: list[str] = []
        for name in sorted(names):
            changed += self._write_listing(name, touched)
        changed += self._write_neighbours(new, old)
        changed += self._write_indexes([n for n in names if n.startswith("month/")])
        changed += self._write_static()
        return changed

    def _write_post(self, compiled: CompiledPost) -> list[str]:
        prev, nxt = self.index.neighbours(compiled.summary)
        html = self.renderer.post_page(
            compiled.summary, compiled.body, reading_time=compiled.reading_time, prev=prev, next=nxt
        )
        return self._put_page(object_key(compiled.summary.url), html.encode(), HTML)

    def _rerender(self, key: str) -> list[str]:
        """Render a published post's page again from the draft version the index says is live."""
        indexed = self.index.get_post(key)
        if indexed is None:
            return []
        try:
            draft = self.drafts.get(key, indexed.state.get("version_id") or None)
            compiled = compile_draft(key, draft.data, self.config.site, max_bytes=self.config.max_draft_bytes)
        except (NotFound, DraftRejected):
            return []  # its own event will report it
        return self._write_post(compiled)

    def _write_neighbours(self, new: PostSummary | None, old: PostSummary | None) -> list[str]:
        """Previous/next links change on the posts beside where a post arrived or left."""
        keys: set[str] = set()
        if new is not None:
            keys.update(p.source_key for p in self.index.neighbours(new) if p is not None)
        if old is not None and (new is None or old.date != new.date):
            keys.update(p.source_key for p in self.index.neighbours(old) if p is not None)
        keys.discard(new.source_key if new else "")
        changed: list[str] = []
        for key in sorted(keys):
            changed += self._rerender(key)
        return changed

    def _write_listing(self, name: str, touched: list[PostSummary], *, every_page: bool = False) -> list[str]:
        changed: set[str] = set()
        for _ in range(MAX_RENDER_ATTEMPTS):
            before = self.index.listing(name)
            changed.update(self._render_listing(name, before.count, before.title, touched, every_page))
            if self.index.listing(name).version == before.version:
                break
        else:
            log.warning("listing %s kept changing; the publish that changed it last re-checks it", name)
        return sorted(changed)

    def _render_listing(
        self, name: str, count: int, title: str, touched: list[PostSummary], every_page: bool
    ) -> list[str]:
        base = listing_path(name)
        kind = name.partition("/")[0]
        size = PAGE_SIZE
        pages = paging.page_count(count, size)
        # The oldest page whose posts may have shifted: where a touched post is, or was.
        first = 1 if every_page else pages
        for post in touched:
            newer = self.index.newer_than(name, post)
            first = min(first, paging.page_of(count - 1 - newer, size))
        # One page more than now may exist from before a removal.
        previous_pages = paging.page_count(count + 1, size)
        changed: list[str] = []
        if count == 0 and name != HOME:
            changed += self._delete_page(base)  # an emptied tag or month disappears
        else:
            # The page before the newest is always rendered too: its "newer" link changes when
            # a page is added, which concurrent publishes cannot tell apart reliably.
            low = max(1, min(first, pages - 1))
            posts = self.index.newest(name, max(size, count - (low - 1) * size))
            nav = paging.front_nav(base, pages)
            changed += self._put_listing(kind, title, base, posts[:size], nav)
            if pages > 1:
                for page in range(low, pages + 1):
                    start, stop = paging.page_slice(count, size, page)
                    path = paging.numbered_path(base, page)
                    changed += self._put_listing(
                        kind, title, path, posts[start:stop], paging.page_nav(base, page, pages)
                    )
        # Numbered pages exist only while a listing has more than one page.
        last_kept = pages if pages > 1 else 0
        for page in range(last_kept + 1, previous_pages + 1):
            changed += self._delete_page(paging.numbered_path(base, page))
        if name == HOME:
            feed_posts = self.index.newest(HOME, FEED_SIZE)
            feed = self.renderer.feed(feed_posts, updated=_updated(feed_posts))
            changed += self._put_page(
                object_key(FEED_PATH), feed.encode(), "application/atom+xml; charset=utf-8"
            )
        return changed

    def _put_listing(
        self, kind: str, title: str, path: str, posts: list[PostSummary], nav: paging.Nav
    ) -> list[str]:
        html = self.renderer.listing_page(kind=kind, title=title, path=path, posts=posts, nav=nav)
        return self._put_page(object_key(path), html.encode(), HTML)

    def _write_indexes(self, months: list[str] | None) -> list[str]:
        """The three overviews (every page's navigation links them, so they always exist), the
        sitemaps of the given months (all months with None) and the sitemap index. Each kind's
        listings are read once, for its overview and, for months, the sitemap index too."""
        found = {kind: self.index.listings(kind) for kind in ("tag", "category", "month")}
        changed: list[str] = []
        for kind, listings in found.items():
            changed += self._write_overview(kind, listings)
        names = [m.name for m in found["month"]] if months is None else months
        return changed + self._write_sitemaps(names, found["month"])

    def _write_overview(self, kind: str, listings: list[Listing]) -> list[str]:
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
        return self._put_page(object_key(path), html.encode(), HTML)

    def _write_sitemaps(self, months: Iterable[str], all_months: list[Listing]) -> list[str]:
        changed: list[str] = []
        for name in sorted(months):
            count = self.index.listing(name).count
            path = sitemap_path(name)
            if count == 0:
                changed += self._delete_page(path)
                continue
            entries = [(p.url, p.date) for p in self.index.newest(name, count)]
            changed += self._put_page(object_key(path), self.renderer.sitemap(entries).encode(), XML)
        index = [(sitemap_path(m.name), m.updated) for m in all_months]
        changed += self._put_page(object_key(SITEMAP_PATH), self.renderer.sitemap_index(index).encode(), XML)
        return changed

    def _write_static(self) -> list[str]:
        changed: list[str] = []
        for path, data in static_assets().items():
            changed += self._put_page(object_key(path), data, _content_type(path), ASSET_CACHE_CONTROL)
        changed += self._put_page("404.html", self.renderer.not_found_page().encode(), HTML)
        changed += self._put_page(
            "robots.txt", self.renderer.robots_txt().encode(), "text/plain; charset=utf-8"
        )
        return changed

    def _delete_page(self, path: str) -> list[str]:
        key = object_key(path)
        return [key] if self.site.delete(key) else []

    def _put_page(
        self, key: str, body: bytes, content_type: str, cache: str = PAGE_CACHE_CONTROL
    ) -> list[str]:
        return [key] if self.site.put_if_changed(key, body, content_type, cache) else []

    # --- rebuild ----------------------------------------------------------------------------

    def rebuild(self, *, posts: bool = False, progress: Callable[[str], None] = print) -> list[str]:
        """Render every listing page again (and with `posts`, every post page from its draft
        version the index says is live), e.g. after a template change. Safe while publishes
        run: each listing is re-checked against its index version like any publish."""
        changed: list[str] = []
        names = [HOME] + [
            lst.name for kind in ("tag", "category", "month") for lst in self.index.listings(kind)
        ]
        for n, name in enumerate(names, 1):
            changed += self._write_listing(name, [], every_page=True)
            progress(f"listings {n}/{len(names)}: {listing_path(name)}")
        changed += self._write_indexes(None)
        changed += self._write_static()
        if posts:
            everything = self.index.newest(HOME, self.index.listing(HOME).count)
            for n, post in enumerate(everything, 1):
                changed += self._rerender(post.source_key)
                if n % 100 == 0 or n == len(everything):
                    progress(f"posts {n}/{len(everything)}")
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
            "processed_at": datetime.now(UTC).isoformat(timespec="seconds"),
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
            )
        if changed is not None:
            report["changed"] = sorted(changed)
        return report


def _updated(posts: list[PostSummary]) -> datetime:
    return max((p.date for p in posts), default=datetime(1970, 1, 1, tzinfo=UTC))


def _content_type(path: str) -> str:
    if path.endswith(".css"):
        return "text/css; charset=utf-8"
    if path.endswith(".svg"):
        return "image/svg+xml"
    return "application/octet-stream"
