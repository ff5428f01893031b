"""Scaling: reads at 1,000, 10,000 and 100,000 traces, and the process's memory.

The recorders are filled straight through the store (`/bench/seed`), in
chunks, up to each size in turn. At each size every query is timed several
times, the recorders taking turns; the peak resident memory of the function
process is read after its queries.
"""

from __future__ import annotations

import time
from typing import Any

import stats
from servers import Server

CHUNK = 5_000
# `seeding` gives this status to 2 traces in 100: a selective filter.
FILTER_STATUS = "error"
QUERIES = {
    "traces_first_page": "/traces?limit=50",
    "traces_filtered_page": f"/traces?limit=50&status={FILTER_STATUS}",
    "metrics_24h": "/metrics",
}


def measure(
    recorders: dict[str, Server], sizes: tuple[int, ...], repeats: int
) -> dict[str, Any]:
    connections = {name: server.connect() for name, server in recorders.items()}
    filled = 0
    results: dict[str, Any] = {}
    for size in sizes:
        seeded = {name: _fill(c, filled, size) for name, c in connections.items()}
        filled = size
        samples: dict[str, dict[str, list[float]]] = {
            name: {query: [] for query in QUERIES} for name in connections
        }
        refused: dict[str, dict[str, int]] = {name: {} for name in connections}
        for _ in range(repeats):
            for query, path in QUERIES.items():
                for name, connection in connections.items():
                    reply = connection.send("GET", path)
                    if reply.status == 200:
                        samples[name][query].append(reply.elapsed_ms)
                    else:
                        refused[name][query] = reply.status
        results[str(size)] = {
            name: _entry(connection, samples[name], refused[name], seeded[name])
            for name, connection in connections.items()
        }
    for connection in connections.values():
        connection.close()
    return results


def _fill(connection: Any, start: int, size: int) -> float:
    """Insert traces `start` to `size - 1`; returns the seconds it took."""
    began = time.perf_counter()
    for first in range(start, size, CHUNK):
        count = min(CHUNK, size - first)
        reply = connection.send("POST", "/bench/seed", {"first": first, "count": count})
        if reply.status != 200:
            raise RuntimeError(f"seeding failed: {reply.status} {reply.body[:200]!r}")
    return time.perf_counter() - began


def _entry(
    connection: Any,
    samples: dict[str, list[float]],
    refused: dict[str, int],
    seed_seconds: float,
) -> dict[str, Any]:
    """Median milliseconds per query (None where it did not answer 200)."""
    memory = connection.send("GET", "/bench/stats").json()
    entry: dict[str, Any] = {
        query: _ms(stats.median(values)) for query, values in samples.items()
    }
    entry |= {
        "refused": refused,
        "peak_rss_mb": round(memory["peak_rss_mb"], 1),
        "seed_seconds": round(seed_seconds, 1),
    }
    return entry


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value, 1)
