"""Tests of live coaching: the newest-frame mailbox and readers, audio cues, plans and the
guided state machine (no model), the overlay, and whole sessions end to end (real model):
headless from a stand-in video, SIGTERM, and a real window under Xvfb.

The end-to-end tests play a short video at real-time pace: a 4 s clip of a committed sample
(samples/*.mp4) when there is one, else a video made from a real photo in ../shared/data/real;
they skip when neither exists.
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
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from formcheck.errors import ConfigError
from formcheck.io.sources import Frame
from formcheck.live.audio import AudioCues, NullAudio, RecordingAudio, SystemAudio, write_tone_wav
from formcheck.live.plan import (
    PROMPT_REST,
    PROMPT_SWITCH,
    GuidedSession,
    Plan,
    apply_cli_to_plan,
    default_plan,
    load_plan,
    parse_plan,
)
from formcheck.live.session import (
    LIVE_PROMPTS,
    CameraReader,
    Captured,
    HudState,
    LatestFrame,
    LiveOverlay,
    PacedVideoReader,
    choose_prompt,
)
from formcheck.stretches.coach import HoldState

REPO = Path(__file__).resolve().parents[3]
REAL_PHOTO = (
    REPO.parent
    / "shared"
    / "data"
    / "real"
    / "standing_forward_fold__yuhonas_free-exercise-db__001.jpg"
)
CLIP_S = 4.0


def _frame(i: int, t_s: float | None = None) -> Frame:
    return Frame(i, i / 30 if t_s is None else t_s, np.zeros((4, 4, 3), np.uint8))


# --------------------------------------------------------------------------- mailbox
def test_mailbox_keeps_only_the_newest_frame() -> None:
    box = LatestFrame()
    for i in range(5):
        box.put(Captured(_frame(i), time.perf_counter()))
    item = box.get(timeout=0)
    assert item is not None and item.frame.index == 4
    assert box.get(timeout=0) is None  # nothing stale left behind
    assert (box.published, box.taken, box.dropped) == (5, 1, 4)
    box.close("end")
    assert box.closed and box.reason == "end"


def test_mailbox_gives_a_slow_consumer_no_stale_frames() -> None:
    box = LatestFrame()
    produced: list[int] = []

    def produce() -> None:
        for i in range(300):
            box.put(Captured(_frame(i), time.perf_counter()))
            produced.append(i)
            time.sleep(0.001)
        box.close("end")

    th = threading.Thread(target=produce)
    th.start()
    got: list[tuple[int, int]] = []  # (index taken, newest produced at that moment)
    while not box.closed:
        item = box.get(timeout=0.5)
        if item is None:
            continue
        got.append((item.frame.index, produced[-1]))
        time.sleep(0.02)  # a slow consumer (inference)
    th.join()
    indices = [i for i, _ in got]
    assert indices == sorted(set(indices))  # strictly newer each time
    assert len(got) < 300 / 3  # most frames were dropped, not queued
    # each frame taken was (nearly) the newest one produced: typically not a frame behind
    # (the check reads the producer's counter just after the take, so it can race a little)
    lags = sorted(newest - i for i, newest in got)
    assert lags[len(lags) // 2] <= 1 and lags[-1] <= 10
    assert indices[-1] == 299
    assert box.taken + box.dropped == box.published == 300


def test_paced_reader_plays_at_real_time_and_drops_for_a_slow_consumer() -> None:
    frames = [_frame(i, i / 100) for i in range(100)]  # 1 s at 100 fps
    box = LatestFrame()
    reader = PacedVideoReader(frames, box)  # type: ignore[arg-type]
    t0 = time.perf_counter()
    reader.start()
    taken = []
    while not box.closed:
        item = box.get(timeout=0.5)
        if item is not None:
            taken.append(item)
            time.sleep(0.05)
    wall = time.perf_counter() - t0
    reader.stop()
    # real-time pace: neither faster nor lagging (generous: the machine may be busy)
    assert 0.9 <= wall <= 2.5
    assert reader.frames_read == 100
    assert 5 <= len(taken) <= 40 and box.dropped >= 60
    # the frame taken was published recently: its lag behind the video clock stays small
    lags = [it.captured_at - (t0 + it.frame.t_s) for it in taken]
    assert max(lags) < 0.3


class _FakeCamera:
    """Delivers ``good`` frames, then nothing; ``reopen`` succeeds once, after
    ``fail_reopens`` failures (with five more frames), then never again."""

    def __init__(self, good: int, fail_reopens: int) -> None:
        self.n = 0
        self.good = good
        self.fail_reopens = fail_reopens
        self.reopens = 0

    def read(self) -> Frame | None:
        if self.n >= self.good:
            return None
        self.n += 1
        time.sleep(0.005)
        return _frame(self.n)

    def reopen(self) -> bool:
        self.reopens += 1
        if self.reopens == self.fail_reopens + 1:
            self.good += 5  # back with five more frames
            return True
        return False


def test_camera_reader_retries_then_gives_up() -> None:
    cam = _FakeCamera(good=3, fail_reopens=2)
    box = LatestFrame()
    reader = CameraReader(cam, box, retry_every_s=0.01, give_up_s=0.3)  # type: ignore[arg-type]
    reader.start()
    statuses = set()
    while not box.closed:
        box.get(timeout=0.01)
        statuses.add(reader.status)
    reader.stop()
    assert "camera disconnected - retrying" in statuses
    assert reader.disconnects == 2  # lost, came back, lost for good
    assert box.reason is not None and box.reason.startswith("camera disconnected")
    assert box.published == 3 + 5


# --------------------------------------------------------------------------- audio
def test_audio_cues_fire_on_new_back_rounding_and_completed_holds() -> None:
    rec = RecordingAudio()
    cues = AudioCues(rec, repeat_s=4.0, min_gap_s=1.0)
    cues.update(("back_rounding",), False, None, now_s=0.0)
    cues.update(("back_rounding",), False, None, now_s=0.1)  # still the same warning
    cues.update((), True, None, now_s=0.2)
    assert rec.events == [("tone", "warning"), ("tone", "complete")]


def test_audio_prompts_are_spoken_on_change_and_rate_limited() -> None:
    rec = RecordingAudio()
    cues = AudioCues(rec, repeat_s=4.0, min_gap_s=1.0)
    said = lambda: [d for k, d in rec.events if k == "say"]  # noqa: E731
    cues.update(prompt="Straighten your knee", now_s=0.0)
    cues.update(prompt="Straighten your knee", now_s=0.5)  # same prompt still on screen
    assert said() == ["Straighten your knee"]
    cues.update(prompt="Don't bounce", now_s=0.6)  # too soon after the last utterance
    assert said() == ["Straighten your knee"]
    cues.update(prompt="Don't bounce", now_s=1.2)  # still on screen: spoken now
    cues.update(prompt="Straighten your knee", now_s=2.5)  # flicker back within 4 s: not again
    assert said() == ["Straighten your knee", "Don't bounce"]
    cues.update(prompt="Straighten your knee", now_s=4.1)  # 4 s later and still shown
    assert said() == ["Straighten your knee", "Don't bounce", "Straighten your knee"]
    cues.muted = True
    cues.update(prompt="Rest", now_s=10.0)
    assert said()[-1] == "Straighten your knee"


def test_system_audio_is_silent_without_tools(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    audio = SystemAudio()
    assert audio.say("Rest") is False
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False)
    assert audio.tone("warning") is False
    audio.close()
    assert NullAudio().say("x") is False
    wav = write_tone_wav(tmp_path / "t.wav", ((440.0, 0.1), (0.0, 0.05)))
    import wave

    with wave.open(str(wav)) as w:
        assert w.getframerate() == 22050 and w.getnframes() == int(22050 * 0.1) + int(22050 * 0.05)


def test_system_audio_spawns_players_in_the_background(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[list[str]] = []

    class FakePopen:
        def __init__(self, cmd: list[str], **kw: object) -> None:
            calls.append(cmd)

        def poll(self) -> int | None:
            return None  # still playing

        def wait(self, timeout: float | None = None) -> int:
            return 0

    monkeypatch.setattr(shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(subprocess, "Popen", FakePopen)
    audio = SystemAudio()
    assert audio.say("Rest") is True
    assert audio.say("Switch legs") is False  # the previous prompt is still being spoken
    assert audio.tone("complete") is True
    audio.close()
    assert calls[0][0] == "/usr/bin/espeak-ng" and calls[0][-1] == "Rest"
    assert calls[1][:2] == ["/usr/bin/aplay", "-q"] and calls[1][2].endswith("complete.wav")


# --------------------------------------------------------------------------- plans
def test_default_plan_follows_the_seeds() -> None:
    p = default_plan()
    assert (p.reps, p.sides, p.hold_s) == (3, ("right", "left"), None)
    assert default_plan("standing_support").hold_s == 30.0
    assert default_plan("standing_fold").sides == ("both",)
    assert default_plan("supine_wall").hold_s == 20.0
    assert default_plan("seated_chair", "left").sides == ("left",)


def test_example_plan_parses() -> None:
    p = load_plan(REPO / "docs" / "plan.example.toml")
    assert p.stretch == "standing_support" and p.reps == 3 and p.sides == ("right", "left")
    assert [ph.name for ph in p.pnf] == ["stretch", "contract", "relax", "further"]
    assert p.hold_s == 40.0 and p.rest_s == 10.0


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"reps": 0}, "reps"),
        ({"reps": 2.5}, "reps"),
        ({"hold_s": "thirty"}, "hold_s"),
        ({"hold_s": -5}, "hold_s"),
        ({"rest_s": math.inf}, "rest_s"),
        ({"sides": ["up"]}, "sides"),
        ({"sides": ["left", "left"]}, "sides"),
        ({"sides": []}, "sides"),
        ({"stretch": "toe_touch"}, "stretch"),
        ({"stretch": "standing_fold", "sides": ["right", "left"]}, "sides"),
        ({"stretch": "seated_chair", "sides": ["both"]}, "sides"),
        ({"reeps": 3}, "reeps"),
        ({"pnf": {"contract_s": 0}}, "pnf.contract_s"),
        ({"pnf": {"hold": 3}}, "hold"),
        ({"pnf": {}, "hold_s": 30}, "hold_s"),
        ({"pnf": "yes"}, "pnf"),
    ],
)
def test_bad_plans_name_the_key(data: dict[str, object], key: str) -> None:
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        parse_plan(data)


def test_plan_file_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_plan(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("reps = = 3\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_plan(bad)


def test_cli_flags_override_the_plan() -> None:
    p = parse_plan({"sides": ["right", "left"], "reps": 2})
    assert apply_cli_to_plan(p, "standing_fold", None).sides == ("both",)
    assert apply_cli_to_plan(p, None, "left").sides == ("left",)


# --------------------------------------------------------------------------- guided session
def _v(active: bool = False, done: bool = False, side: str | None = "right", valid_s: float = 0.0):
    hold = HoldState(active, "standing_support", side, 1, valid_s, valid_s, 30.0, done)
    return SimpleNamespace(hold=hold, side=side)


def test_guided_session_walks_reps_rests_and_sides() -> None:
    plan = Plan(stretch="standing_support", sides=("right", "left"), reps=2, rest_s=10, switch_s=5)
    s = GuidedSession(plan)
    g = s.update(0.0, _v())
    assert g.step == "hold" and g.headline == "Right leg, rep 1 of 2: get into the stretch"
    assert s.update(1.0, _v(active=True)).headline == "Right leg, rep 1 of 2: hold it"
    g = s.update(31.0, _v(active=True, done=True, valid_s=30))
    assert g.step == "rest" and g.prompt == PROMPT_REST and "rep_done" in g.events
    assert g.completed == {"right": 1, "left": 0}
    g = s.update(35.0, _v(active=True, valid_s=34))  # resting
    assert g.step == "rest" and g.remaining_s == pytest.approx(6.0)
    g = s.update(41.0, _v())
    assert g.step == "hold" and g.rep == 2 and "new_rep" in g.events
    assert g.headline == "Right leg, rep 2 of 2: get into the stretch"
    g = s.update(70.0, _v(active=True, done=True, valid_s=30))
    assert g.step == "switch" and g.prompt == PROMPT_SWITCH and "side_changed" in g.events
    assert g.side == "left"
    g = s.update(75.0, _v(side="left"))
    assert g.step == "hold" and g.headline == "Left leg, rep 1 of 2: get into the stretch"
    # a hold completed on the wrong leg does not count
    g = s.update(80.0, _v(active=True, done=True, side="right", valid_s=30))
    assert g.step == "hold" and g.completed["left"] == 0
    s.update(110.0, _v(active=True, done=True, side="left", valid_s=30))
    s.update(120.0, _v(side="left"))
    g = s.update(150.0, _v(active=True, done=True, side="left", valid_s=30))
    assert g.done and g.completed == {"right": 2, "left": 2} and "done" in g.events
    assert s.as_report()["finished"] is True


def test_guided_session_keys_and_pause() -> None:
    plan = Plan(stretch="seated_chair", sides=("right", "left"), reps=3, rest_s=10)
    s = GuidedSession(plan)
    s.update(0.0, _v())
    s.restart(1.0)
    g = s.guidance()
    assert g.rep == 1 and "new_rep" in g.events  # same rep, a fresh hold
    s.next_step(2.0)  # skip rep 1 (not counted) -> rest
    assert s.guidance().step == "rest" and s.completed["right"] == 0
    s.pause(3.0)
    s.resume(13.0)  # 10 s of pause do not count as rest
    assert s.update(13.5, _v()).step == "rest"
    assert s.update(22.1, _v()).step == "hold"
    s.switch_side(23.0)
    g = s.guidance()
    assert g.side == "left" and g.rep == 1 and "side_changed" in g.events


def test_guided_session_pnf_phases_follow_valid_hold_time() -> None:
    plan = parse_plan({"stretch": "standing_support", "sides": ["right"], "pnf": True})
    s = GuidedSession(plan)
    phases = [s.update(t, _v(active=True, valid_s=t)).phase for t in (1.0, 12.0, 25.0, 35.0)]
    assert phases == ["stretch", "contract", "relax", "further"]
    assert "heel down" in s.update(12.0, _v(active=True, valid_s=12.0)).prompt


def test_unchosen_sides_follow_a_two_legged_stretch() -> None:
    s = GuidedSession(default_plan())
    g = s.update(0.0, _v(side="both"))
    assert g.side == "both" and g.headline.startswith("Rep 1 of 3")
    s = GuidedSession(default_plan())
    g = s.update(0.0, _v(side="left", active=True))
    assert g.side == "left" and g.headline == "Left leg, rep 1 of 3: hold it"
    s.update(31.0, _v(side="left", active=True, done=True, valid_s=30))
    assert s.update(32.0, _v(side="right")).completed == {"left": 1, "right": 0}
    fixed = GuidedSession(parse_plan({"sides": ["right", "left"]}))
    assert fixed.update(0.0, _v(side="left", active=True)).side == "right"


def test_choose_prompt_shows_one_prompt_with_plan_first_in_rests() -> None:
    v = SimpleNamespace(warnings=("bouncing", "knee_bent"), person=True, engaged=True)
    assert choose_prompt(v, None) == ("Straighten your knee", "warn")  # type: ignore[arg-type]
    rest = GuidedSession(Plan(reps=2))
    rest.next_step(0.0)
    assert choose_prompt(v, rest.guidance())[0] == "Rest"  # type: ignore[arg-type]
    assert LIVE_PROMPTS["back_rounding"].startswith("Lift your chest and hinge at the hips")
    assert LIVE_PROMPTS["not_side_view"] == "Turn sideways to the camera"


def test_overlay_draws_the_panel_and_prompt_without_touching_the_input() -> None:
    img = np.full((480, 640, 3), 200, np.uint8)
    img[:, :320] = (0, 0, 255)  # left half red: mirrored, it shows on the right
    before = img.copy()
    v = SimpleNamespace(
        person=False, stretch=None, side=None, hold=HoldState(False), warnings=(), valid=False
    )
    canvas = LiveOverlay(height=720, panel_w=460).annotate(
        img,
        None,
        v,
        HudState(prompt="Step back so your whole body is visible", debug=True),  # type: ignore[arg-type]
    )
    assert np.array_equal(img, before)
    assert canvas.shape == (720, 960 + 460, 3)
    assert tuple(canvas[360, 900]) == (0, 0, 255) and tuple(canvas[360, 300]) == (200,) * 3
    panel = canvas[:560, 960:]
    assert (panel == (48, 32, 24)).all(axis=2).mean() > 0.5  # the panel is there
    assert (canvas[-20:, :] != (200, 200, 200)).any()  # the prompt bar


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
    t0 = time.perf_counter()
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
    # real-time pace: the session lasted about as long as the video (it did not lag behind)
    assert CLIP_S - 0.3 <= live["wall_s"] <= CLIP_S + 3.0
    assert time.perf_counter() - t0 < 60
    assert any(f["person"] for f in report["frames"])
    assert report["plan"]["plan"]["reps"] == 3
    assert "] " in proc.stdout  # prompts printed as lines
    assert (tmp_path / "shot.png").exists() and live["screenshot"].endswith("shot.png")


@pytest.mark.model
@pytest.mark.slow
def test_python_api_session_records_its_audio_cues(stand_in_video: Path) -> None:
    from formcheck.config import Settings
    from formcheck.live.session import LiveOptions, run_live

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
    assert 1.8 <= report["live"]["wall_s"] <= 4.0


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
    # wait for the first prompt line: the model is loaded and frames are flowing
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line or line.startswith("["):
            break
    time.sleep(0.5)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    report = json.loads((tmp_path / "live.json").read_text())
    assert report["session"]["partial"] is True and report["session"]["interrupted"] is True
    assert report["frames"], "what was measured before the signal is in the report"


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
        dump = subprocess.run(
            ["xwd", "-root", "-silent"], env=env, capture_output=True, timeout=20
        ).stdout
        x_shot = read_xwd(dump) if dump else None
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


# --------------------------------------------------------------------------- keys and CLI
def test_keys_pause_skip_switch_and_quit() -> None:
    from formcheck.config import Settings
    from formcheck.live.session import LiveOptions, LiveSession

    plan = Plan(stretch="seated_chair", sides=("right", "left"), reps=3)
    s = LiveSession(Settings(), plan, LiveOptions(window=False))
    assert s.handle_key(ord(" "), 1.0, None) and s.paused
    assert s.guide is not None and s.guide._paused_at == 1.0
    s.handle_key(ord(" "), 5.0, None)
    assert not s.paused and s.guide._paused_at is None
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


def test_mirror_metrics_flips_only_a_copy_of_the_landmarks() -> None:
    from dataclasses import dataclass

    from formcheck.live.session import mirror_metrics

    @dataclass(frozen=True)
    class M:
        xy: np.ndarray
        knee_extension_deg: float

    xy = np.array([[10.0, 5.0], [np.nan, np.nan], [639.0, 1.0]])
    m = M(xy, 170.0)
    mm = mirror_metrics(m, 640)  # type: ignore[arg-type]
    assert mm.xy[0].tolist() == [629.0, 5.0] and mm.xy[2].tolist() == [0.0, 1.0]
    assert np.isnan(mm.xy[1]).all() and mm.knee_extension_deg == 170.0
    assert m.xy[0, 0] == 10.0  # the measurement is untouched
