"""The facts of one session, built from a JSON report (schema_version 1).

:func:`summarize_report` counts holds, good-form (valid) time per stretch and side, the
left/right balance and the warnings of a report; the advice and the report page are written
from these facts. Hold targets come from the report's holds, else the live plan, else the
stretch catalogue (:meth:`formcheck.stretches.catalogue.Catalogue.hold_target_for`), never a
literal. Times are in seconds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from formcheck.stretches.catalogue import Catalogue, load_catalogue

#: a balance of left and right below this ratio (smaller / larger valid seconds) is an imbalance
BALANCE_RATIO = 0.8


def as_float(value: Any) -> float:
    """A number as float; ``None``, booleans, strings, other non-numbers and integers too
    large for a float become NaN."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return math.nan
    try:
        return float(value)
    except OverflowError:
        return math.nan


@dataclass
class SideStats:
    """The holds of one stretch on one side; times in seconds."""

    holds: int = 0
    completed: int = 0
    valid_s: float = 0.0
    best_valid_s: float = 0.0
    target_s: float = math.nan


@dataclass
class SessionFacts:
    """What a session shows, as the report and the advice need it.

    ``default_target_s`` is the hold target when no hold says its own (the plan's, else the
    catalogue's for the stretches seen); ``start_s`` the first holds to build up from (seed 004:
    start with 10 s). Times in seconds.
    """

    duration_s: float
    stretches: list[str]
    sides: dict[str, dict[str, SideStats]]  # stretch -> side -> stats
    side_valid_s: dict[str, float]  # left/right -> valid seconds over all stretches
    warning_counts: dict[str, int]
    warning_s: dict[str, float]
    partial: bool
    person_fraction: float
    frames: int
    default_target_s: float
    start_s: float
    best_hold: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def holds(self) -> int:
        return sum(s.holds for sides in self.sides.values() for s in sides.values())

    @property
    def completed(self) -> int:
        return sum(s.completed for sides in self.sides.values() for s in sides.values())

    @property
    def valid_s(self) -> float:
        return sum(s.valid_s for sides in self.sides.values() for s in sides.values())

    @property
    def best_valid_s(self) -> float:
        return max(
            (s.best_valid_s for sides in self.sides.values() for s in sides.values()), default=0.0
        )

    @property
    def target_s(self) -> float:
        """The largest hold target of the session's stretches and sides."""
        targets = [st.target_s for sd in self.sides.values() for st in sd.values()]
        return max((t for t in targets if math.isfinite(t)), default=self.default_target_s)

    @property
    def balance_ratio(self) -> float:
        """Smaller / larger valid seconds of left and right; NaN when neither side held."""
        left, right = self.side_valid_s.get("left", 0.0), self.side_valid_s.get("right", 0.0)
        if max(left, right) <= 0:
            return math.nan
        return min(left, right) / max(left, right)


def session_info(report: dict[str, Any]) -> dict[str, Any]:
    """The optional ``session`` block of a report (``{}`` when absent or not an object)."""
    session = report.get("session")
    return session if isinstance(session, dict) else {}


def end_s(item: dict[str, Any], duration_s: float) -> float:
    """The ``end_s`` of a hold or warning; ``duration_s`` when it is missing (still running)."""
    end = as_float(item.get("end_s"))
    return end if math.isfinite(end) else duration_s


def session_duration_s(report: dict[str, Any]) -> float:
    """Length of the session: ``source.duration_s``, else the last frame time."""
    duration = as_float(report.get("source", {}).get("duration_s"))
    if math.isfinite(duration) and duration > 0:
        return duration
    times = [as_float(f.get("t_s")) for f in report.get("frames", [])]
    finite = [t for t in times if math.isfinite(t)]
    return max(finite, default=0.0)


def plan_hold_s(report: dict[str, Any]) -> float:
    """The hold of the live session's plan (``plan.plan.hold_s``), seconds; NaN when none."""
    plan = report.get("plan")
    if not isinstance(plan, dict):
        return math.nan
    inner = plan.get("plan")
    hold = as_float((inner if isinstance(inner, dict) else plan).get("hold_s"))
    return hold if math.isfinite(hold) and hold > 0 else math.nan


def hold_target_s(
    report: dict[str, Any], stretch: str | None, catalogue: Catalogue | None = None
) -> float:
    """The hold target of ``stretch`` in a session, seconds.

    The largest ``target_s`` of the stretch's holds; else the plan's hold; else the
    catalogue's target of the stretch (``catalogue`` carries the settings' overrides; default
    the built-in one), or its default target for an unknown stretch.
    """
    targets = [
        as_float(h.get("target_s"))
        for h in report.get("holds", [])
        if str(h.get("stretch") or "unknown") == str(stretch or "unknown")
    ]
    finite = [t for t in targets if math.isfinite(t)]
    if finite:
        return max(finite)
    planned = plan_hold_s(report)
    if math.isfinite(planned):
        return planned
    return (catalogue or load_catalogue()).hold_target_for(stretch)


def hold_start_s(report: dict[str, Any], catalogue: Catalogue | None = None) -> float:
    """The hold to start from, seconds: the report's ``summary.hold_start_s``, else the
    catalogue's (seed 004: start with 10 s)."""
    summary = report.get("summary")
    start = as_float(summary.get("hold_start_s")) if isinstance(summary, dict) else math.nan
    if math.isfinite(start):
        return start
    return (catalogue or load_catalogue()).hold_start_s


def summarize_report(report: dict[str, Any], catalogue: Catalogue | None = None) -> SessionFacts:
    """Count holds, valid time, balance and faults of a report (schema_version 1).

    ``catalogue`` gives the hold targets of stretches whose holds carry none (default: the
    built-in catalogue; pass the one of the settings to apply their overrides).
    """
    catalogue = catalogue or load_catalogue()
    frames = report.get("frames", [])
    duration = session_duration_s(report)
    sides: dict[str, dict[str, SideStats]] = {}
    side_valid: dict[str, float] = {"left": 0.0, "right": 0.0}
    best_hold = None
    for hold in report.get("holds", []):
        stretch = str(hold.get("stretch") or "unknown")
        side = str(hold.get("side") or "unknown")
        stats = sides.setdefault(stretch, {}).setdefault(side, SideStats())
        valid = as_float(hold.get("valid_s"))
        valid = valid if math.isfinite(valid) else 0.0
        stats.holds += 1
        stats.completed += bool(hold.get("completed"))
        stats.valid_s += valid
        stats.best_valid_s = max(stats.best_valid_s, valid)
        target = as_float(hold.get("target_s"))
        if math.isfinite(target):
            stats.target_s = (
                target if not math.isfinite(stats.target_s) else max(stats.target_s, target)
            )
        if side in side_valid:
            side_valid[side] += valid
        if best_hold is None or valid > as_float(best_hold.get("valid_s")):
            best_hold = hold
    stretches = list(sides)
    for f in frames:
        s = f.get("stretch")
        if s and str(s) not in stretches:
            stretches.append(str(s))
    planned = plan_hold_s(report)
    for stretch, by_side in sides.items():
        for stats in by_side.values():
            if not math.isfinite(stats.target_s):
                stats.target_s = hold_target_s(report, stretch, catalogue)
    if math.isfinite(planned):
        default_target = planned
    else:
        default_target = max(
            (catalogue.hold_target_for(s) for s in stretches), default=catalogue.hold_target_s
        )
    counts: dict[str, int] = {}
    spans: dict[str, float] = {}
    for w in report.get("warnings", []):
        kind = str(w.get("kind") or "unknown")
        counts[kind] = counts.get(kind, 0) + 1
        start = as_float(w.get("start_s"))
        span = end_s(w, duration) - start if math.isfinite(start) else math.nan
        spans[kind] = spans.get(kind, 0.0) + (span if math.isfinite(span) else 0.0)
    person = [bool(f.get("person")) for f in frames]
    session = session_info(report)
    return SessionFacts(
        duration_s=duration,
        stretches=stretches,
        sides=sides,
        side_valid_s=side_valid,
        warning_counts=counts,
        warning_s=spans,
        partial=bool(session.get("partial")),
        person_fraction=(sum(person) / len(person)) if person else math.nan,
        frames=len(frames),
        default_target_s=default_target,
        start_s=hold_start_s(report, catalogue),
        best_hold=best_hold,
    )
