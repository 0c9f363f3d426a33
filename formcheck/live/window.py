"""The live session's window: OpenCV's highgui (Qt in opencv-contrib-python's wheels).

The only module of formcheck that opens a window; the picture in it is drawn by
:mod:`formcheck.draw.overlay`.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from formcheck.errors import InputError

WINDOW_NAME = "formcheck live"


def display_available() -> bool:
    """Whether a window can be opened (an X or Wayland display on POSIX)."""
    if os.name != "posix" or os.uname().sysname == "Darwin":
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


class Window:
    """The OpenCV highgui window (Qt in opencv-contrib-python's wheels)."""

    def __init__(self, name: str, size: tuple[int, int]) -> None:
        import cv2

        if "QT_QPA_FONTDIR" not in os.environ and Path("/usr/share/fonts/truetype/dejavu").is_dir():
            os.environ["QT_QPA_FONTDIR"] = "/usr/share/fonts/truetype/dejavu"  # quiet Qt
        self.name = name
        flags = cv2.WINDOW_NORMAL | cv2.WINDOW_KEEPRATIO | getattr(cv2, "WINDOW_GUI_NORMAL", 0)
        try:
            cv2.namedWindow(name, flags)
            cv2.resizeWindow(name, *size)
        except cv2.error as err:
            raise InputError(f"cannot open a window ({err}); use --no-window") from err
        self.fullscreen = False
        self.shown = False

    def show(self, canvas: NDArray[np.uint8]) -> None:
        import cv2

        cv2.imshow(self.name, canvas)
        self.shown = True

    def poll_key(self, wait_ms: int = 1) -> int:
        import cv2

        return int(cv2.waitKey(wait_ms)) & 0xFF

    def closed(self) -> bool:
        import cv2

        if not self.shown:
            return False
        try:
            return cv2.getWindowProperty(self.name, cv2.WND_PROP_VISIBLE) < 1
        except cv2.error:
            return True

    def toggle_fullscreen(self) -> None:
        import cv2

        self.fullscreen = not self.fullscreen
        cv2.setWindowProperty(
            self.name,
            cv2.WND_PROP_FULLSCREEN,
            cv2.WINDOW_FULLSCREEN if self.fullscreen else cv2.WINDOW_NORMAL,
        )

    def close(self) -> None:
        import cv2

        try:
            cv2.destroyWindow(self.name)
            cv2.waitKey(1)
        except cv2.error:
            pass


def hold_window(window: Window, canvas: NDArray[np.uint8], limit_s: float = 60.0) -> None:
    """Keep ``canvas`` on screen until stdin gives a line or ends (see ``screenshot_hold``)."""
    released = threading.Event()

    def wait_for_stdin() -> None:
        with contextlib.suppress(OSError, ValueError):
            sys.stdin.readline()
        released.set()

    threading.Thread(target=wait_for_stdin, name="formcheck-hold", daemon=True).start()
    window.show(canvas)
    window.poll_key(50)
    print("screenshot-ready", flush=True)
    deadline = time.monotonic() + limit_s
    while not released.is_set() and time.monotonic() < deadline:
        window.show(canvas)
        window.poll_key(20)


__all__ = ["WINDOW_NAME", "Window", "display_available", "hold_window"]
