"""The trunk's lean is the same whichever way the camera looks at the body.

A forward lean toward or away from the camera does not tilt the trunk line in the picture, so
in front, back and oblique views the inclination comes from the world landmarks (issue 14: a
heel on a support filmed from behind never counted as "leaning forward", so no hold started).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from formcheck.metrics import geometry as g
from formcheck.metrics.measures import MetricsComputer, MetricsOptions
from tests.stickfigure3d import direction, film, pose, skeleton

STAND_H = 0.42 + 0.41 + 0.07


@pytest.mark.parametrize("azimuth_deg", [0, 30, 45, 90, 135, 180, -45, -90])
@pytest.mark.parametrize("lean_deg", [0, 25, 45, 70])
def test_trunk_inclination_from_any_azimuth(azimuth_deg: float, lean_deg: float) -> None:
    down = direction(-90)
    p = skeleton(STAND_H, direction(90 - lean_deg), (down, down), (down, down))
    m = MetricsComputer(MetricsOptions(smooth=False)).update(film(p, azimuth_deg))
    assert m.trunk_inclination_deg == pytest.approx(lean_deg, abs=4.0), m.view


def test_the_support_stretch_leans_forward_seen_from_behind() -> None:
    m = MetricsComputer(MetricsOptions(smooth=False)).update(film(pose("standing_support"), 180))
    assert m.view == "front"  # front and back are one view class
    assert m.trunk_inclination_deg == pytest.approx(25.0, abs=4.0)


def test_inclination_3d_known_answers() -> None:
    assert g.inclination_from_vertical_3d([0, 0, 0], [0, -1, 0]) == pytest.approx(0.0)
    assert g.inclination_from_vertical_3d([0, 0, 0], [0, 0, 1]) == pytest.approx(90.0)
    assert g.inclination_from_vertical_3d([0, 0, 0], [0, -1, -1]) == pytest.approx(45.0)
    assert g.inclination_from_vertical_3d([0, 0, 0], [1, 1, 0]) == pytest.approx(135.0)
    assert math.isnan(g.inclination_from_vertical_3d([0, 0, 0], [np.nan, -1, 0]))
    assert math.isnan(g.inclination_from_vertical_3d([0, 0, 0], [0, 0, 0]))


@pytest.mark.parametrize(
    ("azimuth_deg", "behind"),
    [(0, False), (20, False), (-30, False), (180, True), (160, True), (-150, True)],
)
def test_a_view_of_the_back_is_told_from_a_view_of_the_front(azimuth_deg, behind) -> None:
    m = MetricsComputer(MetricsOptions(smooth=False)).update(
        film(pose("standing_support"), azimuth_deg)
    )
    assert m.view in ("front", "oblique")
    assert m.from_behind is behind


@pytest.mark.parametrize("azimuth_deg", [90, -90])
def test_side_views_are_never_from_behind(azimuth_deg) -> None:
    m = MetricsComputer(MetricsOptions(smooth=False)).update(
        film(pose("standing_support"), azimuth_deg)
    )
    assert m.view == "side" and m.from_behind is False
