"""Chat with the store failing at each step: the documented policy, no trace lost."""

from __future__ import annotations

import concurrent.futures
import json

import pymongo.errors
import pytest

from flight_recorder import recover, store
from recorder_testing import FaultyDatabase

STEPS = {
    "rate counters": {"rate_counters": ("find_one_and_update", "find_one")},
    "cache read": {"cache": ("find_one",)},
    "cache write": {"cache": ("insert_one", "replace_one")},
    "trace insert": {"traces": ("insert_one",)},
    "everything": {
        "rate_counters": ("find_one_and_update", "find_one"),
        "cache": ("find_one", "insert_one", "replace_one"),
        "traces": ("insert_one", "find_one", "find"),
    },
}
ERRORS = {
    "timeout": pymongo.errors.NetworkTimeout("timed out"),
    "connection": pymongo.errors.AutoReconnect("connection refused"),
    "no server": pymongo.errors.ServerSelectionTimeoutError("no servers"),
}


@pytest.fixture
def faulty(environment):
    """Install a store whose faults the test chooses; returns the database."""
    inner = store.in_memory()
    database = FaultyDatabase(inner.database, {}, ERRORS["timeout"])
    executor = concurrent.futures.ThreadPoolExecutor(1)
    store.use(store.Store(database, "mongodb", executor=executor))  # type: ignore[arg-type]
    return database


def unstored(lines):
    return [line for line in lines if line.get("unstored_trace")]


@pytest.mark.parametrize("error", ERRORS, ids=list(ERRORS))
@pytest.mark.parametrize("step", STEPS, ids=list(STEPS))
def test_chat_fails_open_at_every_step_and_loses_no_trace(
    client, faulty, log_lines, step, error
):
    faulty.faults = STEPS[step]
    faulty.error = ERRORS[error]

    response = client("chat").post("/", json={"message": "hello"})

    body = response.get_json()
    assert response.status_code == 200
    assert body["reply"].endswith("You said: hello")
    trace_lost = "traces" in STEPS[step]
    assert body["trace_stored"] is not trace_lost
    if "rate_counters" in STEPS[step]:
        assert response.headers["X-RateLimit-Remaining-Minute"] == "unknown"
    logged = unstored(log_lines())
    assert len(logged) == (1 if trace_lost else 0)
    if trace_lost:
        assert logged[0]["severity"] == "ERROR"
        assert logged[0]["trace"]["id"] == body["trace_id"]
        assert logged[0]["trace"]["response"]["reply"]["text"] == body["reply"]
        assert response.headers["X-Trace-Stored"] == "false"


@pytest.mark.parametrize("error", ERRORS, ids=list(ERRORS))
def test_chat_fails_closed_on_the_rate_counters_and_still_logs_the_trace(
    client, faulty, settings_env, log_lines, error
):
    settings_env(STORE_FAILURE_POLICY="closed")
    faulty.faults = STEPS["everything"]
    faulty.error = ERRORS[error]

    response = client("chat").post("/", json={"message": "hello"})

    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "store_unavailable"
    assert response.headers["Retry-After"] == "5"
    logged = unstored(log_lines())
    assert logged[0]["trace"]["status"] == "error"
    assert logged[0]["trace"]["error"]["code"] == "store_unavailable"


def test_cache_failures_never_cache_or_serve_and_the_provider_still_answers(
    client, faulty
):
    faulty.faults = STEPS["cache write"]
    chat = client("chat")
    chat.post("/", json={"message": "hello"})

    second = chat.post("/", json={"message": "hello"})

    assert second.headers["X-Cache"] == "MISS"


def test_health_reports_degraded_and_counts_after_a_lost_trace(client, faulty):
    faulty.faults = STEPS["trace insert"]
    client("chat").post("/", json={"message": "hello"})

    body = client("health").get("/").get_json()

    assert body["status"] == "degraded"
    assert body["store"]["reachable"] is True
    assert body["store"]["failures"]["unstored_traces"] == 1
    assert body["store"]["failures"]["operations"] >= 1


def test_trace_is_readable_as_soon_as_chat_answers(client):
    chat, detail = client("chat"), client("trace_detail")

    for index in range(20):
        trace_id = chat.post("/", json={"message": f"m{index}"}).get_json()["trace_id"]
        assert detail.get(f"/{trace_id}").status_code == 200


def test_traces_and_detail_answer_503_json_when_the_store_is_down(client, faulty):
    faulty.faults = STEPS["everything"]

    listing = client("traces").get("/")
    detail = client("trace_detail").get("/" + "0" * 32)

    for response in (listing, detail):
        assert response.status_code == 503
        assert response.get_json()["error"]["code"] == "store_unavailable"


def test_recover_reimports_logged_traces_once_the_store_is_back(
    client, faulty, log_lines, tmp_path
):
    faulty.faults = STEPS["trace insert"]
    chat = client("chat")
    answers = [
        chat.post("/", json={"message": f"lost {i} é 東"}).get_json() for i in range(3)
    ]
    log_file = tmp_path / "functions.log"
    log_file.write_text(
        "not json\n" + "\n".join(json.dumps(line) for line in log_lines()) + "\n"
    )
    faulty.faults = {}

    first = recover.main([str(log_file)])
    again = recover.main([str(log_file)])

    detail = client("trace_detail")
    for answer in answers:
        trace = detail.get(f"/{answer['trace_id']}").get_json()
        assert trace["response"]["reply"]["text"] == answer["reply"]
        assert trace["request"]["message"]["text"].startswith("lost ")
    assert (first.imported, first.already_stored) == (3, 0)
    assert (again.imported, again.already_stored) == (0, 3)


def test_recover_reads_cloud_logging_exports(client, faulty, log_lines, tmp_path):
    faulty.faults = STEPS["trace insert"]
    answer = client("chat").post("/", json={"message": "exported"}).get_json()
    entries = [
        {"jsonPayload": line, "severity": line["severity"]}
        for line in unstored(log_lines())
    ]
    export = tmp_path / "export.json"
    export.write_text(json.dumps(entries))
    faulty.faults = {}

    result = recover.main([str(export)])

    assert result.imported == 1
    assert client("trace_detail").get(f"/{answer['trace_id']}").status_code == 200
