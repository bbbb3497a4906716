"""The benchmark's quick mode runs end to end and its last line is the JSON the issue asks for (no timing thresholds)."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

REQUIRED_NUMBERS = [
    "respondents",
    "items",
    "aggregate_ms",
    "aggregate_full_read_ms",
    "aggregate_warm_ms",
    "pandas_ms",
    "speedup",
    "submit_p50_ms",
    "submit_p99_ms",
    "page_ms",
    "peak_rss_mb",
]
LOAD_KEYS = [
    "concurrent_sessions",
    "capacity_sessions",
    "reruns_per_s",
    "section_p50_ms",
    "section_p99_ms",
    "submit_rt_p99_ms",
    "server_rss_mb",
]


@pytest.fixture(scope="module")
def quick() -> dict:
    done = subprocess.run([sys.executable, "bench/run.py", "--quick"], cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    assert len(lines) > 1, "progress lines come before the JSON"
    return json.loads(lines[-1])


@pytest.mark.slow
def test_required_figures_are_present_and_sane(quick: dict) -> None:
    for key in REQUIRED_NUMBERS:
        value = quick[key]
        assert isinstance(value, int | float) and not isinstance(value, bool), key
        assert math.isfinite(value) and value >= 0, (key, value)
    assert quick["respondents"] == 2000 and quick["items"] == 30


@pytest.mark.slow
def test_engine_and_pandas_agree(quick: dict) -> None:
    assert quick["results_equal"] is True and quick["mismatches"] == 0


@pytest.mark.slow
def test_submissions_are_all_stored(quick: dict) -> None:
    assert quick["submit_errors"] == 0 and quick["submit_stored_ok"] is True
    assert quick["submit_p50_ms"] <= quick["submit_p99_ms"]


@pytest.mark.slow
def test_exports_report_every_format(quick: dict) -> None:
    assert {"csv", "parquet", "xlsx", "html", "pptx", "png"} <= set(quick["export_s"])
    for fmt in ("csv", "parquet"):
        assert quick["export_s"][fmt] > 0
    for fmt, seconds in quick["export_s"].items():
        assert seconds is None or seconds > 0, fmt
        if seconds is None:
            assert fmt in quick["export_missing"]


@pytest.mark.slow
def test_load_figures_are_null_with_a_reason_in_quick_mode(quick: dict) -> None:
    for key in LOAD_KEYS:
        assert key in quick and quick[key] is None, key
    assert quick["load_reason"]


@pytest.mark.slow
def test_targets_section_names_each_target(quick: dict) -> None:
    assert {"aggregate_100k_under_250ms", "speedup_at_least_3x", "page_under_300ms", "capacity_at_least_400"} <= set(quick["targets"])


def test_slow_moves_are_grouped_into_the_windows_where_they_happened() -> None:
    from bench.load import slow_windows

    slow = [(110.0, 1.5, "section"), (100.0, 2.0, "section"), (100.5, 1.2, "submit"), (101.8, 1.1, "section"), (130.0, 1.1, "submit")]
    windows = slow_windows(slow, start=90.0)
    assert windows[0] == {"from_s": 10.0, "until_s": 12.9, "moves": 3, "section": 2, "submit": 1}
    assert [w["moves"] for w in windows] == [3, 1, 1]
    assert slow_windows([], start=0.0) == []
