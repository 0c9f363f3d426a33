"""Holds start when the stretch starts, and say why they do not (issue 14, items 3 and 8).

Known answers on stick figures: the hold of a seated fold begins once the person has leant
forward into the position and settled there (the catalogue's ``settle_s``), not at the first
frame while sitting up; a fault before the form is right delays the start; every frame that is
not valid names its reason.
"""

import json
import math

import numpy as np
import pytest

from formcheck.metrics.measures import MetricsComputer, MetricsOptions
from formcheck.stretches.catalogue import load_catalogue
from formcheck.stretches.coach import REASONS, Coach, CoachOptions
from formcheck.stretches.position import position_check, settled
from tests.conftest import ROOT
from tests.stickfigure import figure

FPS = 30.0
CAT = load_catalogue()
NAN = math.nan


def _run(poses, stretch=None):
    coach = Coach(options=CoachOptions(stretch=stretch))
    mc = MetricsComputer(MetricsOptions(smooth=False))
    verdicts = [
        coach.update(mc.update(figure(t_s=i / FPS, **kw)), None) for i, kw in enumerate(poses)
    ]
    holds, warnings = coach.finish()
    return verdicts, holds, warnings


def _seated(trunk_deg: float, knee_deg: float = 178.0) -> dict:
    """Sitting on the floor, legs out (+x), trunk leaning ``trunk_deg`` forward; both knees at
    ``knee_deg`` of extension."""
    bend = 180.0 - knee_deg
    return dict(
        hip=(200, 400), trunk_deg=trunk_deg, thigh_deg=(90 - bend, 90 - bend),
        shank_deg=(90, 90), wrist=(330, 380),
    )  # fmt: skip


def _seated_session(fault_knee_s: float = 0.0):
    """Sitting up 3 s, leaning in 1.5 s, (a bent knee for ``fault_knee_s``,) holding 8 s."""
    knee = 140.0 if fault_knee_s else 178.0
    sit = [_seated(2.0)] * int(3 * FPS)  # sitting up, legs out: not the stretch yet
    lean = [_seated(2.0 + 38.0 * i / (1.5 * FPS), knee) for i in range(int(1.5 * FPS))]
    bent = [_seated(40.0, knee_deg=knee)] * int(fault_knee_s * FPS)
    hold = [_seated(40.0)] * int(8 * FPS)
    up = [_seated(2.0)] * int(2 * FPS)
    return sit + lean + bent + hold + up


def _crossing_s(min_trunk: float) -> float:
    """When the lean passes ``min_trunk`` degrees of trunk inclination, seconds."""
    return 3.0 + (min_trunk - 2.0) / 38.0 * 1.5


def test_a_hold_starts_when_the_person_has_settled_into_the_position():
    verdicts, holds, _ = _run(_seated_session())
    assert verdicts[int(2 * FPS)].stretch == "seated_floor"
    assert len(holds) == 1
    h = holds[0]
    start = _crossing_s(15.0) + CAT.settle_s  # the position's lean, then the settling time
    assert h.start_s == pytest.approx(start, abs=0.15)
    assert h.end_s == pytest.approx(3 + 1.5 + 8, abs=0.15)  # when they sit up again
    assert h.valid_s == pytest.approx(h.end_s - h.start_s, abs=0.1)
    assert h.in_position_s == pytest.approx(h.valid_s, abs=0.05) and h.fault_total_s < 0.05


def test_a_hold_starts_when_the_body_comes_to_rest_in_the_position():
    # a quick lean (0.3 s), then still: the hold counts from the end of the lean, once the body
    # has been at rest for still_s (the hold is backdated to the start of the rest), not from
    # the settling time after the lean passed the position's 15 degrees
    sit = [_seated(2.0)] * int(3 * FPS)
    lean = [_seated(2.0 + 38.0 * i / (0.3 * FPS)) for i in range(int(0.3 * FPS))]
    hold = [_seated(40.0)] * int(6 * FPS)
    verdicts, holds, _ = _run(sit + lean + hold + [_seated(2.0)] * int(2 * FPS))
    assert len(holds) == 1
    h = holds[0]
    assert CAT.still_s < CAT.settle_s
    # at rest from 3.3 s (the last lean frame moves 4.2 deg, within still_deg)
    assert h.start_s == pytest.approx(3.3, abs=1.5 / FPS)
    assert h.valid_s == pytest.approx(h.end_s - h.start_s, abs=0.05)
    # the frames between the rest's start and the moment it was known were "settling"
    settling = [v.t_s for v in verdicts if v.reason == "settling"]
    assert settling and max(settling) == pytest.approx(h.start_s + CAT.still_s - 1 / FPS)


def test_a_fault_in_the_position_delays_the_start_and_is_reported_beside_valid_time():
    verdicts, holds, _ = _run(_seated_session(fault_knee_s=3.0), stretch="seated_floor")
    assert len(holds) == 1
    h = holds[0]
    # in position (knee 140 > 125) but not valid (knee rule 160): the hold waits for the form
    # (straightened at 7.5 s; the warning ends 0.5 s after the fault)
    assert h.start_s == pytest.approx(3 + 1.5 + 3.0 + 0.5, abs=0.1)
    # (the bent knees lift the thighs: the hips fold enough from 4.1 s, settled 1 s later)
    in_fault = [v for v in verdicts if 5.2 < v.t_s < 7.5]
    assert all(v.engaged and not v.valid and v.reason == "knee_bent" for v in in_fault)


def test_every_frame_that_is_not_valid_names_its_reason():
    verdicts, _, _ = _run(_seated_session())
    for v in verdicts:
        assert (v.reason is None) == v.valid, v
        if v.reason is not None:
            assert v.reason in REASONS or CAT.fault_kind(v.reason).is_form
    sitting_up = verdicts[int(2 * FPS)]
    assert sitting_up.reason == "not_in_position"
    assert "lean forward from the hips toward your toes" in sitting_up.missing
    settling = [v for v in verdicts if v.reason == "settling"]
    assert settling and sum(1 for _ in settling) / FPS == pytest.approx(CAT.settle_s, abs=0.1)


def _angles(knee=(178, 178), hip=(50, 50), raise_=(0, -3), trunk=40.0):
    return {
        "knee_extension_deg": {"left": knee[0], "right": knee[1]},
        "hip_angle_deg": {"left": hip[0], "right": hip[1]},
        "leg_raise_deg": {"left": raise_[0], "right": raise_[1]},
        "trunk_inclination_deg": trunk,
        "lumbar_flexion_deg": NAN,
    }


@pytest.mark.parametrize(
    ("stretch", "side", "angles", "missing"),
    [
        ("standing_fold", "both", _angles(hip=(98, 98), raise_=(-86, -86), trunk=82), ()),
        ("standing_fold", None, _angles(hip=(179, 177), raise_=(-89, -89), trunk=2),
         ("lean forward from the hips",)),
        ("standing_fold", "both", _angles(knee=(100, 172), hip=(98, 98), trunk=82),
         ("straighten your legs",)),
        # a heel on a low (32 cm) box: the leg is well below horizontal but clearly up
        ("standing_support", "left", _angles(hip=(95, 150), raise_=(-45, -89), trunk=25), ()),
        ("standing_support", "left", _angles(hip=(112, 173), raise_=(-25, -90), trunk=3),
         ("lean forward from the hips",)),
        ("seated_chair", "left", _angles(knee=(177, 89), hip=(97, 68), trunk=22), ()),
        ("seated_chair", "left", _angles(knee=(89, 89), hip=(91, 89), trunk=0),
         ("straighten the front leg, heel on the floor", "lean forward from the hips")),
        ("supine_raise", "right", _angles(knee=(178, 174), raise_=(-1, 71), trunk=88), ()),
        ("supine_raise", "right", _angles(knee=(178, 68), raise_=(-1, 51), trunk=88),
         ("straighten the raised knee",)),
        ("supine_wall", "left", _angles(knee=(117, 178), raise_=(34, -1), trunk=91),
         ("put the heel up the wall", "straighten the knee against the wall")),
    ],
)  # fmt: skip
def test_position_check_known_answers(stretch, side, angles, missing):
    pc = position_check(stretch, side, angles)
    assert pc.in_position == (not missing)
    assert pc.missing == missing


def test_position_check_unknown_is_not_in_position():
    pc = position_check("standing_fold", "both", _angles(trunk=NAN))
    assert not pc.in_position and pc.unknown == ("trunk_inclination_deg",) and not pc.missing


def test_position_conditions_are_catalogue_data_citing_a_seed():
    for s in CAT.stretches.values():
        assert s.engaged
        for c in s.engaged:
            assert c.missing and c.source[:3] in {"000", "001", "002", "003", "004"}


def test_settled_needs_settle_s_without_a_break():
    t = list(np.arange(0, 3, 0.5))
    assert settled(t, [True, True, False, True, True, True], 1.0) == [
        False, False, False, False, False, True,
    ]  # fmt: skip


@pytest.mark.parametrize(
    "name",
    [
        "standing_fold_good",
        "standing_support_left",
        "seated_chair_back_rounding",
        "seated_floor_bouncing",
        "supine_raise_right_knee_bent",
        "supine_wall_left",
    ],
)
def test_the_position_settles_where_the_samples_hold_begins(name):
    """On the committed samples' true angles, the position (settled) is reached within half a
    second of the acted hold phase: the definition matches what the renderer acts out."""
    truth = json.loads((ROOT / "samples" / f"{name}.truth.json").read_text())
    frames = truth["frames"]
    stretch = next(f["stretch"] for f in frames if f["stretch"])
    side = next(f["side"] for f in frames if f["side"])
    in_pos = [position_check(stretch, side, f["angles_2d"]).in_position for f in frames]
    ok = settled([f["t_s"] for f in frames], in_pos, CAT.settle_s)
    first = next(f["t_s"] for f, s in zip(frames, ok, strict=True) if s)
    hold = next(f["t_s"] for f in frames if f["phase"] == "hold")
    assert first == pytest.approx(hold, abs=0.5)
    # and nothing before the person started to move into it is in position
    assert not any(
        p for f, p in zip(frames, in_pos, strict=True) if f["phase"] in ("stand", "rest")
    )
