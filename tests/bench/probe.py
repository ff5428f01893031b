"""What the benchmark reads from inside a served function: readiness and memory."""

from __future__ import annotations

import resource
from pathlib import Path
from typing import Any


def memory() -> dict[str, Any]:
    """This process's resident memory now and at its peak, in MB."""
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"rss_mb": _current_rss_kb() / 1024, "peak_rss_mb": peak_kb / 1024}


def _current_rss_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0
