import pytest

from formcheck.metrics.measures import MetricsComputer, MetricsOptions
from formcheck.stretches.recognize import LabelSmoother, recognize_frame
from tests.stickfigure import figure

POSES = {
    # name: (figure kwargs, expected stretch, expected side)
    "standing_fold": (dict(hip=(320, 200), trunk_deg=80), "standing_fold", "both"),
    # standing upright is no stretch (issue 14, item 2)
    "standing_upright": (dict(hip=(320, 200), trunk_deg=0), None, None),
    "standing_support_left": (
        dict(hip=(320, 200), trunk_deg=30, thigh_deg=(80, 0), shank_deg=(85, 0)),
        "standing_support",
        "left",
    ),
    "standing_support_right": (
        dict(hip=(320, 200), trunk_deg=30, thigh_deg=(0, 80), shank_deg=(0, 85)),
        "standing_support",
        "right",
    ),
    "seated_chair_left": (
        dict(hip=(320, 330), trunk_deg=20, thigh_deg=(70, 90), shank_deg=(60, 0)),
        "seated_chair",
        "left",
    ),
    "seated_floor_both": (
        dict(hip=(320, 400), trunk_deg=50, thigh_deg=(90, 90), shank_deg=(90, 90)),
        "seated_floor",
        "both",
    ),
    "seated_floor_right_one_leg": (
        dict(hip=(320, 400), trunk_deg=40, thigh_deg=(60, 90), shank_deg=(150, 90)),
        "seated_floor",
        "right",
    ),
    "supine_raise_left": (
        dict(
            hip=(320, 400), trunk_deg=-90, thigh_deg=(170, 90), shank_deg=(175, 90),
            wrist=(336, 311),
        ),
        "supine_raise",
        "left",
    ),
    "supine_wall_right": (
        dict(
            hip=(320, 400), trunk_deg=-90, thigh_deg=(90, 180), shank_deg=(90, 180),
            wrist=(300, 400),
        ),
        "supine_wall",
        "right",
    ),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(POSES))
def test_recognizes_each_stretch_and_leg(name):
    kwargs, stretch, side = POSES[name]
    m = MetricsComputer(MetricsOptions(smooth=False)).update(figure(**kwargs))
    r = recognize_frame(m)
    assert (r.stretch, r.side) == (stretch, side)


def test_lying_flat_is_no_stretch():
    kw = dict(hip=(320, 400), trunk_deg=-90, thigh_deg=(90, 90), shank_deg=(90, 90))
    m = MetricsComputer(MetricsOptions(smooth=False)).update(figure(**kw))
    r = recognize_frame(m)
    assert r.stretch is None
    assert r.posture == "lying"


def test_label_smoother_ignores_blips_and_switches_after_hold():
    s = LabelSmoother(window_s=1.0, hold_s=0.6)
    t = 0.0
    for _ in range(30):
        assert s.update(t, "a") == "a"
        t += 1 / 30
    # a 0.2 s blip does not switch
    for _ in range(6):
        assert s.update(t, "b") == "a"
        t += 1 / 30
    for _ in range(30):
        s.update(t, "a")
        t += 1 / 30
    # a lasting change switches within about a second
    switched_at = None
    start = t
    for _ in range(60):
        if s.update(t, "b") == "b" and switched_at is None:
            switched_at = t
        t += 1 / 30
    assert switched_at is not None
    assert switched_at - start <= 1.2
