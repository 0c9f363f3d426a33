"""``formcheck paths``: where formcheck keeps this user's files on this platform.

The history database and the pose model folder, each with the environment variable that
overrides it; the same lines end ``formcheck --version``. Cheap: no model, no OpenCV.
"""

from __future__ import annotations

import argparse


def path_lines() -> list[str]:
    """``name: path (how it was chosen)`` for each folder or file formcheck uses by default."""
    import os

    from formcheck.history.db import default_db_path
    from formcheck.io.userdirs import user_cache_dir, user_data_dir
    from formcheck.pose.models.manifest import MODEL_DIR_ENV, checkout_model_dir, model_dir

    def why(env: str) -> str:
        return f"from ${env}" if os.environ.get(env) else f"set ${env} to move it"

    if os.environ.get(MODEL_DIR_ENV):
        models_why = f"from ${MODEL_DIR_ENV}"
    elif checkout_model_dir() is not None:
        models_why = f"this checkout's models/; set ${MODEL_DIR_ENV} to move it"
    else:
        models_why = f"set ${MODEL_DIR_ENV} to move it"
    return [
        f"history database: {default_db_path()} ({why('FORMCHECK_DATA_DIR')})",
        f"pose models: {model_dir()} ({models_why})",
        f"user data folder: {user_data_dir()}",
        f"user cache folder: {user_cache_dir()}",
    ]


def register(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "paths",
        help="show where formcheck keeps the history database and the pose models",
        description="Show where formcheck keeps this user's history database and pose models "
        "on this platform, and which environment variable moves each.",
    )
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    print("\n".join(path_lines()))
    return 0
