"""Chat with the store failing: the documented policy, and no trace lost."""

from __future__ import annotations

import pytest

from flight_recorder import store
from flight_recorder.errors import StoreUnavailable


class DownStore(store.Store):
    """A store whose every operation fails as an unreachable server would."""

    def _call(self, operation):
        raise StoreUnavailable("the trace store is unavailable", retry_after=5)


@pytest.fixture
def down(environment):
    store.use(DownStore(store.in_memory().database, "mongodb"))


def test_chat_fails_open_and_logs_the_unstored_trace(client, down, log_lines):
    response = client("chat").post("/", json={"message": "hello"})

    body = response.get_json()
    assert response.status_code == 200
    assert body["trace_stored"] is False
    assert response.headers["X-Trace-Stored"] == "false"
    assert response.headers["X-RateLimit-Remaining-Minute"] == "unknown"
    unstored = [line for line in log_lines() if line.get("unstored_trace")]
    assert len(unstored) == 1
    assert unstored[0]["severity"] == "ERROR"
    assert unstored[0]["trace"]["id"] == body["trace_id"]
    assert unstored[0]["trace"]["request"]["message"]["text"] == "hello"


def test_chat_fails_closed_with_503_and_still_logs_the_trace(
    client, down, settings_env, log_lines
):
    settings_env(STORE_FAILURE_POLICY="closed")

    response = client("chat").post("/", json={"message": "hello"})

    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "store_unavailable"
    assert response.headers["Retry-After"] == "5"
    unstored = [line for line in log_lines() if line.get("unstored_trace")]
    assert unstored[0]["trace"]["status"] == "error"


def test_traces_answer_503_json_when_the_store_is_down(client, down):
    response = client("traces").get("/")

    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "store_unavailable"
