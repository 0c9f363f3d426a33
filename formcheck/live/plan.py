"""Guided sessions: a plan (stretch, reps, hold target, rest, sides, optional PNF phases) and
the state machine that walks a person through it from the live verdicts.

Defaults come from the seed documents: 30 s holds, 3 reps per leg, both legs (003, 004;
``reps_per_side`` and ``hold_target_s`` of the stretch catalogue). The contract-relax (PNF)
phases follow seed 002: "stretch for 10, push down for 10, relax for 10 and go a little
further" (then hold again). Rest between reps and the time to switch legs are formcheck's
choices (10 s each); the seeds do not give them.

A plan file (see ``docs/plan.example.toml``)::

    stretch = "standing_support"   # optional: omit to let formcheck recognise the stretch
    sides = ["right", "left"]      # ["both"] for a stretch that works both legs at once
    reps = 3
    hold_s = 30
    rest_s = 10
    switch_s = 10

    [pnf]                          # optional contract-relax phases (seed 002)
    stretch_s = 10
    contract_s = 10
    relax_s = 10
    further_s = 10

The state machine that walks a person through a plan is
:class:`formcheck.live.guide.GuidedSession`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from formcheck.errors import ConfigError
from formcheck.stretches.catalogue import STRETCH_IDS, Catalogue, load_catalogue

SIDES = ("left", "right", "both")


@dataclass(frozen=True)
class PnfPhase:
    """One phase of a contract-relax hold: its name, length (seconds of valid hold time) and
    what to tell the person."""

    name: str
    seconds: float
    prompt: str


def default_contract_prompt(stretch: str | None) -> str:
    if stretch in ("standing_support", None):
        return "Press your heel down into the support - no movement"
    if stretch in ("supine_raise", "supine_wall"):
        return "Press the leg against your hands or the strap - no movement"
    return "Press your heel down into the floor - no movement"


def pnf_phases(
    stretch: str | None,
    stretch_s: float = 10.0,
    contract_s: float = 10.0,
    relax_s: float = 10.0,
    further_s: float = 10.0,
    contract_prompt: str | None = None,
) -> tuple[PnfPhase, ...]:
    """The seed-002 sequence: stretch, contract (static push), relax, lean further and hold."""
    return (
        PnfPhase("stretch", stretch_s, "Ease into the stretch and hold it"),
        PnfPhase("contract", contract_s, contract_prompt or default_contract_prompt(stretch)),
        PnfPhase("relax", relax_s, "Relax the muscle"),
        PnfPhase("further", further_s, "Lean a little further and hold"),
    )


@dataclass(frozen=True)
class Plan:
    """A guided session. ``sides`` in order; ``pnf`` empty = a plain static hold."""

    stretch: str | None = None
    sides: tuple[str, ...] = ("right", "left")
    reps: int = 3
    hold_s: float | None = 30.0  # None: each stretch's own target (the catalogue's)
    rest_s: float = 10.0
    switch_s: float = 10.0
    pnf: tuple[PnfPhase, ...] = ()
    source_file: str | None = None
    #: False: the sides were not chosen (no stretch, no --side, no ``sides`` key), so a guided
    #: session follows the recognised stretch: ["both"] for a two-legged one
    sides_fixed: bool = True

    def as_report(self) -> dict[str, Any]:
        return {
            "stretch": self.stretch,
            "sides": list(self.sides),
            "reps": self.reps,
            "hold_s": self.hold_s,
            "rest_s": self.rest_s,
            "switch_s": self.switch_s,
            "pnf": [{"name": p.name, "seconds": p.seconds} for p in self.pnf],
            "file": self.source_file,
        }


def default_plan(
    stretch: str | None = None, side: str | None = None, catalogue: Catalogue | None = None
) -> Plan:
    """The seeds' defaults for ``stretch`` (3 reps of 30 s per leg, both legs)."""
    cat = catalogue or load_catalogue()
    reps = int(cat.reps_per_side)
    hold = float(cat[stretch].hold_target_s) if stretch else None
    if side is not None:
        sides: tuple[str, ...] = (side,)
    elif stretch is not None and cat[stretch].sides == "both":
        sides = ("both",)
    else:
        sides = ("right", "left")
    fixed = side is not None or stretch is not None
    return Plan(stretch=stretch, sides=sides, reps=reps, hold_s=hold, sides_fixed=fixed)


# -- parsing and validation ---------------------------------------------------------------
_PLAN_KEYS = ("stretch", "sides", "reps", "hold_s", "rest_s", "switch_s", "pnf")
_PNF_KEYS = ("enabled", "stretch_s", "contract_s", "relax_s", "further_s", "contract_prompt")


def _number(where: str, value: Any, lo: float, hi: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"{where} must be a number, found {value!r}")
    v = float(value)
    if not math.isfinite(v) or not lo <= v <= hi:
        raise ConfigError(f"{where} must be between {lo:g} and {hi:g}, found {value!r}")
    return v


def parse_plan(
    data: dict[str, Any], *, where: str = "plan", catalogue: Catalogue | None = None
) -> Plan:
    """Validate a plan table (a parsed TOML file); errors name the key and what was found."""
    cat = catalogue or load_catalogue()
    if not isinstance(data, dict):
        raise ConfigError(f"{where} must be a table")
    for key in data:
        if key not in _PLAN_KEYS:
            raise ConfigError(f"unknown key {key!r} in {where} (known: {', '.join(_PLAN_KEYS)})")
    stretch = data.get("stretch")
    if stretch is not None and (not isinstance(stretch, str) or stretch not in STRETCH_IDS):
        raise ConfigError(
            f"{where}: stretch must be one of {', '.join(STRETCH_IDS)}, found {stretch!r}"
        )
    base = default_plan(stretch, None, cat)
    sides = data.get("sides", list(base.sides))
    if isinstance(sides, str):
        sides = [sides]
    if (
        not isinstance(sides, list)
        or not sides
        or not all(isinstance(s, str) and s in SIDES for s in sides)
    ):
        raise ConfigError(
            f'{where}: sides must be a list of "left", "right" or "both", found {sides!r}'
        )
    if len(set(sides)) != len(sides):
        raise ConfigError(f"{where}: sides must not repeat a side, found {sides!r}")
    if "both" in sides and len(sides) > 1:
        raise ConfigError(f'{where}: sides = ["both"] stands alone, found {sides!r}')
    if stretch is not None:
        kind = cat[stretch].sides
        if kind == "both" and sides != ["both"]:
            raise ConfigError(
                f'{where}: sides: {stretch} works both legs at once, use sides = ["both"], '
                f"found {sides!r}"
            )
        if kind == "one" and "both" in sides:
            raise ConfigError(
                f'{where}: sides: {stretch} works one leg at a time, use "left" and/or '
                f'"right", found {sides!r}'
            )
    reps_raw = data.get("reps", base.reps)
    if isinstance(reps_raw, bool) or not isinstance(reps_raw, int) or not 1 <= reps_raw <= 20:
        raise ConfigError(f"{where}: reps must be a whole number from 1 to 20, found {reps_raw!r}")
    rest_s = _number(f"{where}: rest_s", data.get("rest_s", base.rest_s), 0.0, 600.0)
    switch_s = _number(f"{where}: switch_s", data.get("switch_s", base.switch_s), 0.0, 600.0)
    pnf: tuple[PnfPhase, ...] = ()
    raw_pnf = data.get("pnf")
    if raw_pnf is not None:
        if isinstance(raw_pnf, bool):
            raw_pnf = {"enabled": raw_pnf}
        if not isinstance(raw_pnf, dict):
            raise ConfigError(f"{where}: pnf must be a table or true/false, found {raw_pnf!r}")
        for key in raw_pnf:
            if key not in _PNF_KEYS:
                raise ConfigError(
                    f"unknown key {key!r} in {where} [pnf] (known: {', '.join(_PNF_KEYS)})"
                )
        enabled = raw_pnf.get("enabled", True)
        if not isinstance(enabled, bool):
            raise ConfigError(f"{where}: pnf.enabled must be true or false, found {enabled!r}")
        if enabled:
            secs = {
                k: _number(f"{where}: pnf.{k}", raw_pnf.get(k, 10.0), 1.0, 120.0)
                for k in ("stretch_s", "contract_s", "relax_s", "further_s")
            }
            prompt = raw_pnf.get("contract_prompt")
            if prompt is not None and (not isinstance(prompt, str) or not prompt.strip()):
                raise ConfigError(f"{where}: pnf.contract_prompt must be a text, found {prompt!r}")
            pnf = pnf_phases(stretch, contract_prompt=prompt, **secs)
    pnf_total = sum(p.seconds for p in pnf)
    hold_s: float | None
    if "hold_s" in data:
        hold_s = _number(f"{where}: hold_s", data["hold_s"], 1.0, 600.0)
        if pnf and hold_s < pnf_total - 1e-9:
            raise ConfigError(
                f"{where}: hold_s ({hold_s:g} s) is shorter than the PNF phases "
                f"({pnf_total:g} s); raise hold_s or leave it out"
            )
    else:
        hold_s = float(pnf_total) if pnf else base.hold_s
    return Plan(
        stretch=stretch,
        sides=tuple(sides),
        reps=int(reps_raw),
        hold_s=hold_s,
        rest_s=rest_s,
        switch_s=switch_s,
        pnf=pnf,
        sides_fixed=stretch is not None or "sides" in data,
    )


def load_plan(path: str | Path, catalogue: Catalogue | None = None) -> Plan:
    """Read and validate a plan TOML file."""
    from formcheck.config import read_toml

    p = Path(path)
    data = read_toml(p, "plan")
    return replace(
        parse_plan(data, where=f"plan {p.name}", catalogue=catalogue), source_file=str(p)
    )


def apply_cli_to_plan(plan: Plan, stretch: str | None, side: str | None) -> Plan:
    """``--stretch`` and ``--side`` override the plan's stretch and sides."""
    if stretch is not None and stretch != plan.stretch:
        kind = load_catalogue()[stretch].sides
        plan = replace(plan, stretch=stretch)
        if kind == "both":
            plan = replace(plan, sides=("both",))
        elif kind == "one" and "both" in plan.sides:
            plan = replace(plan, sides=("right", "left"))
    if side is not None:
        plan = replace(plan, sides=(side,))
    if stretch is not None or side is not None:
        plan = replace(plan, sides_fixed=True)
    return plan
