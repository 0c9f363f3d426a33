"""Generated test media: videos, photos and damaged files written into a test's ``tmp_path``.

Nothing here is a third-party file. Videos are written with OpenCV's FFmpeg backend (``mp4v`` in
MP4, ``MJPG`` in AVI). Two things OpenCV cannot write are patched into the MP4 container
afterwards, box by box:

- rotation metadata (the track header's display matrix, as phones write it):
  :func:`mp4_set_rotation`;
- a variable frame rate (the sample-to-time table ``stts`` with one duration per frame):
  :func:`mp4_set_frame_times`.

Both patches need the ``moov`` box at the end of the file (OpenCV's default), so the media data's
offsets do not move.

People: a stick figure is not a person to MediaPipe, so tests that need somebody in view use
the committed samples (``samples/*.mp4``, ``samples/*.jpg``) through :func:`sample_path`, and
skip when they are not there.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "samples"

Image = NDArray[np.uint8]


# --------------------------------------------------------------------------- pictures


def pattern_frame(i: int, size: tuple[int, int] = (160, 120), *, value: int | None = None) -> Image:
    """A BGR test picture ``size = (width, height)``: a moving bar on a gradient.

    With ``value`` the picture is flat grey at that level instead.
    """
    w, h = size
    if value is not None:
        return np.full((h, w, 3), value, np.uint8)
    x = np.linspace(0, 255, w, dtype=np.float32)
    img = np.empty((h, w, 3), np.uint8)
    img[:, :, 0] = x[None, :].astype(np.uint8)
    img[:, :, 1] = np.linspace(0, 255, h, dtype=np.float32)[:, None].astype(np.uint8)
    img[:, :, 2] = (i * 7) % 256
    bar = (i * 5) % max(w - 8, 1)
    img[:, bar : bar + 8] = 255
    return img


def write_image(path: Path, image: NDArray, params: Sequence[int] = ()) -> Path:
    """Write ``image`` (any depth / channel count OpenCV can encode) to ``path``."""
    path = Path(path)
    if not cv2.imwrite(str(path), image, list(params)):
        raise RuntimeError(f"cv2 could not write {path}")
    return path


# --------------------------------------------------------------------------- videos


def write_video(
    path: Path,
    frames: Iterable[NDArray],
    fps: float = 30.0,
    *,
    fourcc: str | None = None,
) -> Path:
    """Write ``frames`` (BGR, or 2D grayscale) to ``path``; the codec follows the suffix.

    ``.mp4``/``.mov``/``.mkv``: ``mp4v``; ``.avi``: ``MJPG``. Returns ``path``.
    """
    path = Path(path)
    if fourcc is None:
        fourcc = "MJPG" if path.suffix.lower() == ".avi" else "mp4v"
    writer = None
    for frame in frames:
        if writer is None:
            h, w = frame.shape[:2]
            color = frame.ndim == 3
            writer = cv2.VideoWriter(
                str(path), cv2.CAP_FFMPEG, cv2.VideoWriter_fourcc(*fourcc), fps, (w, h), color
            )
            if not writer.isOpened():
                raise RuntimeError(f"cv2 cannot write {path} with {fourcc}")
        writer.write(frame)
    if writer is None:
        raise ValueError("write_video needs at least one frame")
    writer.release()
    return path


def pattern_video(
    path: Path,
    n: int = 30,
    size: tuple[int, int] = (160, 120),
    fps: float = 30.0,
    *,
    value: int | None = None,
) -> Path:
    """A video of ``n`` :func:`pattern_frame` pictures (flat grey at ``value`` when given)."""
    return write_video(path, (pattern_frame(i, size, value=value) for i in range(n)), fps)


def read_frames(path: Path, limit: int | None = None) -> tuple[list[Image], float]:
    """Decode a video into a list of BGR frames; returns (frames, fps)."""
    cap = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
    fps = float(cap.get(cv2.CAP_PROP_FPS) or 30.0)
    frames: list[Image] = []
    while limit is None or len(frames) < limit:
        ok, img = cap.read()
        if not ok:
            break
        frames.append(img)
    cap.release()
    return frames, fps


def truncate_file(path: Path, keep: float, dest: Path | None = None) -> Path:
    """Copy the first ``keep`` fraction of ``path``'s bytes to ``dest`` (default: in place)."""
    data = Path(path).read_bytes()
    out = Path(dest or path)
    out.write_bytes(data[: int(len(data) * keep)])
    return out


def sample_path(name: str) -> Path | None:
    """A committed sample (``samples/NAME``) when it exists, else None (callers skip)."""
    p = SAMPLES / name
    return p if p.is_file() and p.stat().st_size > 0 else None


# --------------------------------------------------------------------------- MP4 boxes

_CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"edts", b"dinf", b"udta"}


def _parse_boxes(data: bytes) -> list[list]:
    """Boxes of ``data`` as ``[type, payload bytes | children list]`` (containers recursed)."""
    boxes = []
    pos = 0
    while pos + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[pos : pos + 8])
        head = 8
        if size == 1:
            size = struct.unpack(">Q", data[pos + 8 : pos + 16])[0]
            head = 16
        elif size == 0:
            size = len(data) - pos
        body = data[pos + head : pos + size]
        boxes.append([kind, _parse_boxes(body) if kind in _CONTAINERS else body])
        pos += size
    return boxes


def _build_boxes(boxes: list[list]) -> bytes:
    out = b""
    for kind, body in boxes:
        payload = _build_boxes(body) if isinstance(body, list) else body
        out += struct.pack(">I4s", len(payload) + 8, kind) + payload
    return out


def _find(boxes: list[list], kind: bytes) -> list:
    for box in boxes:
        if box[0] == kind:
            return box
    raise KeyError(kind)


def _patch_moov(path: Path, patch) -> None:  # type: ignore[no-untyped-def]
    """Rewrite the ``moov`` box (which must be the file's last top-level box) with ``patch``."""
    data = Path(path).read_bytes()
    pos = 0
    moov_at = None
    while pos + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[pos : pos + 8])
        if size == 1:
            size = struct.unpack(">Q", data[pos + 8 : pos + 16])[0]
        elif size == 0:
            size = len(data) - pos
        if kind == b"moov":
            moov_at = (pos, size)
        pos += size
    if moov_at is None or moov_at[0] + moov_at[1] != len(data):
        raise ValueError(f"{path}: expected the moov box at the end of the file")
    start, size = moov_at
    moov = [[b"moov", _parse_boxes(data[start + 8 : start + size])]]
    patch(moov[0][1])
    Path(path).write_bytes(data[:start] + _build_boxes(moov))


def _video_trak(moov: list[list]) -> list:
    for box in moov:
        if box[0] == b"trak":
            return box
    raise KeyError("trak")


def mp4_set_rotation(path: Path, degrees: int) -> Path:
    """Set the display matrix of the (first) video track: a phone's rotation tag.

    ``degrees`` is the clockwise rotation a player applies to show the picture upright (what
    ``ffprobe`` reports as the ``rotate`` tag): 0, 90, 180 or 270.
    """
    rad = math.radians(degrees)
    c, s = round(math.cos(rad)), round(math.sin(rad))
    one = 1 << 16

    def fix(v: int) -> int:
        return (v * one) & 0xFFFFFFFF

    # ISO/IEC 14496-12 matrix {a, b, u, c, d, v, x, y, w}; x' = a x + c y + x0
    matrix = struct.pack(">9I", fix(c), fix(s), 0, fix(-s), fix(c), 0, 0, 0, 1 << 30)

    def patch(moov: list[list]) -> None:
        tkhd = _find(_video_trak(moov)[1], b"tkhd")
        body = tkhd[1]
        off = 40 if body[0] == 0 else 52
        tkhd[1] = body[:off] + matrix + body[off + 36 :]

    _patch_moov(path, patch)
    return path


def mp4_set_frame_times(path: Path, durations_s: Sequence[float], timescale: int = 90000) -> Path:
    """Give each frame of the (first) video track its own duration: a variable frame rate.

    ``durations_s`` has one entry per frame (seconds). The media timescale becomes
    ``timescale``; the edit list is dropped so presentation starts at 0.
    """

    def patch(moov: list[list]) -> None:
        trak = _video_trak(moov)
        mdia = _find(trak[1], b"mdia")
        stbl = _find(_find(mdia[1], b"minf")[1], b"stbl")
        stsz = _find(stbl[1], b"stsz")[1]
        n = struct.unpack(">I", stsz[8:12])[0]
        if len(durations_s) != n:
            raise ValueError(f"expected {n} frame durations, got {len(durations_s)}")
        ticks = [max(1, round(d * timescale)) for d in durations_s]
        stts = _find(stbl[1], b"stts")
        stts[1] = struct.pack(">II", 0, n) + b"".join(struct.pack(">II", 1, t) for t in ticks)
        mdhd = _find(mdia[1], b"mdhd")
        body = mdhd[1]
        if body[0] != 0:
            raise ValueError("mdhd version 1 not handled")
        mdhd[1] = body[:12] + struct.pack(">II", timescale, sum(ticks)) + body[20:]
        trak[1] = [b for b in trak[1] if b[0] != b"edts"]

    _patch_moov(path, patch)
    return path


def vfr_video(path: Path, durations_s: Sequence[float], size: tuple[int, int] = (160, 120)) -> Path:
    """An MP4 whose frame ``i`` lasts ``durations_s[i]`` seconds (see :func:`mp4_set_frame_times`)."""
    pattern_video(path, len(durations_s), size)
    return mp4_set_frame_times(path, durations_s)


def frame_times(durations_s: Sequence[float]) -> list[float]:
    """Presentation times (s) of frames with the given durations, starting at 0."""
    t = [0.0]
    for d in durations_s[:-1]:
        t.append(t[-1] + d)
    return t


def looped(frames: Sequence[Image], n: int) -> Iterator[Image]:
    """``n`` frames cycling through ``frames``."""
    for i in range(n):
        yield frames[i % len(frames)]


def mp4_faststart(path: Path) -> Path:
    """Move the ``moov`` box in front of ``mdat`` (what ``ffmpeg -movflags +faststart`` does).

    The chunk offsets (``stco``) grow by the size of ``moov``. A file like this that is cut
    short still opens: its index is intact and only the last frames are missing.
    """
    data = Path(path).read_bytes()
    top = []
    pos = 0
    while pos + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[pos : pos + 8])
        if size == 0:
            size = len(data) - pos
        if size == 1:
            raise ValueError("64-bit box sizes not handled")
        top.append((kind, data[pos : pos + size]))
        pos += size
    kinds = [k for k, _ in top]
    moov_raw = dict(top)[b"moov"]
    shift = len(moov_raw)
    moov = _parse_boxes(moov_raw[8:])
    for trak in (b for b in moov if b[0] == b"trak"):
        stbl = _find(_find(_find(trak[1], b"mdia")[1], b"minf")[1], b"stbl")
        stco = _find(stbl[1], b"stco")
        n = struct.unpack(">I", stco[1][4:8])[0]
        offs = struct.unpack(f">{n}I", stco[1][8 : 8 + 4 * n])
        stco[1] = stco[1][:8] + struct.pack(f">{n}I", *(o + shift for o in offs))
    new_moov = _build_boxes([[b"moov", moov]])
    assert len(new_moov) == shift
    at = kinds.index(b"mdat")
    out = [raw for k, raw in top if k != b"moov"]
    out.insert(at, new_moov)
    Path(path).write_bytes(b"".join(out))
    return path


def person_image() -> Path | None:
    """A photo of one person: ``samples/standing_fold.jpg`` when committed, else None.

    ``FORMCHECK_TEST_PERSON`` may name another photo (a local check; nothing is copied).
    """
    import os

    env = os.environ.get("FORMCHECK_TEST_PERSON")
    if env and Path(env).is_file():
        return Path(env)
    return sample_path("standing_fold.jpg")


def person_frames(n_max: int = 150, width: int = 320) -> tuple[list[Image], float] | None:
    """Frames of a person holding a stretch, at most ``width`` pixels wide, or None.

    From ``samples/standing_fold_good.mp4`` when committed, else the photo of
    :func:`person_image` repeated (a person holding perfectly still) at 15 fps.
    """
    video = sample_path("standing_fold_good.mp4")
    if video is not None:
        frames, fps = read_frames(video, n_max)
    else:
        photo = person_image()
        if photo is None:
            return None
        frames, fps = [cv2.imread(str(photo))] * n_max, 15.0
    h, w = frames[0].shape[:2]
    if w > width:
        size = (width, int(round(h * width / w / 2)) * 2)
        frames = [cv2.resize(f, size, interpolation=cv2.INTER_AREA) for f in frames]
    return frames, fps
