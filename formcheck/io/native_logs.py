"""Keep native (C++) log lines off the user's terminal, at any MediaPipe version.

MediaPipe, TFLite, absl and OpenCV's FFmpeg write straight to file descriptor 2 from C++: when a
landmarker is created, on its first frames and when it is destroyed (mediapipe 1.2.3 prints
``INFO: [accelerator_registry.cc:43] DestroyAccelerator`` on close, often at interpreter exit).
Python's logging settings and environment variables do not reach all of it (upstream
google-ai-edge/mediapipe#5737), so the ``formcheck`` program silences the descriptor itself, once,
at start-up (:func:`silence_native_stderr`):

1. fd 2 is duplicated; Python's ``sys.stderr`` (every ``formcheck: ...`` line, logging, warnings,
   tracebacks) is re-opened on that duplicate, so formcheck's own lines still reach the terminal;
2. fd 2 itself is pointed at a pipe, read by a daemon thread that passes each native line to the
   ``formcheck.native`` logger at DEBUG and keeps the last few (:func:`recent_native_lines`) for
   error messages.

``formcheck -v`` (or ``FORMCHECK_NATIVE_LOGS=1``) leaves fd 2 alone, so the native lines show.
Code that uses formcheck as a library (and the in-process tests) is not affected: only the
console entry point (:func:`formcheck.cli.entry`) calls this.
"""

from __future__ import annotations

import collections
import contextlib
import faulthandler
import io
import logging
import os
import sys
import tempfile
import threading
from collections.abc import Iterator
from typing import Any

log = logging.getLogger("formcheck.native")

_RECENT: collections.deque[str] = collections.deque(maxlen=50)
_state: dict[str, object] = {}


def active() -> bool:
    """Whether native output is being silenced process-wide."""
    return bool(_state.get("active"))


def recent_native_lines() -> list[str]:
    """The last native log lines that were hidden (newest last), for error messages."""
    return list(_RECENT)


def _drain(fd: int) -> None:
    buf = b""
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            return
        if not chunk:
            return
        buf += chunk
        *lines, buf = buf.split(b"\n")
        for raw in lines:
            line = raw.decode("utf-8", "replace").rstrip()
            if line.strip():
                _RECENT.append(line)
                log.debug("%s", line)


def show_native_logs() -> None:
    """Let native log lines through (``formcheck -v``): before MediaPipe or OpenCV load."""
    import formcheck

    os.environ["FORMCHECK_NATIVE_LOGS"] = "1"
    for key, value in formcheck.QUIET_ENV_SET.items():
        if os.environ.get(key) == value:
            del os.environ[key]


def silence_native_stderr(*, show: bool = False) -> bool:
    """Point fd 2 at a drained pipe and keep ``sys.stderr`` on the real terminal (once).

    ``show=True`` or ``FORMCHECK_NATIVE_LOGS=1`` leaves everything as it is. Returns whether
    native output is now silenced.
    """
    if _state.get("active"):
        return True
    if show:
        show_native_logs()
        return False
    if os.environ.get("FORMCHECK_NATIVE_LOGS") == "1":
        return False
    try:
        with contextlib.suppress(OSError, ValueError, AttributeError):
            sys.stderr.flush()
        saved = os.dup(2)  # not inheritable: programs formcheck starts get the pipe
        read_fd, write_fd = os.pipe()
    except OSError:
        return False  # no fd 2 at all (a daemon): nothing to protect
    encoding = getattr(sys.stderr, "encoding", None) or "utf-8"
    stream = io.TextIOWrapper(
        io.FileIO(saved, "w", closefd=True),
        encoding=encoding,
        errors="backslashreplace",
        line_buffering=True,
        write_through=True,
    )
    os.dup2(write_fd, 2)
    os.close(write_fd)
    os.set_inheritable(2, True)
    sys.stderr = stream
    if faulthandler.is_enabled():  # a crash's stack still reaches the terminal
        faulthandler.enable(file=stream)
    drain = threading.Thread(
        target=_drain, args=(read_fd,), name="formcheck-native-logs", daemon=True
    )
    drain.start()
    _state.update(active=True, saved_fd=saved)
    return True


_QUIET_LOCK = threading.Lock()
_quiet_depth = 0
_quiet_saved_fd: int | None = None
_quiet_file: Any = None


@contextlib.contextmanager
def quiet_native_stderr() -> Iterator[list[str]]:
    """Silence MediaPipe's native (C++) log lines on file descriptor 2 for a while.

    MediaPipe and TFLite print INFO/WARNING lines straight to fd 2 when a model loads and on the
    first frames ("Created TensorFlow Lite XNNPACK delegate", "Feedback manager requires..."),
    which a user cannot act on. They are logged at DEBUG instead. With
    ``FORMCHECK_NATIVE_LOGS=1`` nothing is hidden. Safe to use from several threads at once:
    the first one in redirects fd 2, the last one out restores it (the yielded list stays empty
    for all but that last one, which gets the captured lines).
    """
    global _quiet_depth, _quiet_saved_fd, _quiet_file
    captured: list[str] = []
    if os.environ.get("FORMCHECK_NATIVE_LOGS") == "1" or active():
        yield captured  # shown on purpose, or already silenced for the whole process
        return
    with _QUIET_LOCK:
        if _quiet_depth == 0:
            try:
                sys.stderr.flush()
                saved: int | None = os.dup(2)
            except (OSError, ValueError):
                saved = None
            if saved is not None:
                _quiet_file = tempfile.TemporaryFile()  # noqa: SIM115 - closed when restored
                os.dup2(_quiet_file.fileno(), 2)
            _quiet_saved_fd = saved
        _quiet_depth += 1
    try:
        yield captured
    finally:
        with _QUIET_LOCK:
            _quiet_depth -= 1
            if _quiet_depth == 0 and _quiet_saved_fd is not None:
                with contextlib.suppress(OSError, ValueError):
                    sys.stderr.flush()
                os.dup2(_quiet_saved_fd, 2)
                os.close(_quiet_saved_fd)
                _quiet_saved_fd = None
                _quiet_file.seek(0)
                text = _quiet_file.read().decode("utf-8", "replace")
                _quiet_file.close()
                _quiet_file = None
                captured.extend(line for line in text.splitlines() if line.strip())
                for line in captured:
                    log.debug("mediapipe: %s", line)
