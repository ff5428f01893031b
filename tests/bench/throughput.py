"""Throughput: requests per second and tail latency under concurrent clients.

For each kind of request and each number of clients, every server gets a
short closed-loop burst in turn, for several rounds; requests per second is
the median over the rounds, latency percentiles are over all their requests.
Before the run each recorder holds `SEEDED` traces, which `traces` lists and
`trace-detail` reads back by id; chat misses come last since they grow the
store.
"""

from __future__ import annotations

from typing import Any

import corpus
import stats
from client import Call, closed_loop
from latency import HIT_POOL
from servers import Server

SEEDED = 1_000
KINDS = ("traces", "trace-detail", "chat-hit", "chat-miss")


def measure(
    servers: dict[str, Server],
    levels: tuple[int, ...],
    rounds: int,
    seconds: float,
    run: str,
) -> dict[str, Any]:
    ids = _prepare(servers, run)
    results: dict[str, Any] = {"seeded_traces": SEEDED}
    for kind in KINDS:
        calls = _calls(kind, ids, run)
        results[kind] = {
            str(level): _level(servers, calls, level, rounds, seconds)
            for level in levels
        }
    return results


def _prepare(servers: dict[str, Server], run: str) -> list[str]:
    ids: list[str] = []
    for name, server in servers.items():
        connection = server.connect()
        if name != "bare":
            reply = connection.send(
                "POST", "/bench/seed", {"first": 0, "count": SEEDED}
            )
            ids = reply.json()["ids"]
        for number in range(HIT_POOL):
            body = {"message": corpus.unique_prompt(number, f"{run}-hit")}
            connection.send("POST", "/chat", body)
        connection.close()
    return ids


def _calls(kind: str, ids: list[str], run: str) -> Any:
    def call(number: int) -> Call:
        if kind == "traces":
            return ("GET", "/traces", None)
        if kind == "trace-detail":
            return ("GET", f"/trace-detail/{ids[number % len(ids)]}", None)
        if kind == "chat-hit":
            message = corpus.unique_prompt(number % HIT_POOL, f"{run}-hit")
        else:
            message = corpus.unique_prompt(number, f"{run}-miss")
        return ("POST", "/chat", {"message": message})

    return call


def _level(
    servers: dict[str, Server],
    calls: Any,
    clients: int,
    rounds: int,
    seconds: float,
) -> dict[str, Any]:
    rates: dict[str, list[float]] = {name: [] for name in servers}
    latencies: dict[str, list[float]] = {name: [] for name in servers}
    failures = dict.fromkeys(servers, 0)
    # Request numbers never repeat across bursts, so misses stay misses.
    first = 0
    names = list(servers)
    for round_number in range(rounds):
        shift = round_number % len(names)
        for name in names[shift:] + names[:shift]:
            result = closed_loop(
                servers[name].port,
                calls,
                clients=clients,
                seconds=seconds,
                first=first,
            )
            first += result.requests + clients
            rates[name].append(result.per_second)
            latencies[name].extend(result.latencies_ms)
            failures[name] += result.failures

    bare_rate = stats.median(rates["bare"]) or 0.0
    level: dict[str, Any] = {}
    for name in names:
        rate = stats.median(rates[name]) or 0.0
        level[name] = {
            "requests_per_s": round(rate, 1),
            "p50_ms": _ms(stats.percentile(latencies[name], 50)),
            "p99_ms": _ms(stats.percentile(latencies[name], 99)),
            "requests": len(latencies[name]),
            "failures": failures[name],
            "share_of_bare": round(rate / bare_rate, 3) if bare_rate else None,
        }
    return level


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value, 2)
