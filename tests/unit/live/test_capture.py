"""Tests of live capture: the newest-frame mailbox and the readers, on a fake clock.

Pacing is checked through the frames' capture stamps on an injected clock, never against the
machine's own clock, so the tests pass on a machine of any speed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import numpy as np
import pytest

from formcheck.io.sources import Frame
from formcheck.live.capture import (
    PROMPT_DISCONNECTED,
    CameraReader,
    Captured,
    LatestFrame,
    LiveStats,
    PacedVideoReader,
)


def _frame(i: int, t_s: float | None = None) -> Frame:
    return Frame(i, i / 30 if t_s is None else t_s, np.zeros((4, 4, 3), np.uint8))


class FakeClock:
    """A clock that moves only when a reader waits; ``every(period_s, fn, first_s)`` runs
    ``fn`` after ``first_s``, then every ``period_s`` of fake time (a consumer working at its
    own pace). Offsets are chosen so that no task falls on the moment a frame is published."""

    def __init__(self, start_s: float = 100.0) -> None:
        self.now = start_s
        self._tasks: list[tuple[float, Callable[[], None], list[float]]] = []

    def __call__(self) -> float:
        return self.now

    def every(self, period_s: float, fn: Callable[[], None], first_s: float) -> None:
        self._tasks.append((period_s, fn, [self.now + first_s]))

    def wait(self, seconds: float) -> bool:
        end = self.now + seconds
        while True:
            due = [(nxt[0], period, fn, nxt) for period, fn, nxt in self._tasks if nxt[0] <= end]
            if not due:
                break
            at, period, fn, nxt = min(due, key=lambda d: d[0])
            self.now = at
            nxt[0] = at + period
            fn()
        self.now = end
        return False  # never stopped


# --------------------------------------------------------------------------- mailbox
def test_mailbox_keeps_only_the_newest_frame() -> None:
    box = LatestFrame()
    for i in range(5):
        box.put(Captured(_frame(i), float(i)))
    item = box.get(timeout=0)
    assert item is not None and item.frame.index == 4
    assert box.get(timeout=0) is None  # nothing stale left behind
    assert (box.published, box.taken, box.dropped) == (5, 1, 4)
    box.close("end")
    assert box.closed and box.reason == "end"


def test_mailbox_hands_what_is_left_after_close() -> None:
    box = LatestFrame()
    box.put(Captured(_frame(0), 0.0))
    box.put(Captured(_frame(1), 1.0))
    box.close("end of video")
    assert not box.closed  # a frame is still waiting
    item = box.get(timeout=0)
    assert item is not None and item.frame.index == 1
    assert box.get(timeout=0) is None and box.closed


def test_mailbox_gives_a_slow_consumer_the_newest_frame_each_time() -> None:
    """A producer thread publishes bursts while the consumer is busy; whatever the two threads'
    speeds, each take is the newest frame of its burst and nothing is queued."""
    box = LatestFrame()
    bursts = [3, 1, 7, 2, 5, 1, 4]
    go, done = threading.Event(), threading.Event()

    def produce() -> None:
        i = 0
        for n in bursts:
            go.wait()
            go.clear()
            for _ in range(n):
                box.put(Captured(_frame(i), float(i)))
                i += 1
            done.set()
        box.close("end")

    th = threading.Thread(target=produce)
    th.start()
    taken = []
    for _ in bursts:
        go.set()  # the consumer is "busy" while the producer publishes a burst
        assert done.wait(timeout=30)
        done.clear()
        item = box.get(timeout=0)
        assert item is not None
        taken.append(item.frame.index)
    th.join()
    assert taken == [sum(bursts[: k + 1]) - 1 for k in range(len(bursts))]
    assert box.get(timeout=0) is None and box.closed
    assert box.taken == len(bursts) and box.taken + box.dropped == box.published == sum(bursts)


# --------------------------------------------------------------------------- stand-in video
@pytest.mark.parametrize("speed", [1.0, 2.5])
def test_paced_reader_publishes_each_frame_at_its_own_time(speed: float) -> None:
    frames = [_frame(i, i / 100) for i in range(100)]  # 1 s at 100 fps
    box = LatestFrame()
    clock = FakeClock()
    published: list[Captured] = []
    # record every frame as it is published (before the next one replaces it)
    clock.every(0.001, lambda: published.append(it) if (it := box.get(timeout=0)) else None, 0.0005)
    reader = PacedVideoReader(frames, box, speed=speed, clock=clock, wait=clock.wait)  # type: ignore[arg-type]
    t0 = clock.now
    reader.start()
    reader.join(timeout=30)
    last = box.get(timeout=0)
    if last is not None:
        published.append(last)
    assert reader.frames_read == 100 and box.reason == "end of video" and box.closed
    assert [c.frame.index for c in published] == list(range(100))
    # each frame was published at its own timestamp (real-time pace, ``speed`` times faster)
    stamps = np.array([c.captured_at - t0 for c in published])
    assert stamps == pytest.approx(np.arange(100) / 100 / speed, abs=1e-9)


def test_paced_reader_drops_frames_for_a_slow_consumer() -> None:
    frames = [_frame(i, i / 100) for i in range(100)]  # 1 s at 100 fps
    box = LatestFrame()
    clock = FakeClock()
    taken: list[Captured] = []
    # a consumer that needs 50 ms a frame (inference): it takes the newest frame every 50 ms
    clock.every(0.05, lambda: taken.append(it) if (it := box.get(timeout=0)) else None, 0.005)
    reader = PacedVideoReader(frames, box, clock=clock, wait=clock.wait)  # type: ignore[arg-type]
    t0 = clock.now
    reader.start()
    reader.join(timeout=30)
    assert reader.frames_read == box.published == 100
    assert len(taken) == 20  # at 5, 55, ..., 955 ms
    assert box.dropped == 100 - len(taken) - 1  # the last frame still waits in the box
    # each frame taken was the newest one published at that moment: 5 frames apart
    assert [c.frame.index for c in taken] == [5 * k for k in range(20)]
    assert all(c.captured_at - t0 == pytest.approx(c.frame.t_s) for c in taken)


# --------------------------------------------------------------------------- camera
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
    clock = FakeClock()
    statuses: list[str | None] = []
    clock.every(0.01, lambda: statuses.append(reader.status), 0.005)
    reader = CameraReader(
        cam, box, retry_every_s=0.25, give_up_s=1.0, clock=clock, wait=clock.wait,  # type: ignore[arg-type]
    )  # fmt: skip
    t0 = clock.now
    reader.start()
    reader.join(timeout=30)
    assert PROMPT_DISCONNECTED in statuses
    assert reader.disconnects == 2  # lost, came back, lost for good
    assert cam.reopens == 3 + 4  # two failures and a success, then four failures in 1 s
    assert box.reason is not None and box.reason.startswith("camera disconnected")
    assert box.published == 3 + 5
    assert clock.now - t0 == 0.75 + 1.0  # retried every 0.25 s, gave up after 1 s


# --------------------------------------------------------------------------- figures
def test_live_stats_count_frames_and_latency_from_the_stamps() -> None:
    box = LatestFrame()
    for i in range(10):
        box.put(Captured(_frame(i), float(i)))
        if i % 2 == 0:
            box.get(timeout=0)
    stats = LiveStats(window_s=2.0)
    for k in range(5):  # five frames processed, 0.5 s apart, 40 ms behind capture
        stats.record(10.0 + 0.5 * k, 0.040, 0.030)
    assert stats.fps == pytest.approx(2.0)  # the last 2 s: 5 frames over 2 s
    assert stats.latency_ms == pytest.approx(40.0)
    s = stats.summary(box, wall_s=2.5)
    assert (s["frames_captured"], s["frames_processed"], s["frames_dropped"]) == (10, 5, 5)
    assert s["fps_processed"] == 2.0
    assert s["latency_ms"]["p50"] == 40.0 and s["process_ms"]["mean"] == 30.0
