"""The dashboard against the real functions: a local stack on free ports, an
embedded store in the test's folder, and known calls made through chat."""

from __future__ import annotations

import random
import socket
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from flight_recorder import devserver, store

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "dashboard"))

from local_stack import API_KEY, APP, KNOWN_CALLS, MAX_RPM, Stack


def _free_run(count: int) -> int:
    """The first of `count` consecutive ports free right now on the loopback."""
    rng = random.Random()
    for _ in range(50):
        first = rng.randrange(20000, 60000)
        sockets = []
        try:
            for port in range(first, first + count):
                probe = socket.socket()
                sockets.append(probe)
                probe.bind(("127.0.0.1", port))
            return first
        except OSError:
            continue
        finally:
            for probe in sockets:
                probe.close()
    raise RuntimeError("no run of free ports found")


@pytest.fixture
def stack(environment: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Stack]:
    """Every function served on the loopback over an embedded store."""
    environment.setenv("API_KEYS", API_KEY)
    environment.setenv("MAX_RPM", str(MAX_RPM))
    environment.setenv("EMBEDDED_STORE_PATH", str(tmp_path / "store"))
    backing = store.open_embedded(str(tmp_path / "store"), "flight_recorder")
    store.use(backing)

    first = _free_run(len(devserver.FUNCTIONS) + 1)
    servers = devserver.serve("127.0.0.1", first)
    urls = {
        name: f"http://127.0.0.1:{server.server_port}/"
        for name, server in servers.items()
        if name != "gateway"
    }
    yield Stack(urls=urls, base_url=f"http://127.0.0.1:{first}")
    for server in servers.values():
        server.shutdown()
        server.server_close()
    backing.close()


@pytest.fixture
def seeded(stack: Stack) -> Stack:
    """The stack after KNOWN_CALLS: 8 answered, 2 cache hits, 1 rate limited."""
    for body in KNOWN_CALLS:
        response = stack.chat(body)
        stack.answers.append(
            {"status": response.status_code, "cache": response.headers.get("X-Cache")}
            | response.json()
        )
    statuses = [answer["status"] for answer in stack.answers]
    assert statuses.count(200) == 10 and statuses.count(429) == 1
    return stack


@pytest.fixture
def dashboard(
    environment: pytest.MonkeyPatch,
) -> Callable[[Stack | dict[str, str] | None], AppTest]:
    """The dashboard app, configured for a stack (or with the given settings)."""

    from console import config

    for name in (*config.VARIABLES, config.CLOUD_RUN_SERVICE):
        environment.delenv(name, raising=False)

    def start(target: Stack | dict[str, str] | None) -> AppTest:
        settings = target.environment() if isinstance(target, Stack) else target or {}
        for name, value in settings.items():
            environment.setenv(name, value)
        app = AppTest.from_file(str(APP), default_timeout=60)
        app.run()
        return app

    return start
