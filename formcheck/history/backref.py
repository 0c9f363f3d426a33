"""The user's saved neutral-back reference (:mod:`formcheck.metrics.backref`).

A session that measured the person's neutral back (live mode's stand-tall step, or a video's
upright frames) stores it when its report is imported (``back_references``); photos and videos
without upright frames are judged against the latest one (:func:`saved_back_reference`).
"""

from __future__ import annotations

import logging
import os
import sqlite3
from pathlib import Path

from formcheck.history.db import Db, HistoryError, connection, default_db_path
from formcheck.metrics.backref import MAX_BIAS_DEG, BackReference

log = logging.getLogger(__name__)


def saved_back_reference(db: Db = None) -> BackReference | None:
    """The latest neutral-back reference in the history, as a ``"saved"`` reference; None when
    there is none, no history yet, or the history cannot be read (said in the log: the session
    is then judged against the population rule, and the history's own error comes later)."""
    if not isinstance(db, sqlite3.Connection):
        path = Path(os.fspath(db)) if db is not None else default_db_path()
        if not path.is_file():
            return None
        db = path
    try:
        with connection(db, create=False) as conn:
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
            if "back_references" not in tables:
                return None
            row = conn.execute(
                "SELECT taken_at, source, bias_deg, measured_deg, frames FROM back_references"
                " ORDER BY taken_at DESC, id DESC LIMIT 1"
            ).fetchone()
    except (HistoryError, sqlite3.Error) as err:
        log.info("no saved back reference: %s", err)
        return None
    if row is None or row[2] is None:
        return None
    bias = max(-MAX_BIAS_DEG, min(MAX_BIAS_DEG, float(row[2])))
    measured = float(row[3]) if row[3] is not None else float("nan")
    return BackReference(bias, "saved", int(row[4] or 0), None, str(row[0]), measured)
