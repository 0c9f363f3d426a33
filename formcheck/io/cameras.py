"""Opening a webcam the way each platform expects, and one clear line when it cannot be opened.

=========  ===============================================  =====================================
platform   OpenCV capture backends, in order                when none opens
=========  ===============================================  =====================================
Linux      V4L2, then OpenCV's default                       no ``/dev/video*``; a device that is
                                                             not readable (the ``video`` group)
macOS      AVFoundation                                      camera access (System Settings)
Windows    Media Foundation (MSMF), then DirectShow          camera access (Settings > Privacy)
other      OpenCV's default                                  not connected or in use
=========  ===============================================  =====================================

The ``/dev/video*`` check runs on Linux only (macOS and the BSDs have no such devices). The
platform is read from ``sys.platform`` when it is asked, so tests can set it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from formcheck.errors import InputError

TRY_WITHOUT = "to try formcheck without a webcam use --source VIDEO"


def platform_name(platform: str | None = None) -> str:
    """``"linux"``, ``"macos"``, ``"windows"`` or ``"other"`` for ``platform`` (default:
    ``sys.platform``)."""
    p = sys.platform if platform is None else platform
    if p.startswith("linux"):
        return "linux"
    if p == "darwin":
        return "macos"
    if p in ("win32", "cygwin"):
        return "windows"
    return "other"


def camera_backends(cv2: Any, platform: str | None = None) -> list[tuple[str, int]]:
    """``(name, OpenCV API preference)`` pairs to try, in order, on ``platform``."""
    name = platform_name(platform)
    if name == "linux":
        return [("V4L2", cv2.CAP_V4L2), ("default", cv2.CAP_ANY)]
    if name == "macos":
        return [("AVFoundation", cv2.CAP_AVFOUNDATION)]
    if name == "windows":
        return [("Media Foundation", cv2.CAP_MSMF), ("DirectShow", cv2.CAP_DSHOW)]
    return [("default", cv2.CAP_ANY)]


def check_linux_devices(index: int, platform: str | None = None, dev: Path = Path("/dev")) -> None:
    """On Linux, fail early in one line when there is no ``/dev/video*`` device at all, or when
    ``/dev/videoINDEX`` exists but this user may not open it. Does nothing elsewhere."""
    if platform_name(platform) != "linux" or not dev.is_dir():
        return
    if not any(dev.glob("video*")):
        raise InputError(
            f"no camera found (no /dev/video* device; camera {index} requested); {TRY_WITHOUT}"
        )
    node = dev / f"video{index}"
    if node.exists() and not os.access(node, os.R_OK | os.W_OK):
        raise InputError(
            f"permission denied on {node}: add your user to the 'video' group "
            f"(sudo usermod -aG video $USER, then log in again); {TRY_WITHOUT}"
        )


def cannot_open_message(index: int, tried: list[str], platform: str | None = None) -> str:
    """The one line said when no backend opened camera ``index``."""
    via = " or ".join(tried)
    name = platform_name(platform)
    if name == "macos":
        hint = (
            "not connected, in use, or camera access not allowed: allow it for this terminal "
            "in System Settings > Privacy & Security > Camera, then run formcheck again"
        )
    elif name == "windows":
        hint = (
            "not connected, in use, or camera access off: turn on 'Let desktop apps access "
            "your camera' in Settings > Privacy & security > Camera"
        )
    else:
        hint = "not connected, or in use by another program"
    return f"cannot open camera {index} with {via} ({hint}); {TRY_WITHOUT}"


def open_camera(cv2: Any, index: int, platform: str | None = None) -> tuple[Any, str]:
    """An opened ``cv2.VideoCapture`` of camera ``index`` and the backend's name.

    Raises :class:`InputError` with one line (what to do) when no backend opens it.
    """
    check_linux_devices(index, platform)
    tried: list[str] = []
    for name, api in camera_backends(cv2, platform):
        cap = cv2.VideoCapture(index, api)
        if cap.isOpened():
            return cap, name
        cap.release()
        tried.append(name)
    raise InputError(cannot_open_message(index, tried, platform))
