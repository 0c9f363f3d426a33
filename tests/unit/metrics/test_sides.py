"""Left and right legs survive MediaPipe's label swaps (issue 14, item 6)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from formcheck.metrics.measures import MetricsComputer, MetricsOptions
from formcheck.metrics.sides import facing_left_away
from formcheck.pose.frame import PoseFrame
from formcheck.stretches.recognize import recognize_frame
from tests.stickfigure3d import film, pose

FPS = 30.0
_L = [23, 25, 27, 29, 31]
_R = [24, 26, 28, 30, 32]


def _mislabel(pf: PoseFrame) -> PoseFrame:
    """What MediaPipe does: the left leg's landmarks carry the right's labels and back."""
    order = np.arange(33)
    order[_L + _R] = _R + _L
    return dataclasses.replace(
        pf, xy=pf.xy[order], z=pf.z[order], visibility=pf.visibility[order],
        presence=pf.presence[order], world=pf.world[order],
    )  # fmt: skip


def _clip(poses, azimuth, swapped_frames=()):
    """Frames of a clip; ``swapped_frames``: indices whose leg labels MediaPipe swapped."""
    frames = []
    for i, p in enumerate(poses):
        sway = 0.01 * np.sin(2 * np.pi * 0.5 * i / FPS)  # a little movement, as people sway
        pf = film(p + np.array([sway, 0.0, 0.0]), azimuth, t_s=i / FPS)
        frames.append(_mislabel(pf) if i in swapped_frames else pf)
    return frames


def _run(frames, fix=True):
    mc = MetricsComputer(MetricsOptions(smooth=True, fix_leg_swaps=fix))
    out = []
    for pf in frames:
        m = mc.update(pf)
        out.append((m, recognize_frame(m)))
    return out


@pytest.mark.parametrize("azimuth", [90, -90, 45, 0])
def test_a_few_swapped_frames_do_not_change_the_leg_or_its_measures(azimuth):
    poses = [pose("standing_support", "left", support_m=0.3)] * 60
    truth = _run(_clip(poses, azimuth))
    swapped = set(range(20, 30))
    got = _run(_clip(poses, azimuth, swapped))
    for i, ((m, r), (mt, _)) in enumerate(zip(got, truth, strict=True)):
        assert (r.stretch, r.side) == ("standing_support", "left"), i
        assert m.legs_swapped == (i in swapped), i
        np.testing.assert_allclose(m.knee_extension_deg, mt.knee_extension_deg, atol=0.5)
        np.testing.assert_allclose(m.leg_raise_deg, mt.leg_raise_deg, atol=0.5)


def test_without_the_fix_the_swap_flips_the_leg():
    # the failure the tracker removes (MediaPipe's labels taken as they come)
    poses = [pose("standing_support", "left", support_m=0.3)] * 40
    got = _run(_clip(poses, 90, set(range(20, 30))), fix=False)
    assert {r.side for _, r in got[21:29]} == {"right"}


@pytest.mark.parametrize("azimuth", [90, -90])
def test_a_clip_swapped_from_the_start_is_put_right_by_the_near_leg(azimuth):
    # side-on, the near leg (depth) and the way the body faces say which leg is which
    poses = [pose("seated_chair", "left", seat_m=0.45)] * 75
    got = _run(_clip(poses, azimuth, set(range(75))))
    late = [r.side for _, r in got[40:]]  # after the 1 s anchor
    assert set(late) == {"left"}


def test_a_real_change_of_leg_is_followed():
    # the person moves the support from the left heel to the right one over a second:
    # the legs move continuously, so this is no swap
    a = pose("standing_support", "left", support_m=0.3)
    b = pose("standing_support", "right", support_m=0.3)
    mid = pose("standing_support", "left", support_m=0.0)
    poses = [a] * 30
    poses += [a + (mid - a) * k / 15 for k in range(1, 16)]
    poses += [mid + (b - mid) * k / 15 for k in range(1, 16)]
    poses += [b] * 30
    got = _run(_clip(poses, 90))
    assert not any(m.legs_swapped for m, _ in got)
    assert got[10][1].side == "left" and got[-1][1].side == "right"


def test_facing_tells_which_side_is_toward_the_camera():
    p = pose("standing_support", "left")
    # camera on the person's left (azimuth 90): the left side is near -> negative
    assert facing_left_away(film(p, 90).xy) < -0.6
    assert facing_left_away(film(p, -90).xy) > 0.6
    assert abs(facing_left_away(film(p, 0).xy)) < 0.6
