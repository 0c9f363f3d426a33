"""Synthetic metric sequences of SLR and AKE trials whose answers are known in advance."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from formcheck.assess.sample import AssessSample

SIDES = ("left", "right")


@dataclass
class TrialSpec:
    """One trial: the tested ``side``, the ``top_deg`` reached (SLR elevation, or AKE knee
    extension), and its faults (the other leg's elevation, the raised knee, the hip angle,
    the pelvis lift in torso lengths, the camera's angle off side-on)."""

    side: str
    top_deg: float
    knee_deg: float = 178.0
    hip_deg: float = 90.0
    other_leg_deg: float = 0.0
    pelvis_lift: float = 0.0
    off_side_deg: float = 5.0
    rise_s: float = 1.5
    hold_s: float = 1.0
    lower_s: float = 1.5
    rest_s: float = 1.5


def _ease(u: np.ndarray) -> np.ndarray:
    return 0.5 - 0.5 * np.cos(np.pi * np.clip(u, 0.0, 1.0))


def sequence(
    test: str, trials: list[TrialSpec], fps: float = 30.0, noise_deg: float = 0.0, seed: int = 0
) -> list[AssessSample]:
    """Samples at ``fps`` frames a second: rest, then each trial (raise, hold, lower, rest).

    SLR: the tested leg's elevation goes 0 -> top -> 0 while its knee stays at ``knee_deg``.
    AKE: the tested thigh is held at ``hip_deg`` throughout, the knee goes 90 -> top -> 90;
    between trials the thigh stays up (the gate stays open).
    """
    rng = np.random.default_rng(seed)
    dt = 1.0 / fps
    out: list[AssessSample] = []
    t = 0.0

    def emit(duration: float, frac_fn, spec: TrialSpec | None) -> None:
        nonlocal t
        n = max(1, int(round(duration * fps)))
        for i in range(n):
            u = frac_fn(np.array((i + 0.5) / n))
            knee = np.array([178.0, 178.0])
            hip = np.array([178.0, 178.0])
            raise_ = np.array([0.0, 0.0])
            pelvis = np.array([0.3, 0.3])
            off = 5.0
            if spec is not None:
                k = SIDES.index(spec.side)
                o = 1 - k
                f = float(u)
                off = spec.off_side_deg
                if test == "slr":
                    raise_[k] = f * spec.top_deg
                    knee[k] = 178.0 + f * (spec.knee_deg - 178.0)
                    hip[k] = 180.0 - raise_[k]
                else:
                    hip[k] = spec.hip_deg
                    knee[k] = 90.0 + f * (spec.top_deg - 90.0)
                    raise_[k] = 180.0 - spec.hip_deg - (180.0 - knee[k]) * 0.3
                raise_[o] = f * spec.other_leg_deg
                hip[o] = 180.0 - f * spec.other_leg_deg
                pelvis[k] += f * spec.pelvis_lift
            noise = rng.normal(0.0, noise_deg, size=(3, 2)) if noise_deg else np.zeros((3, 2))
            out.append(
                AssessSample(
                    t_s=round(t, 6),
                    knee_extension_deg=knee + noise[0],
                    hip_angle_deg=hip + noise[1],
                    leg_raise_deg=raise_ + noise[2],
                    pelvis_height_torso=pelvis,
                    off_side_deg=off,
                )
            )
            t += dt

    def zero(u):
        return u * 0.0

    def one(u):
        return u * 0.0 + 1.0

    emit(1.5, zero, trials[0] if trials and test == "ake" else None)
    for spec in trials:
        emit(spec.rise_s, _ease, spec)
        emit(spec.hold_s, one, spec)
        emit(spec.lower_s, lambda u: 1.0 - _ease(u), spec)
        emit(spec.rest_s, zero, spec if test == "ake" else None)
    return out


def approx(x: float, y: float, tol: float) -> bool:
    return math.isfinite(x) and abs(x - y) <= tol
