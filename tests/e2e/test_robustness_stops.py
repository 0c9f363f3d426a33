"""Issue 16: never lose a user's file or measurements -- huge inputs, crashing and stopped
batches, impatient Ctrl-C (``docs/robustness.md``).

Inputs are generated into ``tmp_path``; a huge picture is a crafted header (a few bytes that
announce 27000 x 27000 pixels), never decoded.
"""

from __future__ import annotations

import faulthandler
import json
import os
import signal
import struct
import subprocess
import sys
import threading
import time
import zlib
from pathlib import Path
from typing import Any

import cv2
import media
import numpy as np
import pytest

from formcheck import cli, pipeline
from formcheck.io.imagesize import image_size
from formcheck.pose.frame import PoseFrame
from tests.e2e.clirun import assert_one_line_error, cli_env, run_cli
from tests.stickfigure import figure

# --------------------------------------------------------------------------- huge inputs


def _png_header(path: Path, width: int, height: int) -> Path:
    """A PNG whose header announces ``width`` x ``height`` RGB pixels; a few rows of data."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = zlib.compress(b"\0" * (1 + 3 * width) * 4)
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("suffix", [".png", ".jpg", ".webp", ".bmp"])
def test_picture_size_is_read_from_the_header(suffix: str) -> None:
    ok, buf = cv2.imencode(suffix, np.zeros((37, 53, 3), np.uint8))
    assert ok
    assert image_size(buf.tobytes()) == (53, 37)


def test_huge_picture_is_refused_before_decoding(tmp_path: Path) -> None:
    """27000 x 27000 pixels in a small PNG used to crash MediaPipe (SIGSEGV)."""
    huge = _png_header(tmp_path / "huge.png", 27000, 27000)
    assert huge.stat().st_size < 100_000
    proc = run_cli("analyze", huge, "--out", tmp_path / "out", "--no-history", cwd=tmp_path)
    assert_one_line_error(proc, "huge.png is 27000x27000 pixels", "up to 100 megapixels")


def test_absurd_video_frame_size_is_refused(tmp_path: Path) -> None:
    """A video whose frames would be 12000 x 12000 pixels (a raw YUV4MPEG2 header)."""
    video = tmp_path / "huge.y4m"
    video.write_bytes(b"YUV4MPEG2 W12000 H12000 F30:1 Ip A1:1 C420jpeg\nFRAME\n" + bytes(4096))
    proc = run_cli("analyze", video, "--out", tmp_path / "out", "--no-history", cwd=tmp_path)
    assert_one_line_error(proc, "huge.y4m is 12000x12000 pixels", "up to 40 megapixels")


# --------------------------------------------------------------------------- --jobs


def test_a_crashing_file_does_not_stop_the_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A worker killed by a native crash used to break the whole pool (BrokenProcessPool)."""
    from formcheck.commands import analyze as analyze_cmd

    inputs = [tmp_path / f"{name}.mp4" for name in ("a", "crash", "b", "c")]
    for p in inputs:
        p.write_bytes(b"stand-in")

    def fake_analyze_one(path: str, args: Any, settings: Any, progress: bool) -> tuple:
        if Path(path).name == "crash.mp4":
            faulthandler.disable()  # no stack dump in the test output
            os.kill(os.getpid(), signal.SIGSEGV)
        return {"session": {"interrupted": False}}, [f"{path}: analysed"]

    monkeypatch.setattr(analyze_cmd, "analyze_one", fake_analyze_one)
    code = cli.main(
        ["analyze", *map(str, inputs), "--jobs", "2", "--out", str(tmp_path), "--no-history"]
    )
    out, err = capsys.readouterr()
    assert code == 2
    assert "Traceback" not in err and "BrokenProcessPool" not in err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    line = lines[0]
    assert line.startswith("formcheck: error: ") and "crash.mp4" in line
    assert "crashed (killed by SIGSEGV)" in line
    done = sorted(ln.split("/")[-1] for ln in out.splitlines())
    assert done == ["a.mp4: analysed", "b.mp4: analysed", "c.mp4: analysed"]


def _children(pid: int) -> list[int]:
    kids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid:
            kids.append(int(stat.parent.name))
    return kids


def _cpu_s(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@pytest.mark.model
@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
@pytest.mark.parametrize("how", ["SIGTERM", "Ctrl-C"])
def test_a_stopped_batch_stops_promptly_and_keeps_what_was_measured(
    how: str, tmp_path: Path
) -> None:
    """SIGTERM to ``analyze --jobs`` used to wait until every file was done; Ctrl-C in a
    terminal reaches every process of the group at once."""
    n = 1500  # 50 s of video each: far longer to analyse than the stop may take
    videos = [media.pattern_video(tmp_path / f"{k}.mp4", n, (320, 240)) for k in "abc"]
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [sys.executable, "-m", "formcheck", "analyze", *map(str, videos), "--jobs", "2",
         "--out", str(out), "--no-history", "--no-html", "--no-csv"],
        cwd=tmp_path, env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    )  # fmt: skip
    try:
        # both workers have loaded the model and measured frames (a few seconds of CPU each)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            kids = _children(proc.pid)
            if len(kids) == 2 and all(_cpu_s(k) > 4.0 for k in kids):
                break
            time.sleep(0.2)
        assert proc.poll() is None, proc.communicate()
        t0 = time.monotonic()
        if how == "SIGTERM":
            proc.send_signal(signal.SIGTERM)
        else:
            os.killpg(proc.pid, signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=300)
        stop_s = time.monotonic() - t0
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert "Traceback" not in stderr, stderr
    assert proc.returncode == 130, (proc.returncode, stdout, stderr)
    assert stop_s < 30, f"the batch took {stop_s:.0f} s to stop"
    reports = sorted(out.glob("*.json"))
    assert [p.name for p in reports] == ["a.json", "b.json"], "c never started"
    for path in reports:
        r = json.loads(path.read_text())
        assert r["session"]["interrupted"] is True and r["session"]["partial"] is True
        assert 0 < len(r["frames"]) < n
        assert r["source"]["frames"] == len(r["frames"]) and r["source"]["file_frames"] == n
    assert not list(out.glob(".*.tmp"))


# --------------------------------------------------------------------------- impatient Ctrl-C


class _Pose:
    """The pose stage without a model: a standing stick figure."""

    model_path = Path("replay.task")

    def __init__(self, options: object = None, *, video: bool = True) -> None:
        self.n = 0

    def detect(self, image: np.ndarray, t_s: float, rgb: np.ndarray | None = None) -> PoseFrame:
        self.n += 1
        if self.n == 10:  # the first Ctrl-C, during the analysis
            signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGINT)
            time.sleep(0.3)
        return figure(t_s=t_s)

    def close(self) -> None:
        pass


def test_a_second_ctrl_c_while_the_report_is_written_keeps_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from formcheck.report import schema

    video = media.pattern_video(tmp_path / "v.mp4", 90)
    real_atomic_write = schema.atomic_write

    def impatient_write(path: Any, write: Any, **kw: Any) -> Path:
        def half_then_ctrl_c(fh: Any) -> None:
            fh.write(" ")
            signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGINT)
            for _ in range(1000):  # the Python-level handler runs in here
                pass
            write(fh)

        return real_atomic_write(path, half_then_ctrl_c, **kw)

    monkeypatch.setattr(pipeline, "PoseEstimator", _Pose)
    monkeypatch.setattr(schema, "atomic_write", impatient_write)
    out = tmp_path / "v.json"
    code = cli.main(["analyze", str(video), "--json", str(out), "--no-history", "--no-html"])
    err = capsys.readouterr().err
    assert code == 130
    assert out.exists(), "the report of what was measured was lost"
    report = json.loads(out.read_text())
    assert "Traceback" not in err
    assert "formcheck: stopping: saving what was measured, one moment" in err.splitlines()
    assert report["session"]["interrupted"] is True and 0 < len(report["frames"]) < 90
    assert (tmp_path / "v.csv").exists(), "the other outputs are written too"
    assert not list(tmp_path.glob(".*.tmp"))
