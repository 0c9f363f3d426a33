"""Capture for live sessions: readers that run apart from inference, and a newest-frame mailbox.

A reader thread (:class:`CameraReader` or :class:`PacedVideoReader`) puts every frame it gets
into a one-slot mailbox (:class:`LatestFrame`) that keeps only the NEWEST frame: a frame that
was not taken before the next one arrived is dropped (and counted), never queued. So when
inference is slower than the camera, the display stays current and frames are dropped instead
of lagging behind. Each frame carries its capture time (``time.perf_counter()``, seconds);
:class:`LiveStats` measures the processed frame rate and capture-to-display latency.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from formcheck.io.sources import CameraSource, Frame, VideoSource

log = logging.getLogger(__name__)

PROMPT_DISCONNECTED = "camera disconnected - retrying"


@dataclass(frozen=True)
class Captured:
    """A frame and the moment it became available (the reader's clock, by default
    ``time.perf_counter()``, seconds)."""

    frame: Frame
    captured_at: float


class LatestFrame:
    """A one-slot mailbox: ``put`` replaces the frame not yet taken (counted in ``dropped``),
    ``get`` returns the newest frame and empties the slot. Thread-safe.

    ``close(reason)`` ends it: ``get`` then returns what is left, then ``None`` with
    ``closed`` true.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._item: Captured | None = None
        self._closed = False
        self.reason: str | None = None
        self.published = 0
        self.taken = 0
        self.dropped = 0

    def put(self, item: Captured) -> None:
        with self._cond:
            if self._item is not None:
                self.dropped += 1
            self._item = item
            self.published += 1
            self._cond.notify_all()

    def get(self, timeout: float | None = None) -> Captured | None:
        with self._cond:
            if self._item is None and not self._closed:
                self._cond.wait(timeout)
            item, self._item = self._item, None
            if item is not None:
                self.taken += 1
            return item

    def close(self, reason: str | None = None) -> None:
        with self._cond:
            if not self._closed:
                self._closed = True
                self.reason = reason
            self._cond.notify_all()

    @property
    def closed(self) -> bool:
        """True once closed and emptied."""
        with self._cond:
            return self._closed and self._item is None


class FrameReader:
    """A capture thread that publishes frames into a :class:`LatestFrame` mailbox.

    ``clock() -> seconds`` (default ``time.perf_counter``) stamps the frames and times the
    waits; ``wait(s) -> bool`` sleeps ``s`` seconds and returns True when the reader was
    stopped meanwhile (default: the stop event's ``wait``). Both can be replaced, so a test can
    run a reader on a fake clock. An error in the thread is kept in ``error`` and closes the
    mailbox.

    The reader owns its source (``source``, anything with ``close()``): the thread releases it
    when it ends, so the source is never closed under a read in progress (OpenCV would read
    freed memory).
    """

    def __init__(
        self,
        mailbox: LatestFrame,
        name: str,
        *,
        source: Any = None,
        clock: Callable[[], float] = time.perf_counter,
        wait: Callable[[float], bool] | None = None,
    ) -> None:
        self.mailbox = mailbox
        self.clock = clock
        self.status: str | None = None  # e.g. "camera disconnected - retrying"
        self.error: BaseException | None = None
        self._source = source
        self._source_lock = threading.Lock()
        self._stop = threading.Event()
        self._wait = wait or self._stop.wait
        self._thread = threading.Thread(target=self._guarded, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 3.0) -> bool:
        """Stop the thread and release the source; wait at most ``timeout`` seconds.

        Returns False when the thread is still in a read that blocks (a stalled camera): it
        then releases the source itself once that read returns.
        """
        self._stop.set()
        if self._thread.ident is None:  # never started: nothing reads the source
            self._close_source()
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _close_source(self) -> None:
        with self._source_lock:
            source, self._source = self._source, None
        close = getattr(source, "close", None)
        if close is not None:
            close()

    def join(self, timeout: float | None = None) -> None:
        """Wait until the reader has read everything (the mailbox is then closed)."""
        self._thread.join(timeout)

    def _guarded(self) -> None:
        try:
            self._run()
        except BaseException as err:  # handed to the loop through the mailbox
            self.error = err
            self.mailbox.close(f"capture failed: {err}")
        finally:
            try:
                self._close_source()
            except Exception as err:  # the session has what it needs; note it only
                log.debug("closing the capture source failed: %s", err)

    def _run(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError


class PacedVideoReader(FrameReader):
    """Plays a video file as a stand-in camera: each frame is published at its own timestamp
    (real-time pace, ``speed`` times faster), whether or not the consumer took the last one."""

    def __init__(
        self,
        source: VideoSource,
        mailbox: LatestFrame,
        *,
        speed: float = 1.0,
        clock: Callable[[], float] = time.perf_counter,
        wait: Callable[[float], bool] | None = None,
    ) -> None:
        super().__init__(mailbox, "formcheck-video-capture", source=source, clock=clock, wait=wait)
        self.source = source
        self.speed = speed
        self.frames_read = 0
        self.last_t_s = 0.0  # the last published frame's time, seconds

    def _run(self) -> None:
        t0: float | None = None
        for frame in self.source:
            if self._stop.is_set():
                break
            if t0 is None:
                t0 = self.clock() - frame.t_s / self.speed
            wait = t0 + frame.t_s / self.speed - self.clock()
            if wait > 0 and self._wait(wait):
                break
            self.frames_read += 1
            self.last_t_s = frame.t_s
            self.mailbox.put(Captured(frame, self.clock()))
        self.mailbox.close("end of video" if not self._stop.is_set() else "stopped")


class CameraReader(FrameReader):
    """Reads a :class:`CameraSource` as fast as it delivers. When it stops delivering, sets
    ``status`` to "camera disconnected - retrying" and calls ``reopen()`` every
    ``retry_every_s`` for up to ``give_up_s``; then closes the mailbox."""

    def __init__(
        self,
        camera: CameraSource,
        mailbox: LatestFrame,
        *,
        retry_every_s: float = 1.0,
        give_up_s: float = 10.0,
        clock: Callable[[], float] = time.perf_counter,
        wait: Callable[[float], bool] | None = None,
    ) -> None:
        super().__init__(mailbox, "formcheck-camera-capture", source=camera, clock=clock, wait=wait)
        self.camera = camera
        self.retry_every_s = retry_every_s
        self.give_up_s = give_up_s
        self.disconnects = 0

    def _read(self) -> Frame | None:
        try:
            return self.camera.read()
        except Exception as err:  # a driver error reads as a lost camera
            log.debug("camera read failed: %s", err)
            return None

    def _run(self) -> None:
        while not self._stop.is_set():
            frame = self._read()
            if frame is not None:
                self.mailbox.put(Captured(frame, self.clock()))
                continue
            self.disconnects += 1
            self.status = PROMPT_DISCONNECTED
            log.warning(PROMPT_DISCONNECTED)
            lost_at = self.clock()
            back = False
            while not self._stop.is_set() and self.clock() - lost_at < self.give_up_s:
                if self._wait(self.retry_every_s):
                    break
                if self.camera.reopen() and (frame := self._read()) is not None:
                    self.mailbox.put(Captured(frame, self.clock()))
                    back = True
                    break
            if not back:
                self.mailbox.close(
                    "stopped"
                    if self._stop.is_set()
                    else f"camera disconnected (no picture for {self.give_up_s:.0f} s)"
                )
                return
            self.status = None
            log.warning("camera reconnected")
        self.mailbox.close("stopped")


class LiveStats:
    """Processed frame rate (rolling over ``window_s`` seconds) and capture-to-display latency.

    ``record(now, latency_s, process_s)`` once a processed frame (seconds, the loop's clock);
    ``summary(mailbox, wall_s)`` is the report's ``live`` section (milliseconds).
    """

    def __init__(self, window_s: float = 2.0) -> None:
        self.window_s = window_s
        self._times: deque[float] = deque()
        self.latencies_s: list[float] = []
        self.process_s: list[float] = []
        self.started = time.perf_counter()

    def record(self, now: float, latency_s: float, process_s: float) -> None:
        self._times.append(now)
        while self._times and self._times[0] < now - self.window_s:
            self._times.popleft()
        self.latencies_s.append(latency_s)
        self.process_s.append(process_s)

    @property
    def fps(self) -> float:
        if len(self._times) < 2:
            return 0.0
        span = self._times[-1] - self._times[0]
        return (len(self._times) - 1) / span if span > 0 else 0.0

    @property
    def latency_ms(self) -> float:
        return 1000 * self.latencies_s[-1] if self.latencies_s else math.nan

    def summary(self, mailbox: LatestFrame, wall_s: float) -> dict[str, Any]:
        lat = np.array(self.latencies_s) * 1000 if self.latencies_s else np.array([math.nan])
        proc = np.array(self.process_s) * 1000 if self.process_s else np.array([math.nan])
        n = len(self.latencies_s)

        def r(x: float) -> float | None:
            return round(float(x), 1) if math.isfinite(x) else None

        return {
            "wall_s": round(wall_s, 3),
            "frames_captured": mailbox.published,
            "frames_processed": n,
            "frames_dropped": mailbox.published - n,
            "fps_processed": round(n / wall_s, 2) if wall_s > 0 else None,
            "latency_ms": {
                "mean": r(np.mean(lat)),
                "p50": r(np.percentile(lat, 50)),
                "p95": r(np.percentile(lat, 95)),
                "max": r(np.max(lat)),
            },
            "process_ms": {"mean": r(np.mean(proc)), "p95": r(np.percentile(proc, 95))},
        }


def open_reader(
    mailbox: LatestFrame,
    *,
    source: str | None = None,
    camera: int = 0,
    speed: float = 1.0,
    retry_every_s: float = 1.0,
    give_up_s: float = 10.0,
) -> tuple[FrameReader, CameraSource | VideoSource, dict[str, Any]]:
    """The reader for a session, its source and the source's report entry.

    ``source`` (a video file) is played as a stand-in camera at ``speed`` times real time;
    without it, webcam ``camera`` is read.
    """
    if source:
        src = VideoSource(source)
        reader: FrameReader = PacedVideoReader(src, mailbox, speed=speed)
        info = src.info.as_report()
        info["stand_in_camera"] = True
        return reader, src, info
    cam = CameraSource(camera)
    reader = CameraReader(cam, mailbox, retry_every_s=retry_every_s, give_up_s=give_up_s)
    return reader, cam, cam.info.as_report()


__all__ = [
    "PROMPT_DISCONNECTED",
    "CameraReader",
    "Captured",
    "FrameReader",
    "LatestFrame",
    "LiveStats",
    "PacedVideoReader",
    "open_reader",
]
