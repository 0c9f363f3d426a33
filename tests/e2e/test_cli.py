"""The CLI as a user types it: in-process and as a subprocess, with the real model."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from formcheck.cli import main
from tests.conftest import ROOT

FORMCHECK = [sys.executable, "-m", "formcheck"]


def run_cli(*args, cwd=None, timeout=300):
    return subprocess.run(
        [*FORMCHECK, *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd or ROOT,
        timeout=timeout,
    )


#: modules whose import takes a noticeable time; ``formcheck --help`` must load none of them
HEAVY_MODULES = ("mediapipe", "cv2", "matplotlib", "torch", "pyrender", "anny")


def test_help_lists_commands_and_imports_nothing_heavy():
    """``--help`` is instant because it imports no heavy module (checked, not timed)."""
    r = run_cli("--help")
    assert r.returncode == 0, r.stderr
    from formcheck.cli import COMMANDS

    for cmd in COMMANDS:
        assert cmd in r.stdout
    code = (
        "import sys\n"
        "from formcheck.cli import main\n"
        "try:\n"
        "    main(['--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        f"print(sorted(m for m in {HEAVY_MODULES!r} if m in sys.modules), file=sys.stderr)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert "usage: formcheck" in out.stdout
    assert out.stderr.strip() == "[]", out.stderr


def test_unreadable_input_is_one_line_exit_2(tmp_path):
    bad = tmp_path / "notes.mp4"
    bad.write_text("this is not a video\n")
    r = run_cli("analyze", bad, "--out", tmp_path / "o", "--no-history")
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    lines = [x for x in r.stderr.splitlines() if x.strip()]
    assert len(lines) == 1 and lines[0].startswith("formcheck: error:")
    assert "notes.mp4" in lines[0]


def test_missing_input_and_bad_config(tmp_path, capsys):
    assert main(["analyze", str(tmp_path / "nope.mp4"), "--no-history"]) == 2
    assert "input not found" in capsys.readouterr().err
    cfg = tmp_path / "bad.toml"
    cfg.write_text('[pose]\nnum_poses = "two"\n')
    assert main(["analyze", str(tmp_path / "x.jpg"), "--config", str(cfg)]) == 2
    err = capsys.readouterr().err
    assert "num_poses" in err and "number" in err
    cfg.write_text("[pose]\nmodle = 'full'\n")
    assert main(["analyze", str(tmp_path / "x.jpg"), "--config", str(cfg)]) == 2
    assert "unknown setting [pose] modle" in capsys.readouterr().err


@pytest.mark.model
def test_missing_model_path_is_one_line(tmp_path):
    img = tmp_path / "blank.png"
    import cv2

    cv2.imwrite(str(img), np.zeros((64, 64, 3), np.uint8))
    r = run_cli(
        "analyze", img, "--model", tmp_path / "missing.task", "--no-history", "--out", tmp_path
    )
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    assert "missing.task" in r.stderr


@pytest.mark.model
def test_photo_with_nobody_says_so(tmp_path):
    import cv2

    img = tmp_path / "empty_room.jpg"
    cv2.imwrite(str(img), np.full((480, 640, 3), 180, np.uint8))
    r = run_cli("analyze", img, "--out", tmp_path / "o", "--no-history")
    assert r.returncode == 0, r.stderr
    assert "no person was found in the image" in r.stdout
    report = json.loads((tmp_path / "o" / "empty_room.json").read_text())
    assert report["frames"][0]["person"] is False
    assert report["frames"][0]["knee_extension_deg"] is None


@pytest.mark.model
@pytest.mark.shared
@pytest.mark.parametrize(
    ("photo", "stretch"),
    [
        ("standing_forward_fold__yuhonas_free-exercise-db__001.jpg", "standing_fold"),
        ("supine_strap_hamstring__yuhonas_free-exercise-db__001.jpg", "supine_raise"),
        ("supine_hands_hamstring__yuhonas_free-exercise-db__001.jpg", "supine_raise"),
    ],
)
def test_real_photos_straight_leg_stretches(shared_real, tmp_path, photo, stretch):
    out = tmp_path / "r.json"
    assert (
        main(["analyze", str(shared_real / photo), "--json", str(out), "--no-history", "--no-html"])
        == 0
    )
    report = json.loads(out.read_text())
    assert report["schema_version"] == 1
    assert report["source"]["kind"] == "image"
    f = report["frames"][0]
    assert f["person"] is True
    assert f["stretch"] == stretch
    assert f["knee_extension_deg"] > 155  # straight-legged stretches in these photos


@pytest.mark.model
@pytest.mark.shared
def test_real_video_end_to_end_timestamps(shared_real, tmp_path):
    video = shared_real / "video_pushup_correct__kaiakol_computervision__001.mp4"  # 25 fps
    out = tmp_path / "v.json"
    ann = tmp_path / "v_annotated.mp4"
    assert (
        main(["analyze", str(video), "--json", str(out), "--annotate", str(ann), "--no-history"])
        == 0
    )
    report = json.loads(out.read_text())
    src = report["source"]
    assert src["kind"] == "video" and src["fps"] == pytest.approx(25.0)
    t = [f["t_s"] for f in report["frames"]]
    assert len(t) == src["frames"] == 61
    np.testing.assert_allclose(np.diff(t), 1 / 25, atol=1e-3)
    assert sum(f["person"] for f in report["frames"]) >= 55
    import cv2

    cap = cv2.VideoCapture(str(ann))
    assert int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == 61
    cap.release()
    assert Path(out.with_suffix(".html")).exists() and Path(out.with_suffix(".csv")).exists()
