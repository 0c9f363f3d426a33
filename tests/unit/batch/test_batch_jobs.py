"""formcheck batch without a cluster: names, jobs, atomic report files, the progress line.

The cluster itself (a real scheduler and workers) is tested in tests/e2e/test_batch.py.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from formcheck.batch.jobs import (
    make_jobs,
    output_names,
    read_input,
    remove_stale_temps,
    report_paths,
    unique_inputs,
    write_report_files,
)
from formcheck.config import Settings
from tests.fixtures_reports import make_report

pytest.importorskip("distributed", reason="the batch extra (Dask distributed) is not installed")


def test_names_are_stems_and_collisions_get_a_hash_of_the_path():
    names = output_names(["a/clip.mp4", "b/clip.mp4", "c/other.mov"])
    assert names[2] == "other"
    assert names[0].startswith("clip-") and names[1].startswith("clip-")
    assert names[0] != names[1]
    # the name depends on the input alone, not on its position or the other inputs
    assert output_names(["x/y.mp4", "b/clip.mp4", "a/clip.mp4"])[1] == names[1]


def test_the_same_file_named_twice_is_one_job(tmp_path):
    f = tmp_path / "v.mp4"
    f.write_bytes(b"")
    assert unique_inputs([str(f), str(tmp_path / "." / "v.mp4"), str(f)]) == [str(f)]
    jobs = make_jobs([str(f), str(f)], tmp_path / "out", Settings())
    assert len(jobs) == 1
    assert os.path.isabs(jobs[0].input_path) and os.path.isabs(jobs[0].out_dir)
    assert jobs[0].paths()["json"] == tmp_path / "out" / "v.json"


def test_report_paths_follow_the_options(tmp_path):
    assert set(report_paths(tmp_path, "r", html=False, csv=False)) == {"json"}
    assert set(report_paths(tmp_path, "r", html=True, csv=True)) == {"json", "html", "csv"}


def test_report_files_are_written_whole_with_the_json_last(tmp_path):
    paths = report_paths(tmp_path / "out", "r", html=True, csv=True)
    written = write_report_files(make_report(), paths)
    assert written[-1] == str(paths["json"])
    assert json.loads(paths["json"].read_text())["schema_version"] == 1
    assert paths["html"].read_text().lstrip().lower().startswith("<!doctype html")
    assert not list((tmp_path / "out").glob(".*.tmp"))


def test_stale_temporary_files_of_a_killed_writer_are_removed(tmp_path):
    jobs = make_jobs([str(tmp_path / "v.mp4")], tmp_path / "out", Settings())
    out = tmp_path / "out"
    out.mkdir()
    (out / ".v.json.abc123.tmp").write_text("{")
    (out / ".v.html.def456.tmp").write_text("<")
    (out / ".other.json.x.tmp").write_text("{")  # not this batch's: left alone
    assert remove_stale_temps(jobs) == 2
    assert [p.name for p in out.iterdir()] == [".other.json.x.tmp"]


def test_a_bad_file_is_a_result_with_its_error_not_an_exception(tmp_path):
    from formcheck.batch.task import process_file

    bad = tmp_path / "broken.mp4"
    bad.write_bytes(b"not a video" * 50)
    (job,) = make_jobs([str(bad)], tmp_path / "out", Settings())
    res = process_file(job)
    assert not res.ok and res.report is None
    assert "broken.mp4" in (res.error or "")
    assert not (tmp_path / "out" / "broken.json").exists()


def test_batch_options_are_checked_before_any_cluster_starts(tmp_path):
    from formcheck.cli import main

    v = tmp_path / "v.mp4"
    v.write_bytes(b"")
    assert main(["batch", str(v), "--workers", "0", "--no-history"]) == 2
    assert main(["batch", str(v), "--retries", "-1", "--no-history"]) == 2
    assert main(["batch", str(v), "--scheduler", "tcp://h:1", "--workers", "2"]) == 2


def test_help_lists_batch(capsys):
    from formcheck.cli import main

    with pytest.raises(SystemExit):
        main(["--help"])
    assert "batch" in capsys.readouterr().out


def test_no_inputs_make_no_jobs(tmp_path: Path):
    assert make_jobs([], tmp_path, Settings()) == []


def test_without_dask_the_command_says_how_to_install_it(tmp_path, monkeypatch, capsys):
    import sys

    import formcheck.batch
    from formcheck.cli import main

    monkeypatch.setitem(sys.modules, "formcheck.batch.runner", None)  # import fails
    monkeypatch.delattr(formcheck.batch, "runner", raising=False)
    v = tmp_path / "v.mp4"
    v.write_bytes(b"")
    assert main(["batch", str(v), "--no-history", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "pip install 'formcheck[batch]'" in err and err.count("\n") == 1


def test_an_unreachable_scheduler_is_a_one_line_error():
    from formcheck.batch.runner import open_client
    from formcheck.errors import ConfigError

    with (
        pytest.raises(ConfigError, match="cannot reach the Dask scheduler at tcp://127.0.0.1:9"),
        open_client(scheduler="tcp://127.0.0.1:9", timeout_s=1.0),
    ):
        pass  # pragma: no cover


def test_a_sent_file_is_analysed_from_its_bytes_and_named_by_the_clients_path(tmp_path):
    from formcheck.batch.task import process_file

    bad = tmp_path / "in" / "clip.mp4"
    bad.parent.mkdir()
    bad.write_bytes(b"not a video at all")
    (job,) = make_jobs([str(bad)], tmp_path / "out", Settings(), send=True)
    data = read_input(job)
    bad.unlink()  # the worker must not need the client's file
    res = process_file(job, data)
    assert not res.ok and res.error and "cannot open clip.mp4" in res.error
    assert "formcheck-batch-" not in res.error


def test_an_input_that_cannot_be_sent_is_a_one_line_error(tmp_path, monkeypatch):
    from formcheck.batch import jobs as jobs_mod
    from formcheck.errors import InputError

    big = tmp_path / "big.mp4"
    big.write_bytes(b"x" * 2048)
    (job,) = make_jobs([str(big)], tmp_path / "out", Settings(), send=True)
    monkeypatch.setattr(jobs_mod, "MAX_SEND_BYTES", 1024)
    with pytest.raises(InputError, match="too large to send to the workers"):
        read_input(job)
    (gone,) = make_jobs([str(tmp_path / "gone.mp4")], tmp_path / "out", Settings(), send=True)
    with pytest.raises(InputError, match="cannot read it to send"):
        read_input(gone)
