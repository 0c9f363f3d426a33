"""Form rules and warnings: reading a stretch's rules on one frame's measures, and turning
per-frame faults into steady warnings.

- :func:`leg_value` and :func:`rule_measure` read the measure a rule names on the working (or
  the other) leg; :func:`outside` says whether a value breaks a rule's limits;
  :func:`form_faults` checks all of a stretch's rules on one frame (whether the person is in
  the stretch at all is :mod:`formcheck.stretches.position`'s).
- :class:`BounceDetector` finds a repeated swing of the hip angle during a hold (seed 004:
  never bounce), of an amplitude and rate in degrees and hertz (the catalogue's ``[bouncing]``).
- :class:`WarningDebouncer` turns per-frame faults into warnings that start after a fault has
  lasted ``on_s`` and end after it has been gone ``off_s`` (no flicker), recording intervals.

Stateful pieces follow one pattern: ``update(t_s, ...)`` once a frame with the frame time in
seconds, ``reset()`` to forget; time is counted from the frame timestamps, never in frames.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from typing import Any

import numpy as np

from formcheck.metrics.measures import SIDES, FrameMetrics
from formcheck.stretches.catalogue import BounceSpec, Catalogue
from formcheck.stretches.recognize import Layout

#: the per-leg measures of :class:`FrameMetrics` a rule can name
LEG_MEASURES = ("knee_extension_deg", "hip_angle_deg", "leg_raise_deg")


def leg_value(m: FrameMetrics, measure: str, side: str | None, which: str) -> float:
    """A per-leg measure of the working (or other) leg, degrees; 'both' = the worse leg.

    Parameters
    ----------
    m : FrameMetrics
        The frame's measures.
    measure : str
        One of :data:`LEG_MEASURES`.
    side : str or None
        The working leg: ``"left"``, ``"right"``, or ``"both"`` / None for both legs (the
        straighter-knee rule reads the worse knee, other measures the leg nearer the camera).
    which : str
        ``"working"`` or ``"other"`` (NaN when both legs work).
    """
    arr = getattr(m, measure)
    if side == "both" or side is None:
        if which == "other" or not np.isfinite(arr).any():
            return math.nan
        if measure == "knee_extension_deg":
            return float(np.nanmin(arr))
        if m.near_side in SIDES and np.isfinite(arr[SIDES.index(m.near_side)]):
            return float(arr[SIDES.index(m.near_side)])
        return float(np.nanmean(arr))
    k = SIDES.index(side)
    return float(arr[k if which == "working" else 1 - k])


def rule_measure(
    name: str,
    m: FrameMetrics,
    side: str | None,
    which: str | None,
    lay: Layout | None,
    back_rounded: bool | None,
    bouncing: bool,
) -> float | bool | None:
    """The value of the measure ``name`` that a rule or an engaged condition reads.

    Angles in degrees, ``hip_height_torso`` in torso lengths, ``back_rounded`` and
    ``bouncing`` as booleans (None: the back was not judged). Raises ``ValueError`` for an
    unknown measure.
    """
    if name in LEG_MEASURES:
        return leg_value(m, name, side, which or "working")
    if name == "trunk_inclination_deg":
        return m.trunk_inclination_deg
    if name == "legs_angle_deg":
        a = leg_value(m, "leg_raise_deg", side, "working")
        b = leg_value(m, "leg_raise_deg", side, "other")
        return abs(a - b)
    if name == "hip_height_torso":
        return lay.hip_height if lay is not None else math.nan
    if name == "back_rounded":
        return back_rounded
    if name == "bouncing":
        return bouncing
    raise ValueError(f"unknown measure {name}")


def outside(value: float | bool | None, lo: float | None, hi: float | None) -> bool:
    """Whether ``value`` breaks the limits ``[lo, hi]`` (a boolean breaks them when true;
    NaN and None never do)."""
    if value is None or isinstance(value, bool):
        return bool(value)
    if not math.isfinite(value):
        return False
    return (lo is not None and value < lo) or (hi is not None and value > hi)


def form_faults(
    catalogue: Catalogue,
    stretch: str,
    m: FrameMetrics,
    side: str | None,
    lay: Layout | None,
    back_rounded: bool | None,
    bouncing: bool,
    *,
    judge_working_knee: bool = True,
) -> dict[str, str]:
    """The form rules of ``stretch`` broken in this frame: fault kind -> the rule's message.

    ``judge_working_knee=False`` skips the working knee's rules (its knee is not seen well).
    """
    faults: dict[str, str] = {}
    for rule in catalogue.rules_for(stretch):
        working_knee = rule.measure == "knee_extension_deg" and rule.leg == "working"
        if working_knee and not judge_working_knee:
            continue
        v = rule_measure(rule.measure, m, side, rule.leg, lay, back_rounded, bouncing)
        if outside(v, rule.min, rule.max):
            faults[rule.fault] = rule.message
    return faults


class BounceDetector:
    """Detects bouncing: a repeated swing of a signal (the hip angle), not its jitter.

    Over the last ``spec.window_s`` seconds the signal, less a quadratic drift (a slow lean is
    not a bounce), is fitted with a sine at each rate from ``spec.min_hz`` to ``spec.max_hz``
    (steps of 0.05 Hz). Bouncing = the best sine swings at least ``spec.min_amplitude_deg``
    each way and explains at least ``spec.min_fit`` of the drift-free variance, and the
    drift-free signal reverses at least ``spec.min_reversals`` times by 3/4 of the smallest
    peak-to-peak swing (repeated: one dip and back is not bouncing). Times come from
    the frame timestamps, so the verdict does not depend on the frame rate; landmark jitter
    spreads over every rate and fits no sine of a few degrees. ``update(t_s, x) -> bool``; NaN
    samples are skipped; ``reset()`` forgets. :attr:`amplitude_deg` and :attr:`rate_hz` hold
    the last fit.
    """

    def __init__(self, spec: BounceSpec | None = None) -> None:
        self.spec = spec or BounceSpec()
        s = self.spec
        self._hz = np.arange(s.min_hz, s.max_hz + 1e-9, 0.05)
        self.reset()

    def reset(self) -> None:
        self._buf: deque[tuple[float, float]] = deque()
        self.amplitude_deg = 0.0
        self.rate_hz = math.nan
        self.fit = 0.0

    def update(self, t_s: float, x: float) -> bool:
        if math.isfinite(x):
            self._buf.append((t_s, x))
        while self._buf and self._buf[0][0] < t_s - self.spec.window_s:
            self._buf.popleft()
        self.amplitude_deg, self.rate_hz, self.fit = 0.0, math.nan, 0.0
        if len(self._buf) < 8:
            return False
        arr = np.array(self._buf)
        t, v = arr[:, 0] - arr[:, 0].mean(), arr[:, 1]
        # the window must be covered (a few samples fit any sine)
        if np.ptp(t) < 0.9 * self.spec.window_s:
            return False
        span = max(float(np.ptp(t)), 1e-6)
        poly = np.stack([np.ones_like(t), t / span, (t / span) ** 2], axis=1)
        q, _ = np.linalg.qr(poly)
        r = v - q @ (q.T @ v)  # the signal less its quadratic drift
        ss = float(r @ r)
        if ss <= 1e-12:
            return False
        ph = 2 * np.pi * self._hz[:, None] * t[None, :]
        sin, cos = np.sin(ph), np.cos(ph)
        sin -= (sin @ q) @ q.T
        cos -= (cos @ q) @ q.T
        # least squares of r on (sin, cos) at every rate at once (2x2 normal equations)
        a11, a22, a12 = (sin * sin).sum(1), (cos * cos).sum(1), (sin * cos).sum(1)
        b1, b2 = sin @ r, cos @ r
        det = a11 * a22 - a12 * a12
        ok = det > 1e-9
        det = np.where(ok, det, 1.0)
        ca = np.where(ok, (a22 * b1 - a12 * b2) / det, 0.0)
        cb = np.where(ok, (a11 * b2 - a12 * b1) / det, 0.0)
        explained = ca * b1 + cb * b2  # sum of squares the sine explains
        k = int(np.argmax(explained))
        self.amplitude_deg = float(np.hypot(ca[k], cb[k]))
        self.rate_hz = float(self._hz[k])
        self.fit = float(explained[k] / ss)
        if self.amplitude_deg < self.spec.min_amplitude_deg or self.fit < self.spec.min_fit:
            return False
        # repeated: swings back and forth, each at least 3/4 of the smallest peak-to-peak swing
        # (one dip and back, a step, makes two reversals at most); counted on the signal
        # averaged over a sixth of the fastest cycle, so that jitter adds no reversal
        smooth = _moving_mean(t, r, 1.0 / (6.0 * self.spec.max_hz))
        return _reversals(smooth, 1.5 * self.spec.min_amplitude_deg) >= self.spec.min_reversals


def _moving_mean(t: np.ndarray, v: np.ndarray, width_s: float) -> np.ndarray:
    """``v`` averaged over the samples within ``width_s / 2`` seconds of each sample."""
    c = np.concatenate([[0.0], np.cumsum(v)])
    lo = np.searchsorted(t, t - width_s / 2, side="left")
    hi = np.searchsorted(t, t + width_s / 2, side="right")
    return (c[hi] - c[lo]) / np.maximum(hi - lo, 1)


def _reversals(v: np.ndarray, swing: float) -> int:
    """Direction changes of ``v``, each a move of at least ``swing`` back from the last
    extreme (a zigzag with hysteresis)."""
    reversals, direction = 0, 0
    hi = lo = float(v[0])
    for val in v[1:]:
        if direction == 0:
            hi, lo = max(hi, val), min(lo, val)
            if hi - val >= swing:
                direction, lo = -1, val
            elif val - lo >= swing:
                direction, hi = 1, val
        elif direction > 0:
            if val > hi:
                hi = val
            elif hi - val >= swing:
                reversals, direction, lo = reversals + 1, -1, val
        elif val < lo:
            lo = val
        elif val - lo >= swing:
            reversals, direction, hi = reversals + 1, 1, val
    return reversals


@dataclass
class WarningInterval:
    """One warning: its fault ``kind``, when it was shown (``start_s`` to ``end_s``, seconds),
    its message, and when the fault itself began (``fault_start_s``, before the debounce)."""

    kind: str
    start_s: float
    end_s: float
    message: str
    fault_start_s: float  # when the fault itself began (before the debounce delay)

    def as_report(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "start_s": round(self.start_s, 3),
            "end_s": round(self.end_s, 3),
            "message": self.message,
            "fault_start_s": round(self.fault_start_s, 3),
        }


class WarningDebouncer:
    """Per-kind debounce: on after ``on_s`` of fault, off after ``off_s`` without it.

    ``update(t_s, faults: dict kind -> message) -> set of active kinds``;
    ``finish(t_s)`` closes the open warnings; ``intervals`` holds them all, in the order they
    started; ``message(kind)`` is the last message given for a fault kind.
    """

    def __init__(self, on_s: float = 0.25, off_s: float = 0.5) -> None:
        self.on_s = on_s
        self.off_s = off_s
        self.reset()

    def reset(self) -> None:
        self.intervals: list[WarningInterval] = []
        self._first_seen: dict[str, float] = {}
        self._last_seen: dict[str, float] = {}
        self._open: dict[str, WarningInterval] = {}
        self._messages: dict[str, str] = {}

    def update(self, t_s: float, faults: dict[str, str]) -> set[str]:
        for kind, msg in faults.items():
            self._messages[kind] = msg
            self._first_seen.setdefault(kind, t_s)
            self._last_seen[kind] = t_s
            if kind not in self._open and t_s - self._first_seen[kind] >= self.on_s:
                w = WarningInterval(kind, t_s, t_s, msg, self._first_seen[kind])
                self._open[kind] = w
                self.intervals.append(w)
        for kind in list(self._first_seen):
            if kind in faults:
                continue
            gone_for = t_s - self._last_seen[kind]
            if kind in self._open:
                if gone_for >= self.off_s:
                    self._open.pop(kind).end_s = self._last_seen[kind]
                    self._first_seen.pop(kind)
            elif gone_for >= min(self.off_s, 0.2):
                self._first_seen.pop(kind)  # a blip that never became a warning
        for w in self._open.values():
            w.end_s = t_s
        return set(self._open)

    def message(self, kind: str) -> str | None:
        """The last message given with the fault ``kind`` (None: never seen)."""
        return self._messages.get(kind)

    def finish(self, t_s: float) -> None:
        for kind, w in list(self._open.items()):
            w.end_s = max(w.start_s, min(t_s, self._last_seen.get(kind, t_s)))
        self._open.clear()
        self._first_seen.clear()
