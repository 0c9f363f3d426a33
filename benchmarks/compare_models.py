"""Pose models side by side: the ``--json`` outputs of benchmarks/accuracy.py, one per model.

    .venv/bin/python benchmarks/accuracy.py --model lite --split tuning sealed --no-render \\
        --json .cache/analysis/acc_lite.json          # likewise --model full, --model heavy
    .venv/bin/python benchmarks/compare_models.py .cache/analysis/acc_{lite,full,heavy}.json

Per split and per condition group (the groups accuracy.py prints: view=, stretch=, body=,
resolution=, light=, ...) one row per model with the main measures; then a "best per view" line
per split, the analysis seconds per clip, and the real sets per model. Nothing is re-scored: the
figures are read from the JSON files. Choose a default on the tuning split only; the sealed split
and the real sets are reported, never used to choose.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any

#: (header, width, how to read the figure from a group summary, format)
COLUMNS: list[tuple[str, int, str, str]] = [
    ("clips", 6, "clips", "int"),
    ("rec s+o", 8, "recog_side_oblique", "pct"),
    ("rec all", 8, "recog", "pct"),
    ("leg", 6, "side", "pct"),
    ("none", 6, "no_stretch", "pct"),
    ("holds<=1s", 11, "holdsv", "ratio"),
    ("warned", 8, "warned", "ratio"),
    ("F1", 6, "f1", "f2"),
    ("knee", 6, "knee", "f1"),
    ("hip", 6, "hip", "f1"),
]
RATIOS = {
    "holdsv": ("holds_valid_within_1s", "holds_valid"),
    "warned": ("episodes_warned", "episodes"),
}
REAL_ROWS = [
    ("person found", "person", "pct", None),
    ("stretch recognised", "recognised", "pct", "recognised_n"),
    ("working leg right", "working_leg", "pct", "working_leg_n"),
    ('negatives "no stretch"', "negative_no_stretch", "pct", "negative_n"),
    ("back: abstains", "back_abstain_rate", "pct", "back_labelled"),
    ("back: right when judged", "back_right_when_judged", "pct", "back_judged"),
    ("knee ext. straight, median deg", "straight_knee_median_deg", "f0", None),
]


def model_name(run: dict[str, Any], fallback: str) -> str:
    """The pose model of one accuracy.py JSON (older files without it: ``fallback``)."""
    if run.get("model"):
        return str(run["model"])
    for split in (run.get("synthetic") or {}).values():
        if split and split.get("model"):
            return str(split["model"])
    return fallback


def value(g: dict[str, Any] | None, key: str) -> float:
    """One figure of a group summary (NaN where missing)."""
    if not g:
        return math.nan
    if key in RATIOS:
        num, den = RATIOS[key]
        return g[num] / g[den] if g.get(den) else math.nan
    if key == "f1":
        return _num((g.get("back_rounding") or {}).get("f1"))
    if key in ("knee", "hip"):
        return _num((g.get(key) or {}).get("mae"))
    return _num(g.get(key))


def _num(v: Any) -> float:
    return float(v) if isinstance(v, int | float) and not isinstance(v, bool) else math.nan


def cell(g: dict[str, Any] | None, key: str, fmt: str) -> str:
    v = value(g, key)
    if not math.isfinite(v):
        return "-"
    if fmt == "int":
        return str(int(v))
    if fmt == "pct":
        return f"{v:.0%}"
    if fmt == "ratio":
        num, den = RATIOS[key]
        return f"{g[num]}/{g[den]}"  # type: ignore[index]
    if fmt == "f0":
        return f"{v:.0f}"
    return f"{v:.2f}" if fmt == "f2" else f"{v:.1f}"


def split_names(runs: dict[str, dict[str, Any]]) -> list[str]:
    names: list[str] = []
    for run in runs.values():
        for n, s in (run.get("synthetic") or {}).items():
            if s and n not in names:
                names.append(n)
    return names


def condition_table(split: str, runs: dict[str, dict[str, Any]]) -> list[str]:
    """Per condition group of ``split``, one row per model."""
    groups: list[str] = []
    for run in runs.values():
        for gname in ((run.get("synthetic") or {}).get(split) or {}).get("groups", {}):
            if gname not in groups:
                groups.append(gname)
    hdr = f"{'group':<30}{'model':<7}" + "".join(f"{h:>{w}}" for h, w, _, _ in COLUMNS)
    lines = [f"\n{split}: per condition, one row per model", hdr, "-" * len(hdr)]
    for gname in groups:
        for i, (model, run) in enumerate(runs.items()):
            g = (((run.get("synthetic") or {}).get(split) or {}).get("groups") or {}).get(gname)
            label = gname[:29] if i == 0 else ""
            lines.append(
                f"{label:<30}{model:<7}"
                + "".join(f"{cell(g, key, fmt):>{w}}" for _, w, key, fmt in COLUMNS)
            )
    lines.append(
        "(rec s+o / rec all: stretch right on hold frames, side+oblique / all views; leg: working"
        ' leg; none: non-stretch frames called "no stretch"; holds<=1s: holds with >= 1 s valid'
        " timed within 1 s; warned: rounding episodes warned; F1: per-frame back_rounded; knee /"
        " hip: MAE in deg over the group's frames, so the view=side / view=oblique rows are the"
        " side / oblique MAE)"
    )
    return lines


def _rank(split: str, view: str, runs: dict[str, dict[str, Any]], key: str, higher: bool) -> str:
    vals = []
    for model, run in runs.items():
        g = (((run.get("synthetic") or {}).get(split) or {}).get("groups") or {}).get(view)
        v = value(g, key)
        if math.isfinite(v):
            vals.append((v, model))
    if not vals:
        return f"{key} -"
    best = max(v for v, _ in vals) if higher else min(v for v, _ in vals)
    winners = "=".join(m for v, m in vals if abs(v - best) < 1e-9)
    txt = f"{best:.0%}" if key == "recog" else f"{best:.1f}"
    return f"{key} {winners} {txt}"


def best_per_view(split: str, runs: dict[str, dict[str, Any]]) -> str:
    """``split``: per view band, the model with the best recognition and knee / hip MAE."""
    views: list[str] = []
    for run in runs.values():
        for gname in ((run.get("synthetic") or {}).get(split) or {}).get("groups", {}):
            if gname.startswith("view=") and gname not in views:
                views.append(gname)
    parts = [
        f"{v[5:]}: "
        + ", ".join(
            (
                _rank(split, v, runs, "recog", True),
                _rank(split, v, runs, "knee", False),
                _rank(split, v, runs, "hip", False),
            )
        )
        for v in views
    ]
    return f"best per view ({split}): " + "; ".join(parts)


def seconds_per_clip(split: str, runs: dict[str, dict[str, Any]]) -> str:
    """Mean analysis seconds per clip of ``split`` per model (from the reports' own timing,
    so reports reused from the cache count too; else the run's wall time per clip)."""
    parts = []
    for model, run in runs.items():
        s = (run.get("synthetic") or {}).get(split) or {}
        ts = [_num(c.get("analysis_s")) for c in s.get("per_clip", [])]
        ts = [t for t in ts if math.isfinite(t)]
        if ts:
            parts.append(f"{model} {sum(ts) / len(ts):.1f}")
        elif s.get("clips"):
            parts.append(f"{model} {s['elapsed_s'] / s['clips']:.1f} (wall)")
    return f"analysis s per clip ({split}): " + ", ".join(parts)


def real_table(runs: dict[str, dict[str, Any]]) -> list[str]:
    """The real sets: per figure and set, one column per model."""
    sets: list[str] = []
    for run in runs.values():
        for n in run.get("real") or {}:
            if n not in sets:
                sets.append(n)
    if not sets:
        return []
    lines = []
    for n in sets:
        files = {m: (run.get("real") or {}).get(n, {}).get("files") for m, run in runs.items()}
        lines.append(
            f"\nreal set {n} (files: " + ", ".join(f"{m} {f}" for m, f in files.items()) + ")"
        )
        hdr = f"{'':<32}" + "".join(f"{m:>14}" for m in runs)
        lines += [hdr, "-" * len(hdr)]
        for label, key, fmt, nkey in REAL_ROWS:
            cells = []
            for run in runs.values():
                r = (run.get("real") or {}).get(n)
                txt = cell(r, key, fmt)
                if r and nkey and txt != "-":
                    txt += f" ({r.get(nkey)})"
                cells.append(f"{txt:>14}")
            lines.append(f"{label:<32}" + "".join(cells))
        views: list[str] = []
        for run in runs.values():
            for v in ((run.get("real") or {}).get(n) or {}).get("recognised_by_view", {}):
                if v not in views:
                    views.append(v)
        for v in sorted(views):
            cells = []
            for run in runs.values():
                rv = (((run.get("real") or {}).get(n) or {}).get("recognised_by_view") or {}).get(v)
                cells.append(f"{f'{rv[0]:.0%} ({rv[1]})' if rv else '-':>14}")
            lines.append(f"{'  recognised, view ' + v:<32}" + "".join(cells))
    return lines


def render(runs: dict[str, dict[str, Any]]) -> str:
    """The whole comparison as plain text (``runs``: model name -> accuracy.py JSON)."""
    lines = ["pose models compared: " + ", ".join(runs)]
    for model, run in runs.items():
        rev = run.get("revision", "?")
        states = sorted(
            {
                c
                for s in (run.get("synthetic") or {}).values()
                if s
                for c in s.get("code_states", [])
            }
        )
        lines.append(f"  {model}: {rev}" + (f"; reports by {', '.join(states)}" if states else ""))
    for split in split_names(runs):
        lines += condition_table(split, runs)
        lines.append(best_per_view(split, runs))
        lines.append(seconds_per_clip(split, runs))
    lines += real_table(runs)
    return "\n".join(lines)


def load(paths: list[Path]) -> dict[str, dict[str, Any]]:
    runs: dict[str, dict[str, Any]] = {}
    for p in paths:
        run = json.loads(p.read_text())
        name = model_name(run, p.stem)
        while name in runs:
            name += "'"
        runs[name] = run
    return runs


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("json", nargs="+", type=Path, help="accuracy.py --json outputs, one per model")
    args = ap.parse_args(argv)
    print(render(load(args.json)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
