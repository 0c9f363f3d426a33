"""Tests of what a live session says: one prompt at a time, the plan's during rests."""

from __future__ import annotations

from types import SimpleNamespace

from formcheck.live.guide import GuidedSession
from formcheck.live.plan import Plan
from formcheck.live.prompts import LIVE_PROMPTS, choose_prompt


def test_choose_prompt_shows_one_prompt_with_plan_first_in_rests() -> None:
    v = SimpleNamespace(warnings=("bouncing", "knee_bent"), person=True, engaged=True)
    assert choose_prompt(v, None) == ("Straighten your knee", "warn")  # type: ignore[arg-type]
    rest = GuidedSession(Plan(reps=2))
    rest.next_step(0.0)
    assert choose_prompt(v, rest.guidance())[0] == "Rest"  # type: ignore[arg-type]
    assert LIVE_PROMPTS["back_rounding"].startswith("Lift your chest and hinge at the hips")
    assert LIVE_PROMPTS["not_side_view"] == "Turn sideways to the camera"


def test_no_prompt_without_a_person_and_get_into_the_stretch_when_out_of_it() -> None:
    assert choose_prompt(None, None) == (None, "info")
    v = SimpleNamespace(warnings=(), person=True, engaged=False)
    assert choose_prompt(v, None) == ("Get into the stretch", "info")  # type: ignore[arg-type]


def test_out_of_the_position_the_prompt_says_what_is_missing() -> None:
    v = SimpleNamespace(
        warnings=(), person=True, engaged=False, stretch="standing_support",
        missing=("lean forward from the hips",),
    )  # fmt: skip
    assert choose_prompt(v, None) == (  # type: ignore[arg-type]
        "Not in position yet: Lean forward from the hips",
        "info",
    )
