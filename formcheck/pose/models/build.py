"""The offline build of the pose landmarker bundles from published model files.

Two source archives are named in the manifest's ``sources``, each pinned by sha256:

- the ``mediapipe==0.10.21`` wheel (downloaded with ``pip download``, never installed): the
  BlazePose detector and the ``full`` landmark model;
- the npm package ``@mediapipe/pose`` 0.5.1675469404 (a tarball from the npm registry, Apache-2.0):
  the ``lite``, ``full`` (byte-identical to the wheel's) and ``heavy`` landmark models.

Each model's ``offline`` recipe names, per bundle member, the archive and file it comes from.
The models are given the TFLite image-input metadata that the Tasks API needs (with MediaPipe's
own metadata writer, whose missing compiled helper is stood in for) and zipped
deterministically, so the result has the sha256 in the manifest. ``$FORMCHECK_MODEL_SOURCES``
names a folder searched first for the archives (by file name), for machines with no network.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import io
import logging
import struct
import sys
import tarfile
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
    offline_origin,
    offline_sources,
    write_local_record,
    write_model_file,
)
from formcheck.pose.models.sources import download_sources
from formcheck.pose.models.verify import verify_model

log = logging.getLogger(__name__)


_ZIP_ALIGN_EXTRA_ID = 0xD935  # the extra field Android's zipalign uses for padding
_PYWRAP_METADATA_VERSION = "mediapipe.tasks.cc.metadata.python._pywrap_metadata_version"


def build_model(name: str, entry: dict[str, Any], dest: Path) -> Path:
    """Build the offline bundle of model ``name`` into ``dest``, verify it and return ``dest``.

    A result whose sha256 differs from the manifest's (a newer mediapipe writing the metadata
    differently) is kept and recorded in ``local.json``, with a warning.

    Parameters
    ----------
    name
        The model name.
    entry
        Its manifest entry.
    dest
        Where the bundle goes.

    Raises
    ------
    ModelError
        If a source archive cannot be downloaded or is not the expected one, or ``dest`` cannot
        be written.
    """
    recipe = entry["offline"]
    origin = offline_origin(recipe)
    notice(f"building the pose model {name!r} offline from {origin} (first run only)...")
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="formcheck-sources-") as tmp:
        archives = download_sources(Path(tmp), recipe)
        data = build_offline_bundle(archives, recipe)
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
            {"sha256": sha, "size": len(data), "origin": f"offline build from {origin}"},
            dest.parent,
        )
    verify_model(name)
    return dest


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


def _read_member(archive: Path, kind: str, member: str) -> bytes:
    """Read ``member`` from a wheel (zip) or an npm tarball (gzipped tar); KeyError if absent."""
    if kind == "npm-tarball":
        with tarfile.open(archive, "r:gz") as tar:
            handle = tar.extractfile(member)  # KeyError if absent
            if handle is None:
                raise KeyError(member)
            return handle.read()
    with zipfile.ZipFile(archive) as wheel:
        return wheel.read(member)


def build_offline_bundle(
    archives: Path | dict[str, Path], recipe: dict[str, Any] | None = None
) -> bytes:
    """Return the pose landmarker bundle built from the models inside the source archives.

    Parameters
    ----------
    archives
        Source key (the manifest's ``sources``) -> archive path, as :func:`download_sources`
        returns; a single path stands for the ``mediapipe-wheel`` source.
    recipe
        A model's ``offline`` section (default: the ``full`` model's).

    Raises
    ------
    ModelError
        If an archive lacks a model or a model's sha256 differs from the recipe.
    """
    recipe = recipe or model_entry("full")["offline"]
    sources = offline_sources(recipe)
    if not isinstance(archives, dict):
        archives = {"mediapipe-wheel": archives}
    members = {}
    for member, spec in recipe["members"].items():
        key = spec["from"]
        archive, source = archives[key], sources[key]
        try:
            model = _read_member(archive, source["kind"], spec["source"])
        except KeyError as err:
            raise ModelError(
                f"{archive.name} lacks {spec['source']}: expected {source['package']}"
            ) from err
        except (zipfile.BadZipFile, tarfile.TarError, OSError) as err:
            raise ModelError(f"{archive} is not a readable {source['kind']}: {err}") from err
        sha = hashlib.sha256(model).hexdigest()
        if spec.get("source_sha256") and sha != spec["source_sha256"]:
            raise ModelError(
                f"{spec['source']} in {archive.name} has sha256 {sha[:12]}, "
                f"expected {spec['source_sha256'][:12]}"
            )
        log.info("adding image-input metadata to %s", spec["source"])
        members[member] = add_image_metadata(
            model,
            model_name=spec["model_name"],
            norm_mean=spec["norm_mean"],
            norm_std=spec["norm_std"],
            color_space=spec.get("color_space", "RGB"),
            description=f"{spec['source']} from {source['package']}",
        )
    zip_recipe = recipe.get("zip", {})
    year, month, day, hour, minute, second = zip_recipe.get("date_time", (1980, 1, 1, 0, 0, 0))
    return make_bundle(
        members,
        date_time=(year, month, day, hour, minute, second),
        align=int(zip_recipe.get("align", 64)),
    )
