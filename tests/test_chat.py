"""The chat function over HTTP: answers, headers, the cache and what is recorded."""

from __future__ import annotations

import pytest

from flight_recorder import providers, recorder
from flight_recorder.errors import ProviderUnavailable
from flight_recorder.providers.base import Generation, GenerationRequest, Usage


def use_provider(provider):
    providers.use(provider)
    recorder.get.cache_clear()


def post(client, body, **kwargs):
    return client("chat").post("/", json=body, **kwargs)


def detail(client, trace_id):
    return client("trace_detail").get(f"/{trace_id}").get_json()


def test_chat_answers_and_records_the_call(client):
    response = post(client, {"message": "Explain TCP slow start", "session_id": "s-1"})

    body = response.get_json()
    assert response.status_code == 200
    assert body["reply"].endswith("You said: Explain TCP slow start")
    assert body["provider"] == "mock"
    assert body["model"] == "gemini-2.5-flash"
    assert body["cached"] is False
    assert body["finish_reason"] == "STOP"
    assert body["usage"]["total_tokens"] == (
        body["usage"]["input_tokens"] + body["usage"]["output_tokens"]
    )
    assert response.headers["X-Trace-Id"] == body["trace_id"]
    assert response.headers["X-Cache"] == "MISS"
    assert response.headers["X-RateLimit-Remaining-Minute"] == "99999"

    trace = detail(client, body["trace_id"])
    assert trace["status"] == "ok"
    assert trace["request"]["message"]["text"] == "Explain TCP slow start"
    assert trace["response"]["reply"]["text"] == body["reply"]
    assert trace["session_id"] == "s-1"
    assert trace["usage"] == body["usage"]
    assert trace["latency_ms"] >= trace["provider_latency_ms"] >= 0


def test_chat_repeat_is_a_recorded_cache_hit_naming_its_source(client):
    first = post(client, {"message": "hello", "temperature": 0.2}).get_json()
    response = post(client, {"temperature": 0.2, "message": "hello"})

    second = response.get_json()
    assert response.headers["X-Cache"] == "HIT"
    assert second["cached"] is True
    assert second["reply"] == first["reply"]
    assert second["trace_id"] != first["trace_id"]
    assert second["cache_source_trace_id"] == first["trace_id"]
    trace = detail(client, second["trace_id"])
    assert trace["cached"] is True
    assert trace["cache_source_trace_id"] == first["trace_id"]
    assert trace["provider_latency_ms"] is None
    assert trace["usage"]["total_tokens"] == 0


@pytest.mark.parametrize(
    "change",
    [
        {"model": "gemini-2.5-pro"},
        {"system": "Answer in French."},
        {"temperature": 0.3},
        {"max_output_tokens": 64},
        {"message": "hello!"},
    ],
)
def test_chat_any_change_to_the_provider_request_misses(client, change):
    base = {"message": "hello", "temperature": 0.2}
    post(client, base)

    response = post(client, base | change)

    assert response.headers["X-Cache"] == "MISS"


def test_chat_fields_that_do_not_reach_the_provider_still_hit(client):
    post(client, {"message": "hello"})

    response = post(client, {"message": "hello", "session_id": "x", "tags": ["a"]})

    assert response.headers["X-Cache"] == "HIT"


def test_chat_bypass_cache_calls_the_provider(client):
    post(client, {"message": "hello"})

    response = post(client, {"message": "hello", "bypass_cache": True})

    assert response.headers["X-Cache"] == "BYPASS"
    assert response.get_json()["cached"] is False


class FlakyProvider:
    """Fails the first call, then answers like the mock."""

    name = "mock"

    def __init__(self) -> None:
        self.calls = 0

    def generate(self, request: GenerationRequest) -> Generation:
        self.calls += 1
        if self.calls == 1:
            raise ProviderUnavailable("model overloaded", provider_status=503)
        return Generation(
            text="fine", finish_reason="STOP", usage=Usage(input_tokens=1)
        )


def test_chat_caches_only_the_success_after_a_provider_failure(client, monkeypatch):
    flaky = FlakyProvider()
    use_provider(flaky)

    failed = post(client, {"message": "hello"})
    succeeded = post(client, {"message": "hello"})
    repeated = post(client, {"message": "hello"})

    assert failed.status_code == 503
    error = failed.get_json()["error"]
    assert error["code"] == "provider_unavailable"
    assert detail(client, error["trace_id"])["error"]["provider_status"] == 503
    assert succeeded.headers["X-Cache"] == "MISS"
    assert repeated.headers["X-Cache"] == "HIT"
    assert (
        repeated.get_json()["cache_source_trace_id"]
        == (succeeded.get_json()["trace_id"])
    )
    assert flaky.calls == 2


@pytest.mark.parametrize(
    ("generation", "outcome"),
    [
        (Generation(text="", finish_reason="SAFETY"), "blocked"),
        (Generation(text="", block_reason="PROHIBITED_CONTENT"), "blocked"),
        (Generation(text="", finish_reason="MAX_TOKENS"), "empty"),
        (Generation(text="partial", finish_reason="MAX_TOKENS"), "ok"),
    ],
)
def test_chat_never_caches_blocked_empty_or_truncated_answers(
    client, monkeypatch, generation, outcome
):
    class Fixed:
        name = "mock"
        calls = 0

        def generate(self, request):
            Fixed.calls += 1
            return generation

    use_provider(Fixed())

    first = post(client, {"message": "hello"})
    second = post(client, {"message": "hello"})

    assert first.get_json()["outcome"] == outcome
    assert first.get_json()["blocked"] is (outcome == "blocked")
    assert second.headers["X-Cache"] == "MISS"
    assert Fixed.calls == 2


def test_chat_records_a_truncated_copy_of_a_long_prompt(client, settings_env):
    settings_env(TRACE_TEXT_LIMIT_CHARS="1000")
    message = "é" * 5000

    body = post(client, {"message": message}).get_json()

    stored = detail(client, body["trace_id"])["request"]["message"]
    assert stored["text"] == message[:1000]
    assert stored["chars"] == 5000
    assert stored["truncated"] is True
    assert len(stored["sha256"]) == 64


BAD_BODIES = [
    ({"message": {"$ne": None}}, 400, "invalid_request"),
    ({"message": ["a", "b"]}, 400, "invalid_request"),
    ({"message": 12}, 400, "invalid_request"),
    ({"message": ""}, 400, "invalid_request"),
    ({"message": "   \n\t "}, 400, "invalid_request"),
    ({}, 400, "invalid_request"),
    ({"message": "hi", "unknown": 1}, 400, "invalid_request"),
    ({"message": "hi", "temperature": "0.5"}, 400, "invalid_request"),
    ({"message": "hi", "temperature": 3}, 400, "invalid_request"),
    ({"message": "hi", "max_output_tokens": 0}, 400, "invalid_request"),
    ({"message": "hi", "max_output_tokens": True}, 400, "invalid_request"),
    ({"message": "hi", "model": {"$gt": ""}}, 400, "invalid_request"),
    ({"message": "hi", "model": "../../etc"}, 400, "invalid_request"),
    ({"message": "hi", "session_id": {"$ne": None}}, 400, "invalid_request"),
    ({"message": "hi", "tags": "a"}, 400, "invalid_request"),
    ({"message": "hi", "metadata": {"$where": "1"}}, 400, "invalid_request"),
    ({"message": "hi", "metadata": {"a": {"b": 1}}}, 400, "invalid_request"),
    ({"message": "hi", "bypass_cache": "yes"}, 400, "invalid_request"),
    ({"message": "x" * 100_001}, 413, "payload_too_large"),
]


@pytest.mark.parametrize(("body", "status", "code"), BAD_BODIES)
def test_chat_rejects_bad_fields_and_records_nothing(
    client, memory_store, body, status, code
):
    response = post(client, body)

    assert response.status_code == status
    assert response.get_json()["error"]["code"] == code
    assert memory_store.database["traces"].count_documents({}) == 0


@pytest.mark.parametrize(
    ("data", "content_type", "status", "code"),
    [
        (b'{"message": "hi"', "application/json", 400, "invalid_json"),
        (b"[1, 2]", "application/json", 400, "invalid_request"),
        (b'"just a string"', "application/json", 400, "invalid_request"),
        (b'{"message": NaN}', "application/json", 400, "invalid_json"),
        (b'{"message": "\xff\xfe"}', "application/json", 400, "invalid_json"),
        (b'{"message": "\\ud800"}', "application/json", 400, "invalid_json"),
        (b"[" * 100_000 + b"]" * 100_000, "application/json", 400, "invalid_json"),
        (b"message=hi", "application/x-www-form-urlencoded", 415, None),
        (b'{"message": "hi"}', "text/plain", 415, None),
        (b"", "application/json", 400, "invalid_json"),
    ],
)
def test_chat_rejects_malformed_bodies_as_json(
    client, memory_store, data, content_type, status, code
):
    response = client("chat").post("/", data=data, content_type=content_type)

    assert response.status_code == status
    assert response.mimetype == "application/json"
    assert response.get_json()["error"]["code"] == (code or "unsupported_media_type")
    assert memory_store.database["traces"].count_documents({}) == 0


def test_chat_rejects_a_body_over_the_byte_limit(client, settings_env):
    settings_env(MAX_REQUEST_BYTES="2048")

    response = post(client, {"message": "a" * 4000})

    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "payload_too_large"


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH"])
def test_chat_refuses_other_methods(client, method):
    response = client("chat").open("/", method=method)

    assert response.status_code == 405
    assert response.headers["Allow"] == "POST"
    assert response.get_json()["error"]["code"] == "method_not_allowed"


def test_chat_unexpected_error_answers_500_without_the_exception_text(client, caplog):
    class Broken:
        name = "mock"

        def generate(self, request):
            raise RuntimeError("secret internals")

    use_provider(Broken())

    response = post(client, {"message": "hi"})

    body = response.get_json()
    assert response.status_code == 500
    assert "secret internals" not in response.get_data(as_text=True)
    error_id = body["error"]["error_id"]
    failure = next(r for r in caplog.records if getattr(r, "error_id", None))
    assert failure.error_id == error_id
    assert failure.exc_info is not None
    assert "secret internals" in str(failure.exc_info[1])
