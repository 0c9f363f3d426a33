"""The CSV files of a report: one row per frame, and one row per warning.

Frames (:func:`frames_csv_text`): columns are the frame keys of the JSON REPORT CONTRACT in
contract order (``t_s``, ``person``, ``stretch``, ``side``, ``knee_extension_deg``,
``hip_angle_deg``, ``leg_raise_deg``, ``lumbar_flexion_deg``, ``back_rounded``, ``valid``), then
any extra keys the frames carry, in the order they first appear.

Warnings (:func:`warnings_csv_text`): :data:`WARNING_COLUMNS`, the warning's kind with the
catalogue's label and category (:func:`formcheck.stretches.catalogue.fault_kind`), its times in
seconds and its message.

Null (and NaN) cells are empty; booleans are ``true`` / ``false``; numbers are written in full
(shortest round-trip form).
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from formcheck.io.atomic import atomic_write_text
from formcheck.stretches.catalogue import fault_kind

#: the frame keys of schema_version 1, in the order the CSV writes them
CONTRACT_COLUMNS = (
    "t_s",
    "person",
    "stretch",
    "side",
    "knee_extension_deg",
    "hip_angle_deg",
    "leg_raise_deg",
    "lumbar_flexion_deg",
    "back_rounded",
    "valid",
)


#: the columns of the warnings CSV
WARNING_COLUMNS = ("kind", "label", "category", "start_s", "end_s", "duration_s", "message")


def frame_columns(frames: Sequence[dict[str, Any]]) -> list[str]:
    """The CSV columns of ``frames``: the contract keys present, then the extra keys."""
    seen: dict[str, None] = {}
    for frame in frames:
        for key in frame:
            seen.setdefault(str(key), None)
    present = [c for c in CONTRACT_COLUMNS if c in seen]
    return present + [k for k in seen if k not in CONTRACT_COLUMNS]


def csv_cell(value: Any) -> str:
    """One CSV cell: empty for null/NaN, ``true``/``false``, numbers in full, JSON for nested."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "" if not math.isfinite(value) else repr(value)
    if isinstance(value, int | str):
        return str(value)
    return json.dumps(value, separators=(",", ":"), allow_nan=False, default=str)


def frames_csv_text(report: dict[str, Any]) -> str:
    """The per-frame CSV of ``report`` as text (header row first, ``\\r\\n`` line ends)."""
    frames = [f for f in report.get("frames", []) if isinstance(f, dict)]
    columns = frame_columns(frames) or list(CONTRACT_COLUMNS)
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(columns)
    for frame in frames:
        writer.writerow([csv_cell(frame.get(c)) for c in columns])
    return buf.getvalue()


def write_frames_csv(report: dict[str, Any], path: str | os.PathLike[str]) -> Path:
    """Write the per-frame CSV of ``report`` to ``path`` atomically; returns the path.

    Raises
    ------
    OutputError
        ``path`` cannot be written.
    """
    return atomic_write_text(path, frames_csv_text(report))


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        return float(value) if math.isfinite(value) else None
    except OverflowError:  # an integer too large for a float
        return None


def warnings_csv_text(report: dict[str, Any]) -> str:
    """The warnings CSV of ``report`` as text: one row per warning, :data:`WARNING_COLUMNS`
    (``duration_s`` empty when a time is missing; ``\r\n`` line ends)."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(WARNING_COLUMNS)
    for w in report.get("warnings", []):
        if not isinstance(w, dict):
            continue
        fault = fault_kind(str(w.get("kind") or "unknown"))
        start, end = _number(w.get("start_s")), _number(w.get("end_s"))
        duration = None if start is None or end is None else round(end - start, 3)
        row = [fault.kind, fault.label, fault.category, start, end, duration, w.get("message")]
        writer.writerow([csv_cell(v) for v in row])
    return buf.getvalue()


def write_warnings_csv(report: dict[str, Any], path: str | os.PathLike[str]) -> Path:
    """Write the warnings CSV of ``report`` to ``path`` atomically; returns the path.

    Raises
    ------
    OutputError
        ``path`` cannot be written.
    """
    return atomic_write_text(path, warnings_csv_text(report))
