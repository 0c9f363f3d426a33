"""``-q/--quiet`` and ``-v/--verbose`` before or after the subcommand (issue 17)."""

from __future__ import annotations

import logging

import pytest

from formcheck.cli import build_parser, combine_verbosity, main


def _parse(*argv: str):
    args = build_parser().parse_args(list(argv))
    combine_verbosity(args)
    return args


@pytest.mark.parametrize(
    "argv",
    [
        ("-q", "stretches"),
        ("stretches", "-q"),
        ("--quiet", "analyze", "x.mp4"),
        ("analyze", "x.mp4", "--quiet"),
        ("history", "--quiet"),
    ],
)
def test_quiet_before_or_after_the_subcommand(argv):
    args = _parse(*argv)
    assert args.quiet is True
    assert args.verbose == 0


@pytest.mark.parametrize(
    ("argv", "level"),
    [
        (("-v", "stretches"), 1),
        (("stretches", "-v"), 1),
        (("-v", "stretches", "-v"), 2),
        (("stretches", "-vv"), 2),
        (("paths",), 0),
    ],
)
def test_verbose_counts_on_both_sides(argv, level):
    args = _parse(*argv)
    assert args.verbose == level
    assert args.quiet is False


def test_quiet_and_verbose_exclude_each_other(capsys):
    with pytest.raises(SystemExit) as err:
        main(["-q", "stretches", "-v"])
    assert err.value.code == 2
    assert "exclude each other" in capsys.readouterr().err


def test_quiet_logs_warnings_only_and_verbose_logs_info(monkeypatch, capsys):
    seen = {}

    def fake_basic_config(**kw):
        seen["level"] = kw["level"]

    monkeypatch.setattr(logging, "basicConfig", fake_basic_config)
    assert main(["stretches", "-q"]) == 0
    assert seen["level"] == logging.WARNING
    assert main(["stretches", "--verbose"]) == 0
    assert seen["level"] == logging.INFO
    capsys.readouterr()


def test_quiet_analyze_has_no_progress_bar():
    from formcheck.commands.progress import progress_enabled

    args = _parse("analyze", "x.mp4", "-q")
    assert progress_enabled(args, tty=True) is False
    args = _parse("analyze", "x.mp4")
    assert progress_enabled(args, tty=True) is True
    assert progress_enabled(args, tty=False) is False


def test_as_a_user_types_it():
    import subprocess
    import sys

    from tests.e2e.clirun import REPO, cli_env

    for argv in (["stretches", "-q"], ["-q", "stretches"], ["paths", "--verbose"]):
        r = subprocess.run([sys.executable, "-m", "formcheck", *argv], cwd=REPO, env=cli_env(),
                           capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
        assert r.returncode == 0, (argv, r.stderr)
        assert "Traceback" not in r.stderr


@pytest.mark.model
def test_quiet_live_prints_no_summary(tmp_path, capsys):
    """-q keeps the headless session's prompt lines but not the closing summary."""
    from tests.e2e.clirun import REPO

    sample = str(REPO / "samples" / "standing_fold_good.mp4")
    common = ["live", "--source", sample, "--no-window", "--mute", "--no-history", "--no-html",
              "--no-csv", "--duration", "1"]  # fmt: skip
    assert main([*common, "--out", str(tmp_path / "a")]) == 0
    loud = capsys.readouterr().out
    assert "report:" in loud
    assert main(["-q", *common, "--out", str(tmp_path / "b")]) == 0
    quiet = capsys.readouterr().out
    assert "report:" not in quiet and list((tmp_path / "b").glob("*.json"))
