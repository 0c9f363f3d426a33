"""The JSON report (schema_version 1) and atomic file writing.

The contract (docs/architecture.md) is read by other tools: its keys stay stable; new keys are
added beside them. NaN never reaches the file: unmeasurable values are ``null``.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from formcheck.errors import InputError, OutputError

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
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; reports are ordinary files
        os.replace(tmp, path)
    except BaseException as err:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(err, OSError):
            raise OutputError(f"cannot write {path}: {err.strerror or err}") from err
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
        raise OutputError(f"cannot write {path}: {err.strerror or err} (in {folder})") from err


def write_json(report: dict[str, Any], path: str | Path) -> Path:
    """Write the report as JSON, atomically; NaN becomes null."""
    data = _jsonable(report)
    return atomic_write(
        path, lambda fh: json.dump(data, fh, indent=1, ensure_ascii=False, allow_nan=False)
    )


def validate_report(report: Any, where: str = "report") -> None:
    """Check the top-level shape of a schema_version 1 report.

    Raises
    ------
    InputError
        Naming what is missing or of the wrong type.
    """
    if not isinstance(report, dict):
        raise InputError(f"{where}: expected a JSON object, found {type(report).__name__}")
    version = report.get("schema_version")
    if version != SCHEMA_VERSION:
        raise InputError(f"{where}: expected schema_version {SCHEMA_VERSION}, found {version!r}")
    for key, kind in (("source", dict), ("frames", list), ("holds", list), ("warnings", list)):
        if key not in report:
            raise InputError(f"{where}: not a formcheck report, key {key!r} is missing")
        if not isinstance(report[key], kind):
            raise InputError(
                f"{where}: {key!r} should be a JSON {'object' if kind is dict else 'array'}, "
                f"found {type(report[key]).__name__}"
            )
    for key in ("frames", "holds", "warnings"):
        for i, item in enumerate(report[key]):
            if not isinstance(item, dict):
                raise InputError(f"{where}: {key}[{i}] should be an object")


def load_report(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read and check a saved JSON report.

    Raises
    ------
    InputError
        The file is missing, unreadable, not JSON, or not a schema_version 1 report.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"report {path} not found") from None
    except IsADirectoryError:
        raise InputError(f"report {path} is a folder, expected a JSON file") from None
    except (OSError, UnicodeDecodeError) as err:
        raise InputError(f"cannot read report {path}: {err}") from err
    try:
        report = json.loads(text)
    except json.JSONDecodeError as err:
        raise InputError(
            f"report {path} is not valid JSON (line {err.lineno} column {err.colno}: {err.msg})"
        ) from None
    validate_report(report, where=f"report {path}")
    return report
