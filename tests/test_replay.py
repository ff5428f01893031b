"""Replaying recorded calls, playing recordings back, and exporting traces."""

from __future__ import annotations

import base64
import json
import tracemalloc

import pytest
from google.protobuf import json_format
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
)

from flight_recorder import export, providers, recorder, traces
from flight_recorder.errors import ProviderUnavailable
from flight_recorder.providers.mock import MockProvider
from recorder_testing import make_trace


def use_provider(provider):
    providers.use(provider)
    recorder.get.cache_clear()


def chat(client, message, **fields):
    return client("chat").post("/", json={"message": message, **fields}).get_json()


def replay(client, **body):
    return client("replay").post("/", json=body)


class CountingMock(MockProvider):
    def __init__(self):
        self.calls = 0

    def generate(self, request):
        self.calls += 1
        return super().generate(request)


class Failing:
    name = "mock"

    def generate(self, request):
        raise ProviderUnavailable("overloaded", provider_status=503)


def test_replay_of_a_deterministic_call_is_identical_and_linked(client):
    original = chat(client, "What is a flight recorder?", session_id="s1")

    response = replay(client, trace_id=original["trace_id"])

    comparison = response.get_json()
    assert response.status_code == 200
    assert comparison["verdict"] == "identical"
    assert comparison["similarity"] == 1.0
    assert comparison["diff"] == []
    assert comparison["original_trace_id"] == original["trace_id"]
    new = client("trace_detail").get(f"/{comparison['replay_trace_id']}").get_json()
    assert new["replay_of"] == original["trace_id"]
    assert new["cached"] is False
    assert new["session_id"] == "s1"
    assert comparison["total_tokens"]["delta"] == 0


def test_replay_with_overrides_reports_the_changes_and_the_diff(client):
    original = chat(client, "line one\nline two")

    comparison = replay(
        client,
        trace_id=original["trace_id"],
        overrides={"model": "gemini-2.5-pro", "temperature": 1.5},
    ).get_json()

    assert comparison["verdict"] == "changed"
    assert 0 < comparison["similarity"] < 1
    assert "-[mock gemini-2.5-flash] You said: line one line two" in comparison["diff"]
    assert "+[mock gemini-2.5-pro] You said: line one line two" in comparison["diff"]
    new = client("trace_detail").get(f"/{comparison['replay_trace_id']}").get_json()
    assert new["model"] == "gemini-2.5-pro"
    assert new["request"]["temperature"] == 1.5


def test_replay_with_the_provider_failing_is_a_failed_replay(client, memory_store):
    original = chat(client, "hello")
    before = memory_store.database["traces"].find_one({"_id": original["trace_id"]})
    use_provider(Failing())

    comparison = replay(client, trace_id=original["trace_id"]).get_json()

    assert comparison["verdict"] == "failed"
    assert comparison["error"].startswith("provider_unavailable")
    failed = client("trace_detail").get(f"/{comparison['replay_trace_id']}").get_json()
    assert failed["status"] == "error"
    assert failed["replay_of"] == original["trace_id"]
    after = memory_store.database["traces"].find_one({"_id": original["trace_id"]})
    assert after == before


def test_replay_list_shows_every_replay_of_a_trace_newest_first(client, moving_clock):
    original = chat(client, "hello")
    first = replay(client, trace_id=original["trace_id"]).get_json()
    moving_clock.advance(seconds=1)
    second = replay(client, trace_id=original["trace_id"]).get_json()

    listed = client("replay").get(f"/?trace_id={original['trace_id']}").get_json()

    assert [r["id"] for r in listed["replays"]] == [second["id"], first["id"]]


def test_replay_a_set_in_resumable_batches(client):
    for index in range(7):
        chat(client, f"question {index}", session_id="batch")
    chat(client, "elsewhere", session_id="other")

    totals, cursor, calls = {"identical": 0, "changed": 0, "failed": 0}, None, 0
    while True:
        body = {"filter": {"session_id": "batch"}, "limit": 3}
        if cursor:
            body["cursor"] = cursor
        batch = replay(client, **body).get_json()
        calls += 1
        for verdict in totals:
            totals[verdict] += batch[verdict]
        cursor = batch["next_cursor"]
        if cursor is None:
            break

    assert calls == 3
    assert totals == {"identical": 7, "changed": 0, "failed": 0}


def test_replay_refuses_a_trace_whose_prompt_was_cut(client, settings_env):
    settings_env(TRACE_TEXT_LIMIT_CHARS="300")
    original = chat(client, "x" * 500)

    response = replay(client, trace_id=original["trace_id"])

    assert response.status_code == 400
    assert "shortened" in response.get_json()["error"]["message"]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"trace_id": "0" * 32, "filter": {}},
        {"trace_id": "nope"},
        {"trace_id": {"$ne": None}},
        {"filter": {"status": {"$ne": "ok"}}},
        {"filter": {}, "limit": 21},
        {"trace_id": "0" * 32, "overrides": {"temperature": "hot"}},
    ],
)
def test_replay_rejects_bad_requests(client, body):
    assert replay(client, **body).status_code == 400


def test_replay_of_an_unknown_trace_is_404(client):
    assert replay(client, trace_id="f" * 32).status_code == 404


def test_playback_answers_the_recorded_reply_without_the_provider(client, memory_store):
    counting = CountingMock()
    use_provider(counting)
    recorded = chat(client, "play me back", temperature=0.1)
    traces_before = memory_store.database["traces"].count_documents({})

    first = client("chat").post(
        "/", json={"temperature": 0.1, "message": "play me back", "playback": True}
    )
    second = client("chat").post(
        "/", json={"message": "play me back", "temperature": 0.1, "playback": True}
    )

    assert first.status_code == 200
    assert first.get_data() == second.get_data()
    assert first.get_json()["reply"] == recorded["reply"]
    assert first.get_json()["source_trace_id"] == recorded["trace_id"]
    assert counting.calls == 1
    assert memory_store.database["traces"].count_documents({}) == traces_before


def test_playback_of_an_unrecorded_request_is_404(client):
    chat(client, "recorded")

    response = client("chat").post("/", json={"message": "never", "playback": True})

    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_export_jsonl_streams_every_matching_trace(client):
    for index in range(5):
        chat(client, f"m{index}", session_id="x" if index % 2 else "y")

    response = client("export").get("/?session_id=x")

    lines = response.get_data(as_text=True).splitlines()
    assert response.mimetype == "application/x-ndjson"
    assert [json.loads(line)["request"]["message"]["text"] for line in lines] == [
        "m3",
        "m1",
    ]


def test_export_otlp_decodes_with_the_official_protobuf(client, memory_store):
    gemini = make_trace(3, seconds=1, provider="gemini", session_id="conv-1")
    gemini = gemini.model_copy(
        update={"usage": gemini.usage.model_copy(update={"input_tokens": 11})}
    )
    traces.TraceStore(memory_store).insert(gemini)

    body = client("export").get("/?format=otlp").get_data(as_text=True)

    message = decode_otlp(body.splitlines()[0])
    span = message.resource_spans[0].scope_spans[0].spans[0]
    attributes = {a.key: a.value for a in span.attributes}
    assert span.name == "generate_content gemini-2.5-flash"
    assert span.kind == 3
    assert span.trace_id.hex() == gemini.id
    assert attributes["gen_ai.operation.name"].string_value == "generate_content"
    assert attributes["gen_ai.provider.name"].string_value == "gcp.gemini"
    assert attributes["gen_ai.request.model"].string_value == "gemini-2.5-flash"
    assert attributes["gen_ai.conversation.id"].string_value == "conv-1"
    assert attributes["gen_ai.usage.input_tokens"].int_value == 11
    assert span.end_time_unix_nano - span.start_time_unix_nano == 1_500_000


def test_export_otlp_carries_finish_reasons_and_errors(client):
    ok = chat(client, "fine")
    use_provider(Failing())
    client("chat").post("/", json={"message": "broken"})

    lines = client("export").get("/?format=otlp").get_data(as_text=True).splitlines()

    spans = decode_otlp(lines[0]).resource_spans[0].scope_spans[0].spans
    by_id = {span.trace_id.hex(): span for span in spans}
    fine = {a.key: a.value for a in by_id[ok["trace_id"]].attributes}
    assert [
        v.string_value
        for v in fine["gen_ai.response.finish_reasons"].array_value.values
    ] == ["stop"]
    failed = next(span for span in spans if span.status.code == 2)
    errors = {a.key: a.value for a in failed.attributes}
    assert errors["error.type"].string_value == "provider_unavailable"


def decode_otlp(line: str) -> ExportTraceServiceRequest:
    """OTLP JSON writes ids as hex; protobuf's JSON mapping expects base64."""
    message = json.loads(line)
    for resource in message["resourceSpans"]:
        for scope in resource["scopeSpans"]:
            for span in scope["spans"]:
                for field in ("traceId", "spanId"):
                    raw = bytes.fromhex(span[field])
                    span[field] = base64.b64encode(raw).decode()
    return json_format.ParseDict(message, ExportTraceServiceRequest())


def test_export_of_10000_traces_keeps_memory_flat(memory_store):
    memory_store.run(
        lambda db: db["traces"].insert_many(
            [make_trace(i, seconds=i / 10).to_document() for i in range(10_000)]
        )
    )
    pages = []
    reading = memory_store.run

    def run(operation):
        result = reading(operation)
        if isinstance(result, list):
            pages.append(len(result))
        return result

    memory_store.run = run  # type: ignore[method-assign]
    trace_store = traces.TraceStore(memory_store)

    tracemalloc.start()
    held = {}
    count = 0
    for line in export.jsonl(trace_store.iterate(traces.TraceFilter())):
        count += 1
        if count in (1_000, 5_000, 9_000):
            held[count] = tracemalloc.get_traced_memory()[0]
        assert line.endswith("\n")
    tracemalloc.stop()

    assert count == 10_000
    assert max(pages) == 200
    # What the export holds does not grow with what it has already written.
    assert held[9_000] - held[1_000] < 1_000_000, held
