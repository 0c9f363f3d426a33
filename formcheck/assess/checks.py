"""The validity checks of a trial: each failed one named with the value found.

The limits are the test's ``valid`` table in ``norms.toml`` (each citing its source).
"""

from __future__ import annotations

import math

from formcheck.assess.norms import AssessmentTest


def check_trial(
    test: AssessmentTest, at_top: dict[str, float], max_off_side_deg: float
) -> tuple[str, ...]:
    """The failed validity checks of a trial, each named with the value found.

    A measure that could not be seen (NaN) fails no check, except the tested leg's own knee
    (SLR) or hip (AKE), without which the trial cannot be judged.
    """
    v = test.valid
    reasons = []
    knee = at_top.get("knee_extension_deg", math.nan)
    hip = at_top.get("hip_angle_deg", math.nan)
    if test.id == "slr":
        if not math.isfinite(knee):
            reasons.append("the raised knee was not seen")
        elif knee < float(v["raised_knee_min_deg"]):
            reasons.append(f"the raised knee bent ({math.floor(knee):.0f}°)")
    else:
        target, tol = float(v["hip_target_deg"]), float(v["hip_tolerance_deg"])
        if not math.isfinite(hip):
            reasons.append("the hip was not seen")
        elif abs(hip - target) > tol:
            shown = math.floor(hip) if hip > target else math.ceil(hip)
            reasons.append(f"hip not at 90° ({shown:.0f}°)")
    other = at_top.get("other_leg_raise_deg", math.nan)
    if math.isfinite(other) and other > float(v["other_leg_max_deg"]):
        reasons.append(f"the other leg lifted ({math.ceil(other):.0f}°)")
    lift = at_top.get("pelvis_lift_torso", math.nan)
    lift_max = v.get("pelvis_lift_max_torso")
    if lift_max is not None and math.isfinite(lift) and lift > float(lift_max):
        reasons.append("the pelvis lifted")
    off = at_top.get("off_side_deg", math.nan)
    if math.isfinite(off) and off > max_off_side_deg:
        reasons.append(f"the camera is not side-on ({math.ceil(off):.0f}° off)")
    return tuple(reasons)


__all__ = ["check_trial"]
