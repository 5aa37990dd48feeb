"""Front matter cases that mutation testing found unchecked (issue 15): every limit pinned at its
boundary, and the messages of rarely seen mistakes, as the writer sees them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from stitchpress.core.model import DraftRejected, ParsedDraft
from stitchpress.core.validate import MAX_READING_TIME, MAX_TERM_CHARS, parse_draft

KEY = "drafts/2025-09-21-x.md"
BASIC = "title: Hello\ndate: 2025-09-21\n"
DATE_HINT = "use YYYY-MM-DD or YYYY-MM-DD HH:MM:SS +ZZZZ"
MINUTES_HINT = "write a whole number of minutes, e.g. reading_time: 8"


def draft(front_matter: str, body: str = "Body text.\n") -> bytes:
    return f"---\n{front_matter}---\n{body}".encode()


def ok(data: bytes) -> ParsedDraft:
    return parse_draft(KEY, data)


def rejected(data: bytes) -> list[str]:
    with pytest.raises(DraftRejected) as info:
        parse_draft(KEY, data)
    assert info.value.errors, "a rejection must carry at least one error"
    assert all(m.text for m in info.value.messages), "every message says something"
    return [m.format(KEY) for m in info.value.messages]


# --- YAML merge keys --------------------------------------------------------------------------


def test_merge_of_a_list_of_numbers_is_rejected_with_a_message() -> None:
    assert rejected(draft(BASIC + "<<: [1, 2]\n")) == [
        f"{KEY}:4: front matter: invalid YAML merge (<<): expected a mapping for merging, but found scalar"
    ]


def test_merge_of_a_number_is_rejected_with_a_message() -> None:
    assert rejected(draft(BASIC + "<<: 1\n")) == [
        f"{KEY}:4: front matter: invalid YAML merge (<<): expected a mapping or list of mappings for "
        "merging, but found scalar"
    ]


# --- bytes ------------------------------------------------------------------------------------


def test_nul_at_the_very_first_byte_is_reported_as_a_nul() -> None:
    lines = rejected(b"\x00" + draft(BASIC))
    assert lines[0] == f"{KEY}:1: the file contains a NUL byte (byte offset 0); drafts must be UTF-8 text"


def test_invalid_utf8_names_its_line_and_byte_offset() -> None:
    data = b"---\ntitle: Hello\ndate: 2025-09-21\n---\nfine\nline \xff here\n"
    offset = data.index(b"\xff")
    assert rejected(data) == [
        f"{KEY}:6: not valid UTF-8: byte 0xff at byte offset {offset}; save the file as UTF-8"
    ]


def test_invalid_utf8_after_a_bom_counts_the_bom_in_the_offset() -> None:
    data = b"\xef\xbb\xbf" + draft(BASIC) + b"caf\xe9\n"
    offset = data.index(b"\xe9")
    assert rejected(data) == [
        f"{KEY}:6: not valid UTF-8: byte 0xe9 at byte offset {offset}; save the file as UTF-8"
    ]


# --- tags -------------------------------------------------------------------------------------


@pytest.mark.parametrize("empty", ['""', "~", "''"])
def test_empty_item_before_a_good_tag_is_an_error_naming_the_item(empty: str) -> None:
    assert rejected(draft(BASIC + f"tags: [{empty}, a]\n")) == [f"{KEY}:4: tags: item 1 is empty; remove it"]


def test_empty_item_on_its_own_line_names_that_line() -> None:
    assert rejected(draft(BASIC + 'tags:\n  - a\n  - ""\n')) == [f"{KEY}:6: tags: item 2 is empty; remove it"]


def test_tag_length_is_pinned_at_its_boundary() -> None:
    assert MAX_TERM_CHARS == 100
    longest = "a" * MAX_TERM_CHARS
    assert [t.name for t in ok(draft(BASIC + f"tags: [{longest}]\n")).meta.tags] == [longest]
    assert rejected(draft(BASIC + f"tags: [{longest}b]\n")) == [
        f'{KEY}:4: tags: "{"a" * 20}…" is 101 characters; keep it under 100'
    ]


def test_number_of_tags_is_pinned_at_its_boundary() -> None:
    fifteen = ", ".join(f"t{i}" for i in range(15))
    assert len(ok(draft(BASIC + f"tags: [{fifteen}]\n")).meta.tags) == 15
    assert rejected(draft(BASIC + f"tags: [{fifteen}, t15]\n")) == [f"{KEY}:4: tags: 16 tags; use at most 15"]
    five = ", ".join(f"c{i}" for i in range(5))
    assert len(ok(draft(BASIC + f"categories: [{five}]\n")).meta.categories) == 5
    assert rejected(draft(BASIC + f"categories: [{five}, c5]\n")) == [
        f"{KEY}:4: categories: 6 categories; use at most 5"
    ]


# --- reading time -----------------------------------------------------------------------------


def test_reading_time_is_pinned_at_its_boundaries() -> None:
    assert MAX_READING_TIME == 24 * 60
    assert ok(draft(BASIC + "reading_time: 1\n")).meta.reading_time == 1
    assert ok(draft(BASIC + "reading_time: 1440\n")).meta.reading_time == 1440
    assert rejected(draft(BASIC + "reading_time: 0\n")) == [
        f"{KEY}:4: reading_time: must be at least 1 minute, got 0; {MINUTES_HINT}"
    ]
    assert rejected(draft(BASIC + "reading_time: 1441\n")) == [
        f"{KEY}:4: reading_time: 1441 minutes is more than a day; {MINUTES_HINT}"
    ]


# --- what a value is, in messages -------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("true", "true/false"),
        ("[1]", "a list"),
        ("{a: 1}", "a mapping"),
        ("!!binary aGVsbG8=", "binary data"),
        ("", "nothing"),
    ],
)
def test_a_date_that_is_not_one_says_what_it_is(value: str, kind: str) -> None:
    assert rejected(draft(f"title: Hello\ndate: {value}\n")) == [
        f"{KEY}:3: date: expected a date ({DATE_HINT}), got {kind}"
    ]


# --- dates ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (
            "2025-09-21 08:00:00 -0930",
            datetime(2025, 9, 21, 8, tzinfo=timezone(-timedelta(hours=9, minutes=30))),
        ),
        (
            "2025-09-21 08:00:00 +0545",
            datetime(2025, 9, 21, 8, tzinfo=timezone(timedelta(hours=5, minutes=45))),
        ),
        ("2025-09-21 08:00:00 +23", datetime(2025, 9, 21, 8, tzinfo=timezone(timedelta(hours=23)))),
        ("2025-09-21T08:00:00.5Z", datetime(2025, 9, 21, 8, 0, 0, 500_000, tzinfo=UTC)),
        ("2025-09-21 08:07:06.1234567 UTC", datetime(2025, 9, 21, 8, 7, 6, 123_456, tzinfo=UTC)),
        ("2025-09-21 8:07", datetime(2025, 9, 21, 8, 7, tzinfo=UTC)),
    ],
)
def test_date_forms(value: str, expected: datetime) -> None:
    parsed = ok(draft(f"title: Hello\ndate: {value}\n")).meta.date
    assert parsed == expected and parsed.utcoffset() == expected.utcoffset()


@pytest.mark.parametrize(("offset", "shown"), [("+2400", "+2400"), ("+09:60", "+0960"), ("-24", "-24")])
def test_offset_out_of_range(offset: str, shown: str) -> None:
    value = f"2025-09-21 08:00:00 {offset}"
    assert rejected(draft(f"title: Hello\ndate: {value}\n")) == [
        f'{KEY}:3: date: "{value}" is not a valid date (offset {shown} is out of range); {DATE_HINT}'
    ]


@pytest.mark.parametrize(("year", "accepted"), [(1899, False), (1900, True), (2999, True), (3000, False)])
def test_year_range_is_pinned_at_its_boundaries(year: int, accepted: bool) -> None:
    data = draft(f"title: Hello\ndate: {year}-01-02\n")
    if accepted:
        assert ok(data).meta.date.year == year
    else:
        assert rejected(data)[0] == (
            f'{KEY}:3: date: year {year} in "{year}-01-02" is out of range (1900-2999); check the year'
        )


@pytest.mark.parametrize(
    ("value", "kind"),
    [("1.5", "a number"), ("2025-01-01", "a date"), ("!!seq x", "a value"), ("maybe", "text")],
)
def test_a_flag_that_is_not_true_or_false_says_what_it_is(value: str, kind: str) -> None:
    assert rejected(draft(BASIC + f"draft: {value}\n")) == [
        f"{KEY}:4: draft: expected true or false, got {kind}"
    ]


def test_a_title_that_is_not_text_is_one_error_not_also_empty() -> None:
    assert rejected(draft("title: !!binary aGVsbG8=\ndate: 2025-09-21\n")) == [
        f"{KEY}:2: title: expected text, got binary data"
    ]


def test_nul_after_leading_blank_lines_names_its_line() -> None:
    data = b"\n\n---\ntitle: a\x00b\ndate: 2025-09-21\n---\nbody\n"
    assert rejected(data) == [
        f"{KEY}:4: the file contains a NUL byte (byte offset 14); drafts must be UTF-8 text"
    ]


def test_a_control_character_in_front_matter_is_named_by_its_code_point() -> None:
    assert rejected(draft(BASIC + "author: a\x07b\n")) == [
        f"{KEY}:4: front matter: invalid YAML: character U+0007 is not allowed in front matter; remove it"
    ]


# --- expiry -----------------------------------------------------------------------------------


def test_expires_and_expiry_date_together_is_an_error_on_the_second() -> None:
    assert rejected(draft(BASIC + "expires: 2025-09-22\nexpiryDate: 2025-09-23\n")) == [
        f"{KEY}:5: expiryDate: both expires (line 4) and expiryDate are given; keep one of them"
    ]


def test_expiry_must_be_after_the_date_even_by_one_second() -> None:
    assert ok(draft(BASIC + "expires: 2025-09-21 00:00:01\n")).meta.expires == datetime(
        2025, 9, 21, 0, 0, 1, tzinfo=UTC
    )
    assert rejected(draft(BASIC + "expires: 2025-09-21\n")) == [
        f"{KEY}:4: expires: 2025-09-21 00:00:00+00:00 is not after the post's date 2025-09-21 00:00:00+00:00; "
        "a post must go live before it expires: fix the date or remove the field"
    ]
    assert rejected(draft(BASIC + "expiryDate: 2025-09-20 10:00:00 +0000\n")) == [
        f"{KEY}:4: expiryDate: 2025-09-20 10:00:00+00:00 is not after the post's date 2025-09-21 00:00:00+00:00; "
        "a post must go live before it expires: fix the date or remove the field"
    ]


def test_empty_expires_means_no_expiry() -> None:
    assert ok(draft(BASIC + "expires:\n")).meta.expires is None


# --- slug -------------------------------------------------------------------------------------


def test_slug_length_is_pinned_at_its_boundary() -> None:
    assert ok(draft(BASIC + "slug: " + "a" * 200 + "\n")).meta.slug == "a" * 200
    assert rejected(draft(BASIC + "slug: " + "a" * 201 + "\n")) == [
        f"{KEY}:4: slug: is 201 characters; keep it under 200"
    ]


def test_slug_from_a_long_title_without_a_dash_in_its_second_half_is_cut_at_80() -> None:
    parsed = parse_draft("x.md", draft("title: " + "a" * 90 + "\ndate: 2025-09-21\n"))
    assert parsed.meta.slug == "a" * 80
    parsed = parse_draft("x.md", draft("title: " + "b" * 30 + " " + "a" * 90 + "\ndate: 2025-09-21\n"))
    assert parsed.meta.slug == "b" * 30 + "-" + "a" * 49


def test_title_without_letters_and_no_slug_is_an_error_on_the_title_line() -> None:
    with pytest.raises(DraftRejected) as info:
        parse_draft("x.md", draft("date: 2025-09-21\ntitle: '!!!'\n"))
    assert [m.format("x.md") for m in info.value.messages] == [
        "x.md:3: slug: cannot make a URL from the title; add a line like slug: my-post"
    ]


# --- layout, singular terms ----------------------------------------------------------------------


def test_no_layout_is_a_post() -> None:
    assert ok(draft(BASIC)).meta.layout == "post"


def test_singular_tag_and_category_name_one_term_each() -> None:
    meta = ok(draft(BASIC + "tag: AI ML\ncategory: 投資\n")).meta
    assert [(t.key, t.name) for t in meta.tags] == [("ai-ml", "AI ML")]
    assert [(c.key, c.name) for c in meta.categories] == [("投資", "投資")]
    assert rejected(draft(BASIC + "tag: [a]\n")) == [f"{KEY}:4: tag: expected text (one name), got a list"]


def test_empty_tags_field_means_no_tags() -> None:
    assert ok(draft(BASIC + "tags:\n")).meta.tags == ()


# --- values too big or too deep, flags, unknown fields ---------------------------------------------


def test_a_value_over_the_item_limit_is_one_error_naming_the_field() -> None:
    items = ",".join(str(i) for i in range(10_001))  # distinct: they would be 10,001 tags
    assert rejected(draft(BASIC + f"tags: [{items}]\n")) == [
        f"{KEY}:2: tags: the value is too large (over 10,000 items)"
    ]


def test_a_value_nested_too_deeply_through_aliases_is_an_error_naming_the_field() -> None:
    # Each alias adds 200 levels without deepening the YAML text itself: v7 is 1,400 deep.
    lines = [f"v{i}: &v{i} " + "[" * 200 + (f"*v{i - 1}" if i > 1 else "x") + "]" * 200 for i in range(1, 8)]
    with pytest.raises(DraftRejected) as info:
        parse_draft(KEY, draft(BASIC + "\n".join(lines) + "\n"))
    errors = [m.format(KEY) for m in info.value.errors]
    assert f"{KEY}:10: v7: the value is nested too deeply" in errors
    assert all(e.endswith(": the value is nested too deeply") for e in errors)
    # Shallower ones pass the check but are too deep to build: unknown fields, so only a warning.
    warnings = [m.format(KEY) for m in info.value.messages if m.level == "warning"]
    assert any(w.endswith(": cannot read the value (nested too deeply); ignored") for w in warnings)
    assert not [w for w in warnings if w.startswith(f"{KEY}:10:")]  # v7 was rejected, not read


def test_quoted_flags_are_read_as_flags() -> None:
    assert ok(draft(BASIC + "draft: 'yes'\n")).meta.draft is True
    assert ok(draft(BASIC + "published: 'no'\n")).meta.draft is True
    assert ok(draft(BASIC + "draft: 'off'\n")).meta.draft is False


def test_reading_time_in_full_width_digits_is_an_error() -> None:
    assert rejected(draft(BASIC + "reading_time: '８'\n")) == [
        f'{KEY}:4: reading_time: expected a whole number of minutes, got "８"; {MINUTES_HINT}'
    ]
    assert ok(draft(BASIC + "reading_time:\n")).meta.reading_time is None


def test_unknown_fields_are_named_even_when_the_name_is_empty() -> None:
    assert [m.format(KEY) for m in ok(draft(BASIC + '"": x\nfoo: bar\n')).warnings] == [
        f'{KEY}:4: warning: unknown front matter fields (kept, not used): "", foo'
    ]


def test_an_unknown_field_that_cannot_be_read_is_a_warning_on_its_line() -> None:
    warnings = [m.format(KEY) for m in ok(draft(BASIC + "foo: !!binary 'not base64!'\n")).warnings]
    assert warnings[0].startswith(
        f"{KEY}:4: warning: foo: cannot read the value (failed to decode base64 data"
    )
    assert warnings[0].endswith("); ignored")


# --- more survivors -------------------------------------------------------------------------------


def test_of_two_nuls_the_first_is_reported() -> None:
    data = draft(BASIC, "a\x00b\x00c\n")
    first = data.index(b"\x00")
    assert rejected(data) == [
        f"{KEY}:5: the file contains a NUL byte (byte offset {first}); drafts must be UTF-8 text"
    ]


def test_old_mac_line_endings_in_a_draft() -> None:
    parsed = ok(b"---\rtitle: Hello\rdate: 2025-09-21\r---\rBody.\r")
    assert (parsed.meta.title, parsed.body) == ("Hello", "Body.\n")


def test_an_impossible_date_in_the_file_name_is_ignored() -> None:
    parsed = parse_draft("drafts/2025-02-30-x.md", draft(BASIC))
    assert (parsed.meta.slug, parsed.warnings) == ("x", ())


def test_an_image_that_is_not_text_is_ignored_with_a_warning() -> None:
    parsed = ok(draft(BASIC + "image: !!binary aGVsbG8=\n"))
    assert [m.format(KEY) for m in parsed.warnings] == [
        f"{KEY}:4: warning: image: expected a path next to the draft or an https:// URL, got binary data; ignored"
    ]


def test_a_date_with_a_forbidden_tag_is_one_error_not_also_missing() -> None:
    assert rejected(draft("title: Hello\ndate: !!python/object:x {}\n")) == [
        f'{KEY}:3: date: YAML tag "!!python/object:x" is not allowed; remove it (front matter holds only '
        "text, numbers, dates, true/false, lists and mappings)"
    ]


def test_basic_iso_dates_and_the_largest_offset_minutes() -> None:
    parsed = ok(draft("title: Hello\ndate: 20250921T080000\n")).meta.date
    assert parsed == datetime(2025, 9, 21, 8, tzinfo=UTC) and parsed.utcoffset() == timedelta(0)
    parsed = ok(draft("title: Hello\ndate: 2025-09-21 08:00:00 +05:59\n")).meta.date
    assert parsed.utcoffset() == timedelta(hours=5, minutes=59)


def test_slug_from_a_long_title_is_cut_at_its_last_dash() -> None:
    parsed = parse_draft("x.md", draft("title: " + "abcdefghij " * 12 + "\ndate: 2025-09-21\n"))
    assert parsed.meta.slug == "-".join(["abcdefghij"] * 7)  # not the "abc" the 80-character cut ends in


def test_author_and_lang_that_are_not_text_are_errors() -> None:
    assert rejected(draft(BASIC + "author: [a]\nlang: [ja]\n")) == [
        f"{KEY}:4: author: expected text, got a list",
        f"{KEY}:5: lang: expected a language code such as ja or en-US, got a list",
    ]
