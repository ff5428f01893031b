"""A bounded load test: concurrent clients against gunicorn for a fixed time.

Chat (real prompts, some repeated so the cache serves them), traces pages and
trace-detail reads are mixed. Afterwards: no answer other than 200 and the
designed 429s, every chat answer has exactly one stored trace and no trace is
unaccounted for, and the server's memory did not keep growing.
"""

from __future__ import annotations

import collections
import concurrent.futures
import csv
import http.client
import json
import os
import random
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from flight_recorder import store, traces
from recorder_testing import PROMPTS_CSV, REPO

CLIENTS = 16
SECONDS = 12
KEY = "load-test-key-0123456789"


def prompts() -> list[str]:
    if not PROMPTS_CSV.exists():
        pytest.skip(f"the shared prompt corpus is missing: {PROMPTS_CSV}")
    csv.field_size_limit(10_000_000)
    with PROMPTS_CSV.open(newline="", encoding="utf-8") as handle:
        rows = [row["prompt"] for row in csv.DictReader(handle)]
    return [prompt for prompt in rows if prompt.strip() and len(prompt) <= 20_000]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def rss_kib(pid: int) -> int:
    """Resident memory of the gunicorn worker (the child doing the work)."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    worker = int(children[0]) if children else pid
    for line in Path(f"/proc/{worker}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


class Client:
    """One keep-alive connection, as a load generator's client would hold."""

    def __init__(self, port: int) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def call(self, method: str, path: str, body: dict | None = None):
        headers = {"X-API-Key": KEY}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        self.connection.request(method, path, body=data, headers=headers)
        response = self.connection.getresponse()
        return response.status, json.loads(response.read())


@pytest.fixture
def server(tmp_path):
    port = free_port()
    environment = os.environ | {
        "PYTHONPATH": f"{REPO / 'functions'}:{REPO / 'tests' / 'load'}",
        "EMBEDDED_STORE_PATH": str(tmp_path / "store"),
        "API_KEYS": KEY,
        "USE_MOCK_LLM": "true",
        "MAX_RPM": "300",
        "MAX_RPD": "1000000",
        "LOG_LEVEL": "WARNING",
        "WORKERS": "1",
        "THREADS": "8",
    }
    process = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("functions-framework")),
            "--source",
            str(REPO / "tests" / "load" / "app.py"),
            "--target",
            "gateway",
            "--port",
            str(port),
        ],
        env=environment,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            Client(port).call("GET", "/health/")
            break
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                raise RuntimeError("the server did not start") from None
            time.sleep(0.2)
    yield port, process.pid, tmp_path / "store"
    process.terminate()
    process.wait(timeout=15)


class Traffic:
    """Clients mixing chat, traces and trace-detail until a deadline."""

    def __init__(self, port: int, corpus: list[str], stop_at: float) -> None:
        self.port = port
        self.corpus = corpus
        self.stop_at = stop_at
        self.chat_answers: dict[int, list] = collections.defaultdict(list)
        self.other_answers: collections.Counter = collections.Counter()
        self.seen_ids: list[str] = []
        self.lock = threading.Lock()

    def client(self, worker: int) -> None:
        rng = random.Random(worker)
        client = Client(self.port)
        while time.monotonic() < self.stop_at:
            roll = rng.random()
            if roll < 0.6:
                self._chat(client, rng, roll)
            elif roll < 0.8 or not self.seen_ids:
                status, _ = client.call("GET", "/traces/?limit=50")
                with self.lock:
                    self.other_answers[("traces", status)] += 1
            else:
                with self.lock:
                    trace_id = rng.choice(self.seen_ids)
                status, _ = client.call("GET", f"/trace-detail/{trace_id}")
                with self.lock:
                    self.other_answers[("trace-detail", status)] += 1

    def _chat(self, client: Client, rng: random.Random, roll: float) -> None:
        # A small pool of prompts, so repeats come back from the cache.
        pool = 200 if roll < 0.3 else len(self.corpus)
        prompt = self.corpus[rng.randrange(0, pool)]
        status, body = client.call("POST", "/chat/", {"message": prompt})
        with self.lock:
            self.chat_answers[status].append(body)
            if status == 200:
                self.seen_ids.append(body["trace_id"])


def stored_traces(store_path: Path) -> tuple[list[str], int]:
    """The ids of every stored trace, and how many were rate-limited."""
    stored = store.open_embedded(str(store_path), "flight_recorder")
    try:
        ids = stored.run(
            lambda db: [doc["_id"] for doc in db[store.TRACES].find({}, {"_id": 1})]
        )
        rejected = stored.run(
            lambda db: db[store.TRACES].count_documents({"status": "rate_limited"})
        )
    finally:
        stored.close()
    return ids, rejected


def test_load_mixed_traffic_loses_nothing(server):
    port, pid, store_path = server
    traffic = Traffic(port, prompts(), time.monotonic() + SECONDS)
    memory = [rss_kib(pid)]

    def sample_memory() -> None:
        while time.monotonic() < traffic.stop_at:
            time.sleep(1)
            memory.append(rss_kib(pid))

    sampler = threading.Thread(target=sample_memory)
    sampler.start()
    with concurrent.futures.ThreadPoolExecutor(CLIENTS) as pool:
        list(pool.map(traffic.client, range(CLIENTS)))
    sampler.join()
    chat_answers, other_answers = traffic.chat_answers, traffic.other_answers

    statuses = set(chat_answers) | {status for _, status in other_answers}
    assert statuses <= {200, 429}, statuses
    assert all(status == 200 for _, status in other_answers)
    answered = chat_answers[200] + chat_answers[429]
    answered_ids = [
        body.get("trace_id") or body["error"]["trace_id"] for body in answered
    ]
    assert len(answered_ids) == len(set(answered_ids))
    assert all(body["trace_stored"] for body in chat_answers[200])

    stored_ids, rejected = stored_traces(store_path)

    assert sorted(stored_ids) == sorted(answered_ids)
    assert rejected == len(chat_answers[429])
    assert chat_answers[429], "the per-minute limit should have been reached"
    assert all(traces.TRACE_ID.fullmatch(trace_id) for trace_id in stored_ids)
    # Steady memory: the second half of the run grows by less than a tenth.
    middle = memory[len(memory) // 2]
    assert memory[-1] < middle * 1.10, memory
    print(
        f"\nload: {len(answered)} chat ({len(chat_answers[429])} limited), "
        f"{sum(other_answers.values())} reads in {SECONDS}s with {CLIENTS} clients; "
        f"worker RSS {memory[0] // 1024}->{memory[-1] // 1024} MiB"
    )
