"""Data and caches where each platform keeps them (platformdirs), shown by ``formcheck paths``."""

from __future__ import annotations

import sys
from pathlib import Path

import platformdirs
import pytest

from formcheck.cli import main
from formcheck.history.db import default_db_path
from formcheck.pose.models.manifest import user_cache_dir


def test_env_override_still_wins(monkeypatch, tmp_path):
    monkeypatch.setenv("FORMCHECK_DATA_DIR", str(tmp_path))
    assert default_db_path() == tmp_path / "history.sqlite3"


def test_history_and_model_cache_come_from_platformdirs(monkeypatch, tmp_path):
    monkeypatch.delenv("FORMCHECK_DATA_DIR", raising=False)
    monkeypatch.setattr(platformdirs, "user_data_dir", lambda app, **kw: str(tmp_path / "D" / app))
    monkeypatch.setattr(platformdirs, "user_cache_dir", lambda app, **kw: str(tmp_path / "C" / app))
    assert default_db_path() == tmp_path / "D" / "formcheck" / "history.sqlite3"
    assert user_cache_dir() == tmp_path / "C" / "formcheck" / "models"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the Linux paths")
def test_linux_paths_are_the_ones_used_before(monkeypatch, tmp_path):
    monkeypatch.delenv("FORMCHECK_DATA_DIR", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert default_db_path() == tmp_path / "data" / "formcheck" / "history.sqlite3"
    assert user_cache_dir() == tmp_path / "cache" / "formcheck" / "models"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.delenv("XDG_CACHE_HOME")
    home = Path.home()
    assert default_db_path() == home / ".local" / "share" / "formcheck" / "history.sqlite3"
    assert user_cache_dir() == home / ".cache" / "formcheck" / "models"


def test_paths_command_and_version_show_them(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("FORMCHECK_DATA_DIR", str(tmp_path))
    assert main(["paths"]) == 0
    out = capsys.readouterr().out
    assert f"history database: {tmp_path / 'history.sqlite3'} (from $FORMCHECK_DATA_DIR)" in out
    assert "pose models: " in out
    with pytest.raises(SystemExit) as err:
        main(["--version"])
    assert err.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("formcheck ")
    assert "history database: " in out
