"""``formcheck report REPORT.json [--html OUT.html] [--csv OUT.csv] [--warnings-csv OUT.csv]``

Builds the self-contained HTML page (default: next to the JSON, same name, ``.html``) and,
with ``--csv``, the per-frame CSV, with ``--warnings-csv`` the CSV of the warnings (kind, label,
category, times, message) from a saved JSON report. ``--config`` names the settings file whose
stretch catalogue gives the hold targets a report does not carry.
"""

from __future__ import annotations

import argparse
import logging
import webbrowser
from pathlib import Path

log = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "report",
        help="build the HTML page (and CSV) of a saved JSON report",
        description="Build the self-contained HTML page of a saved JSON report "
        "(see docs/report.md), and optionally its per-frame CSV.",
    )
    parser.add_argument("report", metavar="REPORT.json", type=Path, help="a saved JSON report")
    parser.add_argument(
        "--html",
        metavar="OUT.html",
        type=Path,
        default=None,
        help="where to write the page (default: next to the JSON, with .html)",
    )
    parser.add_argument(
        "--csv", metavar="OUT.csv", type=Path, default=None, help="also write the per-frame CSV"
    )
    parser.add_argument(
        "--warnings-csv",
        metavar="OUT.csv",
        type=Path,
        default=None,
        help="also write the CSV of the warnings (kind, label, category, times, message)",
    )
    parser.add_argument(
        "--config",
        metavar="TOML",
        default=None,
        help="settings file whose hold targets apply (see docs/config.example.toml)",
    )
    parser.add_argument("--title", default=None, help="page title (default from the source name)")
    parser.add_argument("--open", action="store_true", help="open the page in the web browser")
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    from formcheck.config import load_settings
    from formcheck.io.paths import refuse_overwrites
    from formcheck.report.csvfile import write_frames_csv, write_warnings_csv
    from formcheck.report.page import write_html_report
    from formcheck.report.schema import load_report

    html_path = args.html or args.report.with_suffix(".html")
    refuse_overwrites(
        [
            ("--html" if args.html else "the page", html_path),
            ("--csv", args.csv),
            ("--warnings-csv", args.warnings_csv),
        ],
        [("the report", args.report), ("the settings file", args.config)],
    )
    catalogue = load_settings(args.config).catalogue()
    report = load_report(args.report)
    write_html_report(report, html_path, title=args.title, catalogue=catalogue)
    print(f"wrote {html_path}")
    if args.csv is not None:
        write_frames_csv(report, args.csv)
        print(f"wrote {args.csv}")
    if args.warnings_csv is not None:
        write_warnings_csv(report, args.warnings_csv)
        print(f"wrote {args.warnings_csv}")
    if args.open and not webbrowser.open(Path(html_path).resolve().as_uri()):
        log.warning("no web browser found to open %s", html_path)
    return 0
