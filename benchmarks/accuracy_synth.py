"""Scoring formcheck against synthetic truth files (part of benchmarks/accuracy.py).

Per clip, frame by frame against ``NAME.truth.json``: stretch recognised on hold frames, working
leg, non-stretch frames called "no stretch", valid-hold time per true hold (within 1 s?), back
rounding episodes warned and their onset, false rounding warnings per minute of good form,
per-frame back_rounded F1, and knee / hip / leg-raise / lumbar errors. ``valid`` is re-derived
from each truth row with :func:`formcheck.synth.holds.frame_valid`, the one hold definition.
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

import numpy as np
from scoring import as_float, error_stats, intervals, prf

from formcheck.synth.holds import frame_durations_s, frame_valid, hold_intervals
from formcheck.synth.randomize import conditions_of

BOTH_SIDED = {"standing_fold", "seated_floor"}
GROUP_KEYS = (
    "view", "support", "body", "clothing", "resolution", "light", "habit", "held_out",
    # the domain-randomization extras (formcheck.synth.randomize.extra_conditions)
    "top", "legwear", "hair", "entry", "fidget", "camera_motion",
)  # fmt: skip


def truth_valid_flags(truth: dict[str, Any]) -> list[bool]:
    """Per truth frame: valid hold time (formcheck.synth.holds.frame_valid, shared definition)."""
    return [frame_valid(t) for t in truth["frames"]]


def near_leg(t: dict[str, Any], camera: dict[str, Any]) -> str:
    """The leg nearer the camera, from the truth's 3D joints and the camera position."""
    j, cam = t.get("joints_3d") or {}, camera.get("position_m")
    if not j or cam is None:
        return "left"
    c = np.array(cam, float)
    dl = np.linalg.norm(np.array(j["left_hip"]) - c)
    dr = np.linalg.norm(np.array(j["right_hip"]) - c)
    return "left" if dl <= dr else "right"


def _overlap(a0: float, a1: float, b0: float, b1: float) -> float:
    return max(0.0, min(a1, b1) - max(a0, b0))


def compare_clip(
    report: dict[str, Any], truth: dict[str, Any], rounded_deg: float
) -> dict[str, Any]:
    """Per-frame comparison of one analysed clip with its truth file."""
    rf, tf = report["frames"], truth["frames"]
    n = min(len(rf), len(tf))
    tf = tf[:n]
    times = [float(t["t_s"]) for t in tf]
    dts = frame_durations_s(times)
    res: dict[str, Any] = defaultdict(list)
    truth_round: list[bool] = []
    pred_round: list[bool] = []
    good_s = 0.0
    false_warn_s = 0.0
    warns = [w for w in report.get("warnings", []) if w["kind"] == "back_rounding"]
    for i in range(n):
        r, t = rf[i], tf[i]
        side, stretch = t.get("side"), t.get("stretch")
        in_frame = t.get("in_frame", True)
        if stretch is not None and t.get("phase") == "hold" and in_frame:
            res["recog"].append(r["stretch"] == stretch)
            ok_side = r["side"] == side or (stretch in BOTH_SIDED and r["side"] == "both")
            res["side"].append(bool(ok_side))
            if r["stretch"] is not None:  # left and right apart from recognition (issue 14.6)
                res["side_named"].append(bool(ok_side))
        if stretch is None and in_frame:
            res["no_stretch"].append(r["stretch"] is None)
        lum_t = as_float(t["angles_3d"].get("lumbar_flexion_deg"))
        good_form = stretch is not None and t.get("phase") == "hold" and in_frame
        if good_form and not t.get("fault") and math.isfinite(lum_t) and lum_t < rounded_deg:
            good_s += dts[i]
            ts = times[i]
            if any(w["start_s"] <= ts < (w.get("end_s") or math.inf) for w in warns):
                false_warn_s += dts[i]
        if not (r["person"] and in_frame and side in ("left", "right", "both")):
            continue
        a2 = t["angles_2d"]
        near = near_leg(t, truth.get("camera", {}))
        k = side if side != "both" else near
        res["knee"].append(
            as_float(r.get(f"knee_extension_{k}_deg")) - as_float(a2["knee_extension_deg"][k])
        )
        res["hip"].append(as_float(r.get(f"hip_angle_{k}_deg")) - as_float(a2["hip_angle_deg"][k]))
        res["raise"].append(
            as_float(r.get(f"leg_raise_{k}_deg")) - as_float(a2["leg_raise_deg"][k])
        )
        res["lumbar"].append(as_float(r.get("lumbar_flexion_deg")) - lum_t)
        if stretch is not None and math.isfinite(lum_t):
            if r.get("back_rounded") is None:
                res["back_abstain"].append(True)
            else:
                res["back_abstain"].append(False)
                truth_round.append(lum_t >= rounded_deg)
                pred_round.append(bool(r["back_rounded"]))
    tp = sum(a and b for a, b in zip(truth_round, pred_round, strict=True))
    fp = sum((not a) and b for a, b in zip(truth_round, pred_round, strict=True))
    fn = sum(a and not b for a, b in zip(truth_round, pred_round, strict=True))
    # rounding episodes: each acted back_rounding fault -> first warning near its start
    episodes = intervals([t.get("fault") == "back_rounding" for t in tf], times)
    onsets = []
    for fs, fe in episodes:
        later = [w["start_s"] - fs for w in warns if fs - 0.5 <= w["start_s"] <= fe + 1.0]
        onsets.append(min(later) if later else math.inf)
    # holds: truth hold episodes (valid re-derived) against the report's holds overlapping them
    valid = truth_valid_flags({"frames": tf})
    holds = []
    for h in hold_intervals(tf, valid):
        pred = 0.0
        for ph in report.get("holds", []):
            p0, p1 = float(ph["start_s"]), float(ph.get("end_s") or ph["start_s"])
            span = max(p1 - p0, 1e-9)
            pred += (
                float(ph.get("valid_s") or 0.0) * _overlap(p0, p1, h["start_s"], h["end_s"]) / span
            )
        holds.append({"truth_s": h["valid_s"], "pred_s": pred, "error_s": pred - h["valid_s"]})
    spec = truth.get("spec", {})
    return {
        "conditions": conditions_of(spec),
        "stretch": truth.get("stretch"),
        "errors": {k: res[k] for k in ("knee", "hip", "raise", "lumbar")},
        "recog": res["recog"],
        "side": res["side"],
        "side_named": res["side_named"],
        "no_stretch": res["no_stretch"],
        "back_abstain": res["back_abstain"],
        "round": (tp, fp, fn),
        "onsets": onsets,
        "good_s": good_s,
        "false_warn_s": false_warn_s,
        "holds": holds,
        "hold_truth_s": float(sum(dt for dt, ok in zip(dts, valid, strict=True) if ok)),
        "hold_pred_s": float(sum(float(h.get("valid_s") or 0.0) for h in report.get("holds", []))),
        "person_rate": float(np.mean([f["person"] for f in rf])) if rf else 0.0,
        # the analysis stopped before the end of the clip (an error; see the report's notes)
        "partial": bool((report.get("session") or {}).get("partial")) or len(rf) < len(tf),
    }


def _rate(xs: list[bool]) -> float:
    return float(np.mean(xs)) if xs else math.nan


def summarize(cs: list[dict[str, Any]]) -> dict[str, Any]:
    """The goal measures over a group of clips."""
    g: dict[str, Any] = {"clips": len(cs), "partial": sum(c.get("partial", False) for c in cs)}
    for key in ("knee", "hip", "raise", "lumbar"):
        g[key] = error_stats([e for c in cs for e in c["errors"][key]])
    so = [c for c in cs if c["conditions"]["view"] in ("side", "oblique")]
    g["recog"] = _rate([x for c in cs for x in c["recog"]])
    g["recog_frames"] = sum(len(c["recog"]) for c in cs)
    g["recog_side_oblique"] = _rate([x for c in so for x in c["recog"]])
    g["side"] = _rate([x for c in cs for x in c["side"]])
    g["side_named"] = _rate([x for c in cs for x in c["side_named"]])
    g["no_stretch"] = _rate([x for c in cs for x in c["no_stretch"]])
    g["back_abstain"] = _rate([x for c in cs for x in c["back_abstain"]])
    tp, fp, fn = (sum(c["round"][i] for c in cs) for i in range(3))
    g["back_rounding"] = prf(tp, fp, fn)
    ons = [o for c in cs for o in c["onsets"]]
    fin = [o for o in ons if math.isfinite(o)]
    g["episodes"] = len(ons)
    g["episodes_warned"] = len(fin)
    g["onset_median_s"] = float(np.median(fin)) if fin else math.nan
    good = sum(c["good_s"] for c in cs)
    g["good_form_s"] = good
    g["false_warn_s_per_min"] = (
        60.0 * sum(c["false_warn_s"] for c in cs) / good if good else math.nan
    )
    hs = [h for c in cs for h in c["holds"]]
    g["holds"] = len(hs)
    g["holds_within_1s"] = sum(abs(h["error_s"]) <= 1.0 for h in hs)
    g["hold_mae_s"] = error_stats([h["error_s"] for h in hs])["mae"]
    # holds with real valid time (>= 1 s in the truth): a 0 s truth hold met by 0 s is no test
    hv = [h for h in hs if h["truth_s"] >= 1.0]
    g["holds_valid"] = len(hv)
    g["holds_valid_within_1s"] = sum(abs(h["error_s"]) <= 1.0 for h in hv)
    return g


def summarize_synth(per_clip: list[dict[str, Any]], elapsed: float) -> dict[str, Any]:
    """Goal measures for all clips and per condition (view, support, body, clothing, ...)."""
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for c in per_clip:
        groups["all"].append(c)
        groups[f"stretch={c['stretch']}"].append(c)
        for key in GROUP_KEYS:
            groups[f"{key}={c['conditions'].get(key, '-')}"].append(c)
    out: dict[str, Any] = {"clips": len(per_clip), "elapsed_s": elapsed, "groups": {}}
    for name in sorted(groups, key=lambda s: (s != "all", s)):
        out["groups"][name] = summarize(groups[name])
    out["per_clip"] = [{k: v for k, v in c.items() if k not in ("errors", "recog", "side", "side_named", "no_stretch", "back_abstain")}
                       for c in per_clip]  # fmt: skip
    return out
