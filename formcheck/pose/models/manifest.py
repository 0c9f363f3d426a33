"""The model manifest, where the model files live, and the trust-on-first-use records.

The manifest (``manifest.json`` in this package: names, files, URLs, sha256 and the offline
build's recipe) is the one copy of that data; it ships with the package, so a source checkout and
an installed formcheck read the same file.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from importlib import resources
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
#: name of the trust-on-first-use record, in :func:`model_dir`
LOCAL_RECORD = "local.json"
#: the manifest's file name, in this package
MANIFEST_FILE = "manifest.json"
#: the ``schema`` value of the manifest
MANIFEST_SCHEMA = "formcheck-models/1"
#: environment variable: a folder searched first for the offline build's source archives (the
#: mediapipe wheel, the npm tarball), by their file names in the manifest's ``sources``
SOURCES_DIR_ENV = "FORMCHECK_MODEL_SOURCES"
#: the ``schema`` value of ``local.json``
LOCAL_SCHEMA = "formcheck-models-local/1"

_REPO_ROOT = Path(__file__).resolve().parents[3]


def offline_requested() -> bool:
    """Return whether ``$FORMCHECK_OFFLINE`` asks to skip every download of an official bundle."""
    return os.environ.get(OFFLINE_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


def checkout_model_dir() -> Path | None:
    """Return ``models/`` of the source checkout formcheck is imported from, or None.

    A checkout is recognised by ``models/README.md`` next to the ``formcheck`` package.
    """
    folder = _REPO_ROOT / "models"
    return folder if (folder / "README.md").is_file() else None


def user_cache_dir() -> Path:
    """Return the per-user model cache: ``models`` in the platform's cache folder
    (:func:`formcheck.io.userdirs.user_cache_dir`; on Linux ``$XDG_CACHE_HOME/formcheck/models``
    or ``~/.cache/formcheck/models``)."""
    from formcheck.io.userdirs import user_cache_dir as platform_cache_dir

    return platform_cache_dir() / "models"


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
    """Return the model manifest (``manifest.json`` of this package).

    Raises
    ------
    ModelError
        If the manifest is not valid JSON, has another schema or lacks a model entry.
    """
    source = resources.files("formcheck.pose.models").joinpath(MANIFEST_FILE)
    try:
        manifest = json.loads(source.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise ModelError(f"cannot read the model manifest {source}: {err}") from err
    models = manifest.get("models") if isinstance(manifest, dict) else None
    if not isinstance(models, dict) or manifest.get("schema") != MANIFEST_SCHEMA:
        found = manifest.get("schema") if isinstance(manifest, dict) else type(manifest).__name__
        raise ModelError(
            f"model manifest {source}: expected schema {MANIFEST_SCHEMA!r} with a 'models' "
            f"table, found schema {found!r}"
        )
    missing = [name for name in MODEL_NAMES if name not in models]
    if missing:
        raise ModelError(f"model manifest {source} lacks entries for {', '.join(missing)}")
    return dict(manifest)


def offline_sources(
    recipe: dict[str, Any], manifest: dict[str, Any] | None = None
) -> dict[str, dict[str, Any]]:
    """Return the manifest's ``sources`` entries that an offline recipe's members come from.

    Parameters
    ----------
    recipe
        A model's ``offline`` section; each member names its archive in ``from``.
    manifest
        The manifest (default: :func:`load_manifest`).

    Raises
    ------
    ModelError
        If a member names a source the manifest lacks.
    """
    manifest = manifest if manifest is not None else load_manifest()
    sources = manifest.get("sources", {})
    used: dict[str, dict[str, Any]] = {}
    for member, spec in recipe["members"].items():
        key = spec.get("from")
        if key not in sources:
            raise ModelError(f"model manifest: {member} comes from unknown source {key!r}")
        used[key] = sources[key]
    return used


def offline_origin(recipe: dict[str, Any], manifest: dict[str, Any] | None = None) -> str:
    """Return what an offline build is made from, e.g. ``"mediapipe==0.10.21"``."""
    packages = [src["package"] for src in offline_sources(recipe, manifest).values()]
    return " and ".join(packages)


def is_model_name(spec: str) -> bool:
    """Return whether ``spec`` names a model (rather than giving a path)."""
    return spec in MODEL_NAMES


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


def write_local_record(name: str, record: dict[str, Any] | None, folder: Path) -> None:
    """Set (or with None, remove) the ``local.json`` record of model ``name`` in ``folder``."""
    models = load_local_record(folder)
    if record is None:
        if name not in models:
            return
        models.pop(name)
    else:
        models[name] = record
    text = json.dumps({"schema": LOCAL_SCHEMA, "models": models}, indent=2, sort_keys=True)
    write_model_file(folder / LOCAL_RECORD, (text + "\n").encode("utf-8"))


def write_model_file(dest: Path, data: bytes) -> None:
    """Write ``data`` to ``dest`` atomically; a failure says how to pick another folder.

    Raises
    ------
    ModelError
        If ``dest`` cannot be written.
    """
    from formcheck.io.atomic import atomic_write_bytes

    try:
        atomic_write_bytes(dest, data)
    except OutputError as err:
        raise ModelError(f"{err}; set {MODEL_DIR_ENV} to a writable folder") from err


def notice(message: str) -> None:
    """Tell the user on stderr that a slow first-run step (download, build) has started.

    This is the one place formcheck's library code writes to stderr directly: provisioning can
    take a while and would otherwise look like a hang at the default log level.
    """
    log.debug(message)
    print(f"formcheck: {message}", file=sys.stderr, flush=True)
