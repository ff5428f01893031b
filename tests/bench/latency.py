"""Recorder overhead: the latency of one chat call, recorded and bare.

One client sends one request at a time, taking turns between the servers
(the order rotates every round) so that both see the same machine load and
the same prompts. A miss is a corpus prompt made unique; a hit repeats one of
a small pool of prompts that every server answered once before the run.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import corpus
import stats
from servers import Server

HIT_POOL = 50
WARMUP = 20


def measure(servers: dict[str, Server], requests: int, run: str) -> dict[str, Any]:
    """Miss and hit latency per server, and what each adds over `bare`."""
    connections = {name: server.connect() for name, server in servers.items()}
    names = list(servers)
    for number in range(WARMUP):
        for name in names:
            connections[name].send("POST", "/chat", _body(f"{run}-warm", number))
    for number in range(HIT_POOL):
        for name in names:
            connections[name].send("POST", "/chat", _body(f"{run}-hit", number))

    results: dict[str, Any] = {}
    for case, prefix in (("miss", f"{run}-miss"), ("hit", f"{run}-hit")):
        samples: dict[str, list[float]] = {name: [] for name in names}
        cache: dict[str, Counter[str]] = {name: Counter() for name in names}
        for number in range(requests):
            shift = number % len(names)
            for name in names[shift:] + names[:shift]:
                index = number % HIT_POOL if case == "hit" else number
                reply = connections[name].send("POST", "/chat", _body(prefix, index))
                samples[name].append(reply.elapsed_ms)
                cache[name][reply.headers.get("X-Cache", "none")] += 1
        results[case] = _compare(samples, cache)
    for connection in connections.values():
        connection.close()
    return results


def _body(prefix: str, index: int) -> dict[str, str]:
    return {"message": corpus.unique_prompt(index, prefix)}


def _compare(
    samples: dict[str, list[float]], cache: dict[str, Counter[str]]
) -> dict[str, Any]:
    bare = stats.summary(samples["bare"])
    compared: dict[str, Any] = {}
    for name, values in samples.items():
        entry: dict[str, Any] = stats.summary(values)
        entry["x_cache"] = dict(cache[name])
        if name != "bare":
            entry["added_median_ms"] = round(entry["median_ms"] - bare["median_ms"], 3)
            entry["added_p95_ms"] = round(entry["p95_ms"] - bare["p95_ms"], 3)
        compared[name] = entry
    return compared
