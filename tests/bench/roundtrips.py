"""Store round trips per chat call, counted by the store itself.

The served recorder reports its store's `round_trips` counter; a call's cost
is the counter's change across it. A recorder whose daily limit is one call
gives the rate-limited case: its first call spends the day, the next ones are
refused. One untimed request first lets each recorder create its indexes.
"""

from __future__ import annotations

from typing import Any

import corpus
from client import Connection
from servers import Server

REPEATS = 5


def measure(
    recorders: dict[str, Server], limited: dict[str, Server], run: str
) -> dict[str, Any]:
    """Round trips of a miss, a hit and a rate-limited call, per store."""
    results: dict[str, Any] = {}
    for store, server in recorders.items():
        connection = server.connect()
        connection.send("GET", "/traces")
        misses = [
            _counted(connection, f"{run}-rt-{store}", n)[0] for n in range(REPEATS)
        ]
        hits = [_counted(connection, f"{run}-rt-{store}", n)[0] for n in range(REPEATS)]
        connection.close()
        results[store] = {"miss": misses, "hit": hits}

    for store, server in limited.items():
        connection = server.connect()
        connection.send("GET", "/traces")
        _counted(connection, f"{run}-rl-{store}", 0)
        refused = []
        for number in range(1, REPEATS + 1):
            trips, status = _counted(connection, f"{run}-rl-{store}", number)
            if status == 429:
                refused.append(trips)
        connection.close()
        results[store]["rate_limited"] = refused
    return results


def _counted(connection: Connection, prefix: str, number: int) -> tuple[int, int]:
    before = connection.send("GET", "/bench/stats").json()["round_trips"]
    body = {"message": corpus.unique_prompt(number, prefix)}
    status = connection.send("POST", "/chat", body).status
    after = connection.send("GET", "/bench/stats").json()["round_trips"]
    return after - before, status
