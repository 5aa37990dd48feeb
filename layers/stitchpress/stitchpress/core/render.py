"""Pure rendering: posts, listings, feed, sitemaps and robots.txt from plain data.

No I/O except reading the packaged templates and CSS. Jinja2 and Pygments are imported on first
use so that importing this module stays cheap on a Lambda cold start.

Writers may override any packaged template (see `Renderer`). Overrides run in Jinja2's sandbox:
the drafts bucket is less trusted than the code, and a template must not reach the Lambda's
credentials through Python internals.
"""

from __future__ import annotations

import hashlib
import json
import re
import traceback
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from functools import cache, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from markupsafe import Markup

from .mdrender import Heading, RenderedBody, render_markdown
from .model import Message, PostSummary, SiteSettings, Term
from .pictures import image_type
from .urls import absolute, category_path, quote_path, tag_path

if TYPE_CHECKING:
    from jinja2 import BaseLoader, Environment

__all__ = [
    "ARCHIVE_PATH",
    "CATEGORIES_PATH",
    "FEED_PATH",
    "JSON_FEED_PATH",
    "SITEMAP_PATH",
    "STYLESHEET_PATH",
    "TAGS_PATH",
    "TOC_MIN_HEADINGS",
    "Heading",
    "PageNav",
    "RenderedBody",
    "Renderer",
    "pygments_css",
    "render_markdown",
    "static_assets",
]

STYLESHEET_PATH = "/assets/style.css"
FEED_PATH = "/feed.xml"
JSON_FEED_PATH = "/feed.json"  # JSON Feed 1.1 beside the Atom feed
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
SITEMAP_PATH = "/sitemap.xml"  # the sitemap index robots.txt points to
ARCHIVE_PATH = "/archives/"
SEARCH_PATH = "/search/"
SEARCH_SCRIPT_PATH = "/assets/search.js"
TAGS_PATH = "/tags/"
CATEGORIES_PATH = "/categories/"
TOC_MIN_HEADINGS = 3
SITEMAP_MAX_URLS = 50_000  # sitemaps.org limit per file
LISTING_KINDS = frozenset({"home", "tag", "category", "archive", "month"})

_TEMPLATE_DIR = Path(__file__).parent.parent / "templates"
_OVERRIDE_PREFIX = "theme/"  # pseudo file name of overrides, so tracebacks can name them
_OVERRIDE_NAME = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9_.-]*\.(?:html|xml|txt)$")
_PAGE_SUFFIX = re.compile(r"page/\d+/$")


# Code points HTML and XML 1.0 forbid in text (controls other than tab/LF/CR, surrogates,
# noncharacters). Front matter can carry them; one would make the feed unparseable.
# Compiled on first use (an astral character in the text): its 34 astral code points cost re
# ~4 ms to compile, on every cold start otherwise.
@cache
def _forbidden() -> re.Pattern[str]:
    return re.compile(
        "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef"
        + "".join(f"{chr(p * 0x10000 + 0xFFFE)}{chr(p * 0x10000 + 0xFFFF)}" for p in range(17))
        + "]"
    )


# The same split in two: re tests a class of only BMP code points with a bitmap, but one with
# astral code points range by range, 12x slower over a page; most pages have no astral character.
_FORBIDDEN_BMP = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff]")
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

_STRINGS: dict[str, dict[str, str]] = {
    "en": {
        "skip": "Skip to content",
        "site_nav": "Site",
        "home": "Home",
        "archives": "Archives",
        "tags": "Tags",
        "categories": "Categories",
        "feed": "Feed",
        "listing_feed": "Feed of this page's posts",
        "toc": "Contents",
        "reading_time": "{n} min read",
        "post_nav": "More posts",
        "related": "Related posts",
        "previous": "Previous post",
        "next": "Next post",
        "pagination": "Pages",
        "newer": "Newer posts",
        "older": "Older posts",
        "page_n": "Page {n}",
        "no_posts": "No posts yet.",
        "not_found": "Page not found",
        "not_found_text": "There is nothing at this address. It may have moved or been unpublished.",
        "back_home": "Go to the home page",
        "n_posts": "{n} posts",
        "n_post": "1 post",
        "n_more": "{n} more posts",
        "search": "Search",
        "search_needs_js": "Search runs in your browser and needs JavaScript.",
    },
    "ja": {
        "skip": "本文へ移動",
        "site_nav": "サイト",
        "home": "ホーム",
        "archives": "アーカイブ",
        "tags": "タグ",
        "categories": "カテゴリー",
        "feed": "フィード",
        "listing_feed": "このページの記事のフィード",
        "toc": "目次",
        "reading_time": "約{n}分で読めます",
        "post_nav": "ほかの記事",
        "related": "関連記事",
        "previous": "前の記事",
        "next": "次の記事",
        "pagination": "ページ",
        "newer": "新しい記事",
        "older": "古い記事",
        "page_n": "{n}ページ目",
        "no_posts": "まだ記事がありません。",
        "not_found": "ページが見つかりません",
        "not_found_text": "このアドレスには何もありません。移動または非公開になった可能性があります。",
        "back_home": "ホームへ戻る",
        "n_posts": "{n}件",
        "n_post": "1件",
        "n_more": "ほか{n}件",
        "search": "検索",
        "search_needs_js": "検索はブラウザーで動くため、JavaScript が必要です。",
    },
}


class PageNav(Protocol):
    """A listing page's place in its listing, as stitchpress.core.paging.Nav describes it."""

    @property
    def page(self) -> int | None: ...  # None for the front page
    @property
    def pages(self) -> int: ...
    @property
    def newer(self) -> str | None: ...  # site paths
    @property
    def older(self) -> str | None: ...


def static_assets() -> dict[str, bytes]:
    """Site path -> bytes of every static file the theme needs: one stylesheet, and the search
    page's script (no inline script: the site's CSP forbids it)."""
    return {STYLESHEET_PATH: _stylesheet(), SEARCH_SCRIPT_PATH: (_TEMPLATE_DIR / "search.js").read_bytes()}


@cache
def _stylesheet() -> bytes:
    # Hand-written theme CSS followed by the generated Pygments classes: one request per page.
    return (_TEMPLATE_DIR / "style.css").read_bytes() + b"\n" + (_TEMPLATE_DIR / "pygments.css").read_bytes()


def pygments_css() -> str:
    """The Pygments rules committed as templates/pygments.css (regenerate: python -m stitchpress.core.render)."""
    from pygments.formatters import HtmlFormatter

    def rules(style: str) -> list[str]:
        formatter = HtmlFormatter(style=style)
        background: list[str] = formatter.get_background_style_defs(".highlight")  # type: ignore[no-untyped-call]
        tokens: list[str] = formatter.get_token_style_defs(".highlight")  # type: ignore[no-untyped-call]
        return background + tokens

    # Light on paper whatever the reader's screen preference; the two sets never mix, so a token
    # class only one style defines cannot end up light-on-light or dark-on-dark.
    out = ["/* Generated by stitchpress.core.render.pygments_css(); do not edit. */"]
    out.append("@media print, (prefers-color-scheme: light) {")
    out += ["  " + rule for rule in rules("friendly")]
    out.append("}")
    out.append("@media screen and (prefers-color-scheme: dark) {")
    out += ["  " + rule for rule in rules("monokai")]
    out.append("}")
    return "\n".join(out) + "\n"


def _aware(dt: datetime) -> datetime:
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)


def _iso(dt: datetime) -> str:
    return _aware(dt).isoformat(timespec="seconds")


def _strip_forbidden(text: str) -> str:
    """`text` without the code points _forbidden() matches."""
    text = _FORBIDDEN_BMP.sub("", text)
    return _forbidden().sub("", text) if _ASTRAL.search(text) else text


def _clean(value: Any) -> Any:
    """Jinja2 `finalize`: drop forbidden code points from every printed value."""
    if isinstance(value, Markup):
        return Markup(_strip_forbidden(str(value)))  # noqa: S704 - already safe; removing chars keeps it so
    if isinstance(value, str):
        return _strip_forbidden(value)
    return value


def _json_for_script(data: Any) -> Markup:
    """JSON safe inside <script>: no "<", ">" or "&" can end the element or open a comment."""
    text = json.dumps(_scrub(data), ensure_ascii=False, separators=(",", ":"))
    for ch, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(ch, esc)
    text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return Markup(text)  # noqa: S704 - escaped above


def _scrub(data: Any) -> Any:
    """Forbidden code points removed from every string in a JSON-able structure."""
    if isinstance(data, str):
        return _strip_forbidden(data)
    if isinstance(data, Mapping):
        return {k: _scrub(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [_scrub(v) for v in data]
    return data


def _one_line(text: str | None, limit: int = 300) -> str:
    flat = " ".join((text or "").split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def _page_numbers(page: int, pages: int, window: int = 2) -> list[int | None]:
    """Page numbers to link, None where a run is elided: 1 … 4 5 [6] 7 8 … 20."""
    keep = sorted(n for n in {1, pages, *range(page - window, page + window + 1)} if 1 <= n <= pages)
    out: list[int | None] = []
    prev = 0
    for n in keep:
        if n - prev == 2:
            out.append(n - 1)  # an ellipsis for a single page would hide nothing
        elif n - prev > 2:
            out.append(None)
        out.append(n)
        prev = n
    return out


def _image_url(base_url: str, image: str) -> str:
    """A post's image as an absolute URL (Open Graph, JSON-LD and feeds need one)."""
    return absolute(base_url, image) if image.startswith("/") else image


def _image_meta(image: str, body: RenderedBody) -> list[tuple[str, str]]:
    """og:image's size and alt text, when the image is one of the body's own."""
    for use in body.images:
        if use.info is not None and use.info.largest == image:
            out = [("og:image:width", str(use.info.width)), ("og:image:height", str(use.info.height))]
            return out + ([("og:image:alt", use.alt)] if use.alt else [])
    return []


def _ui(lang: str) -> Mapping[str, str]:
    return _STRINGS.get(lang.split("-")[0].lower(), _STRINGS["en"])


class Renderer:
    """Renders every page kind for one site. Reusable, and cheap to build: the compiled templates
    are shared by every Renderer of the process (the overrides' by those with the same overrides).

    `overrides` maps a template name ("post.html", "base.html", "feed.xml"...) to template source
    uploaded under the drafts bucket's theme/ prefix. A broken override falls back to the
    packaged template and is reported in `problems` (field "theme"; the line is the template's).
    """

    def __init__(self, site: SiteSettings, overrides: Mapping[str, str] | None = None) -> None:
        self.site = site
        self.problems: list[Message] = []
        self._packaged = _packaged_environment()
        self._env = self._packaged
        # Site settings go into each render's context, never into the shared environments.
        self._globals: dict[str, Any] = {
            "site": site,
            "stylesheet_href": _stylesheet_href(),
            "feed_href": FEED_PATH,
            "json_feed_href": JSON_FEED_PATH,
            "archive_href": quote_path(ARCHIVE_PATH),
            "search_href": SEARCH_PATH,
            "tags_href": quote_path(TAGS_PATH),
            "categories_href": quote_path(CATEGORIES_PATH),
            "home_url": absolute(site.base_url, "/"),
            "feed_url": absolute(site.base_url, FEED_PATH),
        }
        self._theme: _Theme | None = None
        if overrides:
            self._theme = _override_theme(tuple(sorted(overrides.items())))
            for text, line, where in list(self._theme.problems):
                self._problem(text, line=line, where=where)
            self._env = self._theme.env or self._packaged

    # -- pages -------------------------------------------------------------------------------

    def post_page(
        self,
        post: PostSummary,
        body: RenderedBody,
        *,
        reading_time: int,
        prev: PostSummary | None = None,
        next: PostSummary | None = None,  # the interface's name, shadowing the builtin
        related: Sequence[PostSummary] = (),
    ) -> str:
        site = self.site
        # The page's chrome (navigation, labels, dates) is in the site's language on every page;
        # a post in another language marks its own content (title, contents, body) with it.
        lang = site.language
        content_lang = post.lang or site.language
        author = post.author or site.author
        canonical = absolute(site.base_url, post.url)
        description = _one_line(post.excerpt) or _one_line(site.description)
        jsonld: dict[str, Any] = {
            "@context": "https://schema.org",
            "@type": "BlogPosting",
            "headline": post.title,
            "datePublished": _iso(post.date),
            "dateModified": _iso(post.date),
            "url": canonical,
            "mainEntityOfPage": {"@type": "WebPage", "@id": canonical},
            "inLanguage": content_lang,
            "publisher": {"@type": "Organization", "name": site.title, "url": absolute(site.base_url, "/")},
            "timeRequired": f"PT{reading_time}M",
        }
        if description:
            jsonld["description"] = description
        if author:
            jsonld["author"] = {"@type": "Person", "name": author}
        if post.tags:
            jsonld["keywords"] = [t.name for t in post.tags]
        if post.categories:
            jsonld["articleSection"] = [c.name for c in post.categories]
        meta = [("article:published_time", _iso(post.date))]
        meta += [("article:section", c.name) for c in post.categories[:1]]
        meta += [("article:tag", t.name) for t in post.tags]
        if post.image:
            image = _image_url(site.base_url, post.image)
            jsonld["image"] = image
            meta = [("og:image", image), *_image_meta(post.image, body), *meta]
        head = self._head(
            lang=content_lang,  # og:locale describes the article
            title=f"{post.title} | {site.title}",
            og_title=post.title,
            description=description,
            canonical=canonical,
            og_type="article",
            og_meta=meta,
            jsonld=jsonld,
        )
        return self._render(
            "post.html",
            lang=lang,
            content_lang=content_lang if content_lang != lang else None,
            head=head,
            post=post,
            body=Markup(body.html),  # noqa: S704 - produced by the safe Markdown renderer
            headings=body.headings,
            toc=self._toc(body.headings),
            author=author,
            reading_time=reading_time,
            prev=prev,
            next=next,
            related=list(related),
        )

    def listing_page(
        self,
        *,
        kind: str,
        title: str,
        path: str,
        posts: Sequence[PostSummary],
        page: int = 1,
        pages: int = 1,
        page_url: Callable[[int], str] | None = None,
        nav: PageNav | None = None,
        feed: str | None = None,
    ) -> str:
        """One page of a listing, posts newest first as given; `feed` is the site path of the
        listing's own Atom feed, linked from <head> and from the page.

        Pagination, when pages > 1: page n is at page_url(n) (default: path's base, then
        base/page/n/), page 1 being the newest; the page shows newer/older links and page numbers.
        `nav` (e.g. paging.Nav) replaces page/pages/page_url: just its newer/older links are
        rendered, for stable pagination where only neighbouring pages may be linked.
        """
        if kind not in LISTING_KINDS:
            raise ValueError(f"unknown listing kind {kind!r}; expected one of {sorted(LISTING_KINDS)}")
        site = self.site
        lang = site.language
        ui = _ui(lang)
        url_for = page_url or _default_page_url(path)
        if nav is not None:
            page, pages = nav.page or 1, nav.pages
        page_title = f"{title} | {site.title}" if title and kind != "home" else site.title
        # A numbered page (nav.page, page 1 included: it is the oldest, not the front page) or,
        # with newest-first numbering, any page but the first says its number.
        if (nav is not None and nav.page is not None) or (nav is None and page > 1):
            page_title = f"{ui['page_n'].format(n=page)} | {page_title}"
        jsonld = None
        if kind == "home":
            jsonld = {
                "@context": "https://schema.org",
                "@type": "WebSite",
                "name": site.title,
                "url": absolute(site.base_url, "/"),
                "inLanguage": lang,
            }
            if site.description:
                jsonld["description"] = _one_line(site.description)
        head = self._head(
            lang=lang,
            title=page_title,
            og_title=title or site.title,
            description=_one_line(site.description),
            canonical=absolute(site.base_url, path),
            jsonld=jsonld,
            feed={"href": quote_path(feed), "title": page_title} if feed else None,
        )
        pagination: dict[str, Any] | None = None
        if nav is not None:
            if nav.newer is not None or nav.older is not None:
                pagination = {
                    "page": page,
                    "pages": pages,
                    "newer": quote_path(nav.newer) if nav.newer is not None else None,
                    "older": quote_path(nav.older) if nav.older is not None else None,
                    "numbers": [],
                }
        elif pages > 1:
            pagination = {
                "page": page,
                "pages": pages,
                "newer": quote_path(url_for(page - 1)) if page > 1 else None,
                "older": quote_path(url_for(page + 1)) if page < pages else None,
                "numbers": [
                    None if n is None else {"n": n, "href": quote_path(url_for(n)), "current": n == page}
                    for n in _page_numbers(page, pages)
                ],
            }
        years: list[tuple[int, list[PostSummary]]] = []
        for post in posts:
            if not years or years[-1][0] != post.date.year:
                years.append((post.date.year, []))
            years[-1][1].append(post)
        return self._render(
            "listing.html",
            lang=lang,
            head=head,
            kind=kind,
            title=title,
            path=path,
            posts=posts,
            years=years,
            pagination=pagination,
        )

    def tags_overview(
        self,
        *,
        kind: str,
        terms: Sequence[tuple[Term, int]],
        posts: Mapping[str, tuple[Sequence[PostSummary], int]] | None = None,
    ) -> str:
        """Tags or categories with their post counts; with kind "archives", the months (a Term
        whose key is "yyyy/mm") with theirs and, from `posts` (month key -> its posts newest
        first and how many more it has), each month's posts."""
        paths: dict[str, tuple[str, Callable[[str], str]]] = {
            "tags": (TAGS_PATH, tag_path),
            "categories": (CATEGORIES_PATH, category_path),
            "archives": (ARCHIVE_PATH, lambda key: f"/{key}/"),
        }
        if kind not in paths:
            raise ValueError(f"unknown overview kind {kind!r}; expected one of {sorted(paths)}")
        site = self.site
        lang = site.language
        title = _ui(lang)[kind]
        path, term_path = paths[kind]
        head = self._head(
            lang=lang,
            title=f"{title} | {site.title}",
            og_title=title,
            description=_one_line(site.description),
            canonical=absolute(site.base_url, path),
        )
        items = [
            {
                "term": t,
                "count": n,
                "href": quote_path(term_path(t.key)),
                "posts": (posts or {}).get(t.key, ((), 0))[0],
                "more": (posts or {}).get(t.key, ((), 0))[1],
            }
            for t, n in terms
        ]
        return self._render("terms.html", lang=lang, head=head, kind=kind, title=title, terms=items)

    def not_found_page(self) -> str:
        site = self.site
        lang = site.language
        title = _ui(lang)["not_found"]
        head = self._head(lang=lang, title=f"{title} | {site.title}", og_title=title, noindex=True)
        return self._render("404.html", lang=lang, head=head, title=title)

    def search_page(self) -> str:
        """/search/: Pagefind's UI over the index the search job writes under /pagefind/."""
        site = self.site
        lang = site.language
        title = _ui(lang)["search"]
        head = self._head(
            lang=lang,
            title=f"{title} | {site.title}",
            og_title=title,
            canonical=absolute(site.base_url, SEARCH_PATH),
            noindex=True,
        )
        return self._render(
            "search.html", lang=lang, head=head, title=title, search_script=SEARCH_SCRIPT_PATH
        )

    def feed(
        self,
        posts: Sequence[PostSummary],
        *,
        updated: datetime,
        title: str | None = None,
        path: str = FEED_PATH,
        page: str = "/",
    ) -> str:
        """Atom 1.0 (RFC 4287) with absolute URLs; entries in the order given. `path` is the
        feed's own site path, `page` the listing it follows, `title` its title (the site's)."""
        base = self.site.base_url
        entries = [
            {
                "post": p,
                "url": absolute(base, p.url),
                # every entry names its author: readers do not all inherit the feed's
                "author": p.author or self.site.author or self.site.title,
                "summary": _one_line(p.excerpt, limit=1000),
                "tags": [(t, absolute(base, TAGS_PATH)) for t in p.tags],
                "categories": [(c, absolute(base, CATEGORIES_PATH)) for c in p.categories],
                "image": _image_url(base, p.image) if p.image else None,
                "image_type": image_type(p.image) if p.image else None,
            }
            for p in posts
        ]
        return self._render(
            "feed.xml",
            updated=updated,
            entries=entries,
            feed_title=title or self.site.title,
            feed_self=absolute(base, path),
            feed_page=absolute(base, page),
        )

    def json_feed(self, posts: Sequence[PostSummary]) -> str:
        """JSON Feed 1.1 (https://jsonfeed.org/version/1.1) of the posts, in the order given.
        Built in code, not a template: JSON escaping is json.dumps's job."""
        site, base = self.site, self.site.base_url
        feed: dict[str, Any] = {
            "version": JSON_FEED_VERSION,
            "title": site.title,
            "home_page_url": absolute(base, "/"),
            "feed_url": absolute(base, JSON_FEED_PATH),
            "language": site.language,
            "authors": [{"name": site.author or site.title}],
            "items": [],
        }
        if site.description:
            feed["description"] = _one_line(site.description, limit=1000)
        for p in posts:
            url = absolute(base, p.url)
            summary = _one_line(p.excerpt, limit=1000)
            item: dict[str, Any] = {
                "id": url,
                "url": url,
                "title": p.title,
                "content_text": summary or p.title,  # the index keeps summaries, not bodies
                "date_published": _iso(p.date),
                "authors": [{"name": p.author or site.author or site.title}],
                "tags": [t.name for t in (*p.categories, *p.tags)],
            }
            if summary:
                item["summary"] = summary
            if p.image:
                item["image"] = _image_url(base, p.image)
            if p.lang:
                item["language"] = p.lang
            feed["items"].append(item)
        return json.dumps(_scrub(feed), ensure_ascii=False, indent=1) + "\n"

    def sitemap_index(self, sitemaps: Sequence[tuple[str, datetime]]) -> str:
        if len(sitemaps) > SITEMAP_MAX_URLS:
            raise ValueError(f"{len(sitemaps)} sitemaps; a sitemap index holds at most {SITEMAP_MAX_URLS}")
        items = [(absolute(self.site.base_url, p), m) for p, m in sitemaps]
        return self._render("sitemap_index.xml", items=items)

    def sitemap(self, entries: Sequence[tuple[str, datetime]]) -> str:
        if len(entries) > SITEMAP_MAX_URLS:
            raise ValueError(f"{len(entries)} URLs; a sitemap holds at most {SITEMAP_MAX_URLS}")
        items = [(absolute(self.site.base_url, p), m) for p, m in entries]
        return self._render("sitemap.xml", items=items)

    def robots_txt(self) -> str:
        return self._render("robots.txt", sitemap_url=absolute(self.site.base_url, SITEMAP_PATH))

    # -- internals -----------------------------------------------------------------------------

    @staticmethod
    def _toc(headings: Sequence[Heading]) -> list[dict[str, Any]]:
        if len(headings) < TOC_MIN_HEADINGS:
            return []
        top = min(h.level for h in headings)
        return [{"heading": h, "depth": min(h.level - top, 3)} for h in headings]

    def _head(
        self,
        *,
        lang: str,
        title: str,
        og_title: str,
        description: str = "",
        canonical: str | None = None,
        og_type: str = "website",
        og_meta: Sequence[tuple[str, str]] = (),
        jsonld: Mapping[str, Any] | None = None,
        noindex: bool = False,
        feed: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        return {
            "feed": feed,
            "title": title,
            "og_title": og_title,
            "description": description,
            "canonical": canonical,
            "og_type": og_type,
            # Open Graph wants language_TERRITORY; a bare language has no valid form.
            "og_locale": lang.replace("-", "_") if re.fullmatch(r"[a-zA-Z]{2,3}-[a-zA-Z]{2}", lang) else None,
            "og_meta": list(og_meta),
            "jsonld": _json_for_script(jsonld) if jsonld else None,
            "noindex": noindex,
        }

    def _context(self, lang: str) -> dict[str, Any]:
        ui = _ui(lang)
        primary = lang.split("-")[0].lower()

        def t(key: str, **kwargs: Any) -> str:
            return ui[key].format(**kwargs) if kwargs else ui[key]

        def date_text(dt: datetime) -> str:
            if primary == "ja":
                return f"{dt.year}年{dt.month}月{dt.day}日"
            return f"{_MONTHS[dt.month - 1]} {dt.day}, {dt.year}"

        def month_text(key: str) -> str:
            """A month listing's key ("2025/09") as a heading: "September 2025"."""
            year, _, month = key.partition("/")
            if not (year.isdigit() and month.isdigit() and 1 <= int(month) <= 12):
                return key
            return f"{year}年{int(month)}月" if primary == "ja" else f"{_MONTHS[int(month) - 1]} {year}"

        return {**self._globals, "t": t, "date_text": date_text, "month_text": month_text}

    def _render(self, name: str, **context: Any) -> str:
        ctx = {**self._context(context.get("lang", self.site.language)), **context}
        if self._env is self._packaged:
            return self._packaged.get_template(name).render(ctx)
        from .sandbox import render_limits

        for _ in range(2):  # once more when a packaged file it uses (base.html...) was given up
            try:
                with render_limits():
                    return self._env.get_template(name).render(ctx)
            except Exception as exc:  # any failure in a writer's template: fall back, report it
                where = self._report_runtime(name, exc)
                given_up = self._theme is not None and where in self._theme.given_up
                if where == name or not given_up or where not in _packaged_names():
                    break
        return self._packaged.get_template(name).render(ctx)

    def _report_runtime(self, name: str, exc: Exception) -> str:
        """Report a failed render; the theme file it failed in."""
        from jinja2 import TemplateSyntaxError
        from jinja2.exceptions import SecurityError

        where, line = name, None
        if isinstance(exc, TemplateSyntaxError) and exc.name:  # an included file, compiled now
            where, line = exc.name, exc.lineno
        for frame in traceback.extract_tb(exc.__traceback__):
            if frame.filename.startswith(_OVERRIDE_PREFIX):
                where, line = frame.filename.removeprefix(_OVERRIDE_PREFIX), frame.lineno
        detail = " ".join(str(exc).split()) or type(exc).__name__
        text = f"{where}: error while rendering {name}: {detail}; using the packaged {name} instead"
        self._problem(text, line=line, where=where)
        if self._theme is not None and isinstance(
            exc, SecurityError | TemplateSyntaxError | MemoryError | RecursionError
        ):
            # Over a limit or never compiling: every page would pay for it again. Served packaged
            # for this theme version, and reported in every draft's report until it changes.
            self._theme.give_up(where, (text, line, where))
        return where

    def _problem(self, text: str, line: int | None = None, where: str | None = None) -> None:
        file = _OVERRIDE_PREFIX + where if where else None
        message = Message("warning", text, line=line, field="theme", file=file)
        if message not in self.problems:
            self.problems.append(message)


def _default_page_url(path: str) -> Callable[[int], str]:
    """Page n of a listing at `path`, following urls._listing: base/ and base/page/n/."""
    base = _PAGE_SUFFIX.sub("", path)
    return lambda n: base if n <= 1 else f"{base}page/{n}/"


@cache
def _stylesheet_href() -> str:
    return f"{STYLESHEET_PATH}?v={hashlib.sha256(_stylesheet()).hexdigest()[:12]}"


@cache
def _packaged_environment() -> Environment:
    from jinja2 import FileSystemLoader

    return _environment(FileSystemLoader(str(_TEMPLATE_DIR)), sandboxed=False)


class _Theme:
    """The overrides of one theme version, compiled in the sandbox (stitchpress.core.sandbox), and
    the problems found with them so far. Shared by every Renderer of the process."""

    def __init__(self, sources: dict[str, str], packaged: frozenset[str]) -> None:
        from jinja2 import ChoiceLoader, FileSystemLoader, FunctionLoader

        self.sources = sources
        self.given_up: set[str] = set()
        self.problems: list[tuple[str, int | None, str | None]] = []
        self.env: Environment | None = None
        if not sources:
            return
        env = _environment(FunctionLoader(self._load), sandboxed=True)
        env.loader = ChoiceLoader([FunctionLoader(self._load), FileSystemLoader(str(_TEMPLATE_DIR))])
        # Compile now the overrides of the templates the site renders, so a broken one is
        # reported with every draft; any other file is compiled when one of them includes it.
        for name in sorted(set(sources) & packaged):
            try:
                env.get_template(name)
            except Exception as exc:  # any failure: report it, serve the packaged one
                line = getattr(exc, "lineno", None)
                detail = getattr(exc, "message", None) or " ".join(str(exc).split()) or type(exc).__name__
                self.give_up(name, (f"{name}: {detail}; using the packaged {name} instead", line, name))
        if set(sources) - self.given_up:
            self.env = env

    def _load(self, name: str) -> tuple[str, str, Callable[[], bool]] | None:
        # Named theme/<name> so tracebacks (and problems) point at the writer's file.
        source = None if name in self.given_up else self.sources.get(name)
        return None if source is None else (source, _OVERRIDE_PREFIX + name, lambda: True)

    def give_up(self, name: str, problem: tuple[str, int | None, str | None]) -> None:
        self.given_up.add(name)
        if problem not in self.problems:
            self.problems.append(problem)
        if self.env is not None and self.env.cache is not None:
            self.env.cache.clear()  # templates that extend or include it load the packaged one


@cache
def _packaged_names() -> frozenset[str]:
    return frozenset(p.name for p in _TEMPLATE_DIR.iterdir() if _OVERRIDE_NAME.match(p.name))


@lru_cache(maxsize=8)
def _override_theme(overrides: tuple[tuple[str, str], ...]) -> _Theme:
    """The compiled theme for (name, source) overrides: once per theme version and process."""
    sources: dict[str, str] = {}
    problems = []
    for name, source in overrides:
        if _OVERRIDE_NAME.match(name):
            sources[name] = source
        else:
            text = f"{name}: not a template name this theme uses (flat name ending in .html, .xml or .txt); ignored"
            problems.append((text, None, None))
    theme = _Theme(sources, _packaged_names())
    theme.problems[:0] = problems
    return theme


def _environment(loader: BaseLoader, *, sandboxed: bool) -> Environment:
    from jinja2 import Environment, StrictUndefined, select_autoescape

    from .sandbox import BoundedSandbox

    cls = BoundedSandbox if sandboxed else Environment
    env = cls(
        loader=loader,
        autoescape=select_autoescape(
            enabled_extensions=("html", "xml"), disabled_extensions=("txt",), default=True
        ),
        undefined=StrictUndefined,  # a misspelt variable in a theme is an error, not blank text
        finalize=_clean,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
    )
    env.filters.update(
        href=quote_path,
        iso=_iso,
        tag_href=lambda term: quote_path(tag_path(term.key)),
        category_href=lambda term: quote_path(category_path(term.key)),
    )
    if isinstance(env, BoundedSandbox):
        env.bound_filters()
    return env


if __name__ == "__main__":
    print(pygments_css(), end="")
