"""``--streams`` benchmark: one video's pose model in N processes against the bare loop.

    .venv/bin/python benchmarks/streams.py [--video PATH] [--frames N] [--streams 1,2] [--json OUT]

On one 640x480 30 fps video (default: samples/standing_fold_good.mp4 looped forth and back to N
frames, as benchmarks/throughput.py makes it) it measures, in one run:

1. the bare single-stream MediaPipe loop (frames in memory, formcheck's options: one pose,
   segmentation masks), frames per second (benchmarks/throughput.py's ``bare_loop``);
2. ``formcheck analyze VIDEO --streams N`` for each N, as a user runs it: frames per second over
   the analysis (the report's ``session.elapsed_s``, stream start-up included) and over the whole
   command, the ratio to the bare loop, the peak memory (RSS) of each stream process, the CPU
   seconds of the main process (also per frame: the figure least moved by other work on a
   shared machine) and of each stream;
3. the judgement differences of each N against ``--streams 1`` (formcheck.streams.compare).

It also prints the CPU each side spends a frame: the bare loop's cores kept busy (MediaPipe runs
part of one frame on several threads), and every process of each run together. Streams that
spend the bare loop's CPU a frame can reach at most cores / (the bare loop's cores busy) times
its speed; the ceiling printed per run is cores x 1000 / (its CPU ms a frame) / the bare fps.

Goal (issue 19): >= 1.5x the bare loop on 2 cores, under 600 MB per stream.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
PY = sys.executable


def run_streams(video: Path, n: int, out: Path) -> dict[str, Any]:
    """``formcheck analyze VIDEO --streams n``: times, the report, each process's peak RSS."""
    import psutil

    cmd = [
        PY, "-m", "formcheck", "analyze", str(video), "--streams", str(n), "--json", str(out),
        "--no-history", "--no-html", "--no-csv", "--no-progress",
    ]  # fmt: skip
    env = dict(os.environ, FORMCHECK_OFFLINE="1", PYTHONPATH=str(ROOT))
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak: dict[int, float] = {}
    cpu: dict[int, float] = {}  # CPU seconds (user + system), last seen
    skip: set[int] = set()
    main = psutil.Process(proc.pid)
    while proc.poll() is None:
        try:
            for p in [main, *main.children(recursive=True)]:
                if p.pid in skip or (p is not main and "resource_tracker" in str(p.cmdline())):
                    skip.add(p.pid)  # multiprocessing's helper, not a stream
                    continue
                with p.oneshot():
                    peak[p.pid] = max(peak.get(p.pid, 0.0), p.memory_info().rss / 2**20)
                    t = p.cpu_times()
                    cpu[p.pid] = t.user + t.system
        except psutil.Error:
            pass
        time.sleep(0.1)
    wall = time.perf_counter() - t0
    stdout, stderr = proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"--streams {n} failed:\n{stderr[-2000:]}")
    report = json.loads(out.read_text())
    streams_rss = [v for pid, v in peak.items() if pid != proc.pid]
    return {
        "wall_s": wall,
        "report": report,
        "main_rss_mb": peak.get(proc.pid, float("nan")),
        "stream_rss_mb": max(streams_rss) if streams_rss else None,
        "cpu_main_s": cpu.get(proc.pid, float("nan")),
        "cpu_streams_s": sorted((v for pid, v in cpu.items() if pid != proc.pid), reverse=True),
    }


def main() -> int:
    from throughput import bare_loop, make_video

    from formcheck.streams.compare import judgement_differences

    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--video", type=Path, default=ROOT / "samples" / "standing_fold_good.mp4")
    ap.add_argument("--frames", type=int, default=900)
    ap.add_argument("--streams", default="1,2")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    counts = [int(s) for s in args.streams.split(",") if s.strip()]
    if 1 not in counts:
        counts.insert(0, 1)  # the reference for the judgements
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    with tempfile.TemporaryDirectory(prefix="fc-streams-bench-") as td:
        tmp = Path(td)
        video = tmp / "bench.mp4"
        frames = make_video(args.video, args.frames, video)
        print(
            f"{args.frames} frames 640x480, {cores} usable core(s), load {os.getloadavg()[0]:.1f}"
        )
        bare = bare_loop(frames, num_poses=1, masks=True)
        del frames
        bare_cpu_ms = bare["cores_busy"] * bare["ms_per_frame"]
        print(
            f"bare MediaPipe loop (1 pose, masks): {bare['fps']:.1f} fps, "
            f"{bare['cores_busy']:.2f} cores busy ({bare_cpu_ms:.1f} ms of CPU a frame); "
            f"streams doing the same CPU work a frame reach at most "
            f"{cores / max(bare['cores_busy'], 1e-9):.2f}x it on {cores} cores",
            flush=True,
        )
        rows: dict[int, dict[str, Any]] = {}
        for n in counts:
            r = run_streams(video, n, tmp / f"s{n}.json")
            rep = r["report"]
            el = rep["session"]["elapsed_s"]
            fps = args.frames / el
            cpu_all = r["cpu_main_s"] + sum(r["cpu_streams_s"])
            cpu_ms = 1000 * cpu_all / args.frames  # every process of the command, a frame
            rows[n] = {
                "streams": rep["session"].get("streams", 1),
                "fps": round(fps, 1),
                "fps_whole_command": round(args.frames / r["wall_s"], 1),
                "ratio_to_bare": round(fps / bare["fps"], 3),
                "main_rss_mb": round(r["main_rss_mb"]),
                "stream_rss_mb": None if r["stream_rss_mb"] is None else round(r["stream_rss_mb"]),
                "cpu_main_s": round(r["cpu_main_s"], 1),
                "cpu_main_ms_per_frame": round(1000 * r["cpu_main_s"] / args.frames, 2),
                "cpu_streams_s": [round(c, 1) for c in r["cpu_streams_s"]],
                "cpu_ms_per_frame": round(cpu_ms, 1),
                # the most these processes could do with every core busy, against the bare loop
                "ceiling_ratio": round(cores * 1000 / cpu_ms / bare["fps"], 3),
                "report": rep,
            }
            print(
                f"--streams {n} ({rows[n]['streams']} ran): {fps:.1f} fps = "
                f"{rows[n]['ratio_to_bare']:.2f}x the bare loop ({rows[n]['fps_whole_command']} "
                f"fps over the whole command); RSS main {rows[n]['main_rss_mb']} MB, per stream "
                f"{rows[n]['stream_rss_mb']} MB; CPU s main {rows[n]['cpu_main_s']} "
                f"({rows[n]['cpu_main_ms_per_frame']} ms/frame), streams {rows[n]['cpu_streams_s']}; "
                f"all processes {rows[n]['cpu_ms_per_frame']} ms of CPU a frame: at most "
                f"{rows[n]['ceiling_ratio']:.2f}x with all {cores} cores busy",
                flush=True,
            )
        for n in counts:
            if n != 1:
                diffs = judgement_differences(rows[1]["report"], rows[n]["report"])
                verdict = diffs if diffs else "equal within tolerance"
                print(f"judgements --streams {n} vs 1: {verdict}")
    result = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "frames": args.frames,
        "cores": cores,
        "bare_fps": round(bare["fps"], 1),
        "bare_cores_busy": round(bare["cores_busy"], 2),
        "rows": {n: {k: v for k, v in r.items() if k != "report"} for n, r in rows.items()},
    }
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
