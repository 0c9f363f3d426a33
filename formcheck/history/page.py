"""The history page: adherence, left/right balance, hold progression, range of motion, faults.

One self-contained HTML file built from the history database (:mod:`formcheck.history.store`),
with the same page shell and CSS (:mod:`formcheck.report.shell`), SVG charts
(:mod:`formcheck.report.charts`) and advice blocks (:mod:`formcheck.report.advice`) as the
session report. Hold targets are those the holds were timed against, else the stretch
catalogue's; fault labels and categories are the catalogue's.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import sqlite3
from pathlib import Path
from typing import Any

import numpy as np

from formcheck import __version__
from formcheck.history import store as history
from formcheck.history.assess import assessment_section
from formcheck.history.backref import saved_back_reference
from formcheck.history.sessions_table import hold_bars, sessions_section
from formcheck.io.atomic import atomic_write_text
from formcheck.report.advice import Advice, advice_html, sources_html
from formcheck.report.charts import RefLine, Series, svg_bar_chart, svg_line_chart
from formcheck.report.facts import BALANCE_RATIO
from formcheck.report.shell import (
    balance_bar_html,
    esc,
    fault_chip_html,
    fmt_s,
    html_page,
    legend_html,
    stretch_name,
    table_html,
    tiles_html,
)
from formcheck.stretches.catalogue import Catalogue, fault_kind, load_catalogue

#: the range-of-motion measure that shows progress in each stretch: (column, title, better)
ROM_MEASURES = {
    "standing_fold": [("best_hip_angle_deg", "Best hip angle (lower = deeper fold)", "lower")],
    "supine_raise": [("best_leg_raise_deg", "Best leg raise (higher = better)", "higher")],
}
_ROM_DEFAULT = [
    ("best_hip_angle_deg", "Best hip angle (lower = deeper fold)", "lower"),
    ("best_leg_raise_deg", "Best leg raise (higher = better)", "higher"),
]


def _day_label(day: str) -> str:
    d = dt.date.fromisoformat(day)
    return f"{d.strftime('%b')} {d.day}"


def _by_day(rows: list[dict[str, Any]], dates: list[str], stretch: str, key: str) -> np.ndarray:
    index = {d: i for i, d in enumerate(dates)}
    y = np.full(len(dates), np.nan)
    for r in rows:
        if r["stretch"] == stretch and r["day"] in index and r[key] is not None:
            y[index[r["day"]]] = float(r[key])
    return y


def _best_by_stretch(prog: list[dict[str, Any]]) -> dict[str, float]:
    best: dict[str, float] = {}
    for r in prog:
        best[r["stretch"]] = max(best.get(r["stretch"], 0.0), float(r["best_hold_s"] or 0.0))
    return best


def _history_advice(
    adh: list[dict[str, Any]],
    bal: dict[str, Any],
    prog: list[dict[str, Any]],
    targets: dict[str, float],
    start_s: float,
) -> list[Advice]:
    out = []
    active = [a for a in adh if a["sessions"] > 0]
    mean = sum(a["sessions"] for a in adh) / len(adh) if adh else 0.0
    goal = adh[0]["goal"] if adh else 0
    if mean < goal:
        out.append(
            Advice(
                "twice_a_day",
                "Twice a day",
                f"You stretched on {len(active)} of the last {len(adh)} days, "
                f"{mean:.1f} sessions a day on average. Aim for {history.times_a_day(goal)}; tie "
                "it to something you already do daily, such as brushing your teeth.",
                ("003", "004"),
            )
        )
    else:
        out.append(
            Advice(
                "twice_a_day",
                "Twice a day: on track",
                f"{mean:.1f} sessions a day on average.",
                ("003", "004"),
                "good",
            )
        )
    ratio = bal["ratio"]
    if math.isfinite(ratio) and ratio < BALANCE_RATIO:
        weak = "left" if bal["left"] < bal["right"] else "right"
        out.append(
            Advice(
                "both_sides",
                "Stretch both sides equally",
                f"Good-form hold time: left {bal['left']:.0f} s, right {bal['right']:.0f} s. "
                f"Give the {weak} leg more holds.",
                ("002", "003"),
            )
        )
    best = _best_by_stretch(prog)
    short = {s: b for s, b in best.items() if b < targets[s]}
    if short:
        detail = "; ".join(
            f"{stretch_name(s)}: {b:.0f} s of {targets[s]:.0f} s" for s, b in short.items()
        )
        out.append(
            Advice(
                "progress_hold",
                f"Progress the hold from {start_s:.0f} s toward "
                f"{max(targets[s] for s in short):.0f} s",
                f"Your best good-form hold in this period: {detail}.",
                ("004",),
            )
        )
    return out


def _faults_section(faults: list[dict[str, Any]]) -> str:
    """The warnings of the period per kind, with the catalogue's labels and categories."""
    if not faults:
        return (
            '<section class="card"><h2>Faults and warnings</h2><p><span class="chip good">'
            "No faults</span> Nothing to correct in this period.</p></section>"
        )
    ordered = sorted(faults, key=lambda r: (fault_kind(r["kind"]).priority, r["kind"]))
    rows = [
        [
            fault_chip_html(r["kind"]),
            esc(fault_kind(r["kind"]).category),
            f"{r['warnings']}",
            f"{r['sessions']}",
            esc(fmt_s(float(r["duration_s"] or 0.0))),
        ]
        for r in ordered
    ]
    return (
        '<section class="card"><h2>Faults and warnings</h2>'
        '<p class="muted">Form faults (red) pause the hold timer; set-up warnings (orange) are '
        "about the camera and the framing.</p>"
        + table_html(
            ["Fault", "Category", "Warnings", "Sessions", "Total time"], rows, num=(2, 3, 4)
        )
        + "</section>"
    )


def _targets_legend(targets: dict[str, float], start_s: float, default_s: float) -> str:
    values = sorted(set(targets.values())) or [default_s]
    if len(values) == 1:
        return f"{start_s:.0f} s start, {values[0]:.0f} s target"
    return f"{start_s:.0f} s start, each stretch's target"


def render_history_html(
    db: sqlite3.Connection | str | os.PathLike[str] | None,
    *,
    days: int = history.DEFAULT_DAYS,
    today: dt.date | None = None,
    title: str = "formcheck history",
    db_label: str | None = None,
    catalogue: Catalogue | None = None,
    page_dir: str | os.PathLike[str] | None = None,
) -> str:
    """The history page of the last ``days`` days as a self-contained HTML document.

    Parameters
    ----------
    db : sqlite3.Connection or path-like or None
        The history database (None = the default one).
    days : int
        Length of the window, ending ``today`` (default: the local date).
    title : str
        Page title (escaped).
    db_label : str, optional
        How to name the database on the page (default its path, when ``db`` is one).
    catalogue : Catalogue, optional
        The stretch catalogue with the settings' overrides: the hold target of a stretch whose
        holds carry none, and the hold to start from (default: the built-in catalogue).
    page_dir : path, optional
        The folder the page is written to: each session's report is linked relative to it.
    """
    today = today or dt.date.today()
    catalogue = catalogue or load_catalogue()
    adh = history.adherence(db, days=days, today=today, goal=catalogue.sessions_per_day)
    bal = history.side_balance(db, days=days, today=today)
    prog = history.hold_progression(db, days=days, today=today)
    rom = history.rom_trend(db, days=days, today=today)
    sessions = history.list_sessions(db, days=days, today=today)
    faults = history.fault_summary(db, days=days, today=today)
    timed = history.hold_targets(db, days=days, today=today)
    stretches = sorted({r["stretch"] for r in prog})
    targets = {s: timed.get(s) or catalogue.hold_target_for(s) for s in stretches}
    start_s = catalogue.hold_start_s
    best_by = _best_by_stretch(prog)
    reached = bool(best_by) and all(b >= targets[s] for s, b in best_by.items())
    dates = [a["day"] for a in adh]
    labels = [_day_label(d) for d in dates]
    x = np.arange(len(dates), dtype=float)
    step = max(1, math.ceil(len(dates) / 14))
    x_ticks = [(float(i), labels[i]) for i in range(0, len(dates), step)]
    x_range = (-0.5, len(dates) - 0.5)
    if db_label is None and not isinstance(db, sqlite3.Connection):
        db_label = str(db if db is not None else history.default_db_path())

    meta = f"<b>Period</b> {esc(dates[0])} to {esc(dates[-1])} ({days} days)"
    if db_label:
        meta += f" &nbsp;·&nbsp; <b>Database</b> {esc(db_label)}"
    ref = saved_back_reference(db)
    if ref is not None:  # what photos and videos without upright frames are judged against
        when = f", measured {esc(ref.taken_at[:10])}" if ref.taken_at else ""
        meta += f" &nbsp;·&nbsp; <b>Neutral back</b> reads {ref.bias_deg:+.0f}&deg;{when}"
    body = [f'<header class="page"><h1>{esc(title)}</h1><div class="meta">{meta}</div></header>']

    n_sessions = sum(a["sessions"] for a in adh)
    active_days = sum(1 for a in adh if a["sessions"] > 0)
    goal_days = sum(1 for a in adh if a["met"])
    best = max((r["best_hold_s"] or 0.0 for r in prog), default=0.0)
    ratio = bal["ratio"]
    body.append(
        tiles_html(
            [
                (f"{n_sessions}", "stretching sessions", ""),
                (f"{active_days} / {days}", "days stretched", ""),
                (f"{goal_days}", "days with 2+ sessions", "good" if goal_days else "warn"),
                (f"{best:.0f} s", "best good-form hold", "good" if reached else "warn"),
                (
                    "—" if not math.isfinite(ratio) else f"{ratio:.0%}",
                    "left/right balance",
                    "" if not math.isfinite(ratio) else "good" if ratio >= BALANCE_RATIO else "bad",
                ),
            ]
        )
    )
    if not sessions:
        body.append(
            '<section class="card"><h2>No sessions yet</h2><p class="muted">Import reports with '
            "<code>formcheck history import REPORT.json</code>.</p></section>"
        )

    body.append(
        '<section class="card"><h2>Adherence</h2>'
        '<p class="muted">Stretching sessions per day; the goal is '
        f"{history.times_a_day(catalogue.sessions_per_day)}.</p>"
        + svg_bar_chart(
            labels,
            [Series("sessions", np.array([a["sessions"] for a in adh], float), "s-good")],
            ref_lines=[
                RefLine(
                    catalogue.sessions_per_day,
                    f"goal: {history.times_a_day(catalogue.sessions_per_day)}",
                )
            ],
            label="sessions per day",
            max_labels=14,
        )
        + "</section>"
    )
    body.append(
        '<section class="card"><h2>Left / right balance</h2>'
        + balance_bar_html(bal["left"], bal["right"])
        + legend_html([("s-left", "left"), ("s-right", "right")])
        + svg_bar_chart(
            labels,
            [
                Series("left", np.array([p["left"] for p in bal["per_day"]]), "s-left"),
                Series("right", np.array([p["right"] for p in bal["per_day"]]), "s-right"),
            ],
            y_unit=" s",
            label="good-form hold seconds per side per day",
            max_labels=14,
        )
        + "</section>"
    )

    prog_blocks = []
    for stretch in stretches:
        prog_blocks.append(
            f'<div class="chart-block"><p class="chart-title">{esc(stretch_name(stretch))}</p>'
            + hold_bars(  # the day's best beside its mean: a dot of one hid the other
                prog,
                dates,
                labels,
                stretch,
                [
                    RefLine(targets[stretch], f"{targets[stretch]:.0f} s target"),
                    RefLine(start_s, f"{start_s:.0f} s start"),
                ],
            )
            + "</div>"
        )
    body.append(
        '<section class="card"><h2>Hold progression</h2>'
        + legend_html(
            [
                ("s-good", "best good-form hold"),
                ("s-mean", "mean hold"),
                ("ref", _targets_legend(targets, start_s, catalogue.hold_target_s)),
            ]
        )
        + ("".join(prog_blocks) or '<p class="muted">No holds in this period.</p>')
        + "</section>"
    )

    rom_blocks = []
    for stretch in sorted({r["stretch"] for r in rom}):
        for key, measure, _better in ROM_MEASURES.get(stretch, _ROM_DEFAULT):
            y = _by_day(rom, dates, stretch, key)
            if not np.isfinite(y).any():
                continue
            rom_blocks.append(
                f'<div class="chart-block"><p class="chart-title">{esc(stretch_name(stretch))}: '
                f"{esc(measure)}</p>"
                + svg_line_chart(
                    x,
                    [Series(measure, y, "s1", True)],
                    x_range=x_range,
                    x_ticks=x_ticks,
                    y_unit="°",
                    label=f"{measure}, {stretch_name(stretch)}",
                )
                + "</div>"
            )
    body.append(
        '<section class="card"><h2>Range of motion</h2>'
        '<p class="muted">Measured in good-form hold frames only.</p>'
        + ("".join(rom_blocks) or '<p class="muted">No measurements in this period.</p>')
        + "</section>"
    )
    body.append(assessment_section(db, days=days, today=today))
    body.append(
        '<section class="card"><h2>Advice</h2>'
        + advice_html(_history_advice(adh, bal, prog, targets, start_s))
        + "</section>"
    )
    body.append(_faults_section(faults))

    body.append(sessions_section(db, sessions, days=days, today=today, page_dir=page_dir))
    body.append(sources_html())
    body.append(f"<footer>Made by formcheck {esc(__version__)}. Not medical advice.</footer>")
    return html_page(title, "".join(body))


def write_history_html(
    db: sqlite3.Connection | str | os.PathLike[str] | None,
    path: str | os.PathLike[str],
    **kwargs: Any,
) -> Path:
    """Render the history page (see :func:`render_history_html`) and write it atomically."""
    kwargs.setdefault("page_dir", Path(path).parent)
    return atomic_write_text(path, render_history_html(db, **kwargs))
