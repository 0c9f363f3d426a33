from formcheck.cli import entry

raise SystemExit(entry())
