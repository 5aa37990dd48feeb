"""The drafts bucket's layout: where drafts, reports and theme overrides live (pure names; the
S3 adapter, the event parser and the pipeline all read them here)."""

from __future__ import annotations

REPORTS_PREFIX = "reports/"
THEME_PREFIX = "theme/"
DRAFTS_PREFIX = "drafts/"


def report_key(draft_key: str) -> str:
    """reports/<draft key without drafts/>.json — outside drafts/, so it never triggers a publish."""
    name = draft_key[len(DRAFTS_PREFIX) :] if draft_key.startswith(DRAFTS_PREFIX) else draft_key
    return f"{REPORTS_PREFIX}{name}.json"


def rebuild_report_key(job_id: str) -> str:
    """reports/rebuilds/<job>.json: no draft's report is named so (theirs end in .md.json)."""
    return f"{REPORTS_PREFIX}rebuilds/{job_id}.json"
