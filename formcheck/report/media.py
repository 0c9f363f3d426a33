"""Parts of the report page beyond the measurements: the annotated video and how to set up.

- :func:`annotated_section`: the ``--annotate`` copy (``session.annotated_video``) embedded with
  a *relative* link from the page (``<video controls>`` for a video, ``<img>`` for a picture),
  so the page and the video can be moved together. The page stays self-contained otherwise.
- :func:`setup_section`: the catalogue's set-up steps of each stretch seen in the session.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import quote

from formcheck.io.encoders import is_image_path
from formcheck.report.shell import esc
from formcheck.stretches.catalogue import Catalogue, load_catalogue
from formcheck.stretches.setup import setup_steps

STYLE = "max-width:100%;width:720px;border-radius:8px"
VIDEO_TYPES = {".mp4": "video/mp4", ".m4v": "video/mp4", ".mov": "video/mp4", ".webm": "video/webm"}


def relative_link(target: str | os.PathLike[str], page_dir: str | os.PathLike[str]) -> str:
    """``target`` as a URL relative to the folder of the page (forward slashes, escaped)."""
    rel = os.path.relpath(Path(target).resolve(), Path(page_dir).resolve())
    return quote(Path(rel).as_posix())


def annotated_section(report: dict[str, Any], page_dir: str | os.PathLike[str] | None) -> str:
    """The annotated video (or picture) of the session, or "" when there is none or the page's
    folder is not known (a page rendered without being written)."""
    session = report.get("session") if isinstance(report.get("session"), dict) else {}
    path = (session or {}).get("annotated_video")
    if not path or page_dir is None or not Path(path).is_file():
        return ""
    href = esc(relative_link(path, page_dir))
    name = esc(Path(path).name)
    if is_image_path(path):
        media = (
            f'<img class="annotated" src="{href}" alt="annotated picture {name}" style="{STYLE}">'
        )
    else:
        kind = VIDEO_TYPES.get(Path(path).suffix.lower(), "video/mp4")
        media = (
            f'<video class="annotated" controls preload="metadata" playsinline '
            f'style="{STYLE}">'
            f'<source src="{href}" type="{kind}">'
            f'Your browser cannot play this video: <a href="{href}">open {name}</a>.</video>'
        )
    notes = " ".join(str(n) for n in report.get("notes", []) if "mp4v" in str(n))
    note = f'<p class="muted">{esc(notes)}</p>' if notes else ""
    return (
        '<section class="card"><h2>Annotated video</h2>'
        f'<figure class="media">{media}<figcaption class="muted">'
        f'<a href="{href}">{name}</a> (beside this page)</figcaption></figure>{note}</section>'
    )


def session_stretches(report: dict[str, Any]) -> list[str]:
    """The stretches of the session: those held, in order, else those seen most often."""
    seen: list[str] = []
    for h in report.get("holds", []):
        sid = h.get("stretch")
        if sid and sid not in seen:
            seen.append(str(sid))
    if seen:
        return seen
    counts = Counter(str(f["stretch"]) for f in report.get("frames", []) if f.get("stretch"))
    return [sid for sid, _ in counts.most_common(2)]


def setup_section(report: dict[str, Any], catalogue: Catalogue | None = None) -> str:
    """ "How to get into it": the set-up steps of each stretch of the session ("" if none)."""
    cat = catalogue or load_catalogue()
    blocks = []
    for sid in session_stretches(report):
        if sid not in cat.stretches:
            continue
        s = cat[sid]
        steps = "".join(f"<li>{esc(step)}</li>" for step in setup_steps(s))
        blocks.append(
            f'<h3>{esc(s.name)}</h3><ol class="setup">{steps}</ol>'
            f'<p class="muted">Hold target {s.hold_target_s:g} s. The rules it is checked by: '
            f"<code>formcheck stretches {esc(s.id)}</code></p>"
        )
    if not blocks:
        return ""
    return (
        '<section class="card"><h2>How to get into the stretch</h2>'
        + "".join(blocks)
        + "</section>"
    )
