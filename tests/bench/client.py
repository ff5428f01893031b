"""A keep-alive HTTP client and a closed-loop load generator over loopback."""

from __future__ import annotations

import http.client
import itertools
import json
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

HOST = "127.0.0.1"
JSON = {"Content-Type": "application/json"}

# What one request is: method, path and an optional JSON body.
Call = tuple[str, str, Any]


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes
    elapsed_ms: float

    def json(self) -> Any:
        return json.loads(self.body)


class Connection:
    """One persistent connection to a local server.

    The server closes idle connections after a few seconds; the next request
    then reconnects once, and only the retried attempt is timed.
    """

    def __init__(self, port: int, timeout: float = 120.0) -> None:
        self.port = port
        self.timeout = timeout
        self._conn = http.client.HTTPConnection(HOST, port, timeout=timeout)

    def send(self, method: str, path: str, body: Any = None) -> Reply:
        payload = None if body is None else json.dumps(body).encode("utf-8")
        headers = JSON if payload is not None else {}
        try:
            return self._send(method, path, payload, headers)
        except (http.client.RemoteDisconnected, ConnectionError):
            self._conn.close()
            self._conn = http.client.HTTPConnection(
                HOST, self.port, timeout=self.timeout
            )
            return self._send(method, path, payload, headers)

    def close(self) -> None:
        self._conn.close()

    def _send(
        self, method: str, path: str, payload: bytes | None, headers: dict[str, str]
    ) -> Reply:
        started = time.perf_counter()
        self._conn.request(method, path, body=payload, headers=headers)
        response = self._conn.getresponse()
        data = response.read()
        elapsed = (time.perf_counter() - started) * 1000.0
        return Reply(response.status, dict(response.getheaders()), data, elapsed)


@dataclass
class LoadResult:
    """What a closed-loop run achieved; latencies in milliseconds."""

    clients: int
    seconds: float
    latencies_ms: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)

    @property
    def requests(self) -> int:
        return len(self.latencies_ms)

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def failures(self) -> int:
        return sum(n for status, n in self.statuses.items() if status >= 400)


def closed_loop(
    port: int,
    calls: Callable[[int], Call],
    *,
    clients: int,
    seconds: float,
    first: int = 0,
) -> LoadResult:
    """`clients` threads each send request after request for `seconds`.

    Request numbers are drawn from one shared counter starting at `first`, and
    `calls(n)` says what request number `n` is (so each can be unique).
    """
    numbers = itertools.count(first)
    start = threading.Barrier(clients + 1)
    result = LoadResult(clients=clients, seconds=0.0)
    lock = threading.Lock()

    def client() -> None:
        connection = Connection(port)
        latencies: list[float] = []
        statuses: Counter[int] = Counter()
        start.wait()
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            method, path, body = calls(next(numbers))
            reply = connection.send(method, path, body)
            latencies.append(reply.elapsed_ms)
            statuses[reply.status] += 1
        connection.close()
        with lock:
            result.latencies_ms.extend(latencies)
            result.statuses.update(statuses)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    result.seconds = time.perf_counter() - began
    return result
