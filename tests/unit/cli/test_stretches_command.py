"""``formcheck stretches`` and ``formcheck stretches NAME`` (issue 17)."""

from __future__ import annotations

import pytest

from formcheck.cli import main
from formcheck.stretches.catalogue import load_catalogue
from formcheck.stretches.setup import setup_steps


def test_list_names_every_stretch_with_posture_and_hold(capsys):
    assert main(["stretches"]) == 0
    out = capsys.readouterr().out
    cat = load_catalogue()
    for s in cat.stretches.values():
        line = next(ln for ln in out.splitlines() if ln.startswith(s.id + " "))
        assert s.name in line
        assert s.posture in line
        assert f"{s.hold_target_s:g} s" in line


def test_detail_shows_setup_position_rules_with_seeds_and_hold(capsys):
    assert main(["stretches", "seated_chair"]) == 0
    out = capsys.readouterr().out
    cat = load_catalogue()
    s = cat["seated_chair"]
    for step in setup_steps(s):
        assert step in out
    assert "Position formcheck expects" in out
    for cond in s.engaged:
        assert cond.missing in out
    for rule in cat.rules_for("seated_chair"):
        assert f"{rule.id}:" in out
        assert f"seed {rule.source}" in out
    assert "knee angle (working leg) at least 160 deg" in out
    assert f"Hold target: {s.hold_target_s:g} s" in out


def test_name_words_find_a_stretch(capsys):
    assert main(["stretches", "wall"]) == 0
    assert "(supine_wall)" in capsys.readouterr().out


@pytest.mark.parametrize(("name", "says"), [("seated", "several"), ("yoga", "no stretch")])
def test_unknown_or_ambiguous_name_is_one_line_error(capsys, name, says):
    assert main(["stretches", name]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert says in err[0]
    assert "standing_fold" in err[0]


def test_settings_file_changes_the_hold_target(tmp_path, capsys):
    cfg = tmp_path / "s.toml"
    cfg.write_text("[stretch.standing_fold]\nhold_target_s = 45\n")
    assert main(["stretches", "standing_fold", "--config", str(cfg)]) == 0
    assert "Hold target: 45 s" in capsys.readouterr().out


def test_setup_steps_split_sentences_and_semicolons():
    steps = setup_steps(load_catalogue()["seated_floor"])
    assert len(steps) >= 2
    assert all(st[0].isupper() and st.endswith(".") for st in steps)
