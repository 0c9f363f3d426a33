"""The JSON report (schema_version 1) and atomic file writing.

The contract (docs/architecture.md) is read by other tools: its keys stay stable; new keys are
added beside them. NaN never reaches the file: unmeasurable values are ``null``.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from formcheck.errors import OutputError

SCHEMA_VERSION = 1


def clean_number(x: Any, ndigits: int = 1) -> float | None:
    """A float rounded for the report, or None for NaN/inf/None."""
    if x is None:
        return None
    try:
        f = float(x)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(f):
        return None
    return round(f, ndigits)


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    if hasattr(obj, "item") and callable(obj.item):  # numpy scalars
        return _jsonable(obj.item())
    return obj


def atomic_write(path: str | Path, write: Callable[[Any], None], *, mode: str = "w") -> Path:
    """Write a file atomically: ``write(fh)`` into a temporary file beside it, then rename.

    A reader never sees a half-written file, and an interrupted write leaves the old file (if
    any) in place. Raises :class:`OutputError` when the folder is missing or not writable.
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise OutputError(f"cannot create the output folder {folder}: {err.strerror}") from err
    if path.is_dir():
        raise OutputError(f"output path is a folder, expected a file name: {path}")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as err:
        raise OutputError(f"cannot write to {folder}: {err.strerror}") from err
    try:
        encoding = None if "b" in mode else "utf-8"
        with os.fdopen(fd, mode, encoding=encoding) as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return path


def check_writable(path: str | Path) -> None:
    """Fail early, before any analysis, when ``path`` cannot be written."""
    path = Path(path)
    if path.is_dir():
        raise OutputError(f"output path is a folder, expected a file name: {path}")
    folder = path.parent if str(path.parent) else Path(".")
    probe = folder
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir() or not os.access(probe, os.W_OK | os.X_OK):
        raise OutputError(f"cannot write {path}: {probe} is not a writable folder")
    if path.exists() and not os.access(path, os.W_OK):
        raise OutputError(f"cannot write {path}: the file is read-only")
    # os.access is not the whole truth (root, read-only mounts, /proc): create the folder and
    # a scratch file there now, so the error comes before the analysis, not after it
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder, prefix=f".{path.name}.", suffix=".probe"):
            pass
    except OSError as err:
        raise OutputError(
            f"cannot write {path}: {err.strerror or err} (in {folder})"
        ) from err


def write_json(report: dict[str, Any], path: str | Path) -> Path:
    """Write the report as JSON, atomically; NaN becomes null."""
    data = _jsonable(report)
    return atomic_write(
        path, lambda fh: json.dump(data, fh, indent=1, ensure_ascii=False, allow_nan=False)
    )


def load_report(path: str | Path) -> dict[str, Any]:
    """Read a report written by formcheck; InputError when it is not one."""
    from formcheck.errors import InputError

    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        raise InputError(f"report not found: {path}") from err
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise InputError(f"{path} is not a readable JSON report ({err})") from err
    if not isinstance(data, dict) or data.get("schema_version") != SCHEMA_VERSION:
        raise InputError(
            f"{path} is not a formcheck report (expected schema_version {SCHEMA_VERSION})"
        )
    return data
