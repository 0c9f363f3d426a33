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


#: the longest time a report may hold, seconds (a week): hold, session and frame times
MAX_TIME_S = 7 * 24 * 3600.0
#: how deeply arrays and objects may nest in a report (formcheck's own nest about 6 deep)
MAX_DEPTH = 64

#: what each kind of field allows: (test, what is expected); a kind ending in "?" also null
_KINDS: dict[str, tuple[Any, str]] = {
    "time": (
        lambda v: _is_number(v) and 0.0 <= v <= MAX_TIME_S,
        f"a number of seconds from 0 to {MAX_TIME_S:.0f}",
    ),
    "angle": (lambda v: _is_number(v) and -360.0 <= v <= 360.0, "an angle from -360 to 360"),
    "rate": (lambda v: _is_number(v) and 0.0 <= v <= 1e6, "a frame rate from 0 to 1000000"),
    "count": (
        lambda v: isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 10**9,
        "a whole number from 0 to 1000000000",
    ),
    "bool": (lambda v: isinstance(v, bool), "true or false"),
    "text": (lambda v: isinstance(v, str), "a text"),
    "side": (lambda v: v in ("left", "right", "both"), '"left", "right" or "both"'),
}

_ANGLES = {
    f"{name}{leg}_deg": "angle?"
    for name in ("knee_extension", "hip_angle", "leg_raise")
    for leg in ("", "_left", "_right")
}

#: the contract's fields (docs/architecture.md) and the kind of value each holds; other keys
#: are free. A field that is absent is not checked: the pages and the history read it as unknown
FIELDS: dict[str, dict[str, str]] = {
    "source": {
        "path": "text?", "kind": "text?", "fps": "rate?", "frames": "count?",
        "duration_s": "time?", "width": "count?", "height": "count?",
    },
    "session": {
        "started_at": "text?", "mode": "text?", "partial": "bool?", "interrupted": "bool?",
        "elapsed_s": "time?",
    },
    "frames": {
        "t_s": "time", "person": "bool", "stretch": "text?", "side": "side?", **_ANGLES,
        "lumbar_flexion_deg": "angle?", "trunk_inclination_deg": "angle?",
        "back_rounded": "bool?", "valid": "bool", "hold_valid_s": "time?",
    },
    "holds": {
        "stretch": "text?", "side": "side?", "start_s": "time?", "end_s": "time?",
        "duration_s": "time?", "valid_s": "time?", "target_s": "time?", "completed": "bool",
        "rep": "count?",
    },
    "warnings": {
        "kind": "text", "start_s": "time?", "end_s": "time?", "message": "text?",
        "fault_start_s": "time?",
    },
}  # fmt: skip


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def _shown(value: Any) -> str:
    """A value as the JSON file spells it (NaN, 1e+308, "long"), cut to 40 characters."""
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _check_fields(
    where: str, name: str, item: dict[str, Any], fields: dict[str, str], from_file: bool
) -> None:
    for key, kind in fields.items():
        if key not in item:
            continue
        value = item[key]
        unknown = value is None or (
            not from_file and isinstance(value, float) and not math.isfinite(value)
        )
        if kind.endswith("?") and unknown:
            continue
        test, expected = _KINDS[kind.rstrip("?")]
        if not test(value):
            null = " or null" if kind.endswith("?") else ""
            raise InputError(
                f"{where}: {name}.{key} must be {expected}{null}, found {_shown(value)}"
            )


def nesting_depth(obj: Any) -> int:
    """How deeply arrays and objects nest in ``obj`` (0 for a number or a text), without
    recursion, so that any depth json.loads returned can be measured."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(obj, 1)] if isinstance(obj, dict | list) else []
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        children = item.values() if isinstance(item, dict) else item
        stack.extend((c, depth + 1) for c in children if isinstance(c, dict | list))
    return deepest


def validate_report(report: Any, where: str = "report", *, from_file: bool = False) -> None:
    """Check a schema_version 1 report against the contract: its shape, and the type and range
    of every field the contract names (:data:`FIELDS`; other keys are free).

    Parameters
    ----------
    report : Any
        The report: read from a file (``from_file``), or built in memory.
    where : str
        How the error message names the report.
    from_file : bool
        In memory, NaN stands for an unknown value (:func:`write_json` writes it as null); a
        file must spell it null: NaN and Infinity there are refused.

    Raises
    ------
    InputError
        One line naming the field (``holds[0].valid_s``), what was expected and what was found.
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
    if nesting_depth(report) > MAX_DEPTH:
        raise InputError(f"{where}: arrays and objects nest more than {MAX_DEPTH} deep")
    session = report.get("session")
    if session is not None and not isinstance(session, dict):
        raise InputError(f"{where}: 'session' should be a JSON object, found {_shown(session)}")
    for key in ("source", "session"):
        _check_fields(where, key, report.get(key) or {}, FIELDS[key], from_file)
    for key in ("frames", "holds", "warnings"):
        for i, item in enumerate(report[key]):
            if not isinstance(item, dict):
                raise InputError(f"{where}: {key}[{i}] should be an object")
            _check_fields(where, f"{key}[{i}]", item, FIELDS[key], from_file)


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
    except RecursionError:
        raise InputError(
            f"report {path}: arrays and objects nest more than {MAX_DEPTH} deep"
        ) from None
    except ValueError:  # an integer of more than 4300 digits
        raise InputError(f"report {path} is not valid JSON (a number is too long)") from None
    validate_report(report, where=f"report {path}", from_file=True)
    return report
