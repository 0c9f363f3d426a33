"""Form rules, warnings and hold timing: turning angles into coaching.

Stateful pieces follow one pattern: ``update(...)`` per frame with the frame time in seconds,
``reset()`` to forget; time is counted from the frame timestamps, never in frames.

- :class:`BounceDetector` finds oscillation of the hip angle during a hold (seed 004: never
  bounce).
- :class:`WarningDebouncer` turns per-frame faults into warnings that start after a fault has
  lasted ``on_s`` and end after it has been gone ``off_s`` (no flicker), recording intervals.
- :class:`HoldTimer` times holds per stretch, side and rep; only time in the stretch with valid
  form counts; a fault pauses it; leaving the position for longer than the grace ends it.
- :class:`Coach` runs the whole chain on :class:`formcheck.metrics.measures.FrameMetrics`.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from formcheck.metrics.lumbar import (
    BackRoundingJudge,
    LumbarCalibration,
    lumbar_flexion_deg,
    measure_back,
)
from formcheck.metrics.measures import SIDES, FrameMetrics
from formcheck.stretches.catalogue import Catalogue, Engaged, Rule, load_catalogue
from formcheck.stretches.recognize import (
    LabelSmoother,
    Layout,
    RecognizeOptions,
    layout,
    recognize_frame,
)

#: warnings that are not form rules of a stretch, with their messages
SITUATION_MESSAGES = {
    "no_person": "Nobody in view: step in front of the camera",
    "out_of_frame": "Step back so your whole body is visible",
    "not_side_view": "Turn sideways to the camera so your back can be checked",
    "several_people": "Several people in view: following the main one",
    "far_leg": "Turn around so the stretched leg is on the camera's side",
}


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
    ``finish(t_s)`` closes the open warnings; ``intervals`` holds them all.
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

    def finish(self, t_s: float) -> None:
        for kind, w in list(self._open.items()):
            w.end_s = max(w.start_s, min(t_s, self._last_seen.get(kind, t_s)))
        self._open.clear()
        self._first_seen.clear()


@dataclass
class Hold:
    stretch: str
    side: str
    rep: int
    start_s: float
    end_s: float
    valid_s: float
    target_s: float
    last_engaged_s: float
    faults: dict[str, float] = field(default_factory=dict)  # fault kind -> seconds

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s

    @property
    def completed(self) -> bool:
        return self.valid_s >= self.target_s - 1e-9

    def as_report(self) -> dict[str, Any]:
        return {
            "stretch": self.stretch,
            "side": self.side,
            "rep": self.rep,
            "start_s": round(self.start_s, 3),
            "end_s": round(self.end_s, 3),
            "duration_s": round(self.duration_s, 3),
            "valid_s": round(self.valid_s, 3),
            "target_s": self.target_s,
            "completed": self.completed,
            "fault_s": {k: round(v, 2) for k, v in self.faults.items()},
        }


@dataclass(frozen=True)
class HoldState:
    active: bool
    stretch: str | None = None
    side: str | None = None
    rep: int = 0
    elapsed_s: float = 0.0
    valid_s: float = 0.0
    target_s: float = 0.0
    just_completed: bool = False


class HoldTimer:
    """Times holds: ``update(t_s, stretch, side, engaged, valid, faults) -> HoldState``.

    A hold starts when the person is engaged in a stretch, counts valid time only while the
    form is valid (a fault pauses it), and ends when they leave the position for longer than
    ``exit_grace_s`` (its end is the last engaged moment) or switch stretch or side. Holds
    shorter than ``min_hold_s`` are dropped. Gaps between frames longer than ``max_dt_s`` count
    as ``max_dt_s`` (a stalled camera does not add time).
    """

    def __init__(
        self,
        targets: dict[str, float],
        *,
        min_hold_s: float = 3.0,
        exit_grace_s: float = 1.0,
        max_dt_s: float = 0.5,
    ) -> None:
        self.targets = targets
        self.min_hold_s = min_hold_s
        self.exit_grace_s = exit_grace_s
        self.max_dt_s = max_dt_s
        self.reset()

    def reset(self) -> None:
        self.holds: list[Hold] = []
        self._cur: Hold | None = None
        self._t: float | None = None
        self._reps: dict[tuple[str, str], int] = {}

    def _close(self) -> None:
        h = self._cur
        self._cur = None
        if h is None:
            return
        h.end_s = h.last_engaged_s
        if h.duration_s >= self.min_hold_s:
            self.holds.append(h)
        else:
            self._reps[(h.stretch, h.side)] -= 1

    def update(
        self,
        t_s: float,
        stretch: str | None,
        side: str | None,
        engaged: bool,
        valid: bool,
        faults: set[str] | None = None,
    ) -> HoldState:
        dt = 0.0 if self._t is None else min(max(t_s - self._t, 0.0), self.max_dt_s)
        self._t = t_s
        h = self._cur
        switched = h is not None and (stretch != h.stretch or (side or "both") != h.side)
        if switched and engaged and stretch is not None:
            self._close()
            h = None
        if h is not None and not engaged and t_s - h.last_engaged_s > self.exit_grace_s:
            self._close()
            h = None
        just_completed = False
        if engaged and stretch is not None:
            if h is None:
                key = (stretch, side or "both")
                self._reps[key] = self._reps.get(key, 0) + 1
                h = Hold(
                    stretch, side or "both", self._reps[key], t_s, t_s, 0.0,
                    self.targets.get(stretch, 30.0), t_s,
                )  # fmt: skip
                self._cur = h
                dt = 0.0
            was_complete = h.completed
            if valid:
                h.valid_s += dt
            for f in faults or ():
                h.faults[f] = h.faults.get(f, 0.0) + dt
            h.last_engaged_s = t_s
            h.end_s = t_s
            just_completed = h.completed and not was_complete
        if h is None:
            return HoldState(False)
        return HoldState(
            True, h.stretch, h.side, h.rep, t_s - h.start_s, h.valid_s, h.target_s, just_completed
        )

    def end_hold(self) -> None:
        """End the current hold now (kept if long enough); the next engaged frame starts a new
        rep. Used by the live session to restart a hold and to separate reps after a rest."""
        self._close()

    def finish(self) -> list[Hold]:
        self._close()
        return self.holds


@dataclass(frozen=True)
class Verdict:
    """The coaching verdict of one frame."""

    t_s: float
    person: bool
    stretch: str | None
    side: str | None
    posture: str | None
    engaged: bool
    knee_extension_deg: float
    hip_angle_deg: float
    leg_raise_deg: float
    lumbar_flexion_deg: float
    back_rounded: bool | None
    faults: tuple[str, ...]  # raw, this frame
    warnings: tuple[str, ...]  # debounced, active now
    valid: bool
    hold: HoldState
    prompt: str | None  # the one message to show now

    def as_report(self, m: FrameMetrics) -> dict[str, Any]:
        from formcheck.report.schema import clean_number as c

        side = self.side
        return {
            "t_s": round(self.t_s, 4),
            "person": self.person,
            "stretch": self.stretch,
            "side": side,
            "knee_extension_deg": c(self.knee_extension_deg),
            "hip_angle_deg": c(self.hip_angle_deg),
            "leg_raise_deg": c(self.leg_raise_deg),
            "lumbar_flexion_deg": c(self.lumbar_flexion_deg),
            "back_rounded": self.back_rounded,
            "valid": self.valid,
            # additions beside the contract
            "engaged": self.engaged,
            "posture": self.posture,
            "view": m.view,
            "trunk_inclination_deg": c(m.trunk_inclination_deg),
            "knee_extension_left_deg": c(m.knee_extension_deg[0]),
            "knee_extension_right_deg": c(m.knee_extension_deg[1]),
            "hip_angle_left_deg": c(m.hip_angle_deg[0]),
            "hip_angle_right_deg": c(m.hip_angle_deg[1]),
            "leg_raise_left_deg": c(m.leg_raise_deg[0]),
            "leg_raise_right_deg": c(m.leg_raise_deg[1]),
            "faults": list(self.faults),
            "warnings": list(self.warnings),
            "hold_valid_s": round(self.hold.valid_s, 2) if self.hold.active else None,
        }


#: which warning's message wins when several are active (first = most important)
PROMPT_PRIORITY = (
    "no_person",
    "out_of_frame",
    "back_rounding",
    "back_off_floor",
    "knee_bent",
    "bouncing",
    "other_leg_lifted",
    "legs_not_90",
    "not_side_view",
    "far_leg",
    "several_people",
)


@dataclass
class CoachOptions:
    stretch: str | None = None  # force the stretch (skip recognition)
    side: str | None = None  # force the working leg
    # The back outline is read in side views only (oblique outlines mix the back with the flank),
    # and not when lying: the back rests on the floor, where the rules check the hips instead.
    judge_back_views: tuple[str, ...] = ("side",)
    judge_back_postures: tuple[str, ...] = ("standing", "chair_sitting", "floor_sitting")
    warn_on_s: float = 0.25
    warn_off_s: float = 0.5
    no_person_s: float = 1.0
    engaged_memory_s: float = 2.0  # how long an unmeasurable frame keeps being "in the stretch"
    recognize: RecognizeOptions = field(default_factory=RecognizeOptions)


class Coach:
    """The whole rules chain on a stream of metrics: ``update(metrics, mask) -> Verdict``."""

    def __init__(
        self,
        catalogue: Catalogue | None = None,
        options: CoachOptions | None = None,
        calibration: LumbarCalibration | None = None,
    ) -> None:
        self.catalogue = catalogue or load_catalogue()
        self.options = options or CoachOptions()
        self.judge = BackRoundingJudge(calibration)
        self.labels = LabelSmoother(window_s=0.6, hold_s=0.3)
        self.bounce = BounceDetector()
        self.debouncer = WarningDebouncer(self.options.warn_on_s, self.options.warn_off_s)
        self.timer = HoldTimer(
            {sid: s.hold_target_s for sid, s in self.catalogue.stretches.items()},
            min_hold_s=self.catalogue.min_hold_s,
            exit_grace_s=self.catalogue.exit_grace_s,
        )
        self._no_person_since: float | None = None
        self._last_t = 0.0
        self._engaged_last = False
        self._engaged_at = -math.inf

    # -- measures -------------------------------------------------------------------------
    @staticmethod
    def leg_value(m: FrameMetrics, measure: str, side: str | None, which: str) -> float:
        """A per-leg measure of the working (or other) leg; 'both' = the worse leg."""
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

    def measure(
        self,
        name: str,
        m: FrameMetrics,
        side: str | None,
        which: str | None,
        lay: Layout | None,
        back_rounded: bool | None,
        bouncing: bool,
    ) -> float | bool | None:
        if name in ("knee_extension_deg", "hip_angle_deg", "leg_raise_deg"):
            return self.leg_value(m, name, side, which or "working")
        if name == "trunk_inclination_deg":
            return m.trunk_inclination_deg
        if name == "legs_angle_deg":
            a = self.leg_value(m, "leg_raise_deg", side, "working")
            b = self.leg_value(m, "leg_raise_deg", side, "other")
            return abs(a - b)
        if name == "hip_height_torso":
            return lay.hip_height if lay is not None else math.nan
        if name == "back_rounded":
            return back_rounded
        if name == "bouncing":
            return bouncing
        raise ValueError(f"unknown measure {name}")

    @staticmethod
    def _outside(value: float | bool | None, lo: float | None, hi: float | None) -> bool:
        if value is None or isinstance(value, bool):
            return bool(value)
        if not math.isfinite(value):
            return False
        return (lo is not None and value < lo) or (hi is not None and value > hi)

    def _engaged(
        self, conds: tuple[Engaged, ...], m: FrameMetrics, side: str | None, lay: Layout | None
    ) -> bool | None:
        """True / False, or None when a condition cannot be measured in this frame."""
        unknown = False
        for e in conds:
            v = self.measure(e.measure, m, side, e.leg, lay, None, False)
            if not isinstance(v, float) or not math.isfinite(v):
                unknown = True
            elif self._outside(v, e.min, e.max):
                return False
        return None if unknown else True

    # -- the chain ------------------------------------------------------------------------
    def update(self, m: FrameMetrics, mask: Any = None) -> Verdict:
        t = m.t_s
        self._last_t = t
        o = self.options
        rec = recognize_frame(m, o.recognize)
        label = self.labels.update(t, (rec.stretch, rec.side, rec.posture) if m.person else None)
        stretch, side, posture = label if isinstance(label, tuple) else (None, None, None)
        if o.stretch is not None and m.person:
            stretch = o.stretch
            posture = self.catalogue[o.stretch].posture
            if self.catalogue[o.stretch].sides == "both":
                side = "both"
        if o.side is not None and stretch is not None:
            side = o.side
        lay = layout(m) if m.person else None

        # the back, measured on the side nearer the camera, only where it can be judged
        judgeable = (
            m.person
            and m.view in o.judge_back_views
            and posture in o.judge_back_postures
            and mask is not None
        )
        flex = math.nan
        if judgeable:
            shape = measure_back(m.xy, mask, m.near_side)
            flex = lumbar_flexion_deg(shape, self.judge.cal, posture)
        back = self.judge.update(t, flex, judgeable, posture)

        engaged = False
        far_leg = False
        faults: dict[str, str] = {}
        bouncing = False
        if stretch is not None:
            s = self.catalogue[stretch]
            state = self._engaged(s.engaged, m, side, lay)
            if state is None:
                # a joint hidden for a moment (a rounding back hides the far knee, say) keeps
                # the last known state for up to engaged_memory_s
                recent = t - self._engaged_at <= self.options.engaged_memory_s
                engaged = self._engaged_last and recent
            else:
                engaged = state
                self._engaged_last, self._engaged_at = state, t
            if engaged:
                bouncing = self.bounce.update(
                    t, self.leg_value(m, "hip_angle_deg", side, "working")
                )
            else:
                self.bounce.reset()
            # In side views MediaPipe often misplaces the far leg's knee onto the near leg
            # (measured on the synthetic chair stretch: the far, straight knee read 146 vs 177).
            # The stretched leg should face the camera; until it does, its knee is not judged
            # (no false "straighten your knee") and the person is asked to turn. Lying, the
            # raised leg is seen above the other one wherever the camera is.
            far_leg = (
                engaged
                and posture != "lying"
                and m.view == "side"
                and side in SIDES
                and m.near_side in SIDES
                and side != m.near_side
            )
            if engaged:
                for rule in self.catalogue.rules_for(stretch):
                    if far_leg and rule.measure == "knee_extension_deg" and rule.leg == "working":
                        continue
                    v = self.measure(rule.measure, m, side, rule.leg, lay, back, bouncing)
                    if self._outside(v, rule.min, rule.max):
                        faults[rule.fault] = rule.message
        # situations
        if not m.person:
            if self._no_person_since is None:
                self._no_person_since = t
            if t - self._no_person_since >= o.no_person_s:
                faults["no_person"] = SITUATION_MESSAGES["no_person"]
        else:
            self._no_person_since = None
            if not m.in_frame:
                faults["out_of_frame"] = SITUATION_MESSAGES["out_of_frame"]
            if stretch is not None and m.view == "front":
                faults["not_side_view"] = SITUATION_MESSAGES["not_side_view"]
            if far_leg:
                faults["far_leg"] = SITUATION_MESSAGES["far_leg"]
            if m.n_people > 1:
                faults["several_people"] = SITUATION_MESSAGES["several_people"]
        active = self.debouncer.update(t, faults)
        form_faults = {f for f in active if f not in SITUATION_MESSAGES}
        valid = bool(engaged and not form_faults)
        hold = self.timer.update(t, stretch if engaged else None, side, engaged, valid, form_faults)
        prompt = None
        for kind in PROMPT_PRIORITY:
            if kind in active:
                prompt = faults.get(kind) or self.debouncer._messages.get(kind)
                break
        else:
            for kind in active:
                prompt = self.debouncer._messages.get(kind)
                break
        near = m.near_side if side in (None, "both") else side
        return Verdict(
            t_s=t,
            person=m.person,
            stretch=stretch,
            side=side,
            posture=posture,
            engaged=engaged,
            knee_extension_deg=self.leg_value(m, "knee_extension_deg", side or near, "working"),
            hip_angle_deg=self.leg_value(m, "hip_angle_deg", side or near, "working"),
            leg_raise_deg=self.leg_value(m, "leg_raise_deg", side or near, "working"),
            lumbar_flexion_deg=flex,
            back_rounded=back,
            faults=tuple(sorted(faults)),
            warnings=tuple(sorted(active)),
            valid=valid,
            hold=hold,
            prompt=prompt,
        )

    def finish(self) -> tuple[list[Hold], list[WarningInterval]]:
        """Close open holds and warnings; returns (holds, warnings)."""
        self.debouncer.finish(self._last_t)
        return self.timer.finish(), list(self.debouncer.intervals)


def rules_table(catalogue: Catalogue | None = None) -> list[tuple[str, Rule]]:
    """All (stretch id, rule) pairs, for docs and tests."""
    cat = catalogue or load_catalogue()
    return [(sid, r) for sid in cat.stretches for r in cat.rules_for(sid)]
