"""Checks of a pose model bundle.

Its zip members (each an intact TFLite model), its sha256 against the manifest or the
``local.json`` record, and, when asked, loading it in MediaPipe.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import os
import zipfile
from pathlib import Path
from typing import Any

from formcheck.errors import ModelError
from formcheck.pose.models.manifest import (
    BUNDLE_MEMBERS,
    MODEL_NAMES,
    is_model_name,
    load_local_record,
    load_manifest,
    model_dir,
    model_entry,
    model_path,
    offline_origin,
    write_local_record,
)

log = logging.getLogger(__name__)

_TFLITE_IDENTIFIER = b"TFL3"  # FlatBuffer file identifier at bytes 4..8 of a .tflite model


def sha256_file(path: Path) -> str:
    """Return the hex sha256 of the file at ``path``."""
    digest = hashlib.sha256()
    with open(path, "rb") as src:
        for block in iter(lambda: src.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fix_hint(name: str | None) -> str:
    """Return what to do about a broken model: refetch a named one, else pick another file."""
    if name is None:
        return "pass a MediaPipe pose landmarker .task bundle, or use `--model full`"
    return f"run `formcheck models fetch {name} --force`"


def inspect_bundle(path: Path, name: str | None = None) -> dict[str, int]:
    """Check that ``path`` is a pose landmarker bundle; return its member sizes in bytes.

    A bundle is a zip archive whose members include :data:`BUNDLE_MEMBERS`, each an intact
    (CRC-checked) TFLite FlatBuffer.

    Parameters
    ----------
    path
        The ``.task`` file.
    name
        The model name when ``path`` is a provisioned model; it only changes the fix suggested
        in the error message.

    Raises
    ------
    ModelError
        If the file is missing, not a zip archive, lacks a member, or a member is damaged.
    """
    fix = fix_hint(name)
    if not path.is_file():
        what = "does not exist" if not path.exists() else "is not a file"
        raise ModelError(
            f"pose model {path} {what}: expected a .task bundle (zip of "
            f"{' and '.join(BUNDLE_MEMBERS)}); "
            f"{fix if name else 'pass an existing file, or use `--model full`'}"
        )
    return inspect_zip(path, f"pose model {path}", fix)


def inspect_zip(source: Path | io.BytesIO, label: str, fix: str) -> dict[str, int]:
    """Check the bundle in ``source`` (see :func:`inspect_bundle`); return its member sizes.

    Parameters
    ----------
    source
        A file, or the bytes of one (a download not yet saved).
    label
        Names ``source`` in the error message.
    fix
        What the error message suggests doing.

    Raises
    ------
    ModelError
        If ``source`` is not a zip archive, lacks a member, or a member is damaged.
    """
    size = source.stat().st_size if isinstance(source, Path) else len(source.getbuffer())
    try:
        with zipfile.ZipFile(source) as bundle:
            found = {info.filename: info for info in bundle.infolist()}
            missing = [member for member in BUNDLE_MEMBERS if member not in found]
            if missing:
                listed = ", ".join(sorted(found)) or "nothing"
                raise ModelError(
                    f"{label} is incomplete: expected members "
                    f"{', '.join(BUNDLE_MEMBERS)}, found {listed}; {fix}"
                )
            sizes = {}
            for member in BUNDLE_MEMBERS:
                with bundle.open(member) as src:
                    head = src.read(8)
                    while src.read(1 << 20):  # reading to the end checks the CRC
                        pass
                if head[4:8] != _TFLITE_IDENTIFIER:
                    raise ModelError(
                        f"{label} is corrupt: member {member} is not a TFLite model "
                        f"(expected identifier {_TFLITE_IDENTIFIER!r}, found {head[4:8]!r}); {fix}"
                    )
                sizes[member] = found[member].file_size
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError) as err:
        raise ModelError(
            f"{label} is corrupt: expected a zip archive (.task bundle), found "
            f"{size} bytes that cannot be read as one ({err}); {fix}"
        ) from err
    except OSError as err:
        raise ModelError(f"cannot read {label}: {err}") from err
    return sizes


def verify_model(path_or_name: str | os.PathLike[str], *, load: bool = False) -> dict[str, Any]:
    """Check a pose model bundle and return what was found.

    Parameters
    ----------
    path_or_name
        A model name (``lite``, ``full``, ``heavy``: the provisioned file in :func:`model_dir`)
        or a path to a ``.task`` file.
    load
        Also load it in MediaPipe's ``PoseLandmarker`` (about a second).

    A named model with no expected hash at all (an official bundle placed by hand, before
    ``local.json`` existed) is trusted on this first check: its hash is recorded in ``local.json``.

    Returns
    -------
    dict
        ``name`` (None for a path), ``path``, ``size`` (bytes), ``sha256``, ``expected_sha256``
        (list of accepted hashes; empty for a path), ``matched`` (``"manifest"``, ``"local"``
        or None), ``origin`` and ``members`` (member -> uncompressed bytes).

    Raises
    ------
    ModelError
        If the file is missing, is not a valid bundle, or (for a named model) its sha256 matches
        neither the manifest nor the ``local.json`` record.
    """
    spec = os.fspath(path_or_name)
    name = spec if is_model_name(spec) else None
    if name is not None:
        entry = model_entry(name)
        path = model_dir() / entry["file"]
        if not path.exists():
            raise ModelError(
                f"pose model {name!r} is missing: expected a file at {path}; "
                f"run `formcheck models fetch {name}`"
            )
    else:
        path = Path(spec).expanduser()
    members = inspect_bundle(path, name)
    digest = sha256_file(path)
    info: dict[str, Any] = {
        "name": name,
        "path": str(path),
        "size": path.stat().st_size,
        "sha256": digest,
        "expected_sha256": [],
        "matched": None,
        "origin": "user-supplied file",
        "members": members,
    }
    if name is not None:
        record = load_local_record(path.parent).get(name) or {}
        expected = {"manifest": entry.get("sha256"), "local": record.get("sha256")}
        info["expected_sha256"] = [value for value in expected.values() if value]
        if not info["expected_sha256"]:
            # an official bundle provisioned before local.json existed: trust it now
            log.info("no recorded sha256 for model %r; recording %s", name, digest[:12])
            record = {"sha256": digest, "size": info["size"], "origin": "unknown (first seen)"}
            write_local_record(name, record, path.parent)
            expected["local"] = digest
            info["expected_sha256"] = [digest]
        for source, value in expected.items():
            if value == digest:
                info["matched"] = source
        if info["matched"] is None:
            wanted = " or ".join(value[:12] for value in info["expected_sha256"])
            raise ModelError(
                f"pose model {name!r} at {path} is corrupt or was changed: sha256 {digest[:12]} "
                f"does not match the expected {wanted}; run `formcheck models fetch {name} --force`"
            )
        info["origin"] = describe_origin(entry, record if info["matched"] == "local" else None)
    if load:
        check_model_loads(path)
    return info


def describe_origin(entry: dict[str, Any], record: dict[str, Any] | None) -> str:
    """Describe where a provisioned file came from (or, if not yet provisioned, would come).

    Parameters
    ----------
    entry
        The model's manifest entry.
    record
        Its ``local.json`` record when the file matched that record, else None.
    """
    if record:
        return str(record.get("origin") or "unknown")
    offline = entry.get("offline")
    if offline and entry.get("sha256"):
        return f"offline build from {offline_origin(offline)}"
    return f"official download ({entry['url'].split('/')[2]})"


def model_status() -> list[dict[str, Any]]:
    """Return one row per model for ``formcheck models show``.

    Returns
    -------
    list of dict
        ``name``, ``status`` (``"ready"``, ``"missing"`` or ``"corrupt"``), ``path``, ``size``
        (bytes or None), ``sha256`` (or None), ``origin`` and ``message`` (the error, if any).
    """
    manifest = load_manifest()
    rows = []
    for name in MODEL_NAMES:
        entry = model_entry(name, manifest)
        path = model_dir() / entry["file"]
        row: dict[str, Any] = {
            "name": name,
            "status": "missing",
            "path": str(path),
            "size": None,
            "sha256": None,
            "origin": describe_origin(entry, None)
            if entry.get("offline") is None
            else f"official download, else offline build from {offline_origin(entry['offline'])}",
            "message": f"run `formcheck models fetch {name}`",
        }
        if path.exists():
            row["size"] = path.stat().st_size if path.is_file() else None
            try:
                info = verify_model(name)
            except ModelError as err:
                row.update(status="corrupt", message=str(err))
                with contextlib.suppress(OSError):
                    row["sha256"] = sha256_file(path)
            else:
                row.update(status="ready", sha256=info["sha256"], origin=info["origin"])
                row["message"] = ""
        rows.append(row)
    return rows


def model_load_error(path: str | os.PathLike[str], err: BaseException) -> ModelError:
    """Return the :class:`ModelError` for a ``PoseLandmarker`` that failed to load ``path``.

    The pose module uses it as::

        try:
            landmarker = PoseLandmarker.create_from_options(options)
        except (RuntimeError, ValueError, OSError) as err:
            raise model_load_error(path, err) from err
    """
    detail = " ".join(str(err).split()).rstrip(".") or type(err).__name__
    try:
        resolved = Path(path).resolve()
        name = next((n for n in MODEL_NAMES if model_path(n).resolve() == resolved), None)
    except (OSError, ModelError):
        name = None
    return ModelError(
        f"MediaPipe could not load the pose model {os.fspath(path)} ({detail}): "
        f"expected a pose landmarker .task bundle; {fix_hint(name)}"
    )


def check_model_loads(path: str | os.PathLike[str]) -> None:
    """Load ``path`` in MediaPipe's ``PoseLandmarker`` (IMAGE mode) and close it again.

    Raises
    ------
    ModelError
        If MediaPipe cannot load it (see :func:`model_load_error`).
    """
    from mediapipe.tasks.python import BaseOptions, vision

    from formcheck.pose.privacy import stop_mediapipe_usage_logging

    stop_mediapipe_usage_logging()  # before any landmarker: no usage reports (docs/privacy.md)

    options = vision.PoseLandmarkerOptions(
        base_options=BaseOptions(model_asset_path=os.fspath(path)),
        running_mode=vision.RunningMode.IMAGE,
    )
    try:
        landmarker = vision.PoseLandmarker.create_from_options(options)
    except (RuntimeError, ValueError, OSError) as err:
        raise model_load_error(path, err) from err
    landmarker.close()


def format_size(size: int | None) -> str:
    """Return ``size`` in bytes as a short human-readable string (``-`` for None)."""
    if size is None:
        return "-"
    if size < 1024:
        return f"{size} B"
    return f"{size / 2**20:.1f} MB" if size >= 2**20 else f"{size / 1024:.0f} kB"
