"""Scaling: reads at 1,000, 10,000 and 100,000 traces, and the process's memory.

The recorders are filled straight through the store (`/bench/seed`), in
chunks, up to each size in turn. At each size every query is timed several
times, the recorders taking turns; the peak resident memory of the function
process is read after its queries. A query slower than `SLOW_SECONDS` is not
repeated at that size, and a recorder that does not answer within
`TIMEOUT_SECONDS` is dropped from the larger sizes (the answer says so).
"""

from __future__ import annotations

import time
from typing import Any

import stats
from client import Connection
from servers import Server

CHUNK = 5_000
SLOW_SECONDS = 20.0
TIMEOUT_SECONDS = 300.0
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
    connections = {
        name: Connection(server.port, timeout=TIMEOUT_SECONDS)
        for name, server in recorders.items()
    }
    filled = 0
    results: dict[str, Any] = {}
    for size in sizes:
        seeded = {name: _fill(c, filled, size) for name, c in connections.items()}
        filled = size
        samples, problems = _time_queries(connections, repeats)
        results[str(size)] = {
            name: _entry(connection, samples[name], problems[name], seeded[name])
            for name, connection in connections.items()
        }
        for name, found in problems.items():
            if "timeout" in found.values():
                connections.pop(name).close()
        if not connections:
            break
    for connection in connections.values():
        connection.close()
    return results


def _time_queries(
    connections: dict[str, Connection], repeats: int
) -> tuple[dict[str, dict[str, list[float]]], dict[str, dict[str, Any]]]:
    """Milliseconds of each answered query, and what went wrong otherwise."""
    samples: dict[str, dict[str, list[float]]] = {
        name: {query: [] for query in QUERIES} for name in connections
    }
    problems: dict[str, dict[str, Any]] = {name: {} for name in connections}
    for _ in range(repeats):
        for query, path in QUERIES.items():
            for name, connection in connections.items():
                if query in problems[name] or "timeout" in problems[name].values():
                    continue
                try:
                    reply = connection.send("GET", path)
                except TimeoutError:
                    problems[name][query] = "timeout"
                    continue
                if reply.status != 200:
                    problems[name][query] = reply.status
                    continue
                samples[name][query].append(reply.elapsed_ms)
                if reply.elapsed_ms > SLOW_SECONDS * 1000:
                    problems[name][query] = "slow: not repeated"
    return samples, problems


def _fill(connection: Connection, start: int, size: int) -> float:
    """Insert traces `start` to `size - 1`; returns the seconds it took."""
    began = time.perf_counter()
    for first in range(start, size, CHUNK):
        count = min(CHUNK, size - first)
        reply = connection.send("POST", "/bench/seed", {"first": first, "count": count})
        if reply.status != 200:
            raise RuntimeError(f"seeding failed: {reply.status} {reply.body[:200]!r}")
    return time.perf_counter() - began


def _entry(
    connection: Connection,
    samples: dict[str, list[float]],
    problems: dict[str, Any],
    seed_seconds: float,
) -> dict[str, Any]:
    """Median milliseconds per query (None where it did not answer 200)."""
    entry: dict[str, Any] = {
        query: _ms(stats.median(values)) for query, values in samples.items()
    }
    entry["samples"] = {query: len(values) for query, values in samples.items()}
    entry["problems"] = problems
    entry["seed_seconds"] = round(seed_seconds, 1)
    entry["peak_rss_mb"] = None
    if "timeout" not in problems.values():
        memory = connection.send("GET", "/bench/stats").json()
        entry["peak_rss_mb"] = round(memory["peak_rss_mb"], 1)
    return entry


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value, 1)
