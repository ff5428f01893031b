"""The local stack as `make run` starts it: real HTTP, data kept across restarts."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from flight_recorder import devserver
from recorder_testing import REPO


def free_port_block(size):
    """A first port with `size` consecutive free ports after it."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            first = probe.getsockname()[1]
        if first + size < 65535 and all(_free(first + i) for i in range(size)):
            return first
    raise RuntimeError("no block of free ports")


def _free(port):
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def start_stack(port, data_dir):
    environment = os.environ | {
        "PYTHONPATH": str(REPO / "functions"),
        "EMBEDDED_STORE_PATH": str(data_dir),
        "USE_MOCK_LLM": "true",
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "flight_recorder.devserver",
            "--port",
            str(port),
            "--no-dashboard",
        ],
        cwd=data_dir.parent,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            call(f"http://127.0.0.1:{port}/health")
            return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(process.stdout.read())


def call(url, body=None, key=None):
    data = None if body is None else json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    if key:
        headers["X-API-Key"] = key
    request = urllib.request.Request(url, data=data, headers=headers)
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, json.loads(response.read())


def stop(process):
    process.terminate()
    process.wait(timeout=10)


def test_devserver_serves_each_function_and_keeps_traces_across_restarts(tmp_path):
    port = free_port_block(len(devserver.FUNCTIONS) + 1)
    data_dir = tmp_path / "store"
    base = f"http://127.0.0.1:{port}"

    stack = start_stack(port, data_dir)
    key = (tmp_path / "api-key").read_text().strip()
    try:
        chat_url = f"http://127.0.0.1:{port + 1}/"
        status, reply = call(chat_url, {"message": "persist me"}, key)
        assert status == 200
        with pytest.raises(urllib.error.HTTPError) as refused:
            call(chat_url, {"message": "no key"})
        assert refused.value.code == 401
    finally:
        stop(stack)

    stack = start_stack(port, data_dir)
    try:
        status, page = call(f"http://127.0.0.1:{port + 2}/?limit=5", key=key)
        detail_status, trace = call(f"{base}/trace-detail/{reply['trace_id']}", key=key)
        health_status, health = call(f"{base}/health")
    finally:
        stop(stack)

    assert [item["id"] for item in page["items"]] == [reply["trace_id"]]
    assert detail_status == 200
    assert trace["request"]["message"]["text"] == "persist me"
    assert health_status == 200
    assert health["store"]["kind"] == "embedded"
    assert health["store"]["reachable"] is True
    assert health["auth"] == "api_key"
