"""Where things live on the site: URL paths, their S3 object keys, and safe URL keys.

Every path is site-relative and starts with "/". Paths are kept as Unicode (Japanese tags stay
Japanese); `quote_path` percent-encodes them for the wire (hrefs, CloudFront invalidations).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from urllib.parse import quote

# Characters that may never appear in a URL key: separators, query/fragment marks, controls.
_UNSAFE = re.compile(r"[\s/\\?#%&\"'<>`|*:;,=^{}\[\]~!$@()]+")
_DASHES = re.compile(r"-{2,}")


def url_key(text: str) -> str:
    """A case-insensitive, path-safe key for a tag, category or slug.

    NFKC-normalised and case-folded; separators and URL metacharacters become "-". The result
    never contains "/", "..", or leading dots, so it cannot leave its prefix. Returns "" when
    nothing usable is left; callers treat that as invalid.
    """
    key = unicodedata.normalize("NFKC", text).casefold().strip()
    key = _UNSAFE.sub("-", key)
    key = "".join(ch for ch in key if unicodedata.category(ch)[0] != "C")
    key = _DASHES.sub("-", key).strip("-.")
    while ".." in key:
        key = key.replace("..", ".")
    return key


def post_path(date: datetime, slug: str) -> str:
    return f"/{date:%Y}/{date:%m}/{date:%d}/{slug}/"


def tag_path(key: str, page: int | None = None) -> str:
    return _listing("tags", key, page)


def category_path(key: str, page: int | None = None) -> str:
    return _listing("categories", key, page)


def _listing(kind: str, key: str, page: int | None) -> str:
    base = f"/{kind}/{key}/"
    return base if page is None else f"{base}page/{page}/"


def object_key(path: str) -> str:
    """S3 key in the site bucket for a site path: directories are served by their index.html."""
    if not path.startswith("/") or "/../" in path + "/" or "\\" in path:
        raise ValueError(f"not a safe site path: {path!r}")
    key = path.lstrip("/")
    if key == "" or key.endswith("/"):
        key += "index.html"
    return key


def quote_path(path: str) -> str:
    """Percent-encode a site path for the wire (UTF-8), keeping "/" separators."""
    return quote(path, safe="/")


def absolute(base_url: str, path: str) -> str:
    return base_url.rstrip("/") + quote_path(path)
