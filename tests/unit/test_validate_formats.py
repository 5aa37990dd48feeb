"""TOML (`+++`, Hugo) and JSON (`{ }`) front matter: the same fields, rules and line numbers as YAML."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime

import pytest

from stitchpress.core.model import DraftRejected, Term
from stitchpress.core.validate import parse_draft
from tests.helpers import JST

KEY = "drafts/2025-09-21-x.md"


def rejected(text: str) -> list[str]:
    with pytest.raises(DraftRejected) as info:
        parse_draft(KEY, text.encode())
    return [m.format(KEY) for m in info.value.messages]


HUGO = """\
+++
title = "Hello from Hugo"
date = 2025-09-21T08:30:00+09:00
tags = ["ai", "Meta", "chips"]
categories = "news"
draft = false
reading_time = 4
+++
Body text.
"""


def test_toml_fields_become_the_post_metadata() -> None:
    draft = parse_draft(KEY, HUGO.encode())
    meta = draft.meta
    assert meta.title == "Hello from Hugo"
    assert meta.date == datetime(2025, 9, 21, 8, 30, tzinfo=JST)
    assert [t.name for t in meta.tags] == ["ai", "Meta", "chips"]
    assert meta.categories == (Term(key="news", name="news"),)
    assert meta.reading_time == 4
    assert meta.draft is False
    assert meta.slug == "x"
    assert draft.body == "Body text.\n"
    assert draft.body_line == 9
    assert draft.warnings == ()


def test_toml_date_validates_like_a_yaml_date() -> None:
    local = parse_draft(KEY, b'+++\ntitle = "t"\ndate = 2025-09-21T08:30:00\n+++\nBody\n').meta.date
    day = parse_draft(KEY, b'+++\ntitle = "t"\ndate = 2025-09-21\n+++\nBody\n').meta.date
    text = parse_draft(KEY, b'+++\ntitle = "t"\ndate = "2025-09-21 08:30:00 +0900"\n+++\nBody\n').meta.date
    assert local == datetime(2025, 9, 21, 8, 30, tzinfo=UTC)
    assert day == datetime(2025, 9, 21, tzinfo=UTC)
    assert text == datetime(2025, 9, 21, 8, 30, tzinfo=JST)
    assert rejected('+++\ntitle = "t"\ndate = 1825-09-21\n+++\nBody\n') == [
        f'{KEY}:3: date: year 1825 in "1825-09-21" is out of range (1900-2999); check the year'
    ]
    assert rejected('+++\ntitle = "t"\ndate = 08:30:00\n+++\nBody\n') == [
        f'{KEY}:3: date: cannot parse "08:30:00"; use YYYY-MM-DD or YYYY-MM-DD HH:MM:SS +ZZZZ'
    ]


def test_toml_errors_name_the_line_of_each_field() -> None:
    text = """\

+++
title = "t"
date = 2025-09-21

reading_time = "soon"
lang = "en_US"
expiryDate = 2024-01-01T00:00:00Z

[params]
x = 1
+++
Body
"""
    assert rejected(text) == [
        f'{KEY}:6: reading_time: expected a whole number of minutes, got "soon"; '
        "write a whole number of minutes, e.g. reading_time: 8",
        f'{KEY}:7: lang: "en_US" is not a language code; use "en-US"',
        f"{KEY}:8: expiryDate: 2024-01-01 00:00:00+00:00 is not after the post's date "
        "2025-09-21 00:00:00+00:00; a post must go live before it expires: fix the date or remove the field",
        f"{KEY}:10: warning: unknown front matter fields (kept, not used): params",
    ]


def test_toml_syntax_error_names_the_line_and_the_fix() -> None:
    assert rejected('+++\ntitle = "t"\ndate = 2025-09-21\nauthor = Ann Lee\n+++\nBody\n') == [
        f'{KEY}:4: front matter: invalid TOML at column 10: Invalid value; put text in quotes, e.g. title = "My post"'
    ]
    assert rejected('+++\ntitle = "t"\ntitle = "u"\n+++\nBody\n')[0].startswith(
        f"{KEY}:3: front matter: invalid TOML"
    )


def test_unclosed_toml_front_matter() -> None:
    assert rejected('+++\ntitle = "t"\ndate = 2025-09-21\nBody\n') == [
        f"{KEY}:1: front matter: not closed; add a +++ line after the last field"
    ]


def test_json_fields_and_line_numbers() -> None:
    good = (
        '{\n  "title": "JSON post",\n  "date": "2025-09-21T08:30:00+09:00",\n  "tags": ["a", "b"]\n}\nBody\n'
    )
    draft = parse_draft(KEY, good.encode())
    assert draft.meta.title == "JSON post"
    assert draft.meta.date == datetime(2025, 9, 21, 8, 30, tzinfo=JST)
    assert [t.name for t in draft.meta.tags] == ["a", "b"]
    assert draft.body_line == 6
    bad = '{\n  "title": "t",\n  "date": "2025-09-21",\n  "tags": ["a", null],\n  "draft": "maybe"\n}\nBody\n'
    assert rejected(bad) == [
        f"{KEY}:4: tags: item 2 is empty; remove it",
        f"{KEY}:5: draft: expected true or false, got text",
    ]


def test_json_syntax_error_names_the_line_and_the_fix() -> None:
    assert rejected('{\n  "title": "t"\n  "date": "2025-09-21"\n}\nBody\n') == [
        f"{KEY}:3: front matter: invalid JSON at column 3: Expecting ',' delimiter; separate the fields with commas"
    ]


def test_validating_yaml_does_not_import_python_frontmatter() -> None:
    code = (
        "import sys; from stitchpress.core.validate import parse_draft; "
        "parse_draft('a.md', b'---\\ntitle: t\\ndate: 2025-09-21\\n---\\nBody\\n'); "
        "print('frontmatter' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("depth", [600, 30_000])
def test_deeply_nested_values_are_rejected_without_a_traceback(depth: int) -> None:
    nested = "[" * depth + "]" * depth
    toml = rejected(f'+++\ntitle = "t"\ndate = 2025-09-21\nx = {nested}\n+++\nBody\n')
    json_ = rejected(f'{{\n"title": "t",\n"date": "2025-09-21",\n"x": {nested}\n}}\nBody\n')
    assert toml[0].startswith(f"{KEY}:") and "TOML" in toml[0] and "nested too deeply" in toml[0]
    assert json_[0].startswith(f"{KEY}:") and "JSON" in json_[0] and "nested too deeply" in json_[0]
