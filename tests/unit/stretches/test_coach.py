"""Tests of the coach: recognition, rules, warnings and holds on synthetic stick figures."""

import pytest

from formcheck.metrics.measures import MetricsComputer, MetricsOptions
from formcheck.stretches.catalogue import load_catalogue
from formcheck.stretches.coach import Coach, CoachOptions, rules_table
from tests.stickfigure import figure

FPS = 30.0


def test_every_rule_cites_a_seed():
    for sid, rule in rules_table():
        assert rule.source[:3] in {"000", "001", "002", "003", "004"}, (sid, rule.id)
    cat = load_catalogue()
    for s in cat.stretches.values():
        assert s.sources and all(x in {"000", "001", "002", "003", "004"} for x in s.sources)


def _coach_run(frames_kwargs, stretch=None, side=None):
    coach = Coach(options=CoachOptions(stretch=stretch, side=side))
    mc = MetricsComputer(MetricsOptions(smooth=False))
    verdicts = []
    for i, kw in enumerate(frames_kwargs):
        pose = figure(t_s=i / FPS, **kw)
        verdicts.append(coach.update(mc.update(pose), None))
    holds, warnings = coach.finish()
    return verdicts, holds, warnings


RAISE = dict(hip=(320, 400), trunk_deg=-90, wrist=(336, 311))


def test_supine_raise_knee_bent_warns_quickly_and_pauses_the_hold():
    good = dict(RAISE, thigh_deg=(170, 90), shank_deg=(175, 90))
    bent = dict(RAISE, thigh_deg=(170, 90), shank_deg=(130, 90))  # knee 140 < 155
    seq = [good] * int(6 * FPS) + [bent] * int(3 * FPS) + [good] * int(4 * FPS)
    verdicts, holds, warnings = _coach_run(seq)
    assert verdicts[int(3 * FPS)].stretch == "supine_raise"
    assert verdicts[int(3 * FPS)].side == "left"
    knee = [w for w in warnings if w.kind == "knee_bent"]
    assert len(knee) == 1
    assert knee[0].start_s - 6.0 <= 0.5  # onset within 0.5 s of the fault
    assert len(holds) == 1
    # valid = 13 s in position (at rest from the start: settled after 0.5 s, the hold backdated
    # to the start of the rest) - 3 s fault + 0.25 s before the warning - 0.5 s after it; the
    # fault time is reported beside it
    assert holds[0].start_s == pytest.approx(0.0, abs=0.1)
    assert holds[0].valid_s == pytest.approx(13 - 3 + 0.25 - 0.5, abs=0.1)
    assert holds[0].in_position_s == pytest.approx(13, abs=0.1)
    assert holds[0].fault_total_s == pytest.approx(3 - 0.25 + 0.5, abs=0.1)


def test_supine_wall_rules_other_leg_and_90_degrees():
    wall = dict(hip=(320, 400), trunk_deg=-90, wrist=(300, 400))
    good = dict(wall, thigh_deg=(90, 180), shank_deg=(90, 180))
    other_up = dict(wall, thigh_deg=(130, 180), shank_deg=(130, 180))  # other leg raised 40
    verdicts, _, warnings = _coach_run([good] * 90 + [other_up] * 60)
    assert verdicts[60].stretch == "supine_wall"
    kinds = {w.kind for w in warnings}
    assert "other_leg_lifted" in kinds
    assert "legs_not_90" in kinds


def test_forced_stretch_and_side():
    fold = dict(hip=(320, 200), trunk_deg=80)
    verdicts, _, _ = _coach_run([fold] * 10, stretch="seated_floor", side="right")
    assert verdicts[-1].stretch == "seated_floor"
    assert verdicts[-1].side == "right"


def test_nobody_warns_after_a_second():
    from formcheck.pose.frame import PoseFrame

    coach = Coach()
    mc = MetricsComputer()
    for i in range(60):
        coach.update(mc.update(PoseFrame.empty(i / FPS, 640, 480)), None)
    _, warnings = coach.finish()
    assert [w.kind for w in warnings] == ["no_person"]
    assert warnings[0].start_s == pytest.approx(1.25, abs=0.1)


def test_rests_and_side_switches_are_events():
    from formcheck.report.summary import session_events

    holds = [
        {"stretch": "supine_raise", "side": "left", "start_s": 1.0, "end_s": 31.0},
        {"stretch": "supine_raise", "side": "left", "start_s": 41.0, "end_s": 71.0},
        {"stretch": "supine_raise", "side": "right", "start_s": 80.0, "end_s": 110.0},
    ]
    ev = session_events(holds)
    assert [e["kind"] for e in ev] == ["rest", "rest", "switch_side"]
    assert ev[0]["duration_s"] == 10.0
    assert ev[2]["from"] == "left" and ev[2]["to"] == "right"


def test_back_judge_uses_the_persons_own_baseline():
    from formcheck.metrics.lumbar import BackRoundingJudge, LumbarCalibration

    judge = BackRoundingJudge(LumbarCalibration(hysteresis_deg=2.0))
    t = [i / 30 for i in range(300)]
    # a build whose neutral back reads 24 degrees: never "rounded" while it stays there
    assert not any(judge.update(ti, 24.0, True, "chair_sitting") for ti in t[:150])
    # rounding: 18 degrees above their own baseline -> rounded
    assert judge.update(t[150], 42.0, True, "chair_sitting") is True
    # back to neutral: off again (hysteresis)
    assert judge.update(t[151], 25.0, True, "chair_sitting") is False
    # not judgeable -> None
    assert judge.update(t[152], 50.0, False, "chair_sitting") is None


def test_back_judge_absolute_limit_without_baseline():
    from formcheck.metrics.lumbar import BackRoundingJudge, LumbarCalibration

    judge = BackRoundingJudge(LumbarCalibration(hysteresis_deg=2.0))
    assert judge.update(0.0, 30.0, True, "standing") is False  # a photo: one frame
    judge.reset()
    assert judge.update(0.0, 40.0, True, "standing") is True


def test_coach_public_controls_for_live_sessions():
    """Live sessions steer the coach through its public methods only."""
    good = dict(RAISE, thigh_deg=(170, 90), shank_deg=(175, 90))  # left leg raised
    bent = dict(RAISE, thigh_deg=(170, 90), shank_deg=(130, 90))
    coach = Coach(hold_target_s=5.0)
    mc = MetricsComputer(MetricsOptions(smooth=False))
    t = 0.0

    def run(n, **kw):
        nonlocal t
        out = []
        for _ in range(n):
            out.append(coach.update(mc.update(figure(t_s=t, **kw)), None))
            t += 1 / FPS
        return out

    run(int(4 * FPS), **good)
    assert coach.warnings_started == 0
    run(int(1 * FPS), **bent)
    assert coach.warnings_started == 1  # knee_bent started
    coach.end_hold()  # the next engaged frame starts rep 2
    v = run(int(4 * FPS), **good)[-1]
    assert v.hold.rep == 2 and v.hold.target_s == 5.0
    coach.force_side("right")
    assert run(1, **good)[-1].side == "right"
    coach.force_side(None)
    assert run(int(1 * FPS), **good)[-1].side == "left"
    holds, warnings = coach.finish()
    assert [h.rep for h in holds] == [1, 2] and {h.target_s for h in holds} == {5.0}
    assert [w.kind for w in warnings] == ["knee_bent"]
