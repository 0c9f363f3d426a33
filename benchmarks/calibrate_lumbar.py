"""Fit the lumbar-flexion calibration against the synthetic people's ground truth.

    .venv/bin/python benchmarks/calibrate_lumbar.py [DIR ...] [--write]

For every ``NAME.mp4`` + ``NAME.truth.json`` in the folders (default: samples/ and the
benchmark cache .cache/synth_bench), runs the pose stage and measures the back outline
(formcheck/lumbar.py) on the frames where the back can be judged (side or oblique view, a mask,
the person in frame), then fits ``truth_lumbar = intercept + slope * bend + head_coef * head_drop``
by least squares, with leave-one-clip-out cross-validation. Prints the fit and its error;
``--write`` saves it to formcheck/lumbar_calibration.json (committed), which lumbar.py loads.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from formcheck.lumbar import measure_back  # noqa: E402
from formcheck.metrics import MetricsComputer  # noqa: E402
from formcheck.pose import PoseEstimator, PoseOptions  # noqa: E402
from formcheck.sources import open_source  # noqa: E402


def clip_features(media: Path, truth: dict) -> list[tuple[float, float, float, str]]:
    rows = []
    src = open_source(media)
    video = src.info.kind == "video"
    with PoseEstimator(PoseOptions(), video=video) as pe:
        mc = MetricsComputer()
        for frame, t in zip(src, truth["frames"], strict=False):
            pf = pe.detect(frame.image, frame.t_s)
            m = mc.update(pf)
            if not (m.person and m.view in ("side", "oblique") and t.get("in_frame", True)):
                continue
            lum = t["angles_3d"].get("lumbar_flexion_deg")
            if lum is None:
                continue
            shape = measure_back(m.xy, pf.mask, m.near_side)
            if not math.isfinite(shape.bend_deg):
                continue
            rows.append((shape.bend_deg, shape.head_drop_deg, float(lum), m.view))
    src.close()
    return rows


def fit(rows: np.ndarray, use_head: bool) -> np.ndarray:
    bend, head, y = rows[:, 0], np.nan_to_num(rows[:, 1]), rows[:, 2]
    cols = [np.ones_like(bend), bend] + ([head] if use_head else [])
    coef, *_ = np.linalg.lstsq(np.stack(cols, axis=1), y, rcond=None)
    return coef if use_head else np.append(coef, 0.0)


def predict(coef: np.ndarray, rows: np.ndarray) -> np.ndarray:
    return coef[0] + coef[1] * rows[:, 0] + coef[2] * np.nan_to_num(rows[:, 1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("dirs", nargs="*", type=Path)
    ap.add_argument("--write", action="store_true")
    ap.add_argument("--threshold", type=float, default=20.0, help="rounded above this (degrees)")
    args = ap.parse_args()
    dirs = args.dirs or [ROOT / "samples", ROOT / ".cache" / "synth_bench"]
    clips = []
    for d in dirs:
        for tp in sorted(d.glob("*.truth.json")):
            media = tp.with_name(tp.name.replace(".truth.json", ".mp4"))
            if media.exists():
                clips.append((media, json.loads(tp.read_text())))
    per_clip = {}
    for media, truth in clips:
        rows = clip_features(media, truth)
        if rows:
            per_clip[media.name] = np.array([r[:3] for r in rows], dtype=float)
        print(f"  {media.name}: {len(rows)} judged frames", file=sys.stderr)
    if not per_clip:
        raise SystemExit("no clips with judged frames")
    allrows = np.concatenate(list(per_clip.values()))
    results = {}
    for use_head in (False, True):
        errs = []
        for name in per_clip:  # leave one clip out
            others = [v for k, v in per_clip.items() if k != name]
            train = np.concatenate(others) if others else per_clip[name]
            c = fit(train, use_head)
            errs.append(predict(c, per_clip[name]) - per_clip[name][:, 2])
        e = np.abs(np.concatenate(errs))
        coef = fit(allrows, use_head)
        results[use_head] = (coef, float(e.mean()), float(np.percentile(e, 90)))
        print(
            f"{'bend + head drop' if use_head else 'bend only':<18} coef {np.round(coef, 3)}  "
            f"cross-validated MAE {e.mean():.1f} deg, p90 {np.percentile(e, 90):.1f} deg "
            f"({len(allrows)} frames, {len(per_clip)} clips)"
        )
    corr = np.corrcoef(allrows[:, 0], allrows[:, 2])[0, 1]
    print(f"correlation bend vs truth lumbar flexion: {corr:.2f}")
    use_head = results[True][1] < results[False][1] - 0.5
    coef, mae, p90 = results[use_head]
    if args.write:
        out = {
            "intercept": round(float(coef[0]), 3),
            "slope": round(float(coef[1]), 4),
            "head_coef": round(float(coef[2]), 4),
            "threshold_deg": args.threshold,
            "hysteresis_deg": 3.0,
            "source": f"benchmarks/calibrate_lumbar.py on {len(per_clip)} synthetic clips, "
            f"{len(allrows)} frames; leave-one-clip-out MAE {mae:.1f} deg, p90 {p90:.1f} deg",
        }
        path = ROOT / "formcheck" / "lumbar_calibration.json"
        path.write_text(json.dumps(out, indent=1) + "\n")
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
