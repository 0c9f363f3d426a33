"""``formcheck report REPORT.json [--html OUT.html] [--csv OUT.csv] [--open]``

Builds the self-contained HTML page (default: next to the JSON, same name, ``.html``) and,
with ``--csv``, the per-frame CSV from a saved JSON report.
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
    parser.add_argument("--title", default=None, help="page title (default from the source name)")
    parser.add_argument("--open", action="store_true", help="open the page in the web browser")
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    from formcheck.report.csvfile import write_frames_csv
    from formcheck.report.page import write_html_report
    from formcheck.report.schema import load_report

    report = load_report(args.report)
    html_path = args.html or args.report.with_suffix(".html")
    write_html_report(report, html_path, title=args.title)
    print(f"wrote {html_path}")
    if args.csv is not None:
        write_frames_csv(report, args.csv)
        print(f"wrote {args.csv}")
    if args.open and not webbrowser.open(Path(html_path).resolve().as_uri()):
        log.warning("no web browser found to open %s", html_path)
    return 0
