"""Cameras opened the way each platform expects (issue 17): the backend order per platform,
the /dev/video* check on Linux only, and one clear line when none opens."""

from __future__ import annotations

import sys
from types import SimpleNamespace

import pytest

from formcheck.errors import InputError
from formcheck.io import cameras
from formcheck.io.sources import CameraSource


class FakeCap:
    def __init__(self, index, api, opens):
        self.index, self.api, self._opens = index, api, opens

    def isOpened(self):  # noqa: N802 - OpenCV's name
        return self.api in self._opens

    def release(self):
        pass

    def set(self, *a):
        return True

    def read(self):
        import numpy as np

        return True, np.zeros((48, 64, 3), np.uint8)

    def get(self, prop):
        return 30.0


def fake_cv2(opens=()):
    calls = []

    def video_capture(index, api=0):
        calls.append(api)
        return FakeCap(index, api, opens)

    mod = SimpleNamespace(
        CAP_ANY=0, CAP_V4L2=200, CAP_AVFOUNDATION=1200, CAP_MSMF=1400, CAP_DSHOW=700,
        CAP_PROP_FRAME_WIDTH=3, CAP_PROP_FRAME_HEIGHT=4, CAP_PROP_FPS=5,
        VideoCapture=video_capture,
    )  # fmt: skip
    return mod, calls


@pytest.mark.parametrize(
    ("platform", "order"),
    [
        ("linux", [200, 0]),
        ("darwin", [1200]),
        ("win32", [1400, 700]),
        ("freebsd14", [0]),
    ],
)
def test_backend_order_per_platform(monkeypatch, platform, order):
    monkeypatch.setattr(sys, "platform", platform)
    cv2, _ = fake_cv2()
    assert [api for _, api in cameras.camera_backends(cv2)] == order


def test_macos_uses_avfoundation_and_skips_the_dev_video_check(monkeypatch, tmp_path):
    monkeypatch.setattr(sys, "platform", "darwin")
    cv2, calls = fake_cv2(opens={1200})
    cap, name = cameras.open_camera(cv2, 0)
    assert name == "AVFoundation" and calls == [1200]


def test_windows_falls_back_to_directshow(monkeypatch):
    monkeypatch.setattr(sys, "platform", "win32")
    cv2, calls = fake_cv2(opens={700})
    cap, name = cameras.open_camera(cv2, 1)
    assert name == "DirectShow" and calls == [1400, 700]


def test_camera_source_opens_with_the_platforms_backend(monkeypatch):
    monkeypatch.setattr(sys, "platform", "darwin")
    cv2, calls = fake_cv2(opens={1200})
    monkeypatch.setattr("formcheck.io.sources._cv2", lambda: cv2)
    src = CameraSource(0)
    assert src.backend == "AVFoundation" and calls == [1200]
    assert (src.info.width, src.info.height) == (64, 48)


def test_macos_permission_hint_in_one_line(monkeypatch):
    monkeypatch.setattr(sys, "platform", "darwin")
    cv2, _ = fake_cv2(opens=())
    with pytest.raises(InputError, match="Privacy & Security > Camera") as err:
        cameras.open_camera(cv2, 0)
    assert "\n" not in str(err.value) and "AVFoundation" in str(err.value)
    assert "--source VIDEO" in str(err.value)


def test_windows_none_found_names_both_backends(monkeypatch):
    monkeypatch.setattr(sys, "platform", "win32")
    cv2, _ = fake_cv2(opens=())
    with pytest.raises(InputError, match="Media Foundation or DirectShow"):
        cameras.open_camera(cv2, 0)


def test_dev_video_check_only_on_linux(tmp_path):
    empty = tmp_path / "dev"
    empty.mkdir()
    with pytest.raises(InputError, match=r"no camera found \(no /dev/video\* device"):
        cameras.check_linux_devices(0, "linux", empty)
    for platform in ("darwin", "win32", "freebsd14"):
        cameras.check_linux_devices(0, platform, empty)  # no error: not Linux


def test_linux_permission_denied_is_one_line(tmp_path, monkeypatch):
    dev = tmp_path / "dev"
    dev.mkdir()
    (dev / "video0").write_text("")
    monkeypatch.setattr(cameras.os, "access", lambda *a: False)
    with pytest.raises(
        InputError, match="permission denied on .*video0: add your user to the 'video' group"
    ):
        cameras.check_linux_devices(0, "linux", dev)
