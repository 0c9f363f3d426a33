"""Tests of the live session loop: keys, CLI errors, whole sessions on a replayed pose (no
model: the per-frame step with a stand-in pose estimator), and end to end with the real model:
headless from a stand-in video, SIGTERM, and a real window under Xvfb.

The end-to-end tests play a short video at real-time pace: a 4 s clip of a committed sample
(samples/*.mp4) when there is one, else a video made from a real photo in ../shared/data/real;
they skip when neither exists. No test bounds the wall-clock time: pacing is checked through
frame counts and timestamps (and on a fake clock in test_capture.py).
"""

from __future__ import annotations

import json
import math
import os
import shutil
import signal
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from formcheck.config import Settings
from formcheck.io.sources import Frame
from formcheck.live.audio import RecordingAudio
from formcheck.live.capture import LatestFrame, PacedVideoReader
from formcheck.live.plan import Plan, default_plan
from formcheck.live.session import LiveOptions, LiveSession, run_live
from formcheck.pipeline import Analyzer
from formcheck.pose.frame import PoseFrame
from tests.media import write_video
from tests.stickfigure import figure

REPO = Path(__file__).resolve().parents[3]
REAL_PHOTO = (
    REPO.parent
    / "shared"
    / "data"
    / "real"
    / "standing_forward_fold__yuhonas_free-exercise-db__001.jpg"
)
CLIP_S = 4.0


# --------------------------------------------------------------------------- keys and CLI
def test_keys_pause_skip_switch_and_quit() -> None:
    plan = Plan(stretch="seated_chair", sides=("right", "left"), reps=3)
    s = LiveSession(Settings(), plan, LiveOptions(window=False))
    assert s.handle_key(ord(" "), 1.0, None) and s.paused
    assert s.guide is not None and s.guide.paused
    s.handle_key(ord(" "), 5.0, None)
    assert not s.paused and not s.guide.paused
    s.handle_key(ord("d"), 5.0, None)
    assert s.debug
    s.handle_key(ord("s"), 5.0, None)
    assert s.guide.side == "left"
    s.handle_key(ord("n"), 6.0, None)
    assert s.guide.step == "rest"
    s.handle_key(ord("m"), 6.0, None)
    assert s.cues.muted
    assert s.handle_key(ord("q"), 7.0, None) is False and s.end_reason == "quit"
    assert s.handle_key(27, 7.0, None) is False


def test_live_without_a_camera_is_one_clear_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from formcheck.cli import main

    if list(Path("/dev").glob("video*")):
        pytest.skip("this machine has a camera")
    code = main(["live", "--no-window", "--mute", "--no-history", "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2 and "no camera found" in err and "--source" in err
    assert len(err.strip().splitlines()) == 1


def test_bad_plan_file_is_one_clear_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from formcheck.cli import main

    plan = tmp_path / "plan.toml"
    plan.write_text("reps = 0\n")
    code = main(["live", "--source", "x.mp4", "--plan", str(plan), "--no-window"])
    assert code == 2 and "reps must be a whole number" in capsys.readouterr().err


def test_bad_inference_width_is_one_clear_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from formcheck.cli import main

    code = main(["live", "--source", "x.mp4", "--inference-width", "-5", "--no-window"])
    err = capsys.readouterr().err
    assert code == 2 and "--inference-width must be 0 or more, found -5" in err
    assert len(err.strip().splitlines()) == 1


# --------------------------------------------------------------------------- replayed pose
#: lying on the back, the left leg raised straight to 80 degrees, hands on it (supine_raise)
LEFT_RAISE = dict(hip=(320, 400), trunk_deg=-90, wrist=(336, 311), thigh_deg=(170, 90))


class ReplayPose:
    """Stands in for the pose estimator: the same stick figure at every frame time."""

    model_path = Path("replay.task")

    def __init__(self, **figure_kw: object) -> None:
        self.kw = figure_kw

    def detect(self, image: np.ndarray, t_s: float, rgb: np.ndarray | None = None) -> PoseFrame:
        return figure(t_s=t_s, **self.kw)  # type: ignore[arg-type]

    def close(self) -> None:
        pass


@pytest.fixture(scope="module")
def blank_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """8 s of a blank 160x120 picture at 30 fps (the replayed pose ignores the picture)."""
    out = tmp_path_factory.mktemp("live") / "blank.mp4"
    return write_video(out, (np.zeros((120, 160, 3), np.uint8) for _ in range(240)), 30.0)


def _replay_session(video: Path, plan: Plan, tmp_path: Path, **figure_kw: object) -> dict:
    settings = Settings()
    analyzer = Analyzer(
        settings,
        video=True,
        hold_target_s=plan.hold_s,
        pose=ReplayPose(**figure_kw),  # type: ignore[arg-type]
    )
    options = LiveOptions(
        source=str(video), window=False, speed=4.0, screenshot=str(tmp_path / "shot.png"),
        screenshot_after_s=0.0,
    )  # fmt: skip
    lines: list[str] = []
    report = LiveSession(settings, plan, options, analyzer=analyzer, on_line=lines.append).run()
    report["_lines"] = lines
    return report


def test_session_on_a_replayed_pose_completes_the_plan(blank_video: Path, tmp_path: Path) -> None:
    plan = Plan(stretch="supine_raise", sides=("left",), reps=1, hold_s=4.0)
    report = _replay_session(blank_video, plan, tmp_path, n_people=2, **LEFT_RAISE)
    assert report["session"]["mode"] == "live"
    assert report["session"]["end_reason"] == "plan complete"
    assert report["session"]["model"] == "replay.task"
    # the plan's hold target reached the coach's timer
    (hold,) = report["holds"]
    assert (hold["stretch"], hold["side"], hold["target_s"], hold["completed"]) == (
        "supine_raise", "left", 4.0, True,
    )  # fmt: skip
    assert report["plan"]["finished"] is True and report["plan"]["completed"] == {"left": 1}
    assert any("rep completed (left 1/1)" in line for line in report["_lines"])
    # one row per processed frame, no private keys; people in view come from the pose frames
    rows = report["frames"]
    assert len(rows) == report["live"]["frames_processed"] > 0
    assert not any(k.startswith("_") for k in rows[0])
    assert any("up to 2 people were in view" in n for n in report["notes"])
    live = report["live"]
    assert live["frames_processed"] + live["frames_dropped"] == live["frames_captured"]
    assert live["screenshot"].endswith("shot.png") and (tmp_path / "shot.png").exists()


def test_session_on_a_replayed_pose_judges_the_plans_leg(blank_video: Path, tmp_path: Path) -> None:
    # the plan says right leg while the left one is raised: the coach judges the right leg
    plan = Plan(stretch="supine_raise", sides=("right",), reps=1, hold_s=4.0)
    report = _replay_session(blank_video, plan, tmp_path, **LEFT_RAISE)
    rows = report["frames"]
    assert {r["side"] for r in rows if r["stretch"]} == {"right"}
    assert report["holds"] == [] and report["plan"]["finished"] is False
    assert report["session"]["end_reason"] == "end of video"
    # frames are dropped, never queued: the last frame processed is the video's last one
    assert rows[-1]["t_s"] == pytest.approx(239 / 30, abs=1e-3)
    assert report["source"]["stand_in_camera"] is True


# --------------------------------------------------------------------------- end to end
@pytest.fixture(scope="module")
def stand_in_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A CLIP_S-second video of a real person at 30 fps (see the module docstring)."""
    import cv2

    out = tmp_path_factory.mktemp("live") / "stand_in.mp4"
    samples = sorted((REPO / "samples").glob("*.mp4"))
    samples.sort(key=lambda p: p.name != "standing_fold_good.mp4")
    if samples:
        cap = cv2.VideoCapture(str(samples[0]))
        fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
        ok, img = cap.read()
        if ok:
            h, w = img.shape[:2]
            vw = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
            n = 0
            while ok and n < CLIP_S * fps:
                vw.write(img)
                n += 1
                ok, img = cap.read()
            vw.release()
            cap.release()
            return out
        cap.release()
    if not REAL_PHOTO.exists():
        pytest.skip("no samples/*.mp4 and no ../shared/data/real photo to make a video from")
    photo = cv2.imread(str(REAL_PHOTO))
    W, H = 640, 480
    small = cv2.resize(photo, (W, int(photo.shape[0] * W / photo.shape[1])))
    vw = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*"mp4v"), 30.0, (W, H))
    for i in range(int(CLIP_S * 30)):
        dx, dy = 3 * math.cos(i / 7), (H - small.shape[0]) / 2 + 3 * math.sin(i / 5)
        m = np.float32([[1, 0, dx], [0, 1, dy]])
        vw.write(cv2.warpAffine(small, m, (W, H), borderValue=(255, 255, 255)))
    vw.release()
    return out


def _live_cmd(video: Path, out: Path, *extra: str) -> list[str]:
    return [
        sys.executable, "-m", "formcheck", "live", "--source", str(video), "--mute",
        "--no-history", "--json", str(out / "live.json"), *extra,
    ]  # fmt: skip


@pytest.mark.model
@pytest.mark.slow
def test_headless_session_from_a_stand_in_video(stand_in_video: Path, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    proc = subprocess.run(
        _live_cmd(stand_in_video, tmp_path, "--screenshot", str(tmp_path / "shot.png")),
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        cwd=REPO,
    )
    assert proc.returncode == 0, proc.stderr
    report = json.loads((tmp_path / "live.json").read_text())
    assert report["schema_version"] == 1
    assert report["session"]["mode"] == "live" and report["session"]["partial"] is False
    assert report["session"]["end_reason"] == "end of video"
    assert {"frames", "holds", "warnings", "summary", "source"} <= report.keys()
    assert (tmp_path / "live.html").exists() and (tmp_path / "live.csv").exists()
    live = report["live"]
    n = len(report["frames"])
    assert n == live["frames_processed"] and 0 < n <= report["source"]["frames"]
    assert live["frames_captured"] == report["source"]["frames"]
    assert live["frames_processed"] + live["frames_dropped"] == live["frames_captured"]
    # frames are dropped, never queued: the last frame processed is the video's last one
    src = report["source"]
    assert report["frames"][-1]["t_s"] == pytest.approx((src["frames"] - 1) / src["fps"], abs=0.02)
    assert any(f["person"] for f in report["frames"])
    assert report["plan"]["plan"]["reps"] == 3
    assert "] " in proc.stdout  # prompts printed as lines
    assert (tmp_path / "shot.png").exists() and live["screenshot"].endswith("shot.png")
    assert live["inference_width"] == 640  # live mode's default (formcheck live --inference-width)


@pytest.mark.model
@pytest.mark.slow
def test_python_api_session_records_its_audio_cues(stand_in_video: Path) -> None:
    rec = RecordingAudio()
    lines: list[str] = []
    report = run_live(
        Settings(),
        default_plan(),
        LiveOptions(source=str(stand_in_video), window=False, duration_s=2.0),
        audio=rec,
        on_line=lines.append,
    )
    assert report["session"]["mode"] == "live" and report["session"]["end_reason"] == "duration"
    said = [d for k, d in rec.events if k == "say"]
    assert said and said[0] in " ".join(lines)  # the first prompt shown was spoken


@pytest.mark.model
@pytest.mark.slow
def test_sigterm_ends_the_session_and_writes_a_partial_report(
    stand_in_video: Path, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    proc = subprocess.Popen(
        _live_cmd(stand_in_video, tmp_path, "--no-html", "--no-csv"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=REPO,
    )
    assert proc.stdout is not None
    # wait for the first prompt line: the model is loaded and a frame has been measured
    for line in proc.stdout:
        if line.startswith("["):
            break
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    report = json.loads((tmp_path / "live.json").read_text())
    assert report["session"]["partial"] is True and report["session"]["interrupted"] is True
    assert report["frames"], "what was measured before the signal is in the report"
    # the part played, not the whole file (issue 16)
    src = report["source"]
    assert src["frames"] == report["live"]["frames_captured"] < src["file_frames"]
    assert src["duration_s"] < src["file_duration_s"]


# --------------------------------------------------------------------------- safe shutdown
class NativeCallLandmarker:
    """Stands in for MediaPipe's landmarker the way its Tasks API works: each call runs on a
    thread of its own while the caller waits for it. Half way through a call, ``sig`` reaches
    the main thread (a SIGTERM or Ctrl-C during inference)."""

    def __init__(self, sig: int) -> None:
        self.sig = sig
        self.in_flight = False
        self.pool = ThreadPoolExecutor(1)

    def _native(self) -> SimpleNamespace:
        self.in_flight = True
        signal.pthread_kill(threading.main_thread().ident or 0, self.sig)
        time.sleep(0.5)  # the native code still uses the caller's buffers
        self.in_flight = False
        return SimpleNamespace(pose_landmarks=[], pose_world_landmarks=[], segmentation_masks=[])

    def detect_for_video(self, image: object, ts_ms: int) -> SimpleNamespace:
        return self.pool.submit(self._native).result()

    def close(self) -> None:
        self.pool.shutdown()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_stop_signal_waits_for_the_native_pose_call(
    sig: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The SIGSEGV of ``live`` on SIGTERM: KeyboardInterrupt was raised while MediaPipe's
    native call still ran, and the frame that owned its buffers was unwound under it."""
    from mediapipe.tasks.python.vision import PoseLandmarker

    from formcheck.io import signals
    from formcheck.pose.estimator import PoseEstimator

    fake = NativeCallLandmarker(sig)
    monkeypatch.setattr(PoseLandmarker, "create_from_options", lambda options: fake)
    monkeypatch.setattr("formcheck.pose.models.resolve_model", lambda spec: Path("fake.task"))
    monkeypatch.setattr(signals, "_state", signals._State())
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        if sig == signal.SIGTERM:
            signals.install_stop_handlers()  # what the commands do
        else:  # Python's own Ctrl-C handler, even when the runner was started ignoring SIGINT
            signal.signal(signal.SIGINT, signal.default_int_handler)
        est = PoseEstimator(video=True)
        with pytest.raises(KeyboardInterrupt):
            est.detect(np.zeros((120, 160, 3), np.uint8), 0.0)
        assert not fake.in_flight, "KeyboardInterrupt was raised during the native call"
        est.close()
    finally:
        for s, handler in saved.items():
            signal.signal(s, handler)


class FailingReplayPose(ReplayPose):
    """The replayed pose, until the model fails on the 20th frame."""

    def __init__(self, **figure_kw: object) -> None:
        super().__init__(**figure_kw)
        self.n = 0

    def detect(self, image: np.ndarray, t_s: float, rgb: np.ndarray | None = None) -> PoseFrame:
        self.n += 1
        if self.n == 20:
            raise RuntimeError("graph failed\nnative detail")
        return super().detect(image, t_s, rgb)


def test_a_model_error_keeps_the_live_session_measured(blank_video: Path, tmp_path: Path) -> None:
    settings = Settings()
    pose = FailingReplayPose(**LEFT_RAISE)
    analyzer = Analyzer(settings, video=True, pose=pose)  # type: ignore[arg-type]
    options = LiveOptions(source=str(blank_video), window=False, speed=4.0)
    report = LiveSession(settings, None, options, analyzer=analyzer).run()
    assert len(report["frames"]) == 19, "the frames measured before the error are kept"
    assert report["session"]["partial"] is True
    assert report["session"]["error"] == "RuntimeError: graph failed"
    assert any("stopped early (RuntimeError: graph failed)" in n for n in report["notes"])


class StallingSource:
    """A stand-in video whose second read stalls (a stuck camera, a slow network drive)."""

    def __init__(self) -> None:
        self.reading = False
        self.closed = False
        self.closed_while_reading = False
        self.release = threading.Event()

    def __iter__(self) -> Iterator[Frame]:
        image = np.zeros((120, 160, 3), np.uint8)
        yield Frame(0, 0.0, image)
        self.reading = True
        self.release.wait(20)
        self.reading = False
        yield Frame(1, 1 / 30, image)

    def close(self) -> None:
        self.closed_while_reading |= self.reading
        self.closed = True


def test_the_session_never_closes_its_source_under_a_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """OpenCV reads freed memory when a capture is released during a read: the session ends
    (here after 0.5 s) while the capture thread is stuck in a read, and must leave the source
    to that thread."""
    src = StallingSource()
    readers: list[PacedVideoReader] = []

    def open_stalling(mailbox: LatestFrame, **kw: object) -> tuple:
        readers.append(PacedVideoReader(src, mailbox))  # type: ignore[arg-type]
        info = {"path": "stall.mp4", "kind": "video", "fps": 30.0, "frames": 2,
                "duration_s": 2 / 30, "width": 160, "height": 120}  # fmt: skip
        return readers[0], src, info

    monkeypatch.setattr("formcheck.live.session.open_reader", open_stalling)
    settings = Settings()
    analyzer = Analyzer(settings, video=True, pose=ReplayPose(**LEFT_RAISE))  # type: ignore[arg-type]
    options = LiveOptions(window=False, duration_s=0.5)
    report = LiveSession(settings, None, options, analyzer=analyzer).run()
    assert report["session"]["end_reason"] == "duration" and report["frames"]
    assert not src.closed_while_reading, "the source was released under a read in progress"
    src.release.set()
    readers[0].join(10)
    assert src.closed, "the capture thread releases the source once its read is done"


# --------------------------------------------------------------------------- real window
def read_xwd(data: bytes) -> np.ndarray | None:
    """A 24/32-bit TrueColor XWD dump (``xwd -root``) as a BGR array (None: other formats)."""
    hdr = struct.unpack(">25I", data[:100])
    header_size, width, height = hdr[0], hdr[4], hdr[5]
    byte_order, bpp, bytes_per_line, ncolors = hdr[7], hdr[11], hdr[12], hdr[19]
    if bpp not in (24, 32):
        return None
    nb = bpp // 8
    start = header_size + 12 * ncolors
    px = np.frombuffer(data[start : start + height * bytes_per_line], np.uint8)
    px = px.reshape(height, bytes_per_line)[:, : width * nb].reshape(height, width, nb)
    if byte_order == 0:  # LSB first: B, G, R(, pad)
        return px[:, :, :3].copy()
    return px[:, :, nb - 3 :][:, :, ::-1].copy()


@pytest.fixture()
def xvfb_display() -> Iterator[str]:
    """A private X server; ready when it writes its display number (``-displayfd``), no polling."""
    if shutil.which("Xvfb") is None:
        pytest.skip("Xvfb is not installed (apt-get install -y xvfb) - the window test needs it")
    read_fd, write_fd = os.pipe()
    proc = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", "1600x900x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        pass_fds=(write_fd,),
    )
    os.close(write_fd)
    with os.fdopen(read_fd) as ready:
        number = ready.readline().strip()  # blocks until the server is ready, or EOF if it died
    if not number.isdigit():
        proc.kill()
        pytest.skip("Xvfb did not start")
    display = f":{number}"
    # OpenCV's Qt backend needs the xcb libraries; without them it aborts the process
    probe = subprocess.run(
        [sys.executable, "-c", "import cv2; cv2.namedWindow('probe'); cv2.waitKey(1)"],
        env=dict(os.environ, DISPLAY=display),
        capture_output=True,
        text=True,
        timeout=60,
    )
    if probe.returncode != 0:
        proc.terminate()
        tail = (probe.stderr.strip().splitlines() or ["?"])[-1]
        pytest.skip(f"OpenCV cannot open a window under Xvfb ({tail})")
    yield display
    proc.terminate()
    proc.wait(timeout=5)


@pytest.mark.model
@pytest.mark.slow
def test_window_under_xvfb_shows_the_overlay(
    stand_in_video: Path, tmp_path: Path, xvfb_display: str
) -> None:
    import cv2

    env = dict(os.environ, DISPLAY=xvfb_display)
    env.pop("WAYLAND_DISPLAY", None)
    shot = tmp_path / "live.png"
    proc = subprocess.Popen(
        _live_cmd(
            stand_in_video,
            tmp_path,
            "--no-html",
            "--no-csv",
            "--debug",
            "--screenshot",
            str(shot),
            "--screenshot-after",
            "1.5",
            "--screenshot-hold",
        ),  # fmt: skip
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        cwd=REPO,
    )
    # the session prints "screenshot-ready" once the window shows the saved picture, and keeps
    # it up until a line arrives on stdin: the X screen is grabbed at that known moment
    assert proc.stdout is not None and proc.stdin is not None
    ready = proc.stdout.readline().decode().strip()  # blocks until then (or EOF if it ended)
    assert ready == "screenshot-ready", (ready, proc.stderr.read().decode(errors="replace"))
    x_shot = None
    if shutil.which("xwd"):
        # the window manager-less X server paints the window asynchronously: under load the
        # first grab can come before the picture is on the screen, so grab again (up to 10 s)
        for _ in range(20):
            dump = subprocess.run(
                ["xwd", "-root", "-silent"], env=env, capture_output=True, timeout=20
            ).stdout
            x_shot = read_xwd(dump) if dump else None
            if x_shot is None or (x_shot == (48, 32, 24)).all(axis=2).sum() > 40_000:
                break
            time.sleep(0.5)
    proc.stdin.write(b"\n")
    proc.stdin.close()
    err = proc.stderr.read()
    proc.wait(timeout=120)
    assert proc.returncode == 0, err.decode(errors="replace")
    report = json.loads((tmp_path / "live.json").read_text())
    assert report["live"]["window"] is True
    canvas = cv2.imread(str(shot))
    assert canvas is not None and canvas.shape[0] == 720
    w = report["source"]["width"] * 720 // report["source"]["height"]
    panel = canvas[:500, w + 5 :]
    assert (panel == (48, 32, 24)).all(axis=2).mean() > 0.4  # the timer panel, not the frame
    assert (panel != (48, 32, 24)).any(axis=2).mean() > 0.03  # with text on it
    if x_shot is not None:  # what the X server really displayed
        flat = (x_shot == (48, 32, 24)).all(axis=2)
        assert flat.sum() > 40_000, "the panel is not on the screen"
