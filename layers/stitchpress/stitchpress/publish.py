"""Apply one draft change to the site: the orchestration between the pure core and the adapters.

For an upload: read the exact draft version -> compile (pure) -> on rejection write the report and
stop (the live site is untouched) -> index the post -> write its page and every listing it is on
-> report. For a delete (or `draft: true`): remove the post from the index, its page, and
re-render its listings. Changed site objects are collected so the handler can send one
CloudFront invalidation per invocation.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from .cdn import Invalidator
from .config import Config
from .events import DraftChange
from .index import HOME, IndexedPost, PostIndex, listings_of
from .model import DraftRejected, Message, PostSummary
from .pipeline import CompiledPost, compile_draft
from .render import Renderer, static_assets
from .storage import ASSET_CACHE_CONTROL, PAGE_CACHE_CONTROL, DraftStore, NotFound, SiteStore
from .urls import absolute, category_path, object_key, tag_path

PAGE_SIZE = 20
FEED_SIZE = 20
HTML = "text/html; charset=utf-8"

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
        if change.kind == "delete":
            return self._unpublish(change.key, reason="draft deleted")
        try:
            draft = self.drafts.get(change.key, change.version_id, max_bytes=self.config.max_draft_bytes)
        except NotFound:
            # Deleted (or overwritten without versioning) since the event: its own event follows.
            return Outcome(change.key, "skipped", messages=[Message("info", "draft no longer exists")])
        try:
            compiled = compile_draft(
                change.key, draft.data, self.config.site, max_bytes=self.config.max_draft_bytes
            )
        except DraftRejected as rejected:
            self.drafts.put_report(change.key, self._report(change, "rejected", rejected.messages))
            return Outcome(change.key, "rejected", messages=rejected.messages)
        if compiled.meta.draft:
            outcome = self._unpublish(change.key, reason="front matter says draft: true / published: false")
            self.drafts.put_report(
                change.key, self._report(change, "draft", list(compiled.messages), compiled)
            )
            return outcome
        state = {
            "version_id": draft.version_id or "",
            "etag": draft.etag,
            "sequencer": change.sequencer or "",
        }
        old = self.index.get_post(change.key)
        self.index.save_post(compiled.summary, state, old)
        changed = self._write_post(compiled)
        if old is not None and old.summary.url != compiled.summary.url:
            changed += self._delete_page(old.summary.url)
        changed += self._write_listings(self._affected(compiled.summary, old))
        changed += self._write_static()
        self.changed.update(changed)
        outcome = Outcome(
            change.key,
            "published",
            url=compiled.summary.url,
            messages=list(compiled.messages),
            changed=changed,
        )
        self.drafts.put_report(
            change.key, self._report(change, "published", outcome.messages, compiled, changed)
        )
        return outcome

    def _unpublish(self, key: str, *, reason: str) -> Outcome:
        old = self.index.get_post(key)
        if old is None:
            return Outcome(key, "skipped", messages=[Message("info", f"{reason}; it was not published")])
        self.index.remove_post(old)
        changed = self._delete_page(old.summary.url)
        changed += self._write_listings(listings_of(old.summary))
        self.changed.update(changed)
        return Outcome(key, "unpublished", url=old.summary.url, changed=changed)

    # --- pages ------------------------------------------------------------------------------

    @staticmethod
    def _affected(new: PostSummary, old: IndexedPost | None) -> set[str]:
        names = listings_of(new)
        if old is not None:
            names |= listings_of(old.summary)
        return names

    def _write_post(self, compiled: CompiledPost) -> list[str]:
        prev, nxt = self.index.neighbours(compiled.summary)
        html = self.renderer.post_page(
            compiled.summary, compiled.body, reading_time=compiled.reading_time, prev=prev, next=nxt
        )
        return self._put(object_key(compiled.summary.url), html.encode(), HTML)

    def _delete_page(self, url: str) -> list[str]:
        key = object_key(url)
        return [key] if self.site.delete(key) else []

    def _write_listings(self, names: Iterable[str]) -> list[str]:
        changed: list[str] = []
        for name in sorted(names):
            posts = self.index.listing(name, PAGE_SIZE)
            path = listing_path(name)
            if not posts and name != HOME:
                changed += self._delete_page(path)  # an emptied tag or month disappears
                continue
            html = self.renderer.listing_page(
                kind=name.partition("/")[0], title=self._listing_title(name, posts), path=path, posts=posts
            )
            changed += self._put(object_key(path), html.encode(), HTML)
            if name == HOME:
                feed = self.renderer.feed(posts[:FEED_SIZE], updated=_updated(posts))
                changed += self._put("feed.xml", feed.encode(), "application/atom+xml; charset=utf-8")
        return changed

    @staticmethod
    def _listing_title(name: str, posts: list[PostSummary]) -> str:
        kind, _, rest = name.partition("/")
        if kind == "tag":
            return next((t.name for p in posts for t in p.tags if t.key == rest), rest)
        if kind == "category":
            return next((c.name for p in posts for c in p.categories if c.key == rest), rest)
        if kind == "month":
            return rest
        return ""

    def _write_static(self) -> list[str]:
        changed: list[str] = []
        for path, data in static_assets().items():
            changed += self._put(object_key(path), data, _content_type(path), ASSET_CACHE_CONTROL)
        changed += self._put("404.html", self.renderer.not_found_page().encode(), HTML)
        changed += self._put("robots.txt", self.renderer.robots_txt().encode(), "text/plain; charset=utf-8")
        return changed

    def _put(self, key: str, body: bytes, content_type: str, cache: str = PAGE_CACHE_CONTROL) -> list[str]:
        return [key] if self.site.put_if_changed(key, body, content_type, cache) else []

    # --- reports ----------------------------------------------------------------------------

    def _report(
        self,
        change: DraftChange,
        status: str,
        messages: list[Message],
        compiled: CompiledPost | None = None,
        changed: list[str] | None = None,
    ) -> dict[str, Any]:
        report: dict[str, Any] = {
            "status": status,
            "draft": change.key,
            "version_id": change.version_id,
            "etag": change.etag,
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
