"""Helpers shared by the test modules of every tier (one place, instead of test modules importing
one another): drafts and events to upload, publishing through the handler, site and template
readers, the running local stack."""

from __future__ import annotations

import copy
import importlib.util
import io
import itertools
import json
import os
import re
import signal
import struct
import subprocess
import threading
import time
import urllib.error
import urllib.request
import zlib
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from functools import cache
from typing import Any

import html5lib
from cfnlint.decode.cfn_yaml import load  # type: ignore[import-untyped]
from PIL import Image

from stitchpress.aws.pending import PENDING, PendingIndex
from stitchpress.core import clock
from stitchpress.core.model import PostSummary, SiteSettings, Term
from stitchpress.core.render import Renderer, render_markdown
from stitchpress.local.runtime import QueueWorker, _notify_delete_markers
from stitchpress.service.sweep import sweep
from tests.conftest import ROOT
from tests.functional.conftest import Aws, load_event


def draft(
    title: str, date: str, tags: list[str] | None = None, body: str = "本文です。", **extra: str
) -> bytes:
    lines = ["---", f'title: "{title}"', f"date: {date}"]
    if tags is not None:
        lines.append(f"tags: {json.dumps(tags, ensure_ascii=False)}")
    lines += [f"{k}: {v}" for k, v in extra.items()]
    return ("\n".join([*lines, "---", "", body, ""])).encode()


def publish(aws: Aws, key: str, data: bytes, seq: int | None = None) -> dict[str, Any]:
    version = upload(aws, key, data)
    return aws.invoke(s3_event(aws, key, version=version, seq=seq))["outcomes"][0]


def s3_event(
    aws: Aws, key: str, kind: str = "put", version: str | None = None, seq: int | None = None
) -> dict:
    event = copy.deepcopy(load_event("s3-put.json" if kind == "put" else "s3-delete.json"))
    obj = event["Records"][0]["s3"]["object"]
    obj["key"] = key.replace(" ", "+")
    obj["sequencer"] = f"{seq if seq is not None else next(_seq):018X}"
    if version:
        obj["versionId"] = version
    event["Records"][0]["s3"]["bucket"]["name"] = aws.drafts
    return event


def upload(aws: Aws, key: str, data: bytes) -> str:
    return str(aws.s3.put_object(Bucket=aws.drafts, Key=key, Body=data)["VersionId"])


def sqs_record(body: str, message_id: str, receipt_handle: str | None = None) -> dict:
    """One SQS record as Lambda's event source mapping delivers it (events/sqs-s3-put.json's)."""
    record = copy.deepcopy(load_event("sqs-s3-put.json")["Records"][0])
    record.update(body=body, messageId=message_id)
    if receipt_handle is not None:
        record["receiptHandle"] = receipt_handle
    return record


def sqs_wrap(event: dict, message_id: str) -> dict:
    return {"Records": [sqs_record(json.dumps(event), message_id)]}


def nav_links(html: str) -> set[str]:
    """The previous/next links of a post page (its related posts link others by their own rule)."""
    return links(html[html.find('<nav class="post-nav"') :])


def links(html: str) -> set[str]:
    import re

    return set(re.findall(r'href="([^"]+)"', html))


_seq = itertools.count(1)


def delete_image(aws: Aws, key: str) -> dict[str, Any]:
    aws.s3.delete_object(Bucket=aws.drafts, Key=key)
    return dict(aws.invoke_images(s3_event(aws, key, kind="delete"))["outcomes"][0])


def media(aws: Aws) -> set[str]:
    return {k for k in aws.site_objects() if k.startswith("media/")}


def picture(color: str = "white", size: tuple[int, int] = (600, 400), fmt: str = "PNG") -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, fmt)
    return buf.getvalue()


def put_image(aws: Aws, key: str, data: bytes, seq: int | None = None) -> dict[str, Any]:
    version = upload(aws, key, data)
    outcomes = aws.invoke_images(s3_event(aws, key, version=version, seq=seq))["outcomes"]
    assert len(outcomes) == 1
    return dict(outcomes[0])


def tags(aws: Aws, key: str) -> dict[str, str]:
    resp = aws.s3.get_object_tagging(Bucket=aws.site, Key=key)
    return {t["Key"]: t["Value"] for t in resp["TagSet"]}


def post_links(aws: Aws, day: int, slug: str) -> set[str]:
    html = aws.page(f"2025/09/{day:02d}/{slug}/index.html")
    html = html[html.find('<nav class="post-nav"') :]  # previous/next, not the related posts
    return {h for h in re.findall(r'href="([^"]+)"', html) if re.fullmatch(r"/2025/09/\d\d/[a-z0-9-]+/", h)}


class Site:
    def __init__(self, aws: Aws, fake: clock.FakeClock) -> None:
        _notify_delete_markers()  # moto sends no event for a versioned delete; S3 does
        self.aws = aws
        self.fake = fake
        self.worker = QueueWorker(aws.stack, aws.sqs, aws.app.handler)
        self.pending = PendingIndex(aws.ddb, aws.stack.config.index_table)
        self.sent_bodies: list[str] = []

    def drain(self) -> None:
        while self.worker.poll_once(wait_seconds=0):
            pass
        assert not self.worker.errors, self.worker.errors

    def upload(self, key: str, data: bytes) -> dict[str, Any]:
        self.aws.s3.put_object(Bucket=self.aws.drafts, Key=key, Body=data)
        self.drain()
        return self.aws.report(key)

    def delete(self, key: str) -> None:
        self.aws.s3.delete_object(Bucket=self.aws.drafts, Key=key)
        self.drain()

    def at(self, when: datetime) -> list[str]:
        """Move the clock to `when`, run one sweep, apply what it enqueued; the drafts sent."""
        self.fake.set(when)
        sent = sweep(self.pending, self.aws.sqs, self.aws.stack.queue_url, clock.now())
        self.drain()
        return [e.key for e in sent]

    def pending_items(self) -> list[dict[str, Any]]:
        resp = self.aws.ddb.query(
            TableName=self.aws.stack.config.index_table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": PENDING}},
        )
        return list(resp["Items"])

    def objects(self) -> dict[str, bytes]:
        return self.aws.site_objects()

    def live(self, url: str) -> bool:
        """The post's page exists and the home page, the feed and the sitemaps link it."""
        objects = self.objects()
        page = url.strip("/") + "/index.html"
        listed = [
            url in objects.get("index.html", b"").decode(),
            url in objects.get("feed.xml", b"").decode(),
            any(url in v.decode() for k, v in objects.items() if k.startswith("sitemaps/")),
        ]
        assert (page in objects) == all(listed) == any(listed), (page in objects, listed)
        return page in objects


def allowed(action: str, role: str = "PublishFunctionRole") -> list[str]:
    """Resources (as text) on which the function's role allows `action`."""
    out: list[str] = []
    for st in role_statements(role):
        if st["Effect"] == "Allow" and action in as_list(st["Action"]):
            out += [text(r) for r in as_list(st["Resource"])]
    return out


def props(logical_id: str) -> dict[str, Any]:
    p: dict[str, Any] = resource(logical_id)["Properties"]
    return p


@cache
def template() -> dict[str, Any]:
    loaded: dict[str, Any] = load(str(TEMPLATE))
    return loaded


def text(node: Any) -> str:
    """An intrinsic as readable text, e.g. {"Fn::GetAtt": ["A", "Arn"]} -> "${A.Arn}"."""
    if isinstance(node, str):
        return node
    if isinstance(node, dict) and len(node) == 1:
        (fn, arg), *_ = node.items()
        if fn == "Ref":
            return f"${{{arg}}}"
        if fn == "Fn::GetAtt":
            return "${" + (".".join(arg) if isinstance(arg, list) else str(arg)) + "}"
        if fn == "Fn::Sub":
            return str(arg[0] if isinstance(arg, list) else arg)
    return json.dumps(node, sort_keys=True)


def as_list(node: Any) -> list[Any]:
    return list(node) if isinstance(node, list) else [node]


def role_statements(role: str = "PublishFunctionRole") -> Iterator[dict[str, Any]]:
    for policy in props(role)["Policies"]:
        yield from policy["PolicyDocument"]["Statement"]


def resource(logical_id: str) -> dict[str, Any]:
    res: dict[str, Any] = template()["Resources"][logical_id]
    return res


TEMPLATE = ROOT / "template.yaml"


SITE = SiteSettings(
    title="Example",
    base_url="https://blog.example.com",
    language="en",
    description="A blog",
    author="Site Owner",
)


def parse(page: str) -> Any:
    return html5lib.parse(page, namespaceHTMLElements=False)


def summary(n: int = 1, **kw: Any) -> PostSummary:
    fields: dict[str, Any] = {
        "source_key": f"drafts/p{n}.md",
        "title": f"Post {n}",
        "date": datetime(2025, 9, n, 8, 30, tzinfo=JST),
        "url": f"/2025/09/{n:02d}/post-{n}/",
        "excerpt": f"Excerpt {n}",
        "tags": (Term("ai", "AI"),),
        "categories": (Term("投資分析", "投資分析"),),
    }
    fields.update(kw)
    return PostSummary(**fields)


def post_page(renderer: Renderer) -> str:
    """The page of a one-word post (summary()) as `renderer` renders it: for tests of a theme."""
    return renderer.post_page(summary(), render_markdown("x"), reading_time=1)


def text_of(el: Any) -> str:
    return "".join(el.itertext())


JST = timezone(timedelta(hours=9))


AUTHOR = "<svg onload=alert(5)>Mallory</svg></script>"


BODY = """\
# <script>alert('heading')</script>

<script>alert(10)</script>
<img src=x onerror=alert(11)>
<a href="javascript:alert(12)">raw anchor</a>
<iframe src="javascript:alert(13)"></iframe>
<form action="javascript:alert(14)"><button>go</button></form>
<meta http-equiv="refresh" content="0;url=javascript:alert(15)">
<base href="javascript:alert(16)//">
<svg><script>alert(17)</script></svg>
<style>body{background:url(javascript:alert(18))}</style>
<div style="background:url(javascript:alert(19))" onclick="alert(20)">div</div>

[plain](javascript:alert(21))
[mixed case](JaVaScRiPt:alert(22))
[entity](&#106;avascript:alert(23))
[hex entity](&#x6A;avascript&colon;alert(24))
[tab](<java\tscript:alert(25)>)
[tab entity](java&#9;script:alert(26))
[newline entity](java&#10;script:alert(27))
[leading space]( javascript:alert(28))
[control](&#1;javascript:alert(29))
[percent](%6Aavascript:alert(30))
[vbscript](vbscript:msgbox(31))
[file](file:///etc/passwd)
[data html](data:text/html;base64,PHNjcmlwdD5hbGVydCgzMik8L3NjcmlwdD4=)
[data html plain](data:text/html,<script>alert(33)</script>)
![svg image](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMzQpPg==)
![js image](javascript:alert(35))
![ok image](data:image/png;base64,iVBORw0KGgo=)
<javascript:alert(36)>
<JAVASCRIPT:alert(37)>
[ref link][evil]
[title quote](https://example.com/ "a\\" onmouseover=\\"alert(38)")
[[nested](javascript:alert(39))](https://example.com/)
[ok](https://example.com/safe)

[evil]: javascript:alert(40)

```"><script>alert(41)</script>
code
```

Footnote[^<script>alert(42)</script>].

[^<script>alert(42)</script>]: note <script>alert(43)</script>
"""


CATEGORY_NAMES = ["<iframe src=javascript:alert(9)>"]


EXCERPT = '</script><script>alert(3)</script>" onmouseover="alert(4)" & <!--'


TAG_NAMES = ["<script>alert(6)</script>", '" onfocus="alert(7)', "javascript:alert(8)", "</script><!--"]


TITLE = '"><script>alert(1)</script><img src=x onerror=alert(2)></title><!-- </script>'


def assert_safe_html(page: str) -> Any:
    doc = html5lib.parse(page, namespaceHTMLElements=False)
    ld_scripts = 0
    for el in doc.iter():
        tag = el.tag if isinstance(el.tag, str) else ""
        assert tag not in FORBIDDEN_TAGS, f"<{tag}> element in output"
        if tag == "script":
            assert el.get("type") == "application/ld+json", "executable <script> in output"
            assert "<" not in (el.text or ""), "raw '<' inside JSON-LD"
            json.loads(el.text or "")
            ld_scripts += 1
        if tag == "meta":
            assert el.get("http-equiv") is None, "meta http-equiv in output"
        for name, value in el.attrib.items():
            lname = name.lower()
            assert not lname.startswith("on"), f"event handler attribute {name}={value!r} on <{tag}>"
            assert lname not in ("style", "srcdoc"), f"{name} attribute on <{tag}>"
            if lname in URL_ATTRS:
                url = squash(value)
                if tag == "img" and lname == "src" and SAFE_IMAGE_DATA.match(url):
                    continue
                assert not url.startswith(DANGEROUS), f"dangerous {name}={value!r} on <{tag}>"
    # html5lib saw every <script> the page has: none hides inside a comment or attribute trick.
    assert len(re.findall(r"<script\b", page, re.IGNORECASE)) == ld_scripts
    return doc


def squash(url: str) -> str:
    """The scheme part as a browser reads it: controls and whitespace gone, case folded."""
    return re.sub(r"[\x00-\x20\x7f]", "", url).lower()


FORBIDDEN_TAGS = {
    "iframe",
    "object",
    "embed",
    "base",
    "form",
    "style",
    "svg",
    "math",
    "frame",
    "frameset",
    "applet",
}


SAFE_IMAGE_DATA = re.compile(r"data:image/(png|gif|jpeg|webp)[;,]")


URL_ATTRS = {"href", "src", "action", "formaction", "xlink:href", "poster", "background", "cite", "data"}


DANGEROUS = ("javascript:", "vbscript:", "file:", "data:")


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims width x height (what a decompression bomb looks like)."""
    data = bytearray(encode(Image.new("1", (8, 8)), "PNG"))
    ihdr = 8 + 8  # signature, then length + "IHDR"
    data[ihdr : ihdr + 8] = struct.pack(">II", width, height)
    crc = zlib.crc32(bytes(data[ihdr - 4 : ihdr + 13]))
    data[ihdr + 13 : ihdr + 17] = struct.pack(">I", crc)
    return bytes(data)


def encode(im: Image.Image, fmt: str, **kwargs: object) -> bytes:
    buf = io.BytesIO()
    im.save(buf, fmt, **kwargs)
    return buf.getvalue()


STARTUP_LIMIT = 40  # seconds; the before-stop hook waits as long for site_url=


class Running:
    """A long-running command whose output we read line by line while it runs."""

    def __init__(self, command: str) -> None:
        self.command = command
        self.proc = subprocess.Popen(
            ["bash", "-c", command],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # its own process group: Ctrl-C reaches it alone
        )
        self.lines: list[str] = []
        self.ended = False  # its output is closed: no more lines will come
        self._changed = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            with self._changed:
                self.lines.append(line.rstrip("\n"))
                self._changed.notify_all()
        with self._changed:
            self.ended = True
            self._changed.notify_all()

    def wait_for(self, pattern: str, timeout: float = 60) -> re.Match[str]:
        """The first output line matching `pattern`, waiting for it."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for line in self.lines:
                    if m := regex.search(line):
                        return m
                left = deadline - time.monotonic()
                if left <= 0 or self.ended:
                    raise AssertionError(
                        f"`{self.command}` printed no line matching {pattern!r}:\n" + "\n".join(self.lines)
                    )
                self._changed.wait(min(left, 0.5))

    def outputs(self) -> dict[str, str]:
        self.wait_for(r"^site_url=", timeout=STARTUP_LIMIT)
        return dict(line.split("=", 1) for line in self.lines if re.match(r"^[a-z_]+=", line))

    def interrupt(self) -> None:
        """Ctrl-C, as a user stops it."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGINT)

    def exit_status(self) -> int:
        try:
            return self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            raise AssertionError(f"`{self.command}` ignored Ctrl-C:\n" + "\n".join(self.lines)) from None


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


BOMBS = {
    "power": "{{ 9**(9**9) }}",
    "nested loops": "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
    "huge string": '{{ "a" * 10**9 }}',
    "huge list": "{{ ([1] * 100000) * 100000 }}",
    "lipsum": "{{ lipsum(n=2000000) }}",
    "width": "{{ 'a'|center(999999999) }}",
    "format width": "{{ '{:>999999999}'.format(1) }}",
    "percent width": "{{ '%999999999d' % 1 }}",
    "doubling": '{% set ns = namespace(s="ab") %}{% for i in range(60) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}',
    "squaring": "{% set ns = namespace(x=3) %}{% for i in range(100) %}{% set ns.x = ns.x * ns.x %}{% endfor %}",
    "doubling macro": "{% macro f(s, n) %}{% if n %}{{ f(s ~ s, n-1) }}{% endif %}{% endmacro %}{{ f('ab', 60) }}",
    "replace": "{% set a = 'a' * 1000000 %}{{ a|replace('a', a) }}",
    "join": "{% set a = ['x' * 1000000] * 1000 %}{{ a|join }}",
    "indent": "{% set a = '\\n' * 1000000 %}{{ a|indent(99999) }}",
    "literal in a loop": "{% macro m() %}{% for i in range(100000) %}"
    + "A" * 5000
    + "{% endfor %}{% endmacro %}{{ m() }}",
    "recursion": "{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}",
    "safe": "{{ post.title|safe }}",
    "safe block": "{% filter safe %}{{ post.title }}{% endfilter %}",
    "autoescape off": "{% autoescape false %}{{ post.title }}{% endautoescape %}",
}


HEAD = '{% extends "base.html" %}\n{% block main %}\n<h1>MINE</h1>\n'


TAIL = "\n{% endblock %}\n"


def function_handler(logical_id: str, folder: str) -> Any:
    """The handler a template function names (Handler "module.attr" under CodeUri), imported from
    functions/<folder>/ as Lambda would; asserts the template points at that folder."""
    fn = props(logical_id)
    module_name, _, attr = fn["Handler"].partition(".")
    path = ROOT / fn["CodeUri"] / f"{module_name}.py"
    assert path == ROOT / "functions" / folder / "app.py"
    spec = importlib.util.spec_from_file_location(f"{folder}_app_under_test", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, attr)
