"""The pure publishing core: draft bytes in, a compiled post (or DraftRejected) out.

parse front matter -> validate -> stitch segments -> derive excerpt / reading time / language
-> render the Markdown body. No AWS, no I/O: the CLI's `check`, the Lambda and the tests all
call this same function.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from . import budget, textstats
from .images import ImageInfo, resolve
from .jekyll import source_warnings
from .keys import report_key
from .mdrender import is_safe_url
from .model import DraftRejected, Message, PostMeta, PostSummary, SiteSettings
from .pictures import ImageLookup
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
    images: ImageLookup | None = None,
) -> CompiledPost:
    """Raises DraftRejected (with every message found) for a draft that must not be published,
    including one that needs more than `seconds` of compute (stitchpress.core.budget).

    `images` tells which derivatives exist for the images the draft refers to (by a path
    relative to the draft); without it, images render as plain <img> of the path written."""
    with budget.deadline(seconds):
        try:
            return _compile(key, data, site, max_bytes, images)
        except budget.TooComplex as e:
            raise DraftRejected([Message("error", e.message, field="body")]) from None
        except RecursionError:  # a parser's own recursion; no draft in the tests reaches it
            raise DraftRejected([Message("error", budget.TOO_DEEP, field="body")]) from None


def _compile(
    key: str, data: bytes, site: SiteSettings, max_bytes: int, images: ImageLookup | None
) -> CompiledPost:
    parsed = parse_draft(key, data, max_bytes=max_bytes)
    meta = parsed.meta
    budget.check("reading the front matter")
    stitched = stitch(parsed.body, title=meta.title, first_line=parsed.body_line)
    budget.check("stitching the segments")
    messages: list[Message] = [*parsed.warnings, *stitched.warnings]
    messages += source_warnings(parsed.body, parsed.body_line)
    budget.check("checking the markup")
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
    lookup = None if images is None else _Lookup(images, resolve(key, meta.image or ""))
    body = render_markdown(markdown, draft_key=key, images=lookup)
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
    if lookup is not None:
        messages += _missing_images(data, body, meta, lookup)
        summary = replace(summary, image=_post_image(meta, body, lookup))
    return CompiledPost(
        meta=meta,
        summary=summary,
        markdown=markdown,
        body=body,
        reading_time=reading_time,
        stitch=stitched,
        messages=tuple(messages),
    )


class _Lookup:
    """The caller's lookup, asked once for the body's images and the front matter's `image:`;
    remembers the answers."""

    def __init__(self, lookup: ImageLookup, front_matter: str | None) -> None:
        self.lookup = lookup
        self.front_matter = front_matter
        self.found: dict[str, ImageInfo | None] = {}

    def __call__(self, keys: Sequence[str]) -> Mapping[str, ImageInfo | None]:
        wanted = sorted({*keys, *([self.front_matter] if self.front_matter else [])})
        self.found.update(self.lookup(wanted))
        return self.found


def _post_image(meta: PostMeta, body: RenderedBody, lookup: _Lookup) -> str | None:
    """The post's picture for link previews and the feed: front matter `image:` (a path next to
    the draft, or an https URL), else the body's first image that exists."""
    if meta.image and lookup.front_matter is None:
        return meta.image if meta.image.startswith("https://") and is_safe_url(meta.image) else None
    if lookup.front_matter is not None:
        info = lookup.found.get(lookup.front_matter)
        return info.largest if info else None
    return next((u.info.largest for u in body.images if u.info is not None), None)


def _missing_images(data: bytes, body: RenderedBody, meta: PostMeta, lookup: _Lookup) -> list[Message]:
    """A warning for each image the draft names that has no published derivatives (yet)."""
    lines = data.decode("utf-8", "replace").splitlines()

    def line_of(src: str) -> int | None:
        return next((n for n, text in enumerate(lines, 1) if src in text), None)

    out: list[Message] = []
    named = [(u.src, u.key, u.alt) for u in body.images if u.info is None]
    if lookup.front_matter and lookup.found.get(lookup.front_matter) is None and meta.image:
        named.insert(0, (meta.image, lookup.front_matter, ""))
    elif meta.image and lookup.front_matter is None and not meta.image.startswith("https://"):
        out.append(
            Message(
                "warning",
                f"{meta.image!r} is neither an image next to the draft nor an https:// URL; "
                "no picture is shown in feeds and link previews",
                line=line_of(meta.image),
                field="image",
            )
        )
    seen: set[str] = set()
    for src, key, alt in named:
        if key in seen:
            continue
        seen.add(key)
        shown = f"the page shows its alt text {alt!r}" if alt else "the page shows nothing there"
        out.append(
            Message(
                "warning",
                f"{src}: no published image at {key} (not uploaded yet, still processing, or rejected: "
                f"see {report_key(key)}); {shown} until it is, then the post is updated by itself",
                line=line_of(src),
                field="image",
            )
        )
    return out
