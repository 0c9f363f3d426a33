"""The stretch catalogue: ``catalogue.toml`` loaded into frozen dataclasses.

The TOML file is the single place where stretches, their set-up, hold targets and form rules
live, each rule citing its seed document. Settings files can override any number in it
(:func:`load_catalogue` takes an ``overrides`` mapping of the same shape); unknown keys and
values of the wrong type raise :class:`formcheck.errors.ConfigError` naming the key.
"""

from __future__ import annotations

import copy
import tomllib
from dataclasses import dataclass
from importlib import resources
from typing import Any

from formcheck.errors import ConfigError

STRETCH_IDS = (
    "standing_fold",
    "standing_support",
    "seated_floor",
    "seated_chair",
    "supine_raise",
    "supine_wall",
)

MEASURES = frozenset(
    {
        "knee_extension_deg",
        "hip_angle_deg",
        "leg_raise_deg",
        "trunk_inclination_deg",
        "legs_angle_deg",
        "hip_height_torso",
        "back_rounded",
        "bouncing",
    }
)
PER_LEG = frozenset({"knee_extension_deg", "hip_angle_deg", "leg_raise_deg"})


@dataclass(frozen=True)
class Rule:
    """One form rule: ``measure`` must lie in ``[min, max]`` (or be False for verdicts)."""

    id: str
    measure: str
    fault: str
    message: str
    source: str
    leg: str | None = None  # "working" | "other" for per-leg measures
    min: float | None = None
    max: float | None = None


@dataclass(frozen=True)
class Engaged:
    """When a person in the stretch's posture counts as *in* the stretch (holding it)."""

    measure: str
    leg: str | None = None
    min: float | None = None
    max: float | None = None


@dataclass(frozen=True)
class Stretch:
    id: str
    name: str
    posture: str
    sides: str
    sources: tuple[str, ...]
    setup: str
    engaged: tuple[Engaged, ...]  # all must hold
    hold_target_s: float
    rules: tuple[Rule, ...]


@dataclass(frozen=True)
class Catalogue:
    stretches: dict[str, Stretch]
    common_rules: tuple[Rule, ...]
    hold_target_s: float
    hold_start_s: float
    reps_per_side: int
    sessions_per_day: int
    min_hold_s: float
    exit_grace_s: float

    def __getitem__(self, stretch_id: str) -> Stretch:
        return self.stretches[stretch_id]

    def rules_for(self, stretch_id: str) -> tuple[Rule, ...]:
        return self.stretches[stretch_id].rules + self.common_rules


def _default_data() -> dict[str, Any]:
    text = resources.files("formcheck.stretches").joinpath("catalogue.toml").read_text("utf-8")
    return tomllib.loads(text)


def _merge(base: dict[str, Any], over: dict[str, Any], path: str) -> None:
    for key, value in over.items():
        where = f"{path}.{key}" if path else key
        if key not in base:
            known = ", ".join(sorted(base)) or "(none)"
            raise ConfigError(f"unknown setting '{where}' (known here: {known})")
        if isinstance(base[key], dict):
            if not isinstance(value, dict):
                raise ConfigError(f"setting '{where}' must be a table, found {value!r}")
            _merge(base[key], value, where)
            continue
        old = base[key]
        if isinstance(old, bool) or isinstance(value, bool):
            ok = isinstance(old, bool) and isinstance(value, bool)
        elif isinstance(old, int | float):
            ok = isinstance(value, int | float)
        else:
            ok = isinstance(value, type(old))
        if not ok:
            raise ConfigError(f"setting '{where}' must be a {type(old).__name__}, found {value!r}")
        base[key] = value


def _num(d: dict[str, Any], key: str, where: str) -> float | None:
    v = d.get(key)
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise ConfigError(f"'{where}.{key}' must be a number, found {v!r}")
    return float(v)


def _rule(rule_id: str, d: dict[str, Any], where: str) -> Rule:
    measure = d.get("measure")
    if measure not in MEASURES:
        raise ConfigError(f"'{where}.measure' must be one of {sorted(MEASURES)}, found {measure!r}")
    leg = d.get("leg")
    if measure in PER_LEG and leg not in ("working", "other"):
        raise ConfigError(f"'{where}.leg' must be 'working' or 'other', found {leg!r}")
    lo, hi = _num(d, "min", where), _num(d, "max", where)
    if lo is not None and hi is not None and lo > hi:
        raise ConfigError(f"'{where}': min ({lo}) is above max ({hi})")
    for key in ("fault", "message", "source"):
        if not isinstance(d.get(key), str) or not d[key]:
            raise ConfigError(f"'{where}.{key}' must be a non-empty text")
    return Rule(rule_id, measure, d["fault"], d["message"], d["source"], leg, lo, hi)


def load_catalogue(overrides: dict[str, Any] | None = None) -> Catalogue:
    """Load the built-in catalogue, with ``overrides`` (same shape as the TOML) applied."""
    data = _default_data()
    if overrides:
        data = copy.deepcopy(data)
        _merge(data, overrides, "")
    defaults = data["defaults"]
    stretches: dict[str, Stretch] = {}
    for sid, s in data["stretch"].items():
        if sid not in STRETCH_IDS:
            raise ConfigError(f"unknown stretch id '{sid}' (known: {', '.join(STRETCH_IDS)})")
        where = f"stretch.{sid}"
        raw = s["engaged"] if isinstance(s["engaged"], list) else [s["engaged"]]
        engaged = tuple(
            Engaged(e["measure"], e.get("leg"), _num(e, "min", where), _num(e, "max", where))
            for e in raw
        )
        target = _num(s, "hold_target_s", where) or float(defaults["hold_target_s"])
        if target <= 0:
            raise ConfigError(f"'{where}.hold_target_s' must be above 0, found {target}")
        rules = tuple(
            _rule(rid, r, f"{where}.rules.{rid}") for rid, r in s.get("rules", {}).items()
        )
        stretches[sid] = Stretch(
            sid, s["name"], s["posture"], s["sides"], tuple(s["sources"]), s["setup"],
            engaged, target, rules,
        )  # fmt: skip
    common = tuple(
        _rule(rid, r, f"common.rules.{rid}") for rid, r in data["common"]["rules"].items()
    )
    for key in ("min_hold_s", "exit_grace_s", "hold_start_s"):
        if float(defaults[key]) < 0:
            raise ConfigError(f"'defaults.{key}' must be 0 or more, found {defaults[key]}")
    return Catalogue(
        stretches, common, float(defaults["hold_target_s"]), float(defaults["hold_start_s"]),
        int(defaults["reps_per_side"]), int(defaults["sessions_per_day"]),
        float(defaults["min_hold_s"]), float(defaults["exit_grace_s"]),
    )  # fmt: skip
