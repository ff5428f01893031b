"""One structured JSON line per request, in the shape Cloud Logging reads."""

from __future__ import annotations


def test_logging_one_line_per_chat_with_the_operator_figures(
    client, log_lines, monkeypatch
):
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "demo-project")
    response = client("chat").post(
        "/",
        json={"message": "hello"},
        headers={"X-Cloud-Trace-Context": "abc123/1;o=1"},
    )

    lines = [line for line in log_lines() if line.get("function") == "chat"]
    assert len(lines) == 1
    line = lines[0]
    assert line["severity"] == "INFO"
    assert line["status"] == 200
    assert line["trace_id"] == response.get_json()["trace_id"]
    assert line["cache"] == "MISS"
    assert line["model"] == "gemini-2.5-flash"
    assert line["total_tokens"] == response.get_json()["usage"]["total_tokens"]
    assert line["latency_ms"] > 0
    trace_field = "logging.googleapis.com/trace"
    assert line[trace_field] == "projects/demo-project/traces/abc123"


def test_logging_client_errors_are_info_and_server_errors_error(client, log_lines):
    client("chat").post("/", json={"message": 5})
    client("traces").get("/?limit=0")

    requests = [line for line in log_lines() if "function" in line]
    severities = [(line["function"], line["severity"]) for line in requests]
    assert severities == [("chat", "INFO"), ("traces", "INFO")]
