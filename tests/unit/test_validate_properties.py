"""Properties of draft validation: whatever bytes or front matter arrive, the outcome is a parsed
draft or a DraftRejected with at least one error; no other exception reaches the writer."""

from __future__ import annotations

import string
from datetime import date, datetime, timedelta, timezone
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stitchpress.core.model import DraftRejected, SiteSettings
from stitchpress.core.urls import url_key
from stitchpress.core.validate import KNOWN_FIELDS, parse_draft

KEY = "drafts/2025-09-21-x.md"
FIELDS = sorted(KNOWN_FIELDS)  # every field the validator knows, and random others (below)

# Modest example counts: the suite's run time matters more than a few more random cases.
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

offsets = st.integers(min_value=-23 * 60, max_value=23 * 60).map(lambda m: timezone(timedelta(minutes=m)))
datetimes = st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)).flatmap(
    lambda d: st.sampled_from([d, d.replace(microsecond=0)])
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=30),
    st.dates(),
    datetimes,
    st.builds(lambda d, tz: d.replace(tzinfo=tz), datetimes, offsets),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
random_fields = st.dictionaries(st.one_of(st.sampled_from(FIELDS), st.text(max_size=10)), values, max_size=8)
# A valid title and date underneath the random fields, so that random values of the other fields
# are judged too (random fields may still replace title or date).
front_matters = st.builds(
    lambda base, extra: {**base, **extra},
    st.fixed_dictionaries(
        {
            "title": st.text(string.ascii_letters, min_size=1, max_size=20),
            "date": st.dates(date(1900, 1, 1), date(2999, 12, 31)),
        }
    ),
    random_fields,
)


def check_outcome(data: bytes) -> None:
    try:
        parsed = parse_draft(KEY, data)
    except DraftRejected as e:
        assert e.errors, "rejected without an error message"
        for m in e.messages:
            assert m.text and m.format(KEY).startswith(KEY)
        return
    meta = parsed.meta
    assert meta.title.strip() == meta.title != ""
    assert meta.date.tzinfo is not None and meta.date.utcoffset() is not None
    assert meta.slug and "/" not in meta.slug and ".." not in meta.slug
    for terms in (meta.tags, meta.categories):
        keys = [t.key for t in terms]
        assert len(keys) == len(set(keys))
        assert all(t.key == url_key(t.name) != "" for t in terms)
    assert meta.reading_time is None or meta.reading_time >= 1
    assert parsed.body.strip()
    assert all(m.level != "error" for m in parsed.warnings)


def as_draft(front_matter: dict[str, Any], body: str) -> bytes:
    text = yaml.safe_dump(front_matter, allow_unicode=True, sort_keys=False)
    return f"---\n{text}---\n{body}".encode()


@FAST
@given(st.binary(max_size=400))
def test_arbitrary_bytes(data: bytes) -> None:
    check_outcome(data)


@FAST
@given(st.binary(max_size=200))
def test_arbitrary_bytes_after_a_valid_opening(data: bytes) -> None:
    check_outcome(b"---\ntitle: x\ndate: 2025-09-21\n" + data)


@FAST
@given(front_matters, st.text(max_size=40))
def test_arbitrary_front_matter(front_matter: dict[str, Any], body: str) -> None:
    check_outcome(as_draft(front_matter, body))


@FAST
@given(st.text(max_size=200), st.text(max_size=40))
def test_arbitrary_front_matter_text(yaml_text: str, body: str) -> None:
    check_outcome(f"---\n{yaml_text}\n---\n{body}".encode(errors="surrogatepass"))


tag_names = st.text(alphabet=string.ascii_letters + "投資技術 -_", min_size=1, max_size=12).filter(
    lambda s: url_key(s) != ""
)


@FAST
@given(
    title=st.text(min_size=1, max_size=40).filter(lambda s: s.strip() and url_key(s)),
    when=st.one_of(
        st.dates(min_value=date(1900, 1, 1), max_value=date(2999, 12, 31)),
        st.builds(
            lambda d, tz: d.replace(tzinfo=tz),
            st.datetimes(min_value=datetime(1900, 1, 2), max_value=datetime(2999, 12, 30)),
            offsets,
        ),
    ),
    tags=st.lists(tag_names, max_size=6),
)
def test_valid_front_matter_is_always_accepted(title: str, when: date, tags: list[str]) -> None:
    data = as_draft({"title": title, "date": when, "tags": tags}, "Some text.\n")
    parsed = parse_draft("drafts/post.md", data)
    assert parsed.meta.title == " ".join(title.split())
    expected = when if isinstance(when, datetime) else datetime(when.year, when.month, when.day)
    assert parsed.meta.date.replace(tzinfo=None) == expected.replace(tzinfo=None)
    assert parsed.meta.date.utcoffset() == (expected.utcoffset() or timedelta(0))
    assert {t.key for t in parsed.meta.tags} == {url_key(" ".join(t.split())) for t in tags}


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.binary(max_size=300), st.builds(as_draft, front_matters, st.text(max_size=60))))
def test_compile_draft_only_raises_draft_rejected(data: bytes) -> None:
    from stitchpress.core.pipeline import compile_draft

    try:
        post = compile_draft(KEY, data, SiteSettings(), max_bytes=10_000)
    except DraftRejected as e:
        assert e.errors
        return
    assert all(m.level != "error" for m in post.messages)
    assert post.reading_time >= 1
