"""The driver's arguments and report, without a cluster."""

import json
import os

import pytest

from videoseg_ray.cli import USAGE_ERROR, parse
from videoseg_ray.plan import is_url
from videoseg_ray.report import write_report


def test_segment_options_pass_through_with_threads_from_the_cpus():
    arguments = parse(["a.mp4", "--output-dir", "out", "--cpus-per-task", "2", "--", "--model", "m.pt"])
    assert arguments.options == ["--model", "m.pt", "--threads", "2"]
    assert parse(["a.mp4", "--output-dir", "o", "--", "--threads", "3"]).options == ["--threads", "3"]
    # One person kept in every video, as batch keeps them.
    assert parse(["a.mp4", "--output-dir", "o", "--", "--subject", "largest", "--subject-lost", "repick"]).options == [
        "--subject", "largest", "--subject-lost", "repick", "--threads", "1"]


@pytest.mark.parametrize("option", ["--shard", "--report=r", "--jobs", "--output-dir", "--list", "-o"])
def test_options_the_driver_sets_are_refused(option, capsys):
    with pytest.raises(SystemExit) as stop:
        parse(["a.mp4", "--output-dir", "out", "--", option, "x"])
    assert stop.value.code == USAGE_ERROR
    assert "set by videoseg-ray" in capsys.readouterr().err


def test_no_inputs_is_bad_usage():
    with pytest.raises(SystemExit) as stop:
        parse(["--output-dir", "out"])
    assert stop.value.code == USAGE_ERROR


def test_urls_are_told_from_paths_as_batch_does():
    assert is_url("rtsp://cam/live") and is_url("file:a.mp4")
    assert not is_url("/data/a:b.mp4") and not is_url(":x") and not is_url("a.mp4")


def test_the_report_is_batchs_format_in_input_order(tmp_path):
    path = tmp_path / "batch-report.jsonl"
    outcomes = [{"input": "a/é.mp4", "status": "done", "frames": 3}, None, {"status": "failed", "input": "b"}]
    write_report(str(path), outcomes)
    assert path.read_text(encoding="utf-8") == '{"frames":3,"input":"a/é.mp4","status":"done"}\n{"input":"b","status":"failed"}\n'
    assert os.listdir(tmp_path) == ["batch-report.jsonl"]
    assert [json.loads(line)["input"] for line in path.read_text(encoding="utf-8").splitlines()] == ["a/é.mp4", "b"]
