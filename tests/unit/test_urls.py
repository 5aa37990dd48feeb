from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stitchpress.core.urls import object_key, post_path, quote_path, tag_path, url_key


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("AI", "ai"),
        ("ａｉ", "ai"),  # full-width letters fold with NFKC
        ("最新ニュース", "最新ニュース"),
        ("Machine Learning", "machine-learning"),
        ("C++", "c++"),
        ("../../etc/passwd", "etc-passwd"),
        (".hidden", "hidden"),
        ("a/b\\c", "a-b-c"),
        ("  ", ""),
    ],
)
def test_url_key(text: str, key: str) -> None:
    assert url_key(text) == key


@given(st.text())
def test_url_key_never_leaves_its_prefix(text: str) -> None:
    key = url_key(text)
    assert "/" not in key and "\\" not in key and ".." not in key
    assert not key.startswith(".")
    if key:
        assert object_key(tag_path(key)).startswith("tags/")


def test_post_path_uses_the_posts_own_offset() -> None:
    # 08:00 on the 21st in Tokyo is still the 20th in UTC: the writer's date wins.
    date = datetime(2025, 9, 21, 8, 0, tzinfo=timezone(timedelta(hours=9)))
    assert post_path(date, "slug") == "/2025/09/21/slug/"


def test_object_keys() -> None:
    assert object_key("/") == "index.html"
    assert object_key("/tags/ai/") == "tags/ai/index.html"
    assert object_key("/feed.xml") == "feed.xml"
    with pytest.raises(ValueError, match="not a safe site path"):
        object_key("/tags/../../etc/")


def test_quote_path_percent_encodes_non_ascii() -> None:
    assert quote_path("/tags/最新/") == "/tags/%E6%9C%80%E6%96%B0/"
