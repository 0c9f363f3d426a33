"""Whether a person is in a stretch's position: the one definition of "in the stretch".

A stretch's *position* is its leg and trunk configuration (catalogue.toml, ``position`` of each
stretch, every condition citing its seed): for example the standing fold is "trunk leaning at
least 45 degrees forward, knees nearly straight". It is looser than the form rules: a knee bent
to 145 degrees in a fold is *in position with a fault* (the rule ``knee_straight`` asks 150),
a knee bent to 90 degrees is not in the position at all (setting up, or another exercise).

The hold definition built on it (docs/judgements.md, "Holds"): a hold begins once the person
has settled in the position (``settle_s`` seconds in it, or sooner at rest in it: the coach's
:class:`formcheck.stretches.timer.Stillness`, the hold then backdated to the rest's start) and
the form is valid; a form fault pauses its valid time (counted as fault time instead); it ends
when the person leaves the position for longer than ``exit_grace_s``.

:func:`position_check` is a pure function of angles, shared by the coach (measured angles) and
the synthetic truth (true angles); :func:`settled` applies the settling time (not the rest) to a
sequence.

``angles`` mapping (degrees, NaN = unknown; conventions in docs/architecture.md)::

    {"knee_extension_deg": {"left": x, "right": x}, "hip_angle_deg": {...},
     "leg_raise_deg": {...}, "trunk_inclination_deg": x, "lumbar_flexion_deg": x}
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from formcheck.metrics.measures import SIDES, FrameMetrics
from formcheck.stretches.catalogue import Catalogue, Engaged, load_catalogue

#: the per-leg measures a position condition can name
#: the measures read per leg (a ``{"left": x, "right": y}`` mapping in ``angles``)
PER_LEG_MEASURES = ("knee_extension_deg", "hip_angle_deg", "leg_raise_deg")


@dataclass(frozen=True)
class PositionCheck:
    """One frame against a stretch's position.

    Attributes
    ----------
    in_position : bool
        Every condition of the position holds (none fails, none is unknown).
    missing : tuple of str
        What is missing, in the catalogue's words ("lean forward from the hips"), in the
        catalogue's order; empty when in position (or when only unknowns keep it out).
    unknown : tuple of str
        The measures that could not be read (NaN) in this frame.
    """

    in_position: bool
    missing: tuple[str, ...] = ()
    unknown: tuple[str, ...] = ()


@functools.cache
def _builtin() -> Catalogue:
    return load_catalogue()


def _per_leg(values: Any, side: str | None, leg: str | None, measure: str) -> float:
    """A per-leg value of the working (or other) leg; both legs working: the worse knee
    (``knee_extension_deg``: both must be straight), else the mean of the legs seen."""
    if not isinstance(values, Mapping):
        return math.nan
    if side in SIDES:
        k = side if leg != "other" else SIDES[1 - SIDES.index(side)]
        return _num(values.get(k))
    if leg == "other":
        return math.nan
    vals = [_num(values.get(s)) for s in SIDES]
    seen = [v for v in vals if math.isfinite(v)]
    if not seen:
        return math.nan
    return min(seen) if measure == "knee_extension_deg" else sum(seen) / len(seen)


def _num(x: Any) -> float:
    try:
        return float(x) if x is not None else math.nan
    except (TypeError, ValueError):
        return math.nan


def position_value(
    measure: str, side: str | None, leg: str | None, angles: Mapping[str, Any]
) -> float:
    """The value a position condition reads from ``angles`` (degrees; NaN = unknown).

    ``legs_angle_deg`` is the angle between the two legs' elevations (|working - other| of
    ``leg_raise_deg``). Raises ``ValueError`` for a measure positions cannot name.
    """
    if measure in PER_LEG_MEASURES:
        return _per_leg(angles.get(measure), side, leg, measure)
    if measure in ("trunk_inclination_deg", "lumbar_flexion_deg"):
        return _num(angles.get(measure))
    if measure == "legs_angle_deg":
        a = _per_leg(angles.get("leg_raise_deg"), side, "working", "leg_raise_deg")
        b = _per_leg(angles.get("leg_raise_deg"), side, "other", "leg_raise_deg")
        return abs(a - b)
    raise ValueError(f"a position cannot test the measure {measure!r}")


def check_conditions(
    conds: Sequence[Engaged], side: str | None, angles: Mapping[str, Any]
) -> PositionCheck:
    """:class:`PositionCheck` of ``angles`` against the conditions ``conds``."""
    missing: list[str] = []
    unknown: list[str] = []
    for c in conds:
        v = position_value(c.measure, side, c.leg, angles)
        if not math.isfinite(v):
            unknown.append(c.measure)
        elif (c.min is not None and v < c.min) or (c.max is not None and v > c.max):
            text = c.missing or f"{c.measure} out of range"
            if text not in missing:
                missing.append(text)
    return PositionCheck(not missing and not unknown, tuple(missing), tuple(unknown))


def position_check(
    stretch: str,
    side: str | None,
    angles: Mapping[str, Any],
    catalogue: Catalogue | None = None,
) -> PositionCheck:
    """Whether ``angles`` put the person in the position of ``stretch`` with working leg
    ``side`` (``"left"``, ``"right"``, or ``"both"`` / None for both legs).

    Raises ``KeyError`` for a stretch id not in the catalogue.
    """
    cat = catalogue or _builtin()
    return check_conditions(cat[stretch].engaged, side, angles)


def angles_of(m: FrameMetrics) -> dict[str, Any]:
    """The ``angles`` mapping of one frame's measures (2D image angles, degrees)."""

    def legs(arr: np.ndarray) -> dict[str, float]:
        return {s: float(arr[i]) for i, s in enumerate(SIDES)}

    return {
        "knee_extension_deg": legs(m.knee_extension_deg),
        "hip_angle_deg": legs(m.hip_angle_deg),
        "leg_raise_deg": legs(m.leg_raise_deg),
        "trunk_inclination_deg": float(m.trunk_inclination_deg),
        "lumbar_flexion_deg": math.nan,
    }


def settled(t_s: Sequence[float], in_position: Sequence[bool], settle_s: float) -> list[bool]:
    """Per frame: in position without a break for at least ``settle_s`` seconds (frame times
    in seconds; the frame that completes the settling time is the first True)."""
    out: list[bool] = []
    since: float | None = None
    for t, ok in zip(t_s, in_position, strict=True):
        if not ok:
            since = None
        elif since is None:
            since = t
        out.append(ok and since is not None and t - since >= settle_s - 1e-9)
    return out
