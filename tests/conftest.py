from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_REAL = ROOT.parent / "shared" / "data" / "real"
SAMPLES = ROOT / "samples"


@pytest.fixture(autouse=True)
def _isolated_user_dirs(tmp_path_factory, monkeypatch):
    """Keep tests away from the user's history database."""
    data = tmp_path_factory.mktemp("fcdata")
    monkeypatch.setenv("FORMCHECK_DATA_DIR", str(data))
    monkeypatch.setenv("FORMCHECK_OFFLINE", os.environ.get("FORMCHECK_OFFLINE", "1"))


@pytest.fixture
def shared_real() -> Path:
    if not SHARED_REAL.is_dir():
        pytest.skip(
            "../shared/data/real is not present (third-party photos; only in the team's checkout)"
        )
    return SHARED_REAL


def sample(name: str) -> Path:
    p = SAMPLES / name
    if not p.exists():
        pytest.skip(f"sample {name} not rendered yet")
    return p


def sample_clip(name: str, out: Path, frames: int, start: int = 0) -> Path:
    """``frames`` frames of the committed sample ``name`` (no suffix) from frame ``start``,
    written to ``out`` (mp4v, the sample's frame rate): a short real video for tests."""
    import cv2

    src = cv2.VideoCapture(str(sample(f"{name}.mp4")))
    fps = src.get(cv2.CAP_PROP_FPS) or 30.0
    for _ in range(start):
        src.grab()
    writer = None
    for _ in range(frames):
        ok, frame = src.read()
        if not ok:
            break
        if writer is None:
            size = (frame.shape[1], frame.shape[0])
            writer = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
        writer.write(frame)
    src.release()
    assert writer is not None, f"could not read samples/{name}.mp4"
    writer.release()
    return out
