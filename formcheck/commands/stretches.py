"""``formcheck stretches [NAME]``: the stretches formcheck knows, and how to do one.

Without a name: one line per stretch (id, name, posture, hold target). With a name (the id, or
words of the name): the set-up steps, the position formcheck expects, each form rule with the
seed document it comes from, and the hold target. Everything is read from the catalogue
(``formcheck/stretches/catalogue.toml``); a settings file (``--config``) changes it as it changes
the analysis.
"""

from __future__ import annotations

import argparse
from typing import Any

from formcheck.errors import ConfigError


def register(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "stretches",
        help="list the stretches, or show how to do one and the rules it is checked by",
        description="Without NAME: list the stretches formcheck recognises. With NAME (an id "
        "such as standing_fold, or words of its name): how to get into it, the position "
        "formcheck expects, the form rules with the seed each comes from, and the hold target.",
    )
    p.add_argument("name", nargs="?", metavar="NAME", help="a stretch id or words of its name")
    p.add_argument("--config", metavar="TOML", help="settings file (thresholds, hold targets)")
    p.set_defaults(func=run)
    return p


def find_stretch(catalogue: Any, name: str) -> Any:
    """The stretch whose id is ``name`` or whose name contains every word of it.

    Raises :class:`~formcheck.errors.ConfigError` naming the known ids when none or several match.
    """
    key = name.strip().lower().replace("-", "_")
    if key in catalogue.stretches:
        return catalogue.stretches[key]
    words = key.replace("_", " ").split()
    found = [
        s
        for s in catalogue.stretches.values()
        if words and all(w in f"{s.id.replace('_', ' ')} {s.name.lower()}" for w in words)
    ]
    if len(found) == 1:
        return found[0]
    known = ", ".join(catalogue.stretches)
    if found:
        ids = ", ".join(s.id for s in found)
        raise ConfigError(f"'{name}' matches several stretches ({ids}); give one id of: {known}")
    raise ConfigError(f"no stretch '{name}' (known: {known})")


def list_lines(catalogue: Any) -> list[str]:
    """One line per stretch: id, name, posture, hold target."""
    rows = [("ID", "NAME", "POSTURE", "HOLD")]
    rows += [
        (s.id, s.name, s.posture, f"{s.hold_target_s:g} s") for s in catalogue.stretches.values()
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(r[:3], widths, strict=True)) + "  " + r[3]
        for r in rows
    ]
    lines.append("")
    lines.append("formcheck stretches ID: how to get into one, and the rules it is checked by")
    return lines


def detail_lines(catalogue: Any, stretch: Any) -> list[str]:
    """The set-up steps, position, rules (with seeds) and hold target of one stretch."""
    from formcheck.stretches.setup import condition_text, rule_limit, setup_steps

    sides = {
        "both": "both legs at once",
        "one": "one leg at a time",
        "one_or_both": "one leg at a time or both",
    }.get(stretch.sides, stretch.sides)
    lines = [
        f"{stretch.name} ({stretch.id})",
        f"posture: {stretch.posture}; sides: {sides}; seeds: {', '.join(stretch.sources)}",
        "",
        "Set-up:",
    ]
    lines += [f"  {i}. {step}" for i, step in enumerate(setup_steps(stretch), 1)]
    lines += ["", "Position formcheck expects (all of these):"]
    for cond in stretch.engaged:
        miss = f" -- else: {cond.missing}" if cond.missing else ""
        lines.append(f"  - {condition_text(cond)}{miss}")
        if cond.source:
            lines.append(f"      seed {cond.source}")
    lines += ["", "Form rules:"]
    for rule in catalogue.rules_for(stretch.id):
        label = catalogue.fault_kind(rule.fault).label
        lines.append(f"  - {rule.id}: {rule_limit(rule)} (fault: {label})")
        lines.append(f"      says: {catalogue.message_for(rule.fault, stretch.id)}")
        lines.append(f"      seed {rule.source}")
    lines += [
        "",
        f"Hold target: {stretch.hold_target_s:g} s of valid hold, {catalogue.reps_per_side} times "
        f"per side, {catalogue.sessions_per_day} sessions a day",
    ]
    return lines


def run(args: argparse.Namespace) -> int:
    from formcheck.config import load_settings

    catalogue = load_settings(args.config).catalogue()
    if args.name:
        lines = detail_lines(catalogue, find_stretch(catalogue, args.name))
    else:
        lines = list_lines(catalogue)
    print("\n".join(lines))
    return 0
