"""Front matter validation: every rule of issue 4 and every kind of bad input, checked through the
messages a writer sees."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from stitchpress.core.model import DraftRejected, Message, ParsedDraft, Term
from stitchpress.core.validate import (
    DEFAULT_MAX_BYTES,
    EMPTY_BODY_MESSAGE,
    MAX_FRONT_MATTER_CHARS,
    parse_draft,
)
from tests.conftest import EXAMPLE_DRAFT

KEY = "drafts/2025-09-21-x.md"
JST = timezone(timedelta(hours=9))


def draft(front_matter: str, body: str = "Body text.\n") -> bytes:
    return f"---\n{front_matter}---\n{body}".encode()


BASIC = "title: Hello\ndate: 2025-09-21\n"


def ok(data: bytes, key: str = KEY) -> ParsedDraft:
    return parse_draft(key, data)


def rejected(data: bytes, key: str = KEY, **kwargs: int) -> list[str]:
    """The formatted lines a writer would see for a rejected draft."""
    with pytest.raises(DraftRejected) as info:
        parse_draft(key, data, **kwargs)
    assert info.value.errors, "a rejection must carry at least one error"
    return [m.format(key) for m in info.value.messages]


def warnings(parsed: ParsedDraft) -> list[str]:
    return [m.format(parsed.key) for m in parsed.warnings]


# --- the example and the happy path -------------------------------------------------------------


def test_example_draft_parses_with_every_field() -> None:
    key = "drafts/2025-09-21-meta-ai-investment.md"
    parsed = parse_draft(key, EXAMPLE_DRAFT.read_bytes())
    meta = parsed.meta
    assert meta.title == "Metaの6000億ドルAI投資、その真意と業界への波紋とは？"
    assert meta.date == datetime(2025, 9, 21, 8, 34, 12, tzinfo=UTC)
    assert meta.date.utcoffset() == timedelta(0)
    assert meta.categories == (Term("投資分析", "投資分析"),)
    assert [t.name for t in meta.tags] == ["AI", "最新ニュース", "技術動向", "Meta", "投資", "チップ"]
    assert [t.key for t in meta.tags] == ["ai", "最新ニュース", "技術動向", "meta", "投資", "チップ"]
    assert meta.author == "ALLFORCES編集部"
    assert meta.excerpt == "Meta、AIに6000億ドル投資について詳細に分析します。"
    assert meta.reading_time == 8
    assert meta.layout == "post"
    assert meta.slug == "meta-ai-investment"
    assert meta.draft is False
    assert meta.extra == {}
    assert parsed.warnings == ()
    # Lines 1-10 are the front matter (--- on lines 1 and 10); the body starts on line 11.
    assert parsed.body_line == 11
    assert parsed.body.startswith("\nMetaの6000億ドルAI投資")


def test_crlf_bom_and_trailing_spaces_on_delimiters() -> None:
    data = (
        "\ufeff---  \r\ntitle: Hello\r\ndate: 2025-09-21\r\n--- \t\r\n\r\nFirst line\r\nSecond\r\n".encode()
    )
    parsed = ok(data)
    assert parsed.meta.title == "Hello"
    assert parsed.body == "\nFirst line\nSecond\n"
    assert parsed.body_line == 5


def test_dots_close_the_front_matter_and_leading_blank_lines_are_allowed() -> None:
    parsed = ok(b"\n\n---\ntitle: Hello\ndate: 2025-09-21\n...\nText\n")
    assert parsed.meta.title == "Hello"
    assert parsed.body_line == 7
    assert parsed.body == "Text\n"


def test_a_thematic_break_in_the_body_stays_in_the_body() -> None:
    parsed = ok(draft(BASIC, "One\n\n---\n\nTwo\n"))
    assert parsed.body == "One\n\n---\n\nTwo\n"


# --- title -------------------------------------------------------------------------------------


def test_missing_title() -> None:
    assert rejected(draft("date: 2025-09-21\n")) == [
        f'{KEY}:1: title: missing; add a line like title: "My post" to the front matter'
    ]


@pytest.mark.parametrize("value", ["", '""', "'   '", "~", "null"])
def test_empty_title(value: str) -> None:
    assert rejected(draft(f"title: {value}\ndate: 2025-09-21\n")) == [
        f"{KEY}:2: title: is empty; write the post's title"
    ]


def test_title_of_the_wrong_type_names_the_field_and_the_expected_type() -> None:
    assert rejected(draft("title: [a, b]\ndate: 2025-09-21\n")) == [
        f"{KEY}:2: title: expected text, got a list"
    ]
    assert rejected(draft("title:\n  a: b\ndate: 2025-09-21\n")) == [
        f"{KEY}:2: title: expected text, got a mapping"
    ]


def test_plain_scalars_are_titles_as_written() -> None:
    # YAML would make these a number, a float and a boolean; a title keeps the writer's text.
    assert ok(draft("title: 1984\ndate: 2025-09-21\n")).meta.title == "1984"
    assert ok(draft("title: 1.10\ndate: 2025-09-21\n")).meta.title == "1.10"
    assert ok(draft("title: yes\ndate: 2025-09-21\n")).meta.title == "yes"


def test_multi_line_title_becomes_one_line() -> None:
    assert ok(draft("title: >\n  Two\n  lines\ndate: 2025-09-21\n")).meta.title == "Two lines"


# --- date --------------------------------------------------------------------------------------


def test_unparsable_date_reads_like_a_compiler_error() -> None:
    assert rejected(draft('title: x\ndate: "21/09/2025"\n')) == [
        f'{KEY}:3: date: cannot parse "21/09/2025"; use YYYY-MM-DD or YYYY-MM-DD HH:MM:SS +ZZZZ'
    ]


def test_missing_date_suggests_the_file_name_date() -> None:
    assert rejected(draft("title: x\n")) == [f"{KEY}:1: date: missing; add a line like date: 2025-09-21"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2025-09-21", datetime(2025, 9, 21, tzinfo=UTC)),  # YAML date: midnight UTC
        ("2025-09-21 08:34:12", datetime(2025, 9, 21, 8, 34, 12, tzinfo=UTC)),  # naive: UTC
        ("2025-09-21T08:34:12+09:00", datetime(2025, 9, 21, 8, 34, 12, tzinfo=JST)),  # YAML aware
        ("2025-09-21 08:34:12 +0900", datetime(2025, 9, 21, 8, 34, 12, tzinfo=JST)),  # Jekyll
        (
            "2025-09-21 08:34:12 -0130",
            datetime(2025, 9, 21, 8, 34, 12, tzinfo=timezone(-timedelta(minutes=90))),
        ),
        ('"2025-09-21T08:34:12Z"', datetime(2025, 9, 21, 8, 34, 12, tzinfo=UTC)),
        ("2025-09-21 08:34", datetime(2025, 9, 21, 8, 34, tzinfo=UTC)),
        ("2025-9-1", datetime(2025, 9, 1, tzinfo=UTC)),
        ("2025-09-21 08:34:12.5 +09:00", datetime(2025, 9, 21, 8, 34, 12, 500000, tzinfo=JST)),
    ],
)
def test_accepted_date_forms_keep_their_offset(value: str, expected: datetime) -> None:
    meta = ok(draft(f"title: x\ndate: {value}\n"), key="drafts/x.md").meta
    assert meta.date == expected
    assert meta.date.utcoffset() == expected.utcoffset()


def test_impossible_dates_say_what_is_wrong() -> None:
    assert rejected(draft("title: x\ndate: 2025-13-01\n")) == [
        f'{KEY}:3: date: "2025-13-01" is not a valid date (month must be in 1..12); '
        "use YYYY-MM-DD or YYYY-MM-DD HH:MM:SS +ZZZZ"
    ]
    lines = rejected(draft("title: x\ndate: 2025-02-30 10:00:00 +0900\n"))
    assert lines[0].startswith(f'{KEY}:3: date: "2025-02-30 10:00:00 +0900" is not a valid date (')


def test_out_of_range_offset_and_year() -> None:
    assert "offset +2500 is out of range" in rejected(draft("title: x\ndate: 2025-09-21 10:00 +2500\n"))[0]
    assert rejected(draft("title: x\ndate: 0025-09-21\n")) == [
        f'{KEY}:3: date: year 25 in "0025-09-21" is out of range (1900-2999); check the year'
    ]


@pytest.mark.parametrize(("value", "kind"), [("[2025]", "a list"), ("true", "true/false"), ("", "nothing")])
def test_date_of_the_wrong_type(value: str, kind: str) -> None:
    assert rejected(draft(f"title: x\ndate: {value}\n")) == [
        f"{KEY}:3: date: expected a date (use YYYY-MM-DD or YYYY-MM-DD HH:MM:SS +ZZZZ), got {kind}"
    ]


def test_date_differing_from_the_file_name_is_a_warning() -> None:
    parsed = ok(draft("title: x\ndate: 2025-09-22 01:00:00 +0900\n"))
    assert parsed.meta.date.date().isoformat() == "2025-09-22"
    assert warnings(parsed) == [
        f"{KEY}:3: warning: date: 2025-09-22 differs from the file name's date 2025-09-21; "
        "the front matter date is used for the URL"
    ]


# --- tags and categories -----------------------------------------------------------------------


def test_tags_list_trimmed_normalised_and_deduplicated_case_insensitively() -> None:
    meta = ok(draft(BASIC + "tags: ['  AI ', ai, 'ＡＩ', Machine  Learning, 投資, machine learning]\n")).meta
    assert meta.tags == (
        Term("ai", "AI"),  # first spelling wins; "ai" and full-width "ＡＩ" are the same tag
        Term("machine-learning", "Machine Learning"),  # inner whitespace collapsed
        Term("投資", "投資"),
    )


def test_a_tag_string_without_commas_is_split_on_spaces_like_jekyll() -> None:
    meta = ok(draft(BASIC + "tags: ai ml 投資\ncategories: news\n")).meta
    assert [t.name for t in meta.tags] == ["ai", "ml", "投資"]
    assert meta.categories == (Term("news", "news"),)


def test_a_tag_string_with_commas_is_split_on_commas() -> None:
    meta = ok(draft(BASIC + "tags: machine learning, AI\ncategories: 投資分析、技術動向\n")).meta
    assert [t.name for t in meta.tags] == ["machine learning", "AI"]
    assert [t.name for t in meta.categories] == ["投資分析", "技術動向"]


def test_singular_tag_and_category_name_one_term_each() -> None:
    meta = ok(draft(BASIC + "tags: [a]\ntag: big data\ncategory: Deep Dive\n")).meta
    assert [t.name for t in meta.tags] == ["a", "big data"]
    assert meta.categories == (Term("deep-dive", "Deep Dive"),)


def test_numbers_in_a_tag_list_are_kept_as_written() -> None:
    meta = ok(draft(BASIC + "tags: [2025, 1.10]\n")).meta
    assert [t.name for t in meta.tags] == ["2025", "1.10"]


def test_tag_without_usable_characters_is_an_error_naming_it() -> None:
    assert rejected(draft(BASIC + "tags: [ok, '???', '/']\n")) == [
        f'{KEY}:4: tags: "???" has no letters or digits to use in its URL; rename it',
        f'{KEY}:4: tags: "/" has no letters or digits to use in its URL; rename it',
    ]


def test_bad_tag_items_are_reported_on_their_own_line() -> None:
    assert rejected(draft(BASIC + "tags:\n  - fine\n  -\n  - [nested]\n  - {a: b}\n")) == [
        f"{KEY}:6: tags: item 2 is empty; remove it",
        f"{KEY}:7: tags: item 3: expected text, got a list",
        f"{KEY}:8: tags: item 4: expected text, got a mapping",
    ]


def test_tags_of_the_wrong_type() -> None:
    assert rejected(draft(BASIC + "categories: {a: b}\n")) == [
        f"{KEY}:4: categories: expected text or a list of text, got a mapping"
    ]


def test_different_spellings_with_one_url_key_warn() -> None:
    parsed = ok(draft(BASIC + "tags: ['C#', C]\n"))
    assert parsed.meta.tags == (Term("c", "C#"),)
    assert warnings(parsed) == [f'{KEY}:4: warning: tags: "C" and "C#" have the same URL key "c"; using "C#"']


def test_overlong_tag() -> None:
    lines = rejected(draft(BASIC + f"tags: [{'x' * 101}]\n"))
    assert lines == [f'{KEY}:4: tags: "{"x" * 20}…" is 101 characters; keep it under 100']


# --- slug --------------------------------------------------------------------------------------


def test_slug_from_the_file_name() -> None:
    assert ok(draft(BASIC), key="drafts/2025-09-21-My Post.md").meta.slug == "my-post"


def test_slug_from_the_title_when_the_file_name_has_no_date() -> None:
    meta = ok(draft("title: Hello, World!\ndate: 2025-09-21\n"), key="drafts/hello.md").meta
    assert meta.slug == "hello-world"
    meta = ok(draft("title: 日本語のタイトル\ndate: 2025-09-21\n"), key="upload.md").meta
    assert meta.slug == "日本語のタイトル"


def test_a_slug_from_a_long_title_is_cut_at_a_dash() -> None:
    title = " ".join(["word"] * 40)  # 199 characters
    slug = ok(draft(f"title: {title}\ndate: 2025-09-21\n"), key="x.md").meta.slug
    assert len(slug) <= 80
    assert slug == "-".join(["word"] * 16)  # 16 words = 79 characters


def test_explicit_slug_wins_and_is_lower_cased() -> None:
    assert ok(draft(BASIC + "slug: My-Post\n")).meta.slug == "my-post"
    assert ok(draft(BASIC + "slug: v1.2-release\n")).meta.slug == "v1.2-release"


@pytest.mark.parametrize(
    ("slug", "fix"),
    [("../etc/passwd", "etc-passwd"), ("a/b", "a-b"), ("my post", "my-post"), ("'a..b'", "a.b")],
)
def test_unsafe_explicit_slug_is_an_error_with_the_fix(slug: str, fix: str) -> None:
    shown = slug.strip("'")
    assert rejected(draft(BASIC + f"slug: {slug}\n")) == [
        f'{KEY}:4: slug: "{shown}" is not URL-safe (no "/", "..", spaces or punctuation); use "{fix}"'
    ]


def test_slug_with_nothing_usable() -> None:
    assert rejected(draft(BASIC + "slug: '..'\n")) == [
        f'{KEY}:4: slug: ".." has no letters or digits; use letters, digits and "-"'
    ]
    assert rejected(draft(BASIC + "slug: ''\n")) == [
        f"{KEY}:4: slug: is empty; remove the slug line or write one like slug: my-post"
    ]


# --- the other fields --------------------------------------------------------------------------


def test_excerpt_kept_as_written_and_blank_means_derive() -> None:
    assert ok(draft(BASIC + "excerpt: '  A *short* summary. '\n")).meta.excerpt == "A *short* summary."
    assert ok(draft(BASIC + "excerpt:\n")).meta.excerpt is None
    assert ok(draft(BASIC)).meta.excerpt is None


def test_reading_time() -> None:
    assert ok(draft(BASIC + "reading_time: 8\n")).meta.reading_time == 8
    assert ok(draft(BASIC + "reading_time: '12'\n")).meta.reading_time == 12
    assert ok(draft(BASIC)).meta.reading_time is None


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("0", "must be at least 1 minute, got 0"),
        ("-3", "must be at least 1 minute, got -3"),
        ("8 min", 'expected a whole number of minutes, got "8 min"'),
        ("2.5", 'expected a whole number of minutes, got "2.5"'),
        ("true", 'expected a whole number of minutes, got "true"'),
        ("[8]", "expected a whole number of minutes, got a list"),
    ],
)
def test_bad_reading_time(value: str, problem: str) -> None:
    assert rejected(draft(BASIC + f"reading_time: {value}\n")) == [
        f"{KEY}:4: reading_time: {problem}; write a whole number of minutes, e.g. reading_time: 8"
    ]


@pytest.mark.parametrize(
    ("lines", "is_draft"),
    [
        ("draft: true\n", True),
        ("published: false\n", True),
        ("draft: false\npublished: true\n", False),
        ("draft: yes\n", True),
        ("", False),
    ],
)
def test_draft_and_published(lines: str, is_draft: bool) -> None:
    parsed = ok(draft(BASIC + lines))
    assert parsed.meta.draft is is_draft
    assert parsed.warnings == ()


def test_draft_of_the_wrong_type() -> None:
    assert rejected(draft(BASIC + "draft: maybe\npublished: 1\n")) == [
        f"{KEY}:4: draft: expected true or false, got text",
        f"{KEY}:5: published: expected true or false, got a number",
    ]


def test_layouts() -> None:
    assert ok(draft(BASIC + "layout: page\n")).meta.layout == "page"
    parsed = ok(draft(BASIC + "layout: fancy\n"))
    assert parsed.meta.layout == "post"
    assert warnings(parsed) == [
        f'{KEY}:4: warning: layout: unknown layout "fancy"; using "post" (known: post, page)'
    ]


def test_author_and_lang() -> None:
    meta = ok(draft(BASIC + "author: ' Jane '\nlang: ja-JP\n")).meta
    assert (meta.author, meta.lang) == ("Jane", "ja-JP")
    assert rejected(draft(BASIC + "lang: ja_JP\n")) == [
        f'{KEY}:4: lang: "ja_JP" is not a language code; use "ja-JP"'
    ]
    assert rejected(draft(BASIC + "lang: Japanese!\n")) == [
        f'{KEY}:4: lang: "Japanese!" is not a language code; use a language code such as ja or en-US'
    ]


def test_unknown_fields_are_kept_with_one_warning() -> None:
    parsed = ok(draft(BASIC + "permalink: /x/\ncover:\n  src: a.png\nscore: 3\n"))
    assert parsed.meta.extra == {"permalink": "/x/", "cover": {"src": "a.png"}, "score": 3}
    assert warnings(parsed) == [
        f"{KEY}:4: warning: unknown front matter fields (kept, not used): permalink, cover, score"
    ]


def test_image_is_a_path_or_jekyll_seo_tags_mapping() -> None:
    assert ok(draft(BASIC + "image: img/cover.png\n")).meta.image == "img/cover.png"
    assert ok(draft(BASIC + "image:\n  path: cover.jpg\n  alt: x\n")).meta.image == "cover.jpg"
    parsed = ok(draft(BASIC + "image: [a, b]\n"))
    assert parsed.meta.image is None
    assert warnings(parsed) == [
        f"{KEY}:4: warning: image: expected a path next to the draft or an https:// URL, got a list; ignored"
    ]


def test_a_field_given_twice_uses_the_last_with_a_warning() -> None:
    parsed = ok(draft("title: First\ndate: 2025-09-21\ntitle: Second\n"))
    assert parsed.meta.title == "Second"
    assert warnings(parsed) == [f"{KEY}:4: warning: title: given twice (lines 2 and 4); the last one is used"]


def test_yaml_merge_keys_work() -> None:
    meta = ok(draft("base: &b {author: Jane}\n<<: *b\ntitle: x\ndate: 2025-09-21\n")).meta
    assert meta.author == "Jane"


# --- bad input ---------------------------------------------------------------------------------


def test_every_field_error_is_reported_in_one_pass() -> None:
    lines = rejected(draft("title: [x]\ndate: soon\ntags: [ok, '!!!']\nreading_time: zero\nlang: 12\n"))
    assert [line.split(": ")[1] for line in lines] == ["title", "date", "tags", "reading_time", "lang"]


def test_missing_front_matter() -> None:
    assert rejected(b"# Just Markdown\n\nText.\n") == [
        f"{KEY}:1: front matter: missing; the file must start with a --- line, "
        "then fields such as title: and date:, then ---"
    ]


def test_unclosed_front_matter() -> None:
    assert rejected(b"---\ntitle: x\ndate: 2025-09-21\n\nText\n") == [
        f"{KEY}:1: front matter: not closed; add a --- line after the last field"
    ]


def test_empty_file() -> None:
    assert rejected(b"") == [
        f"{KEY}: the file is empty; a draft starts with front matter between --- lines, then the text"
    ]
    assert rejected(b" \n\n")[0].startswith(f"{KEY}: the file is empty")


def test_yaml_syntax_error_reports_the_file_line() -> None:
    # The YAML error is on the third line of the file (the second line of YAML).
    assert rejected(b"---\ntitle: x\ndate: a: b\n---\nText\n") == [
        f"{KEY}:3: front matter: invalid YAML at column 8: mapping values are not allowed here; "
        'put the value in quotes if it contains ": "'
    ]


def test_yaml_error_line_counts_leading_blank_lines_and_bom() -> None:
    lines = rejected("\ufeff\n---\ntitle: x\n\tdate: 2025-09-21\n---\nText\n".encode())
    assert lines == [
        f"{KEY}:4: front matter: invalid YAML at column 1: found character '\\t' that cannot start any token; "
        "use spaces, not tabs"
    ]


def test_unclosed_quote_points_at_the_opening_quote() -> None:
    lines = rejected(b'---\ntitle: "x\ndate: 2025-09-21\n---\nText\n')
    assert lines[0].startswith(f"{KEY}:2: front matter: invalid YAML at column 8:")


def test_control_character_in_yaml() -> None:
    assert rejected(b"---\ntitle: x\nauthor: a\x01b\ndate: 2025-09-21\n---\nText\n") == [
        f"{KEY}:3: front matter: invalid YAML: character U+0001 is not allowed in front matter; remove it"
    ]


@pytest.mark.parametrize(("yaml_text", "kind"), [("- a\n- b\n", "a list"), ("just words\n", "text")])
def test_front_matter_that_is_not_a_mapping(yaml_text: str, kind: str) -> None:
    assert rejected(draft(yaml_text)) == [f"{KEY}:2: front matter: expected `field: value` lines, got {kind}"]


def test_empty_front_matter_reports_the_required_fields() -> None:
    assert rejected(b"---\n---\nText\n", key="x.md") == [
        'x.md:1: title: missing; add a line like title: "My post" to the front matter',
        "x.md:1: date: missing; add a line like date: 2025-09-21 08:30:00 +0900",
    ]


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("!!python/object/apply:os.system ['echo hi']", "!!python/object/apply:os.system"),
        ("!!python/name:os.system ''", "!!python/name:os.system"),
        ("!custom value", "!custom"),
        ("[a, !Ref b]", "!Ref"),
    ],
)
def test_object_building_and_custom_yaml_tags_are_refused(value: str, shown: str) -> None:
    assert rejected(draft(BASIC + f"evil: {value}\n")) == [
        f'{KEY}:4: evil: YAML tag "{shown}" is not allowed; remove it (front matter holds only text, '
        "numbers, dates, true/false, lists and mappings)"
    ]


def test_custom_tag_on_a_known_field_and_on_a_key() -> None:
    assert rejected(draft("title: !secret x\ndate: 2025-09-21\n"))[0].startswith(
        f'{KEY}:2: title: YAML tag "!secret" is not allowed'
    )
    assert rejected(draft(BASIC + "!k key: v\n")) == [
        f"{KEY}:4: front matter: field names must be plain words, e.g. title:"
    ]


def test_recursive_alias_is_refused() -> None:
    assert rejected(draft(BASIC + "loop: &a [*a]\n")) == [
        f"{KEY}:4: loop: a YAML alias refers to itself; remove the recursive * alias"
    ]


def test_alias_bomb_is_refused_quickly() -> None:
    levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    levels += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    lines = rejected(draft(BASIC + "\n".join(levels) + "\n"))
    assert any("the value is too large (over 10,000 items)" in line for line in lines)


def test_deeply_nested_yaml_is_an_error_not_a_crash() -> None:
    lines = rejected(draft(BASIC + "deep: " + "[" * 5000 + "]" * 5000 + "\n"))
    assert lines == [f"{KEY}:1: front matter: the YAML is nested too deeply"]


def test_oversized_front_matter() -> None:
    big = "notes: '" + "x" * MAX_FRONT_MATTER_CHARS + "'\n"
    assert rejected(draft(BASIC + big)) == [
        f"{KEY}:1: front matter: the front matter is {len(BASIC + big) - 1:,} characters, over the limit of "
        f"{MAX_FRONT_MATTER_CHARS:,}; move long text into the body"
    ]


@pytest.mark.parametrize("body", ["", "\n", "  \n\t\n\n"])
def test_empty_body(body: str) -> None:
    assert rejected(draft(BASIC, body)) == [f"{KEY}:4: body: {EMPTY_BODY_MESSAGE}"]


def test_empty_body_message_is_shared_wording() -> None:
    assert "no text after the front matter" in EMPTY_BODY_MESSAGE


def test_not_utf8_reports_line_and_byte_offset() -> None:
    data = draft(BASIC, "Good line\nBad \xe9 byte\n").replace("\xe9".encode(), b"\xe9")
    offset = data.index(b"\xe9")
    assert data[:offset].count(b"\n") == 5  # so the bad byte is on line 6
    assert rejected(data) == [
        f"{KEY}:6: not valid UTF-8: byte 0xe9 at byte offset {offset}; save the file as UTF-8"
    ]


def test_not_utf8_offset_counts_the_bom() -> None:
    data = b"\xef\xbb\xbf---\ntitle: caf\xe9\ndate: 2025-09-21\n---\nText\n"
    # BOM (3) + "---\n" (4) + "title: caf" (10): the bad byte is at offset 17 of the file, line 2.
    assert rejected(data) == [
        f"{KEY}:2: not valid UTF-8: byte 0xe9 at byte offset 17; save the file as UTF-8"
    ]


def test_utf16_is_named() -> None:
    assert rejected(draft(BASIC).decode().encode("utf-16")) == [
        f"{KEY}:1: the file is UTF-16; save it as UTF-8"
    ]


def test_nul_byte_reports_its_line() -> None:
    data = draft(BASIC, "Line one\nLine\x00two\n")
    offset = len(b"---\ntitle: Hello\ndate: 2025-09-21\n---\nLine one\nLine")
    assert data[offset] == 0
    assert rejected(data) == [
        f"{KEY}:6: the file contains a NUL byte (byte offset {offset}); drafts must be UTF-8 text"
    ]


def test_over_the_size_limit_names_size_limit_and_setting() -> None:
    data = draft(BASIC, "x" * 200)
    assert rejected(data, max_bytes=100) == [
        f"{KEY}: the draft is {len(data)} bytes, over the limit of 100 bytes; "
        "shorten or split it, or raise the MAX_DRAFT_BYTES setting"
    ]
    big = b"x" * (DEFAULT_MAX_BYTES + 1)
    assert rejected(big) == [
        f"{KEY}: the draft is 2,097,153 bytes, over the limit of 2,097,152 bytes; "
        "shorten or split it, or raise the MAX_DRAFT_BYTES setting"
    ]


def test_exactly_at_the_size_limit_is_accepted() -> None:
    data = draft(BASIC)
    assert ok(data).meta.title == "Hello"
    assert parse_draft(KEY, data, max_bytes=len(data)).meta.title == "Hello"


def test_rejection_carries_warnings_too_errors_first() -> None:
    with pytest.raises(DraftRejected) as info:
        parse_draft(KEY, draft("date: 2025-09-21\nlayout: fancy\n"))
    levels = [m.level for m in info.value.messages]
    assert levels == ["error", "warning"]
    assert info.value.errors == [
        Message(
            "error", 'missing; add a line like title: "My post" to the front matter', line=1, field="title"
        )
    ]


def test_too_many_tags_and_categories_are_rejected() -> None:
    tags = ", ".join(f"t{i}" for i in range(16))
    cats = ", ".join(f"c{i}" for i in range(6))
    data = f"---\ntitle: T\ndate: 2025-01-01\ntags: [{tags}]\ncategories: [{cats}]\n---\n\nBody.\n".encode()
    with pytest.raises(DraftRejected) as e:
        parse_draft("drafts/2025-01-01-t.md", data)
    lines = [m.format("drafts/2025-01-01-t.md") for m in e.value.errors]
    assert "drafts/2025-01-01-t.md:4: tags: 16 tags; use at most 15" in lines
    assert "drafts/2025-01-01-t.md:5: categories: 6 categories; use at most 5" in lines
