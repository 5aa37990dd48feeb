"""The search job's index build at 1,000 and 10,000 posts: time and peak memory.

    .venv/bin/python bench/bench_search.py --sizes 1000,10000

Each size runs in a fresh child process: the corpus's posts (bench/corpus.py, ~3,000 characters
of mixed Japanese/English Markdown each) are rendered and turned into the texts a publish keeps
(stitchpress.core.search.text_of), then stitchpress.service.search_engine.build streams them to
Pagefind's extended binary and writes the bundle, as the search job does on Lambda. Reported:
the build's wall time (records in, files written), the peak RSS of Pagefind and of the Python
process (the Lambda function holds both), and the bundle's size and file count (the first run's
uploads; later runs upload only the files whose content changed).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def child(n: int) -> dict[str, float]:
    import corpus

    from stitchpress.core.render import render_markdown
    from stitchpress.core.search import Record, language, text_of
    from stitchpress.core.textstats import detect_language
    from stitchpress.service.search_engine import build

    started = time.monotonic()
    records = []
    for post in corpus.generate(n):
        records.append(
            Record(
                url=f"/{post.date:%Y/%m/%d}/{post.slug}/",
                title=post.title,
                language=language(detect_language(post.body), "en"),
                date=post.date.isoformat(),
                text=text_of(render_markdown(post.body).html),
            )
        )
    prepared = time.monotonic() - started
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.monotonic()
        count = build(iter(records), Path(tmp))
        seconds = time.monotonic() - t0
        files = [p for p in Path(tmp).rglob("*") if p.is_file()]
        size = sum(p.stat().st_size for p in files)
    return {
        "posts": n,
        "indexed": count,
        "build_seconds": round(seconds, 2),
        "prepare_seconds": round(prepared, 2),
        "pagefind_peak_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1),
        "python_peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "bundle_files": len(files),
        "bundle_mb": round(size / 1e6, 1),
        "languages": sorted({r.language for r in records}),  # type: ignore[dict-item]
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child)))
        return 0
    for n in (int(s) for s in args.sizes.split(",")):
        out = subprocess.run(
            [sys.executable, __file__, "--child", str(n)], capture_output=True, text=True, check=True
        ).stdout
        print(out.strip().splitlines()[-1], flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
