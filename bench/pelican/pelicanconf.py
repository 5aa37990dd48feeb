"""Pelican settings for the benchmark (bench/bench_live.py runs bench/.venv-pelican/bin/pelican).

The same page kinds as stitchpress writes: posts at /yyyy/mm/dd/slug/, paginated home, tag and
category pages, month archives, tag/category overviews and an Atom feed, with the bundled
"notmyidea" theme. The content cache is on: a rebuild re-reads only changed files.
"""

import os

AUTHOR = "bench"
SITENAME = "bench"
SITEURL = ""
TIMEZONE = "Asia/Tokyo"
DEFAULT_LANG = "ja"
PATH = os.environ["BENCH_PELICAN_CONTENT"]
OUTPUT_PATH = os.environ["BENCH_PELICAN_OUTPUT"]
CACHE_PATH = os.environ["BENCH_PELICAN_CACHE"]

CACHE_CONTENT = True
LOAD_CONTENT_CACHE = True
CONTENT_CACHING_LAYER = "reader"
CHECK_MODIFIED_METHOD = "mtime"

DEFAULT_PAGINATION = 20
PAGINATED_TEMPLATES = {"index": None, "tag": None, "category": None, "author": None}
SLUGIFY_USE_UNICODE = True  # Japanese tag names keep their own URLs, as in stitchpress and Hugo

ARTICLE_URL = "{date:%Y}/{date:%m}/{date:%d}/{slug}/"
ARTICLE_SAVE_AS = "{date:%Y}/{date:%m}/{date:%d}/{slug}/index.html"
MONTH_ARCHIVE_SAVE_AS = "{date:%Y}/{date:%m}/index.html"
TAG_URL = "tags/{slug}/"
TAG_SAVE_AS = "tags/{slug}/index.html"
CATEGORY_URL = "categories/{slug}/"
CATEGORY_SAVE_AS = "categories/{slug}/index.html"

# stitchpress writes no author pages and a month overview, not one page listing every post.
AUTHOR_SAVE_AS = ""
AUTHORS_SAVE_AS = ""
ARCHIVES_SAVE_AS = ""

FEED_ALL_ATOM = "feed.xml"
CATEGORY_FEED_ATOM = None
TRANSLATION_FEED_ATOM = None
AUTHOR_FEED_ATOM = None
AUTHOR_FEED_RSS = None
RELATIVE_URLS = True
