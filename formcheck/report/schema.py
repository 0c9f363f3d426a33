"""The JSON report (schema_version 1) and atomic file writing.

The contract (docs/architecture.md) is read by other tools: its keys stay stable; new keys are
added beside them. NaN never reaches the file: unmeasurable values are ``null``.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

from formcheck.errors import InputError
from formcheck.io.atomic import atomic_write

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
