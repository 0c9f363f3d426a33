"""Provisioning a model: Google's official download, else the offline build.

No hash of the official bundles is in the manifest (they could not be fetched where it was
written), so the first download's sha256 and size are recorded in ``local.json`` next to the
model (trust on first use) and checked after that.
"""

from __future__ import annotations

import hashlib
import io
import logging
import time
from pathlib import Path
from typing import Any

from formcheck.errors import ModelError
from formcheck.pose.models.build import build_model
from formcheck.pose.models.manifest import (
    OFFLINE_ENV,
    load_local_record,
    model_dir,
    model_entry,
    notice,
    offline_requested,
    write_local_record,
    write_model_file,
)
from formcheck.pose.models.verify import inspect_zip, verify_model

log = logging.getLogger(__name__)

#: seconds to wait for a connection or for each read of an official download
DOWNLOAD_TIMEOUT_S = 5.0
#: larger downloads are refused (the heavy bundle is about 30 MB)
MAX_DOWNLOAD_BYTES = 200 * 2**20


def fetch_model(name: str, *, force: bool = False, source: str = "auto") -> Path:
    """Provision model ``name`` in :func:`model_dir` and return its verified path.

    Parameters
    ----------
    name
        ``"lite"``, ``"full"`` or ``"heavy"``.
    force
        Replace a file that is already there (even a valid one).
    source
        ``"auto"``: the official download, and the offline build when that fails or
        ``$FORMCHECK_OFFLINE`` is set; ``"official"`` or ``"offline"``: only that one.

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
            f"pose model {name!r} cannot be built offline (its manifest entry has no recipe); "
            f"fetch it with `formcheck models fetch {name} --source official`"
        )
    download_error = None
    if source in {"auto", "official"} and not offline_requested():
        try:
            return download_official(name, entry, dest)
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
            else "it has no offline recipe"
        )
        lead = (
            f"pose model {name!r} was asked for from Google's download only"
            if can_build
            else f"pose model {name!r} can only be downloaded from Google"
        )
        raise ModelError(f"{lead}, and {why}; {fix}")
    return build_model(name, entry, dest)


def download_official(name: str, entry: dict[str, Any], dest: Path) -> Path:
    """Download Google's bundle for ``name`` to ``dest``, record its hash on first use.

    Parameters
    ----------
    name
        The model name.
    entry
        Its manifest entry (``url``, and ``sha256`` when one is known).
    dest
        Where the bundle goes.

    Returns
    -------
    Path
        ``dest``, verified.

    Raises
    ------
    ModelError
        If the download fails, is larger than :data:`MAX_DOWNLOAD_BYTES`, is not a bundle or
        has another sha256 than the manifest's.
    """
    import urllib.error
    import urllib.request

    url = entry["url"]
    notice(f"downloading the pose model {name!r} from {url.split('/')[2]} (first run only)...")
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
    inspect_zip(io.BytesIO(data), f"the download from {url}", "not saved")
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
    write_model_file(dest, data)
    write_local_record(
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
