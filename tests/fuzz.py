"""Fuzz the functions served over real HTTP with schemathesis (`make fuzz`).

Starts the local stack on free ports with a fresh embedded store and a known
key, runs schemathesis from the OpenAPI document the gateway serves, then
stops the stack. Exits non-zero on any failure: a 5xx, or an answer the
document does not describe.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
KEY = "fuzz-key-" + os.urandom(8).hex()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_up(url: str, stack: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if stack.poll() is not None:
            raise SystemExit("the local stack exited before answering")
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"no answer from {url}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-examples", type=int, default=50)
    args = parser.parse_args()

    port = free_port()
    with tempfile.TemporaryDirectory() as data:
        environment = os.environ | {
            "PYTHONPATH": str(REPO / "functions"),
            "EMBEDDED_STORE_PATH": str(Path(data) / "store"),
            "API_KEYS": KEY,
            "USE_MOCK_LLM": "true",
            "LOG_LEVEL": "WARNING",
        }
        # Only the gateway is needed; functions take the ports after it.
        stack = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "flight_recorder.devserver",
                "--port",
                str(port),
                "--no-dashboard",
            ],
            env=environment,
            cwd=data,
            stdout=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_until_up(f"{base}/health", stack)
            return subprocess.call(
                [
                    str(Path(sys.executable).with_name("schemathesis")),
                    "run",
                    f"{base}/openapi.json",
                    f"--url={base}",
                    f"--max-examples={args.max_examples}",
                    "--checks=all",
                    # Valid-looking data may be refused for rules a schema cannot
                    # state (a cursor the API issued); refusals are still checked.
                    "--exclude-checks=positive_data_acceptance",
                    f"--header=X-API-Key: {KEY}",
                    "--workers=1",
                    "--no-color",
                ]
            )
        finally:
            stack.terminate()
            stack.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
