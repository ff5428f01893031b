"""Order statistics of latency samples."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence


def percentile(samples: Sequence[float], p: float) -> float | None:
    """The nearest-rank `p`-th percentile, or None without samples."""
    if not samples:
        return None
    ordered = sorted(samples)
    rank = max(1, math.ceil(p * len(ordered) / 100))
    return ordered[rank - 1]


def median(samples: Sequence[float]) -> float | None:
    return statistics.median(samples) if samples else None


def summary(samples_ms: Sequence[float]) -> dict[str, float | int | None]:
    """Median, p95 and p99 in milliseconds, rounded to the microsecond."""
    return {
        "n": len(samples_ms),
        "median_ms": _round(median(samples_ms)),
        "p95_ms": _round(percentile(samples_ms, 95)),
        "p99_ms": _round(percentile(samples_ms, 99)),
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)
