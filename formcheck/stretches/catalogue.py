"""The stretch catalogue: ``catalogue.toml`` loaded into frozen dataclasses.

The TOML file is the single place where stretches, their set-up, hold targets and form rules
live, each rule citing its seed document, and where every fault kind (warning) is described:
its label, category (``"form"`` or ``"setup"``), priority, on-screen message, spoken prompt,
tone and seed citation (:class:`FaultKind`, parsed in :mod:`formcheck.stretches.faults` and
re-exported here). The coach, the live window and its audio, the overlay, the report page, the
CSV and the history read the fault kinds from here (:func:`fault_kind`,
:func:`faults_by_priority`); no other module keeps a table of them.

Settings files can override any number of the stretches and defaults (:func:`load_catalogue`
takes an ``overrides`` mapping of the same shape); unknown keys, values of the wrong type and
overrides of the fault kinds raise :class:`formcheck.errors.ConfigError` naming the key.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from formcheck.errors import ConfigError
from formcheck.stretches.faults import (
    _SEED,
    FAULT_CATEGORIES,
    TONES,
    UNKNOWN_PRIORITY,
    FaultKind,
    _builtin_data,
    _text,
    fault_kind,
    fault_kinds,
    faults_by_priority,
    kinds_of,
    most_important,
    parse_fault_kinds,
    unknown_fault,
)

__all__ = [
    "FAULT_CATEGORIES",
    "MEASURES",
    "PER_LEG",
    "POSITION_MEASURES",
    "STRETCH_IDS",
    "TONES",
    "UNKNOWN_PRIORITY",
    "BounceSpec",
    "Catalogue",
    "Engaged",
    "FaultKind",
    "Rule",
    "Stretch",
    "fault_kind",
    "fault_kinds",
    "faults_by_priority",
    "kinds_of",
    "load_catalogue",
    "most_important",
    "parse_fault_kinds",
    "unknown_fault",
]

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
    """One condition of a stretch's position (``[[stretch.ID.position]]``): when a person in
    the stretch's posture counts as *in* the stretch (see :mod:`formcheck.stretches.position`).

    ``missing`` is what to tell the person when the condition fails ("lean forward from the
    hips"); ``source`` cites the seed the condition comes from.
    """

    measure: str
    leg: str | None = None
    min: float | None = None
    max: float | None = None
    missing: str = ""
    source: str = ""


@dataclass(frozen=True)
class BounceSpec:
    """What counts as bouncing (``[bouncing]``): a repeated swing of the hip angle.

    A swing of at least ``min_amplitude_deg`` (half the peak-to-peak, degrees) at a rate from
    ``min_hz`` to ``max_hz`` (cycles per second), fitted over the last ``window_s`` seconds and
    explaining at least ``min_fit`` of the angle's variance there, reversing at least
    ``min_reversals`` times (repeated); ``source`` cites the seed.
    """

    window_s: float = 2.5
    min_amplitude_deg: float = 3.5
    min_hz: float = 1.0
    max_hz: float = 3.0
    min_fit: float = 0.45
    min_reversals: int = 3
    source: str = ""


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


def _fault_kinds_default() -> dict[str, FaultKind]:
    return fault_kinds()


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
    faults: dict[str, FaultKind] = field(default_factory=_fault_kinds_default)
    #: seconds in the position before a hold can begin (the position is "settled")
    settle_s: float = 1.0
    bouncing: BounceSpec = field(default_factory=BounceSpec)
    #: at rest: the working hip angle and the trunk's inclination within ``still_deg`` for
    #: ``still_s``; a hold can begin once at rest in the position, backdated to the rest's start
    still_s: float = 0.5
    still_deg: float = 6.0

    def __getitem__(self, stretch_id: str) -> Stretch:
        return self.stretches[stretch_id]

    def rules_for(self, stretch_id: str) -> tuple[Rule, ...]:
        return self.stretches[stretch_id].rules + self.common_rules

    def fault_kind(self, kind: str) -> FaultKind:
        """The fault kind ``kind``; a kind not in the catalogue gets :func:`unknown_fault`."""
        return self.faults.get(kind) or unknown_fault(kind)

    def faults_by_priority(self) -> tuple[FaultKind, ...]:
        """Every fault kind, the most important first."""
        return tuple(sorted(self.faults.values(), key=lambda f: f.priority))

    def message_for(self, kind: str, stretch_id: str | None = None) -> str:
        """The on-screen message of ``kind``: the stretch's own wording when one of its rules
        raises it, else the fault kind's message."""
        if stretch_id in self.stretches:
            for rule in self.rules_for(str(stretch_id)):
                if rule.fault == kind:
                    return rule.message
        return self.fault_kind(kind).message

    def hold_target_for(self, stretch_id: str | None) -> float:
        """The hold target of a stretch in seconds; the default target for other ids."""
        if stretch_id in self.stretches:
            return self.stretches[str(stretch_id)].hold_target_s
        return self.hold_target_s


def _default_data() -> dict[str, Any]:
    return copy.deepcopy(_builtin_data())


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


def _rule(rule_id: str, d: dict[str, Any], where: str, faults: dict[str, FaultKind]) -> Rule:
    measure = d.get("measure")
    if measure not in MEASURES:
        raise ConfigError(f"'{where}.measure' must be one of {sorted(MEASURES)}, found {measure!r}")
    leg = d.get("leg")
    if measure in PER_LEG and leg not in ("working", "other"):
        raise ConfigError(f"'{where}.leg' must be 'working' or 'other', found {leg!r}")
    lo, hi = _num(d, "min", where), _num(d, "max", where)
    if lo is not None and hi is not None and lo > hi:
        raise ConfigError(f"'{where}': min ({lo}) is above max ({hi})")
    for key in ("fault", "source"):
        if not isinstance(d.get(key), str) or not d[key]:
            raise ConfigError(f"'{where}.{key}' must be a non-empty text")
    fault = faults.get(d["fault"])
    if fault is None:
        raise ConfigError(
            f"'{where}.fault' must be a fault kind of the catalogue ({', '.join(faults)}), "
            f"found {d['fault']!r}"
        )
    message = _text(d, "message", where, required=False) or fault.message
    return Rule(rule_id, measure, fault.kind, message, d["source"], leg, lo, hi)


#: the measures a position condition can read (pure angles: the synthetic truth uses them too)
POSITION_MEASURES = (
    "knee_extension_deg",
    "hip_angle_deg",
    "leg_raise_deg",
    "trunk_inclination_deg",
    "legs_angle_deg",
)


def _position(raw: Any, where: str) -> tuple[Engaged, ...]:
    """The ``[[stretch.ID.position]]`` conditions, checked."""
    if not isinstance(raw, list) or not raw:
        raise ConfigError(f"'{where}' must be a non-empty list of conditions, found {raw!r}")
    out = []
    for i, e in enumerate(raw):
        at = f"{where}[{i}]"
        if not isinstance(e, dict):
            raise ConfigError(f"'{at}' must be a table, found {e!r}")
        unknown = set(e) - {"measure", "leg", "min", "max", "missing", "source"}
        if unknown:
            raise ConfigError(f"unknown key '{at}.{sorted(unknown)[0]}'")
        if e.get("measure") not in POSITION_MEASURES:
            raise ConfigError(
                f"'{at}.measure' must be one of {POSITION_MEASURES}, found {e.get('measure')!r}"
            )
        if e["measure"] in PER_LEG and e.get("leg") not in ("working", "other"):
            raise ConfigError(f"'{at}.leg' must be 'working' or 'other', found {e.get('leg')!r}")
        src = str(_text(e, "source", at, required=True))
        if not _SEED.match(src):
            raise ConfigError(f"'{at}.source' must start with a seed number 'NNN:', found {src!r}")
        out.append(
            Engaged(
                e["measure"],
                e.get("leg"),
                _num(e, "min", at),
                _num(e, "max", at),
                str(_text(e, "missing", at, required=True)),
                src,
            )
        )
    return tuple(out)


def _bounce_spec(d: dict[str, Any]) -> BounceSpec:
    where = "bouncing"
    vals = {}
    for key in ("window_s", "min_amplitude_deg", "min_hz", "max_hz", "min_fit"):
        v = _num(d, key, where)
        if v is None or v <= 0:
            raise ConfigError(f"'{where}.{key}' must be a number above 0, found {d.get(key)!r}")
        vals[key] = v
    if vals["min_hz"] >= vals["max_hz"]:
        raise ConfigError(f"'{where}': min_hz ({vals['min_hz']}) must be below max_hz")
    if vals["window_s"] * vals["min_hz"] < 1.0:
        raise ConfigError(f"'{where}': window_s must hold at least one cycle at min_hz")
    rev = d.get("min_reversals")
    if isinstance(rev, bool) or not isinstance(rev, int) or rev < 1:
        raise ConfigError(f"'{where}.min_reversals' must be a whole number from 1, found {rev!r}")
    src = str(_text(d, "source", where, required=True))
    return BounceSpec(**vals, min_reversals=rev, source=src)


def load_catalogue(overrides: dict[str, Any] | None = None) -> Catalogue:
    """Load the built-in catalogue, with ``overrides`` (same shape as the TOML) applied."""
    data = _default_data()
    if overrides:
        if "fault" in overrides:
            raise ConfigError(
                "the fault kinds ('fault.*') cannot be changed by settings: they are what every "
                "output shows (formcheck/stretches/catalogue.toml)"
            )
        _merge(data, overrides, "")
    faults = fault_kinds()
    defaults = data["defaults"]
    stretches: dict[str, Stretch] = {}
    for sid, s in data["stretch"].items():
        if sid not in STRETCH_IDS:
            raise ConfigError(f"unknown stretch id '{sid}' (known: {', '.join(STRETCH_IDS)})")
        where = f"stretch.{sid}"
        engaged = _position(s.get("position"), f"{where}.position")
        target = _num(s, "hold_target_s", where) or float(defaults["hold_target_s"])
        if target <= 0:
            raise ConfigError(f"'{where}.hold_target_s' must be above 0, found {target}")
        rules = tuple(
            _rule(rid, r, f"{where}.rules.{rid}", faults) for rid, r in s.get("rules", {}).items()
        )
        stretches[sid] = Stretch(
            sid, s["name"], s["posture"], s["sides"], tuple(s["sources"]), s["setup"],
            engaged, target, rules,
        )  # fmt: skip
    common = tuple(
        _rule(rid, r, f"common.rules.{rid}", faults) for rid, r in data["common"]["rules"].items()
    )
    for key in ("min_hold_s", "exit_grace_s", "hold_start_s", "settle_s", "still_s", "still_deg"):
        if float(defaults[key]) < 0:
            raise ConfigError(f"'defaults.{key}' must be 0 or more, found {defaults[key]}")
    return Catalogue(
        stretches, common, float(defaults["hold_target_s"]), float(defaults["hold_start_s"]),
        int(defaults["reps_per_side"]), int(defaults["sessions_per_day"]),
        float(defaults["min_hold_s"]), float(defaults["exit_grace_s"]), faults,
        float(defaults["settle_s"]), _bounce_spec(data["bouncing"]),
        float(defaults["still_s"]), float(defaults["still_deg"]),
    )  # fmt: skip
