"""Atomic writes: every file formcheck writes goes through here.

A reader never sees a half-written file, and an interrupted write leaves the old file (if any) in
place: the data goes to a temporary file beside the target, is flushed to disk, then renamed over
it. :func:`check_writable` lets a command fail before any analysis when an output cannot be
written.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from formcheck.errors import OutputError


def atomic_write(path: str | Path, write: Callable[[Any], None], *, mode: str = "w") -> Path:
    """Write a file atomically: ``write(fh)`` into a temporary file beside it, then rename.

    A reader never sees a half-written file, and an interrupted write leaves the old file (if
    any) in place. Raises :class:`OutputError` when the folder is missing or not writable.
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise OutputError(f"cannot create the output folder {folder}: {err.strerror}") from err
    if path.is_dir():
        raise OutputError(f"output path is a folder, expected a file name: {path}")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as err:
        raise OutputError(f"cannot write to {folder}: {err.strerror}") from err
    try:
        encoding = None if "b" in mode else "utf-8"
        with os.fdopen(fd, mode, encoding=encoding) as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; reports are ordinary files
        os.replace(tmp, path)
    except BaseException as err:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(err, OSError):
            raise OutputError(f"cannot write {path}: {err.strerror or err}") from err
        raise
    return path


def check_writable(path: str | Path) -> None:
    """Fail early, before any analysis, when ``path`` cannot be written."""
    path = Path(path)
    if path.is_dir():
        raise OutputError(f"output path is a folder, expected a file name: {path}")
    folder = path.parent if str(path.parent) else Path(".")
    probe = folder
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir() or not os.access(probe, os.W_OK | os.X_OK):
        raise OutputError(f"cannot write {path}: {probe} is not a writable folder")
    if path.exists() and not os.access(path, os.W_OK):
        raise OutputError(f"cannot write {path}: the file is read-only")
    # os.access is not the whole truth (root, read-only mounts, /proc): create the folder and
    # a scratch file there now, so the error comes before the analysis, not after it
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder, prefix=f".{path.name}.", suffix=".probe"):
            pass
    except OSError as err:
        raise OutputError(f"cannot write {path}: {err.strerror or err} (in {folder})") from err


def atomic_write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically (see :func:`atomic_write`)."""
    return atomic_write(Path(path), lambda fh: fh.write(text))


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_write`)."""
    return atomic_write(Path(path), lambda fh: fh.write(data), mode="wb")
