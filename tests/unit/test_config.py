import pytest

from formcheck.config import load_settings
from formcheck.errors import ConfigError


def write(tmp_path, text):
    p = tmp_path / "s.toml"
    p.write_text(text)
    return p


def test_defaults_then_file(tmp_path):
    s = load_settings(
        write(
            tmp_path,
            """
[pose]
model = "lite"
num_poses = 1
[metrics]
min_visibility = 0.6
[coach]
warn_on_s = 0.3
[stretch.standing_fold]
hold_target_s = 20
[stretch.supine_raise.rules.knee_straight]
min = 150
""",
        )
    )
    assert s.pose.model == "lite" and s.pose.num_poses == 1
    assert s.metrics.min_visibility == 0.6
    assert s.coach.warn_on_s == 0.3
    cat = s.catalogue()
    assert cat["standing_fold"].hold_target_s == 20
    assert [r.min for r in cat["supine_raise"].rules if r.id == "knee_straight"] == [150]


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("[pose]\nnum_poses = 'x'\n", r"\[pose\] num_poses must be a number"),
        ("[pose]\nmin_detection_confidence = 3\n", "between 0 and 1"),
        ("[metrics]\nfoo = 1\n", r"unknown setting \[metrics\] foo"),
        ("[nonsense]\na = 1\n", r"unknown section \[nonsense\]"),
        ("[coach]\nstretch = 'yoga'\n", "stretch must be one of"),
        ("[stretch.standing_fold]\nhold_target_s = -5\n", "hold_target_s"),
        ("[stretch.standing_fold.rules.knee_straight]\nmin = 'high'\n", "must be a float"),
        (
            "[stretch.unknown_stretch]\nhold_target_s = 5\n",
            "unknown setting 'stretch.unknown_stretch'",
        ),
        ("this is = = not toml", "not valid TOML"),
    ],
)
def test_bad_config_values_name_the_key(tmp_path, text, match):
    with pytest.raises(ConfigError, match=match):
        load_settings(write(tmp_path, text))


def test_missing_settings_file(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_settings(tmp_path / "nope.toml")


def test_the_documented_example_is_valid():
    from tests.conftest import ROOT

    s = load_settings(ROOT / "docs" / "config.example.toml")
    assert s.pose.model == "full"
    assert s.catalogue()["supine_raise"].rules[0].min == 155.0
