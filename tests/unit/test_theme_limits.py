"""Issue 13: a theme override cannot hang the compiler, run away at render time, build huge
values or turn escaping off. Each bomb is reported naming the theme file and line, and the
page renders with the packaged template."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time

import pytest

from stitchpress.core import sandbox
from stitchpress.core.render import Renderer, render_markdown
from tests.helpers import BOMBS, HEAD, SITE, TAIL, parse, post_page, summary, text_of


@pytest.fixture(autouse=True)
def late_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    # The limits below are counts and sizes, checked as the template runs; the wall-clock
    # deadline is only the last line, so it is set far off here (a loaded machine must not
    # change which limit a test sees), except in the test of the deadline itself.
    monkeypatch.setattr(sandbox, "RENDER_SECONDS", 120.0)


@pytest.mark.parametrize("bomb", list(BOMBS))
def test_theme_bomb_is_reported_at_its_line_and_the_packaged_template_used(bomb: str) -> None:
    renderer = Renderer(SITE, {"post.html": HEAD + BOMBS[bomb] + TAIL})
    start = time.monotonic()
    page = post_page(renderer)
    assert time.monotonic() - start < 60  # a hang would not return
    assert text_of(parse(page).find(".//h1")) == "Post 1" and "MINE" not in page
    (problem,) = renderer.problems
    assert problem.file == "theme/post.html" and problem.line == 4, problem
    assert problem.field == "theme" and problem.level == "warning"
    assert "using the packaged post.html instead" in problem.text
    assert problem.format("drafts/a.md").startswith("theme/post.html:4: warning: theme: post.html: ")


def test_the_limits_say_which_limit() -> None:
    said = {}
    for bomb in ("nested loops", "huge string", "lipsum", "safe", "autoescape off", "squaring"):
        renderer = Renderer(SITE, {"post.html": HEAD + BOMBS[bomb] + TAIL})
        post_page(renderer)
        said[bomb] = renderer.problems[0].text
    assert "loops ran over 1,000,000 times for one page" in said["nested loops"]
    assert "a value of 1,000,000,000 characters or items (the limit is 1,000,000)" in said["huge string"]
    assert "2e+06 passed to a filter or function is over 100,000" in said["lipsum"]
    assert "|safe is not allowed in a theme" in said["safe"]
    assert "autoescaping cannot be turned off in a theme" in said["autoescape off"]
    assert "over 4,096 bits" in said["squaring"]


@pytest.mark.parametrize(
    "bomb",
    [
        "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}",
        "{% macro f(n) %}{% if n %}{{ f(n-1) }}{{ f(n-1) }}{% endif %}{% endmacro %}{{ f(60) }}",
    ],
)
def test_what_no_count_stops_the_deadline_does(bomb: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # 10^10 one-character writes; 2^60 macro calls that write nothing
    monkeypatch.setattr(sandbox, "RENDER_SECONDS", 0.5)
    renderer = Renderer(SITE, {"post.html": HEAD + bomb + TAIL})
    start = time.monotonic()
    assert "MINE" not in post_page(renderer)
    assert time.monotonic() - start < 30
    (problem,) = renderer.problems
    assert "the template took over 0.5 s to render one page" in problem.text
    assert (problem.file, problem.line) == ("theme/post.html", 4)


def test_a_template_over_a_limit_is_not_tried_again_for_the_next_pages() -> None:
    overrides = {"post.html": HEAD + "{{ ran() }}" + BOMBS["nested loops"] + TAIL}
    renderer = Renderer(SITE, overrides)
    runs: list[int] = []
    assert renderer._theme is not None and renderer._theme.env is not None
    renderer._theme.env.globals["ran"] = lambda: runs.append(1) or ""  # shared by the theme version
    post_page(renderer)
    assert runs == [1]
    for _ in range(3):
        assert "MINE" not in post_page(Renderer(SITE, overrides))  # the next drafts' renderers
    assert runs == [1]  # the bomb did not run again
    # ...and the next drafts' reports still say why
    (problem,) = Renderer(SITE, overrides).problems
    assert problem.file == "theme/post.html" and "loops ran over 1,000,000 times" in problem.text


def test_a_bomb_in_base_html_falls_back_for_the_pages_that_extend_it() -> None:
    base = "<!DOCTYPE html><title>T</title>\n{{ 'a' * 10**9 }}{% block main %}{% endblock %}"
    renderer = Renderer(SITE, {"base.html": base, "404.html": HEAD + "x" + TAIL})
    page = renderer.not_found_page()
    assert "MINE" in page  # the writer's 404.html, on the packaged base.html
    assert [(p.file, p.line) for p in renderer.problems] == [("theme/base.html", 2)]


def test_a_file_no_page_uses_is_never_compiled() -> None:
    # `{% if false %}` does not help: Jinja folded constants while compiling, and this one
    # never finishes. Now an unused file is not compiled, and no file folds `**`.
    renderer = Renderer(SITE, {"unused.html": "{% if false %}{{ 9**(9**9) }}{% endif %}"})
    assert renderer.problems == []
    assert text_of(parse(post_page(renderer)).find(".//h1")) == "Post 1"


def test_an_included_file_is_compiled_when_used_and_its_error_reported_there() -> None:
    overrides = {"post.html": HEAD + '{% include "part.html" %}' + TAIL, "part.html": "ok\n{{ x }"}
    renderer = Renderer(SITE, overrides)
    assert renderer.problems == []
    assert "MINE" not in post_page(renderer)
    (problem,) = renderer.problems
    assert (problem.file, problem.line) == ("theme/part.html", 2)


def test_compile_time_power_in_a_used_template_compiles_at_once() -> None:
    # Run apart: on the old code this holds the GIL forever, and no timeout can interrupt it.
    code = textwrap.dedent(
        """
        from stitchpress.core.render import Renderer
        from stitchpress.core.model import SiteSettings
        r = Renderer(SiteSettings(), {"post.html": "{% if false %}{{ 9**(9**9) }}{% endif %}"})
        print(r.problems)
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.strip() == "[]", out.stderr


def test_an_ordinary_override_renders_as_before() -> None:
    override = (
        HEAD
        + (
            "{% set ns = namespace(n=0) %}{% for t in range(3) %}{% set ns.n = ns.n + t %}{% endfor %}"
            "<p id=n>{{ ns.n * 2 }} {{ '%05d' % 7 }} {{ '{:>4}'.format('x') }} {{ 'ab' * 2 }}"
            " {{ [1, 2] + [3] }} {{ 'a-b'|replace('-', '+') }} {{ ['a', 'b']|join(',') }}"
            " {{ lipsum(1, html=False, min=3, max=5)|wordcount > 0 }}</p>"
            "{% for h in headings %}{{ loop.index }}/{{ loop.length }}{% endfor %}"
        )
        + TAIL
    )
    renderer = Renderer(SITE, {"post.html": override})
    doc = parse(post_page(renderer))
    assert renderer.problems == []
    assert text_of(doc.find(".//h1")) == "MINE"
    assert text_of(next(p for p in doc.iter("p") if p.get("id") == "n")) == (
        "6 00007    x abab [1, 2, 3] a+b a,b True"
    )


def test_values_in_an_override_are_still_escaped() -> None:
    renderer = Renderer(SITE, {"post.html": HEAD + "{{ post.title }}" + TAIL})
    page = renderer.post_page(summary(title="<script>x</script>"), render_markdown("x"), reading_time=1)
    assert "<script>x" not in page and "&lt;script&gt;x" in page
