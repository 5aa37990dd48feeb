"""Time and peak memory to turn one 12-megapixel photo into every derivative (issue 16).

    .venv/bin/python bench/bench_images.py              # 4000 x 3000 JPEG, 5 runs
    .venv/bin/python bench/bench_images.py --runs 3 --size 6000x4000
    .venv/bin/python bench/bench_images.py --runs 3 --format PNG   # no JPEG draft decoding

Each run is a fresh interpreter that imports stitchpress.core.images and Pillow first (the baseline
resident memory), then calls images.process() once: wall time of process(), and the peak
resident set size (VmHWM) above that baseline. Pillow allocates image buffers with malloc,
which tracemalloc does not see, so the whole process's peak is what counts (as for Lambda's
"Max Memory Used").

The photo is made here: smooth gradients with blotches, fine noise (a sensor's grain, which makes
encoders work harder than a flat picture), an EXIF orientation and GPS block, JPEG quality 92 —
about what a phone writes. Pure noise would be slower still; see BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

CHILD = r"""
import sys, time, json
from PIL import Image  # noqa: F401 - imported before the baseline, as the function's cold start does
from stitchpress.core import images

def hwm_kb():  # this process's own peak RSS (ru_maxrss would include the parent's, from fork)
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])

data = open(sys.argv[1], "rb").read()
base = hwm_kb()
start = time.perf_counter()
result = images.process("drafts/photo.jpg", data)
elapsed = time.perf_counter() - start
peak = hwm_kb()
print(json.dumps({
    "seconds": elapsed,
    "baseline_mb": base / 1024,
    "peak_mb": peak / 1024,
    "derivatives": len(result.derivatives),
    "bytes": {d.key.rsplit("-", 1)[1]: len(d.data) for d in result.derivatives},
}))
"""


def photo(width: int, height: int, fmt: str = "JPEG") -> bytes:
    from PIL import Image

    grad = Image.linear_gradient("L").resize((width, height))
    blotches = Image.effect_noise((width // 16, height // 16), 60).resize(
        (width, height), Image.Resampling.BICUBIC
    )
    grain = Image.effect_noise((width, height), 12)
    red = Image.blend(grad, grain, 0.15)
    green = Image.blend(blotches, grain, 0.15)
    blue = Image.blend(grad.transpose(Image.Transpose.FLIP_LEFT_RIGHT), grain, 0.15)
    exif = Image.Exif()
    exif[0x0112] = 1
    exif.get_ifd(0x8825).update({1: "N", 2: (35.0, 39.0, 29.0), 3: "E", 4: (139.0, 44.0, 28.0)})
    buf = io.BytesIO()
    options = {"quality": 92} if fmt == "JPEG" else {}
    Image.merge("RGB", (red, green, blue)).save(buf, fmt, exif=exif, **options)
    return buf.getvalue()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--size", default="4000x3000", help="WIDTHxHEIGHT of the photo")
    parser.add_argument(
        "--format",
        default="JPEG",
        choices=["JPEG", "PNG"],
        help="PNG: decoded at full size (no JPEG draft mode)",
    )
    args = parser.parse_args()
    width, height = (int(x) for x in args.size.split("x"))
    data = photo(width, height, args.format)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "photo"
        path.write_bytes(data)
        runs = []
        for _ in range(args.runs):
            out = subprocess.run(
                [sys.executable, "-c", CHILD, str(path)], capture_output=True, text=True, check=True
            )
            runs.append(json.loads(out.stdout))
    seconds = [r["seconds"] for r in runs]
    peaks = [r["peak_mb"] - r["baseline_mb"] for r in runs]
    summary = {
        "photo": f"{width} x {height} {args.format}, {len(data) / 1e6:.1f} MB",
        "derivatives": runs[0]["derivatives"],
        "seconds_median": round(statistics.median(seconds), 2),
        "seconds_min": round(min(seconds), 2),
        "seconds_max": round(max(seconds), 2),
        "peak_mb_above_baseline_max": round(max(peaks)),
        "baseline_mb": round(runs[0]["baseline_mb"]),
        "output_bytes": runs[0]["bytes"],
    }
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
