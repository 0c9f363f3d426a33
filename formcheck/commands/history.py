"""``formcheck history [list|show ID|import REPORT.json...|html OUT.html] [--db PATH] [--days N]``

The session history: import saved JSON reports, list them, show one, and write the HTML history
page. The database defaults to the per-user data folder (see docs/report.md).
"""

from __future__ import annotations

import argparse
import logging
import math
import webbrowser
from collections.abc import Sequence
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

_DAYS_DEFAULT = 14


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number of days, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected at least 1 day, got {value}")
    return value


def _common(parser: argparse.ArgumentParser, *, suppress: bool) -> None:
    default = argparse.SUPPRESS if suppress else None
    parser.add_argument(
        "--db",
        metavar="PATH",
        type=Path,
        default=default,
        help="history database (default: $FORMCHECK_DATA_DIR or "
        "$XDG_DATA_HOME/formcheck/history.sqlite3)",
    )
    parser.add_argument(
        "--days",
        metavar="N",
        type=_positive_int,
        default=default,
        help=f"the last N days (default {_DAYS_DEFAULT}; list: all sessions)",
    )


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "history",
        help="the session history: import reports, list, show, HTML page",
        description="Keep the history of your sessions and see adherence (twice a day), "
        "left/right balance, hold progression and range of motion.",
    )
    _common(parser, suppress=False)
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    p = actions.add_parser("list", help="list the sessions (the default)")
    _common(p, suppress=True)
    p = actions.add_parser("show", help="show one session")
    p.add_argument("id", metavar="ID", type=int)
    _common(p, suppress=True)
    p = actions.add_parser("import", help="import saved JSON reports")
    p.add_argument("reports", metavar="REPORT.json", type=Path, nargs="+")
    _common(p, suppress=True)
    p = actions.add_parser("html", help="write the HTML history page")
    p.add_argument("out", metavar="OUT.html", type=Path)
    p.add_argument("--open", action="store_true", help="open the page in the web browser")
    p.add_argument(
        "--config",
        metavar="TOML",
        default=None,
        help="settings file whose hold targets apply (see docs/config.example.toml)",
    )
    _common(p, suppress=True)
    parser.set_defaults(func=run)
    return parser


def format_table(
    headers: Sequence[str], rows: Sequence[Sequence[Any]], right: Sequence[int] = ()
) -> str:
    """A plain-text table with aligned columns; ``right`` = right-aligned column indexes."""
    cells = [[str(h) for h in headers]] + [[str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = []
    for n, r in enumerate(cells):
        parts = [
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(r, widths, strict=True))
        ]
        lines.append("  ".join(parts).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _fmt(value: Any, digits: int = 1, unit: str = "") -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    return f"{value:.{digits}f}{unit}"


def run(args: argparse.Namespace) -> int:
    from formcheck.history import store as history

    action = args.action or "list"
    db_path = args.db or history.default_db_path()
    if action == "import":
        return _import(history, db_path, args.reports)
    if action == "html":
        from formcheck.config import load_settings
        from formcheck.history.page import write_history_html
        from formcheck.io.paths import refuse_overwrites

        refuse_overwrites(
            [("the page", args.out)],
            [("the history database", db_path), ("the settings file", args.config)],
        )
        catalogue = load_settings(args.config).catalogue()
        create = db_path.exists()
        conn = history.open_db(db_path if create else ":memory:")
        try:
            write_history_html(
                conn,
                args.out,
                days=args.days or _DAYS_DEFAULT,
                db_label=str(db_path),
                catalogue=catalogue,
            )
        finally:
            conn.close()
        print(f"wrote {args.out}")
        if args.open and not webbrowser.open(args.out.resolve().as_uri()):
            log.warning("no web browser found to open %s", args.out)
        return 0
    if not db_path.exists():
        print(
            f"No history yet ({db_path}); import reports with: formcheck history import REPORT.json"
        )
        return 0
    conn = history.open_db(db_path, create=False)
    try:
        if action == "show":
            return _show(history, conn, args.id)
        return _list(history, conn, args.days)
    finally:
        conn.close()


def _import(history: Any, db_path: Path, reports: Sequence[Path]) -> int:
    from formcheck.report.schema import load_report

    conn = history.open_db(db_path)
    try:
        for path in reports:
            report = load_report(path)
            if report.get("assessment"):
                # as `formcheck assess` stores it: test results, not a stretching session
                from formcheck.history.assess import store_assessment

                n = store_assessment(conn, report, report_path=str(path))
                print(f"imported {path}: {n} new flexibility test result(s)")
                continue
            session_id, created = history.import_report(conn, report, path)
            if created:
                print(f"imported {path} as session {session_id}")
            else:
                print(f"{path} is already in the history as session {session_id}")
    finally:
        conn.close()
    return 0


def _list(history: Any, conn: Any, days: int | None) -> int:
    sessions = history.list_sessions(conn, days=days)
    if not sessions:
        print("No sessions" + (f" in the last {days} days." if days else " yet."))
        return 0
    rows = [
        [
            s["id"],
            str(s["started_at"])[:16].replace("T", " "),
            s["mode"] or "",
            _fmt(s["duration_s"], 0, " s"),
            f"{s['completed']}/{s['holds']}",
            f"{s['valid_left_s']:.0f}/{s['valid_right_s']:.0f} s",
            s["form_faults"],
            (Path(s["source_path"]).name if s["source_path"] else "-")
            + (" (partial)" if s["partial"] else ""),
        ]
        for s in sessions
    ]
    print(
        format_table(
            ["ID", "STARTED", "MODE", "LENGTH", "DONE", "LEFT/RIGHT", "FAULTS", "SOURCE"],
            rows,
            right=(0, 3, 4, 5, 6),
        )
    )
    window = days or _DAYS_DEFAULT
    adh = history.adherence(conn, days=window)
    goal = history.times_a_day(adh[0]["goal"]) if adh else ""
    bal = history.side_balance(conn, days=window)
    total = sum(a["sessions"] for a in adh)
    active = sum(1 for a in adh if a["sessions"])
    print()
    print(
        f"Last {window} days: {total} stretching sessions on {active} days "
        f"(goal: {goal}, seeds 003, 004); good-form hold time left {bal['left']:.0f} s, "
        f"right {bal['right']:.0f} s."
    )
    return 0


def _show(history: Any, conn: Any, session_id: int) -> int:
    from formcheck.errors import InputError
    from formcheck.stretches.catalogue import fault_kind

    s = history.get_session(conn, session_id)
    if s is None:
        raise InputError(f"no session {session_id} in the history (see: formcheck history list)")
    print(
        f"Session {s['id']}  started {s['started_at']}  mode {s['mode']}"
        + ("  (partial)" if s["partial"] else "")
    )
    print(f"Source   {s['source_path'] or '-'}")
    if s["report_path"]:
        print(f"Report   {s['report_path']}")
    print(f"Length   {_fmt(s['duration_s'], 1, ' s')}")
    print()
    if s["holds"]:
        print(
            format_table(
                [
                    "STRETCH",
                    "SIDE",
                    "START",
                    "HOLD",
                    "VALID",
                    "TARGET",
                    "DONE",
                    "BEST HIP",
                    "BEST RAISE",
                ],
                [
                    [
                        h["stretch"],
                        h["side"],
                        _fmt(h["start_s"], 1, " s"),
                        _fmt(h["duration_s"], 1, " s"),
                        _fmt(h["valid_s"], 1, " s"),
                        _fmt(h["target_s"], 0, " s"),
                        "yes" if h["completed"] else "no",
                        _fmt(h["best_hip_angle_deg"], 0, " deg"),
                        _fmt(h["best_leg_raise_deg"], 0, " deg"),
                    ]
                    for h in s["holds"]
                ],
                right=(2, 3, 4, 5, 7, 8),
            )
        )
    else:
        print("No holds.")
    print()
    if s["warnings"]:
        print(
            format_table(
                ["WARNING", "LABEL", "CATEGORY", "START", "DURATION", "MESSAGE"],
                [
                    [
                        w["kind"],
                        fault_kind(w["kind"]).label,
                        fault_kind(w["kind"]).category,
                        _fmt(w["start_s"], 1, " s"),
                        _fmt(w["duration_s"], 1, " s"),
                        w["message"] or "",
                    ]
                    for w in s["warnings"]
                ],
                right=(3, 4),
            )
        )
    else:
        print("No warnings.")
    return 0
