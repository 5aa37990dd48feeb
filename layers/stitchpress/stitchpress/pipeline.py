"""The pure publishing core: draft bytes in, a compiled post (or DraftRejected) out.

parse front matter -> validate -> stitch segments -> derive excerpt / reading time / language
-> render the Markdown body. No AWS, no I/O: the CLI's `check`, the Lambda and the tests all
call this same function.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import budget, textstats
from .model import DraftRejected, Message, PostMeta, PostSummary, SiteSettings
from .render import RenderedBody, render_markdown
from .stitch import StitchResult, stitch
from .urls import post_path
from .validate import DEFAULT_MAX_BYTES, EMPTY_BODY_MESSAGE, parse_draft


@dataclass(frozen=True)
class CompiledPost:
    meta: PostMeta
    summary: PostSummary
    markdown: str  # the stitched article
    body: RenderedBody
    reading_time: int
    stitch: StitchResult
    messages: tuple[Message, ...]  # warnings and notes; a compiled post has no errors

    def report(self) -> dict[str, Any]:
        return {"stitch": self.stitch.to_json(), "messages": [m.to_json() for m in self.messages]}


def compile_draft(
    key: str,
    data: bytes,
    site: SiteSettings,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    seconds: float = budget.COMPILE_SECONDS,
) -> CompiledPost:
    """Raises DraftRejected (with every message found) for a draft that must not be published,
    including one that needs more than `seconds` of compute (stitchpress.budget)."""
    with budget.deadline(seconds):
        try:
            return _compile(key, data, site, max_bytes)
        except budget.TooComplex as e:
            raise DraftRejected([Message("error", e.message, field="body")]) from None
        except RecursionError:  # a parser's own recursion; no draft in the tests reaches it
            raise DraftRejected([Message("error", budget.TOO_DEEP, field="body")]) from None


def _compile(key: str, data: bytes, site: SiteSettings, max_bytes: int) -> CompiledPost:
    parsed = parse_draft(key, data, max_bytes=max_bytes)
    meta = parsed.meta
    budget.check("reading the front matter")
    stitched = stitch(parsed.body, title=meta.title, first_line=parsed.body_line)
    budget.check("stitching the segments")
    messages: list[Message] = [*parsed.warnings, *stitched.warnings]
    if not stitched.ok:
        raise DraftRejected([*stitched.errors, *messages])
    markdown = stitched.markdown
    if not markdown.strip():
        raise DraftRejected(
            [Message("error", EMPTY_BODY_MESSAGE, line=parsed.body_line, field="body"), *messages]
        )
    if meta.reading_time is not None:
        reading_time = meta.reading_time
        warning = textstats.check_reading_time(meta.reading_time, markdown)
        if warning is not None:
            messages.append(warning)
    else:
        reading_time = textstats.estimate_reading_time(markdown)
    summary = PostSummary(
        source_key=key,
        title=meta.title,
        date=meta.date,
        url=post_path(meta.date, meta.slug),
        excerpt=meta.excerpt if meta.excerpt is not None else textstats.derive_excerpt(markdown),
        author=meta.author or site.author,
        tags=meta.tags,
        categories=meta.categories,
        lang=meta.lang or textstats.detect_language(markdown),
    )
    budget.check("counting words")
    body = render_markdown(markdown)
    if len(body.html) > budget.MAX_PAGE_CHARS:
        raise DraftRejected(
            [
                Message(
                    "error",
                    f"the article renders to {len(body.html):,} characters of HTML, over the limit of "
                    f"{budget.MAX_PAGE_CHARS:,}; split it into several posts",
                    field="body",
                ),
                *messages,
            ]
        )
    messages += [Message("warning", note, field="body") for note in body.notes]
    return CompiledPost(
        meta=meta,
        summary=summary,
        markdown=markdown,
        body=body,
        reading_time=reading_time,
        stitch=stitched,
        messages=tuple(messages),
    )
