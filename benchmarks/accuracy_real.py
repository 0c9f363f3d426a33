"""Accuracy on labelled real photos (part of benchmarks/accuracy.py).

The photos in ``../shared/data/real``, labelled by their ``INVENTORY.tsv``: detection rate,
stretch recognition against the category in the file name, knee extension of the
straight-legged stretches, and back rounding against the ``back_form`` column.
"""

from __future__ import annotations

import csv
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np
from scoring import as_float, prf

from formcheck.config import Settings
from formcheck.pipeline import AnalyzeOutputs, analyze

REAL_EXPECT = {
    "standing_forward_fold": "standing_fold",
    "standing_staggered_fold": "standing_fold",
    "hip_hinge_flatback": "standing_fold",
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
}
# photos whose INVENTORY line says the working leg is straight (hip hinges keep soft knees)
STRAIGHT_LEG = ("standing_forward_fold__", "supine_strap_hamstring__yuhonas_free-exercise-db__001",
                "supine_hands_hamstring__yuhonas_free-exercise-db__001", "seated_longsit_strap",
                "seated_upright_dandasana")  # fmt: skip


def expected_stretch(name: str) -> str | None:
    """The stretch a photo shows, from the category its file name starts with (None: unknown)."""
    for prefix, sid in REAL_EXPECT.items():
        if name.startswith(prefix):
            return sid
    return None


def run_real(folder: Path) -> dict[str, Any]:
    """Analyse every photo of ``folder``'s ``INVENTORY.tsv``; the figures (empty when absent)."""
    inv = folder / "INVENTORY.tsv"
    if not inv.exists():
        print(f"{folder} not present: real-data part skipped", file=sys.stderr)
        return {}
    rows = list(csv.DictReader(inv.open(encoding="utf-8"), delimiter="\t"))
    found = total = 0
    recog: list[bool] = []
    knees: list[float] = []
    tp = fp = fn = tn = 0
    unjudged = 0
    details = []
    for row in rows:
        if row["kind"] != "image":
            continue
        total += 1
        report = analyze(folder / row["file"], Settings(), AnalyzeOutputs(thumbnails=False))
        f = report["frames"][0]
        found += f["person"]
        exp = expected_stretch(row["file"])
        if f["person"] and exp is not None:
            recog.append(f["stretch"] == exp)
        if f["person"] and any(row["file"].startswith(p) for p in STRAIGHT_LEG):
            knees.append(as_float(f["knee_extension_deg"]))
        form = row["back_form"].lower()
        label = (
            True
            if "rounded" in form
            else False
            if ("flat" in form or "upright" in form or "long spine" in form)
            else None
        )
        if f["person"] and label is not None:
            if f["back_rounded"] is None:
                unjudged += 1
            elif label and f["back_rounded"]:
                tp += 1
            elif label:
                fn += 1
            elif f["back_rounded"]:
                fp += 1
            else:
                tn += 1
        details.append(
            {"file": row["file"], "person": f["person"], "stretch": f["stretch"], "expected": exp,
             "knee": f["knee_extension_deg"], "lumbar": f["lumbar_flexion_deg"],
             "back_rounded": f["back_rounded"], "label_rounded": label, "view": f.get("view")}
        )  # fmt: skip
    return {
        "photos": total,
        "detected": found,
        "recognition": float(np.mean(recog)) if recog else math.nan,
        "recognition_n": len(recog),
        "straight_knee_min": float(np.nanmin(knees)) if knees else math.nan,
        "straight_knee_median": float(np.nanmedian(knees)) if knees else math.nan,
        "back_rounding": prf(tp, fp, fn) | {"tn": tn, "not_judged": unjudged},
        "details": details,
    }
