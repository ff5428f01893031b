"""Gemini mode against the local stand-in: the real SDK, a fake API on loopback."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient
from gemini_testing import TEST_KEY

from flight_recorder import store
from flight_recorder.gemini_standin import GeminiStandIn


@pytest.fixture
def standin(
    memory_store: store.Store, settings_env: Callable[..., None]
) -> Iterator[GeminiStandIn]:
    """A stand-in on a free loopback port, and the recorder pointed at it."""
    server = GeminiStandIn("127.0.0.1", 0, api_key=TEST_KEY).start()
    settings_env(
        USE_MOCK_LLM="false",
        GOOGLE_API_KEY=TEST_KEY,
        GEMINI_BASE_URL=server.url,
        GEMINI_TIMEOUT_SECONDS="5",
        GEMINI_MAX_ATTEMPTS="1",
        GEMINI_RETRY_DELAY_SECONDS="0.01",
    )
    yield server
    server.stop()


@pytest.fixture
def chat(
    client: Callable[[str], FlaskClient], standin: GeminiStandIn
) -> Callable[..., Any]:
    """POST a chat body; returns the test client's response."""

    def send(message: str = "hello", **fields: Any) -> Any:
        return client("chat").post("/", json={"message": message, **fields})

    return send


@pytest.fixture
def trace_of(client: Callable[[str], FlaskClient]) -> Callable[[str], dict[str, Any]]:
    """The stored trace with the given id, as the trace-detail function answers."""

    def read(trace_id: str) -> dict[str, Any]:
        response = client("trace_detail").get(f"/{trace_id}")
        assert response.status_code == 200
        body: dict[str, Any] = response.get_json()
        return body

    return read
