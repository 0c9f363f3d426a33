"""The history page's "Sessions" table and "Hold progression" bars.

Only stretching sessions are listed (:func:`formcheck.history.stats.counted_sql`: a video or
live session showing a stretch); how many other imports were left out (photos, videos with no
stretch or nobody) is said under the table. Each row names the stretches held and links to the
session's report: the HTML page beside the imported JSON (``report_path``) when it is there,
else the JSON, relative to the folder of the history page.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np

from formcheck.history import stats
from formcheck.history.db import Db
from formcheck.report.charts import RefLine, Series, svg_bar_chart
from formcheck.report.shell import esc, fmt_clock, stretch_name, table_html


def report_link(report_path: str | None, page_dir: str | os.PathLike[str] | None) -> str:
    """``<a href=...>report</a>`` to a session's report ("—" when there is none to link)."""
    if not report_path:
        return "—"
    json_path = Path(report_path)
    target = json_path.with_suffix(".html")
    if not target.is_file():
        target = json_path
    if page_dir is None:
        href = target.resolve().as_uri() if target.is_absolute() else quote(target.as_posix())
    else:
        rel = os.path.relpath(target.resolve(), Path(page_dir).resolve())
        href = quote(Path(rel).as_posix())
    return f'<a href="{esc(href)}">{"report" if target.suffix == ".html" else "JSON"}</a>'


def sessions_section(
    db: Db,
    sessions: Sequence[dict[str, Any]],
    *,
    days: int,
    today: dt.date | None,
    page_dir: str | os.PathLike[str] | None = None,
) -> str:
    """The "Sessions" card: the stretching sessions of the window, newest first."""
    counted = stats.list_sessions(db, days=days, today=today, counted=True)
    left_out = len(sessions) - len(counted)
    rows = []
    for s in counted:
        flags = '<span class="chip warn">partial</span>' if s["partial"] else ""
        names = ", ".join(stretch_name(x) for x in (s.get("stretches") or "").split(",") if x)
        rows.append(
            [
                f"{s['id']}",
                esc(str(s["started_at"])[:16].replace("T", " ")),
                esc(names or "—"),
                esc(s["mode"] or ""),
                esc(fmt_clock(float(s["duration_s"] or 0.0))[:-2]),
                f"{s['completed']} / {s['holds']}",
                f"{s['valid_left_s']:.0f} / {s['valid_right_s']:.0f} s",
                f"{s['form_faults']}",
                esc(Path(s["source_path"] or "").name or "—") + " " + flags,
                report_link(s.get("report_path"), page_dir),
            ]
        )
    note = (
        f'<p class="muted">{left_out} other import{"s" if left_out != 1 else ""} '
        "(photos, videos with no stretch or nobody in them) not counted as sessions.</p>"
        if left_out > 0
        else ""
    )
    if not rows:
        return f'<section class="card"><h2>Sessions</h2>{note}</section>' if note else ""
    headers = [
        "#",
        "Started",
        "Stretch",
        "Mode",
        "Length",
        "Completed",
        "Left / right",
        "Faults",
        "Source",
        "Report",
    ]
    return (
        '<section class="card"><h2>Sessions</h2>'
        + table_html(headers, rows, num=(0, 4, 5, 6, 7))
        + note
        + "</section>"
    )


def hold_bars(
    prog: Sequence[dict[str, Any]],
    dates: Sequence[str],
    labels: Sequence[str],
    stretch: str,
    ref_lines: Sequence[RefLine],
) -> str:
    """Each day's best good-form hold beside the day's mean hold (bars side by side)."""

    def by_day(key: str) -> np.ndarray:
        found = {r["day"]: r[key] for r in prog if r["stretch"] == stretch}
        return np.array([np.nan if found.get(d) is None else found[d] for d in dates], float)

    return svg_bar_chart(
        labels,
        [
            Series("best hold", by_day("best_hold_s"), "s-good"),
            Series("mean hold", by_day("mean_hold_s"), "s-mean"),
        ],
        ref_lines=ref_lines,
        y_unit=" s",
        label=f"best and mean hold per day, {stretch_name(stretch)}",
        max_labels=14,
    )
