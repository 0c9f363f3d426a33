"""The report's rows and source block, built from the per-frame verdicts.

:func:`frame_row` is the report's row for one frame (schema_version 1 keys, and the additions
beside them); :func:`no_stretch_note` and :func:`measured_part` fill the notes and the
``source`` block of a report.
"""

from __future__ import annotations

from typing import Any

from formcheck.metrics.measures import FrameMetrics
from formcheck.report.schema import clean_number as c
from formcheck.stretches.coach import Verdict


def frame_row(m: FrameMetrics, v: Verdict) -> dict[str, Any]:
    """The report's row for one frame: the verdict, and both legs' measures (degrees)."""
    return {
        "t_s": round(v.t_s, 4),
        "person": v.person,
        "stretch": v.stretch,
        "side": v.side,
        "knee_extension_deg": c(v.knee_extension_deg),
        "hip_angle_deg": c(v.hip_angle_deg),
        "leg_raise_deg": c(v.leg_raise_deg),
        "lumbar_flexion_deg": c(v.lumbar_flexion_deg),
        "back_rounded": v.back_rounded,
        "valid": v.valid,
        # additions beside the contract
        "engaged": v.engaged,
        "posture": v.posture,
        "view": m.view,
        "trunk_inclination_deg": c(m.trunk_inclination_deg),
        "knee_extension_left_deg": c(m.knee_extension_deg[0]),
        "knee_extension_right_deg": c(m.knee_extension_deg[1]),
        "hip_angle_left_deg": c(m.hip_angle_deg[0]),
        "hip_angle_right_deg": c(m.hip_angle_deg[1]),
        "leg_raise_left_deg": c(m.leg_raise_deg[0]),
        "leg_raise_right_deg": c(m.leg_raise_deg[1]),
        "faults": list(v.faults),
        "warnings": list(v.warnings),
        "hold_valid_s": round(v.hold.valid_s, 2) if v.hold.active else None,
        # why the frame is not valid (a form fault kind, or not_in_position with `missing`)
        "reason": v.reason,
        "missing": list(v.missing),
        "back_judged": v.back_judged,
        # recognition: confidence 0-1, and why no stretch / what the view cannot tell
        "stretch_confidence": c(v.stretch_confidence),
        "recognition_note": v.recognition_note,
    }


def no_stretch_note(frames: list[dict[str, Any]], kind: Any) -> str:
    """The report's note when no frame shows a stretch, with the most frequent reason."""
    what = "image" if kind == "image" else "video"
    reasons: dict[str, int] = {}
    for f in frames:
        note = f.get("recognition_note")
        if f["person"] and note:
            reasons[note] = reasons.get(note, 0) + 1
    why = max(reasons, key=lambda k: reasons[k]) if reasons else ""
    why = why.removeprefix("no stretch recognised: ")
    return f"no stretch recognised in the {what}" + (f" ({why})" if why else "")


def measured_part(source: dict[str, Any], n_frames: int, last_t_s: float) -> None:
    """A video not analysed to its end: ``frames`` and ``duration_s`` become what was
    measured; the file's own length moves to ``file_frames`` and ``file_duration_s``."""
    source["file_frames"] = source.get("frames")
    source["file_duration_s"] = source.get("duration_s")
    fps = source.get("fps") or 30.0
    source["frames"] = n_frames
    source["duration_s"] = round(last_t_s + 1.0 / fps, 4) if n_frames else 0.0
