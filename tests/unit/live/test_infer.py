"""Pose inference in a thread of its own (formcheck.live.infer): results in capture order, one
at a time, errors in order, a clean stop that waits for the call in progress; and whole
sessions on a replayed pose, threaded against serial, ending on the end of the video, the q
key, a duration and Ctrl-C with no thread left running. The same session with the real model
is compared in test_session.py style at the end (``-m model``)."""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from formcheck.config import Settings
from formcheck.io.sources import Frame
from formcheck.live.capture import Captured, LatestFrame
from formcheck.live.infer import InferenceThread
from formcheck.live.plan import Plan
from formcheck.live.session import LiveOptions, LiveSession
from formcheck.pipeline import Analyzer
from formcheck.pose.frame import PoseFrame
from tests.media import write_video
from tests.stickfigure import figure

REPO = Path(__file__).resolve().parents[3]


def _captured(i: int) -> Captured:
    return Captured(Frame(i, i / 30, np.zeros((4, 4, 3), np.uint8)), float(i))


def _no_inference_thread_left() -> bool:
    return not any(t.name == "formcheck-inference" for t in threading.enumerate())


class Recorder:
    """``detect`` that records the frames it was given, ``delay_s`` a call, failing at
    ``fail_at`` (a frame index)."""

    def __init__(self, delay_s: float = 0.0, fail_at: int | None = None) -> None:
        self.delay_s = delay_s
        self.fail_at = fail_at
        self.seen: list[int] = []
        self.in_flight = False

    def __call__(self, c: Captured) -> PoseFrame:
        self.in_flight = True
        try:
            time.sleep(self.delay_s)
            if c.frame.index == self.fail_at:
                raise RuntimeError("graph failed")
            self.seen.append(c.frame.index)
            return figure(t_s=c.frame.t_s)
        finally:
            self.in_flight = False


# --------------------------------------------------------------------------- the thread
def test_every_frame_offered_one_at_a_time_comes_back_in_order() -> None:
    box = LatestFrame()
    det = Recorder()
    inf = InferenceThread(box, det, poll_s=0.01)
    inf.start()
    got = []
    for i in range(20):
        box.put(_captured(i))
        res = None
        while res is None:
            res = inf.get(timeout=1.0)
        got.append(res)
    box.close("end of video")
    assert inf.get(timeout=1.0) is None
    inf.stop()
    assert [r.item.frame.index for r in got] == list(range(20)) == det.seen
    assert all(r.pose is not None and r.pose.t_s == r.item.frame.t_s for r in got)
    assert all(r.detect_s >= 0 for r in got) and inf.finished and not inf.running


def test_a_slow_consumer_gets_the_results_in_order_one_waiting_at_most() -> None:
    """The camera outpaces both: frames are dropped in the mailbox, the results that were made
    all reach the consumer, in capture order, and the thread never runs ahead of the consumer
    by more than the one result waiting for it."""
    box = LatestFrame()
    det = Recorder(delay_s=0.005)
    inf = InferenceThread(box, det, poll_s=0.01)
    inf.start()
    stop = threading.Event()

    def camera() -> None:
        for i in range(200):
            if stop.is_set():
                break
            box.put(_captured(i))
            time.sleep(0.001)
        box.close("end of video")

    cam = threading.Thread(target=camera)
    cam.start()
    got: list[int] = []
    while not inf.finished:
        res = inf.get(timeout=0.1)
        if res is not None:
            assert inf.handed - len(got) <= 2  # this one, and at most one made since
            got.append(res.item.frame.index)
            time.sleep(0.02)  # measuring and drawing, slower than inference
    cam.join()
    inf.stop()
    assert got == det.seen and got == sorted(got) and len(set(got)) == len(got)
    assert 0 < len(got) < 200  # frames were dropped, never queued
    assert got[-1] == 199 or box.dropped > 0


def test_a_model_error_comes_after_the_frames_before_it_and_ends_the_thread() -> None:
    box = LatestFrame()
    inf = InferenceThread(box, Recorder(fail_at=3), poll_s=0.01)
    inf.start()
    out = []
    for i in range(6):
        box.put(_captured(i))
        res = None
        while res is None and not inf.finished:
            res = inf.get(timeout=0.5)
        if res is None:
            break
        out.append(res)
    assert [r.item.frame.index for r in out] == [0, 1, 2, 3]
    assert [r.error is None for r in out] == [True, True, True, False]
    assert str(out[-1].error) == "graph failed"
    inf.stop()
    assert inf.finished and not inf.running


def test_stop_waits_for_the_call_in_progress() -> None:
    box = LatestFrame()
    det = Recorder(delay_s=0.3)
    inf = InferenceThread(box, det, poll_s=0.01)
    inf.start()
    box.put(_captured(0))
    while not det.in_flight:
        time.sleep(0.001)
    assert inf.stop(timeout=5.0) is True
    assert not det.in_flight and not inf.running  # the estimator may now be closed


def test_paused_frames_are_handed_over_without_a_pose() -> None:
    box = LatestFrame()
    det = Recorder()
    inf = InferenceThread(box, det, skip=lambda: True, poll_s=0.01)
    inf.start()
    box.put(_captured(0))
    res = None
    while res is None:
        res = inf.get(timeout=1.0)
    inf.stop()
    assert res.pose is None and det.seen == []


def test_a_thread_never_started_stops_at_once() -> None:
    assert InferenceThread(LatestFrame(), Recorder()).stop() is True


# --------------------------------------------------------------------------- sessions
#: lying on the back, the left leg raised straight to 80 degrees, hands on it (supine_raise)
LEFT_RAISE = dict(hip=(320, 400), trunk_deg=-90, wrist=(336, 311), thigh_deg=(170, 90))


class ReplayPose:
    """The same stick figure at every frame time, ``delay_s`` a frame; records the times."""

    model_path = Path("replay.task")

    def __init__(self, delay_s: float = 0.0, on_call: int | None = None, sig: int = 0) -> None:
        self.delay_s = delay_s
        self.times: list[float] = []
        self.threads: set[str] = set()
        self.on_call, self.sig = on_call, sig
        self.in_flight = False
        self.closed = False

    def detect(self, image: np.ndarray, t_s: float, rgb: np.ndarray | None = None) -> PoseFrame:
        self.in_flight = True
        self.times.append(t_s)
        self.threads.add(threading.current_thread().name)
        if self.on_call is not None and len(self.times) == self.on_call:
            # Ctrl-C / SIGTERM during inference: it reaches the main thread only
            signal.pthread_kill(threading.main_thread().ident or 0, self.sig)
        time.sleep(self.delay_s)
        self.in_flight = False
        return figure(t_s=t_s, **LEFT_RAISE)  # type: ignore[arg-type]

    def close(self) -> None:
        self.closed = True


@pytest.fixture(scope="module")
def blank_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("infer") / "blank.mp4"
    return write_video(out, (np.zeros((120, 160, 3), np.uint8) for _ in range(120)), 30.0)


def _session(video: Path, pose: ReplayPose, plan: Plan | None = None, **kw: object) -> dict:
    settings = Settings()
    hold_s = plan.hold_s if plan is not None else None
    analyzer = Analyzer(settings, video=True, pose=pose, hold_target_s=hold_s)  # type: ignore[arg-type]
    kw.setdefault("window", False)
    kw.setdefault("threaded", True)
    options = LiveOptions(source=str(video), **kw)  # type: ignore[arg-type]
    return LiveSession(settings, plan, options, analyzer=analyzer).run()


@pytest.mark.parametrize("threaded", [True, False], ids=["threaded", "serial"])
def test_a_session_measures_its_frames_in_order_and_ends_with_the_video(
    threaded: bool, blank_video: Path
) -> None:
    pose = ReplayPose(delay_s=0.01)
    report = _session(blank_video, pose, speed=2.0, threaded=threaded)
    assert report["session"]["end_reason"] == "end of video"
    assert report["live"]["threaded"] is threaded
    assert pose.threads == ({"formcheck-inference"} if threaded else {"MainThread"})
    t = [r["t_s"] for r in report["frames"]]
    assert t == sorted(t) and len(set(t)) == len(t)
    # every frame the model saw was measured, in order
    assert t == pytest.approx(pose.times, abs=1e-3)
    assert t[-1] == pytest.approx(119 / 30, abs=1e-3)  # the last frame, never a stale one
    live = report["live"]
    assert live["frames_processed"] + live["frames_dropped"] == live["frames_captured"] == 120
    assert _no_inference_thread_left()


def test_threaded_and_serial_sessions_give_the_same_hold(blank_video: Path) -> None:
    plan = Plan(stretch="supine_raise", sides=("left",), reps=1, hold_s=2.0)
    holds = {}
    for threaded in (True, False):
        report = _session(blank_video, ReplayPose(), plan, speed=1.0, threaded=threaded)
        assert report["session"]["end_reason"] == "plan complete"
        holds[threaded] = report["plan"]["events"]
    # the rep held to its 2 s target at the same frame time, the same way
    assert holds[True] == holds[False]
    assert [e["event"] for e in holds[True]] == ["rep_done", "done"]
    assert holds[True][0]["valid_s"] == 2.0


class QuitAfter:
    """A stand-in window: q after ``n`` polls."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.polls = 0
        self.shown = 0

    def __call__(self, name: str, size: tuple[int, int]) -> QuitAfter:
        return self

    def show(self, canvas: np.ndarray) -> None:
        self.shown += 1

    def poll_key(self, wait_ms: int = 1) -> int:
        self.polls += 1
        return ord("q") if self.polls > self.n else 255

    def closed(self) -> bool:
        return False

    def close(self) -> None:
        pass


def test_the_q_key_ends_a_threaded_session_with_no_thread_left(
    blank_video: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    win = QuitAfter(15)
    monkeypatch.setattr("formcheck.live.session.Window", win)
    pose = ReplayPose(delay_s=0.02)
    report = _session(blank_video, pose, speed=1.0, window=True, end_when_done=False)
    assert report["session"]["end_reason"] == "quit" and report["session"]["partial"] is False
    assert 0 < len(report["frames"]) < 120 and win.shown > 0
    assert _no_inference_thread_left() and not pose.in_flight


def test_a_duration_ends_a_threaded_session(blank_video: Path) -> None:
    pose = ReplayPose(delay_s=0.01)
    report = _session(blank_video, pose, duration_s=0.5)
    assert report["session"]["end_reason"] == "duration" and report["frames"]
    assert _no_inference_thread_left()


def test_ctrl_c_during_inference_ends_the_session_after_the_call(blank_video: Path) -> None:
    """Ctrl-C reaches the main thread while the inference thread is in a (here slow) model
    call: the session ends interrupted with what it measured, after the call returned."""
    saved = signal.getsignal(signal.SIGINT)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        pose = ReplayPose(delay_s=0.05, on_call=10, sig=signal.SIGINT)
        report = _session(blank_video, pose, speed=1.0)
    finally:
        signal.signal(signal.SIGINT, saved)
    assert report["session"]["interrupted"] is True and report["session"]["partial"] is True
    assert report["session"]["end_reason"] == "interrupted"
    assert 0 < len(report["frames"]) < 10
    assert not pose.in_flight and _no_inference_thread_left()


# --------------------------------------------------------------------------- real model
@pytest.mark.model
@pytest.mark.slow
def test_the_real_model_threaded_gives_the_stretch_and_holds_of_the_serial_loop() -> None:
    """The standing-fold sample (10 s) played as a stand-in camera, once serial, once threaded:
    the same stretch recognised from the same moment and the same hold, within 1 s (frames
    dropped differently on a busy machine)."""
    from tests.conftest import sample

    clip = sample("standing_fold_good.mp4")
    reports = {}
    for threaded in (False, True):
        settings = Settings()
        settings.pose.max_width = 640  # live mode's default
        options = LiveOptions(source=str(clip), window=False, threaded=threaded)
        reports[threaded] = LiveSession(settings, None, options).run()
        assert reports[threaded]["live"]["threaded"] is threaded
    assert _no_inference_thread_left()
    serial, threaded_r = reports[False], reports[True]
    assert serial["session"]["end_reason"] == threaded_r["session"]["end_reason"] == "end of video"

    def recognised(r: dict) -> tuple[set[str], float]:
        rows = [f for f in r["frames"] if f["stretch"]]
        return {f["stretch"] for f in rows}, rows[0]["t_s"]

    (names_s, first_s), (names_t, first_t) = recognised(serial), recognised(threaded_r)
    assert names_s == names_t == {"standing_fold"}
    assert first_t == pytest.approx(first_s, abs=1.0)
    hs = [(h["stretch"], h["side"], h["valid_s"]) for h in serial["holds"]]
    ht = [(h["stretch"], h["side"], h["valid_s"]) for h in threaded_r["holds"]]
    assert hs and [h[:2] for h in hs] == [h[:2] for h in ht]
    for a, b in zip(hs, ht, strict=True):
        assert b[2] == pytest.approx(a[2], abs=1.0)
