"""Warnings for Jekyll habits that do not render here: Liquid and raw HTML, each with its line."""

from __future__ import annotations

from stitchpress.core.jekyll import MAX_PER_KIND, source_warnings
from stitchpress.core.model import SiteSettings
from stitchpress.core.pipeline import compile_draft

DRAFT = """---
title: Jekyll post
date: 2025-09-21
---

Hello {{ site.url }}/about

{% highlight ruby %}
puts 1
{% endhighlight %}

<div class="x">hi</div>

`{{ ok }}` and `<b>` and <https://example.com> and a < b > c

```
{% raw %} <b>
```
"""


def warnings(text: str) -> list[str]:
    post = compile_draft("drafts/2025-09-21-jekyll.md", text.encode(), SiteSettings())
    return [
        m.format(post.summary.source_key) for m in post.messages if "Liquid" in m.text or "HTML" in m.text
    ]


def test_liquid_and_raw_html_are_warned_about_with_their_lines() -> None:
    found = warnings(DRAFT)
    assert [w.split(": warning")[0] for w in found] == [
        "drafts/2025-09-21-jekyll.md:6",
        "drafts/2025-09-21-jekyll.md:8",
        "drafts/2025-09-21-jekyll.md:10",
        "drafts/2025-09-21-jekyll.md:12",
    ]
    assert "Liquid {{ site.url }}" in found[0]
    assert "Liquid {% highlight %}" in found[1] and "fenced code block" in found[1]
    assert "HTML <div> is shown as text" in found[3]


def test_code_and_autolinks_are_left_alone() -> None:
    body = "`{{ x }}` `<b>` <https://a.example> <me@example.com> 1 < 2 > 0\n\n~~~\n{% if %}<i>\n~~~\n"
    assert source_warnings(body, 5) == []


def test_a_page_full_of_liquid_gets_a_bounded_list() -> None:
    body = "".join(f"{{{{ site.x{n} }}}}\n\n" for n in range(40))
    found = source_warnings(body, 1)
    assert len(found) == MAX_PER_KIND + 1
    assert found[-1].text.startswith(f"{40 - MAX_PER_KIND} more Liquid tags")


def test_a_clean_draft_gets_none() -> None:
    assert warnings("---\ntitle: Clean\ndate: 2025-09-21\n---\n\nPlain *Markdown* text.\n") == []
