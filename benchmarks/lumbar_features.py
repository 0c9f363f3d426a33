"""Cache per-frame lumbar features of the tuning clips (for benchmarks/lumbar_cv.py).

    .venv/bin/python benchmarks/lumbar_features.py [DIR ...] [--out .cache/lumbar_features]

For every finished ``NAME.mp4`` + ``NAME.truth.json`` (no ``.part`` file beside it) in the
folders (default: the tuning split, .cache/synth_v1/tuning and .cache/synth/tuning; never the
sealed split), runs formcheck's pose stage, metrics and coach once, exactly as the analysis
does, and writes ``OUT/<folder>__NAME.npz`` with per frame: the truth (lumbar flexion,
phase, stretch, fault, in_frame), the landmarks (pixels, world, visibility), the view, near
side, trunk inclination, the coach's posture / engaged / current lumbar estimate and verdict,
the current back-outline features, and the segmentation mask (binary at 0.5, bit-packed) so
that new mask features can be designed without re-running the pose model.
A clip whose npz is newer than its video is skipped.
"""

from __future__ import annotations

import argparse
import filecmp
import json
import math
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from formcheck.config import Settings  # noqa: E402
from formcheck.io.sources import open_source  # noqa: E402
from formcheck.metrics.lumbar import measure_back  # noqa: E402
from formcheck.metrics.measures import MetricsComputer  # noqa: E402
from formcheck.pose.estimator import PoseEstimator  # noqa: E402
from formcheck.stretches.coach import Coach  # noqa: E402

DEFAULT_DIRS = [ROOT / ".cache" / "synth_v1" / "tuning", ROOT / ".cache" / "synth" / "tuning"]


def _f(x: object) -> float:
    try:
        v = float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan
    return v


def clip_arrays(media: Path, truth: dict) -> dict[str, np.ndarray]:
    settings = Settings()
    src = open_source(media)
    rows: dict[str, list] = {k: [] for k in (
        "t", "truth_lumbar", "phase", "stretch", "fault", "in_frame", "person", "view",
        "near_side", "trunk_incl", "yaw", "xy", "world", "vis", "posture", "engaged", "est",
        "rounded", "bend", "head_drop", "chord", "profile", "mask",
    )}  # fmt: skip
    shape_hw = (0, 0)
    with PoseEstimator(settings.pose, video=True) as pe:
        mc = MetricsComputer(settings.metrics)
        coach = Coach(settings.catalogue(), settings.coach)
        for frame, t in zip(src, truth["frames"], strict=False):
            pf = pe.detect(frame.image, frame.t_s)
            m = mc.update(pf)
            v = coach.update(m, pf.mask)
            rows["t"].append(frame.t_s)
            rows["truth_lumbar"].append(_f(t["angles_3d"].get("lumbar_flexion_deg")))
            rows["phase"].append(str(t.get("phase")))
            rows["stretch"].append(str(t.get("stretch")))
            rows["fault"].append(str(t.get("fault")))
            rows["in_frame"].append(bool(t.get("in_frame", True)))
            rows["person"].append(bool(m.person))
            rows["view"].append(str(m.view))
            rows["near_side"].append(str(m.near_side))
            rows["trunk_incl"].append(_f(m.trunk_inclination_deg))
            rows["yaw"].append(_f(getattr(m, "yaw_deg", math.nan)))
            rows["xy"].append(np.asarray(pf.xy, float))
            rows["world"].append(np.asarray(pf.world, float))
            rows["vis"].append(np.asarray(pf.visibility, float))
            rows["posture"].append(str(v.posture))
            rows["engaged"].append(bool(v.engaged))
            rows["est"].append(_f(v.lumbar_flexion_deg))
            rows["rounded"].append(-1 if v.back_rounded is None else int(v.back_rounded))
            if m.person and pf.mask is not None:
                shp = measure_back(m.xy, pf.mask, m.near_side)
                mask = pf.mask >= 0.5
                shape_hw = mask.shape
                rows["mask"].append(np.packbits(mask.ravel()))
            else:
                shp = None
                rows["mask"].append(np.zeros(0, np.uint8))
            rows["bend"].append(shp.bend_deg if shp else math.nan)
            rows["head_drop"].append(shp.head_drop_deg if shp else math.nan)
            rows["chord"].append(shp.chord_px if shp else math.nan)
            rows["profile"].append(shp.profile if shp else np.full(20, np.nan))
    src.close()
    out: dict[str, np.ndarray] = {}
    for k, vals in rows.items():
        if k == "mask":
            n = max((len(a) for a in vals), default=0)
            arr = np.zeros((len(vals), n), np.uint8)
            for i, a in enumerate(vals):
                if len(a):
                    arr[i] = a
            out[k] = arr
            out["mask_ok"] = np.array([len(a) > 0 for a in vals])
        else:
            out[k] = np.array(vals)
    out["mask_hw"] = np.array(shape_hw)
    out["stretch_name"] = np.array(str(truth.get("stretch")))
    out["meta"] = np.array(json.dumps((truth.get("spec") or {}).get("meta", {})))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("dirs", nargs="*", type=Path)
    ap.add_argument("--out", type=Path, default=ROOT / ".cache" / "lumbar_features")
    ap.add_argument(
        "--skip-same-as",
        type=Path,
        default=None,
        help="skip clips byte-identical to the same name in this folder (already cached)",
    )
    args = ap.parse_args()
    dirs = args.dirs or DEFAULT_DIRS
    for d in dirs:
        if "sealed" in d.parts:
            raise SystemExit(f"refusing the sealed split: {d}")
    args.out.mkdir(parents=True, exist_ok=True)
    for d in dirs:
        for tp in sorted(d.glob("*.truth.json")):
            name = tp.name.replace(".truth.json", "")
            media = tp.with_name(name + ".mp4")
            if not media.exists() or any(".part" in p.name for p in d.glob(name + "*")):
                continue  # still being rendered
            if args.skip_same_as is not None:
                twin = args.skip_same_as / media.name
                if twin.exists() and filecmp.cmp(twin, media, shallow=False):
                    continue
            dst = args.out / f"{d.parent.name}__{name}.npz"
            if dst.exists() and dst.stat().st_mtime > media.stat().st_mtime:
                continue
            t0 = time.time()
            arrs = clip_arrays(media, json.loads(tp.read_text()))
            np.savez_compressed(dst, **arrs)  # type: ignore[arg-type]
            print(f"{dst.name}: {len(arrs['t'])} frames, {time.time() - t0:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
