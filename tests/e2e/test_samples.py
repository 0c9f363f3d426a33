"""End-to-end regression tests: the real model on the committed synthetic samples, against
their ground-truth files (samples/*.truth.json, written by the renderer).

Tolerances sit a little above what formcheck measures today (docs/accuracy.md), so a real
regression in pose handling, measurement, recognition, rules or hold timing fails here.
"""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest

from formcheck.config import Settings
from formcheck.pipeline import AnalyzeOutputs, analyze
from tests.conftest import ROOT, sample

sys.path.insert(0, str(ROOT / "benchmarks"))
from accuracy import compare_clip  # noqa: E402

pytestmark = [pytest.mark.model, pytest.mark.slow]

# sample -> (knee MAE limit in degrees on the working leg, expected warning kind, onset limit s)
CASES = {
    "standing_fold_good": (3.0, None, None),
    "seated_chair_back_rounding": (8.0, "back_rounding", 0.5),
    "seated_floor_bouncing": (5.0, "bouncing", 2.0),
    "standing_support_left": (5.0, None, None),
    "supine_raise_right_knee_bent": (6.0, "knee_bent", 0.5),
    "supine_wall_left": (11.0, None, None),
}
_cache: dict[str, tuple[dict, dict]] = {}


def run(name: str) -> tuple[dict, dict]:
    if name not in _cache:
        video = sample(f"{name}.mp4")
        truth = json.loads(video.with_suffix(".truth.json").read_text())
        settings = Settings(catalogue_overrides={"defaults": {"min_hold_s": 0.0}})
        _cache[name] = (analyze(video, settings, AnalyzeOutputs(thumbnails=False)), truth)
    return _cache[name]


@pytest.mark.parametrize("name", sorted(CASES))
def test_sample_against_truth(name: str) -> None:
    report, truth = run(name)
    knee_limit, kind, onset_limit = CASES[name]
    c = compare_clip(report, truth, rounded_deg=20.0)
    assert c["person_rate"] >= 0.95
    assert np.mean(c["recog"]) >= 0.9, "stretch recognition in the hold"
    assert np.mean(c["side"]) >= 0.9, "working-leg recognition in the hold"
    knee = np.abs([e for e in c["errors"]["knee"] if np.isfinite(e)])
    assert knee.size > 100
    assert knee.mean() <= knee_limit
    assert abs(c["hold_pred_s"] - c["hold_truth_s"]) <= 2.0, "valid hold time vs truth"
    faults = [f["t_s"] for f in truth["frames"] if f.get("fault") == kind] if kind else []
    if kind:
        starts = [w["start_s"] for w in report["warnings"] if w["kind"] == kind]
        later = [s - faults[0] for s in starts if faults[0] - 0.5 <= s <= faults[-1]]
        assert later, f"no {kind} warning during the acted fault"
        assert min(later) <= onset_limit
    # good form is not flagged while the truth shows good form in the hold
    good = [(f["t_s"]) for f in truth["frames"] if f.get("phase") == "hold" and not f.get("fault")]
    for w in report["warnings"]:
        if w["kind"] in ("knee_bent", "back_rounding") and w["kind"] != kind:
            inside = [t for t in good if w["start_s"] <= t <= w["end_s"]]
            assert len(inside) <= 15, f"false {w['kind']} warning during good form: {w}"


def test_photo_sample() -> None:
    photo = sample("standing_fold.jpg")
    truth = json.loads(photo.with_name("standing_fold.truth.json").read_text())
    report = analyze(photo, Settings(), AnalyzeOutputs(thumbnails=False))
    f, t = report["frames"][0], truth["frames"][0]
    assert f["stretch"] == "standing_fold"
    truth_knee = min(t["angles_2d"]["knee_extension_deg"].values())
    assert abs(f["knee_extension_deg"] - truth_knee) <= 6.0
