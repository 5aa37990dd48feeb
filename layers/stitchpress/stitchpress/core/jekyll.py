"""Warnings for a writer coming from Jekyll: Liquid and raw HTML are not rendered here.

Liquid (`{% highlight %}`, `{{ site.url }}`) would appear on the page as written, and raw HTML
is escaped (shown as text) for safety. Each finding names its line so the writer can replace it
with Markdown: a fenced code block for `{% highlight %}`, a link for `{{ site.url }}/...`.
Code (fenced, indented by a fence, or in backticks) is left alone: there it is meant literally.
"""

from __future__ import annotations

import re

from . import budget
from .model import Message

# A line that opens or closes a fenced code block (up to three spaces of indent, as CommonMark).
_FENCE_LINE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_CODE_SPAN = re.compile(r"(`+).+?\1")
# "{{" ... "}}" stops at the next "{": from each of many unclosed "{{" on one line, "[^}]*?"
# scanned to the line's end (60 KB of "{{a" took 25 s).
_LIQUID = re.compile(r"\{%-?\s*(\w+)[^%]*%\}|\{\{-?\s*([^{}]*?)\s*-?\}\}")
_HTML = re.compile(r"<(/?[A-Za-z][A-Za-z0-9-]*)(?:\s[^<>]*)?/?>|<!--")
MAX_PER_KIND = 5  # then one line saying how many more


def source_warnings(body: str, first_line: int) -> list[Message]:
    """Warnings for the draft's body (`first_line`: its line number in the file)."""
    liquid = _Found("Liquid tags")
    html = _Found("raw HTML lines")
    fence: str | None = None
    for n, line in enumerate(body.splitlines(), start=first_line):
        if n % 4096 == 0:  # 200,000 lines of `[a]: <b>` took ~1 s here: keep to the deadline
            budget.check("checking the markup", lambda: f"line {n}")  # noqa: B023
        opened = _FENCE_LINE.match(line)
        if fence is not None:
            if opened and opened.group(1)[0] == fence[0] and len(opened.group(1)) >= len(fence):
                fence = None
            continue
        if opened:
            fence = opened.group(1)
            continue
        text = _CODE_SPAN.sub("", line) if "`" in line else line
        if "{" in text and (m := _LIQUID.search(text)) and liquid.add():
            tag = f"{{% {m.group(1)} %}}" if m.group(1) else f"{{{{ {m.group(2)} }}}}"
            liquid.shown.append(
                Message(
                    "warning",
                    f"Liquid {tag} is not run here and shows on the page as written; {_advice(m)}",
                    line=n,
                    field="body",
                )
            )
        if "<" in text and (m := _HTML.search(text)) and html.add():
            what = "an HTML comment" if m.group(0) == "<!--" else f"HTML <{m.group(1)}>"
            html.shown.append(
                Message(
                    "warning",
                    f"{what} is shown as text, not rendered (raw HTML is escaped for safety); "
                    "use Markdown, or wrap it in backticks to show it as code",
                    line=n,
                    field="body",
                )
            )
    return liquid.messages() + html.messages()


class _Found:
    """The first MAX_PER_KIND findings of a kind, and how many more (only counted: a draft of
    200,000 HTML lines would otherwise build 200,000 messages to drop)."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.shown: list[Message] = []
        self.more = 0

    def add(self) -> bool:
        """Whether this finding is to be shown (else it is only counted)."""
        if len(self.shown) < MAX_PER_KIND:
            return True
        self.more += 1
        return False

    def messages(self) -> list[Message]:
        if not self.more:
            return self.shown
        more = Message(
            "warning",
            f"{self.more} more {self.what} after line {self.shown[-1].line}",
            field="body",
        )
        return [*self.shown, more]


def _advice(m: re.Match[str]) -> str:
    if m.group(1) in ("highlight", "endhighlight"):
        return "use a fenced code block (```ruby ... ```) instead"
    if m.group(2) and m.group(2).startswith("site."):
        return "write the URL or text itself (links to this site can be relative: /2025/09/21/slug/)"
    return "replace it with the Markdown or text it stood for"
