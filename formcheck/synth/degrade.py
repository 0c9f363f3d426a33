"""Camera and codec faults applied to each rendered frame: exposure, blur, sensor noise, JPEG.

The spec's ``[post]`` table (docs/synth.md) sets them; the defaults leave a frame unchanged.
Pure numpy plus OpenCV (already a core dependency).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np


def is_identity(post: Mapping[str, Any]) -> bool:
    """True when ``post`` changes nothing (the default)."""
    return (
        float(post.get("gain", 1.0)) == 1.0
        and float(post.get("blur_sigma_px", 0.0)) <= 0.0
        and float(post.get("noise_sigma", 0.0)) <= 0.0
        and int(post.get("jpeg_quality", 100)) >= 100
    )


def degrade_frame(bgr: np.ndarray, post: Mapping[str, Any], rng: np.random.Generator) -> np.ndarray:
    """Apply ``post`` to one frame.

    Parameters
    ----------
    bgr : np.ndarray, shape (H, W, 3), uint8
    post : mapping
        ``gain`` (exposure factor: < 1 dim, > 1 bright), ``blur_sigma_px`` (Gaussian blur,
        pixels, as from defocus or motion), ``noise_sigma`` (Gaussian sensor noise, grey levels
        0..255), ``jpeg_quality`` (5..100; < 100 re-encodes the frame as a JPEG at that quality).
    rng : np.random.Generator
        Draws the noise (seeded by the caller, so a render is repeatable).

    Returns
    -------
    np.ndarray, shape (H, W, 3), uint8
    """
    if is_identity(post):
        return bgr
    import cv2

    img: np.ndarray = bgr.astype(np.float32)
    gain = float(post.get("gain", 1.0))
    if gain != 1.0:
        img *= gain
    sigma = float(post.get("blur_sigma_px", 0.0))
    if sigma > 0:
        img = cv2.GaussianBlur(img, (0, 0), sigmaX=sigma)
    noise = float(post.get("noise_sigma", 0.0))
    if noise > 0:
        img += rng.normal(0.0, noise, img.shape).astype(np.float32)
    out: np.ndarray = np.clip(img + 0.5, 0, 255).astype(np.uint8)
    quality = int(post.get("jpeg_quality", 100))
    if quality < 100:
        ok, buf = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, quality])
        decoded = cv2.imdecode(buf, cv2.IMREAD_COLOR) if ok else None
        if decoded is not None:
            out = decoded
    return out
