"""The stretch catalogue: ``catalogue.toml`` loaded into frozen dataclasses.

The TOML file is the single place where stretches, their set-up, hold targets and form rules
live, each rule citing its seed document, and where every fault kind (warning) is described:
its label, category (``"form"`` or ``"setup"``), priority, on-screen message, spoken prompt,
tone and seed citation (:class:`FaultKind`). The coach, the live window and its audio, the
overlay, the report page, the CSV and the history read the fault kinds from here
(:func:`fault_kind`, :func:`faults_by_priority`); no other module keeps a table of them.

Settings files can override any number of the stretches and defaults (:func:`load_catalogue`
takes an ``overrides`` mapping of the same shape); unknown keys, values of the wrong type and
overrides of the fault kinds raise :class:`formcheck.errors.ConfigError` naming the key.
"""

from __future__ import annotations

import copy
import functools
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
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
#: the categories of fault kinds: a fault of the stretch, or a problem of the camera set-up
FAULT_CATEGORIES = ("form", "setup")
#: the sounds a fault kind can play when its warning starts
TONES = ("warning",)
#: the priority given to a kind that is not in the catalogue (after every known kind)
UNKNOWN_PRIORITY = 1_000_000
_SEED = re.compile(r"(?:^|;\s*)(\d{3}):")


@dataclass(frozen=True)
class FaultKind:
    """One kind of warning, as every output shows it.

    Attributes
    ----------
    kind : str
        The id written in reports (``warnings[].kind``, the frames' ``warnings`` lists).
    label : str
        Short name in the report page, the CSV and the history ("Knee bent").
    category : str
        ``"form"``: a fault of the stretch (pauses the hold timer, shown red); ``"setup"``: the
        camera or the framing (shown orange).
    priority : int
        1 = the most important: its message and prompt win when several warnings are active.
    message : str
        The on-screen message (a stretch's rule may word it its own way, see
        :meth:`Catalogue.message_for`).
    prompt : str or None
        The short prompt of the live window, also spoken; None: never spoken.
    source : str or None
        Seed citation, ``"NNN: quoted words"`` (several joined by ``"; "``); None for set-up
        kinds that no seed describes.
    tone : str or None
        A sound played when the warning starts (one of :data:`TONES`), or None.
    """

    kind: str
    label: str
    category: str
    priority: int
    message: str
    prompt: str | None = None
    source: str | None = None
    tone: str | None = None

    @property
    def is_form(self) -> bool:
        """True for a fault of the stretch itself (category ``"form"``)."""
        return self.category == "form"

    @property
    def seeds(self) -> tuple[str, ...]:
        """The seed numbers the citation quotes, e.g. ``("000", "003")``."""
        return tuple(_SEED.findall(self.source or ""))


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


@functools.cache
def _builtin_data() -> dict[str, Any]:
    text = resources.files("formcheck.stretches").joinpath("catalogue.toml").read_text("utf-8")
    return tomllib.loads(text)


def _text(d: dict[str, Any], key: str, where: str, *, required: bool) -> str | None:
    value = d.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value:
        raise ConfigError(f"'{where}.{key}' must be a non-empty text, found {value!r}")
    return value


def _fault(kind: str, d: dict[str, Any]) -> FaultKind:
    where = f"fault.{kind}"
    unknown = set(d) - {"label", "category", "priority", "message", "prompt", "source", "tone"}
    if unknown:
        raise ConfigError(f"unknown key '{where}.{sorted(unknown)[0]}'")
    category = d.get("category")
    if category not in FAULT_CATEGORIES:
        raise ConfigError(
            f"'{where}.category' must be one of {FAULT_CATEGORIES}, found {category!r}"
        )
    priority = d.get("priority")
    if isinstance(priority, bool) or not isinstance(priority, int) or priority < 1:
        raise ConfigError(f"'{where}.priority' must be a whole number from 1, found {priority!r}")
    tone = d.get("tone")
    if tone is not None and tone not in TONES:
        raise ConfigError(f"'{where}.tone' must be one of {TONES}, found {tone!r}")
    source = _text(d, "source", where, required=category == "form")
    if source is not None and not _SEED.match(source):
        raise ConfigError(
            f"'{where}.source' must start with a seed number 'NNN:', found {source!r}"
        )
    return FaultKind(
        kind, str(_text(d, "label", where, required=True)), category, priority,
        str(_text(d, "message", where, required=True)), _text(d, "prompt", where, required=False),
        source, tone,
    )  # fmt: skip


def parse_fault_kinds(data: dict[str, Any]) -> dict[str, FaultKind]:
    """The ``[fault.*]`` tables of a catalogue as fault kinds, checked.

    Raises
    ------
    ConfigError
        A table has an unknown key, a category not in :data:`FAULT_CATEGORIES`, a priority that
        is not a whole number from 1 or that another kind has, a tone not in :data:`TONES`, an
        empty text, or (a form fault) no seed citation ``"NNN: ..."``.
    """
    faults = {kind: _fault(kind, d) for kind, d in data.items()}
    seen: dict[int, str] = {}
    for f in faults.values():
        if f.priority in seen:
            other = seen[f.priority]
            raise ConfigError(f"'fault.{f.kind}.priority' {f.priority} is also that of '{other}'")
        seen[f.priority] = f.kind
    return faults


@functools.cache
def fault_kinds() -> dict[str, FaultKind]:
    """Every fault kind of the built-in catalogue, by kind (in the TOML's order; shared: do not
    modify)."""
    return parse_fault_kinds(_builtin_data()["fault"])


def unknown_fault(kind: str) -> FaultKind:
    """How a kind that is not in the catalogue is shown (a report from another version): its id
    as label, category ``"setup"``, after every known kind, never spoken."""
    label = kind.replace("_", " ").capitalize() or "Unknown"
    return FaultKind(kind, label, "setup", UNKNOWN_PRIORITY, label)


def fault_kind(kind: str) -> FaultKind:
    """The fault kind ``kind`` of the built-in catalogue (:func:`unknown_fault` if not there)."""
    return fault_kinds().get(kind) or unknown_fault(kind)


def faults_by_priority() -> tuple[FaultKind, ...]:
    """Every fault kind of the built-in catalogue, the most important first."""
    return tuple(sorted(fault_kinds().values(), key=lambda f: f.priority))


def kinds_of(category: str) -> tuple[str, ...]:
    """The kinds of one category (``"form"`` or ``"setup"``), the most important first."""
    if category not in FAULT_CATEGORIES:
        raise ValueError(f"category must be one of {FAULT_CATEGORIES}, found {category!r}")
    return tuple(f.kind for f in faults_by_priority() if f.category == category)


def most_important(active: Iterable[str]) -> FaultKind | None:
    """The active warning whose message and prompt win: the lowest priority number (kinds not
    in the catalogue come last, in the order given); None when nothing is active."""
    kinds = list(dict.fromkeys(active))
    if not kinds:
        return None
    best = min(kinds, key=lambda k: (fault_kind(k).priority, kinds.index(k)))
    return fault_kind(best)


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
        raw = s["engaged"] if isinstance(s["engaged"], list) else [s["engaged"]]
        engaged = tuple(
            Engaged(e["measure"], e.get("leg"), _num(e, "min", where), _num(e, "max", where))
            for e in raw
        )
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
    for key in ("min_hold_s", "exit_grace_s", "hold_start_s"):
        if float(defaults[key]) < 0:
            raise ConfigError(f"'defaults.{key}' must be 0 or more, found {defaults[key]}")
    return Catalogue(
        stretches, common, float(defaults["hold_target_s"]), float(defaults["hold_start_s"]),
        int(defaults["reps_per_side"]), int(defaults["sessions_per_day"]),
        float(defaults["min_hold_s"]), float(defaults["exit_grace_s"]), faults,
    )  # fmt: skip
