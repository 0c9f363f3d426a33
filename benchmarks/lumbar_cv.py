"""Candidate lumbar-flexion measures, leave-one-clip-out on the tuning split.

    .venv/bin/python benchmarks/lumbar_cv.py [--features .cache/lumbar_features] [--all] [--write]

Reads the per-frame cache of benchmarks/lumbar_features.py (tuning clips only), derives
back-outline and landmark features per frame, and scores each candidate measure with
leave-one-clip-out cross-validation: correlation and MAE against the true lumbar flexion on
the judged stretch frames, and the back_rounded verdict (the real BackRoundingJudge replayed
frame by frame, with the person's own upright reference, its threshold chosen on the training
clips of each fold): per-frame precision / recall / F1 (rounded = truth >= 20 degrees, as
benchmarks/accuracy_synth.py scores it) and false rounding warnings per minute of good form.
A clip's other renders (the same name in another folder) are left out with it. ``--all``
scores every candidate tried (slow); ``--write`` fits the measured candidate (low-back turn +
head drop, docs/lumbar.md) on all the cached clips and writes
formcheck/metrics/lumbar_calibration.json. Never point it at the sealed split.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from formcheck.metrics import geometry as g  # noqa: E402
from formcheck.metrics.backref import UPRIGHT_TRUNK_DEG  # noqa: E402
from formcheck.metrics.lumbar import (  # noqa: E402
    STATIONS,
    BackRoundingJudge,
    BackShape,
    LumbarCalibration,
    back_profile,
    lumbar_flexion_deg,
    measure_back,
)

ROUNDED_DEG = 20.0
JUDGED_POSTURES = ("standing", "chair_sitting", "floor_sitting")
T_EXT = np.linspace(-0.1, 1.1, 49)  # stations along hip->shoulder for the extended profile


# ---------------------------------------------------------------------------------------------
# per-frame features
def edge_profile(
    mask: np.ndarray, hip: np.ndarray, sh: np.ndarray, normal: np.ndarray, ts: np.ndarray
) -> np.ndarray:
    """Distance (px) along ``normal`` from the chord to the mask edge at stations ``ts`` (the
    measure's own :func:`formcheck.metrics.lumbar.back_profile` on a boolean mask)."""
    return back_profile(mask.astype(np.float32), hip, sh, normal, max_frac=0.8, stations=ts)


def _fit_sag(t: np.ndarray, d: np.ndarray, lo: float, hi: float) -> float:
    """Turning angle (deg) of a parabola fitted to d(t) over [lo, hi] (t in chord units)."""
    sel = (t >= lo - 1e-9) & (t <= hi + 1e-9) & np.isfinite(d)
    if sel.sum() < max(5, 0.6 * ((t >= lo - 1e-9) & (t <= hi + 1e-9)).sum()):
        return math.nan
    c2, c1, _ = np.polyfit(t[sel], d[sel], 2)
    # slopes at the ends; turning = atan(slope_lo) - atan(slope_hi)  (bulge: positive)
    s_lo, s_hi = 2 * c2 * lo + c1, 2 * c2 * hi + c1
    return float(np.degrees(math.atan(s_lo) - math.atan(s_hi)))


def _line_angle(t: np.ndarray, d: np.ndarray, lo: float, hi: float) -> float:
    sel = (t >= lo - 1e-9) & (t <= hi + 1e-9) & np.isfinite(d)
    if sel.sum() < 4:
        return math.nan
    c1, _ = np.polyfit(t[sel], d[sel], 1)
    return float(np.degrees(math.atan(c1)))


FEATURES = (
    "bend", "head_drop", "trunk_incl", "turn_full", "turn_low", "turn_up", "turn_tan",
    "sag3_mid", "sag3_low", "thick", "chord_thigh", "chord_shank", "hip2d", "thigh_incl",
    "hip3d", "head3d", "nose_drop", "ear_off", "trunk3d_len",
)  # fmt: skip
WINDOWS = [(lo, hi) for lo in (0.0, 0.1, 0.2) for hi in (0.5, 0.6, 0.7, 0.8)]


def frame_features(z: dict, i: int, masks: np.ndarray) -> dict[str, float]:
    f = dict.fromkeys(FEATURES, math.nan)
    f["bend"] = float(z["bend"][i])
    f["head_drop"] = float(z["head_drop"][i])
    f["trunk_incl"] = float(z["trunk_incl"][i])
    side = str(z["near_side"][i])
    xy, w3 = z["xy"][i], z["world"][i]
    if side == "left":
        S, H, K, A, E = g.LEFT_SHOULDER, g.LEFT_HIP, g.LEFT_KNEE, g.LEFT_ANKLE, g.LEFT_EAR
    elif side == "right":
        S, H, K, A, E = g.RIGHT_SHOULDER, g.RIGHT_HIP, g.RIGHT_KNEE, g.RIGHT_ANKLE, g.RIGHT_EAR
    else:
        return f
    sh, hp, kn, an, ear, nose = xy[S], xy[H], xy[K], xy[A], xy[E], xy[g.NOSE]
    if not (np.isfinite(sh).all() and np.isfinite(hp).all()):
        return f
    chord = sh - hp
    L = float(np.linalg.norm(chord))
    if L < 8:
        return f
    thigh = float(np.linalg.norm(kn - hp))
    shank = float(np.linalg.norm(an - kn))
    f["chord_thigh"] = L / thigh if thigh > 1 else math.nan
    f["chord_shank"] = L / shank if shank > 1 else math.nan
    f["hip2d"] = 180.0 - float(g.joint_angle(sh, hp, kn))
    f["thigh_incl"] = float(np.degrees(np.arctan2(abs(kn[0] - hp[0]), kn[1] - hp[1])))
    f["hip3d"] = 180.0 - float(g.joint_angle(w3[S], w3[H], w3[K]))
    f["head3d"] = 180.0 - float(g.joint_angle(w3[H], w3[S], w3[E]))
    f["trunk3d_len"] = float(
        np.linalg.norm(w3[S] - w3[H]) / max(np.linalg.norm(w3[K] - w3[H]), 1e-6)
    )
    u = chord / L
    normal = np.array([-u[1], u[0]])
    if np.dot(nose - hp, normal) > 0:
        normal = -normal
    # nose and ear: distance in front of / below the shoulder along the trunk, per chord
    f["nose_drop"] = float(np.dot(nose - sh, u) / L)
    f["ear_off"] = float(np.dot(ear - sh, -normal) / L)
    if not z["mask_ok"][i]:
        return f
    hh, ww = (int(v) for v in z["mask_hw"])
    mask = np.unpackbits(masks[i])[: hh * ww].reshape(hh, ww).astype(bool)
    d = edge_profile(mask, hp, sh, normal, T_EXT) / L
    f["profile"] = d  # type: ignore[assignment]
    f["turn_full"] = _fit_sag(T_EXT, d, 0.1, 0.9)
    # the low-back turn exactly as formcheck measures it (formcheck/metrics/lumbar.py)
    f["turn_low"] = measure_back(xy, mask.astype(np.float32), side).low_turn_deg
    f["turn_up"] = _fit_sag(T_EXT, d, 0.4, 1.0)
    f["turn_tan"] = _line_angle(T_EXT, d, 0.05, 0.4) - _line_angle(T_EXT, d, 0.6, 0.95)

    def at(t: float) -> float:
        return (
            float(np.interp(t, T_EXT, d))
            if np.isfinite(d).all()
            else float(np.interp(t, T_EXT[np.isfinite(d)], d[np.isfinite(d)]))
            if np.isfinite(d).sum() > 10
            else math.nan
        )

    f["sag3_mid"] = at(0.5) - 0.5 * (at(0.15) + at(0.85))
    f["sag3_low"] = at(0.35) - 0.5 * (at(0.1) + at(0.6))
    f["thick"] = float(np.nanmedian(d[(T_EXT >= 0.2) & (T_EXT <= 0.8)]))
    return f


def load_clip(path: Path) -> dict:
    cache = path.with_suffix(".feat.npz")
    z = dict(np.load(path, allow_pickle=False))
    if cache.exists() and cache.stat().st_mtime > path.stat().st_mtime:
        fz = dict(np.load(cache))
        if all(k in fz for k in FEATURES):
            z["F"] = np.stack([fz[k] for k in FEATURES], axis=1)
            z["profile"] = fz["profile"]
            return z
    masks = z["mask"]
    feats = [frame_features(z, i, masks) for i in range(len(z["t"]))]
    arr = {k: np.array([ff[k] for ff in feats]) for k in FEATURES}
    arr["profile"] = np.array(
        [ff.get("profile", np.full(len(T_EXT), np.nan)) for ff in feats], dtype=float
    )
    np.savez(cache, **arr)
    z["F"] = np.stack([arr[k] for k in FEATURES], axis=1)
    z["profile"] = arr["profile"]
    return z


# ---------------------------------------------------------------------------------------------
# scoring
def judged_mask(z: dict) -> np.ndarray:
    return (
        z["person"] & (z["view"] == "side") & np.isin(z["posture"], JUDGED_POSTURES) & z["mask_ok"]
    )


def replay(z: dict, flex: np.ndarray, thr: float) -> np.ndarray:
    """The verdict per frame (-1 None, 0, 1), BackRoundingJudge replayed as the coach runs it."""
    judge = BackRoundingJudge(LumbarCalibration(), reference_threshold_deg=thr)
    jm = judged_mask(z)
    out = np.full(len(flex), -1)
    for i in range(len(flex)):
        post = str(z["posture"][i])
        key = None if post == "None" else post
        f = float(flex[i]) if jm[i] else math.nan
        v = judge.update(float(z["t"][i]), f, bool(jm[i]), key)
        out[i] = -1 if v is None else int(v)
        if math.isfinite(f) and not z["engaged"][i] and z["trunk_incl"][i] <= UPRIGHT_TRUNK_DEG:
            judge.observe_upright(float(z["t"][i]), f, "upright_frames", key)
    return out


def warn_intervals(z: dict, verdict: np.ndarray, on_s: float = 0.25, off_s: float = 0.5):
    """Debounced back-rounding warning per frame (fault raised only while engaged)."""
    t = z["t"]
    raw = (verdict == 1) & z["engaged"]
    out = np.zeros(len(t), bool)
    state, since_on, since_off = False, None, None
    for i in range(len(t)):
        if raw[i]:
            since_off = None
            since_on = t[i] if since_on is None else since_on
            if not state and t[i] - since_on >= on_s - 1e-9:
                state = True
        else:
            since_on = None
            since_off = t[i] if since_off is None else since_off
            if state and t[i] - since_off >= off_s - 1e-9:
                state = False
        out[i] = state
    return out


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    good_s: float = 0.0
    false_s: float = 0.0

    def add(self, z: dict, verdict: np.ndarray) -> None:
        tl = z["truth_lumbar"]
        st = z["stretch"] != "None"
        sel = st & np.isfinite(tl) & (verdict >= 0) & z["person"] & z["in_frame"]
        tr, pr = tl[sel] >= ROUNDED_DEG, verdict[sel] == 1
        self.tp += int((tr & pr).sum())
        self.fp += int((~tr & pr).sum())
        self.fn += int((tr & ~pr).sum())
        dt = np.diff(z["t"], append=z["t"][-1] + (z["t"][-1] - z["t"][-2]))
        good = (
            st & (z["phase"] == "hold") & z["in_frame"] & (z["fault"] == "None")
            & np.isfinite(tl) & (tl < ROUNDED_DEG)
        )  # fmt: skip
        w = warn_intervals(z, verdict)
        self.good_s += float(dt[good].sum())
        self.false_s += float(dt[good & w].sum())

    @property
    def prf(self) -> tuple[float, float, float]:
        p = self.tp / (self.tp + self.fp) if self.tp + self.fp else math.nan
        r = self.tp / (self.tp + self.fn) if self.tp + self.fn else math.nan
        f1 = 2 * self.tp / (2 * self.tp + self.fp + self.fn) if self.tp else 0.0
        return p, r, f1

    @property
    def fpm(self) -> float:
        return 60 * self.false_s / self.good_s if self.good_s else math.nan


def eval_frames(z: dict) -> np.ndarray:
    """Frames the accuracy figures use: judged, in a stretch, truth known."""
    return judged_mask(z) & (z["stretch"] != "None") & np.isfinite(z["truth_lumbar"])


def fit_frames(z: dict) -> np.ndarray:
    return judged_mask(z) & np.isfinite(z["truth_lumbar"]) & z["in_frame"]


# ---------------------------------------------------------------------------------------------
# candidates: fit(train clips) -> predict(clip) -> per-frame estimate
Predictor = Callable[[dict], np.ndarray]


def design(z: dict, cols: list[str], postures: bool) -> np.ndarray:
    idx = [FEATURES.index(c) for c in cols]
    X = z["F"][:, idx]
    parts = [np.ones((len(X), 1)), X]
    if postures:
        parts.append(np.stack([(z["posture"] == p).astype(float) for p in JUDGED_POSTURES[1:]], 1))
    return np.concatenate(parts, axis=1)


def ridge_candidate(cols: list[str], alpha: float = 1.0, postures: bool = True):
    def fit(train: list[dict]) -> Predictor:
        Xs, ys = [], []
        for z in train:
            X = design(z, cols, postures)
            sel = fit_frames(z) & np.isfinite(X).all(1)
            Xs.append(X[sel])
            ys.append(z["truth_lumbar"][sel])
        X, y = np.concatenate(Xs), np.concatenate(ys)
        mu, sd = X[:, 1:].mean(0), X[:, 1:].std(0) + 1e-9
        Xn = np.concatenate([X[:, :1], (X[:, 1:] - mu) / sd], 1)
        reg = alpha * len(y) / 100.0 * np.eye(Xn.shape[1])
        reg[0, 0] = 0
        beta = np.linalg.solve(Xn.T @ Xn + reg, Xn.T @ y)

        def predict(z: dict) -> np.ndarray:
            X = design(z, cols, postures)
            Xn = np.concatenate([X[:, :1], (X[:, 1:] - mu) / sd], 1)
            return Xn @ beta

        predict.beta = beta  # type: ignore[attr-defined]
        predict.mu, predict.sd = mu, sd  # type: ignore[attr-defined]
        return predict

    return fit


def delta_candidate(cols: list[str], alpha: float = 1.0):
    """Slopes fitted within each person (features and truth minus their upright medians: the
    quantity the reference-based verdict judges), then an intercept per posture."""

    def fit(train: list[dict]) -> Predictor:
        dX, dy, Xs, ys, Ps = [], [], [], [], []
        idx = [FEATURES.index(c) for c in cols]
        for z in train:
            F = z["F"][:, idx]
            sel = fit_frames(z) & np.isfinite(F).all(1)
            up = sel & ~z["engaged"] & (z["trunk_incl"] <= UPRIGHT_TRUNK_DEG)
            Xs.append(F[sel])
            ys.append(z["truth_lumbar"][sel])
            Ps.append(z["posture"][sel])
            if up.sum() >= 8:
                dX.append(F[sel] - np.median(F[up], 0))
                dy.append(z["truth_lumbar"][sel] - np.median(z["truth_lumbar"][up]))
        A, b = np.concatenate(dX), np.concatenate(dy)
        sd = A.std(0) + 1e-9
        An = A / sd
        beta = np.linalg.solve(An.T @ An + alpha * len(b) / 100 * np.eye(len(idx)), An.T @ b) / sd
        X, y, P = np.concatenate(Xs), np.concatenate(ys), np.concatenate(Ps)
        r = y - X @ beta
        icpt = {str(q): float(np.mean(r[np.asarray(P) == q])) for q in np.unique(P)}
        c0 = float(np.mean(r))

        def predict(z: dict) -> np.ndarray:
            ic = np.array([icpt.get(str(p), c0) for p in z["posture"]])
            return z["F"][:, idx] @ beta + ic

        predict.beta = beta  # type: ignore[attr-defined]
        predict.icpt, predict.c0 = icpt, c0  # type: ignore[attr-defined]
        return predict

    return fit


def current_candidate(train: list[dict]) -> Predictor:
    return lambda z: z["est"].astype(float)


#: the committed calibration (whole-trunk bend + head drop, fitted by
#: benchmarks/calibrate_lumbar.py on .cache/synth_cal): the "before" of docs/lumbar.md
BEFORE = LumbarCalibration(
    intercept=7.015,
    slope=0.3599,
    head_coef=0.4531,
    threshold_deg=15.0,
    by_posture={
        "chair_sitting": {"intercept": 2.744, "slope": 0.3969, "head_coef": 0.9783},
        "floor_sitting": {"intercept": 9.781, "slope": 0.3463, "head_coef": 0.542},
        "standing": {"intercept": -0.254, "slope": 0.3983, "head_coef": 0.5142},
    },
)


def calibration_candidate(cal: LumbarCalibration):
    """A fixed calibration (no fitting) applied to the cached features."""

    def fit(train: list[dict]) -> Predictor:
        def predict(z: dict) -> np.ndarray:
            F, jm = z["F"], judged_mask(z)
            ib, ih, il = (FEATURES.index(k) for k in ("bend", "head_drop", "turn_low"))
            out = np.full(len(F), np.nan)
            for i in np.flatnonzero(jm):
                shape = BackShape(F[i, ib], F[i, ih], 1.0, np.zeros(len(STATIONS)), F[i, il])
                out[i] = lumbar_flexion_deg(shape, cal, str(z["posture"][i]))
            return out

        return predict

    return fit


THR_GRID = np.arange(10.0, 41.0, 2.0)


def _spec(name: str) -> str:
    """The clip's name without its folder prefix (``synth_v1__tuning_03_...``)."""
    return name.split("__", 1)[-1]


def run_cv(clips: dict[str, dict], fit, thr_grid=THR_GRID, fixed_thr=None):
    names = sorted(clips)
    preds, truths, per = [], [], {}
    score = Score()
    for n in names:
        # leave the clip out, and its other renders (same name in another folder: the same
        # person and motion) with it
        train = [clips[m] for m in names if _spec(m) != _spec(n)]
        pred_fn = fit(train)
        # the verdict's threshold: best F1 on the training clips (fixed_thr: as given)
        if fixed_thr is None:
            best, best_f = 18.0, -1.0
            tr_preds = [(z, pred_fn(z)) for z in train]
            for thr in thr_grid:
                s = Score()
                for z, p in tr_preds:
                    s.add(z, replay(z, p, thr))
                f1 = s.prf[2] - 0.02 * (s.fpm if math.isfinite(s.fpm) else 0)
                if f1 > best_f:
                    best, best_f = thr, f1
            thr = best
        else:
            thr = fixed_thr
        z = clips[n]
        p = pred_fn(z)
        v = replay(z, p, thr)
        score.add(z, v)
        ev = eval_frames(z) & np.isfinite(p)
        preds.append(p[ev])
        truths.append(z["truth_lumbar"][ev])
        per[n] = (float(np.median(p[ev])) if ev.any() else math.nan, float(thr))
    p, t = np.concatenate(preds), np.concatenate(truths)
    corr = float(np.corrcoef(p, t)[0, 1]) if len(p) > 2 else math.nan
    mae = float(np.mean(np.abs(p - t)))
    return {"corr": corr, "mae": mae, "n": len(p), "prf": score.prf, "fpm": score.fpm, "per": per}


def add_windows(clips: dict[str, dict]) -> None:
    """Turning angles of the outline over other windows [lo, hi] of the chord (scales)."""
    global FEATURES
    names = [f"tw_{lo}_{hi}" for lo, hi in WINDOWS]
    for z in clips.values():
        cols = [np.array([_fit_sag(T_EXT, d, lo, hi) for d in z["profile"]]) for lo, hi in WINDOWS]
        z["F"] = np.concatenate([z["F"], np.stack(cols, 1)], 1)
    FEATURES = tuple(FEATURES) + tuple(names)


#: the adopted measure (docs/lumbar.md, 2026-12-02)
ADOPTED = ["turn_low", "head_drop"]


def candidates(full: bool) -> dict:
    c = {
        "before (the committed calibration)": calibration_candidate(BEFORE),
        "bend+head (refit, ridge, per posture)": ridge_candidate(["bend", "head_drop"]),
        "bend+head (within-person fit)": delta_candidate(["bend", "head_drop"]),
        "turn_low+head_drop (within-person fit)": delta_candidate(ADOPTED),
    }
    if not full:
        return c
    c |= {
        "turn_low (ridge)": ridge_candidate(["turn_low"]),
        "turn_tan (ridge)": ridge_candidate(["turn_tan"]),
        "sag3_low (ridge)": ridge_candidate(["sag3_low"]),
        "chord_thigh (ridge)": ridge_candidate(["chord_thigh"]),
        "hip2d+trunk_incl (ridge)": ridge_candidate(["hip2d", "trunk_incl"]),
        "head3d+nose_drop (ridge)": ridge_candidate(["head3d", "nose_drop"]),
        "turn_low+head3d (ridge)": ridge_candidate(["turn_low", "head3d"]),
        "landmarks (ridge)": ridge_candidate(
            [
                "trunk_incl",
                "hip2d",
                "thigh_incl",
                "chord_thigh",
                "head_drop",
                "nose_drop",
                "ear_off",
                "hip3d",
                "head3d",
            ]
        ),  # fmt: skip
        "outline (ridge)": ridge_candidate(
            [
                "bend",
                "turn_full",
                "turn_low",
                "turn_up",
                "turn_tan",
                "sag3_mid",
                "sag3_low",
                "thick",
            ]
        ),  # fmt: skip
        "all 19 (ridge)": ridge_candidate(list(FEATURES[:19]), alpha=3.0),
        "all 19 (within-person fit)": delta_candidate(list(FEATURES[:19]), alpha=3.0),
        "turn_low+head3d (within)": delta_candidate(["turn_low", "head3d"]),
        "turn_low+chord_thigh (within)": delta_candidate(["turn_low", "chord_thigh"]),
        "turn_low+head_drop+trunk_incl (within)": delta_candidate(ADOPTED + ["trunk_incl"]),
        "turn_low+head_drop+hip2d (within)": delta_candidate(ADOPTED + ["hip2d"]),
    }
    for lo, hi in WINDOWS:
        c[f"turn {lo}-{hi} (within)"] = delta_candidate([f"tw_{lo}_{hi}"])
        c[f"turn {lo}-{hi}+head_drop (within)"] = delta_candidate([f"tw_{lo}_{hi}", "head_drop"])
    return c


def _score_line(name: str, clips: dict, fit) -> str:
    r = run_cv(clips, fit)
    r18 = run_cv(clips, fit, fixed_thr=18.0)
    p, rc, f1 = r["prf"]
    return (f"{name:<42} corr {r['corr']:+.2f} MAE {r['mae']:5.1f} | nested: P {p:.2f} R {rc:.2f} "
            f"F1 {f1:.2f} FP {r['fpm']:.1f} s/min | @18: F1 {r18['prf'][2]:.2f} "
            f"FP {r18['fpm']:.1f}")  # fmt: skip


def write_calibration(clips: dict[str, dict]) -> None:
    """Fit the low-back turn candidate on all the clips and write lumbar_calibration.json
    (measured on 2026-12-02, not committed: docs/lumbar.md)."""
    fit = delta_candidate(ADOPTED)
    full = fit(list(clips.values()))
    beta = full.beta  # type: ignore[attr-defined]
    # the reference threshold: best F1 (less 0.02 per s/min of false warnings) over the
    # leave-one-clip-out predictions, the middle of the best plateau
    names = sorted(clips)
    loo = {n: fit([clips[m] for m in names if _spec(m) != _spec(n)])(clips[n]) for n in names}
    rows = []
    for thr in np.arange(16.0, 41.0, 1.0):
        s = Score()
        for n in names:
            s.add(clips[n], replay(clips[n], loo[n], float(thr)))
        rows.append((float(thr), s.prf[2] - 0.02 * s.fpm, s))
        print(f"  reference threshold {thr:.0f}: F1 {s.prf[2]:.2f}, FP {s.fpm:.1f} s/min")
    best = max(r[1] for r in rows)
    plateau = [r for r in rows if r[1] >= best - 0.01]
    thr, _, s = plateau[len(plateau) // 2]
    # the plain threshold (relative_deg = 0): best F1 of estimate > d on the stretch frames
    est = np.concatenate([loo[n][eval_frames(clips[n])] for n in names])
    tru = np.concatenate([clips[n]["truth_lumbar"][eval_frames(clips[n])] for n in names])
    ok = np.isfinite(est)
    grid = np.arange(10.0, 35.0, 0.5)

    def f1_at(d: float) -> float:
        pr, tr = est[ok] > d, tru[ok] >= ROUNDED_DEG
        tp = int((pr & tr).sum())
        return 2 * tp / (2 * tp + int((pr & ~tr).sum()) + int((~pr & tr).sum())) if tp else 0.0

    plain = float(max(grid, key=f1_at))
    r = run_cv(clips, fit)
    icpt = full.icpt  # type: ignore[attr-defined]

    def coefs(c: float) -> dict[str, float]:
        return {"intercept": round(c, 3), "slope": 0.0, "head_coef": round(float(beta[1]), 4),
                "low_turn_coef": round(float(beta[0]), 4)}  # fmt: skip

    n_frames = sum(int(fit_frames(z).sum()) for z in clips.values())
    out = coefs(full.c0) | {  # type: ignore[attr-defined]
        "threshold_deg": plain,
        "truth_threshold_deg": ROUNDED_DEG,
        "hysteresis_deg": 3.0,
        "reference_threshold_deg": thr,
        "by_posture": {p: coefs(icpt[p]) for p in JUDGED_POSTURES if p in icpt},
        "source": f"benchmarks/lumbar_cv.py --write (2026-12-02) on {len(clips)} tuning clips, "
        f"{n_frames} frames: low-back turn + head drop; leave-one-clip-out corr {r['corr']:.2f}, "
        f"MAE {r['mae']:.1f} deg; back_rounded F1 {s.prf[2]:.2f} at reference threshold "
        f"{thr:.0f} (rounded = truth >= {ROUNDED_DEG:.0f} deg)",
    }
    path = ROOT / "formcheck" / "metrics" / "lumbar_calibration.json"
    path.write_text(json.dumps(out, indent=1) + "\n")
    print(json.dumps(out, indent=1))
    print(f"wrote {path}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--features", type=Path, default=ROOT / ".cache" / "lumbar_features")
    ap.add_argument("--all", action="store_true", help="every candidate (slow), not the main four")
    ap.add_argument("--write", action="store_true", help="fit the adopted measure, write the JSON")
    args = ap.parse_args()
    clips = {}
    for p in sorted(args.features.glob("*.npz")):
        if p.name.endswith(".feat.npz") or "sealed" in p.name:
            continue
        clips[p.stem] = load_clip(p)
    clips = {k: v for k, v in clips.items() if eval_frames(v).any()}
    n_eval = sum(int(eval_frames(z).sum()) for z in clips.values())
    n_round = sum(
        int((z["truth_lumbar"][eval_frames(z)] >= ROUNDED_DEG).sum()) for z in clips.values()
    )
    print(f"{len(clips)} clips with judged stretch frames: {n_eval} frames, {n_round} rounded")
    allF = np.concatenate([z["F"][eval_frames(z)] for z in clips.values()])
    allT = np.concatenate([z["truth_lumbar"][eval_frames(z)] for z in clips.values()])
    for k, name in enumerate(FEATURES):
        x = allF[:, k]
        ok = np.isfinite(x)
        if ok.sum() > 10:
            print(f"  raw {name:<12} corr {np.corrcoef(x[ok], allT[ok])[0, 1]:+.2f}")
    if args.write:
        write_calibration(clips)
        return 0
    if args.all:
        add_windows(clips)
    for name, fit in candidates(args.all).items():
        print(_score_line(name, clips, fit), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
