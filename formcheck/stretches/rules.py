"""Form rules and warnings: reading a stretch's rules on one frame's measures, and turning
per-frame faults into steady warnings.

- :func:`leg_value` and :func:`rule_measure` read the measure a rule names on the working (or
  the other) leg; :func:`outside` says whether a value breaks a rule's limits;
  :func:`engaged_state` whether the person is in the stretch; :func:`form_faults` checks all
  of a stretch's rules on one frame.
- :class:`BounceDetector` finds oscillation of the hip angle during a hold (seed 004: never
  bounce).
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
from formcheck.stretches.catalogue import Catalogue, Engaged
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


def engaged_state(
    conds: tuple[Engaged, ...], m: FrameMetrics, side: str | None, lay: Layout | None
) -> bool | None:
    """Whether the person is in the stretch: True / False, or None when a condition cannot be
    measured in this frame."""
    unknown = False
    for e in conds:
        v = rule_measure(e.measure, m, side, e.leg, lay, None, False)
        if not isinstance(v, float) or not math.isfinite(v):
            unknown = True
        elif outside(v, e.min, e.max):
            return False
    return None if unknown else True


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
    """Detects bouncing: oscillation of a signal (the hip angle) within a sliding window.

    Bouncing = at least ``min_reversals`` direction changes of the signal, each swing at least
    ``min_swing_deg``, within ``window_s`` seconds. ``update(t_s, x) ->
    bool``; NaN samples are skipped.
    """

    def __init__(
        self, window_s: float = 2.5, min_swing_deg: float = 4.0, min_reversals: int = 3
    ) -> None:
        self.window_s = window_s
        self.min_swing_deg = min_swing_deg
        self.min_reversals = min_reversals
        self.reset()

    def reset(self) -> None:
        self._buf: deque[tuple[float, float]] = deque()

    def update(self, t_s: float, x: float) -> bool:
        if math.isfinite(x):
            self._buf.append((t_s, x))
        while self._buf and self._buf[0][0] < t_s - self.window_s:
            self._buf.popleft()
        if len(self._buf) < 6:
            return False
        arr = np.array(self._buf)
        t, v = arr[:, 0], arr[:, 1]
        if np.ptp(t) <= 0:
            return False
        # Count swings of the raw signal with hysteresis (a zigzag): a reversal needs a move of
        # min_swing_deg back from the last extreme. Not detrended: a steady lean further has no
        # reversals, while a line fitted through "rise, then hold still" leaves a false wave.
        r = v
        sw = self.min_swing_deg
        reversals = 0
        direction = 0
        hi = lo = float(r[0])
        for val in r[1:]:
            if direction == 0:
                hi, lo = max(hi, val), min(lo, val)
                if hi - val >= sw:
                    direction, lo = -1, val
                elif val - lo >= sw:
                    direction, hi = 1, val
            elif direction > 0:
                if val > hi:
                    hi = val
                elif hi - val >= sw:
                    reversals, direction, lo = reversals + 1, -1, val
            else:
                if val < lo:
                    lo = val
                elif val - lo >= sw:
                    reversals, direction, hi = reversals + 1, 1, val
        return reversals >= self.min_reversals


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
