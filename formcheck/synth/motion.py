"""The motion of a randomized clip: the timeline of getting into the stretch, holding it (with
a fault, a posture habit, a partial hold), doing both sides, and leaving (docs/synth.md, "Domain
randomization"). Used by :mod:`formcheck.synth.randomize`.
"""

from __future__ import annotations

import random
from collections.abc import Mapping

from formcheck.synth.pose import BILATERAL


def weighted(rng: random.Random, table: Mapping[str, float]) -> str:
    """A key of ``table`` drawn with the values as weights."""
    return rng.choices(list(table), weights=list(table.values()))[0]


def sample_timeline(
    rng: random.Random, sid: str, habit: str, max_s: float, fast: bool
) -> tuple[list[dict], list[str]]:
    """Segments: getting into the stretch, holds with faults, sides, leaving (docs/synth.md)."""
    budget = min(max_s, 7.0) if fast else max_s
    sides = ["both"] if sid in BILATERAL else [rng.choice(["left", "right"])]
    motion = []
    if sid not in BILATERAL and rng.random() < 0.3:
        sides.append("right" if sides[0] == "left" else "left")
        motion.append("both_sides")
    segs: list[dict] = []
    standing = sid.startswith("standing")
    if standing or rng.random() < 0.6:
        segs.append({"phase": "stand", "duration_s": rng.uniform(0.6, 1.6)})
        if not standing:
            motion.append("sits_down_first")
    else:
        segs.append({"phase": "rest", "duration_s": rng.uniform(0.6, 1.2)})
    fault_pick = weighted(
        rng,
        {"none": 0.5, "knee_bent": 0.2, "bouncing": 0.15, "out_of_frame": 0.05, "partial": 0.1},
    )
    for k, side in enumerate(sides):
        if k:
            segs.append({"phase": "release", "side": sides[0], "duration_s": rng.uniform(0.8, 1.4)})
            if sid in ("standing_support", "supine_raise", "supine_wall", "seated_chair"):
                segs.append({"phase": "switch", "side": side, "duration_s": rng.uniform(1.0, 1.6)})
        enter = rng.uniform(0.8, 3.2)
        motion.append("fast_entry" if enter < 1.3 else "slow_entry" if enter > 2.5 else "entry")
        segs.append({"phase": "enter", "side": side, "duration_s": enter})
        hold = rng.uniform(3.0, 6.0) if len(sides) == 1 else rng.uniform(2.5, 3.5)
        if habit == "always_rounded":
            segs.append(
                {"phase": "hold", "side": side, "fault": "back_rounding", "duration_s": hold}
            )
        elif habit == "early_rounding":
            first = rng.uniform(0.5, 1.5)
            segs.append({"phase": "hold", "side": side, "duration_s": first})
            segs.append(
                {
                    "phase": "hold",
                    "side": side,
                    "fault": "back_rounding",
                    "duration_s": hold - first,
                }
            )
        elif fault_pick in ("knee_bent", "bouncing", "out_of_frame") and k == 0:
            first = rng.uniform(1.0, 2.0)
            fault_s = rng.uniform(1.5, 2.5)
            segs.append({"phase": "hold", "side": side, "duration_s": first})
            segs.append({"phase": "hold", "side": side, "fault": fault_pick, "duration_s": fault_s})
            segs.append(
                {"phase": "hold", "side": side, "duration_s": max(1.0, hold - first - fault_s)}
            )
            motion.append(fault_pick)
        elif fault_pick == "partial" and k == 0:
            segs.append({"phase": "hold", "side": side, "duration_s": rng.uniform(1.0, 1.8)})
            segs.append({"phase": "release", "side": side, "duration_s": rng.uniform(0.8, 1.2)})
            segs.append({"phase": "enter", "side": side, "duration_s": rng.uniform(0.8, 1.5)})
            segs.append({"phase": "hold", "side": side, "duration_s": hold})
            motion.append("partial_hold")
        else:
            segs.append({"phase": "hold", "side": side, "duration_s": hold})
    segs.append({"phase": "release", "side": sides[-1], "duration_s": rng.uniform(0.8, 1.5)})
    if rng.random() < 0.2:
        segs.append({"phase": "away", "duration_s": rng.uniform(2.0, 3.0)})
        motion.append("leaves_frame")
    else:
        segs.append({"phase": "rest", "duration_s": rng.uniform(0.5, 1.2)})
    # fit the budget: shorten holds first, then the rest proportionally
    total = sum(s["duration_s"] for s in segs)
    if total > budget:
        scale = budget / total
        for s in segs:
            s["duration_s"] *= scale
    for s in segs:
        s["duration_s"] = round(s["duration_s"], 2)
    return segs, motion
