"""Flexibility test results in the history: stored per test and side, and read back as trends.

:func:`store_assessment` adds a ``formcheck assess`` report's results (one row per test and
side, idempotent by the report's session id) to the ``assessments`` table; :func:`assessment_trend`
reads each test per side over time and calls the change since the first result in the period
"improved" or "declined" only when it exceeds the test's minimal detectable change (else "no
measurable change"); :func:`assessment_section` is the history page's card.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np

from formcheck.assess.norms import SIDES, TEST_IDS, get_test
from formcheck.history.db import Db, connection, transaction
from formcheck.report.charts import RefLine, Series, svg_line_chart
from formcheck.report.shell import esc, legend_html


def _day(started_at: str) -> str:
    try:
        return dt.datetime.fromisoformat(started_at).astimezone().date().isoformat()
    except ValueError:
        return started_at[:10]


def store_assessment(db: Db, report: dict[str, Any], report_path: str | None = None) -> int:
    """Add the results of an assessment report; returns how many rows were new."""
    a = report.get("assessment")
    if not a:
        return 0
    ses = report.get("session", {})
    key = str(ses.get("id") or "")
    started = str(ses.get("started_at") or dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    added = 0
    with connection(db) as conn, transaction(conn):
        for side, r in a["sides"].items():
            if not r.get("trials"):
                continue
            interp = (r.get("interpretation") or {}).get("label")
            cur = conn.execute(
                "INSERT OR IGNORE INTO assessments (session_key, started_at, day, test, side, "
                "trials, best_deg, mean_deg, sd_deg, interpretation, source_path, report_path, "
                "imported_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    key, started, _day(started), a["test"], side, r["trials"], r["best_deg"],
                    r["mean_deg"], r["sd_deg"], interp, report.get("source", {}).get("path"),
                    report_path, now,
                ),
            )  # fmt: skip
            added += cur.rowcount
    return added


def assessment_results(
    db: Db, *, days: int | None = None, today: dt.date | None = None
) -> list[dict[str, Any]]:
    """Every stored result (of the last ``days`` days, when given), oldest first."""
    sql = "SELECT * FROM assessments"
    params: tuple[Any, ...] = ()
    if days is not None:
        first = (today or dt.date.today()) - dt.timedelta(days=days - 1)
        sql += " WHERE day >= ?"
        params = (first.isoformat(),)
    with connection(db) as conn:
        have = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'assessments'"
        ).fetchone()
        if not have:
            return []
        rows = conn.execute(sql + " ORDER BY started_at, id", params).fetchall()
    return [dict(r) for r in rows]


def assessment_trend(rows: list[dict[str, Any]], test: str) -> dict[str, Any]:
    """One test's results per side over time, the change since the first, and the latest
    side-to-side difference.

    Returns ``{"sides": {side: {"points": [(started_at, mean_deg)], "first_deg", "last_deg",
    "change_deg", "change": "improved"|"declined"|"no measurable change"|None}},
    "side_difference": {...} | None}``; the change is named against the test's MDC.
    """
    spec = get_test(test)
    out: dict[str, Any] = {"sides": {}, "side_difference": None}
    for side in SIDES:
        pts = [
            (r["started_at"], float(r["mean_deg"]))
            for r in rows
            if r["test"] == test and r["side"] == side and r["mean_deg"] is not None
        ]
        if not pts:
            continue
        first, last = pts[0][1], pts[-1][1]
        out["sides"][side] = {
            "points": pts,
            "first_deg": first,
            "last_deg": last,
            "change_deg": round(last - first, 1),
            "change": spec.change_label(first, last) if len(pts) > 1 else None,
        }
    if len(out["sides"]) == 2:
        latest = {s: out["sides"][s]["last_deg"] for s in SIDES}
        out["side_difference"] = spec.side_difference(latest["left"], latest["right"])
    return out


def assessment_section(db: Db, *, days: int, today: dt.date | None = None) -> str:
    """The history page's card: each test per side over time, the changes named against the
    MDC, a flagged side-to-side difference (empty when there are no results)."""
    rows = assessment_results(db, days=days, today=today)
    if not rows:
        return ""
    times = sorted({r["started_at"] for r in rows})
    x = np.arange(len(times), dtype=float)
    step = max(1, math.ceil(len(times) / 10))
    ticks = [(float(i), str(times[i])[:10]) for i in range(0, len(times), step)]
    blocks = []
    for test in TEST_IDS:
        trend = assessment_trend(rows, test)
        if not trend["sides"]:
            continue
        spec = get_test(test)
        series = []
        lines = []
        for side, t in trend["sides"].items():
            y = np.full(len(times), np.nan)
            for at, v in t["points"]:
                y[times.index(at)] = v
            series.append(Series(side, y, f"s-{side}", True))
            change = t["change"] or "a single result so far"
            lines.append(
                f"<li><b>{esc(side.capitalize())}</b>: {t['first_deg']:.0f}° → "
                f"{t['last_deg']:.0f}° ({t['change_deg']:+.0f}°): <b>{esc(change)}</b></li>"
            )
        refs = [RefLine(b.min_deg, b.label) for b in spec.bands if math.isfinite(b.min_deg)]
        refs += [RefLine(b.max_deg, b.label) for b in spec.bands[:-1] if math.isfinite(b.max_deg)]
        diff = trend["side_difference"]
        flag = ""
        if diff:
            cls = "banner" if diff["flagged"] else "muted"
            flag = f'<p class="{cls}">Latest results: {esc(diff["text"])}.</p>'
        blocks.append(
            f'<div class="chart-block"><p class="chart-title">{esc(spec.name)}: '
            f"{esc(spec.measure)} (mean of the trials)</p>"
            + svg_line_chart(
                x,
                series,
                ref_lines=[r for r in refs if 0 <= r.y <= 180],
                x_range=(-0.5, len(times) - 0.5),
                x_ticks=ticks,
                y_unit="°",
                label=f"{spec.name} per side over time",
            )
            + f"<ul>{''.join(lines)}</ul>{flag}"
            f'<p class="muted">Changes smaller than the minimal detectable change '
            f"({spec.mdc_deg:.0f}°, {esc(spec.mdc_source)}) are within measurement error.</p>"
            "</div>"
        )
    return (
        '<section class="card"><h2>Flexibility tests</h2>'
        + legend_html([("s-left", "left"), ("s-right", "right")])
        + "".join(blocks)
        + '<p class="muted">Read against published ranges for healthy adults; not a '
        "diagnosis.</p></section>"
    )


__all__ = ["assessment_results", "assessment_section", "assessment_trend", "store_assessment"]
