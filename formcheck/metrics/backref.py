"""The person's neutral back: the reference the back-rounding verdict is measured against.

The lumbar estimate (:mod:`formcheck.metrics.lumbar`) reads a body's neutral back anywhere from
about -10 to +15 degrees: a naturally curved upper back, a loose top or a strong lordosis shift
the outline of the back. Judged against one population limit, some people are warned all the
time and others never. So formcheck measures each person's own neutral back and judges the
change from it (docs/lumbar.md, "The reference"):

1. **calibration**: live mode's guided "stand (or sit) tall, side-on" step before the first
   stretch (skippable);
2. **upright frames**: a video's own frames of the person standing or sitting upright (trunk
   within :data:`UPRIGHT_TRUNK_DEG` of vertical, side view, the back's outline measured, not in
   a stretch), once they add up to :data:`MIN_UPRIGHT_S` seconds;
3. **saved**: the last calibration or upright reference stored in the user's history, for a
   photo or a video without upright frames;
4. none of these: a conservative population rule (``BackRoundingJudge``'s absolute limit, and
   the straightest back seen in the session).

The reference's value is the *bias* of the estimate for this person: the median estimate over
their upright frames, where a neutral back reads 0 degrees of flexion, clamped to
:data:`MAX_BIAS_DEG` so a slumped "upright" cannot hide a rounded back.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

#: a trunk this close to vertical (degrees) is upright: standing or sitting tall
UPRIGHT_TRUNK_DEG = 15.0
#: upright frames needed before they become the reference (seconds, and frames)
MIN_UPRIGHT_S = 1.0
MIN_UPRIGHT_FRAMES = 8
#: the largest bias a reference may correct, degrees (beyond it: a slump, a loose top, hair)
MAX_BIAS_DEG = 15.0
#: upright values kept (the median of the latest ones)
_KEEP = 600

#: the reference's sources, as the report and the screen name them
SOURCES = {
    "calibration": "your stand-tall calibration at the start of this session",
    "upright_frames": "your upright posture in this video",
    "saved": "your saved calibration",
    "population": "a population limit (no upright frames in view and no saved calibration)",
}


@dataclass(frozen=True)
class BackReference:
    """A person's neutral back.

    Attributes
    ----------
    bias_deg : float
        What the lumbar estimate reads for this person's neutral back, degrees (clamped to
        +-:data:`MAX_BIAS_DEG`); the verdict judges ``estimate - bias_deg``.
    source : str
        ``"calibration"``, ``"upright_frames"`` or ``"saved"`` (a key of :data:`SOURCES`).
    frames : int
        Upright frames it was measured on.
    span_s : tuple of float or None
        First and last of those frames, seconds into the session (None: saved).
    taken_at : str or None
        When it was measured (ISO time; a saved reference's date).
    measured_deg : float
        The median estimate before clamping.
    """

    bias_deg: float
    source: str
    frames: int = 0
    span_s: tuple[float, float] | None = None
    taken_at: str | None = None
    measured_deg: float = math.nan

    def describe(self) -> str:
        """One line for the report: what the back was judged against."""
        text = SOURCES.get(self.source, self.source)
        if self.source == "saved" and self.taken_at:
            text += f" of {self.taken_at[:10]}"
        elif self.span_s is not None:
            text += f" ({self.frames} frames from {self.span_s[0]:.1f} s on)"
        return f"{text}: a neutral back reads {self.bias_deg:+.0f} degrees"

    def as_report(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "bias_deg": round(self.bias_deg, 1),
            "measured_deg": round(self.measured_deg, 1)
            if math.isfinite(self.measured_deg)
            else None,
            "frames": self.frames,
            "span_s": [round(self.span_s[0], 2), round(self.span_s[1], 2)] if self.span_s else None,
            "taken_at": self.taken_at,
            "description": self.describe(),
        }


def population_report() -> dict[str, Any]:
    """The report's ``back_reference`` when no reference was available."""
    return {"source": "population", "bias_deg": None, "description": SOURCES["population"]}


def from_report(data: Any) -> BackReference | None:
    """The reference a report measured (calibration or upright frames), or None."""
    if not isinstance(data, dict) or data.get("source") not in ("calibration", "upright_frames"):
        return None
    bias = data.get("bias_deg")
    if isinstance(bias, bool) or not isinstance(bias, int | float) or not math.isfinite(bias):
        return None
    measured = data.get("measured_deg")
    return BackReference(
        bias_deg=max(-MAX_BIAS_DEG, min(MAX_BIAS_DEG, float(bias))),
        source=str(data["source"]),
        frames=int(data.get("frames") or 0),
        taken_at=str(data["taken_at"]) if data.get("taken_at") else None,
        measured_deg=float(measured) if isinstance(measured, int | float) else math.nan,
    )


@dataclass
class UprightCollector:
    """Gathers the lumbar estimates of upright frames into a :class:`BackReference`.

    ``add(t_s, estimate)`` for each upright frame; ``reference(source, taken_at)`` is None until
    the frames span :data:`MIN_UPRIGHT_S` with at least :data:`MIN_UPRIGHT_FRAMES` of them, then
    the median of the latest ones. A gap of over 1 s starts a new run; the reference is kept
    from the longest-established run on (a person who sits up again adds to it).
    """

    min_s: float = MIN_UPRIGHT_S
    min_frames: int = MIN_UPRIGHT_FRAMES
    _values: list[float] = field(default_factory=list)
    _run: list[tuple[float, float]] = field(default_factory=list)
    _first: float | None = None
    _last: float | None = None
    ready: bool = False

    def add(self, t_s: float, estimate: float) -> None:
        if not math.isfinite(estimate):
            return
        if self._run and t_s - self._run[-1][0] > 1.0:
            self._run = []
        self._run.append((t_s, estimate))
        if not self.ready:
            span = self._run[-1][0] - self._run[0][0]
            if len(self._run) >= self.min_frames and span >= self.min_s - 1e-9:
                self.ready = True
                self._first = self._run[0][0]
                self._values.extend(v for _, v in self._run)
                self._last = t_s
        else:
            self._values.append(estimate)
            self._last = t_s
            if len(self._values) > _KEEP:
                del self._values[: len(self._values) - _KEEP]

    def reference(self, source: str, taken_at: str | None = None) -> BackReference | None:
        if not self.ready or not self._values:
            return None
        measured = float(np.median(self._values))
        bias = max(-MAX_BIAS_DEG, min(MAX_BIAS_DEG, measured))
        span = (float(self._first or 0.0), float(self._last or 0.0))
        return BackReference(bias, source, len(self._values), span, taken_at, measured)
