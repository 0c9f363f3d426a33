"""benchmarks/compare_models.py puts accuracy.py --json outputs of several pose models side by
side (issue 19); accuracy.py keeps each model's cached reports apart. Made-up figures: no model."""

from __future__ import annotations

import json
import math
import sys
from typing import Any

from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
from accuracy import REPORTS, reports_dir  # noqa: E402
from compare_models import best_per_view, condition_table, load, real_table, render  # noqa: E402


def _group(clips: int, recog: float, knee: float, f1: float = math.nan) -> dict[str, Any]:
    return {
        "clips": clips,
        "recog": recog,
        "recog_side_oblique": recog,
        "side": 0.5,
        "no_stretch": 1.0,
        "holds_valid": 4,
        "holds_valid_within_1s": 3,
        "episodes": 2,
        "episodes_warned": 1,
        "back_rounding": {"f1": f1},
        "knee": {"mae": knee},
        "hip": {"mae": 2.0 * knee},
    }


def _run(model: str, side_recog: float, knee: float) -> dict[str, Any]:
    groups = {
        "all": _group(3, 0.8, knee, 0.9),
        "view=side": _group(2, side_recog, knee),
        "view=front": _group(1, 0.25, math.nan),
    }
    real = {
        "files": 5,
        "person": 1.0,
        "recognised": side_recog,
        "recognised_n": 4,
        "recognised_by_view": {"side": [side_recog, 4]},
        "working_leg": math.nan,
        "working_leg_n": 0,
        "negative_no_stretch": 1.0,
        "negative_n": 1,
        "back_labelled": 2,
        "back_abstain_rate": 0.5,
        "back_right_when_judged": 1.0,
        "back_judged": 1,
        "straight_knee_median_deg": 170.0,
    }
    split = {"clips": 3, "elapsed_s": 30.0, "groups": groups, "model": model, "per_clip": []}
    return {"synthetic": {"tuning": split}, "real": {"realset": real}, "model": model}


RUNS = {"lite": _run("lite", 0.5, 6.0), "heavy": _run("heavy", 1.0, 3.0)}


def test_condition_table_one_row_per_group_and_model() -> None:
    lines = condition_table("tuning", RUNS)
    hdr = lines[1].split()
    for col in ("group", "model", "clips", "rec", "leg", "none", "holds<=1s", "warned", "F1"):
        assert col in hdr
    rows = [ln for ln in lines[3:] if not ln.startswith("(")]
    assert len(rows) == 3 * 2  # three groups, two models
    assert rows[0].split()[:3] == ["all", "lite", "3"]
    assert rows[1].split()[:2] == ["heavy", "3"]  # the group name only on its first row
    side_lite, side_heavy = rows[2].split(), rows[3].split()
    assert side_lite[:4] == ["view=side", "lite", "2", "50%"]
    assert side_heavy[:3] == ["heavy", "2", "100%"]
    assert side_heavy[-4:] == ["1/2", "-", "3.0", "6.0"]  # warned, F1 (NaN), knee, hip
    assert "3/4" in side_heavy  # holds within 1 s
    front = rows[4].split()
    assert front[-2:] == ["-", "-"]  # no knee / hip figure


def test_best_per_view_and_real_rows() -> None:
    best = best_per_view("tuning", RUNS)
    assert "side: recog heavy 100%, knee heavy 3.0, hip heavy 6.0" in best
    assert "front: recog lite=heavy 25%, knee -" in best
    real = real_table(RUNS)
    assert real[0].startswith("\nreal set realset")
    assert real[1].split() == ["lite", "heavy"]
    recognised = next(ln for ln in real if ln.startswith("stretch recognised"))
    assert recognised.split()[-4:] == ["50%", "(4)", "100%", "(4)"]
    leg = next(ln for ln in real if ln.startswith("working leg"))
    assert leg.split()[-2:] == ["-", "-"]
    assert any(ln.split()[:3] == ["recognised,", "view", "side"] for ln in real)


def test_load_names_runs_by_model_and_renders(tmp_path) -> None:
    paths = []
    for name, run in RUNS.items():
        p = tmp_path / f"out_{name}.json"
        p.write_text(json.dumps(run))  # NaN written as JSON's NaN, as accuracy.py does
        paths.append(p)
    runs = load(paths)
    assert list(runs) == ["lite", "heavy"]
    text = render(runs)
    assert text.startswith("pose models compared: lite, heavy")
    assert "analysis s per clip (tuning): lite 10.0 (wall), heavy 10.0 (wall)" in text


def test_report_cache_differs_per_model() -> None:
    assert reports_dir("tuning") == REPORTS / "tuning"  # the full model's cache stays where it was
    dirs = {m: reports_dir("tuning", m) for m in ("lite", "full", "heavy")}
    assert len(set(dirs.values())) == 3
    assert dirs["full"] == REPORTS / "tuning"
    assert reports_dir("sealed", "heavy") != reports_dir("tuning", "heavy")
    assert all(d.parent != REPORTS / "tuning" for d in dirs.values())  # none nested in another
