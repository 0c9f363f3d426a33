"""Output paths that never destroy a user's file: one check for every command that writes.

A command lists, before it does any work, every file it will write (its *outputs*: reports,
pages, CSVs, an annotated video, the history database) and every file it reads or must keep
(its *inputs*: videos and photos, a saved report, the settings file, the history database it
draws a page from). :func:`refuse_overwrites` raises :class:`OutputError` (one line, exit 2)
when an output is the same file as an input or as another output of the same run: the same
path, or another name for the same file (a symlink, a hard link, ``./x`` and ``x``).

:func:`report_names` gives each input of a batch its own output name, so that ``a/clip.mp4``
and ``b/clip.mp4`` do not write one report over the other.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from formcheck.errors import OutputError

PathLike = str | os.PathLike[str]

#: one file a run reads or writes: (what it is, e.g. ``"--json"`` or ``"the input"``; its path)
Named = tuple[str, PathLike | None]


def file_identity(path: PathLike) -> tuple[object, ...]:
    """What tells two names of one file apart from two files.

    An existing file is known by its device and inode (what :func:`os.path.samefile` compares),
    so symlinks and hard links to it compare equal; a file that does not exist yet by its
    resolved absolute path (:func:`os.path.realpath`: symlinked folders and ``..`` followed).
    """
    text = os.fspath(path)
    try:
        st = os.stat(text)
    except (OSError, ValueError):
        return ("path", os.path.normcase(os.path.realpath(text)))
    return ("file", st.st_dev, st.st_ino)


def refuse_overwrites(outputs: Iterable[Named], inputs: Iterable[Named] = ()) -> None:
    """Refuse a run that would write over one of its inputs, or write one file twice.

    Call it before any work, with every file the run writes and every file it reads or must
    keep. Entries whose path is None (an output turned off, a setting not given) are skipped.

    Parameters
    ----------
    outputs : iterable of (what, path)
        The files the run writes, e.g. ``("--json", "r.json")``, ``("the per-frame CSV", ...)``.
    inputs : iterable of (what, path)
        The files it reads or keeps, e.g. ``("the input", "clip.mp4")``.

    Raises
    ------
    OutputError
        Naming the output, the file it would destroy (or the other output that writes the same
        file), and what to do.
    """
    kept: dict[tuple[object, ...], tuple[str, str]] = {}
    for what, path in inputs:
        if path is not None:
            kept.setdefault(file_identity(path), (what, os.fspath(path)))
    written: dict[tuple[object, ...], tuple[str, str]] = {}
    for what, path in outputs:
        if path is None:
            continue
        text = os.fspath(path)
        key = file_identity(text)
        if key in kept:
            other_what, other = kept[key]
            raise OutputError(
                f"{what} {text} would overwrite {other_what} {other}{_same(text, other)}; "
                "choose another output name"
            )
        if key in written:
            other_what, other = written[key]
            raise OutputError(
                f"{what} {text} and {other_what} {other} would be written to one file"
                f"{_same(text, other)}; choose another output name"
            )
        written[key] = (what, text)


def refuse_repeats(inputs: Iterable[Named]) -> None:
    """Refuse a file given twice as an input (its reports would be written twice).

    Raises
    ------
    OutputError
        Naming both spellings of the file.
    """
    seen: dict[tuple[object, ...], str] = {}
    for what, path in inputs:
        if path is None:
            continue
        text = os.fspath(path)
        key = file_identity(text)
        if key in seen:
            also = "" if seen[key] == text else f" (also as {seen[key]}, the same file)"
            raise OutputError(f"{what} {text} is given twice{also}; give each file once")
        seen[key] = text


def _same(a: str, b: str) -> str:
    return "" if a == b else " (the same file)"


def report_names(inputs: Sequence[PathLike]) -> list[str]:
    """One output name (a file name without suffix) per input, distinct within the batch.

    The name is the input's stem (``clip`` for ``a/clip.mp4``). Where inputs share a stem
    (compared ignoring case, as some file systems do), the names take the folders that tell
    them apart (``a/clip.mp4``, ``b/clip.mp4`` -> ``a-clip``, ``b-clip``), then also the suffix
    (``clip.mp4``, ``clip.jpg`` -> ``...-clip-mp4``, ``...-clip-jpg``), and a name that still
    repeats (the same file given twice) a number in the order given (``clip-2``). The same
    inputs in the same order always get the same names.
    """
    return list(_report_names(tuple(os.fspath(p) for p in inputs), os.getcwd()))


@functools.lru_cache(maxsize=8)
def _report_names(inputs: tuple[str, ...], cwd: str) -> tuple[str, ...]:
    """:func:`report_names`, remembered for the other inputs of the same batch (each asks for
    its own name); ``cwd`` is where relative inputs are."""
    paths = [Path(os.path.normpath(os.path.join(cwd, p))) for p in inputs]
    names = [p.stem or "report" for p in paths]
    groups: dict[str, list[int]] = {}
    for i, name in enumerate(names):
        groups.setdefault(name.casefold(), []).append(i)
    for members in groups.values():
        if len(members) > 1:
            apart = _tell_apart([paths[i] for i in members])
            for i, name in zip(members, apart, strict=True):
                names[i] = name
    used: set[str] = set()
    for i, name in enumerate(names):
        candidate, n = name, 2
        while candidate.casefold() in used:
            candidate, n = f"{name}-{n}", n + 1
        used.add(candidate.casefold())
        names[i] = candidate
    return tuple(names)


def _tell_apart(paths: Sequence[Path]) -> list[str]:
    """Names for inputs that share a stem: the fewest parent folders (then the suffix) that
    make them differ; the last try when nothing does (the same file twice)."""
    folders = [p.parent.parts[1:] for p in paths]  # without the root
    depth = max(1, *(len(f) for f in folders))
    names: list[str] = []
    for with_suffix in (False, True):
        for k in range(1, depth + 1):
            names = []
            for f, p in zip(folders, paths, strict=True):
                parts = [*f[len(f) - min(k, len(f)) :], p.stem or "report"]
                if with_suffix and p.suffix:
                    parts.append(p.suffix.lstrip("."))
                names.append("-".join(parts))
            if len({n.casefold() for n in names}) == len(names):
                return names
    return names
