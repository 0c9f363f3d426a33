"""Throughput benchmark: formcheck against the bare MediaPipe loop, in one run.

    .venv/bin/python benchmarks/throughput.py [--video PATH] [--frames N] [--size WxH] [--json OUT]

On the same decoded video (default: samples/standing_fold_good.mp4, resized to 640x480 or
``--size``, looped to N frames, written once to a temporary 30 fps file) it measures:

1. the bare MediaPipe ``detect_for_video`` loop on frames already in memory (and already RGB),
   with MediaPipe's defaults (1 pose, no masks) and with formcheck's options (1 pose,
   segmentation masks, which the back-rounding measure needs);
2. ``formcheck analyze`` end to end (decode, pose, metrics, rules, report) without and with an
   annotated output video, each in a fresh process (so peak memory is that process's);
3. the live loop on a stand-in camera at 30 fps (``formcheck live --source``): processed fps,
   capture-to-display latency percentiles, dropped frames (when the live command exists), with
   live mode's defaults and, in the same run, with the pose model in the loop and in its own
   thread (``LiveOptions.threaded``), with the mask on every other frame
   (``LiveOptions.mask_every = 2``), both headless and with every frame drawn as for a window
   (these options have no CLI flag: the benchmark sets them through ``run_live``); with a
   picture wider than 640, also with ``--inference-width 0`` (the model sees the full picture)
   beside live mode's default (640 pixels across). ``--live-runs`` picks the live runs;
4. peak memory (max RSS) of each process, and the time from start to the first analysed frame.

It prints each figure and its ratio to the bare MediaPipe loop. Goals (2 cores, full model):
analyze >= 0.9x the bare loop and >= 2x real time; live >= 25 fps, median latency <= 80 ms;
peak memory <= 600 MB; first frame <= 2 s with the model cached.
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

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PY = sys.executable


def make_video(
    src: Path, n: int, out: Path, size: tuple[int, int] = (640, 480)
) -> list[np.ndarray]:
    import cv2

    cap = cv2.VideoCapture(str(src))
    frames = []
    while True:
        ok, f = cap.read()
        if not ok:
            break
        frames.append(cv2.resize(f, size, interpolation=cv2.INTER_AREA))
    cap.release()
    if not frames:
        raise SystemExit(f"cannot read {src}")
    # loop forth and back so the motion stays continuous
    seq = frames + frames[::-1]
    frames = [seq[i % len(seq)] for i in range(n)]
    w = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*"mp4v"), 30.0, size)
    for f in frames:
        w.write(f)
    w.release()
    return frames


def bare_loop(frames: list[np.ndarray], *, num_poses: int, masks: bool) -> dict[str, float]:
    import mediapipe as mp
    from mediapipe.tasks.python.core.base_options import BaseOptions
    from mediapipe.tasks.python.vision import PoseLandmarker, PoseLandmarkerOptions
    from mediapipe.tasks.python.vision.core.vision_task_running_mode import (
        VisionTaskRunningMode,
    )

    from formcheck.io.native_logs import quiet_native_stderr
    from formcheck.pose.models import resolve_model

    opts = PoseLandmarkerOptions(
        base_options=BaseOptions(model_asset_path=str(resolve_model("full"))),
        running_mode=VisionTaskRunningMode.VIDEO,
        num_poses=num_poses,
        output_segmentation_masks=masks,
    )
    rgb = [np.ascontiguousarray(f[:, :, ::-1]) for f in frames]
    with quiet_native_stderr():
        lm = PoseLandmarker.create_from_options(opts)
        lm.detect_for_video(mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb[0]), 0)
    c0 = time.process_time()
    t0 = time.perf_counter()
    found = 0
    for i, f in enumerate(rgb[1:], start=1):
        r = lm.detect_for_video(
            mp.Image(image_format=mp.ImageFormat.SRGB, data=f), int(i * 1000 / 30)
        )
        found += bool(r.pose_landmarks)
    el = time.perf_counter() - t0
    cpu = time.process_time() - c0
    lm.close()
    n = len(rgb) - 1
    return {
        "fps": n / el,
        "ms_per_frame": 1000 * el / n,
        "cores_busy": cpu / el,
        "found": found / n,
    }


# Runs the formcheck CLI and prints the process's own peak RSS (VmHWM) at exit. (The child's
# ru_maxrss from wait4 would include this benchmark's memory at fork time on Linux.)
# FORMCHECK_BENCH_LIVE_OPTIONS (JSON): LiveOptions fields set on the live session's options.
WRAP = r"""
import atexit, dataclasses, json, os, sys
over = json.loads(os.environ.get("FORMCHECK_BENCH_LIVE_OPTIONS") or "{}")
if over:
    import formcheck.live.session as live_session
    _run_live = live_session.run_live
    def run_live(settings, plan, options, **kw):
        return _run_live(settings, plan, dataclasses.replace(options, **over), **kw)
    live_session.run_live = run_live
from formcheck.cli import main
def hwm():
    for line in open('/proc/self/status'):
        if line.startswith('VmHWM:'):
            sys.stderr.write('\nVMHWM_KB ' + line.split()[1] + '\n')
atexit.register(hwm)
rc = main(sys.argv[1:])
sys.stderr.flush()
raise SystemExit(rc)
"""


def timed_process(cmd: list[str], live_options: dict[str, Any] | None = None) -> dict[str, Any]:
    """Run ``formcheck ARGS`` (cmd = [python, -m, formcheck, ARGS...]); wall time, peak RSS.
    ``live_options``: LiveOptions fields set on a live session's options."""
    env = dict(os.environ, FORMCHECK_BENCH_LIVE_OPTIONS=json.dumps(live_options or {}))
    t0 = time.perf_counter()
    r = subprocess.run(
        [PY, "-c", WRAP, *cmd[3:]], capture_output=True, text=True, cwd=ROOT, env=env
    )
    wall = time.perf_counter() - t0
    hwm = [ln for ln in r.stderr.splitlines() if ln.startswith("VMHWM_KB ")]
    rss = int(hwm[-1].split()[1]) / 1024 if hwm else float("nan")
    return {
        "wall_s": wall,
        "max_rss_mb": rss,
        "rc": r.returncode,
        "stdout": r.stdout,
        "stderr": r.stderr,
    }


FIRST_FRAME = r"""
import time, sys
t_start = float(sys.argv[2])
from formcheck.config import Settings
from formcheck.pipeline import Analyzer
from formcheck.io.sources import VideoSource
src = VideoSource(sys.argv[1])
an = Analyzer(Settings(), video=True)
for f in src:
    an.step(f.image, f.t_s)
    break
print(time.time() - t_start)
"""


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--video", type=Path, default=ROOT / "samples" / "standing_fold_good.mp4")
    ap.add_argument("--frames", type=int, default=600)
    ap.add_argument("--json", type=Path)
    ap.add_argument("--live-seconds", type=float, default=15.0)
    ap.add_argument("--size", default="640x480", help="the picture's size, WxH")
    ap.add_argument(
        "--live-speed",
        type=float,
        default=1.0,
        help="play the stand-in camera this many times faster (2: a 60 fps camera), so a "
        "faster per-frame step shows above the camera's 30 fps",
    )
    ap.add_argument(
        "--live-runs",
        default="live,live_serial,live_threaded,live_mask2,live_drawn_serial,"
        "live_drawn_threaded,live_full_width",
        help="the live runs, comma-separated: live (defaults), live_serial / live_threaded "
        "(pose inference in the loop / in its own thread), live_mask2 (the mask every other "
        "frame, serial), live_drawn_serial / live_drawn_threaded (every frame drawn, as for a "
        "window), live_full_width (the model sees the full picture; pictures wider than 640 "
        "only)",
    )
    args = ap.parse_args()
    size = tuple(int(v) for v in args.size.lower().split("x"))
    assert len(size) == 2, "--size WxH"
    res: dict[str, Any] = {"cores": os.cpu_count(), "frames": args.frames}
    with tempfile.TemporaryDirectory() as tmp:
        video = Path(tmp) / "bench.mp4"
        frames = make_video(args.video, args.frames, video, (size[0], size[1]))
        duration = len(frames) / 30.0
        print(
            f"video: {len(frames)} frames {size[0]}x{size[1]} at 30 fps ({duration:.0f} s) from {args.video.name}; {os.cpu_count()} cores"
        )
        res["bare_default"] = bare_loop(frames, num_poses=1, masks=False)
        res["bare_formcheck_opts"] = bare_loop(frames, num_poses=1, masks=True)
        del frames
        bare = res["bare_default"]["fps"]
        env_cmd = [
            PY,
            "-m",
            "formcheck",
            "analyze",
            str(video),
            "--out",
            str(Path(tmp) / "o"),
            "--no-history",
            "--no-progress",
        ]
        for name, extra in (
            ("analyze", []),
            ("analyze_annotated", ["--annotate", str(Path(tmp) / "a.mp4")]),
        ):
            r = timed_process(env_cmd + extra)
            if r["rc"] != 0:
                print(r["stderr"], file=sys.stderr)
                raise SystemExit(f"{name} failed")
            rep = json.loads((Path(tmp) / "o" / "bench.json").read_text())
            el = rep["session"]["elapsed_s"]
            res[name] = {
                "fps": len(rep["frames"]) / el,
                "process_wall_s": r["wall_s"],
                "x_real_time": duration / el,
                "max_rss_mb": r["max_rss_mb"],
            }
        ff = subprocess.run(
            [PY, "-c", FIRST_FRAME, str(video), str(time.time())],
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        res["first_frame_s"] = (
            float(ff.stdout.strip().splitlines()[-1]) if ff.returncode == 0 else None
        )
        try:
            import formcheck.commands.live  # noqa: F401

            have_live = True
        except ImportError:
            have_live = False
        # drawn: every frame drawn as for a window (a screenshot due after the session)
        drawn = ["--screenshot", str(Path(tmp) / "shot.png"), "--screenshot-after", "1e9"]
        known: dict[str, tuple[list[str], dict[str, Any]]] = {
            "live": ([], {}),
            "live_serial": ([], {"threaded": False}),
            "live_threaded": ([], {"threaded": True}),
            "live_mask2": ([], {"mask_every": 2, "threaded": False}),
            "live_drawn_serial": (drawn, {"threaded": False}),
            "live_drawn_threaded": (drawn, {"threaded": True}),
            "live_full_width": (["--inference-width", "0"], {}),
        }
        wanted = [n.strip() for n in args.live_runs.split(",") if n.strip()]
        if unknown := set(wanted) - set(known):
            raise SystemExit(f"unknown --live-runs: {', '.join(sorted(unknown))}")
        live_runs = [(n, *known[n]) for n in wanted if n != "live_full_width" or size[0] > 640]
        for name, extra, over in live_runs if have_live else []:
            live_json = Path(tmp) / "live.json"
            r = timed_process(
                [PY, "-m", "formcheck", "live", "--source", str(video), "--no-window", "--mute",
                 "--no-history", "--no-html", "--no-csv", "--json", str(live_json),
                 "--duration", str(args.live_seconds), "--no-calibrate", "--no-adapt",
                 "--speed", str(args.live_speed), *extra],
                over,
            )  # fmt: skip
            if r["rc"] == 0 and live_json.exists():
                lv = json.loads(live_json.read_text()).get("live", {})
                res[name] = {
                    "processed_fps": lv.get("fps_processed"),
                    "latency_ms_p50": lv.get("latency_ms", {}).get("p50"),
                    "latency_ms_p95": lv.get("latency_ms", {}).get("p95"),
                    "latency_ms_max": lv.get("latency_ms", {}).get("max"),
                    "captured": lv.get("frames_captured"),
                    "dropped": lv.get("frames_dropped"),
                    "inference_width": lv.get("inference_width"),
                    "threaded": lv.get("threaded", False),
                    "pose_step": lv.get("pose_step", "full model"),
                    "max_rss_mb": r["max_rss_mb"],
                }
            else:
                res[name] = {"error": (r["stderr"] or "").strip().splitlines()[-1:]}
    b, bf = res["bare_default"], res["bare_formcheck_opts"]
    print(
        f"\nbare MediaPipe loop (1 pose, no masks)     {b['fps']:6.1f} fps  {b['ms_per_frame']:5.1f} ms/frame  {b['cores_busy']:.2f} cores busy  (1.00x)"
    )
    print(
        f"bare MediaPipe loop (1 pose, masks)        {bf['fps']:6.1f} fps  {bf['ms_per_frame']:5.1f} ms/frame  {bf['cores_busy']:.2f} cores busy  ({bf['fps'] / bare:.2f}x)"
    )
    for name in ("analyze", "analyze_annotated"):
        a = res[name]
        print(
            f"formcheck {name:<32} {a['fps']:6.1f} fps  {a['x_real_time']:4.1f}x real time  peak {a['max_rss_mb']:5.0f} MB  ({a['fps'] / bare:.2f}x bare)"
        )
    if res.get("first_frame_s") is not None:
        print(f"first frame analysed {res['first_frame_s']:.2f} s after start (model cached)")
    for name in known if have_live else []:
        live = res.get(name)
        if live and "error" not in live:
            seen = f"model sees {live['inference_width'] or 'the full'} px across"
            how = f"{live['pose_step']}, {'threaded' if live['threaded'] else 'serial'}"
            print(
                f"{name} (stand-in camera {30 * args.live_speed:.0f} fps, {seen}, {how}): "
                f"{live['processed_fps']:.1f} fps "
                f"processed ({live['processed_fps'] / bare:.2f}x bare), latency median "
                f"{live['latency_ms_p50']:.0f} ms, p95 {live['latency_ms_p95']:.0f} ms, max "
                f"{live['latency_ms_max']:.0f} ms; dropped {live['dropped']} of "
                f"{live['captured']} frames; peak {live['max_rss_mb']:.0f} MB"
            )
        elif live:
            print(f"{name}: {live['error']}")
    if "live" not in res:
        print("live: not measured (no live command)")
    if args.json:
        args.json.write_text(json.dumps(res, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
