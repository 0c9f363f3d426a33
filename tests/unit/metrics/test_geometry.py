import math

import numpy as np
import pytest

from formcheck.metrics import geometry as g
from formcheck.metrics.measures import (
    MetricsComputer,
    MetricsOptions,
    body_yaw_deg,
    classify_view,
)
from tests.stickfigure import figure, hip_angle, knee_ext


def test_joint_angle_right_angle_and_straight():
    assert g.joint_angle([0, 1], [0, 0], [1, 0]) == pytest.approx(90.0)
    assert g.joint_angle([0, 1], [0, 0], [0, -1]) == pytest.approx(180.0)
    assert g.joint_angle([1, 1, 0], [0, 0, 0], [1, 0, 0]) == pytest.approx(45.0)


def test_joint_angle_nan_in_nan_out_never_zero():
    assert math.isnan(g.joint_angle([np.nan, 1], [0, 0], [1, 0]))
    assert math.isnan(g.joint_angle([0, 0], [0, 0], [1, 0]))  # zero-length ray


def test_joint_angle_broadcasts():
    a = np.array([[0, 1], [0, 1]])
    b = np.zeros((2, 2))
    c = np.array([[1, 0], [0, -1]])
    np.testing.assert_allclose(g.joint_angle(a, b, c), [90, 180])


def test_point_angle_is_joint_angle_bit_for_bit():
    # the per-frame measures take point_angle: it must give joint_angle's very numbers
    rng = np.random.default_rng(7)
    for dim in (2, 3):
        for i in range(3000):
            a, b, c = rng.normal(size=(3, dim)) * 10 ** rng.uniform(-4, 4)
            if i % 5 == 1:  # nearly straight
                c = b + (a - b) * rng.uniform(-2, 2) + rng.normal(size=dim) * 1e-9
            elif i % 5 == 2:  # pixels
                a, b, c = np.round(a), np.round(b), np.round(c)
            elif i % 5 == 3:
                c = b.copy()  # zero-length ray
            elif i % 5 == 4:
                a[i % dim] = np.nan
            want, got = g.joint_angle(a, b, c), g.point_angle(a, b, c)
            assert got == want or (math.isnan(got) and math.isnan(want)), (a, b, c)
    assert g.point_angle([0, 1], [0, 0], [1, 0]) == 90.0
    assert g.point_angle((1.0, 1.0, 0.0), (0.0, 0.0, 0.0), (1.0, 0.0, 0.0)) == pytest.approx(45.0)


@pytest.mark.parametrize(
    ("lower", "upper", "expected"),
    [((0, 0), (0, -10), 0.0), ((0, 0), (10, 0), 90.0), ((0, 0), (-10, 10), 135.0)],
)
def test_inclination_from_vertical_image_coordinates(lower, upper, expected):
    assert g.inclination_from_vertical(lower, upper) == pytest.approx(expected)


def test_leg_raise_conventions():
    # lying on the back, head at -x: shoulder_mid left of hip_mid
    sm, hm = (100, 300), (200, 300)
    assert g.leg_raise_angle(hm, (300, 300), sm, hm) == pytest.approx(0.0)  # flat on the floor
    assert g.leg_raise_angle(hm, (200, 200), sm, hm) == pytest.approx(90.0)  # vertical
    assert g.leg_raise_angle(hm, (150, 220), sm, hm) > 90.0  # past vertical toward the head
    # standing: leg straight down
    assert g.leg_raise_angle((0, 100), (0, 200), (0, 0), (0, 100)) == pytest.approx(-90.0)


@pytest.mark.parametrize(
    ("trunk", "thigh", "shank"),
    [(0, 0, 0), (60, 0, 0), (0, 90, 0), (-90, 90, 90), (-90, 150, 180), (20, 10, -20)],
)
def test_metrics_on_stick_figures_match_construction(trunk, thigh, shank):
    pose = figure(trunk_deg=trunk, thigh_deg=(thigh, thigh), shank_deg=(shank, shank))
    m = MetricsComputer(MetricsOptions(smooth=False)).update(pose)
    assert m.person
    np.testing.assert_allclose(m.knee_extension_deg, knee_ext(thigh, shank), atol=1e-6)
    expected_hip = hip_angle(trunk, thigh)
    np.testing.assert_allclose(m.hip_angle_deg, expected_hip, atol=1e-6)
    assert m.trunk_inclination_deg == pytest.approx(abs(trunk), abs=1e-6)
    assert m.view == "side"


def test_nobody_gives_nan_not_zero():
    from formcheck.pose.frame import PoseFrame

    m = MetricsComputer().update(PoseFrame.empty(0.0, 640, 480))
    assert not m.person
    assert np.isnan(m.knee_extension_deg).all()
    assert math.isnan(m.trunk_inclination_deg)
    assert m.view is None


def test_invisible_leg_is_nan():
    pose = figure(thigh_deg=(90, 90), shank_deg=(90, 90))
    vis = pose.visibility.copy()
    vis[[24, 26, 28]] = 0.1  # right leg hidden
    from dataclasses import replace

    m = MetricsComputer(MetricsOptions(smooth=False)).update(replace(pose, visibility=vis))
    assert math.isfinite(m.knee_extension_deg[0])
    assert math.isnan(m.knee_extension_deg[1])


def test_out_of_frame_legs_are_reported():
    pose = figure(hip=(320, 420))  # ankles below the bottom edge (y > 480)
    m = MetricsComputer(MetricsOptions(smooth=False)).update(pose)
    assert not m.in_frame
    assert "left_ankle" in m.out_of_frame
    assert math.isnan(m.knee_extension_deg[0])


def test_view_classification():
    o = MetricsOptions()
    assert classify_view(90, o) == "side"
    assert classify_view(5, o) == "front"
    assert classify_view(45, o) == "oblique"
    assert classify_view(float("nan"), o) is None


@pytest.mark.parametrize(
    ("left_to_right", "yaw", "view"),
    [
        ((-1, 0, 0), 0.0, "front"),  # facing the camera
        ((1, 0, 0), 0.0, "front"),  # facing away: the same yaw, not told apart
        ((0, 0, 1), 90.0, "side"),
        ((0, 0, -1), 90.0, "side"),
        ((-1, 0, 1), 45.0, "oblique"),
    ],
)
def test_body_yaw_is_0_to_90_and_classifies(left_to_right, yaw, view):
    """The yaw the measurement produces (world landmarks, metres) and the view it gives."""
    axis = np.asarray(left_to_right, float) / np.linalg.norm(left_to_right)
    world = np.full((33, 3), np.nan)
    for left, right, height_m in (
        (g.LEFT_HIP, g.RIGHT_HIP, 0.0),
        (g.LEFT_SHOULDER, g.RIGHT_SHOULDER, -0.5),
    ):
        world[left] = -0.15 * axis + (0, height_m, 0)
        world[right] = 0.15 * axis + (0, height_m, 0)
    got = body_yaw_deg(world, np.full((33, 2), np.nan))
    assert got == pytest.approx(yaw, abs=1e-9)
    assert classify_view(got, MetricsOptions()) == view
