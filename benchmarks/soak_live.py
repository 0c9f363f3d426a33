"""Soak test of the live loop: does memory stay flat over a long session?

Runs ``formcheck live --source VIDEO --no-window --duration S`` (a stand-in camera played at
real-time pace) on a generated long video -- the committed sample looped, or a moving test
pattern when no sample is there -- and samples the process's resident memory (RSS, from
``/proc/PID/status``) every few seconds. After a warm-up, it fits a line to RSS over time and
prints the slope in MB/min: memory is called flat when the slope is below ``--max-slope``.

    python benchmarks/soak_live.py                  # 10 minutes
    python benchmarks/soak_live.py --seconds 60     # a quick check

Linux only (reads /proc). Exit code 0 when flat, 1 when memory grows, 2 when the run failed.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))


def make_video(path: Path, seconds: float, fps: float = 15.0, width: int = 320) -> Path:
    """A video of ``seconds``: the sample's frames looped (forth and back), else a test pattern."""
    import cv2
    import media  # tests/media.py

    got = media.person_frames(n_max=int(fps * 10), width=width)
    if got is not None:
        frames, _ = got
        frames = frames + frames[::-1]
    else:
        frames = [media.pattern_frame(i, (width, width * 3 // 4)) for i in range(60)]
    n = int(seconds * fps) + int(fps)
    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(
        str(path), cv2.CAP_FFMPEG, cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h)
    )
    for i in range(n):
        writer.write(frames[i % len(frames)])
    writer.release()
    return path


def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        return None
    return None


def slope_mb_per_min(samples: list[tuple[float, float]]) -> float:
    """Least-squares slope of (t_s, MB) samples, in MB per minute."""
    n = len(samples)
    if n < 2:
        return 0.0
    mt = sum(t for t, _ in samples) / n
    mm = sum(m for _, m in samples) / n
    var = sum((t - mt) ** 2 for t, _ in samples)
    if var == 0:
        return 0.0
    cov = sum((t - mt) * (m - mm) for t, m in samples)
    return cov / var * 60.0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=600.0, help="session length (default 600)")
    ap.add_argument("--every", type=float, default=5.0, help="seconds between RSS samples")
    ap.add_argument("--warmup", type=float, default=0.2, help="fraction of samples skipped")
    ap.add_argument("--max-slope", type=float, default=1.0, help="flat below this MB/min")
    ap.add_argument("--video", type=Path, help="use this video instead of generating one")
    args = ap.parse_args(argv)
    if not Path("/proc/self/status").exists():
        print("soak_live needs Linux (/proc)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="formcheck-soak-") as tmp:
        video = args.video or make_video(Path(tmp) / "soak.mp4", args.seconds)
        cmd = [
            sys.executable, "-m", "formcheck", "live", "--source", str(video), "--no-window",
            "--mute", "--duration", str(args.seconds), "--no-history",
            "--json", str(Path(tmp) / "soak.json"), "--no-html", "--no-csv",
        ]  # fmt: skip
        env = dict(os.environ, PYTHONPATH=str(REPO))
        print(f"running: {' '.join(cmd[2:])}", flush=True)
        t0 = time.monotonic()
        proc = subprocess.Popen(
            cmd, cwd=tmp, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        samples: list[tuple[float, float]] = []
        limit = args.seconds + 120.0
        while proc.poll() is None and time.monotonic() - t0 < limit:
            mb = rss_mb(proc.pid)
            if mb is not None:
                t = time.monotonic() - t0
                samples.append((t, mb))
                print(f"  t={t:6.1f} s  RSS {mb:7.1f} MB", flush=True)
            time.sleep(args.every)
        if proc.poll() is None:
            proc.terminate()
        _, err = proc.communicate(timeout=60)
        if proc.returncode not in (0, 130):
            print(f"formcheck live failed (exit {proc.returncode}):\n{err}", file=sys.stderr)
            return 2
    steady = samples[int(len(samples) * args.warmup) :]
    if len(steady) < 3:
        print("too few samples; run longer", file=sys.stderr)
        return 2
    slope = slope_mb_per_min(steady)
    peak = max(m for _, m in samples)
    flat = slope < args.max_slope
    print(
        f"RSS {steady[0][1]:.1f} -> {steady[-1][1]:.1f} MB over {steady[-1][0] - steady[0][0]:.0f} s "
        f"(peak {peak:.1f} MB); slope {slope:+.2f} MB/min: "
        f"{'flat' if flat else 'GROWING'} (threshold {args.max_slope} MB/min)"
    )
    return 0 if flat else 1


if __name__ == "__main__":
    raise SystemExit(main())
