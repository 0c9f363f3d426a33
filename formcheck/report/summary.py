"""The report's summary and events, from its hold, warning and frame rows.

Pure functions of the rows a session recorder gathers (schema_version 1); times in seconds.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from formcheck.stretches.catalogue import Catalogue, load_catalogue
from formcheck.stretches.coach import REASONS


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


def _pct(share: float) -> str:
    return f"{round(100 * share)} %"


def reason_text(reason: str, catalogue: Catalogue | None = None) -> str:
    """A frame's ``reason`` in words: the fault kind's label ("knee bent") or :data:`REASONS`."""
    if reason in REASONS:
        return REASONS[reason]
    return (catalogue or load_catalogue()).fault_kind(reason).label.lower()


def judge_stretches(
    frames: list[dict[str, Any]],
    holds: list[dict[str, Any]],
    catalogue: Catalogue | None = None,
    *,
    photo: bool = False,
) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """Per recognised stretch: why its frames were not valid, and whether its back was judged.

    Returns ``(per_stretch, messages)``. ``per_stretch[id]`` holds ``frames`` (frames showing
    the stretch), ``valid_share``, ``reasons`` (reason -> share of those frames: a form fault
    kind, ``not_in_position``, ``settling``...), ``missing`` (what the position lacked -> share),
    and ``back``: ``"judged"``, ``"not_judged"`` (fewer than half of the frames in position
    could judge the back: a front view, no body outline) or ``"no_rule"``. ``messages`` say what
    kept holds from starting ("no hold started: knee bent on 80 % of the frames in the
    stretch") and where the back was not judged ("back not judged from this view").
    """
    cat = catalogue or load_catalogue()
    per: dict[str, dict[str, Any]] = {}
    messages: list[str] = []
    held = {h.get("stretch") for h in holds}
    for sid in dict.fromkeys(str(f["stretch"]) for f in frames if f.get("stretch")):
        rows = [f for f in frames if f.get("stretch") == sid]
        n = len(rows)
        reasons = Counter(str(f["reason"]) for f in rows if not f["valid"] and f.get("reason"))
        missing = Counter(m for f in rows for m in f.get("missing") or ())
        engaged = [f for f in rows if f.get("engaged")]
        has_back_rule = sid in cat.stretches and any(
            r.measure == "back_rounded" for r in cat.rules_for(sid)
        )
        judged = sum(1 for f in engaged if f.get("back_judged"))
        back = "no_rule"
        if has_back_rule:
            back = "judged" if engaged and judged >= len(engaged) / 2 else "not_judged"
        per[sid] = {
            "frames": n,
            "valid_share": round(sum(1 for f in rows if f["valid"]) / n, 3),
            "reasons": {k: round(c / n, 3) for k, c in reasons.most_common()},
            "missing": {k: round(c / n, 3) for k, c in missing.most_common()},
            "back": back,
        }
        if sid not in held and reasons:
            top, count = reasons.most_common(1)[0]
            text = reason_text(top, cat)
            if top == "not_in_position" and missing:
                text = f"{text} ({missing.most_common(1)[0][0]})"
            if not photo:
                share = _pct(count / n)
                messages.append(
                    f"{sid}: no hold started: {text} on {share} of the frames in the stretch"
                )
            elif top == "not_in_position":  # a photo's faults are its warnings
                messages.append(f"{sid}: {text}")
        if back == "not_judged":
            views = Counter(str(f.get("view")) for f in engaged)
            if engaged and views.most_common(1)[0][0] in ("front", "oblique"):
                why = "from this view (turn side-on to the camera)"
            else:
                why = "in these frames (the body's outline was not seen)"
            messages.append(f"{sid}: back not judged {why}")
    if not per and any(f.get("person") for f in frames):
        messages.append("no stretch recognised: no holds, no form faults")
    return per, messages


def summarize(
    holds: list[dict[str, Any]],
    warnings: list[dict[str, Any]],
    frames: list[dict[str, Any]],
    hold_start_s: float = 10.0,
    reps_per_side: int = 3,
    catalogue: Catalogue | None = None,
    *,
    photo: bool = False,
) -> dict[str, Any]:
    """Per stretch and side: holds, valid time, best hold, completed reps; per stretch, what
    kept frames from being valid and whether the back was judged (:func:`judge_stretches`)."""
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
    judged, messages = judge_stretches(frames, holds, catalogue, photo=photo)
    return {
        "stretches": per,
        "warning_seconds": kinds,
        "frames_with_person": seen,
        "frames": len(frames),
        "reps_per_side_goal": reps_per_side,
        "hold_start_s": hold_start_s,
        "judgements": judged,
        "messages": messages,
    }
