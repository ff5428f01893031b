"""API keys and CORS on every function."""

from __future__ import annotations

import pytest

from flight_recorder import access, settings
from flight_recorder.errors import ConfigurationError

KEY = "k-0123456789abcdef-first"
OTHER = "k-fedcba9876543210-other"

PROTECTED = [
    ("chat", "POST", {"json": {"message": "hi"}}),
    ("traces", "GET", {}),
    ("trace_detail", "GET", {"query_string": {"trace_id": "0" * 32}}),
]


@pytest.fixture
def keyed(settings_env):
    settings_env(API_KEYS=f"{KEY}, {OTHER}")


@pytest.mark.parametrize(("target", "method", "kwargs"), PROTECTED)
@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-API-Key": "wrong"},
        {"Authorization": "Bearer wrong"},
        {"Authorization": f"Basic {KEY}"},
        {"Authorization": "Bearer "},
        {"X-API-Key": KEY[:-1]},
    ],
)
def test_access_missing_or_wrong_key_is_401_and_records_nothing(
    client, keyed, memory_store, target, method, kwargs, headers
):
    response = client(target).open("/", method=method, headers=headers, **kwargs)

    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert memory_store.database["traces"].count_documents({}) == 0


@pytest.mark.parametrize(
    "headers", [{"X-API-Key": KEY}, {"Authorization": f"Bearer {OTHER}"}]
)
def test_access_either_header_with_any_configured_key_is_accepted(
    client, keyed, headers
):
    response = client("chat").post("/", json={"message": "hi"}, headers=headers)

    assert response.status_code == 200


def test_access_api_key_header_wins_over_a_platform_bearer_token(client, keyed):
    headers = {"Authorization": "Bearer eyJhbGciOi.google.identity", "X-API-Key": KEY}

    response = client("chat").post("/", json={"message": "hi"}, headers=headers)

    assert response.status_code == 200


def test_access_trace_records_a_fingerprint_never_the_key(
    client, keyed, memory_store, log_lines
):
    chat = client("chat")
    body = chat.post("/", json={"message": "hi"}, headers={"X-API-Key": KEY})

    trace_id = body.get_json()["trace_id"]
    detail = client("trace_detail").get(f"/{trace_id}", headers={"X-API-Key": KEY})

    stored = memory_store.database["traces"].find_one({"_id": trace_id})
    assert stored["api_key_fingerprint"] == access.fingerprint(KEY)
    assert KEY not in repr(stored)
    assert KEY not in detail.get_data(as_text=True)
    assert KEY not in repr(log_lines())
    assert access.fingerprint(KEY) in repr(log_lines())


def test_access_cache_never_serves_one_keys_answer_to_another(client, keyed):
    chat = client("chat")
    first = chat.post("/", json={"message": "same"}, headers={"X-API-Key": KEY})
    other = chat.post("/", json={"message": "same"}, headers={"X-API-Key": OTHER})
    again = chat.post("/", json={"message": "same"}, headers={"X-API-Key": KEY})

    assert first.headers["X-Cache"] == "MISS"
    assert other.headers["X-Cache"] == "MISS"
    assert again.headers["X-Cache"] == "HIT"


def test_access_health_stays_open_and_says_keys_are_required(client, keyed):
    response = client("health").get("/")

    assert response.status_code == 200
    assert response.get_json()["auth"] == "api_key"
    assert KEY not in response.get_data(as_text=True)


def test_access_production_without_keys_refuses_to_start(monkeypatch):
    monkeypatch.setenv("API_ENV", "production")

    with pytest.raises(ConfigurationError, match="API_KEYS"):
        settings.load()


def test_cors_preflight_is_answered_without_key_store_or_counters(
    client, settings_env, memory_store
):
    settings_env(API_KEYS=KEY, CORS_ALLOWED_ORIGINS="https://app.example")

    response = client("chat").open(
        "/",
        method="OPTIONS",
        headers={
            "Origin": "https://app.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "X-API-Key, Content-Type",
        },
    )

    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == "https://app.example"
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    assert "X-API-Key" in response.headers["Access-Control-Allow-Headers"]
    assert memory_store.database.list_collection_names() == []


def test_cors_answers_carry_the_origin_and_expose_the_trace_headers(
    client, settings_env
):
    settings_env(CORS_ALLOWED_ORIGINS="https://app.example")

    allowed = client("chat").post(
        "/", json={"message": "hi"}, headers={"Origin": "https://app.example"}
    )
    refused = client("chat").post(
        "/", json={"message": "hi"}, headers={"Origin": "https://evil.example"}
    )

    assert allowed.headers["Access-Control-Allow-Origin"] == "https://app.example"
    assert "X-Trace-Id" in allowed.headers["Access-Control-Expose-Headers"]
    assert "Access-Control-Allow-Origin" not in refused.headers


def test_cors_is_off_without_configured_origins(client):
    response = client("traces").get("/", headers={"Origin": "https://app.example"})

    assert "Access-Control-Allow-Origin" not in response.headers
