"""``formcheck models [show|fetch|verify] [NAME]``: list, provision and check the pose models.

- ``show`` (the default): one row per model: name, status (ready / missing / corrupt), size,
  sha256 prefix, origin and path.
- ``fetch [NAME] [--force] [--source auto|official|offline]``: provision a model (default
  ``full``): Google's official download, else the offline build.
- ``verify [NAME|PATH]``: check the file (zip members, sha256) and load it in MediaPipe; without
  a name, every model that is present. Exit code 2 when one is corrupt.
"""

from __future__ import annotations

import argparse
import sys


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``models`` subcommand to ``subparsers`` and return its parser."""
    parser = subparsers.add_parser(
        "models",
        help="list, fetch or verify the pose models",
        description="List, provision (download or build offline) and verify the pose models.",
    )
    actions = parser.add_subparsers(dest="models_action", metavar="ACTION")
    actions.add_parser("show", help="list the models and their status (default)")
    fetch = actions.add_parser("fetch", help="download or build a model")
    fetch.add_argument(
        "name", nargs="?", default="full", choices=("lite", "full", "heavy"), help="default: full"
    )
    fetch.add_argument("--force", action="store_true", help="replace a model that is present")
    fetch.add_argument(
        "--source",
        choices=("auto", "official", "offline"),
        default="auto",
        help="auto (default): official download, else the offline build",
    )
    verify = actions.add_parser("verify", help="check a model's file and load it")
    verify.add_argument(
        "name", nargs="?", default=None, metavar="NAME|PATH", help="default: every model present"
    )
    verify.add_argument(
        "--no-load", action="store_true", help="check the file only; do not load it in MediaPipe"
    )
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Run ``formcheck models``; return the exit code."""
    action = getattr(args, "models_action", None) or "show"
    if action == "fetch":
        return _fetch(args)
    if action == "verify":
        return _verify(args)
    return _show()


def _show() -> int:
    from formcheck.pose import models

    rows = models.model_status()
    table = [("NAME", "STATUS", "SIZE", "SHA256", "ORIGIN", "PATH")]
    for row in rows:
        table.append(
            (
                row["name"],
                row["status"],
                models.format_size(row["size"]),
                (row["sha256"] or "-")[:12],
                row["origin"],
                row["path"],
            )
        )
    widths = [max(len(line[col]) for line in table) for col in range(len(table[0]) - 1)]
    for line in table:
        cells = [cell.ljust(width) for cell, width in zip(line, widths, strict=False)]
        print("  ".join([*cells, line[-1]]))
    print(f"model folder: {models.model_dir()}")
    for row in rows:
        if row["status"] == "corrupt":
            print(f"{row['name']}: {row['message']}", file=sys.stderr)
    return 0


def _fetch(args: argparse.Namespace) -> int:
    from formcheck.pose import models

    path = models.fetch_model(args.name, force=args.force, source=args.source)
    info = models.verify_model(args.name)
    print(f"{args.name}: ready  {path}  sha256 {info['sha256'][:12]}  ({info['origin']})")
    return 0


def _verify(args: argparse.Namespace) -> int:
    from formcheck.errors import ModelError
    from formcheck.pose import models

    if args.name is not None:
        specs = [args.name]
    else:
        specs = [name for name in models.MODEL_NAMES if models.model_path(name).exists()]
        if not specs:
            raise ModelError(
                f"no pose model is provisioned in {models.model_dir()}: "
                "run `formcheck models fetch full`"
            )
    failures = []
    for spec in specs:
        try:
            info = models.verify_model(spec, load=not args.no_load)
        except ModelError as err:
            if len(specs) == 1:
                raise
            failures.append(str(err))
            print(f"{spec}: corrupt", file=sys.stderr)
            continue
        how = f"matches the {info['matched']} sha256" if info["matched"] else "valid bundle"
        loaded = "" if args.no_load else ", loads in MediaPipe"
        print(f"{spec}: ok  {info['path']}  sha256 {info['sha256'][:12]} ({how}{loaded})")
    for message in failures:
        print(f"formcheck: error: {message}", file=sys.stderr)
    return 2 if failures else 0
