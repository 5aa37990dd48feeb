"""Issue 19: a rebuild is a job the rebuild function runs in chunks from the rebuild queue.

The real handler (functions/rebuild/app.py) takes the messages from the real queue (moto), as
the event source mapping would: one message per invocation, failures retried, the last one
dead-lettered."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from stitchpress.aws import media, search_store
from stitchpress.aws.index import PostIndex
from stitchpress.aws.jobs import JobRunning, JobStore
from stitchpress.aws.search_store import SearchStore
from stitchpress.core import fanout, search
from stitchpress.core.events import DraftChange
from stitchpress.core.pipeline import compile_draft
from stitchpress.local.runtime import QueueWorker
from stitchpress.service import rebuild_handler, rebuild_job
from stitchpress.service.publish import Publisher
from tests.functional.conftest import Aws, load_app
from tests.helpers import draft, post_links, publish, s3_event

POSTS = [  # (day, slug, tags): 9 posts, 3 tags, two months
    (1, "a", ["x"]),
    (3, "b", ["x", "y"]),
    (5, "c", ["y"]),
    (8, "d", ["x", "z"]),
    (12, "e", ["z"]),
    (15, "f", ["x"]),
    (20, "g", ["y", "z"]),
    (26, "h", ["x"]),
    (30, "i", ["y"]),
]


def key_of(day: int, slug: str) -> str:
    return f"drafts/2025-09-{day:02d}-{slug}.md"


def preload(aws: Aws) -> None:
    """The index of a site that has been running: each draft uploaded and indexed as its publish
    would have indexed it (no page rendered: the rebuilds render them all)."""
    config = aws.stack.config
    index = PostIndex(aws.ddb, config.index_table)
    notification = aws.s3.get_bucket_notification_configuration(Bucket=aws.drafts)
    notification.pop("ResponseMetadata", None)
    aws.s3.put_bucket_notification_configuration(Bucket=aws.drafts, NotificationConfiguration={})
    for day, slug, tags in POSTS:
        key, data = key_of(day, slug), draft(slug.upper(), f"2025-09-{day:02d}", tags)
        resp = aws.s3.put_object(Bucket=aws.drafts, Key=key, Body=data)
        etag = str(resp["ETag"]).strip('"')
        # The lowest order an S3 event can have: every later upload of the draft is newer.
        change = DraftChange(aws.drafts, key, "put", resp["VersionId"], etag, sequencer="0")
        compiled = compile_draft(key, data, config.site)
        index.claim(key, change.order, "put")
        state = {"version_id": resp["VersionId"], "etag": etag, "order": change.order}
        index.save_post(compiled.summary, {**state, **media.state_of(compiled.body)}, None, change.order)
        index.finish(key, change.order, (), done=True)
    aws.s3.put_bucket_notification_configuration(Bucket=aws.drafts, NotificationConfiguration=notification)


@pytest.fixture
def site(aws: Aws, monkeypatch: pytest.MonkeyPatch) -> Iterator[Aws]:
    """A pre-populated index of 9 posts and an empty site bucket; jobs split into chunks of 2
    posts and small listing groups."""
    monkeypatch.setenv("REBUILD_QUEUE_URL", aws.stack.rebuild_queue_url)
    monkeypatch.setattr(fanout, "POSTS_PER_CHUNK", 2)
    monkeypatch.setattr(fanout, "LISTING_POSTS_PER_CHUNK", 40)
    monkeypatch.setattr(QueueWorker, "RETRY_DELAY", 0)
    preload(aws)
    rebuild_handler.reset()
    yield aws
    rebuild_handler.reset()


def worker(aws: Aws) -> QueueWorker:
    """The rebuild function behind its queue: one message per invocation."""
    app = load_app("rebuild")
    return QueueWorker(aws.stack, aws.sqs, app.handler, batch_size=1, queue_url=aws.stack.rebuild_queue_url)


def drain(aws: Aws, between: Callable[[int], None] = lambda n: None, limit: int = 200) -> int:
    """Invoke the function until the queue is empty; `between(n)` runs after the n-th invocation."""
    w = worker(aws)
    for n in range(limit):
        if w.poll_once(wait_seconds=0) == 0:
            return n
        between(n)
    raise AssertionError(f"the rebuild queue was not empty after {limit} invocations")


def start(aws: Aws, posts: bool = True) -> str:
    job = rebuild_job.start(jobs(aws), aws.sqs, aws.stack.rebuild_queue_url, posts=posts)
    return job.id


def jobs(aws: Aws) -> JobStore:
    return JobStore(aws.ddb, aws.stack.config.index_table)


def wipe(aws: Aws) -> None:
    for key in aws.site_objects():
        aws.s3.delete_object(Bucket=aws.site, Key=key)


def single_process_rebuild(aws: Aws) -> dict[str, bytes]:
    wipe(aws)
    publisher = Publisher(aws.stack.config, aws.s3, aws.ddb, aws.cloudfront)
    publisher.begin()
    publisher.rebuild(posts=True, progress=lambda line: None)
    return aws.site_objects()


def records(aws: Aws, job_id: str) -> list[dict[str, Any]]:
    """The job's chunk records in the index (pk JOB#<id>)."""
    resp = aws.ddb.query(
        TableName=aws.stack.config.index_table,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"JOB#{job_id}"}},
        ConsistentRead=True,
    )
    return list(resp["Items"])


def search_items(aws: Aws) -> dict[str, dict[str, Any]]:
    """The posts' search records in the index (pk SEARCH), by draft key."""
    resp = aws.ddb.query(
        TableName=aws.stack.config.index_table,
        KeyConditionExpression="pk = :pk AND begins_with(sk, :p)",
        ExpressionAttributeValues={":pk": {"S": "SEARCH"}, ":p": {"S": "POST#"}},
        ConsistentRead=True,
    )
    return {str(i["sk"]["S"]).removeprefix("POST#"): i for i in resp["Items"]}


def published_search_item(aws: Aws, day: int, slug: str, tags: list[str]) -> dict[str, Any]:
    """The search record a publish of the preloaded draft writes (stitchpress.service.publish)."""
    key = key_of(day, slug)
    compiled = compile_draft(key, draft(slug.upper(), f"2025-09-{day:02d}", tags), aws.stack.config.site)
    return search_store.text_item(compiled.summary, search.pack(search.text_of(compiled.body.html)))


def dlq_messages(aws: Aws) -> list[dict[str, Any]]:
    resp = aws.sqs.receive_message(QueueUrl=aws.stack.rebuild_dlq_url, MaxNumberOfMessages=10)
    return [json.loads(m["Body"]) for m in resp.get("Messages", [])]


def test_a_job_renders_every_page_as_a_single_process_rebuild_does(site: Aws) -> None:
    expected = single_process_rebuild(site)
    wipe(site)
    invalidations_before = len(site.invalidations())
    job_id = start(site)
    invocations = drain(site)
    assert site.site_objects() == expected  # every key, byte for byte
    job = jobs(site).get()
    assert job is not None and (job.id, job.state) == (job_id, "succeeded")
    # 1 start; listings: home, 3 tags, 1 month in groups of <= 40 entries; 5 ranges of 2 posts
    assert job.total is not None and job.done == job.total and job.total >= 5 + 3
    assert invocations == 1 + job.total
    report = json.loads(site.s3.get_object(Bucket=site.drafts, Key=job.report)["Body"].read())
    assert report["status"] == "succeeded" and report["changed"] == len(expected)
    assert report["chunks"] == job.total and report["failed_attempts_retried"] == 0
    # One invalidation for the whole job: past the path limit (100), the wildcard.
    new = site.invalidations()[invalidations_before:]
    assert len(new) == 1
    assert new[0] == (["/*"] if len(expected) > 100 else sorted(f"/{k}" for k in expected))
    assert report["invalidated"] == new[0]


def test_a_listings_only_job_and_then_a_second_job(site: Aws) -> None:
    first = start(site, posts=False)
    with pytest.raises(JobRunning) as running:
        start(site)
    assert running.value.job is not None and running.value.job.id == first
    drain(site)
    objects = site.site_objects()
    assert "index.html" in objects and "tags/x/index.html" in objects
    assert "2025/09/01/a/index.html" not in objects  # listings only: no post pages
    second = start(site)  # the first has ended: a new one may start
    assert second != first
    drain(site)
    assert "2025/09/01/a/index.html" in site.site_objects()
    job = jobs(site).get()
    assert job is not None and (job.id, job.state) == (second, "succeeded")


def test_redelivered_messages_do_the_work_once(site: Aws) -> None:
    expected = single_process_rebuild(site)
    wipe(site)
    job_id = start(site)
    # The start message delivered twice (SQS delivers at least once): the chunks go out twice.
    site.sqs.send_message(QueueUrl=site.stack.rebuild_queue_url, MessageBody=fanout.start_message(job_id))
    before = len(site.invalidations())
    drain(site)
    job = jobs(site).get()
    assert job is not None and job.state == "succeeded" and job.done == job.total
    assert site.site_objects() == expected
    assert len(site.invalidations()) == before + 1


def test_a_failing_chunk_is_retried_and_the_job_completes(site: Aws, monkeypatch: pytest.MonkeyPatch) -> None:
    expected = single_process_rebuild(site)
    wipe(site)
    rebuilds = rebuild_handler.rebuilds()
    render = rebuilds.publisher.pages.render_indexed
    failures: list[str] = []

    def flaky(entry: Any, *args: Any) -> Any:
        if entry.summary.source_key == key_of(12, "e") and not failures:
            failures.append(entry.summary.source_key)
            raise ConnectionError("the network went away")
        return render(entry, *args)

    monkeypatch.setattr(rebuilds.publisher.pages, "render_indexed", flaky)
    monkeypatch.setattr(rebuilds.publisher, "begin", lambda: None)  # keeps the patched pages
    start(site)
    drain(site)
    assert failures
    job = jobs(site).get()
    assert job is not None and job.state == "succeeded" and job.retries == 1
    assert site.site_objects() == expected


def test_a_chunk_failing_every_time_fails_the_job_and_lands_in_the_dead_letter_queue(
    site: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    rebuilds = rebuild_handler.rebuilds()
    render = rebuilds.publisher.pages.render_indexed

    def broken(entry: Any, *args: Any) -> Any:
        if entry.summary.source_key == key_of(12, "e"):
            raise RuntimeError("a theme bug")
        return render(entry, *args)

    monkeypatch.setattr(rebuilds.publisher.pages, "render_indexed", broken)
    monkeypatch.setattr(rebuilds.publisher, "begin", lambda: None)
    start(site)
    drain(site)
    job = jobs(site).get()
    assert job is not None and job.state == "failed" and job.retries == fanout.MAX_RECEIVES
    assert job.error is not None and "failed 3 times" in job.error and "a theme bug" in job.error
    (dead,) = dlq_messages(site)
    assert dead["rebuild"] == "chunk" and dead["job"] == job.id
    # Its chunk records stay (to look into), and expire a week on by the table's time to live.
    left = records(site, job.id)
    week = time.time() + 7 * 86_400
    assert left and all(week - 60 < int(r["purge_at"]["N"]) <= week + 1 for r in left)
    start(site, posts=False)  # a failed job does not block the next one


def test_a_finished_job_deletes_its_chunk_records_and_keeps_its_record_and_report(site: Aws) -> None:
    job_id = start(site)
    assert records(site, job_id) == []
    drain(site)
    job = jobs(site).get()
    assert job is not None and (job.id, job.state) == (job_id, "succeeded")
    assert records(site, job_id) == []  # plans, recorded paths, the last step's record: gone
    report = json.loads(site.s3.get_object(Bucket=site.drafts, Key=job.report)["Body"].read())
    assert report["status"] == "succeeded" and report["chunks"] == job.total


def test_a_cleanup_that_fails_is_finished_by_the_retry(site: Aws, monkeypatch: pytest.MonkeyPatch) -> None:
    store = rebuild_handler.rebuilds().jobs
    forget = store.forget
    failures: list[str] = []

    def flaky(job_id: str) -> int:
        if not failures:
            failures.append(job_id)
            raise ConnectionError("the network went away")
        return forget(job_id)

    monkeypatch.setattr(store, "forget", flaky)
    before = len(site.invalidations())
    job_id = start(site)
    drain(site)
    assert failures == [job_id]
    job = jobs(site).get()
    assert job is not None and job.state == "succeeded" and job.retries == 0
    assert records(site, job_id) == []
    assert len(site.invalidations()) == before + 1  # the retry did not invalidate again


def test_publishes_during_a_job_end_correct(site: Aws, monkeypatch: pytest.MonkeyPatch) -> None:
    """A post published next to a range while its chunk renders, one unpublished right after its
    page was rendered, one retitled: the site ends as the index says, links included."""
    rebuilds = rebuild_handler.rebuilds()
    home_range = rebuilds.publisher.index.home_range
    render = rebuilds.publisher.pages.render_indexed
    done: list[str] = []

    def range_then_publish(*args: Any, **kwargs: Any) -> Any:
        found = home_range(*args, **kwargs)
        keys = [p.source_key for p in found[1]]
        if key_of(8, "d") in keys and "new" not in done:  # a new post lands right beside d
            done.append("new")
            publish(site, key_of(9, "new"), draft("NEW", "2025-09-09", ["x"]))
        return found

    def render_then_unpublish(entry: Any, *args: Any) -> Any:
        pages = render(entry, *args)
        key = entry.summary.source_key
        if key == key_of(20, "g") and "gone" not in done:  # unpublished before the chunk writes
            done.append("gone")
            site.s3.delete_object(Bucket=site.drafts, Key=key)
            site.invoke(s3_event(site, key, kind="delete"))
        if key == key_of(3, "b") and "retitled" not in done:
            done.append("retitled")
            publish(site, key, draft("B RETITLED", "2025-09-03", ["x", "y"]))
        return pages

    monkeypatch.setattr(rebuilds.publisher.index, "home_range", range_then_publish)
    monkeypatch.setattr(rebuilds.publisher.pages, "render_indexed", render_then_unpublish)
    monkeypatch.setattr(rebuilds.publisher, "begin", lambda: None)
    start(site)
    drain(site)
    assert sorted(done) == ["gone", "new", "retitled"]
    job = jobs(site).get()
    assert job is not None and job.state == "succeeded"
    objects = site.site_objects()
    assert "2025/09/20/g/index.html" not in objects
    assert "B RETITLED" in objects["2025/09/03/b/index.html"].decode()
    assert post_links(site, 8, "d") == {"/2025/09/05/c/", "/2025/09/09/new/"}
    assert post_links(site, 9, "new") == {"/2025/09/08/d/", "/2025/09/12/e/"}
    assert post_links(site, 12, "e") == {"/2025/09/09/new/", "/2025/09/15/f/"}
    assert post_links(site, 15, "f") == {"/2025/09/12/e/", "/2025/09/26/h/"}
    assert post_links(site, 26, "h") == {"/2025/09/15/f/", "/2025/09/30/i/"}
    home = objects["index.html"].decode()
    assert "/2025/09/09/new/" in home and "/2025/09/20/g/" not in home and "B RETITLED" in home
    # And it is what a rebuild of the index as it is now renders, page for page.
    assert single_process_rebuild(site) == objects


def test_the_rebuild_function_refuses_to_start_without_its_queue(
    aws: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("REBUILD_QUEUE_URL", raising=False)
    rebuild_handler.reset()
    with pytest.raises(RuntimeError, match="REBUILD_QUEUE_URL"):
        rebuild_handler.rebuilds()
    assert os.environ.get("REBUILD_QUEUE_URL") is None


def test_a_job_on_a_site_with_no_posts_writes_the_empty_site(
    aws: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REBUILD_QUEUE_URL", aws.stack.rebuild_queue_url)
    rebuild_handler.reset()
    start(aws)
    assert drain(aws) == 2  # the split, one listings chunk (home); no post chunk
    job = jobs(aws).get()
    assert job is not None and (job.state, job.total, job.done) == ("succeeded", 1, 1)
    objects = aws.site_objects()
    assert {"index.html", "404.html", "robots.txt", "sitemap.xml", "tags/index.html"} <= set(objects)
    rebuild_handler.reset()


def test_a_chunk_writing_more_pages_than_a_record_holds_invalidates_everything(
    site: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The home listing of a very large site is thousands of pages in one chunk: its record
    says "everything" instead of every key (a DynamoDB item holds 400 KB), and the job sends `/*`."""
    from stitchpress.aws import jobs as jobs_module

    monkeypatch.setattr(jobs_module, "MAX_RECORDED_PATHS", 5)
    before = len(site.invalidations())
    start(site)
    drain(site)
    job = jobs(site).get()
    assert job is not None and job.state == "succeeded"
    assert site.invalidations()[before:] == [["/*"]]
    report = json.loads(site.s3.get_object(Bucket=site.drafts, Key=job.report)["Body"].read())
    assert report["invalidated"] == ["/*"] and report["changed"] == len(site.site_objects())


def test_a_job_gives_posts_published_before_search_their_search_texts(site: Aws) -> None:
    """A site indexed before search existed (the preload writes no search record, as publishes
    then did): a rebuild of posts writes each post's search record as a publish would, and
    marks search due; a second rebuild finds them all there and marks nothing."""
    store = SearchStore(site.ddb, site.stack.config.index_table)
    assert search_items(site) == {} and store.marker() is None
    start(site)
    drain(site)
    expected = {key_of(day, slug): published_search_item(site, day, slug, tags) for day, slug, tags in POSTS}
    assert search_items(site) == expected
    marker = store.marker()
    assert marker is not None and store.clear(marker)
    start(site)
    drain(site)
    assert search_items(site) == expected
    assert store.marker() is None  # nothing was missing: no search job for nothing
