"""Tests of guided-session plans: the seeds' defaults, the example file, and errors that name
the key."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from formcheck.errors import ConfigError
from formcheck.live.plan import apply_cli_to_plan, default_plan, load_plan, parse_plan

REPO = Path(__file__).resolve().parents[3]


def test_default_plan_follows_the_seeds() -> None:
    p = default_plan()
    assert (p.reps, p.sides, p.hold_s) == (3, ("right", "left"), None)
    assert default_plan("standing_support").hold_s == 30.0
    assert default_plan("standing_fold").sides == ("both",)
    assert default_plan("supine_wall").hold_s == 20.0
    assert default_plan("seated_chair", "left").sides == ("left",)


def test_example_plan_parses() -> None:
    p = load_plan(REPO / "docs" / "plan.example.toml")
    assert p.stretch == "standing_support" and p.reps == 3 and p.sides == ("right", "left")
    assert [ph.name for ph in p.pnf] == ["stretch", "contract", "relax", "further"]
    assert p.hold_s == 40.0 and p.rest_s == 10.0


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"reps": 0}, "reps"),
        ({"reps": 2.5}, "reps"),
        ({"hold_s": "thirty"}, "hold_s"),
        ({"hold_s": -5}, "hold_s"),
        ({"rest_s": math.inf}, "rest_s"),
        ({"sides": ["up"]}, "sides"),
        ({"sides": ["left", "left"]}, "sides"),
        ({"sides": []}, "sides"),
        ({"stretch": "toe_touch"}, "stretch"),
        ({"stretch": "standing_fold", "sides": ["right", "left"]}, "sides"),
        ({"stretch": "seated_chair", "sides": ["both"]}, "sides"),
        ({"reeps": 3}, "reeps"),
        ({"pnf": {"contract_s": 0}}, "pnf.contract_s"),
        ({"pnf": {"hold": 3}}, "hold"),
        ({"pnf": {}, "hold_s": 30}, "hold_s"),
        ({"pnf": "yes"}, "pnf"),
    ],
)
def test_bad_plans_name_the_key(data: dict[str, object], key: str) -> None:
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        parse_plan(data)


def test_plan_file_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_plan(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("reps = = 3\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_plan(bad)


def test_cli_flags_override_the_plan() -> None:
    p = parse_plan({"sides": ["right", "left"], "reps": 2})
    assert apply_cli_to_plan(p, "standing_fold", None).sides == ("both",)
    assert apply_cli_to_plan(p, None, "left").sides == ("left",)
