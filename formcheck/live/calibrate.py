"""Live mode's stand-tall step: the person's neutral back, before the first stretch.

The back-rounding verdict is judged against the person's own neutral back
(:mod:`formcheck.metrics.backref`). Live mode asks for it first: "Stand (or sit) tall, side-on
to the camera". While the step is on, the coach marks its upright frames as a ``"calibration"``
reference (``Coach.calibrating``); the step ends when that reference is measured (about a
second of upright, side-on frames), when the person goes straight into a stretch, after
:data:`CALIBRATE_TIMEOUT_S` seconds with a person in view, or on the ``c`` key (skip).
``formcheck live --no-calibrate`` leaves it out. Without it, the back is judged against the
upright frames seen later, the history's saved reference, or the population rule (the report's
``back_reference`` says which).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from formcheck.stretches.coach import Coach, Verdict

#: how long the step waits for upright, side-on frames once someone is in view, seconds
CALIBRATE_TIMEOUT_S = 12.0
PROMPT = "Stand or sit tall, side-on to the camera, for a second (c: skip)"
TURN_PROMPT = "Turn side-on to the camera and stand or sit tall (c: skip)"


@dataclass
class CalibrationStep:
    """``update(t_s, verdict, view) -> (prompt, line)`` while the step runs.

    ``prompt`` is what to show (None once the step is over); ``line`` is said once when it ends
    ("back calibrated ..."). ``state``: ``"on"``, ``"done"``, ``"skipped"`` (the ``c`` key),
    ``"in_stretch"`` (the person started stretching first), ``"timed_out"`` or ``"off"``.
    """

    coach: Coach
    enabled: bool = True
    timeout_s: float = CALIBRATE_TIMEOUT_S
    state: str = "on"
    _since: float | None = None
    ended_at_s: float | None = None

    def __post_init__(self) -> None:
        if not self.enabled:
            self.state = "off"
        self.coach.calibrating = self.state == "on"

    @property
    def active(self) -> bool:
        return self.state == "on"

    def skip(self, t_s: float) -> str | None:
        """The ``c`` key: end the step now; the line to say (None when it was not on)."""
        if not self.active:
            return None
        self._end("skipped", t_s)
        return "calibration skipped: the back is judged against a saved or population reference"

    def update(self, t_s: float, v: Verdict, view: str | None) -> tuple[str | None, str | None]:
        if not self.active:
            return None, None
        ref = self.coach.judge.reference
        if ref is not None and ref.source == "calibration":
            self._end("done", t_s)
            return None, f"back calibrated: {ref.describe()}"
        if v.engaged:
            self._end("in_stretch", t_s)
            return None, "calibration left out: the stretch began first"
        if v.person and self._since is None:
            self._since = t_s
        if self._since is not None and t_s - self._since >= self.timeout_s:
            self._end("timed_out", t_s)
            return None, "calibration timed out: no upright, side-on view of the back"
        turned = v.person and view not in (None, "side")
        return (TURN_PROMPT if turned else PROMPT), None

    def _end(self, state: str, t_s: float) -> None:
        self.state = state
        self.ended_at_s = t_s
        self.coach.calibrating = False

    def as_report(self) -> dict[str, Any]:
        return {"state": self.state, "ended_at_s": self.ended_at_s}
