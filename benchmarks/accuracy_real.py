"""Accuracy on the labelled real sets (part of benchmarks/accuracy.py).

Every folder under ``../shared/data`` with an ``INVENTORY.tsv`` is scored; its labels are read
from whichever columns it has:

- ``class`` (the stretch id, or ``negative`` for anything else) or else the category its file
  names start with (``<category>__<source>__<NNN>``, :data:`CATEGORY`);
- ``view`` (side / oblique / front / back; the first word counts);
- ``working_leg`` (left / right / both);
- ``knee`` (straight / bent) or else the ``shows`` text (``straight`` without ``bent``);
- ``back`` (neutral / rounded / na) or else the ``back_form`` text (rounded / flat, upright,
  long spine).

Figures per set: person found, stretch recognised (per view), working leg, negatives called
"no stretch", how often the back is judged (not abstained) and how often the judgement is right,
knee extension of straight-legged photos. Videos count frame by frame.
"""

from __future__ import annotations

import csv
import dataclasses
import math
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from formcheck.config import Settings
from formcheck.pipeline import AnalyzeOutputs, analyze

#: file-name category -> class, for sets without a ``class`` column (None: other exercise)
CATEGORY = {
    "standing_forward_fold": "standing_fold",
    "standing_staggered_fold": "standing_fold",
    "hip_hinge_flatback": "standing_fold",
    "wide_leg_forward_fold": "standing_fold",
    "pyramid": "standing_fold",
    "standing_strap_hamstring": "standing_support",
    "seated_longsit": "seated_floor",
    "seated_single_leg": "seated_floor",
    "seated_forward_bend": "seated_floor",
    "seated_upright_dandasana": "seated_floor",
    "seated_straddle": "seated_floor",
    "janu_sirsasana": "seated_floor",
    "chair_seated_leg_extended": "seated_chair",
    "supine_strap_hamstring": "supine_raise",
    "supine_hands_hamstring": "supine_raise",
    "supine_hand_to_toe": "supine_raise",
    "supine_partner_hamstring": "supine_raise",
    "standing_upright_start": "negative",
    "supine_double_leg_raise": "negative",
    "video_": "negative",
    "negative": "negative",
}


def label_class(row: dict[str, str]) -> str | None:
    """The row's class: its ``class`` column, else its file name's category (None: unknown)."""
    if row.get("class"):
        return row["class"].strip()
    name = row["file"]
    for prefix, cls in sorted(CATEGORY.items(), key=lambda kv: -len(kv[0])):
        if name.startswith(prefix):
            return cls
    return None


def label_view(row: dict[str, str]) -> str:
    words = (row.get("view") or "").lower().replace("-", " ").replace("(", " ").split()
    for w in words:
        if w in ("side", "oblique", "front", "back", "top"):
            return w
    return "?"


def label_knee(row: dict[str, str]) -> str | None:
    k = (row.get("knee") or "").strip().lower()
    if k in ("straight", "bent"):
        return k
    shows = (row.get("shows") or "").lower()
    if "bent" in shows or "knee bent" in (row.get("back_form") or "").lower():
        return "bent"
    return "straight" if "straight" in shows else None


def label_back(row: dict[str, str]) -> bool | None:
    """True = rounded, False = neutral, None = not labelled / not judgeable."""
    b = (row.get("back") or "").strip().lower()
    if b in ("rounded", "neutral"):
        return b == "rounded"
    form = (row.get("back_form") or "").lower()
    if "rounded" in form:
        return True
    if "flat" in form or "upright" in form or "long spine" in form:
        return False
    return None


def _frames(
    folder: Path, row: dict[str, str], model: str = "full", max_width: int = 0
) -> list[dict[str, Any]]:
    settings = Settings()
    settings.pose = dataclasses.replace(settings.pose, model=model, max_width=max_width)
    report = analyze(folder / row["file"], settings, AnalyzeOutputs(thumbnails=False))
    return report["frames"]


def score_set(folder: Path, model: str = "full", max_width: int = 0) -> dict[str, Any]:
    """Analyse every file of ``folder``'s INVENTORY.tsv with pose ``model``; the figures."""
    rows = list(csv.DictReader((folder / "INVENTORY.tsv").open(encoding="utf-8"), delimiter="\t"))
    c: dict[str, Any] = defaultdict(list)
    by_view: dict[str, list[bool]] = defaultdict(list)
    details = []
    for row in rows:
        if not (folder / row["file"]).exists():
            continue
        cls, view, knee, back = label_class(row), label_view(row), label_knee(row), label_back(row)
        frames = _frames(folder, row, model, max_width)
        if not frames:
            continue
        video = len(frames) > 1
        person = [bool(f["person"]) for f in frames]
        c["person"].append(float(np.mean(person)))
        if cls == "negative":
            c["negative_no_stretch"].append(float(np.mean([f["stretch"] is None for f in frames])))
        elif cls is not None:
            ok = [f["stretch"] == cls for f in frames]
            c["recognised"].append(float(np.mean(ok)))
            by_view[view].append(bool(np.mean(ok) >= 0.5))
            leg = (row.get("working_leg") or "").strip()
            if leg in ("left", "right", "both"):
                c["working_leg"].append(float(np.mean([f["side"] == leg for f in frames])))
            if knee == "straight" and not video:
                c["straight_knee_deg"].append(_num(frames[0].get("knee_extension_deg")))
            if back is not None and not video:
                verdict = frames[0].get("back_rounded")
                c["back_labelled"].append(1.0)
                if verdict is None:
                    c["back_abstained"].append(1.0)
                else:
                    c["back_right"].append(float(bool(verdict) == back))
        details.append({"file": row["file"], "class": cls, "view": view, "back": back,
                        "stretch": [f["stretch"] for f in frames[:1]],
                        "back_rounded": frames[0].get("back_rounded"),
                        "knee": frames[0].get("knee_extension_deg")})  # fmt: skip
    return {
        "files": len(c["person"]),
        "person": _mean(c["person"]),
        "recognised": _mean(c["recognised"]),
        "recognised_n": len(c["recognised"]),
        "recognised_by_view": {
            v: (_mean([float(x) for x in xs]), len(xs)) for v, xs in by_view.items()
        },
        "working_leg": _mean(c["working_leg"]),
        "working_leg_n": len(c["working_leg"]),
        "negative_no_stretch": _mean(c["negative_no_stretch"]),
        "negative_n": len(c["negative_no_stretch"]),
        "back_labelled": len(c["back_labelled"]),
        "back_abstain_rate": len(c["back_abstained"]) / len(c["back_labelled"])
        if c["back_labelled"]
        else math.nan,
        "back_right_when_judged": _mean(c["back_right"]),
        "back_judged": len(c["back_right"]),
        "straight_knee_median_deg": float(np.nanmedian(c["straight_knee_deg"]))
        if c["straight_knee_deg"] and np.isfinite(c["straight_knee_deg"]).any()
        else math.nan,
        "details": details,
    }


def _num(x: Any) -> float:
    return math.nan if x is None else float(x)


def _mean(xs: list[float]) -> float:
    return float(np.mean(xs)) if xs else math.nan


def run_real(data: Path, model: str = "full", max_width: int = 0) -> dict[str, Any]:
    """Score every labelled set under ``data`` (``../shared/data``) with pose ``model``; empty
    when absent."""
    if not data.is_dir():
        print(f"{data} not present: real-data part skipped", file=sys.stderr)
        return {}
    sets = sorted(p.parent for p in data.glob("*/INVENTORY.tsv"))
    if (data / "INVENTORY.tsv").exists():
        sets.insert(0, data)
    out = {}
    for folder in sets:
        print(f"  real set {folder.name} ...", file=sys.stderr, flush=True)
        out[folder.name] = score_set(folder, model, max_width)
    return out


def print_real(real: dict[str, Any]) -> None:
    """One line per figure, one column per set."""
    if not real:
        return
    names = list(real)
    sizes = ", ".join(f"{n} ({real[n]['files']} files)" for n in names)
    print(f"\nReal sets (../shared/data): {sizes}")
    rows = [
        ("person found", "person", "{:.0%}"),
        ("stretch recognised (goal >= 85%)", "recognised", "{:.0%}"),
        ("working leg right", "working_leg", "{:.0%}"),
        ('negatives called "no stretch"', "negative_no_stretch", "{:.0%}"),
        ("back: abstains (goal <= 30%)", "back_abstain_rate", "{:.0%}"),
        ("back: right when judged (goal >= 85%)", "back_right_when_judged", "{:.0%}"),
        ("knee ext. of straight legs, median", "straight_knee_median_deg", "{:.0f} deg"),
    ]
    ns = {"recognised": "recognised_n", "working_leg": "working_leg_n",
          "negative_no_stretch": "negative_n", "back_abstain_rate": "back_labelled",
          "back_right_when_judged": "back_judged"}  # fmt: skip
    print(f"{'':<40}" + "".join(f"{n:>16}" for n in names))
    for label, key, fmt in rows:
        cells = []
        for n in names:
            v = real[n].get(key, math.nan)
            txt = "-" if not isinstance(v, float) or not math.isfinite(v) else fmt.format(v)
            if key in ns:
                txt += f" ({real[n][ns[key]]})"
            cells.append(f"{txt:>16}")
        print(f"{label:<40}" + "".join(cells))
    for n in names:
        views = real[n]["recognised_by_view"]
        txt = ", ".join(f"{v} {r:.0%} of {k}" for v, (r, k) in sorted(views.items()))
        print(f"  {n}: recognised by view: {txt}")
