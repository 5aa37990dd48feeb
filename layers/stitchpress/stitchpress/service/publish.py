"""Apply one draft change to the site: the orchestration between the pure core and the adapters.

Upload: claim the event's place in the draft's order (older events arriving late are ignored)
-> read the exact draft version -> compile (pure) -> on rejection write the report and stop, the
live site untouched -> index the post atomically -> write its page, its neighbours' pages and
every listing page that changed. Delete (or `draft: true`): remove the post from the index and
the site, and re-render its listings. Site objects whose bytes did not change are not rewritten;
the ones that did are collected for one CloudFront invalidation per invocation.

Listings stay correct under concurrent publishes by re-checking the listing's index version
after writing it: if another publish changed the listing meanwhile, it is rendered again.

What a change affects is planned by stitchpress.core.plan (pure) and rendered by stitchpress.service.pages;
this module orders the AWS calls. Every AWS call is a network round trip, so the independent reads of one step (the listings,
the neighbours, the overviews) and all page writes run concurrently (stitchpress.aws.parallel): a
publish takes about twenty rounds, not seventy calls one after the other.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any, Literal

from ..aws import media, parallel
from ..aws.cdn import Invalidator
from ..aws.index import Head, PostIndex, Stale, UrlTaken
from ..aws.pending import PendingIndex, Scheduler
from ..aws.storage import DraftObject, DraftStore, NotFound, Page, SiteStore
from ..core import clock, fanout, schedule, search
from ..core.events import DraftChange
from ..core.model import DraftRejected, Message, PostSummary
from ..core.pipeline import CompiledPost, compile_draft
from ..core.plan import HOME, Change, Neighbours, beside, listing_path, nearest
from ..core.render import Renderer
from ..core.urls import absolute
from .config import Config
from .pages import Pages, gone
from .post_range import rebuild_range

if TYPE_CHECKING:  # typed clients: boto3-stubs, a dev dependency only (never in the layer)
    from mypy_boto3_cloudfront import CloudFrontClient
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client

log = logging.getLogger(__name__)

MAX_RENDER_ATTEMPTS = 5  # re-renders of one listing while concurrent publishes keep moving it
REBUILD_CHUNK = 50  # listings (<= 100: one BatchGetItem) a one-process rebuild writes in one round

Status = Literal["published", "unpublished", "rejected", "skipped", "scheduled", "expired"]
PageJob = Callable[[], list[Page]]  # reads and renders some pages; jobs of one step run at once


@dataclass
class Outcome:
    key: str
    status: Status
    url: str | None = None
    messages: list[Message] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)  # site object keys written or deleted
    unfinished: bool = False  # it finished a change whose earlier versions the head item records


class Publisher:
    def __init__(
        self, config: Config, s3: S3Client, dynamodb: DynamoDBClient, cloudfront: CloudFrontClient
    ) -> None:
        self.config = config
        self.drafts = DraftStore(s3, config.drafts_bucket)
        self.site = SiteStore(s3, config.site_bucket)
        self.index = PostIndex(dynamodb, config.index_table)
        self.media = media.MediaIndex(dynamodb, config.index_table)  # images: stitchpress.aws.media
        self.scheduler = Scheduler(PendingIndex(dynamodb, config.index_table))
        self.invalidator = Invalidator(cloudfront, config.distribution_id, config.invalidation_path_limit)
        self.renderer = Renderer(config.site)
        self.pages = Pages(config, self.renderer, self.index, self.drafts)
        self.changed: set[str] = set()
        # Per invocation: site keys each event recorded before writing (invalidated, then
        # forgotten, at flush) and the events whose change is complete (their head is cleared).
        self._recorded: dict[tuple[str, str], set[str]] = {}
        self._done: set[tuple[str, str]] = set()
        self._fingerprint = ""  # of the static files this invocation's theme makes
        self._static_due = True

    # --- per invocation ---------------------------------------------------------------------

    def begin(self) -> None:
        """Start an invocation: pick up theme overrides a writer uploaded since the last one, and
        check the static files against the fingerprint the index holds for the bucket (not this
        environment's memory: another environment may have written another theme's since)."""
        self.changed, self._recorded, self._done = set(), {}, set()
        overrides = self.drafts.theme_overrides()
        self.renderer = Renderer(self.config.site, overrides=overrides)
        self.pages = Pages(self.config, self.renderer, self.index, self.drafts)
        digest = hashlib.sha256()
        for page in self.pages.static_pages():
            digest.update(page.key.encode() + b"\0" + (page.body or b"") + b"\0")
        self._fingerprint = digest.hexdigest()
        self._static_due = self.index.static_fingerprint() != self._fingerprint

    def flush(self, batch_id: str) -> str | None:
        """One CloudFront invalidation for everything this invocation changed or any attempt of
        its events recorded; then the recorded paths are forgotten and finished changes cleared."""
        recorded, done = self._recorded, self._done
        changed = self.changed.union(*recorded.values())
        self.changed, self._recorded, self._done = set(), {}, set()
        invalidation = self.invalidator.invalidate(changed, batch_id)
        for key, order in sorted(recorded.keys() | done):
            self.index.finish(key, order, recorded.get((key, order), ()), done=(key, order) in done)
        return invalidation

    def resume(self, change: DraftChange) -> None:
        """An event whose change completed in an earlier delivery (its idempotency record says
        so): invalidate what its attempts recorded, and clear its head, in case that delivery
        failed after the change (in the invalidation, or before its head was cleared)."""
        head = self.index.pending(change.key, change.order)
        self._pending(change, head.paths)
        if head.olds:
            self._done.add((change.key, change.order))

    # --- per change -------------------------------------------------------------------------

    def apply(self, change: DraftChange) -> Outcome:
        try:
            try:
                head = self.index.claim(
                    change.key,
                    change.order,
                    change.kind,
                    lambda: change.matches(self.drafts.current(change.key)),
                )
            except Stale as stale:
                self._pending(change, stale.paths)
                raise
            self._pending(change, head.paths)
            if change.kind == "delete":
                self.scheduler.pending.cancel(change)
                outcome = self._unpublish(change, head)
            else:
                outcome = self._put(change, head)
            if outcome.unfinished:
                self._done.add((change.key, change.order))  # its head's record can go at flush
        except Stale:
            outcome = Outcome(
                change.key, "skipped", messages=[Message("info", "a newer upload or delete was applied")]
            )
        self.changed.update(outcome.changed)
        return outcome

    def _pending(self, change: DraftChange, paths: Iterable[str]) -> None:
        self._recorded.setdefault((change.key, change.order), set()).update(paths)

    def _record(self, change: DraftChange, keys: list[str]) -> None:
        """Before writing: the keys go on the draft's head item, so whichever attempt finishes
        the event invalidates them even if this one dies right after writing."""
        self.index.record_paths(change.key, change.order, keys)
        self._pending(change, keys)

    def _put(self, change: DraftChange, head: Head) -> Outcome:
        try:
            draft, old = parallel.both(
                lambda: self.drafts.get(change.key, change.version_id, max_bytes=self.config.max_draft_bytes),
                lambda: self.index.get_post(change.key),
            )
        except NotFound:
            # Deleted (or overwritten, without versioning) since the event: its own event follows.
            changed = self._complete(change, head)
            return Outcome(
                change.key,
                "skipped",
                messages=[Message("info", "the draft no longer exists")],
                changed=changed,
            )
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
            changed = self._complete(change, head)
            self.drafts.put_report(change.key, self._report(change, draft, "rejected", rejected.messages))
            return Outcome(
                change.key,
                "rejected",
                messages=rejected.messages,
                changed=changed,
                unfinished=bool(head.olds),
            )
        messages = [*compiled.messages, *self.renderer.problems]
        timing = self.scheduler.gate(change, compiled.meta, draft.version_id)
        if timing.action != "publish" and not compiled.meta.draft:
            return self._hold(change, head, draft, compiled, messages, timing)
        messages += schedule.messages(timing, compiled.meta.date, compiled.meta.expires)
        if compiled.meta.draft:
            outcome = self._unpublish(change, head, report=False)
            self.drafts.put_report(change.key, self._report(change, draft, "draft", messages, compiled))
            return outcome
        state = {"version_id": draft.version_id or "", "etag": draft.etag, "order": change.order}
        state.update(media.state_of(compiled.body))
        try:
            self.index.save_post(
                compiled.summary,
                state,
                old,
                change.order,
                head.olds,
                search_text=search.pack(search.text_of(compiled.body.html)),
            )
        except UrlTaken as taken:
            rejection = [Message("error", _taken(taken), line=_line_of(draft.data, "slug"), field="slug")]
            changed = self._complete(change, head)
            self.drafts.put_report(change.key, self._report(change, draft, "rejected", rejection + messages))
            return Outcome(
                change.key, "rejected", messages=rejection, changed=changed, unfinished=bool(head.olds)
            )
        moves = old is None or old.summary != compiled.summary or bool(head.olds)
        earlier = (old.summary,) if old is not None and old.summary != compiled.summary else ()
        plan = Change(compiled.summary, (*earlier, *head.olds))
        changed = self._write_change(change, plan, compiled, moves=moves)
        # Theme problems found while rendering this publish's pages (the theme's file and line).
        messages += [p for p in self.renderer.problems if p not in messages]
        outcome = Outcome(
            change.key,
            "published",
            url=compiled.summary.url,
            messages=messages,
            changed=changed,
            unfinished=moves,
        )
        self.drafts.put_report(
            change.key, self._report(change, draft, "published", messages, compiled, changed)
        )
        return outcome

    def _hold(
        self,
        change: DraftChange,
        head: Head,
        draft: DraftObject,
        compiled: CompiledPost,
        messages: list[Message],
        timing: schedule.Plan,
    ) -> Outcome:
        """Not on the site now (dated in the future, or expired): take it down if it is live."""
        meta = compiled.meta
        messages = [*messages, *schedule.messages(timing, meta.date, meta.expires)]
        outcome = self._unpublish(change, head, report=False)
        self.drafts.put_report(change.key, self._report(change, draft, timing.status, messages, compiled))
        return Outcome(
            change.key, timing.status, compiled.summary.url, messages, outcome.changed, outcome.unfinished
        )

    def _unpublish(self, change: DraftChange, head: Head, *, report: bool = True) -> Outcome:
        """Take the post off the index and the site. A retry after the index write finds the post
        gone from the index but its versions on the head item (the tombstone) and finishes."""
        old = self.index.get_post(change.key)
        if old is None and not head.olds:
            return Outcome(change.key, "skipped", messages=[Message("info", "it was not published")])
        if old is not None:
            self.index.remove_post(old, change.order, head.olds)
        plan = Change(None, ((old.summary,) if old is not None else ()) + head.olds)
        changed = self._write_change(change, plan)
        url = plan.olds[0].url
        if report:
            now = clock.now().isoformat(timespec="seconds")
            self.drafts.put_report(
                change.key,
                {
                    "status": "unpublished",
                    "draft": change.key,
                    "url": url,
                    "absolute_url": absolute(self.config.site.base_url, url),
                    "unpublished_at": now,
                    "processed_at": now,
                    "changed": changed,
                },
            )
        return Outcome(change.key, "unpublished", url=url, changed=changed, unfinished=True)

    def _complete(self, change: DraftChange, head: Head) -> list[str]:
        """Finish a change an earlier event left unfinished (its retries now find a newer event
        holds the draft): the site shows the post as the index has it."""
        if not head.olds:
            return []
        indexed = self.index.get_post(change.key)
        return self._write_change(change, Change(indexed.summary if indexed else None, head.olds))

    # --- pages ------------------------------------------------------------------------------

    def _write_change(
        self, change: DraftChange, plan: Change, compiled: CompiledPost | None = None, *, moves: bool = True
    ) -> list[str]:
        """Write the post's page and everything the plan covers: neighbours, listings, overviews,
        sitemaps (and static files when the bucket's are another theme's). Without `moves` (the
        same summary published again, nothing unfinished) only the post's own page."""
        new = plan.new
        record = partial(self._record, change)

        written: set[str] = set()  # neighbours whose pages an earlier round wrote

        def own_and_neighbours() -> list[Page]:
            """The post's page and its neighbours', from where the index puts it now. Run again
            after a concurrent publish moved the home listing: a neighbour written before from
            the older read is rendered again from its own, fresh, neighbours."""
            if new is None:
                return []
            around = self.index.around(new)
            next_to: dict[str, Neighbours | None] = {k: None for k in written}
            next_to.update(beside(around, new) if moves else {})
            next_to.pop(new.source_key, None)
            written.update(next_to)
            jobs: list[PageJob] = [partial(self.pages.rerendered, k, next_to[k]) for k in sorted(next_to)]
            if compiled is not None:
                jobs.append(lambda: [self.pages.post_page(compiled, nearest(around))])
            else:
                jobs.append(partial(self.pages.rerendered, new.source_key, nearest(around)))
            return [page for pages in parallel.call_all(jobs) for page in pages]

        def left_behind() -> list[Page]:
            """Pages the post left: its old URLs (unless another draft owns one now), and its old
            neighbours' (they close the gap)."""
            next_to: dict[str, Neighbours] = {}
            for old in plan.moved_from():
                next_to.update(beside(self.index.around(old), None))
            jobs = [partial(self.pages.rerendered, k, next_to[k]) for k in sorted(next_to)]
            urls = plan.gone_urls()
            owners = parallel.each(self.index.url_owner, urls)
            mine = [url for url, owner in zip(urls, owners, strict=True) if owner in (None, change.key)]
            # Newer posts whose related list named a URL that is gone: render them again.
            left = [p for p in plan.olds if p.url in mine]
            linking = self.pages.still_linking(left, mine, self.site.get) if left else []
            jobs += [partial(self.pages.rerendered, k) for k in linking if k not in next_to]
            return [*map(gone, mine), *(p for pages in parallel.call_all(jobs) for p in pages)]

        static_due = self._static_due
        names = sorted(plan.listings()) if moves else []
        also: list[PageJob] = [left_behind, lambda: self.pages.index_pages(plan.months())] if moves else []
        if static_due:
            also.append(self.pages.static_pages)
        changed = self._write_listings(
            names, plan.touched, also=also, again=[own_and_neighbours], record=record, order=change.order
        )
        if static_due:
            self.index.set_static_fingerprint(self._fingerprint)
            self._static_due = False
        if self.index.head(change.key) != change.order:
            # A newer event claimed the draft while we rendered; make sure its state wins.
            changed = sorted({*changed, *self.site.write_changed(self.pages.rerendered(change.key), record)})
        return changed

    def _write_listings(
        self,
        names: list[str],
        touched: list[PostSummary],
        *,
        every_page: bool = False,
        also: Iterable[PageJob] = (),
        again: Iterable[PageJob] = (),
        record: Callable[[list[str]], None] | None = None,
        order: str | None = None,
    ) -> list[str]:
        """Render the listings (and the pages of the `also` and `again` jobs) and write them,
        each step concurrently, then re-check the listings' versions: a listing another publish
        changed meanwhile is rendered again, and the `again` jobs (neighbour links) run again
        when the home listing (every post's place) changed."""
        changed: set[str] = set()
        pending, extra, repeat = list(names), list(also), list(again)
        watched = sorted({*names, HOME}) if repeat else list(names)
        for _ in range(MAX_RENDER_ATTEMPTS):
            before = self.index.listings_named(watched) if watched else {}
            jobs: list[PageJob] = [
                *extra,
                *repeat,
                *(partial(self.pages.listing_pages, before[n], touched, every_page, order) for n in pending),
            ]
            pages = [page for job_pages in parallel.call_all(jobs) for page in job_pages]
            changed.update(self.site.write_changed(pages, record))
            if not watched:
                break
            after = self.index.listings_named(watched)
            moved = {n for n in watched if after[n].version != before[n].version}
            extra, pending = [], [n for n in pending if n in moved]
            repeat = repeat if HOME in moved else []
            watched = sorted({*pending, HOME}) if repeat else pending
            if not watched:
                break
        else:
            log.warning(
                "listings %s kept changing; the publishes that changed them last re-check them", pending
            )
        return sorted(changed)

    # --- rebuild ----------------------------------------------------------------------------

    def rebuild(self, *, posts: bool = False, progress: Callable[[str], None] = print) -> list[str]:
        """Render every listing page again (and with `posts`, every post page from its draft
        version the index says is live), e.g. after a template change. Safe while publishes
        run: each listing is re-checked against its index version like any publish, and post
        pages are re-read range by range as a rebuild job's chunks are."""
        changed: list[str] = []
        names = [HOME] + [
            lst.name for kind in ("tag", "category", "month") for lst in self.index.listings(kind)
        ]
        for start in range(0, len(names), REBUILD_CHUNK):
            chunk = names[start : start + REBUILD_CHUNK]
            changed += self.rebuild_listings(chunk)
            progress(f"listings {start + len(chunk)}/{len(names)}: {listing_path(chunk[-1])}")
        changed += self.rebuild_overviews()
        if posts:
            changed += self._rebuild_posts(progress)
        self.changed.update(changed)
        return changed

    def rebuild_listings(
        self, names: list[str], record: Callable[[list[str]], None] | None = None
    ) -> list[str]:
        """Every page of the listings named, re-checked against their versions like a publish."""
        return self._write_listings(names, [], every_page=True, record=record)

    def rebuild_overviews(self, record: Callable[[list[str]], None] | None = None) -> list[str]:
        """The overviews, every sitemap and the static files (a rebuild's last step)."""
        changed = self.site.write_changed([*self.pages.index_pages(None), *self.pages.static_pages()], record)
        self.index.set_static_fingerprint(self._fingerprint)
        self._static_due = False
        return changed

    def _rebuild_posts(self, progress: Callable[[str], None]) -> list[str]:
        """Every post page, in the ranges a rebuild job would split the home listing into, one
        range after the other, each re-read after writing as a job's chunk is
        (stitchpress.service.post_range): a post published, moved or unpublished meanwhile ends
        as the index says, its page removed when it left."""
        keys = self.index.home_keys()
        changed: list[str] = []
        for n, chunk in enumerate(fanout.post_chunks(keys), start=1):
            changed += rebuild_range(self, chunk.after, chunk.upto)
            progress(f"posts {min(n * fanout.POSTS_PER_CHUNK, len(keys))}/{len(keys)}")
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


def _taken(taken: UrlTaken) -> str:
    return (
        f"the post's URL {taken.url} already belongs to {taken.owner}; give this post another "
        "`slug:` (or date), or delete one of the two drafts"
    )


def _line_of(data: bytes, field: str) -> int | None:
    """The line of a front matter field in the draft, for the report."""
    for n, line in enumerate(data.decode("utf-8", "replace").splitlines()[:200], start=1):
        if line.startswith(f"{field}:"):
            return n
    return None
