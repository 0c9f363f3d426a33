"""Tests of the guided session's state machine: reps, rests, sides, keys and PNF phases, driven
by hold states with known times (no model, no clock)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from formcheck.live.guide import PROMPT_REST, PROMPT_SWITCH, GuidedSession
from formcheck.live.plan import Plan, default_plan, parse_plan
from formcheck.stretches.timer import HoldState


def _v(active: bool = False, done: bool = False, side: str | None = "right", valid_s: float = 0.0):
    hold = HoldState(active, "standing_support", side, 1, valid_s, valid_s, 30.0, done)
    return SimpleNamespace(hold=hold, side=side)


def test_guided_session_walks_reps_rests_and_sides() -> None:
    plan = Plan(stretch="standing_support", sides=("right", "left"), reps=2, rest_s=10, switch_s=5)
    s = GuidedSession(plan)
    g = s.update(0.0, _v())
    assert g.step == "hold" and g.headline == "Right leg, rep 1 of 2: get into the stretch"
    assert s.update(1.0, _v(active=True)).headline == "Right leg, rep 1 of 2: hold it"
    g = s.update(31.0, _v(active=True, done=True, valid_s=30))
    assert g.step == "rest" and g.prompt == PROMPT_REST and "rep_done" in g.events
    assert g.completed == {"right": 1, "left": 0}
    g = s.update(35.0, _v(active=True, valid_s=34))  # resting
    assert g.step == "rest" and g.remaining_s == pytest.approx(6.0)
    g = s.update(41.0, _v())
    assert g.step == "hold" and g.rep == 2 and "new_rep" in g.events
    assert g.headline == "Right leg, rep 2 of 2: get into the stretch"
    g = s.update(70.0, _v(active=True, done=True, valid_s=30))
    assert g.step == "switch" and g.prompt == PROMPT_SWITCH and "side_changed" in g.events
    assert g.side == "left"
    g = s.update(75.0, _v(side="left"))
    assert g.step == "hold" and g.headline == "Left leg, rep 1 of 2: get into the stretch"
    # a hold completed on the wrong leg does not count
    g = s.update(80.0, _v(active=True, done=True, side="right", valid_s=30))
    assert g.step == "hold" and g.completed["left"] == 0
    s.update(110.0, _v(active=True, done=True, side="left", valid_s=30))
    s.update(120.0, _v(side="left"))
    g = s.update(150.0, _v(active=True, done=True, side="left", valid_s=30))
    assert g.done and g.completed == {"right": 2, "left": 2} and "done" in g.events
    assert s.as_report()["finished"] is True


def test_guided_session_keys_and_pause() -> None:
    plan = Plan(stretch="seated_chair", sides=("right", "left"), reps=3, rest_s=10)
    s = GuidedSession(plan)
    s.update(0.0, _v())
    s.restart(1.0)
    g = s.guidance()
    assert g.rep == 1 and "new_rep" in g.events  # same rep, a fresh hold
    s.next_step(2.0)  # skip rep 1 (not counted) -> rest
    assert s.guidance().step == "rest" and s.completed["right"] == 0
    s.pause(3.0)
    s.resume(13.0)  # 10 s of pause do not count as rest
    assert s.update(13.5, _v()).step == "rest"
    assert s.update(22.1, _v()).step == "hold"
    s.switch_side(23.0)
    g = s.guidance()
    assert g.side == "left" and g.rep == 1 and "side_changed" in g.events


def test_guided_session_pnf_phases_follow_valid_hold_time() -> None:
    plan = parse_plan({"stretch": "standing_support", "sides": ["right"], "pnf": True})
    s = GuidedSession(plan)
    phases = [s.update(t, _v(active=True, valid_s=t)).phase for t in (1.0, 12.0, 25.0, 35.0)]
    assert phases == ["stretch", "contract", "relax", "further"]
    assert "heel down" in s.update(12.0, _v(active=True, valid_s=12.0)).prompt


def test_unchosen_sides_follow_a_two_legged_stretch() -> None:
    s = GuidedSession(default_plan())
    g = s.update(0.0, _v(side="both"))
    assert g.side == "both" and g.headline.startswith("Rep 1 of 3")
    s = GuidedSession(default_plan())
    g = s.update(0.0, _v(side="left", active=True))
    assert g.side == "left" and g.headline == "Left leg, rep 1 of 3: hold it"
    s.update(31.0, _v(side="left", active=True, done=True, valid_s=30))
    assert s.update(32.0, _v(side="right")).completed == {"left": 1, "right": 0}
    fixed = GuidedSession(parse_plan({"sides": ["right", "left"]}))
    assert fixed.update(0.0, _v(side="left", active=True)).side == "right"
