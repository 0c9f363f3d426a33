"""Finding the trials of a flexibility test in a stream of frames, and measuring each one.

A trial is one raise -> top -> lower of the tested leg (SLR: the leg's elevation above the
floor line; AKE: the knee's extension with the thigh held upright). :class:`TrialDetector`
reads one :class:`~formcheck.assess.sample.AssessSample` at a time
(``update(sample) -> DetectorStep``, ``finish()``, ``reset()``), counts time in seconds from the
samples' timestamps (never in frames), and when a trial ends returns a :class:`Trial`: the
measure at its top and the validity checks, each failed one named ("the raised knee bent
(152°)"). :func:`detect_trials` runs it over a whole sequence.

The signal is smoothed with a running median over ``smooth_s`` seconds (trailing, to find the
trials as they happen; centred, to measure the top once the trial is over).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from formcheck.assess.checks import check_trial
from formcheck.assess.norms import SIDES, AssessmentTest, get_test, load_norms
from formcheck.assess.sample import AssessSample

#: how long the gate (lying; for AKE the thigh held up) may close before a trial ends, s
GATE_GRACE_S = 0.5
#: a trial shorter than this (start to end) is noise, s
MIN_TRIAL_S = 0.3
#: the checks at the top use the median over this half-window around the top, s
TOP_HALF_WINDOW_S = 0.25
#: the running median takes at least this many samples (up to 1 s back)
MIN_MEDIAN_SAMPLES = 3


@dataclass(frozen=True)
class Trial:
    """One trial of a test on one side.

    Attributes
    ----------
    test, side : str
        ``"slr"``/``"ake"``; ``"left"``/``"right"`` (the tested leg).
    start_s, top_s, end_s : float
        When the leg left its resting position, reached its top, and was lowered, seconds.
    value_deg : float
        SLR: the leg's elevation above the floor line at the top. AKE: the knee's shortfall
        from full extension (180 - knee extension) at the top. Degrees; NaN if not measured.
    valid : bool
        Every check passed.
    reasons : tuple of str
        The failed checks, named with the value found, e.g. ``"the raised knee bent (152°)"``.
    at_top : dict
        The measures at the top (medians over +-0.25 s; for SLR the knee is the lowest while
        the leg stays within 5 deg of its top): ``knee_extension_deg``, ``hip_angle_deg``,
        ``other_leg_raise_deg`` (how far the other leg is lifted: 180 - its hip angle),
        ``pelvis_lift_torso``, ``off_side_deg``, and for the benchmark the 3D estimates
        ``leg_raise_3d_deg`` and ``knee_extension_3d_deg``.
    completed : bool
        The leg was lowered (False: the trial was cut off by the end of the input or the
        person leaving the position).
    """

    test: str
    side: str
    start_s: float
    top_s: float
    end_s: float
    value_deg: float
    valid: bool
    reasons: tuple[str, ...]
    at_top: dict[str, float] = field(default_factory=dict)
    completed: bool = True

    def as_report(self) -> dict[str, Any]:
        """The trial as a report row (NaN as null, angles rounded to 0.1 degree)."""

        def r(x: float, nd: int = 1) -> float | None:
            return round(x, nd) if math.isfinite(x) else None

        return {
            "test": self.test,
            "side": self.side,
            "start_s": r(self.start_s, 3),
            "top_s": r(self.top_s, 3),
            "end_s": r(self.end_s, 3),
            "value_deg": r(self.value_deg),
            "valid": self.valid,
            "reasons": list(self.reasons),
            "completed": self.completed,
            "at_top": {k: r(v, 3 if k.endswith("_torso") else 1) for k, v in self.at_top.items()},
        }


@dataclass(frozen=True)
class DetectorStep:
    """What one sample did: a trial ``started``, a ``new_peak`` was reached (the frame to keep
    as the trial's still), a ``trial`` ended; ``active`` = a trial is under way;
    ``signal_deg`` = the smoothed signal now (NaN when the gate is closed)."""

    started: bool = False
    new_peak: bool = False
    trial: Trial | None = None
    active: bool = False
    signal_deg: float = math.nan


def _median(values: Iterable[float]) -> float:
    a = np.array([v for v in values if math.isfinite(v)], dtype=float)
    return float(np.median(a)) if a.size else math.nan


class TrialDetector:
    """Finds the trials of one test on one side (streaming; see the module docstring).

    Parameters
    ----------
    test : AssessmentTest or str
        The test (its ``detect`` and ``valid`` tables give the thresholds).
    side : str
        The tested leg, ``"left"`` or ``"right"``.
    max_off_side_deg : float, optional
        The camera may be this far from side-on (default: the norms' ``max_off_side_deg``).
    smooth_s : float
        Running-median window, seconds.
    """

    def __init__(
        self,
        test: AssessmentTest | str,
        side: str,
        *,
        max_off_side_deg: float | None = None,
        smooth_s: float = 0.2,
    ) -> None:
        self.test = get_test(test) if isinstance(test, str) else test
        if side not in SIDES:
            raise ValueError(f"side must be 'left' or 'right', found {side!r}")
        if not smooth_s > 0:
            raise ValueError(f"smooth_s must be above 0 seconds, found {smooth_s}")
        self.side = side
        self.k = SIDES.index(side)
        self.max_off_side_deg = (
            load_norms().max_off_side_deg if max_off_side_deg is None else max_off_side_deg
        )
        self.smooth_s = smooth_s
        d = self.test.detect
        self.rise_deg = float(d["rise_deg"])
        self.fall_deg = float(d["fall_deg"])
        self.start_min_deg = float(d.get("start_min_deg", -math.inf))
        self.reset()

    def reset(self) -> None:
        """Forget everything (a new input)."""
        self._raw: deque[tuple[float, float]] = deque()
        self._recent: deque[tuple[float, float, AssessSample]] = deque()
        self._trial: list[tuple[float, float, AssessSample]] | None = None
        self._base = math.inf
        self._base_t = math.nan
        self._peak = -math.inf
        self._peak_t = math.nan
        self._gate_lost_t: float | None = None
        self._last_t = -math.inf

    # -- signal ---------------------------------------------------------------------------
    def _signal(self, s: AssessSample) -> float:
        if self.test.id == "slr":
            return s.slr_deg(self.k)
        return float(s.knee_extension_deg[self.k])

    def _gate(self, s: AssessSample) -> bool:
        if not (s.person and s.lying):
            return False
        if self.test.id == "ake":
            hip = float(s.hip_angle_deg[self.k])
            d = self.test.detect
            return bool(float(d["hip_gate_min_deg"]) <= hip <= float(d["hip_gate_max_deg"]))
        return True

    def _smoothed(self, t: float, x: float) -> float:
        """Trailing median over ``smooth_s`` seconds, and over at least the last
        :data:`MIN_MEDIAN_SAMPLES` samples (up to 1 s back), so that one glitch (a leg-label
        swap, a dropped detection) is rejected even when frames come slowly."""
        self._raw.append((t, x))
        while self._raw and (
            self._raw[0][0] <= t - 1.0
            or (self._raw[0][0] <= t - self.smooth_s and len(self._raw) > MIN_MEDIAN_SAMPLES)
        ):
            self._raw.popleft()
        return _median(v for _, v in self._raw)

    # -- stepping -------------------------------------------------------------------------
    def update(self, s: AssessSample) -> DetectorStep:
        """Read one sample (times must increase); returns what happened."""
        if s.t_s <= self._last_t:
            raise ValueError(f"sample times must increase: {s.t_s} after {self._last_t}")
        self._last_t = s.t_s
        t = s.t_s
        gate = self._gate(s)
        xf = self._smoothed(t, self._signal(s) if gate else math.nan)
        self._recent.append((t, xf, s))
        while self._recent and self._recent[0][0] < t - 3.0:
            self._recent.popleft()
        if self._trial is None:
            return self._idle(t, xf, gate)
        self._trial.append((t, xf, s))
        if not (gate and math.isfinite(xf)):
            if self._gate_lost_t is None:
                self._gate_lost_t = t
            if t - self._gate_lost_t > GATE_GRACE_S:
                return DetectorStep(trial=self._end(completed=False), signal_deg=xf)
            return DetectorStep(active=True, signal_deg=xf)
        self._gate_lost_t = None
        new_peak = xf > self._peak
        if new_peak:
            self._peak, self._peak_t = xf, t
        if xf <= self._peak - self.fall_deg:
            trial = self._end(completed=True)
            self._base, self._base_t = xf, t
            return DetectorStep(trial=trial, signal_deg=xf)
        return DetectorStep(new_peak=new_peak, active=True, signal_deg=xf)

    def _idle(self, t: float, xf: float, gate: bool) -> DetectorStep:
        if not (gate and math.isfinite(xf)):
            self._base, self._base_t = math.inf, math.nan
            return DetectorStep(signal_deg=xf)
        if xf < self._base:
            self._base, self._base_t = xf, t
        if xf >= self._base + self.rise_deg and xf >= self.start_min_deg:
            start = self._base_t
            self._trial = [e for e in self._recent if e[0] >= start - 0.5]
            self._peak, self._peak_t = xf, t
            self._gate_lost_t = None
            return DetectorStep(started=True, new_peak=True, active=True, signal_deg=xf)
        return DetectorStep(signal_deg=xf)

    def finish(self) -> Trial | None:
        """End of the input: the trial under way, if any, cut off where it is."""
        if self._trial is None:
            return None
        return self._end(completed=False)

    def _end(self, *, completed: bool) -> Trial | None:
        buf = self._trial or []
        start_s = self._base_t
        self._trial = None
        self._peak, self._peak_t = -math.inf, math.nan
        self._base, self._base_t = math.inf, math.nan
        self._gate_lost_t = None
        end_s = buf[-1][0] if buf else math.nan
        if not buf or not end_s - start_s >= MIN_TRIAL_S:
            return None
        trial = measure_trial(self, buf, start_s, end_s, completed)
        other = trial.at_top.get("other_leg_raise_deg", math.nan)
        if self.test.id == "slr" and math.isfinite(other) and other > trial.value_deg:
            return None  # this leg followed the other one, which was the one raised
        return trial


def _centred_median(ts: np.ndarray, xs: np.ndarray, half_s: float) -> np.ndarray:
    """Median over +-``half_s`` seconds around each sample, and over at least its neighbours."""
    out = np.full(len(ts), np.nan)
    for i, t in enumerate(ts):
        inside = (ts >= t - half_s) & (ts <= t + half_s)
        inside[max(0, i - 1) : i + 2] = True
        w = xs[inside]
        w = w[np.isfinite(w)]
        if w.size:
            out[i] = np.median(w)
    return out


def measure_trial(
    det: TrialDetector,
    buf: list[tuple[float, float, AssessSample]],
    start_s: float,
    end_s: float,
    completed: bool,
) -> Trial:
    """The measure at the top of a trial, and its validity checks (see :class:`Trial`)."""
    test, k = det.test, det.k
    ts = np.array([e[0] for e in buf])
    raw = np.array([det._signal(e[2]) if det._gate(e[2]) else math.nan for e in buf])
    xc = _centred_median(ts, raw, det.smooth_s / 2 + 1e-9)
    if not np.isfinite(xc).any():
        nan = math.nan
        return Trial(test.id, det.side, start_s, nan, end_s, nan, False, ("not measured",))
    xc = np.where(ts >= start_s, xc, np.nan)  # the top is after the start (not the pre-roll)
    if not np.isfinite(xc).any():
        nan = math.nan
        return Trial(test.id, det.side, start_s, nan, end_s, nan, False, ("not measured",))
    i_top = int(np.nanargmax(xc))
    top_s = float(ts[i_top])
    top = float(xc[i_top])
    near = [e[2] for e in buf if abs(e[0] - top_s) <= TOP_HALF_WINDOW_S]
    before = [e[2] for e in buf if e[0] <= start_s] or [e[2] for e in buf[:3]]
    pelvis0 = _median(float(s.pelvis_height_torso[k]) for s in before)
    at_top = {
        "knee_extension_deg": _median(float(s.knee_extension_deg[k]) for s in near),
        "hip_angle_deg": _median(float(s.hip_angle_deg[k]) for s in near),
        "other_leg_raise_deg": _median(s.other_leg_lift_deg(k) for s in near),
        "pelvis_lift_torso": _median(float(s.pelvis_height_torso[k]) for s in near) - pelvis0,
        "off_side_deg": _median(s.off_side_deg for s in near),
        # from the 3D world landmarks, for the benchmark (docs/assess.md)
        "leg_raise_3d_deg": _median(float(s.leg_raise_3d_deg[k]) for s in near),
        "knee_extension_3d_deg": _median(float(s.knee_extension_3d_deg[k]) for s in near),
    }
    if test.id == "slr":
        value = top
        at_top["leg_raise_deg"] = top
        # the knee must stay straight while the leg is up, not only at the very top: the
        # lowest (10th percentile of the smoothed) knee angle while within 5 deg of the top
        knee = np.array([float(e[2].knee_extension_deg[k]) for e in buf])
        kc = _centred_median(ts, knee, det.smooth_s / 2 + 1e-9)
        plateau = kc[(np.nan_to_num(xc, nan=-np.inf) >= top - 5.0) & np.isfinite(kc)]
        if plateau.size:
            low = float(np.percentile(plateau, 10))
            at_knee = at_top["knee_extension_deg"]
            at_top["knee_extension_deg"] = low if not at_knee <= low else at_knee
    else:
        at_top["knee_extension_deg"] = top
        value = max(0.0, 180.0 - top)
    reasons = check_trial(test, at_top, det.max_off_side_deg)
    return Trial(
        test=test.id,
        side=det.side,
        start_s=start_s,
        top_s=top_s,
        end_s=end_s,
        value_deg=round(value, 1),
        valid=not reasons,
        reasons=reasons,
        at_top=at_top,
        completed=completed,
    )


def detect_trials(
    samples: Iterable[AssessSample],
    test: AssessmentTest | str,
    sides: Iterable[str] = SIDES,
    **options: Any,
) -> list[Trial]:
    """Every trial of ``test`` on ``sides`` in a sequence of samples, in time order."""
    dets = [TrialDetector(test, side, **options) for side in sides]
    trials = []
    for s in samples:
        for d in dets:
            step = d.update(s)
            if step.trial is not None:
                trials.append(step.trial)
    for d in dets:
        t = d.finish()
        if t is not None:
            trials.append(t)
    return sorted(trials, key=lambda t: t.top_s)


__all__ = [
    "GATE_GRACE_S",
    "MIN_TRIAL_S",
    "DetectorStep",
    "Trial",
    "TrialDetector",
    "check_trial",
    "detect_trials",
    "measure_trial",
]
