"""A Hugo-style TOML (`+++`) draft uploaded to the drafts bucket publishes like a YAML one."""

from __future__ import annotations

import copy

from tests.functional.conftest import Aws, load_event

KEY = "drafts/2025-10-02-hugo-notes.md"
DRAFT = """\
+++
title = "Notes from a Hugo site"
date = 2025-10-03T09:15:00+09:00
tags = ["Hugo", "静的サイト"]
categories = ["tools"]
+++

Moving from Hugo keeps the front matter as it was written.
"""


def test_toml_draft_publishes_with_its_title_date_and_tags(aws: Aws) -> None:
    aws.s3.put_object(Bucket=aws.drafts, Key=KEY, Body=DRAFT.encode())
    event = copy.deepcopy(load_event("s3-put.json"))
    event["Records"][0]["s3"]["object"]["key"] = KEY
    event["Records"][0]["s3"]["bucket"]["name"] = aws.drafts

    result = aws.invoke(event)

    # The front matter date (not the file name's) makes the URL, in the writer's time zone.
    url = "/2025/10/03/hugo-notes/"
    assert result["outcomes"] == [{"key": KEY, "status": "published", "url": url}]
    html = aws.page("2025/10/03/hugo-notes/index.html")
    assert "<title>Notes from a Hugo site" in html
    assert 'datetime="2025-10-03T09:15:00+09:00"' in html
    assert "Moving from Hugo keeps the front matter" in html
    assert "+++" not in html and "title =" not in html
    for tag in ("hugo", "静的サイト"):
        tag_page = aws.page(f"tags/{tag}/index.html")
        assert url in tag_page, tag
    assert url in aws.page("categories/tools/index.html")
