"""Issue 18: search. Publishes keep each post's text in the index and mark search due; once they
pause, the sweep starts one search job, which writes Pagefind's index to the site (content-hashed
files, the entry last), invalidates only the entry, and deletes the files the new index no
longer uses after the grace period. Runs the real Pagefind binary (pagefind-bin)."""

from __future__ import annotations

import gzip
import json
import re
from datetime import timedelta
from typing import Any

from stitchpress.aws.search_store import SearchStore
from stitchpress.core import clock
from stitchpress.service.sweep import start_search
from tests.functional.conftest import Aws, load_app
from tests.helpers import draft, publish, s3_event

QUIET, LONGEST = 30.0, 300.0


def sweep(aws: Aws, after: float) -> bool:
    """The sweep, `after` seconds after the last publish."""
    store = SearchStore(aws.ddb, aws.stack.config.index_table)
    marker = store.marker()
    now = (marker.last if marker else clock.now()) + timedelta(seconds=after)
    return start_search(store, aws.sqs, aws.stack.search_queue_url, now, QUIET, LONGEST)


def run_search_jobs(aws: Aws) -> int:
    """Deliver the search queue's messages to functions/search/app.py as Lambda would (one
    batch); the number of messages."""
    resp = aws.sqs.receive_message(QueueUrl=aws.stack.search_queue_url, MaxNumberOfMessages=10)
    messages = resp.get("Messages", [])
    if messages:
        event = {
            "Records": [
                {"messageId": m["MessageId"], "body": m["Body"], "eventSource": "aws:sqs"} for m in messages
            ]
        }
        assert load_app("search").handler(event, None) == {"batchItemFailures": []}
        for m in messages:
            aws.sqs.delete_message(QueueUrl=aws.stack.search_queue_url, ReceiptHandle=m["ReceiptHandle"])
    return len(messages)


def pagefind_files(aws: Aws) -> dict[str, dict[str, Any]]:
    out = {}
    for page in aws.s3.get_paginator("list_objects_v2").paginate(Bucket=aws.site, Prefix="pagefind/"):
        for obj in page.get("Contents", []):
            out[obj["Key"]] = aws.s3.head_object(Bucket=aws.site, Key=obj["Key"])
    return out


def _unzip(aws: Aws, key: str) -> bytes:
    return gzip.decompress(aws.s3.get_object(Bucket=aws.site, Key=key)["Body"].read()).removeprefix(
        b"pagefind_dcd"
    )


def fragments(aws: Aws) -> dict[str, dict[str, Any]]:
    """url -> each page of the live index (Pagefind's fragment: gzip of "pagefind_dcd" + JSON):
    the fragments whose hash the meta files named by the entry list."""
    entry = json.loads(aws.s3.get_object(Bucket=aws.site, Key="pagefind/pagefind-entry.json")["Body"].read())
    metas = b"".join(
        _unzip(aws, f"pagefind/pagefind.{lang['hash']}.pf_meta") for lang in entry["languages"].values()
    )
    out = {}
    for key in pagefind_files(aws):
        name = key.removeprefix("pagefind/fragment/").removesuffix(".pf_fragment")
        if key.startswith("pagefind/fragment/") and name.encode() in metas:
            page = json.loads(_unzip(aws, key))
            out[page["url"]] = page
    return out


def posts(aws: Aws) -> None:
    publish(
        aws,
        "drafts/2025-05-01-tsumitate.md",
        draft("積立の話", "2025-05-01", ["money"], body="長期の投資信託について考えます。", lang="ja"),
    )
    publish(
        aws,
        "drafts/2025-05-02-theme.md",
        draft("Picking a theme", "2025-05-02", ["web"], body="A theme shapes how readers see the site."),
    )
    publish(
        aws,
        "drafts/2025-05-03-notes.md",
        draft("Notes", "2025-05-03", ["web"], body="Short notes on writing."),
    )


def test_a_burst_of_publishes_builds_the_index_once_and_only_the_entry_is_invalidated(aws: Aws) -> None:
    posts(aws)
    assert pagefind_files(aws) == {}  # no publish builds the index itself
    assert not sweep(aws, after=QUIET - 5)  # still within the burst
    assert sweep(aws, after=QUIET)
    assert not sweep(aws, after=QUIET + 60)  # the mark was cleared: one job for the burst
    assert run_search_jobs(aws) == 1

    files = pagefind_files(aws)
    entry = json.loads(aws.s3.get_object(Bucket=aws.site, Key="pagefind/pagefind-entry.json")["Body"].read())
    assert set(entry["languages"]) == {"en", "ja"}  # the Japanese post is in a "ja" index
    assert entry["languages"]["ja"]["page_count"] == 1 and entry["languages"]["en"]["page_count"] == 2
    for lang in ("en", "ja"):  # the meta files the entry names exist, under their hashed names
        assert f"pagefind/pagefind.{entry['languages'][lang]['hash']}.pf_meta" in files
    assert "pagefind/pagefind.js" in files and "pagefind/pagefind-ui.js" in files
    assert files["pagefind/pagefind.js"]["ContentType"].startswith("text/javascript")
    hashed = [k for k in files if re.match(r"pagefind/(fragment|index)/", k)]
    assert hashed and all("immutable" in files[k]["CacheControl"] for k in hashed)
    indexed = fragments(aws)
    assert set(indexed) == {"/2025/05/01/tsumitate/", "/2025/05/02/theme/", "/2025/05/03/notes/"}
    japanese = indexed["/2025/05/01/tsumitate/"]["content"]
    assert "長期の投資信託" in japanese.replace("\u200b", "")  # from the index, as published
    # Segmented into words (Pagefind extended marks the breaks): a search for 投資 finds it.
    assert "投資" in japanese.split("\u200b")
    assert indexed["/2025/05/02/theme/"]["meta"]["title"] == "Picking a theme"
    assert "<" not in indexed["/2025/05/02/theme/"]["content"]  # text, not markup
    first_invalidations = aws.invalidations()
    assert not any(p.startswith("/pagefind/") for paths in first_invalidations for p in paths)

    # A second burst: an edit, a new post and an unpublish -> one more job.
    publish(
        aws,
        "drafts/2025-05-02-theme.md",
        draft("Picking a theme", "2025-05-02", ["web"], body="Fonts and colours: a theme for readers."),
    )
    publish(aws, "drafts/2025-05-04-more.md", draft("More", "2025-05-04", ["web"], body="Static search."))
    aws.invoke(s3_event(aws, "drafts/2025-05-03-notes.md", kind="delete"))
    assert sweep(aws, after=QUIET) and not sweep(aws, after=QUIET + 1)
    assert run_search_jobs(aws) == 1
    indexed = fragments(aws)
    assert "/2025/05/03/notes/" not in indexed and "/2025/05/04/more/" in indexed
    new_invalidations = aws.invalidations()[len(first_invalidations) :]
    search_paths = [p for paths in new_invalidations for p in paths if p.startswith("/pagefind/")]
    assert search_paths == ["/pagefind/pagefind-entry.json"]  # everything else has a new name
    # The old files stay for readers holding the old entry: no fewer files than before.
    assert set(files) - {"pagefind/pagefind-entry.json"} <= set(pagefind_files(aws))


def test_unused_index_files_are_deleted_after_the_grace_period(aws: Aws, monkeypatch: Any) -> None:
    from stitchpress.service import search_job

    posts(aws)
    assert sweep(aws, after=QUIET)
    run_search_jobs(aws)
    first = set(pagefind_files(aws))
    aws.invoke(s3_event(aws, "drafts/2025-05-03-notes.md", kind="delete"))
    assert sweep(aws, after=QUIET)
    run_search_jobs(aws)
    second = set(pagefind_files(aws))
    assert first <= second  # unused, but within the grace period

    # A day and a bit later, another change: the files unused since the last job are deleted.
    later = clock.now() + timedelta(seconds=search_job.DEFAULT_GRACE_SECONDS + 60)
    monkeypatch.setattr(clock, "now", lambda: later)
    publish(aws, "drafts/2025-05-04-more.md", draft("More", "2025-05-04", ["web"], body="Static search."))
    assert sweep(aws, after=QUIET)
    run_search_jobs(aws)
    third = set(pagefind_files(aws))
    entry = json.loads(aws.s3.get_object(Bucket=aws.site, Key="pagefind/pagefind-entry.json")["Body"].read())
    for lang in entry["languages"].values():
        assert f"pagefind/pagefind.{lang['hash']}.pf_meta" in third
    gone = first - third
    assert gone and all(
        re.match(r"pagefind/(fragment|index|filter)/|pagefind/pagefind\..*\.pf_meta", k) for k in gone
    )
    assert "/2025/05/03/notes/" not in fragments(aws)


def test_a_publish_that_changes_no_search_record_does_not_mark_search_due(aws: Aws) -> None:
    # Was: every publish marked search due, so an identical re-upload started a search job.
    store = SearchStore(aws.ddb, aws.stack.config.index_table)
    key, data = "drafts/2025-05-02-theme.md", draft("Picking a theme", "2025-05-02", ["web"], body="Themes.")
    publish(aws, key, data)
    marker = store.marker()
    assert marker is not None and store.clear(marker)

    assert publish(aws, key, data)["status"] == "published"  # the same bytes again
    assert store.marker() is None
    retagged = draft("Picking a theme", "2025-05-02", ["web", "design"], body="Themes.")
    assert publish(aws, key, retagged)["status"] == "published"  # the site changes, search does not
    assert store.marker() is None

    assert publish(aws, key, draft("Picking a theme", "2025-05-02", ["web"], body="Colours."))["status"] == (
        "published"
    )
    assert store.marker() is not None
    assert [r.text for r in store.records("en")] == ["Colours."]
    assert store.clear(store.marker())  # type: ignore[arg-type]
    publish(aws, key, draft("Choosing a theme", "2025-05-02", ["web"], body="Colours."))  # a new title
    assert [r.title for r in store.records("en")] == ["Choosing a theme"] and store.marker() is not None
