"""Issue 16: every setting is checked for its type and range where it enters (formcheck/config.py).

A value the analysis cannot use (a One Euro cutoff of 0 divides by zero, a NaN hold target never
completes) is refused in one line naming the key, what is allowed and what was found; so is a
settings file nested too deeply to read.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from formcheck.config import load_settings
from formcheck.errors import ConfigError


def _settings(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "s.toml"
    path.write_text(text)
    return path


BAD = {
    "zero cutoff": (
        "[metrics]\nsmooth_min_cutoff_hz = 0\n",
        r"\[metrics\] smooth_min_cutoff_hz must be above 0 and at most 1000, found 0",
    ),
    "zero derivative cutoff": (
        "[metrics]\nsmooth_d_cutoff_hz = 0.0\n",
        r"\[metrics\] smooth_d_cutoff_hz must be above 0",
    ),
    "view angle past 90": (
        "[metrics]\nside_view_max_deg = 200\n",
        r"\[metrics\] side_view_max_deg must be between 0 and 90, found 200",
    ),
    "margin past the picture": (
        "[metrics]\nframe_margin = 5\n",
        r"\[metrics\] frame_margin must be between 0 and 1",
    ),
    "huge check interval": (
        "[pose]\npeople_check_s = 1e308\n",
        r"\[pose\] people_check_s must be between 0 and 3600, found 1e\+308",
    ),
    "no poses in photos": (
        "[pose]\nnum_poses_image = 0\n",
        r"\[pose\] num_poses_image must be between 1 and 10, found 0",
    ),
    "confidence above 1": (
        "[recognize]\nmin_confidence = 2\n",
        r"\[recognize\] min_confidence must be between 0 and 1, found 2",
    ),
    "unknown view": (
        '[coach]\njudge_back_views = ["side", "top"]\n',
        r"\[coach\] judge_back_views must be a list of: side, oblique, front; found 'top'",
    ),
    "unknown posture": (
        '[coach]\njudge_back_postures = ["kneeling"]\n',
        r"\[coach\] judge_back_postures must be a list of: standing, chair_sitting",
    ),
    "NaN hold target": (
        "[stretch.standing_fold]\nhold_target_s = nan\n",
        r"'stretch.standing_fold.hold_target_s' must be a finite number, found nan",
    ),
    "NaN default hold target": (
        "[defaults]\nhold_target_s = nan\n",
        r"'defaults.hold_target_s' must be a finite number, found nan",
    ),
    "endless hold target": (
        "[defaults]\nhold_target_s = 1e308\n",
        r"'defaults.hold_target_s' must be above 0 and at most 3600, found 1e\+308",
    ),
    "no reps": (
        "[defaults]\nreps_per_side = 0\n",
        r"'defaults.reps_per_side' must be a whole number between 1 and 100, found 0",
    ),
    "half a session": (
        "[defaults]\nsessions_per_day = 1.5\n",
        r"'defaults.sessions_per_day' must be a whole number between 1 and 24, found 1.5",
    ),
    "infinite rule bound": (
        "[stretch.standing_fold.rules.knee_straight]\nmin = -inf\n",
        r"'stretch.standing_fold.rules.knee_straight.min' must be a finite number, found -inf",
    ),
    "rule bound past a turn": (
        "[stretch.standing_fold.rules.knee_straight]\nmin = 1000\n",
        r"'stretch.standing_fold.rules.knee_straight.min' must be between -360 and 360",
    ),
    "deeply nested array": (
        "[pose]\nmodel = " + "[" * 100_000 + "]" * 100_000 + "\n",
        r"settings file .* nests arrays or tables too deeply",
    ),
    "deeply nested table": (
        "[pose]\nmodel = " + "{a = " * 100_000 + "1" + "}" * 100_000 + "\n",
        r"settings file .* nests arrays or tables too deeply",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_bad_setting_names_the_key_the_range_and_the_value(case: str, tmp_path: Path) -> None:
    text, match = BAD[case]
    with pytest.raises(ConfigError, match=match):
        load_settings(_settings(tmp_path, text))


def test_values_at_the_ends_of_the_ranges_are_accepted(tmp_path: Path) -> None:
    s = load_settings(
        _settings(
            tmp_path,
            "[metrics]\nsmooth_min_cutoff_hz = 1000\nside_view_max_deg = 90\nframe_margin = 0\n"
            "[pose]\npeople_check_s = 0\nnum_poses_image = 10\n"
            '[coach]\njudge_back_views = ["side", "oblique", "front"]\n'
            "[defaults]\nhold_target_s = 3600\nreps_per_side = 1\n"
            "[stretch.standing_fold.rules.knee_straight]\nmin = -360\n",
        )
    )
    assert s.metrics.smooth_min_cutoff_hz == 1000
    assert s.catalogue().hold_target_s == 3600
