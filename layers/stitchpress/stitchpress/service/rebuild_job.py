"""Run a rebuild job (stitchpress.core.fanout) in the function: the coordinator splits the site into
chunks and sends them to the rebuild queue; each chunk renders its listings or its range of
posts; the chunk that completes the job writes the overviews, sitemaps and static files, sends
the job's one invalidation and writes the report.

A chunk is as safe as a publish with publishes running: listings are re-checked against their
versions (Publisher.rebuild_listings); a range of posts is read again after writing
(stitchpress.service.post_range, which the one-process rebuild shares). Writes are recorded on the chunk's item before they happen, so the invalidation
covers an attempt that died after writing. Retries re-render identically and write nothing
new (unchanged bytes are not rewritten).
"""

from __future__ import annotations

import logging
import time
from functools import partial
from typing import TYPE_CHECKING

from ..aws import parallel
from ..aws.jobs import FINAL, JobStore, chunk_sk
from ..core import clock, fanout
from ..core.fanout import Chunk, Job
from ..core.keys import rebuild_report_key
from ..core.plan import HOME
from .post_range import Record, rebuild_range
from .publish import Publisher

if TYPE_CHECKING:  # typed clients: boto3-stubs, a dev dependency only (never in the layer)
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import SendMessageBatchRequestEntryTypeDef

log = logging.getLogger(__name__)

MAX_SEND_BATCH = 10  # SQS SendMessageBatch's limit
SEND_ATTEMPTS = 5


class Rebuilds:
    def __init__(self, publisher: Publisher, jobs: JobStore, sqs: SQSClient, queue_url: str) -> None:
        self.publisher = publisher
        self.jobs = jobs
        self.sqs = sqs
        self.queue_url = queue_url

    # --- the coordinator ----------------------------------------------------------------------

    def coordinate(self, job_id: str) -> list[Chunk]:
        """Split the job into chunks and send them (the ones not done yet, on a redelivery)."""
        job = self.jobs.get()
        if job is None or job.id != job_id or not job.running:
            log.warning("rebuild job %s is not the running job; its start message is dropped", job_id)
            return []
        todo: list[Chunk] = []
        if job.total is None:
            index = self.publisher.index
            kinds = ("tag", "category", "month")
            home, others = parallel.both(
                partial(index.listing, HOME), partial(parallel.each, index.listings, kinds)
            )
            listings = [(HOME, home.count), *((lst.name, lst.count) for found in others for lst in found)]
            chunks = fanout.plan(listings, index.home_keys() if job.posts else None)
            if self.jobs.plan(job_id, chunks, clock.now()):
                todo = chunks
        if not todo:  # an earlier delivery stored the plan: send again what is not done
            todo = [c for c, done in self.jobs.chunks(job_id) if not done]
        self._send(job_id, todo)
        return todo

    def _send(self, job_id: str, chunks: list[Chunk]) -> None:
        """The chunks' messages, 10 a call, the calls at once (1,000 chunks: 100 calls)."""
        bodies = {str(c.number): fanout.chunk_message(job_id, c) for c in chunks}

        def send(batch: list[Chunk]) -> None:
            pending = [str(c.number) for c in batch]
            for _ in range(SEND_ATTEMPTS):
                entries: list[SendMessageBatchRequestEntryTypeDef] = [
                    {"Id": n, "MessageBody": bodies[n]} for n in pending
                ]
                resp = self.sqs.send_message_batch(QueueUrl=self.queue_url, Entries=entries)
                pending = [f["Id"] for f in resp.get("Failed", [])]
                if not pending:
                    return
            raise RuntimeError(f"SQS refused rebuild chunks {pending} {SEND_ATTEMPTS} times")

        parallel.each(send, [chunks[i : i + MAX_SEND_BATCH] for i in range(0, len(chunks), MAX_SEND_BATCH)])

    # --- a chunk ------------------------------------------------------------------------------

    def run_chunk(self, job_id: str, chunk: Chunk) -> bool:
        """Render the chunk, count it done, and take the last step when it is the job's last.
        True when the job ended with this call."""
        job = self.jobs.get()
        if job is not None and job.id == job_id and job.state == "succeeded":
            # A retry of the last step that failed after the job succeeded (in `forget`), or a
            # late duplicate: the job's chunk records go (again).
            self.jobs.forget(job_id)
            return False
        if job is None or job.id != job_id or job.state not in ("running", "finishing"):
            log.warning("rebuild job %s is not running; chunk %d dropped", job_id, chunk.number)
            return False
        record = partial(self.jobs.record_paths, job_id, chunk_sk(chunk.number))
        if chunk.kind == "listings":
            changed = self.publisher.rebuild_listings(list(chunk.names), record)
        else:
            changed = self.posts(chunk, record)
        self.jobs.complete(job_id, chunk.number, len(changed), clock.now())
        job = self.jobs.get()
        if job is None or job.id != job_id or job.total is None or job.done < job.total:
            return False
        if not self.jobs.claim_finish(job_id, chunk.number, clock.now()):
            return False
        self.finish(job)
        return True

    def posts(self, chunk: Chunk, record: Record | None = None) -> list[str]:
        """Every post page in the chunk's range (stitchpress.service.post_range)."""
        return rebuild_range(self.publisher, chunk.after, chunk.upto, record)

    # --- the last step --------------------------------------------------------------------------

    def finish(self, job: Job) -> None:
        """Overviews, sitemaps and static files; the job's one invalidation (of every key any
        attempt recorded: `/*` above the path limit); the report; the job marked succeeded; its
        chunk records deleted."""
        pub = self.publisher
        overviews = pub.rebuild_overviews(partial(self.jobs.record_paths, job.id, FINAL))
        paths = self.jobs.paths(job.id)  # None: a chunk changed too many to list
        invalidation = pub.invalidator.invalidate(paths, f"rebuild-{job.id}")
        ended = clock.now()
        key = rebuild_report_key(job.id)
        problems = [m.format("theme") for m in pub.renderer.problems]
        done = self.jobs.get() or job
        # The keys any attempt recorded; past a chunk's record limit, the chunks' own counts.
        changed = len(paths) if paths is not None else done.changed + len(overviews)
        report = {
            "status": "succeeded",
            "job": job.id,
            "posts": job.posts,
            "started": job.started.isoformat(timespec="seconds"),
            "ended": ended.isoformat(timespec="seconds"),
            "seconds": round((ended - job.started).total_seconds(), 1),
            "chunks": done.total,
            "failed_attempts_retried": done.retries,
            "changed": changed,
            "invalidation": invalidation,
            "invalidated": ["/*"] if paths is None else sorted(pub.invalidator.paths(paths)),
            "warnings": problems,
        }
        pub.drafts.put_json(key, report)
        self.jobs.finish(job.id, ended, changed=changed, invalidation=invalidation, report=key)
        # The job's record and report stay; its chunk records (plans, recorded paths) are spent.
        self.jobs.forget(job.id)


def new_job_id() -> str:
    """Sortable and unique enough for one site's rebuilds: the start time and 4 random bytes."""
    import secrets

    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + "-" + secrets.token_hex(4)


def start(jobs: JobStore, sqs: SQSClient, queue_url: str, *, posts: bool, job_id: str | None = None) -> Job:
    """Record a new job (JobRunning when one runs) and send its start message to the queue."""
    job = jobs.start(job_id or new_job_id(), posts=posts, now=clock.now())
    try:
        sqs.send_message(QueueUrl=queue_url, MessageBody=fanout.start_message(job.id))
    except Exception:
        jobs.note_failure(job.id, "its start message could not be sent", clock.now(), final=True)
        raise
    return job
