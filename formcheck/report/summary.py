"""The report's summary and events, from its hold, warning and frame rows.

Pure functions of the rows a session recorder gathers (schema_version 1); times in seconds.
"""

from __future__ import annotations

from typing import Any


def session_events(holds: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rests between holds and side (or stretch) switches, from the holds in time order."""
    events: list[dict[str, Any]] = []
    ordered = sorted(holds, key=lambda h: h["start_s"])
    for prev, nxt in zip(ordered, ordered[1:], strict=False):
        gap = round(nxt["start_s"] - prev["end_s"], 3)
        if gap > 0:
            events.append(
                {
                    "kind": "rest",
                    "start_s": prev["end_s"],
                    "end_s": nxt["start_s"],
                    "duration_s": gap,
                }
            )
        if nxt["stretch"] != prev["stretch"]:
            events.append(
                {
                    "kind": "switch_stretch",
                    "at_s": nxt["start_s"],
                    "from": prev["stretch"],
                    "to": nxt["stretch"],
                }
            )
        elif nxt["side"] != prev["side"]:
            events.append(
                {
                    "kind": "switch_side",
                    "at_s": nxt["start_s"],
                    "from": prev["side"],
                    "to": nxt["side"],
                }
            )
    return events


def summarize(
    holds: list[dict[str, Any]],
    warnings: list[dict[str, Any]],
    frames: list[dict[str, Any]],
    hold_start_s: float = 10.0,
    reps_per_side: int = 3,
) -> dict[str, Any]:
    """Per stretch and side: holds, valid time, best hold, completed reps."""
    per: dict[str, dict[str, Any]] = {}
    for h in holds:
        s = per.setdefault(h["stretch"], {})
        d = s.setdefault(
            h["side"],
            {
                "holds": 0,
                "completed": 0,
                "valid_s": 0.0,
                "best_valid_s": 0.0,
                "target_s": h["target_s"],
            },
        )
        d["holds"] += 1
        d["completed"] += int(h["completed"])
        d["valid_s"] = round(d["valid_s"] + h["valid_s"], 2)
        d["best_valid_s"] = max(d["best_valid_s"], h["valid_s"])
    kinds: dict[str, float] = {}
    for w in warnings:
        kinds[w["kind"]] = round(kinds.get(w["kind"], 0.0) + (w["end_s"] - w["start_s"]), 2)
    seen = sum(1 for f in frames if f["person"])
    return {
        "stretches": per,
        "warning_seconds": kinds,
        "frames_with_person": seen,
        "frames": len(frames),
        "reps_per_side_goal": reps_per_side,
        "hold_start_s": hold_start_s,
    }
