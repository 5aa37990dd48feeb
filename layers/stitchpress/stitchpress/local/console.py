"""One readable line per processed draft for `stitchpress local up`, instead of the function's
JSON log (which is what CloudWatch wants, not a writer watching a terminal)."""

from __future__ import annotations

import logging
import sys
from typing import Any, TextIO

_LEVEL_PREFIXES = ("warning: ", "info: ")


def first_error(key: str, messages: list[str]) -> str | None:
    """The first formatted message that is an error (errors carry no level prefix)."""
    for line in messages:
        if not _after_location(key, line).startswith(_LEVEL_PREFIXES):
            return line
    return None


def _after_location(key: str, line: str) -> str:
    """`drafts/x.md:3: warning: ...` -> `warning: ...`"""
    return line[len(key) :].lstrip(":0123456789").lstrip() if line.startswith(key) else line


def outcome_line(key: str, status: str, url: str | None, messages: list[str], site_url: str) -> str:
    """e.g. `published    drafts/x.md  http://127.0.0.1:8000/2025/09/21/x/  (2 warnings)`."""
    parts = [f"{status:<11}", key]
    if url:
        parts.append(site_url + url if url.startswith("/") else url)
    if status == "rejected":
        error = first_error(key, messages)
        if error:
            parts.append(f"-> {error}")
    if status in ("scheduled", "expired"):  # when it goes live, or that it came down
        when = next((m for m in messages if "scheduled: " in m or "expired at " in m), None)
        if when:
            parts.append("-> " + when.split(": ", 3)[-1].removeprefix("scheduled: "))
    warnings = sum(1 for m in messages if _after_location(key, m).startswith("warning: "))
    if warnings:
        parts.append(f"({warnings} warning{'s' if warnings > 1 else ''}; the report has them)")
    return "  ".join(parts)


class OutcomeLines(logging.Handler):
    """Prints the handler's per-draft outcome records; ignores every other record."""

    def __init__(self, site_url: str, stream: TextIO | None = None) -> None:
        super().__init__(level=logging.INFO)
        self.site_url = site_url
        self.stream = stream

    def emit(self, record: logging.LogRecord) -> None:
        # handler.publish_change logs each outcome as "<status>: <key>" with extra keys status, url, messages.
        status: Any = getattr(record, "status", None)
        text = record.getMessage()
        if not isinstance(status, str) or not text.startswith(f"{status}: "):
            return
        key = text[len(status) + 2 :]
        messages = [str(m) for m in getattr(record, "messages", None) or []]
        line = outcome_line(key, status, getattr(record, "url", None), messages, self.site_url)
        stream = self.stream or sys.stdout
        print(line, file=stream, flush=True)


def show_outcomes(powertools_logger: Any, site_url: str) -> OutcomeLines:
    """Route the function's outcome records to readable lines; its JSON output keeps only errors."""
    target = logging.getLogger(powertools_logger.name)
    for existing in target.handlers:
        existing.setLevel(logging.ERROR)
    target.setLevel(logging.INFO)
    lines = OutcomeLines(site_url)
    target.addHandler(lines)
    return lines
