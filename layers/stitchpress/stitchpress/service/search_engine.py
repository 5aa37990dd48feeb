"""Pagefind, driven through its service mode (`pagefind --service`): records in, index files out.

The binary comes from the `pagefind-bin-extended` wheel (x86_64 and aarch64 builds; on Lambda it
is in the search layer) or PAGEFIND_BINARY_PATH. We speak its protocol (base64 JSON messages, each
ended by a comma, answered in order) ourselves rather than through the `pagefind` package's
asyncio client: that client sleeps 0.1 s before reading each answer, so 10,000 records would
take over 16 minutes; here the records stream in from one thread while the answers are read in
another, and 10,000 take seconds (BENCHMARKS.md).
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import subprocess
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from ..core.search import Record


class PagefindError(Exception):
    pass


def executable() -> str:
    """Pagefind's extended build (pagefind-bin-extended): only it segments Japanese and Chinese
    into words; the standard build indexes a Japanese sentence as one "word", which no search
    for a word inside it finds."""
    path = os.environ.get("PAGEFIND_BINARY_PATH")
    if path:
        return path
    try:
        from pagefind_bin_extended import get_executable  # type: ignore[import-untyped, unused-ignore]
    except ImportError as e:
        raise PagefindError(
            "the Pagefind binary is missing: install the pagefind-bin-extended package "
            "(pip install pagefind-bin-extended) or set PAGEFIND_BINARY_PATH"
        ) from e
    return str(get_executable())


class _Service:
    def __init__(self) -> None:
        self.proc = subprocess.Popen(  # noqa: S603 - our own binary, no shell
            [executable(), "--service"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self.next_id = 0
        self.buffer = b""

    def send(self, payload: dict[str, Any]) -> int:
        assert self.proc.stdin is not None
        self.next_id += 1
        message = {"message_id": self.next_id, "payload": payload}
        self.proc.stdin.write(base64.b64encode(json.dumps(message).encode("utf-8")) + b",")
        return self.next_id

    def flush(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.flush()

    def receive(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        while b"," not in self.buffer:
            chunk = os.read(self.proc.stdout.fileno(), 1 << 20)  # what is there, up to 1 MiB
            if not chunk:
                raise PagefindError(f"pagefind stopped (exit status {self.proc.poll()})")
            self.buffer += chunk
        message, self.buffer = self.buffer.split(b",", 1)
        payload: dict[str, Any] = json.loads(base64.b64decode(message))["payload"]
        if payload.get("type") == "Error":
            raise PagefindError(f"pagefind: {payload.get('message')}")
        return payload

    def call(self, payload: dict[str, Any]) -> dict[str, Any]:
        self.send(payload)
        self.flush()
        return self.receive()

    def close(self) -> None:
        if self.proc.stdin is not None and not self.proc.stdin.closed:
            with contextlib.suppress(BrokenPipeError):
                self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def build(records: Iterable[Record], out_dir: Path) -> int:
    """Index the records and write Pagefind's bundle (pagefind.js, the entry, hashed index and
    fragment files) into `out_dir`; the number of records indexed."""
    service = _Service()
    try:
        index_id = service.call({"type": "NewIndex", "config": None})["index_id"]
        sent = 0
        failure: list[BaseException] = []

        def feed() -> None:
            nonlocal sent
            try:
                for record in records:
                    service.send(
                        {
                            "type": "AddRecord",
                            "index_id": index_id,
                            "url": record.url,
                            "content": record.content(),
                            "language": record.language,
                            "meta": {"title": record.title},
                            "filters": None,
                            "sort": {"date": record.date},
                        }
                    )
                    sent += 1
            except BaseException as e:  # raised by the reading thread below
                failure.append(e)
            finally:
                service.flush()  # every record sent is answered, so the reader below ends
                done.set()

        done = threading.Event()
        writer = threading.Thread(target=feed, name="pagefind-feed", daemon=True)
        writer.start()
        received = 0
        # Read while the writer writes: the service answers each record, and unread answers
        # would fill the pipe and stall both sides.
        while not done.is_set() or received < sent:  # `sent` is final once `done` is set
            if received < sent:
                service.receive()
                received += 1
            else:
                done.wait(0.005)
        writer.join()
        if failure:
            raise failure[0]
        # The bundle in the answer itself, written here. With WriteFiles, two CI runs under load
        # uploaded an unreadable pagefind-entry.json and a changed pagefind-ui.js, most likely
        # files Pagefind had not finished writing. GetFiles gives the same files, byte for byte.
        for file in service.call({"type": "GetFiles", "index_id": index_id})["files"]:
            path = out_dir / file["path"]
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(base64.b64decode(file["content"]))
        return received
    finally:
        service.close()


def files(out_dir: Path) -> Iterator[tuple[str, Path]]:
    """(site key, file) for every file of the bundle, the keys under search.PREFIX."""
    from ..core.search import PREFIX

    for path in sorted(out_dir.rglob("*")):
        if path.is_file():
            yield PREFIX + path.relative_to(out_dir).as_posix(), path
