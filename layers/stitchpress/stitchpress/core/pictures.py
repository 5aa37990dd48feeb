"""Images in a post body: `![alt](chart.png)` -> a responsive <picture> of the image's derivatives.

Pure: which derivatives exist comes in as an ImageLookup (the publish function reads the image
records from the index; tests pass a dict). A draft refers to an image by a path relative to the
draft, as a local editor's preview resolves it (stitchpress.core.images.resolve). Other image URLs
(absolute, data:) render as markdown-it's plain <img>, as before.

A referenced image with no derivatives (not uploaded yet, still processing, or rejected) renders
as its alt text, never as a broken image; the publish reports a warning for it.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from .images import ImageInfo, resolve

# The post body is at most ~45rem wide (style.css: --measure); below that, the viewport.
SIZES = "(min-width: 48rem) 45rem, 100vw"
ENV_KEY = "stitchpress_pictures"

ImageLookup = Callable[[Sequence[str]], Mapping[str, ImageInfo | None]]


@dataclass(frozen=True)
class ImageUse:
    """One image a post shows: as written, the drafts/ key it resolves to, and what exists."""

    src: str
    key: str
    alt: str
    info: ImageInfo | None


@dataclass
class _State:
    keys: dict[str, str]  # src as markdown-it normalised it -> drafts/ key
    found: Mapping[str, ImageInfo | None]
    uses: list[ImageUse] = field(default_factory=list)


def references(tokens: Sequence[Any], draft_key: str) -> dict[str, str]:
    """src (as in the tokens) -> drafts/ key, for every image that names a draft-relative file."""
    out: dict[str, str] = {}
    for token in tokens:
        for child in token.children or ():
            if child.type != "image":
                continue
            src = str(child.attrGet("src") or "")
            key = resolve(draft_key, unquote(src))
            if key is not None:
                out[src] = key
    return out


def prepare(
    tokens: Sequence[Any], draft_key: str, lookup: ImageLookup, env: MutableMapping[str, Any]
) -> None:
    """Resolve the body's images (one lookup for all of them) before rendering."""
    keys = references(tokens, draft_key)
    found = lookup(sorted(set(keys.values())))
    env[ENV_KEY] = _State(keys, found)


def uses(env: Mapping[str, Any]) -> tuple[ImageUse, ...]:
    state = env.get(ENV_KEY)
    return tuple(state.uses) if isinstance(state, _State) else ()


def render_image(
    self: Any, tokens: Sequence[Any], idx: int, options: Any, env: MutableMapping[str, Any]
) -> str:
    """markdown-it render rule for "image" (bound to the renderer: `self`)."""
    state = env.get(ENV_KEY)
    token = tokens[idx]
    src = str(token.attrGet("src") or "")
    if not isinstance(state, _State) or src not in state.keys:
        return str(self.image(tokens, idx, options, env))
    key = state.keys[src]
    alt = self.renderInlineAsText(token.children or [], options, env)
    info = state.found.get(key)
    first = not state.uses
    state.uses.append(ImageUse(unquote(src), key, alt, info))
    if info is None:
        return f'<span class="image-missing">{html.escape(alt)}</span>'
    title = token.attrGet("title")
    return picture(info, alt, str(title) if title else None, first=first)


def picture(info: ImageInfo, alt: str, title: str | None = None, *, first: bool = False) -> str:
    """<picture>: AVIF, then WebP, then the JPEG/PNG <img> every browser shows. width/height
    give the aspect ratio (no layout shift); every image but the first loads lazily."""
    esc = html.escape
    sources = "".join(
        f'<source type="image/{ext}" srcset="{esc(info.srcset(ext))}" sizes="{SIZES}">'
        for ext in info.formats
    )
    attrs = [
        f'src="{esc(info.src)}"',
        f'srcset="{esc(info.srcset(info.fallback))}"',
        f'sizes="{SIZES}"',
        f'width="{info.width}"',
        f'height="{info.height}"',
        f'alt="{esc(alt)}"',
    ]
    if title:
        attrs.append(f'title="{esc(title)}"')
    if not first:  # the first is likely in view: fetched at once
        attrs += ['loading="lazy"', 'decoding="async"']
    return f"<picture>{sources}<img {' '.join(attrs)}></picture>"


def image_type(path: str) -> str:
    ext = path.rsplit(".", 1)[-1].lower()
    return {"jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp"}.get(
        ext, "image/" + ext
    )
