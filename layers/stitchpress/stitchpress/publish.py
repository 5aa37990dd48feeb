"""Apply one draft change to the site: the orchestration between the pure core and the adapters.

Upload: claim the event's place in the draft's order (older events arriving late are ignored)
-> read the exact draft version -> compile (pure) -> on rejection write the report and stop, the
live site untouched -> index the post atomically -> write its page, its neighbours' pages and
every listing page that changed. Delete (or `draft: true`): remove the post from the index and
the site, and re-render its listings. Site objects whose bytes did not change are not rewritten;
the ones that did are collected for one CloudFront invalidation per invocation.

Listings stay correct under concurrent publishes by re-checking the listing's index version
after writing it: if another publish changed the listing meanwhile, it is rendered again.

What a change affects is planned by stitchpress.plan (pure) and rendered by stitchpress.pages;
this module orders the AWS calls. Every AWS call is a network round trip, so the independent reads of one step (the listings,
the neighbours, the overviews) and all page writes run concurrently (stitchpress.parallel): a
publish takes about twenty rounds, not seventy calls one after the other.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Literal

from . import clock, media, parallel, schedule
from .cdn import Invalidator
from .config import Config
from .events import DraftChange
from .index import HOME, PostIndex, Stale
from .model import DraftRejected, Message, PostSummary
from .pages import Pages, gone
from .pending import PendingIndex, Scheduler
from .pipeline import CompiledPost, compile_draft
from .plan import Around, Change, Neighbours, beside, listing_path, nearest
from .render import Renderer
from .storage import DraftObject, DraftStore, NotFound, Page, SiteStore
from .urls import absolute

log = logging.getLogger(__name__)

MAX_RENDER_ATTEMPTS = 5  # re-renders of one listing while concurrent publishes keep moving it
REBUILD_CHUNK = 50  # listings (<= 100: one BatchGetItem) or posts a rebuild writes in one round

Status = Literal["published", "unpublished", "rejected", "skipped", "scheduled", "expired"]
PageJob = Callable[[], list[Page]]  # reads and renders some pages; jobs of one step run at once


@dataclass
class Outcome:
    key: str
    status: Status
    url: str | None = None
    messages: list[Message] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)  # site object keys written or deleted


class Publisher:
    def __init__(self, config: Config, s3: Any, dynamodb: Any, cloudfront: Any) -> None:
        self.config = config
        self.drafts = DraftStore(s3, config.drafts_bucket)
        self.site = SiteStore(s3, config.site_bucket)
        self.index = PostIndex(dynamodb, config.index_table)
        self.media = media.MediaIndex(dynamodb, config.index_table)  # images: stitchpress.media
        self.scheduler = Scheduler(PendingIndex(dynamodb, config.index_table))
        self.invalidator = Invalidator(cloudfront, config.distribution_id, config.invalidation_path_limit)
        self.renderer = Renderer(config.site)
        self.pages = Pages(config, self.renderer, self.index, self.drafts)
        self.changed: set[str] = set()
        self._theme: dict[str, str] | None = None  # the overrides the static files were written for
        self._static_due = True

    # --- per invocation ---------------------------------------------------------------------

    def begin(self) -> None:
        """Start an invocation: pick up theme overrides a writer uploaded since the last one."""
        self.changed = set()
        overrides = self.drafts.theme_overrides()
        self.renderer = Renderer(self.config.site, overrides=overrides)
        self.pages = Pages(self.config, self.renderer, self.index, self.drafts)
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
                change.key,
                draft.data,
                self.config.site,
                max_bytes=self.config.max_draft_bytes,
                images=media.lookup_for(self.media, change.key, old.state if old else None),
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
        state.update(media.state_of(compiled.body))
        self.index.save_post(compiled.summary, state, old, change.order)
        around = self.index.around(compiled.summary)
        plan = Change(compiled.summary, (old.summary,) if old else ())
        pages = [self.pages.post_page(compiled, nearest(around)), *map(gone, plan.gone_urls())]
        if old is None or old.summary != compiled.summary:
            changed = self._write_around(plan, pages, around)
        else:
            changed = self.site.apply(pages)
        if self.index.head(change.key) != change.order:
            # A newer event claimed the draft while we rendered; make sure its state wins.
            changed += self.site.apply(self.pages.rerendered(change.key))
        # Theme problems found while rendering this publish's pages (the theme's file and line).
        messages += [p for p in self.renderer.problems if p not in messages]
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
        plan = Change(None, (old.summary,))
        changed = self._write_around(plan, [*map(gone, plan.gone_urls())])
        return Outcome(key, "unpublished", url=old.summary.url, changed=changed)

    # --- pages ------------------------------------------------------------------------------

    def _write_around(self, change: Change, pages: list[Page], around: Around = ([], [])) -> list[str]:
        """Write `pages` and everything the change touches besides the post's own page
        (`around`: the posts around the new one, already read), in concurrent rounds."""
        also: list[PageJob] = [
            lambda: pages,
            lambda: self._neighbour_pages(change, around),
            lambda: self.pages.index_pages(change.months()),
            self._static_pages,
        ]
        changed = self._write_listings(sorted(change.listings()), change.touched, also=also)
        self._static_due = False
        return changed

    def _neighbour_pages(self, change: Change, around: Around) -> list[Page]:
        """Previous/next links change on the posts beside where a post arrived or left. The
        posts around that place tell each neighbour's own neighbours: no more index reads."""
        next_to: dict[str, Neighbours] = {}
        for old in change.moved_from():
            next_to.update(beside(self.index.around(old), None))
        if change.new is not None:
            next_to.update(beside(around, change.new))
            next_to.pop(change.new.source_key, None)  # its own page is written already
        jobs = [partial(self.pages.rerendered, key, next_to[key]) for key in sorted(next_to)]
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
                *(partial(self.pages.listing_pages, before[n], touched, every_page) for n in pending),
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

    def _static_pages(self, *, force: bool = False) -> list[Page]:
        """Static files are checked once per execution environment and theme."""
        if not (force or self._static_due):
            return []
        return self.pages.static_pages()

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
        changed += self.site.apply([*self.pages.index_pages(None), *self._static_pages(force=True)])
        self._static_due = False
        if posts:
            # Newest first, so each post's neighbours are the entries beside it.
            everything = self.index.newest(HOME, self.index.listing(HOME).count)
            for start in range(0, len(everything), REBUILD_CHUNK):
                jobs = [
                    partial(
                        self.pages.rerendered,
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
                **media.report_fields(compiled.body),
            )
        if changed is not None:
            report["changed"] = sorted(changed)
        return report
