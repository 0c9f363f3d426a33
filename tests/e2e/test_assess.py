"""``formcheck assess`` end to end: the real model on a committed sample, as a user types it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import sample
from tests.e2e.clirun import run_cli

pytestmark = [pytest.mark.model, pytest.mark.slow]


def test_assess_slr_on_the_bent_knee_sample(tmp_path: Path) -> None:
    video = sample("supine_raise_right_knee_bent.mp4")
    truth = json.loads(video.with_suffix(".truth.json").read_text())
    proc = run_cli(
        "assess", video, "--test", "slr", "--side", "right", "--out", tmp_path, "--no-history",
        cwd=tmp_path, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    out = proc.stdout
    assert "Lie on your back" in out and "Not counted: the raised knee bent" in out
    report = json.loads((tmp_path / "supine_raise_right_knee_bent-slr.json").read_text())
    a = report["assessment"]
    (trial,) = a["trials"]
    assert trial["side"] == "right" and not trial["valid"]
    assert trial["reasons"][0].startswith("the raised knee bent")
    # the value is the raise at its top: within 4 degrees of the truth there
    t_top = trial["top_s"]
    f = min(truth["frames"], key=lambda fr: abs(fr["t_s"] - t_top))
    assert trial["value_deg"] == pytest.approx(f["angles_3d"]["leg_raise_deg"]["right"], abs=4.0)
    assert trial["still"].startswith("data:image/jpeg;base64,")
    assert (tmp_path / "supine_raise_right_knee_bent-slr.html").exists()
    assert (tmp_path / "supine_raise_right_knee_bent-slr.trials.csv").exists()
