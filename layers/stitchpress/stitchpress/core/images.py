"""Pure image processing: source image bytes in, web derivatives (or ImageRejected) out.

A writer uploads a photo or chart under drafts/ next to the draft that shows it. The image
function turns it into a few widths (never upscaled) in AVIF, WebP and a JPEG or PNG fallback,
with the EXIF orientation applied and every metadata block (EXIF with GPS, XMP, comments)
dropped: a phone photo's location must not reach the public site. Derivative keys carry a hash
of the source bytes, so they never change once written and are cached forever.

Every input has a cost ceiling: the byte size, the pixel count (read from the header before
anything is decoded: a decompression bomb is refused without being expanded), and only the
raster formats below are decoded at all. SVG is refused: served from the site's origin it can
run script there (a writer who wants a vector chart exports it as PNG).

Pillow is imported on first use: the publish function imports this module for the constants
and key helpers only, and does not ship Pillow.
"""

from __future__ import annotations

import hashlib
import io
import posixpath
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from PIL.Image import Image

SOURCE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".avif")
REFUSED_SUFFIXES = (".svg", ".svgz")
# Every suffix the drafts bucket notifies the image queue about (an SVG gets a report saying why
# it is refused). S3's suffix filters are case-sensitive, hence both cases (cameras write .JPG).
NOTIFIED_SUFFIXES = (*SOURCE_SUFFIXES, ".svg")
NOTIFICATION_SUFFIXES = tuple(x for s in NOTIFIED_SUFFIXES for x in (s, s.upper()))
WIDTHS = (480, 960, 1600)
MEDIA_PREFIX = "media/"
# Content-hashed: a key's bytes never change, so browsers and CloudFront may keep them forever.
MEDIA_CACHE_CONTROL = "public, max-age=31536000, immutable"
DEFAULT_MAX_BYTES = 30 * 1024 * 1024
# 12 MP phone photos are common; 50 MP cameras too. Pillow's own bomb limit is ~89 MP.
DEFAULT_MAX_PIXELS = 60_000_000
# Bump to give every derivative a new key when the encoding below changes.
PIPELINE_VERSION = "2"
HASH_LENGTH = 20  # hex digits of SHA-256: 80 bits, no collision among a site's images

_URL_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_DECODERS = ("PNG", "JPEG", "GIF", "WEBP", "AVIF")
_TYPES = {"avif": "image/avif", "webp": "image/webp", "jpg": "image/jpeg", "png": "image/png"}
# AVIF is the slow one: speed 6 is libavif's default trade-off; quality 55 matches the
# visual quality of JPEG 82 at about half the bytes.
_AVIF = {"quality": 55, "speed": 6}
_WEBP = {"quality": 80, "method": 4}
_JPEG = {"quality": 82, "optimize": True, "progressive": True}
# optimize=True made a 1600 px photo-like PNG 6x slower to encode for 20% fewer bytes.
_PNG = {"compress_level": 6}


@dataclass(frozen=True)
class Limits:
    max_bytes: int = DEFAULT_MAX_BYTES
    max_pixels: int = DEFAULT_MAX_PIXELS


class ImageRejected(Exception):
    """A source image that is not published. The message names the problem and the fix."""


@dataclass(frozen=True)
class Derivative:
    key: str  # site bucket key, media/<hash>-<width>.<ext>
    width: int
    height: int
    ext: str
    data: bytes

    @property
    def content_type(self) -> str:
        return _TYPES[self.ext]


@dataclass(frozen=True)
class ImageInfo:
    """What a page needs to show an image: the derivatives that exist. Stored in the index."""

    hash: str
    width: int  # of the largest derivative: width/height attributes give the aspect ratio
    height: int
    fallback: str  # "jpg" or "png": the <img> format every browser decodes
    widths: tuple[int, ...]
    formats: tuple[str, ...] = ("avif", "webp")  # served as <source> before the fallback

    def url(self, width: int, ext: str) -> str:
        return f"/{media_key(self.hash, width, ext)}"

    def srcset(self, ext: str) -> str:
        return ", ".join(f"{self.url(w, ext)} {w}w" for w in self.widths)

    @property
    def src(self) -> str:
        """The fallback <img src>: the middle width, or the largest there is."""
        return self.url(self.widths[min(1, len(self.widths) - 1)], self.fallback)

    @property
    def largest(self) -> str:
        """The largest fallback: what Open Graph and feeds point to."""
        return self.url(self.widths[-1], self.fallback)

    def keys(self) -> list[str]:
        return [media_key(self.hash, w, ext) for w in self.widths for ext in (*self.formats, self.fallback)]

    def to_json(self) -> dict[str, Any]:
        return {
            "hash": self.hash,
            "width": self.width,
            "height": self.height,
            "fallback": self.fallback,
            "widths": list(self.widths),
            "formats": list(self.formats),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ImageInfo:
        return cls(
            hash=str(data["hash"]),
            width=int(data["width"]),
            height=int(data["height"]),
            fallback=str(data["fallback"]),
            widths=tuple(int(w) for w in data["widths"]),
            formats=tuple(str(f) for f in data.get("formats", ("avif", "webp"))),
        )


@dataclass(frozen=True)
class ProcessedImage:
    info: ImageInfo
    derivatives: tuple[Derivative, ...]
    notes: tuple[str, ...] = field(default=())


def is_image_key(key: str) -> bool:
    return key.lower().endswith(SOURCE_SUFFIXES)


def is_refused_key(key: str) -> bool:
    return key.lower().endswith(REFUSED_SUFFIXES)


def media_key(digest: str, width: int, ext: str) -> str:
    return f"{MEDIA_PREFIX}{digest}-{width}.{ext}"


def source_hash(data: bytes) -> str:
    return hashlib.sha256(PIPELINE_VERSION.encode() + b"\0" + data).hexdigest()[:HASH_LENGTH]


def resolve(draft_key: str, src: str) -> str | None:
    """The drafts/ key an image reference in a draft names, as a local editor's preview would
    resolve it (relative to the draft's folder); None when it leaves drafts/ or is no image."""
    if not src or src.startswith("/") or "\\" in src or _URL_SCHEME.match(src):
        return None
    key = posixpath.normpath(posixpath.join(posixpath.dirname(draft_key), src))
    if not key.startswith("drafts/") or not is_image_key(key):
        return None
    return key


def target_widths(width: int) -> tuple[int, ...]:
    """480/960/1600 up to the image's own width; never upscaled. An image between two steps
    also gets its own width, so the sharpest version is there for wide screens."""
    top = min(width, WIDTHS[-1])
    return (*(w for w in WIDTHS if w < top), top)


def process(name: str, data: bytes, limits: Limits = Limits()) -> ProcessedImage:
    """Decode, orient, strip and encode every derivative. Raises ImageRejected."""
    picture, fallback, notes = _decoded(name, data, limits)
    digest = source_hash(data)
    derivatives = tuple(_derivatives(picture, digest, fallback))
    largest = max(derivatives, key=lambda d: d.width)
    info = ImageInfo(
        hash=digest,
        width=largest.width,
        height=largest.height,
        fallback=fallback,
        widths=tuple(sorted({d.width for d in derivatives})),
    )
    return ProcessedImage(info=info, derivatives=derivatives, notes=tuple(notes))


def inspect(name: str, data: bytes, limits: Limits = Limits()) -> ImageInfo:
    """Every check process() makes, without encoding (what `stitchpress check` needs): the
    ImageInfo the derivatives would have, with the hash of the source. Raises ImageRejected."""
    picture, fallback, _ = _decoded(name, data, limits)
    width, height = picture.size
    widths = target_widths(width)
    return ImageInfo(
        source_hash(data), widths[-1], max(1, round(height * widths[-1] / width)), fallback, widths
    )


def _decoded(name: str, data: bytes, limits: Limits) -> tuple[Image, str, list[str]]:
    """The oriented, metadata-free picture, its fallback format and notes; or ImageRejected."""
    if is_refused_key(name) or _looks_like_svg(data):
        raise ImageRejected(
            "SVG is not published: an SVG can carry script, which would run on the site's own "
            "origin; export it as PNG (charts, diagrams) and upload that instead"
        )
    if len(data) > limits.max_bytes:
        raise ImageRejected(
            f"the file is {len(data):,} bytes, more than the limit of {limits.max_bytes:,}; "
            "export it smaller (a web image rarely needs more than a few MB)"
        )
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        # formats=: only these decoders are ever tried, whatever the bytes claim to be.
        with Image.open(io.BytesIO(data), formats=_DECODERS) as im:
            width, height = im.size  # from the header: nothing is decoded yet
            if width * height > limits.max_pixels:
                raise ImageRejected(
                    f"the image is {width} x {height} = {width * height:,} pixels, more than the "
                    f"limit of {limits.max_pixels:,} (a decompression bomb or a very large scan); "
                    "scale it down before uploading"
                )
            notes = []
            if getattr(im, "n_frames", 1) > 1:
                notes.append("animated image: only the first frame is published")
            fallback = "png" if _lossless(im) else "jpg"
            _draft_decode(im, target_widths(_oriented_width(im))[-1])
            im.load()
            picture = _prepared(ImageOps.exif_transpose(im), fallback)
    except ImageRejected:
        raise
    except Image.DecompressionBombError as e:
        raise ImageRejected(f"{e}; scale it down before uploading") from e
    except UnidentifiedImageError as e:
        raise ImageRejected(
            "not an image this site can publish (PNG, JPEG, GIF, WebP or AVIF expected): "
            "the file is damaged or of another kind; export it again as PNG or JPEG"
        ) from e
    except (OSError, ValueError, SyntaxError, EOFError) as e:  # truncated or corrupt data
        raise ImageRejected(
            f"the image cannot be decoded ({e}); the file is damaged or was cut off during upload: "
            "upload it again"
        ) from e
    return picture, fallback, notes


def _looks_like_svg(data: bytes) -> bool:
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith((b"<svg", b"<?xml", b"<!doctype svg")) or b"<svg" in head


def _lossless(im: Image) -> bool:
    """Charts, screenshots and anything with transparency stay PNG; photos become JPEG."""
    return im.format in ("PNG", "GIF") or im.mode in ("RGBA", "LA", "PA") or "transparency" in im.info


def _oriented_width(im: Image) -> int:
    # EXIF orientations 5-8 turn the picture a quarter: the stored height is the shown width.
    orientation = im.getexif().get(0x0112, 1)
    return int(im.size[1] if orientation in (5, 6, 7, 8) else im.size[0])


def _draft_decode(im: Image, widest: int) -> None:
    """Let the JPEG decoder scale by 1/2, 1/4 or 1/8 while decoding (much less time and memory
    for a 12 MP photo), never below what the widest derivative needs."""
    if im.format != "JPEG":
        return
    w, h = im.size
    if _oriented_width(im) != w:
        w, h = h, w
    scale = widest / w
    wanted = (max(1, round(im.size[0] * scale)), max(1, round(im.size[1] * scale)))
    im.draft("RGB", wanted)


def _prepared(im: Image, fallback: str) -> Image:
    """The oriented picture in the mode every encoder takes, with no metadata left on it."""
    alpha = im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info)
    out = im.convert("RGBA" if alpha else "RGB")
    icc = im.info.get("icc_profile")
    out.info = {"icc_profile": icc} if icc else {}  # colours stay right; EXIF, XMP, comments go
    return out


def _derivatives(picture: Image, digest: str, fallback: str) -> Iterator[Derivative]:
    from PIL import Image

    width, height = picture.size
    for w in target_widths(width):
        h = max(1, round(height * w / width))
        scaled = picture if w == width else picture.resize((w, h), Image.Resampling.LANCZOS)
        scaled.info = dict(picture.info)
        for ext in ("avif", "webp", fallback):
            yield Derivative(media_key(digest, w, ext), w, h, ext, _encode(scaled, ext))


def _encode(im: Image, ext: str) -> bytes:
    buf = io.BytesIO()
    icc = im.info.get("icc_profile")
    extra: dict[str, Any] = {"icc_profile": icc} if icc else {}
    if ext == "avif":
        im.save(buf, "AVIF", **_AVIF, **extra)
    elif ext == "webp":
        im.save(buf, "WEBP", **_WEBP, **extra)
    elif ext == "jpg":
        im.save(buf, "JPEG", **_JPEG, **extra)
    else:
        im.save(buf, "PNG", **_PNG, **extra)
    return buf.getvalue()
