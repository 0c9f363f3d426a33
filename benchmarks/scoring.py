"""Scoring helpers shared by the accuracy benchmarks (benchmarks/accuracy*.py)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np


def as_float(x: Any) -> float:
    """``x`` as a float, NaN for None (a report's null)."""
    return math.nan if x is None else float(x)


def error_stats(errors: list[float]) -> dict[str, float]:
    """Count, mean and 90th percentile of the absolute finite errors (degrees or seconds)."""
    e = np.abs(np.array([x for x in errors if math.isfinite(x)]))
    if e.size == 0:
        return {"n": 0, "mae": math.nan, "p90": math.nan}
    return {"n": int(e.size), "mae": float(e.mean()), "p90": float(np.percentile(e, 90))}


def prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    """Precision, recall and F1 from the counts (NaN where undefined), with the counts."""
    p = tp / (tp + fp) if tp + fp else math.nan
    r = tp / (tp + fn) if tp + fn else math.nan
    f1 = 2 * p * r / (p + r) if (p + r) and math.isfinite(p) and math.isfinite(r) else math.nan
    return {"precision": p, "recall": r, "f1": f1, "tp": tp, "fp": fp, "fn": fn}


def intervals(flags: list[bool], times: list[float]) -> list[tuple[float, float]]:
    """The ``(start_s, end_s)`` runs where ``flags`` is true, at the frame ``times``."""
    out, start = [], None
    for f, t in zip(flags, times, strict=True):
        if f and start is None:
            start = t
        if not f and start is not None:
            out.append((start, t))
            start = None
    if start is not None:
        out.append((start, times[-1]))
    return out
