"""Issue 8: every bad input gets a clear answer, and nothing measured is lost.

Each input here is generated into ``tmp_path`` (see ``tests/media.py``). formcheck must answer
either with one line on stderr and exit code 2, or with a report that says plainly what happened
(a ``notes`` entry, ``session.partial``) -- never with a Python traceback. The table of what
formcheck does with each kind of input is ``docs/robustness.md``. This file: the inputs that are
refused, bad settings and output paths, atomic writes; ``test_robustness_reports.py``: the
inputs that give a report, and interruptions.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import cv2
import media
import numpy as np
import pytest

from formcheck import cli
from tests.e2e.clirun import assert_one_line_error, run_cli

# --------------------------------------------------------------------------- refused inputs


def _empty(d: Path) -> Path:
    p = d / "empty.mp4"
    p.write_bytes(b"")
    return p


def _text_mp4(d: Path) -> Path:
    p = d / "notes.mp4"
    p.write_text("this is not a video\n" * 20)
    return p


def _text_jpg(d: Path) -> Path:
    p = d / "notes.jpg"
    p.write_text("this is not a picture\n")
    return p


def _random_noext(d: Path) -> Path:
    p = d / "blob"
    p.write_bytes(np.random.default_rng(0).bytes(4096))
    return p


def _zero_frames_mp4(d: Path) -> Path:
    p = d / "zero.mp4"
    w = cv2.VideoWriter(str(p), cv2.CAP_FFMPEG, cv2.VideoWriter_fourcc(*"mp4v"), 30, (160, 120))
    w.release()
    return p


def _zero_frames_avi(d: Path) -> Path:
    p = d / "zero.avi"
    w = cv2.VideoWriter(str(p), cv2.CAP_FFMPEG, cv2.VideoWriter_fourcc(*"MJPG"), 30, (160, 120))
    w.release()
    return p


def _cut_mp4(d: Path) -> Path:
    # OpenCV writes the moov index at the end: cut, nothing can be located
    return media.truncate_file(media.pattern_video(d / "cut.mp4", 30), 0.6)


def _cut_jpg(d: Path) -> Path:
    p = media.write_image(d / "cut.jpg", media.pattern_frame(0, (320, 240)))
    return media.truncate_file(p, 0.3)


def _folder(d: Path) -> Path:
    p = d / "folder.mp4"
    p.mkdir()
    return p


REFUSED = {
    "empty file": (_empty, "empty file"),
    "text file named .mp4": (_text_mp4, "cannot open notes.mp4 as a video"),
    "text file named .jpg": (_text_jpg, "cannot decode notes.jpg as an image"),
    "random bytes, no suffix": (_random_noext, "blob"),
    "mp4 with zero frames": (_zero_frames_mp4, "zero.mp4"),
    "avi with zero frames": (_zero_frames_avi, "no decodable video frames"),
    "cut mp4 (moov at the end)": (_cut_mp4, "cut short"),
    "cut jpg": (_cut_jpg, "cut short"),
    "folder": (_folder, "is a folder"),
    "missing file": (lambda d: d / "nothere.mp4", "input not found"),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_unreadable_input_is_one_line(case: str, tmp_path: Path) -> None:
    make, fragment = REFUSED[case]
    path = make(tmp_path)
    proc = run_cli("analyze", path, "--out", tmp_path / "out", "--no-history", cwd=tmp_path)
    assert_one_line_error(proc, fragment)
    assert not list((tmp_path / "out").glob("*.json")) if (tmp_path / "out").exists() else True


def test_refused_input_in_process(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The same through ``cli.main`` (the Python entry point): 2 and one line."""
    code = cli.main(["analyze", str(_text_mp4(tmp_path)), "--out", str(tmp_path), "--no-history"])
    assert code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("formcheck: error: cannot open notes.mp4")


@pytest.fixture
def small_video(tmp_path: Path) -> Path:
    return media.pattern_video(tmp_path / "small.mp4", 10)


@pytest.mark.parametrize(
    ("model", "fragment"),
    [("garbage", "is corrupt"), ("missing", "does not exist"), ("badname", "unknown pose model")],
)
def test_bad_model_is_one_line(
    model: str, fragment: str, small_video: Path, tmp_path: Path
) -> None:
    spec = {
        "garbage": tmp_path / "garbage.task",
        "missing": tmp_path / "nothere.task",
        "badname": "medium",
    }[model]
    (tmp_path / "garbage.task").write_bytes(b"PK\x03\x04 not really a zip" * 10)
    proc = run_cli(
        "analyze", small_video, "--model", spec, "--out", tmp_path / "o", "--no-history",
        cwd=tmp_path,
    )  # fmt: skip
    assert_one_line_error(proc, fragment)


def test_zip_without_members_is_one_line(small_video: Path, tmp_path: Path) -> None:
    import zipfile

    bad = tmp_path / "empty.task"
    with zipfile.ZipFile(bad, "w") as z:
        z.writestr("readme.txt", "nothing")
    proc = run_cli("analyze", small_video, "--model", bad, "--no-history", cwd=tmp_path)
    assert_one_line_error(proc, "incomplete")


@pytest.mark.parametrize(
    "out",
    ["/proc/formcheck-x", "/proc/self/x/y"],
)
def test_unwritable_out_fails_before_analysis(
    out: str, small_video: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import formcheck.pipeline

    def boom(*a: Any, **k: Any) -> None:
        raise AssertionError("the analysis started although the output cannot be written")

    monkeypatch.setattr(formcheck.pipeline, "analyze", boom)
    code = cli.main(["analyze", str(small_video), "--out", out, "--no-history"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.count("\n") == 1 and "cannot write" in err


def test_unwritable_out_subprocess(small_video: Path, tmp_path: Path) -> None:
    proc = run_cli("analyze", small_video, "--out", "/proc/x", "--no-history", cwd=tmp_path)
    assert_one_line_error(proc, "cannot write")


def test_json_path_is_a_folder(small_video: Path, tmp_path: Path) -> None:
    proc = run_cli("analyze", small_video, "--json", tmp_path, "--no-history", cwd=tmp_path)
    assert_one_line_error(proc, "is a folder")


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0,
    reason="root writes into read-only folders; /proc covers the case",
)
def test_read_only_folder(small_video: Path, tmp_path: Path) -> None:
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        proc = run_cli("analyze", small_video, "--out", ro, "--no-history", cwd=tmp_path)
        assert_one_line_error(proc, "cannot write")
    finally:
        ro.chmod(0o755)


CONFIGS = {
    "wrong type": ('[pose]\nnum_poses = "x"\n', "[pose] num_poses must be a number"),
    "fraction for a count": ("[pose]\nnum_poses = 1.5\n", "[pose] num_poses must be a whole"),
    "unknown key": ("[pose]\nfoo = 1\n", "unknown setting [pose] foo"),
    "unknown section": ("[poses]\nnum_poses = 1\n", "unknown section [poses]"),
    "invalid toml": ("[pose\nnum_poses = 1\n", "not valid TOML"),
    "not a table": ("pose = 3\n", "[pose] must be a table"),
    "nan": ("[pose]\nmin_detection_confidence = nan\n", "finite"),
    "out of range": ("[pose]\nmin_detection_confidence = 2.0\n", "between 0 and 1"),
    "bad stretch": ('[coach]\nstretch = "yoga"\n', "stretch must be one of"),
    "bad catalogue override": ('[defaults]\nhold_target_s = "long"\n', "hold_target_s"),
    "catalogue override not a table": ("defaults = 5\n", "defaults"),
    "binary garbage": (b"\xff\xfe\x00garbage", "settings file"),
}


@pytest.mark.parametrize("case", sorted(CONFIGS))
def test_bad_config_is_one_line(case: str, small_video: Path, tmp_path: Path) -> None:
    text, fragment = CONFIGS[case]
    cfg = tmp_path / "formcheck.toml"
    if isinstance(text, bytes):
        cfg.write_bytes(text)
    else:
        cfg.write_text(text)
    proc = run_cli("analyze", small_video, "--config", cfg, "--no-history", cwd=tmp_path)
    assert_one_line_error(proc, fragment)


def test_missing_config_file(small_video: Path, tmp_path: Path) -> None:
    proc = run_cli("analyze", small_video, "--config", tmp_path / "no.toml", cwd=tmp_path)
    assert_one_line_error(proc, "settings file not found")


def test_missing_camera_is_one_line(tmp_path: Path) -> None:
    """``formcheck live`` as a user types it, on a machine without that camera."""
    proc = run_cli("live", "--camera", "7", "--no-window", "--mute", "--no-history", cwd=tmp_path)
    assert_one_line_error(proc, "camera")


# --------------------------------------------------------------------------- atomic writes


def test_atomic_write_keeps_the_old_file(tmp_path: Path) -> None:
    from formcheck.errors import OutputError
    from formcheck.io.atomic import atomic_write
    from formcheck.report.schema import write_json

    target = tmp_path / "r.json"
    write_json({"schema_version": 1, "old": True}, target)
    before = target.read_text()

    def half(fh: Any) -> None:
        fh.write('{"schema_version": 1, "new"')
        raise OSError(28, "No space left on device")

    with pytest.raises((OSError, OutputError)):
        atomic_write(target, half)
    assert target.read_text() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.json"], "no temp file is left"

    def interrupted(fh: Any) -> None:
        fh.write("{")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        atomic_write(target, interrupted)
    assert target.read_text() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.json"]


def test_write_json_failure_keeps_the_old_report(tmp_path: Path) -> None:
    from formcheck.report.schema import write_json

    target = tmp_path / "r.json"
    write_json({"schema_version": 1, "n": 1}, target)
    with pytest.raises(TypeError):
        write_json({"schema_version": 1, "bad": object()}, target)
    assert json.loads(target.read_text()) == {"schema_version": 1, "n": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]


def test_write_json_nan_becomes_null(tmp_path: Path) -> None:
    from formcheck.report.schema import write_json

    target = write_json({"a": float("nan"), "b": [np.float32("inf"), 1.5]}, tmp_path / "n.json")
    assert json.loads(target.read_text()) == {"a": None, "b": [None, 1.5]}
