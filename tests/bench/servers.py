"""Functions served as deployed: functions-framework on gunicorn, one per port.

Every server gets its own working folder (so no `.env` is read and the
embedded store starts empty), one gunicorn worker with a fixed number of
threads, and rate limits too high to interfere unless a run sets them.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from client import Connection

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parents[1]
FUNCTIONS = REPO / "functions"
BARE = BENCH / "bare.py"
RECORDED = BENCH / "recorded.py"
THREADS = 8
START_TIMEOUT_SECONDS = 60.0
POLL_SECONDS = 0.01

# Settings the recorder reads; any the caller's shell exports are dropped.
SETTINGS_PREFIXES = (
    "API_ENV",
    "LOG_LEVEL",
    "USE_MOCK_LLM",
    "GOOGLE_",
    "GEMINI_",
    "MODEL_PRICES",
    "MONGODB_",
    "EMBEDDED_STORE_PATH",
    "MAX_",
    "RATE_LIMIT_",
    "STORE_FAILURE_POLICY",
    "CACHE_",
    "TRACE_TEXT_LIMIT_CHARS",
    "WORKERS",
    "THREADS",
)
SERVED_ENVIRONMENT = {
    "API_ENV": "test",
    "LOG_LEVEL": "INFO",
    "USE_MOCK_LLM": "true",
    "MAX_RPM": "1000000000",
    "MAX_RPD": "1000000000",
    "WORKERS": "1",
    "THREADS": str(THREADS),
}


def clean_environment(**extra: str) -> dict[str, str]:
    """This process's environment without recorder settings, plus `extra`."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(SETTINGS_PREFIXES)
    }
    env["PYTHONPATH"] = os.pathsep.join([str(FUNCTIONS), str(BENCH)])
    return env | extra


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    workdir: Path

    def connect(self) -> Connection:
        return Connection(self.port)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start(name: str, source: Path, logs: Path, **settings: str) -> Server:
    """Serve `source`'s `serve` function; returns once it answers."""
    workdir = Path(tempfile.mkdtemp(prefix=f"bench-{name}-"))
    env = clean_environment(**SERVED_ENVIRONMENT)
    env |= {"EMBEDDED_STORE_PATH": str(workdir / "store")} | settings
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "functions_framework",
        "--source",
        str(source),
        "--target",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    logs.mkdir(parents=True, exist_ok=True)
    with (logs / f"{name}.log").open("wb") as log:
        process = subprocess.Popen(
            command, cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    server = Server(name, port, process, workdir)
    _wait_ready(server)
    return server


def stop(server: Server) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()
    shutil.rmtree(server.workdir, ignore_errors=True)


@contextlib.contextmanager
def running(logs: Path, **specs: dict[str, str]) -> Iterator[dict[str, Server]]:
    """Start a server per spec (`source` plus settings), stop them all after."""
    servers: dict[str, Server] = {}
    try:
        for name, spec in specs.items():
            settings = dict(spec)
            source = Path(settings.pop("source"))
            servers[name] = start(name, source, logs, **settings)
        yield servers
    finally:
        for server in servers.values():
            stop(server)


def recorder_spec(store: str, **settings: str) -> dict[str, str]:
    """A served recorder over `store`: `memory` (mongomock) or `embedded`."""
    return {"source": str(RECORDED), "BENCH_STORE": store} | settings


def bare_spec() -> dict[str, str]:
    return {"source": str(BARE)}


def _wait_ready(server: Server) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.name} exited; see its log in results/logs")
        with contextlib.suppress(OSError):
            connection = server.connect()
            status = connection.send("GET", "/bench/ready").status
            connection.close()
            if status == 200:
                return
        time.sleep(POLL_SECONDS)
    raise RuntimeError(f"{server.name} did not answer in {START_TIMEOUT_SECONDS} s")
