"""Issue 8, continued: inputs that give a report, and interruptions that keep what was measured.

Each input is generated into ``tmp_path`` (``tests/media.py``); formcheck must answer with a
report that says plainly what happened (a ``notes`` entry, ``session.partial``), never with a
Python traceback (``docs/robustness.md``).
"""

from __future__ import annotations

import json
import os
import pty
import re
import select
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import cv2
import media
import numpy as np
import pytest

from tests.e2e.clirun import analyze_report, cli_env

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


def _read_until(fd: int, proc: subprocess.Popen, pattern: bytes) -> bytes:
    """Read the terminal ``fd`` until ``pattern`` shows (or the process ends); what was read."""
    seen = b""
    while proc.poll() is None and not re.search(pattern, seen):
        ready, _, _ = select.select([fd], [], [], 0.5)
        if ready:
            try:
                seen += os.read(fd, 4096)
            except OSError:  # the other end closed
                break
    return seen


def _read_to_end(fd: int) -> bytes:
    rest = b""
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # EIO: the process closed the terminal
            return rest
        if not chunk:
            return rest
        rest += chunk


@pytest.mark.model
@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_interrupt_keeps_the_measurements(sig: int, tmp_path: Path) -> None:
    """The signal arrives once the progress bar (stderr on a terminal) counts analysed frames."""
    n = 900
    video = media.pattern_video(tmp_path / "long.mp4", n, (480, 360))
    out = tmp_path / "long.json"
    terminal, stderr_end = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "formcheck", "analyze", str(video), "--json", str(out),
         "--no-history", "--no-html", "--no-csv"],
        cwd=tmp_path, env=cli_env(), stdout=subprocess.PIPE, stderr=stderr_end, text=True,
    )  # fmt: skip
    os.close(stderr_end)
    try:
        seen = _read_until(terminal, proc, rb" [1-9][0-9]*/%d " % n)
        assert proc.poll() is None, ("the analysis ended before the signal", seen)
        proc.send_signal(sig)
        seen += _read_to_end(terminal)
        stdout, _ = proc.communicate()
    finally:
        os.close(terminal)
        if proc.poll() is None:
            proc.kill()
    stderr = seen.decode("utf-8", "replace")
    assert "Traceback" not in stderr, stderr
    assert proc.returncode == 130, (proc.returncode, stdout, stderr)
    r = json.loads(out.read_text())
    assert r["session"]["partial"] is True
    assert r["session"]["interrupted"] is True
    assert 0 < len(r["frames"]) < n
    assert any("interrupted" in note for note in r["notes"])
    assert not list(tmp_path.glob(".*.tmp"))
