"""How to get into a stretch, in steps, and how its rules read in words (for people, not code).

The catalogue keeps each stretch's ``setup`` as one text; :func:`setup_steps` cuts it into the
numbered steps that ``formcheck stretches NAME``, the report page and the live start screen show.
:func:`rule_limit` and :func:`condition_text` word a rule's or a position condition's limits.
"""

from __future__ import annotations

import re

from formcheck.stretches.catalogue import Engaged, Rule, Stretch

# a step ends with a sentence, a semicolon or ", then"
_STEP_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z(])|;\s+|,\s+then\s+")

_MEASURE_WORDS = {
    "knee_extension_deg": "knee angle",
    "hip_angle_deg": "hip angle",
    "leg_raise_deg": "leg raise",
    "trunk_inclination_deg": "trunk lean",
    "legs_angle_deg": "angle between the legs",
    "hip_height_torso": "hip height (torso lengths)",
    "back_rounded": "back rounding",
    "bouncing": "bouncing",
}


def setup_steps(stretch: Stretch) -> tuple[str, ...]:
    """The stretch's set-up text as steps (a sentence, or a part that ``;`` or ``, then`` ends),
    each starting with a capital; empty when it has none."""
    text = " ".join(stretch.setup.split())
    steps = (s.strip() for s in _STEP_END.split(text))
    return tuple(s[0].upper() + s[1:] + ("" if s[-1] in ".!?" else ".") for s in steps if s)


def measure_words(measure: str, leg: str | None = None) -> str:
    """``"knee angle (working leg)"`` for ``knee_extension_deg`` of the working leg."""
    words = _MEASURE_WORDS.get(measure, measure)
    return f"{words} ({leg} leg)" if leg else words


def _limits(measure: str, lo: float | None, hi: float | None) -> str:
    unit = "" if measure.endswith("_torso") else " deg"
    if lo is not None and hi is not None:
        return f"{lo:g} to {hi:g}{unit}"
    if lo is not None:
        return f"at least {lo:g}{unit}"
    if hi is not None:
        return f"at most {hi:g}{unit}"
    return ""


def rule_limit(rule: Rule) -> str:
    """What a rule asks, in words: ``"knee angle (working leg) at least 150 deg"``."""
    if rule.measure in ("back_rounded", "bouncing"):
        return f"no {measure_words(rule.measure)}"
    return f"{measure_words(rule.measure, rule.leg)} {_limits(rule.measure, rule.min, rule.max)}"


def condition_text(cond: Engaged) -> str:
    """A position condition in words: ``"trunk lean at least 45 deg"``."""
    return f"{measure_words(cond.measure, cond.leg)} {_limits(cond.measure, cond.min, cond.max)}"
