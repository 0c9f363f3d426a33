"""Fit the lumbar-flexion calibration against the synthetic people's ground truth.

    .venv/bin/python benchmarks/calibrate_lumbar.py [DIR ...] [--write]

For every ``NAME.mp4`` + ``NAME.truth.json`` in the folders (default: samples/ and the
benchmark cache .cache/synth_bench), runs the pose stage and measures the back outline
(formcheck/metrics/lumbar.py) on the frames where the back can be judged (side or oblique view, a mask,
the person in frame), then fits ``truth_lumbar = intercept + slope * bend + head_coef * head_drop``
by least squares, with leave-one-clip-out cross-validation. Prints the fit and its error;
``--write`` saves it to formcheck/metrics/lumbar_calibration.json (committed), which
formcheck/metrics/lumbar.py loads.

This whole-trunk bend form is the committed one (its JSON has no ``low_turn_coef``, which
lumbar.py reads as 0). benchmarks/lumbar_cv.py --write fits the low-back turn + head drop form
on the tuning split instead; measured on 2026-12-02 and not adopted yet (docs/lumbar.md).
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

from formcheck.io.sources import open_source  # noqa: E402
from formcheck.metrics.lumbar import measure_back  # noqa: E402
from formcheck.metrics.measures import MetricsComputer  # noqa: E402
from formcheck.pose.estimator import PoseEstimator, PoseOptions  # noqa: E402

POSTURE = {
    "standing_fold": "standing",
    "standing_support": "standing",
    "seated_floor": "floor_sitting",
    "seated_chair": "chair_sitting",
    "supine_raise": "lying",
    "supine_wall": "lying",
}


def clip_features(media: Path, truth: dict) -> list[tuple[float, float, float, str]]:
    rows = []
    src = open_source(media)
    video = src.info.kind == "video"
    with PoseEstimator(PoseOptions(), video=video) as pe:
        mc = MetricsComputer()
        for frame, t in zip(src, truth["frames"], strict=False):
            pf = pe.detect(frame.image, frame.t_s)
            m = mc.update(pf)
            if not (m.person and m.view == "side" and t.get("in_frame", True)):
                continue
            lum = t["angles_3d"].get("lumbar_flexion_deg")
            if lum is None:
                continue
            shape = measure_back(m.xy, pf.mask, m.near_side)
            if not math.isfinite(shape.bend_deg):
                continue
            if t.get("stretch") is None or t.get("phase") not in ("hold", "enter", "release"):
                continue  # calibrate in the stretches, where the verdict matters
            if POSTURE.get(t["stretch"]) == "lying":
                continue  # the back is not judged lying (formcheck/stretches/coach.py)
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
    ap.add_argument("--no-head", action="store_true", help="fit the outline bend alone")
    args = ap.parse_args()
    dirs = args.dirs or [ROOT / "samples", ROOT / ".cache" / "synth_cal"]
    clips = []
    for d in dirs:
        for tp in sorted(d.glob("*.truth.json")):
            media = tp.with_name(tp.name.replace(".truth.json", ".mp4"))
            if media.exists():
                clips.append((media, json.loads(tp.read_text())))
    per_clip: dict[str, np.ndarray] = {}
    posture_of: dict[str, str] = {}
    for media, truth in clips:
        rows = clip_features(media, truth)
        if rows:
            per_clip[media.name] = np.array([r[:3] for r in rows], dtype=float)
            posture_of[media.name] = POSTURE.get(truth.get("stretch"), "?")
        print(f"  {media.name}: {len(rows)} judged frames", file=sys.stderr)
    if not per_clip:
        raise SystemExit("no clips with judged frames")
    use_head = not args.no_head

    def fit_group(names: list[str]) -> np.ndarray:
        return fit(np.concatenate([per_clip[n] for n in names]), use_head)

    pooled = fit_group(list(per_clip))
    postures = sorted(set(posture_of.values()))
    by_posture = {}
    for p in postures:
        names = [n for n in per_clip if posture_of[n] == p]
        if len(names) >= 2:
            by_posture[p] = fit_group(names)

    def coef_for(name: str, exclude: str | None) -> np.ndarray:
        """Coefficients for a clip, fitted without the clip ``exclude`` (cross-validation)."""
        p = posture_of[name]
        same = [n for n in per_clip if posture_of[n] == p and n != exclude]
        if p in by_posture and len(same) >= 2:
            return fit_group(same)
        return fit_group([n for n in per_clip if n != exclude] or [name])

    errs, truth_r, ests = [], [], []
    for name, rows in per_clip.items():
        c = coef_for(name, name)  # leave this clip out
        est = predict(c, rows)
        errs.append(est - rows[:, 2])
        truth_r.append(rows[:, 2] >= args.threshold)
        ests.append(est)
    e = np.abs(np.concatenate(errs))
    t_r, est_all = np.concatenate(truth_r), np.concatenate(ests)

    def prf(decision: float) -> tuple[float, float, float]:
        p_r = est_all > decision
        tp, fp, fn = int((t_r & p_r).sum()), int((~t_r & p_r).sum()), int((t_r & ~p_r).sum())
        prec = tp / (tp + fp) if tp + fp else float("nan")
        rec = tp / (tp + fn) if tp + fn else float("nan")
        return prec, rec, (2 * prec * rec / (prec + rec) if tp else 0.0)

    # the verdict's threshold on the estimate: the one with the best cross-validated F1
    # (regression to the mean makes a rounded back read a little low)
    grid = np.arange(args.threshold - 10.0, args.threshold + 5.0, 0.5)
    decision = float(max(grid, key=lambda d: prf(d)[2]))
    prec, rec, f1 = prf(decision)
    p0, r0, f0 = prf(args.threshold)
    print(f"verdict at {args.threshold:.0f} deg: precision {p0:.2f}, recall {r0:.2f}, F1 {f0:.2f}")
    print(
        f"verdict at {decision:.1f} deg (best): precision {prec:.2f}, recall {rec:.2f}, F1 {f1:.2f}"
    )
    allrows = np.concatenate(list(per_clip.values()))
    corr = np.corrcoef(allrows[:, 0], allrows[:, 2])[0, 1]
    print(f"{len(allrows)} frames, {len(per_clip)} clips; correlation bend vs truth: {corr:.2f}")
    print(f"pooled fit: intercept {pooled[0]:.2f}, slope {pooled[1]:.3f}, head {pooled[2]:.3f}")
    for p, c in by_posture.items():
        print(f"  {p:<14} intercept {c[0]:.2f}, slope {c[1]:.3f}, head {c[2]:.3f}")
    print(
        f"leave-one-clip-out: MAE {e.mean():.1f} deg, p90 {np.percentile(e, 90):.1f} deg; "
        f"rounded (>= {args.threshold:.0f} deg) frames: precision {prec:.2f}, recall {rec:.2f}, F1 {f1:.2f}"
    )
    if args.write:

        def as_dict(c: np.ndarray) -> dict[str, float]:
            return {"intercept": round(float(c[0]), 3), "slope": round(float(c[1]), 4),
                    "head_coef": round(float(c[2]), 4)}  # fmt: skip

        out = as_dict(pooled) | {
            "threshold_deg": decision,
            "truth_threshold_deg": args.threshold,
            "hysteresis_deg": 3.0,
            "by_posture": {p: as_dict(c) for p, c in by_posture.items()},
            "source": f"benchmarks/calibrate_lumbar.py on {len(per_clip)} synthetic clips, "
            f"{len(allrows)} frames; leave-one-clip-out MAE {e.mean():.1f} deg, "
            f"p90 {np.percentile(e, 90):.1f} deg, rounded-frame F1 {f1:.2f} "
            f"(precision {prec:.2f}, recall {rec:.2f}; rounded = truth >= {args.threshold:.0f} deg)",
        }
        path = ROOT / "formcheck" / "metrics" / "lumbar_calibration.json"
        path.write_text(json.dumps(out, indent=1) + "\n")
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
