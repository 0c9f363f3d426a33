"""Issue 8: every bad input gets a clear answer, and nothing measured is lost.

Each input here is generated into ``tmp_path`` (see ``tests/media.py``). formcheck must answer
either with one line on stderr and exit code 2, or with a report that says plainly what happened
(a ``notes`` entry, ``session.partial``) -- never with a Python traceback. The table of what
formcheck does with each kind of input is ``docs/robustness.md``.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import cv2
import media
import numpy as np
import pytest

from formcheck import cli

REPO = Path(__file__).resolve().parents[2]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["FORMCHECK_OFFLINE"] = "1"
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    env.pop("OPENCV_FFMPEG_LOGLEVEL", None)
    env.pop("OPENCV_LOG_LEVEL", None)
    return env


def run_cli(*args: str | Path, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    """``formcheck ARGS`` as a user types it (a subprocess), history off."""
    cmd = [sys.executable, "-m", "formcheck", *map(str, args)]
    return subprocess.run(
        cmd, cwd=cwd, env=_env(), capture_output=True, text=True, timeout=timeout, check=False
    )


def assert_one_line_error(proc: subprocess.CompletedProcess, *fragments: str) -> str:
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("formcheck: error: "), lines[0]
    for frag in fragments:
        assert frag in lines[0], (frag, lines[0])
    return lines[0]


def analyze_report(path: Path, tmp_path: Path, *extra: str) -> dict[str, Any]:
    """Run ``formcheck analyze PATH`` as a subprocess; it must succeed quietly; the report."""
    out = tmp_path / "report.json"
    proc = run_cli(
        "analyze", path, "--json", out, "--no-history", "--no-html", "--no-csv", *extra,
        cwd=tmp_path,
    )  # fmt: skip
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 0, (proc.stdout, proc.stderr)
    assert not [ln for ln in proc.stderr.splitlines() if ln.strip()], proc.stderr
    report: dict[str, Any] = json.loads(out.read_text())
    return report


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


def _has_command(name: str) -> bool:
    return name in cli.build_parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]


@pytest.mark.skipif(not _has_command("live"), reason="the live command is not built yet")
def test_missing_camera_is_one_line(tmp_path: Path) -> None:
    proc = run_cli("live", "--camera", "7", "--no-window", "--no-history", cwd=tmp_path)
    assert_one_line_error(proc, "camera")


# --------------------------------------------------------------------------- inputs that give a report


def _report_checks(report: dict[str, Any]) -> None:
    """What every report must satisfy, whatever the input."""
    ts = [f["t_s"] for f in report["frames"]]
    assert ts == sorted(ts) and len(set(ts)) == len(ts), "frame times must strictly increase"
    assert report["schema_version"] == 1
    assert isinstance(report["notes"], list)
    for h in report["holds"]:
        assert 0 <= h["valid_s"] <= h["duration_s"] + 1e-6


@pytest.mark.model
class TestReports:
    def test_truncated_avi_decodes_what_is_there(self, tmp_path: Path) -> None:
        p = media.truncate_file(media.pattern_video(tmp_path / "cut.avi", 60), 0.6)
        r = analyze_report(p, tmp_path)
        _report_checks(r)
        assert 0 < len(r["frames"]) < 60
        assert r["session"]["partial"] is True
        assert any("cut short" in n for n in r["notes"]), r["notes"]
        assert r["source"]["frames"] == len(r["frames"])

    def test_truncated_faststart_mp4_decodes_what_is_there(self, tmp_path: Path) -> None:
        p = media.mp4_faststart(media.pattern_video(tmp_path / "cut.mp4", 60))
        media.truncate_file(p, 0.6)
        r = analyze_report(p, tmp_path)
        _report_checks(r)
        assert 0 < len(r["frames"]) < 60
        assert r["session"]["partial"] is True
        assert any("cut short" in n for n in r["notes"]), r["notes"]

    def test_whole_video_is_not_partial(self, tmp_path: Path) -> None:
        r = analyze_report(media.pattern_video(tmp_path / "ok.avi", 30), tmp_path)
        assert r["session"]["partial"] is False and len(r["frames"]) == 30
        assert not any("cut short" in n for n in r["notes"])

    @pytest.mark.parametrize(("w", "h", "n"), [(3840, 2160, 3), (64, 64, 10), (120, 160, 10)])
    def test_frame_sizes(self, w: int, h: int, n: int, tmp_path: Path) -> None:
        r = analyze_report(media.pattern_video(tmp_path / f"v{w}.mp4", n, (w, h)), tmp_path)
        _report_checks(r)
        assert (r["source"]["width"], r["source"]["height"]) == (w, h)
        assert len(r["frames"]) == n
        assert "no person was found in the video" in r["notes"]

    @pytest.mark.parametrize("rotation", [90, 270])
    def test_rotated_phone_video_is_turned_upright(self, rotation: int, tmp_path: Path) -> None:
        """A phone's portrait video: landscape pixels and a rotation tag (patched, no ffmpeg)."""
        p = media.mp4_set_rotation(media.pattern_video(tmp_path / "phone.mp4", 10), rotation)
        from formcheck.io.sources import VideoSource

        with VideoSource(p) as src:
            frames = list(src)
            assert src.info.rotation_deg == rotation
        raw = media.pattern_frame(0)
        want = np.rot90(raw, k=-1 if rotation == 90 else 1)
        assert frames[0].image.shape == want.shape
        # mp4v is lossy: compare coarsely
        diff = np.abs(frames[0].image.astype(int) - want.astype(int)).mean()
        assert diff < 20, diff
        r = analyze_report(p, tmp_path)
        assert (r["source"]["width"], r["source"]["height"]) == (120, 160)

    def test_variable_frame_rate_times_come_from_the_stream(self, tmp_path: Path) -> None:
        durations = [1 / 30] * 10 + [0.1] * 5 + [1 / 60] * 10 + [0.25] * 2 + [1 / 30] * 3
        p = media.vfr_video(tmp_path / "vfr.mp4", durations)
        r = analyze_report(p, tmp_path)
        _report_checks(r)
        got = [f["t_s"] for f in r["frames"]]
        want = media.frame_times(durations)
        assert len(got) == len(want)
        assert np.allclose(got, want, atol=2e-3), list(zip(got, want, strict=True))

    @pytest.mark.parametrize("level", [4, 252])
    def test_dark_and_overexposed(self, level: int, tmp_path: Path) -> None:
        frames = (np.clip(media.pattern_frame(i) // 40 + level, 0, 255) for i in range(15))
        p = media.write_video(tmp_path / f"light{level}.mp4", (f.astype(np.uint8) for f in frames))
        r = analyze_report(p, tmp_path)
        _report_checks(r)
        assert "no person was found in the video" in r["notes"]

    def test_grayscale_video(self, tmp_path: Path) -> None:
        gray = (cv2.cvtColor(media.pattern_frame(i), cv2.COLOR_BGR2GRAY) for i in range(10))
        r = analyze_report(media.write_video(tmp_path / "gray.avi", gray), tmp_path)
        assert len(r["frames"]) == 10

    @pytest.mark.parametrize("kind", ["gray8", "gray16", "color16", "bgra", "gray_jpg"])
    def test_image_depths_and_channels(self, kind: str, tmp_path: Path) -> None:
        base = media.pattern_frame(0, (96, 64))
        gray = cv2.cvtColor(base, cv2.COLOR_BGR2GRAY)
        image, name = {
            "gray8": (gray, "g.png"),
            "gray16": (gray.astype(np.uint16) * 257, "g16.png"),
            "color16": (base.astype(np.uint16) * 257, "c16.png"),
            "bgra": (cv2.cvtColor(base, cv2.COLOR_BGR2BGRA), "a.png"),
            "gray_jpg": (gray, "g.jpg"),
        }[kind]
        p = media.write_image(tmp_path / name, image)
        from formcheck.io.sources import ImageSource

        src = ImageSource(p)
        assert src.image.dtype == np.uint8 and src.image.shape == (64, 96, 3)
        # 16-bit pictures are scaled to 8 bits, not clipped
        want = base if kind in ("color16", "bgra") else cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR)
        assert np.abs(src.image.astype(int) - want.astype(int)).mean() < 8
        r = analyze_report(p, tmp_path)
        assert r["source"]["kind"] == "image" and len(r["frames"]) == 1

    def test_photo_with_nobody(self, tmp_path: Path) -> None:
        p = media.write_image(tmp_path / "wall.jpg", media.pattern_frame(0, value=200))
        r = analyze_report(p, tmp_path)
        assert r["frames"][0]["person"] is False
        assert "no person was found in the image" in r["notes"]


# --------------------------------------------------------------------------- people (samples)


def _person_video(tmp_path: Path, name: str, edit=None) -> Path:  # type: ignore[no-untyped-def]
    got = media.person_frames(n_max=90)
    if got is None:
        pytest.skip("no committed person sample (samples/standing_fold*.{jpg,mp4})")
    frames, fps = got
    if edit is not None:
        frames = edit(frames)
    return media.write_video(tmp_path / name, frames, fps)


@pytest.mark.model
class TestPeople:
    def test_person_walks_out_and_back(self, tmp_path: Path) -> None:
        """Black frames in the middle: a no_person warning, and the holds before are kept."""

        def edit(frames: list[np.ndarray]) -> list[np.ndarray]:
            n = len(frames)
            black = [np.zeros_like(frames[0])] * (n // 2)
            return frames[: n // 2 + 15] + black + frames[n // 2 + 15 :]

        p = _person_video(tmp_path, "away.mp4", edit)
        r = analyze_report(p, tmp_path)
        _report_checks(r)
        kinds = [w["kind"] for w in r["warnings"]]
        assert "no_person" in kinds
        away = next(w for w in r["warnings"] if w["kind"] == "no_person")
        before = [f for f in r["frames"] if f["t_s"] < away["fault_start_s"] and f["person"]]
        assert before, "the person was seen before walking out"
        if any(f["engaged"] for f in before):
            assert r["holds"] and r["holds"][0]["start_s"] < away["fault_start_s"]

    def test_legs_out_of_frame(self, tmp_path: Path) -> None:
        """The bottom 45 % cut away: a report, never a crash; see docs/robustness.md."""

        def edit(frames: list[np.ndarray]) -> list[np.ndarray]:
            h = frames[0].shape[0]
            return [np.ascontiguousarray(f[: int(h * 0.55) // 2 * 2]) for f in frames]

        r = analyze_report(_person_video(tmp_path, "legs.mp4", edit), tmp_path)
        _report_checks(r)
        assert any(f["person"] for f in r["frames"])

    def test_mirrored_video_swaps_sides(self, tmp_path: Path) -> None:
        """A selfie-mirrored video: the person's left and right swap (documented)."""
        a = analyze_report(_person_video(tmp_path, "a.mp4"), tmp_path)
        b = analyze_report(
            _person_video(tmp_path, "b.mp4", lambda fs: [cv2.flip(f, 1) for f in fs]), tmp_path
        )

        def measured_side(r: dict[str, Any]) -> str | None:
            left = sum(f["knee_extension_left_deg"] is not None for f in r["frames"])
            right = sum(f["knee_extension_right_deg"] is not None for f in r["frames"])
            return None if left == right else ("left" if left > right else "right")

        sa, sb = measured_side(a), measured_side(b)
        if sa is None or sb is None:
            pytest.skip("the sample shows both legs equally; nothing to swap")
        assert sa != sb

    @staticmethod
    def two_people() -> np.ndarray:
        """Two copies of the sample person side by side."""
        got = media.person_frames(n_max=150, width=480)
        if got is None:
            pytest.skip("no committed person sample (samples/standing_fold*.{jpg,mp4})")
        # the last frame (folded forward in the sample video): MediaPipe's detector finds both
        # copies there, while two small upright copies are often found as one
        img = got[0][-1]
        h, w = img.shape[:2]
        canvas = np.full((h, 2 * w, 3), 255, np.uint8)
        canvas[:, :w] = img
        canvas[:, w:] = img
        return canvas

    def test_several_people(self, tmp_path: Path) -> None:
        r = analyze_report(media.write_image(tmp_path / "two.jpg", self.two_people()), tmp_path)
        f = r["frames"][0]
        assert f["person"] is True, "formcheck follows one of the people"
        people = [n for n in r["notes"] if "people were in view" in n]
        assert len(people) == 1, r["notes"]

    def test_several_people_in_a_video(self, tmp_path: Path) -> None:
        # VIDEO mode tracks one person; the periodic IMAGE-mode count notices the second
        video = media.write_video(tmp_path / "two.mp4", [self.two_people()] * 90, 30.0)
        r = analyze_report(video, tmp_path)
        assert any("people were in view" in n for n in r["notes"]), r["notes"]
        assert "several_people" in {w["kind"] for w in r["warnings"]}


# --------------------------------------------------------------------------- Ctrl-C and SIGTERM


@pytest.mark.model
@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_interrupt_keeps_the_measurements(sig: int, tmp_path: Path) -> None:
    video = media.pattern_video(tmp_path / "long.mp4", 900, (480, 360))
    out = tmp_path / "long.json"
    proc = subprocess.Popen(
        [sys.executable, "-m", "formcheck", "analyze", str(video), "--json", str(out),
         "--no-history", "--no-html", "--no-csv"],
        cwd=tmp_path, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    time.sleep(3.0)
    assert proc.poll() is None, "the analysis ended before the signal; make the video longer"
    proc.send_signal(sig)
    stdout, stderr = proc.communicate(timeout=60)
    assert "Traceback" not in stderr, stderr
    assert proc.returncode == 130, (proc.returncode, stdout, stderr)
    r = json.loads(out.read_text())
    assert r["session"]["partial"] is True
    assert r["session"]["interrupted"] is True
    assert 0 < len(r["frames"]) < 900
    assert any("interrupted" in n for n in r["notes"])
    assert not list(tmp_path.glob(".*.tmp"))


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
