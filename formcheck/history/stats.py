"""The trends read from the history: sessions, adherence, left/right balance, hold progression,
range of motion, faults and hold targets.

Each query takes the history (:data:`formcheck.history.db.Db`: an open connection, a path, or
None for the default database) and a window of ``days`` days ending ``today`` (default: the
local date). Which warnings count as form faults, and their labels, come from the stretch
catalogue (:mod:`formcheck.stretches.catalogue`). Times are in seconds, angles in degrees.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from formcheck.history.db import Db, connection
from formcheck.stretches.catalogue import kinds_of, load_catalogue

DEFAULT_DAYS = 14


def times_a_day(n: int) -> str:
    """``"once a day"``, ``"twice a day"``, ``"3 times a day"``: a daily goal in words."""
    return {1: "once a day", 2: "twice a day"}.get(n, f"{n} times a day")


def _window(days: int, today: dt.date | None) -> tuple[list[str], str]:
    """The ``days`` ISO dates ending ``today`` (oldest first) and the first of them."""
    if days < 1:
        raise ValueError(f"days must be >= 1, got {days}")
    today = today or dt.date.today()
    dates = [(today - dt.timedelta(days=days - 1 - i)).isoformat() for i in range(days)]
    return dates, dates[0]


def counted_sql(alias: str = "s") -> tuple[str, tuple[str, ...]]:
    """The SQL condition (and its parameters) of a *stretching session*: a video or live
    session that shows a stretch (a hold, or a form fault, which only a stretch raises). A photo,
    a video with nobody in it and one with no stretch are in the history but not counted."""
    form = kinds_of("form")
    marks = ", ".join("?" for _ in form)
    cond = f"""(COALESCE({alias}.source_kind, '') != 'image' AND (
        EXISTS (SELECT 1 FROM holds hc WHERE hc.session_id = {alias}.id)
        OR EXISTS (SELECT 1 FROM warnings wc WHERE wc.session_id = {alias}.id
                   AND wc.kind IN ({marks}))))"""
    return cond, tuple(form)


def list_sessions(
    db: Db,
    *,
    days: int | None = None,
    today: dt.date | None = None,
    counted: bool = False,
) -> list[dict[str, Any]]:
    """The sessions, newest first, with their hold and warning counts.

    Each dict has the ``sessions`` columns plus ``holds``, ``completed``, ``valid_left_s``,
    ``valid_right_s``, ``form_faults`` (warnings of the catalogue's ``"form"`` category),
    ``warnings`` and ``stretches`` (the ids of the stretches held, comma-separated, or None).
    ``days`` keeps the last N days only; ``counted`` the stretching sessions only
    (:func:`counted_sql`).
    """
    conds: list[str] = []
    params: tuple[str, ...] = ()
    if days is not None:
        _, first = _window(days, today)
        conds, params = ["s.day >= ?"], (first,)
    if counted:
        cond, extra = counted_sql()
        conds, params = [*conds, cond], (*params, *extra)
    where = ("WHERE " + " AND ".join(conds)) if conds else ""
    form = kinds_of("form")
    marks = ", ".join("?" for _ in form)
    sql = f"""
        SELECT s.*,
          (SELECT GROUP_CONCAT(DISTINCT h.stretch) FROM holds h WHERE h.session_id = s.id)
              AS stretches,
          (SELECT COUNT(*) FROM holds h WHERE h.session_id = s.id) AS holds,
          (SELECT COALESCE(SUM(h.completed), 0) FROM holds h WHERE h.session_id = s.id)
              AS completed,
          (SELECT COALESCE(SUM(h.valid_s), 0) FROM holds h
              WHERE h.session_id = s.id AND h.side = 'left') AS valid_left_s,
          (SELECT COALESCE(SUM(h.valid_s), 0) FROM holds h
              WHERE h.session_id = s.id AND h.side = 'right') AS valid_right_s,
          (SELECT COUNT(*) FROM warnings w WHERE w.session_id = s.id
              AND w.kind IN ({marks})) AS form_faults,
          (SELECT COUNT(*) FROM warnings w WHERE w.session_id = s.id) AS warnings
        FROM sessions s {where} ORDER BY s.started_at DESC, s.id DESC"""
    with connection(db) as conn:
        return [dict(r) for r in conn.execute(sql, (*form, *params))]


def get_session(db: Db, session_id: int) -> dict[str, Any] | None:
    """One session with its ``holds`` and ``warnings`` lists, or None when there is no such id."""
    with connection(db) as conn:
        row = conn.execute("SELECT * FROM sessions WHERE id = ?", (session_id,)).fetchone()
        if row is None:
            return None
        out = dict(row)
        out["holds"] = [
            dict(r)
            for r in conn.execute(
                "SELECT * FROM holds WHERE session_id = ? ORDER BY start_s, id", (session_id,)
            )
        ]
        out["warnings"] = [
            dict(r)
            for r in conn.execute(
                "SELECT * FROM warnings WHERE session_id = ? ORDER BY start_s, id", (session_id,)
            )
        ]
    return out


def adherence(
    db: Db,
    *,
    days: int = DEFAULT_DAYS,
    today: dt.date | None = None,
    goal: int | None = None,
) -> list[dict[str, Any]]:
    """Stretching sessions per day over the last ``days`` days, oldest first.

    A session counts when it is a stretching session (:func:`counted_sql`: a video or live
    session with a hold or a form fault). Each dict: ``day``, ``sessions``,
    ``goal`` (default: the catalogue's ``sessions_per_day``, "twice a day", seeds 003 and 004),
    ``met``.
    """
    if goal is None:
        goal = load_catalogue().sessions_per_day
    dates, first = _window(days, today)
    cond, extra = counted_sql()
    with connection(db) as conn:
        counts: dict[str, int] = dict(
            conn.execute(
                f"SELECT s.day, COUNT(*) FROM sessions s WHERE s.day >= ? AND {cond} "
                "GROUP BY s.day",
                (first, *extra),
            ).fetchall()
        )
    return [
        {
            "day": d,
            "sessions": int(counts.get(d, 0)),
            "goal": goal,
            "met": counts.get(d, 0) >= goal,
        }
        for d in dates
    ]


def side_balance(
    db: Db,
    *,
    days: int = DEFAULT_DAYS,
    today: dt.date | None = None,
) -> dict[str, Any]:
    """Good-form hold seconds per side over the last ``days`` days.

    Returns ``{"left": s, "right": s, "ratio": smaller/larger or NaN, "per_day": [{"day",
    "left", "right"}, ...]}`` with every day of the window, oldest first.
    """
    dates, first = _window(days, today)
    with connection(db) as conn:
        rows = conn.execute(
            """SELECT day, side, SUM(valid_s) FROM daily_metrics
               WHERE day >= ? AND side IN ('left', 'right') GROUP BY day, side""",
            (first,),
        ).fetchall()
    seconds = {(day, side): float(valid or 0.0) for day, side, valid in rows}
    per = [
        {"day": d, "left": seconds.get((d, "left"), 0.0), "right": seconds.get((d, "right"), 0.0)}
        for d in dates
    ]
    left = sum(seconds.get((d, "left"), 0.0) for d in dates)
    right = sum(seconds.get((d, "right"), 0.0) for d in dates)
    ratio = min(left, right) / max(left, right) if max(left, right) > 0 else math.nan
    return {"left": left, "right": right, "ratio": ratio, "per_day": per}


def hold_progression(
    db: Db,
    *,
    days: int = DEFAULT_DAYS,
    today: dt.date | None = None,
) -> list[dict[str, Any]]:
    """Best and mean good-form hold per day and stretch (both sides), oldest first.

    Each dict: ``day``, ``stretch``, ``holds``, ``completed``, ``best_hold_s``, ``mean_hold_s``.
    Days without holds are left out.
    """
    _, first = _window(days, today)
    with connection(db) as conn:
        rows = conn.execute(
            """SELECT day, stretch, SUM(holds) AS holds, SUM(completed_holds) AS completed,
                      MAX(best_hold_s) AS best_hold_s,
                      SUM(valid_s) / SUM(holds) AS mean_hold_s
               FROM daily_metrics WHERE day >= ? GROUP BY day, stretch ORDER BY day, stretch""",
            (first,),
        ).fetchall()
    return [dict(r) for r in rows]


def rom_trend(
    db: Db,
    *,
    days: int = DEFAULT_DAYS,
    today: dt.date | None = None,
) -> list[dict[str, Any]]:
    """Range of motion per day and stretch, oldest first.

    Each dict: ``day``, ``stretch``, ``best_hip_angle_deg`` (smallest hip angle in good-form
    hold frames: lower is a deeper fold) and ``best_leg_raise_deg`` (largest leg raise); None
    where not measured.
    """
    _, first = _window(days, today)
    with connection(db) as conn:
        rows = conn.execute(
            """SELECT day, stretch, MIN(best_hip_angle_deg) AS best_hip_angle_deg,
                      MAX(best_leg_raise_deg) AS best_leg_raise_deg
               FROM daily_metrics WHERE day >= ? GROUP BY day, stretch ORDER BY day, stretch""",
            (first,),
        ).fetchall()
    return [dict(r) for r in rows]


def fault_summary(
    db: Db,
    *,
    days: int = DEFAULT_DAYS,
    today: dt.date | None = None,
) -> list[dict[str, Any]]:
    """The warnings of the last ``days`` days per kind, most warnings first.

    Each dict: ``kind``, ``warnings`` (how many), ``sessions`` (in how many sessions) and
    ``duration_s`` (their total length, seconds). Labels and categories are the catalogue's
    (:func:`formcheck.stretches.catalogue.fault_kind`).
    """
    _, first = _window(days, today)
    with connection(db) as conn:
        rows = conn.execute(
            """SELECT w.kind AS kind, COUNT(*) AS warnings,
                      COUNT(DISTINCT w.session_id) AS sessions,
                      COALESCE(SUM(w.duration_s), 0) AS duration_s
               FROM warnings w JOIN sessions s ON s.id = w.session_id
               WHERE s.day >= ? GROUP BY w.kind ORDER BY warnings DESC, w.kind""",
            (first,),
        ).fetchall()
    return [dict(r) for r in rows]


def hold_targets(
    db: Db,
    *,
    days: int = DEFAULT_DAYS,
    today: dt.date | None = None,
) -> dict[str, float]:
    """The hold target of each stretch held in the last ``days`` days: the largest
    ``target_s`` its holds were timed against, seconds (stretches whose holds carry none are
    left out)."""
    _, first = _window(days, today)
    with connection(db) as conn:
        rows = conn.execute(
            """SELECT h.stretch, MAX(h.target_s) FROM holds h
               JOIN sessions s ON s.id = h.session_id
               WHERE s.day >= ? AND h.target_s IS NOT NULL GROUP BY h.stretch""",
            (first,),
        ).fetchall()
    return {str(stretch): float(target) for stretch, target in rows if target is not None}
