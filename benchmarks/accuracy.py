"""Accuracy benchmark: formcheck against ground truth (synthetic people) and labelled real photos.

    .venv/bin/python benchmarks/accuracy.py [--synth DIR ...] [--render N] [--real DIR] [--json OUT]

Synthetic part: every ``NAME.mp4`` with a ``NAME.truth.json`` beside it in the given folders
(default ``samples/``; ``--render N`` first renders N varied clips per stretch into
``.cache/synth_bench`` with the renderer extra) is analysed, and compared frame by frame with its
truth: knee / hip / leg-raise error (against the angles as projected in the image), lumbar
flexion error, back-rounding precision / recall / F1 and warning onset delay, stretch and side
recognition accuracy, and hold-time error — per stretch and per view.

Real part: the photos in ``../shared/data/real`` (skipped when absent), labelled by their
``INVENTORY.tsv``: detection rate, stretch recognition against the category in the file name,
knee extension of the straight-legged stretches, and back rounding against the ``back_form``
column.

Prints tables; ``--json`` also writes every figure.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from formcheck.config import Settings  # noqa: E402
from formcheck.pipeline import AnalyzeOutputs, analyze  # noqa: E402

sys.path.insert(0, str(ROOT / "benchmarks"))
from accuracy_real import run_real  # noqa: E402
from scoring import as_float, error_stats, intervals, prf  # noqa: E402

BOTH_SIDED = {"standing_fold", "seated_floor"}


def _near_from_truth(t: dict[str, Any], camera: dict[str, Any]) -> str:
    """The leg nearer the camera, from the truth's 3D joints and the camera position."""
    j, cam = t.get("joints_3d") or {}, camera.get("position_m")
    if not j or cam is None:
        return "left"
    c = np.array(cam, float)
    dl = np.linalg.norm(np.array(j["left_hip"]) - c)
    dr = np.linalg.norm(np.array(j["right_hip"]) - c)
    return "left" if dl <= dr else "right"


def _truth_measure(a: dict[str, Any], measure: str, side: str, leg: str | None) -> float | None:
    """A catalogue measure from the truth's projected angles (None when not available there)."""
    if measure == "trunk_inclination_deg":
        return a["trunk_inclination_deg"]
    if measure not in ("knee_extension_deg", "hip_angle_deg", "leg_raise_deg", "legs_angle_deg"):
        return None  # back_rounded, bouncing, hip height: covered by the acted fault
    if measure == "legs_angle_deg":
        if side == "both":
            return None
        other = "right" if side == "left" else "left"
        return abs(a["leg_raise_deg"][side] - a["leg_raise_deg"][other])
    per = a[measure]
    if side == "both":
        if leg == "other":
            return None
        return min(per.values()) if measure == "knee_extension_deg" else sum(per.values()) / 2
    return per[side if leg != "other" else ("right" if side == "left" else "left")]


def truth_valid_flags(truth: dict[str, Any]) -> list[bool]:
    """Frames in which the TRUE pose is in the stretch (the catalogue's engaged conditions on
    the true projected angles), keeps the angle rules, and acts no fault: the time a perfect
    measurement would count as valid."""
    from formcheck.stretches.catalogue import load_catalogue

    cat = load_catalogue()
    out = []
    for t in truth["frames"]:
        sid, side = t.get("stretch"), t.get("side")
        if sid is None or not t.get("in_frame", True) or t.get("fault") or side is None:
            out.append(False)
            continue
        a = t["angles_2d"]
        ok = True
        for c in (*cat[sid].engaged, *cat.rules_for(sid)):
            v = _truth_measure(a, c.measure, side, c.leg)
            if v is None:
                continue
            if (c.min is not None and v < c.min) or (c.max is not None and v > c.max):
                ok = False
        out.append(ok)
    return out


def compare_clip(
    report: dict[str, Any], truth: dict[str, Any], rounded_deg: float
) -> dict[str, Any]:
    """Per-frame comparison of one analysed clip with its truth file."""
    rf, tf = report["frames"], truth["frames"]
    n = min(len(rf), len(tf))
    view = truth.get("camera", {}).get("view", "?")
    res: dict[str, Any] = defaultdict(list)
    times = [tf[i]["t_s"] for i in range(n)]
    truth_round, pred_round = [], []
    for i in range(n):
        r, t = rf[i], tf[i]
        side = t.get("side")
        stretch = t.get("stretch")
        in_stretch = stretch is not None and t.get("phase") == "hold" and t.get("in_frame", True)
        if in_stretch:
            res["recog"].append(r["stretch"] == stretch)
            ok_side = r["side"] == side or (stretch in BOTH_SIDED and r["side"] == "both")
            res["side"].append(bool(ok_side))
        if not (r["person"] and t.get("in_frame", True) and side in ("left", "right", "both")):
            continue
        a2 = t["angles_2d"]
        # the working leg; with both legs working, the leg nearer the camera (the far one is
        # hidden in a side view)
        near = _near_from_truth(t, truth.get("camera", {}))
        k = side if side != "both" else near
        knee_left_right = (r.get(f"knee_extension_{k}_deg"), a2["knee_extension_deg"][k])
        res["knee"].append(as_float(knee_left_right[0]) - as_float(knee_left_right[1]))
        if k == near:  # the working leg on the camera's side (what formcheck asks for)
            res["knee_near"].append(res["knee"][-1])
        res["hip"].append(as_float(r.get(f"hip_angle_{k}_deg")) - as_float(a2["hip_angle_deg"][k]))
        res["raise"].append(
            as_float(r.get(f"leg_raise_{k}_deg")) - as_float(a2["leg_raise_deg"][k])
        )
        lum_t = as_float(t["angles_3d"].get("lumbar_flexion_deg"))
        res["lumbar"].append(as_float(r.get("lumbar_flexion_deg")) - lum_t)
        if stretch is not None and r.get("back_rounded") is not None and math.isfinite(lum_t):
            truth_round.append(lum_t >= rounded_deg)
            pred_round.append(bool(r["back_rounded"]))
    tp = sum(a and b for a, b in zip(truth_round, pred_round, strict=True))
    fp = sum((not a) and b for a, b in zip(truth_round, pred_round, strict=True))
    fn = sum(a and not b for a, b in zip(truth_round, pred_round, strict=True))
    # onset: each acted back-rounding fault -> first back_rounding warning at or after its start
    faults = intervals([tf[i].get("fault") == "back_rounding" for i in range(n)], times)
    warns = [w for w in report["warnings"] if w["kind"] == "back_rounding"]
    onsets = []
    judgeable = view == "side" and not str(truth.get("stretch", "")).startswith("supine")
    for fs, fe in faults if judgeable else []:
        later = [w["start_s"] - fs for w in warns if fs - 0.5 <= w["start_s"] <= fe + 1.0]
        onsets.append(min(later) if later else math.inf)
    # hold time: the time the true pose is in the stretch with no acted fault
    dt = np.diff(times + [times[-1] + (times[-1] - times[-2] if n > 1 else 0.0)])
    flags = truth_valid_flags(truth)
    truth_valid = float(sum(dt[i] for i in range(n) if flags[i]))
    pred_valid = float(sum(h["valid_s"] for h in report["holds"]))
    return {
        "view": view,
        "stretch": truth.get("stretch"),
        "errors": {k: res[k] for k in ("knee", "knee_near", "hip", "raise", "lumbar")},
        "recog": res["recog"],
        "side": res["side"],
        "round": (tp, fp, fn),
        "onsets": onsets,
        "hold_truth_s": truth_valid,
        "hold_pred_s": pred_valid,
        "person_rate": float(np.mean([f["person"] for f in rf])) if rf else 0.0,
    }


def run_synth(folders: list[Path], rounded_deg: float) -> dict[str, Any]:
    clips = []
    for folder in folders:
        for truth_path in sorted(folder.glob("*.truth.json")):
            video = truth_path.with_name(truth_path.name.replace(".truth.json", ""))
            cands = [video.with_suffix(s) for s in (".mp4", ".jpg", ".png")]
            media = next((c for c in cands if c.exists()), None)
            if media is None:
                continue
            clips.append((media, truth_path))
    if not clips:
        print("no synthetic clips with truth files found", file=sys.stderr)
        return {}
    per_clip = []
    t0 = time.perf_counter()
    for media, truth_path in clips:
        truth = json.loads(truth_path.read_text())
        # every stay in the stretch counts as a hold here (the clips' holds are short), so that
        # the hold-time error measures the measurement, not the minimum-hold product rule
        settings = Settings(catalogue_overrides={"defaults": {"min_hold_s": 0.0}})
        report = analyze(media, settings, AnalyzeOutputs(thumbnails=False))
        c = compare_clip(report, truth, rounded_deg)
        c["clip"] = media.name
        per_clip.append(c)
        print(
            f"  {media.name}: knee MAE {error_stats(c['errors']['knee'])['mae']:.1f}, "
            f"recog {np.mean(c['recog']) if c['recog'] else math.nan:.2f}, "
            f"hold {c['hold_pred_s']:.1f}/{c['hold_truth_s']:.1f} s",
            file=sys.stderr,
        )
    return summarize_synth(per_clip, time.perf_counter() - t0)


def summarize_synth(per_clip: list[dict[str, Any]], elapsed: float) -> dict[str, Any]:
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for c in per_clip:
        groups["all"].append(c)
        groups[f"view={c['view']}"].append(c)
        groups[f"stretch={c['stretch']}"].append(c)
    out: dict[str, Any] = {"clips": len(per_clip), "elapsed_s": elapsed, "groups": {}}
    for name, cs in sorted(groups.items()):
        g: dict[str, Any] = {}
        for key in ("knee", "knee_near", "hip", "raise", "lumbar"):
            g[key] = error_stats([e for c in cs for e in c["errors"][key]])
        rec = [x for c in cs for x in c["recog"]]
        sid = [x for c in cs for x in c["side"]]
        g["recognition"] = float(np.mean(rec)) if rec else math.nan
        g["side"] = float(np.mean(sid)) if sid else math.nan
        tp = sum(c["round"][0] for c in cs)
        fp = sum(c["round"][1] for c in cs)
        fn = sum(c["round"][2] for c in cs)
        g["back_rounding"] = prf(tp, fp, fn)
        ons = [o for c in cs for o in c["onsets"]]
        g["onset"] = {
            "faults": len(ons),
            "missed": sum(1 for o in ons if not math.isfinite(o)),
            "median_s": float(np.median([o for o in ons if math.isfinite(o)]))
            if any(math.isfinite(o) for o in ons)
            else math.nan,
            "max_s": max((o for o in ons if math.isfinite(o)), default=math.nan),
        }
        herr = [c["hold_pred_s"] - c["hold_truth_s"] for c in cs]
        g["hold_error"] = error_stats(herr)
        out["groups"][name] = g
    out["per_clip"] = [
        {k: v for k, v in c.items() if k not in ("errors", "recog", "side")} for c in per_clip
    ]
    return out


def print_tables(synth: dict[str, Any], real: dict[str, Any]) -> None:
    if synth:
        print(f"\nSynthetic people: {synth['clips']} clips ({synth['elapsed_s']:.0f} s)")
        hdr = f"{'group':<26}{'knee':>7}{'near':>6}{'hip':>7}{'raise':>7}{'lumbar':>8}{'recog':>7}{'side':>6}{'P':>6}{'R':>6}{'F1':>6}{'onset':>7}{'hold':>7}"
        print(hdr)
        print("-" * len(hdr))
        for name, g in synth["groups"].items():
            br = g["back_rounding"]
            print(
                f"{name:<26}{g['knee']['mae']:7.1f}{g['knee_near']['mae']:6.1f}{g['hip']['mae']:7.1f}{g['raise']['mae']:7.1f}"
                f"{g['lumbar']['mae']:8.1f}{g['recognition']:7.2f}{g['side']:6.2f}"
                f"{br['precision']:6.2f}{br['recall']:6.2f}{br['f1']:6.2f}"
                f"{g['onset']['median_s']:7.2f}{g['hold_error']['mae']:7.1f}"
            )
        print("(angle columns: mean absolute error in degrees vs the truth projected in the image; near: knee of a working leg on the camera's side;"
              " onset: median warning delay in s; hold: mean |valid hold time error| in s per clip)")  # fmt: skip
    if real:
        br = real["back_rounding"]
        print(
            f"\nReal photos (../shared/data/real): {real['detected']}/{real['photos']} with a person found"
        )
        print(
            f"  stretch recognition: {real['recognition']:.2f} of {real['recognition_n']} labelled photos"
        )
        print(
            f"  knee extension of straight-legged stretches: median {real['straight_knee_median']:.0f}, min {real['straight_knee_min']:.0f} deg"
        )
        print(f"  back rounding vs INVENTORY back_form: precision {br['precision']:.2f}, recall {br['recall']:.2f}, "
              f"F1 {br['f1']:.2f} (tp {br['tp']}, fp {br['fp']}, fn {br['fn']}, tn {br['tn']}, not judged {br['not_judged']})")  # fmt: skip


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--synth", nargs="*", type=Path, default=[ROOT / "samples"])
    ap.add_argument("--render", type=int, default=0, help="render N varied clips per stretch first")
    ap.add_argument("--real", type=Path, default=ROOT.parent / "shared" / "data" / "real")
    ap.add_argument("--no-real", action="store_true")
    ap.add_argument(
        "--rounded-deg",
        type=float,
        default=20.0,
        help="truth lumbar flexion that counts as rounded",
    )
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    folders = list(args.synth)
    if args.render:
        from formcheck.synth import render_variations  # the optional extra

        cache = ROOT / ".cache" / "synth_bench"
        from formcheck.stretches.catalogue import STRETCH_IDS

        faults = (None, "back_rounding", "knee_bent")
        for sid in STRETCH_IDS:
            for k in range(args.render):
                render_variations(sid, 1, seed=1 + k, out_dir=cache, fault=faults[k % 3])
        folders.append(cache)
    synth = run_synth(folders, args.rounded_deg) if folders else {}
    real = {} if args.no_real else run_real(args.real)
    print_tables(synth, real)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"synthetic": synth, "real": real}, indent=1, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
