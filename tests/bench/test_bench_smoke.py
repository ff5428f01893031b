"""The benchmark runs end to end with tiny counts and reports every section.

No figure is checked: timings on a shared machine say nothing about
correctness. The round-trip counts are exact, so they are checked.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent
SECTIONS = ("cold_start", "latency", "throughput", "round_trips", "scaling")


def test_bench_quick_run_writes_every_section(tmp_path: Path) -> None:
    if not (BENCH.parents[2] / "shared" / "data" / "prompts.csv").exists():
        pytest.skip("the shared prompt corpus is missing")
    output = tmp_path / "results.json"

    finished = subprocess.run(
        [sys.executable, str(BENCH / "run.py"), "--quick", "--output", str(output)],
        capture_output=True,
        text=True,
        timeout=600,
    )

    assert finished.returncode == 0, finished.stderr[-4000:]
    results = json.loads(output.read_text())
    for section in (*SECTIONS, "machine", "targets"):
        assert section in results
    assert results["latency"]["miss"]["memory"]["x_cache"] == {"MISS": 10}
    assert results["latency"]["hit"]["embedded"]["x_cache"] == {"HIT": 10}
    for kind in ("traces", "trace-detail", "chat-hit", "chat-miss"):
        assert set(results["throughput"][kind]["1"]) == {"bare", "memory", "embedded"}
    for store in ("memory", "embedded"):
        assert results["round_trips"][store]["miss"] == [4] * 5
        assert results["round_trips"][store]["hit"] == [2] * 5
        assert results["round_trips"][store]["rate_limited"]
    assert "| 5. traces |" in finished.stdout
