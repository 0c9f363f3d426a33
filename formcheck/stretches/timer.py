"""Hold timing: how long a stretch was held with valid form, per stretch, side and rep.

:class:`HoldTimer` follows the pattern of the stateful pieces: ``update(t_s, ...)`` once a frame
with the frame time in seconds, ``reset()`` to forget; time is counted from the frame
timestamps, never in frames. The hold definition (docs/judgements.md, "Holds"): a hold begins
when the person is in the stretch's position *and* the form is valid (the coach reports valid
form only once the position has settled); a form fault pauses the valid count (the time counts
as fault time); leaving the position for longer than the grace ends the hold. Per hold,
``in_position_s = valid_s + fault_total_s``.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Hold:
    """One hold of a stretch on one side.

    Attributes
    ----------
    stretch, side : str
        The stretch id and the working leg (``"left"``, ``"right"`` or ``"both"``).
    rep : int
        1-based repetition number for this stretch and side.
    start_s, end_s : float
        First and last engaged moment, seconds.
    valid_s : float
        Time held with valid form, seconds.
    in_position_s : float
        Time in the position during the hold, valid or not, seconds.
    target_s : float
        The hold target, seconds.
    last_engaged_s : float
        The last frame time in the stretch, seconds.
    faults : dict of str to float
        Seconds of each form fault during the hold.
    """

    stretch: str
    side: str
    rep: int
    start_s: float
    end_s: float
    valid_s: float
    target_s: float
    last_engaged_s: float
    faults: dict[str, float] = field(default_factory=dict)  # fault kind -> seconds
    in_position_s: float = 0.0

    @property
    def fault_total_s(self) -> float:
        """Time in the position with a form fault (not valid), seconds."""
        return max(self.in_position_s - self.valid_s, 0.0)

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
            "in_position_s": round(self.in_position_s, 3),
            "fault_total_s": round(self.fault_total_s, 3),
        }


@dataclass(frozen=True)
class HoldState:
    """The hold timer after one frame: whether a hold is running and its times in seconds
    (``elapsed_s`` since it began, ``valid_s`` with valid form, ``target_s`` to reach);
    ``just_completed`` is true on the one frame where ``valid_s`` reached the target."""

    active: bool
    stretch: str | None = None
    side: str | None = None
    rep: int = 0
    elapsed_s: float = 0.0
    valid_s: float = 0.0
    target_s: float = 0.0
    just_completed: bool = False


class Stillness:
    """Whether the body has stopped moving: ``update(t_s, values) -> start or None``.

    ``values`` are a frame's angles that move when a person moves into or out of a stretch (the
    working hip angle and the trunk's inclination, degrees; NaN = unseen). The body is *still*
    once every one of them has stayed within ``still_deg`` (peak to peak) for the last
    ``still_s`` seconds; ``update`` then returns the time that still stretch began (the start of
    the window), else None. A frame with an unseen value breaks the stillness. ``reset()`` when
    the position changes. Seconds and degrees, not frames: the same at any frame rate.
    """

    def __init__(self, still_s: float, still_deg: float) -> None:
        self.still_s = still_s
        self.still_deg = still_deg
        self._rows: deque[tuple[float, tuple[float, ...]]] = deque()

    def reset(self) -> None:
        self._rows.clear()

    def update(self, t_s: float, values: tuple[float, ...]) -> float | None:
        if self.still_s <= 0 or not all(math.isfinite(v) for v in values):
            self._rows.clear()
            return None
        rows = self._rows
        rows.append((t_s, values))
        # keep the newest row at or before the window's start (the window is then covered)
        while len(rows) > 1 and rows[1][0] <= t_s - self.still_s + 1e-9:
            rows.popleft()
        if t_s - rows[0][0] < self.still_s - 1e-9:
            return None
        for k in range(len(values)):
            col = [v[k] for _, v in rows]
            if max(col) - min(col) > self.still_deg:
                return None
        return rows[0][0]


class HoldTimer:
    """Times holds: ``update(t_s, stretch, side, engaged, valid, faults) -> HoldState``.

    A hold starts when the person is engaged (in the stretch's position) with valid form; it
    counts valid time only while the form is valid (a fault pauses it) and ends when they leave
    the position for longer than ``exit_grace_s`` (its end is the last engaged moment) or switch
    stretch or side. Holds shorter than ``min_hold_s`` are dropped. Gaps between frames longer
    than ``max_dt_s`` count as ``max_dt_s`` (a stalled camera does not add time).

    Settling at rest (docs/judgements.md, "Holds"): ``since_s`` on the frame that starts a
    hold backdates it to the moment the body came to rest in the position (the frames between
    were judged settled only now; the time is counted valid as the starting frame is).
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

    def holding(self, stretch: str | None, side: str | None) -> bool:
        """A hold of ``stretch`` on ``side`` is running (possibly within its exit grace)."""
        h = self._cur
        return h is not None and h.stretch == stretch and h.side == (side or "both")

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
        *,
        since_s: float | None = None,
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
        if engaged and stretch is not None and (h is not None or valid):
            if h is None:
                key = (stretch, side or "both")
                self._reps[key] = self._reps.get(key, 0) + 1
                h = Hold(
                    stretch, side or "both", self._reps[key], t_s, t_s, 0.0,
                    self.targets.get(stretch, 30.0), t_s,
                )  # fmt: skip
                self._cur = h
                dt = 0.0
                if since_s is not None and since_s < t_s:  # at rest in position since then
                    h.start_s = since_s
                    dt = t_s - since_s
            was_complete = h.completed
            h.in_position_s += dt
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
