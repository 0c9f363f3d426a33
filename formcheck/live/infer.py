"""Pose inference in a thread of its own, so that frame N+1's pose is found while frame N is
measured, judged, drawn and shown (``LiveOptions.threaded``, on by default: with a window it
processed 19-28 % more frames than the serial loop on an idle 2-core machine, docs/speed.md;
``formcheck live --no-inference-thread`` turns it off).

:class:`InferenceThread` takes the NEWEST frame from the capture mailbox
(:class:`~formcheck.live.capture.LatestFrame`), runs the pose model on it and hands the result to
the session loop through a one-slot hand-off: the thread waits there until the loop has taken
the previous result, so results arrive one at a time and in capture order, and the coach, its
timers and the report see the frames in order. MediaPipe releases the GIL during inference, so
on two cores the model and the loop's Python work overlap: the frame rate becomes that of the
slower of the two instead of their sum. Latency keeps its meaning: capture to display.

The pose estimator is used by this thread only, under :attr:`InferenceThread.lock`, so that the
session can swap it (a faster step, :mod:`formcheck.live.adapt`) between two calls. A model
error is handed over in order like a result (:attr:`Inferred.error`) and ends the thread; the
loop raises it after the frames before it. Stop signals (Ctrl-C, SIGTERM) reach the main thread
only, never this one, so a native call in progress is never cut short: :meth:`InferenceThread.stop`
waits for it before the estimator may be closed.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from formcheck.live.capture import Captured, LatestFrame
from formcheck.pose.frame import PoseFrame

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Inferred:
    """A captured frame and its pose (None: skipped, the session is paused), with when the
    model started on it (the thread's clock, seconds) and how long it took; or the ``error``
    the model raised on it."""

    item: Captured
    pose: PoseFrame | None
    started: float
    detect_s: float
    error: BaseException | None = None


class InferenceThread:
    """Runs ``detect(captured) -> PoseFrame`` on the newest frames of ``mailbox`` in a thread.

    ``get(timeout)`` returns the next :class:`Inferred` in order (None: none yet);
    ``finished`` is true once the thread has ended and its last result was taken (the mailbox
    closed and emptied: the source ended; or after an error). ``skip()`` true: frames are
    handed over without a pose (paused). ``stop()`` ends the thread and waits for a call in
    progress.
    """

    def __init__(
        self,
        mailbox: LatestFrame,
        detect: Callable[[Captured], PoseFrame],
        *,
        skip: Callable[[], bool] = lambda: False,
        clock: Callable[[], float] = time.perf_counter,
        poll_s: float = 0.05,
    ) -> None:
        self.mailbox = mailbox
        self.detect = detect
        self.skip = skip
        self.clock = clock
        self.poll_s = poll_s
        #: held around each call of the model: swap the estimator under it
        self.lock = threading.Lock()
        self.handed = 0  # results handed over
        self._cond = threading.Condition()
        self._result: Inferred | None = None
        self._ended = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="formcheck-inference", daemon=True)

    def start(self) -> None:
        self._thread.start()

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                item = self.mailbox.get(timeout=self.poll_s)
                if item is None:
                    if self.mailbox.closed:
                        break
                    continue
                t0 = self.clock()
                try:
                    if self.skip():
                        pose = None
                    else:
                        with self.lock:
                            pose = self.detect(item)
                except Exception as err:  # handed over in order; the loop raises it
                    self._hand_over(Inferred(item, None, t0, self.clock() - t0, err))
                    break
                if not self._hand_over(Inferred(item, pose, t0, self.clock() - t0)):
                    break
        finally:
            with self._cond:
                self._ended = True
                self._cond.notify_all()

    def _hand_over(self, res: Inferred) -> bool:
        """Wait for the slot to be free, then fill it; False when stopped meanwhile."""
        with self._cond:
            while self._result is not None and not self._stop.is_set():
                self._cond.wait(self.poll_s)
            if self._stop.is_set():
                return False
            self._result = res
            self.handed += 1
            self._cond.notify_all()
            return True

    def get(self, timeout: float | None = None) -> Inferred | None:
        """The next result, waiting up to ``timeout`` seconds; None when there is none yet."""
        with self._cond:
            if self._result is None and not self._ended:
                self._cond.wait(timeout)
            res, self._result = self._result, None
            if res is not None:
                self._cond.notify_all()
            return res

    @property
    def finished(self) -> bool:
        """True once the thread has ended and its last result was taken."""
        with self._cond:
            return self._ended and self._result is None

    def stop(self, timeout: float = 10.0) -> bool:
        """End the thread, after the model call in progress; False when it is still running
        after ``timeout`` seconds (the estimator must then not be closed)."""
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        if self._thread.ident is None:
            return True
        self._thread.join(timeout)
        if self._thread.is_alive():
            log.warning("the inference thread did not end within %.0f s", timeout)
            return False
        return True


__all__ = ["InferenceThread", "Inferred"]
