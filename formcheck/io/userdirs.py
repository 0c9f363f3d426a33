"""Where formcheck keeps a user's files on each platform (platformdirs).

=========  ==========================================  ============================================
platform   data (the history database)                 cache (downloaded pose models)
=========  ==========================================  ============================================
Linux      ``$XDG_DATA_HOME/formcheck``                ``$XDG_CACHE_HOME/formcheck``
           (``~/.local/share/formcheck``)              (``~/.cache/formcheck``)
macOS      ``~/Library/Application Support/formcheck``  ``~/Library/Caches/formcheck``
Windows    ``%LOCALAPPDATA%\\formcheck``                ``%LOCALAPPDATA%\\formcheck\\Cache``
=========  ==========================================  ============================================

On Linux these are the folders formcheck used before platformdirs. The environment variables of
the callers (``FORMCHECK_DATA_DIR``, ``FORMCHECK_MODEL_DIR``) still override them.
"""

from __future__ import annotations

from pathlib import Path

APP = "formcheck"


def user_data_dir() -> Path:
    """The per-user data folder of formcheck (it may not exist yet)."""
    import platformdirs

    return Path(platformdirs.user_data_dir(APP, appauthor=False))


def user_cache_dir() -> Path:
    """The per-user cache folder of formcheck (it may not exist yet)."""
    import platformdirs

    return Path(platformdirs.user_cache_dir(APP, appauthor=False))
