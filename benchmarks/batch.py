"""Batch scaling benchmark: ``formcheck batch`` (Dask) against ``formcheck analyze --jobs``.

    .venv/bin/python benchmarks/batch.py [--files N] [--seconds S] [--workers 1,2,4] [--json OUT]

It cuts N clips of S seconds from the committed samples (640x480, 30 fps), then, for each worker
count W, runs as a user types them (fresh processes, no history, JSON reports only):

1. ``formcheck batch CLIPS --workers W`` on the embedded Dask cluster;
2. ``formcheck analyze CLIPS --jobs W`` (a process pool on this machine).

It prints files per minute for each, from the wall time of the whole command (start-up
included: Python, the cluster, the model in each worker), the batch's own figure (from its
summary line: submission to last result, cluster start excluded), and the ratio of batch to
``--jobs``. docs/batch.md explains how the cost grows with video length and file count and
holds the figures of the last run.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
SAMPLES = sorted((ROOT / "samples").glob("*.mp4"))


def make_clips(folder: Path, n: int, seconds: float) -> list[Path]:
    """``n`` clips of ``seconds`` s, the samples taken in turn (each from its start)."""
    import cv2

    if not SAMPLES:
        raise SystemExit("no samples/*.mp4 to cut clips from")
    clips = []
    for i in range(n):
        src = cv2.VideoCapture(str(SAMPLES[i % len(SAMPLES)]))
        fps = src.get(cv2.CAP_PROP_FPS) or 30.0
        out = folder / f"clip{i:03d}.mp4"
        writer = None
        for _ in range(round(seconds * fps)):
            ok, frame = src.read()
            if not ok:
                break
            frame = cv2.resize(frame, (640, 480), interpolation=cv2.INTER_AREA)
            if writer is None:
                writer = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*"mp4v"), fps, (640, 480))
            writer.write(frame)
        src.release()
        if writer is None:
            raise SystemExit(f"cannot read {SAMPLES[i % len(SAMPLES)]}")
        writer.release()
        clips.append(out)
    return clips


def run_cli(args: list[str], cwd: Path) -> tuple[float, str]:
    """Run ``formcheck ARGS``; (wall seconds, stderr). Fails loudly on a non-zero exit."""
    env = dict(os.environ, FORMCHECK_OFFLINE="1", PYTHONPATH=str(ROOT))
    t0 = time.perf_counter()
    proc = subprocess.run(
        [PY, "-m", "formcheck", *args], cwd=cwd, env=env, capture_output=True, text=True
    )
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"formcheck {' '.join(args[:1])} failed:\n{proc.stderr[-2000:]}")
    return wall, proc.stderr


def measure(clips: list[Path], workers: list[int], tmp: Path) -> list[dict[str, Any]]:
    common = ["--no-history", "--no-html", "--no-csv", "--no-progress"]
    files = [str(c) for c in clips]
    rows = []
    for w in workers:
        wall_b, err = run_cli(
            ["batch", *files, "--workers", str(w), "--out", str(tmp / f"b{w}"), *common], tmp
        )
        m = re.search(r"analysed in ([0-9.]+) s", err)
        inner_b = float(m.group(1)) if m else float("nan")
        wall_j, _ = run_cli(
            ["analyze", *files, "--jobs", str(w), "--out", str(tmp / f"j{w}"), *common], tmp
        )
        n = len(files)
        row = {
            "workers": w,
            "batch_wall_s": round(wall_b, 2),
            "batch_files_per_min": round(60 * n / wall_b, 2),
            "batch_inner_s": inner_b,
            "batch_inner_files_per_min": round(60 * n / inner_b, 2) if inner_b > 0 else None,
            "jobs_wall_s": round(wall_j, 2),
            "jobs_files_per_min": round(60 * n / wall_j, 2),
            "ratio_batch_to_jobs": round(wall_j / wall_b, 3),
        }
        rows.append(row)
        print(
            f"{w} worker(s): batch {row['batch_files_per_min']:6.1f} files/min "
            f"({wall_b:5.1f} s wall; {row['batch_inner_files_per_min']} files/min after the "
            f"cluster started) | analyze --jobs {w}: {row['jobs_files_per_min']:6.1f} files/min "
            f"({wall_j:5.1f} s) | batch/jobs {row['ratio_batch_to_jobs']:.2f}x",
            flush=True,
        )
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--files", type=int, default=8, help="clips in the batch (default 8)")
    ap.add_argument("--seconds", type=float, default=4.0, help="length of each clip (default 4)")
    ap.add_argument("--workers", default="1,2,4", help="worker counts (default 1,2,4)")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args()
    workers = [int(w) for w in args.workers.split(",") if w.strip()]
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    with tempfile.TemporaryDirectory(prefix="fc-batch-bench-") as td:
        tmp = Path(td)
        clips = make_clips(tmp, args.files, args.seconds)
        print(
            f"{len(clips)} clips of {args.seconds:g} s (640x480, 30 fps), {cores} usable core(s), "
            f"load average {os.getloadavg()[0]:.1f}",
            flush=True,
        )
        rows = measure(clips, workers, tmp)
    result = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "files": args.files,
        "seconds_per_file": args.seconds,
        "cores": cores,
        "rows": rows,
    }
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
