"""Gemini failures over HTTP: each becomes one recorded, client-safe error."""

from __future__ import annotations

import dataclasses
import json

import pytest
from gemini_testing import TEST_KEY

from flight_recorder import gemini_standin as answers

# answer, HTTP status, error code, provider status, provider message (start)
FAILURES = [
    pytest.param(
        answers.rate_limited("17s"),
        429,
        "provider_rate_limited",
        429,
        "You exceeded your current quota",
        id="429-per-minute",
    ),
    pytest.param(
        answers.daily_quota(),
        429,
        "provider_quota_exhausted",
        429,
        "You exceeded your current quota",
        id="429-per-day",
    ),
    pytest.param(
        answers.invalid_argument(),
        400,
        "provider_invalid_argument",
        400,
        "* GenerateContentRequest.generation_config.max_output_tokens",
        id="400",
    ),
    pytest.param(
        answers.invalid_key(),
        502,
        "provider_auth_failed",
        400,
        "API key not valid",
        id="400-bad-key",
    ),
    pytest.param(
        answers.unauthenticated(),
        502,
        "provider_auth_failed",
        401,
        "Request had invalid authentication credentials",
        id="401",
    ),
    pytest.param(
        answers.permission_denied(),
        502,
        "provider_auth_failed",
        403,
        "Method doesn't allow unregistered callers",
        id="403",
    ),
    pytest.param(
        answers.internal(),
        502,
        "provider_error",
        500,
        "An internal error has occurred",
        id="500",
    ),
    pytest.param(
        answers.unavailable(),
        503,
        "provider_unavailable",
        503,
        "The model is overloaded",
        id="503",
    ),
    pytest.param(
        answers.html(502),
        502,
        "provider_error",
        502,
        "an HTML page with status 502 Bad Gateway",
        id="502-html",
    ),
    pytest.param(
        answers.html(503),
        503,
        "provider_unavailable",
        503,
        "an HTML page with status 503 Service Unavailable",
        id="503-html",
    ),
    pytest.param(
        answers.empty(500),
        502,
        "provider_error",
        500,
        "an empty body with status 500 Internal Server Error",
        id="500-empty",
    ),
    pytest.param(
        answers.html(200),
        502,
        "provider_error",
        200,
        "not a generateContent",
        id="200-html",
    ),
    pytest.param(
        answers.empty(200), 502, "provider_error", 200, "empty body", id="200-empty"
    ),
    pytest.param(answers.slow(3), 504, "provider_timeout", None, None, id="timeout"),
]


@pytest.mark.parametrize(
    ("answer", "status", "code", "provider_status", "provider_message"), FAILURES
)
def test_gemini_failure_is_answered_and_recorded(
    chat,
    standin,
    settings_env,
    trace_of,
    answer,
    status,
    code,
    provider_status,
    provider_message,
):
    settings_env(GEMINI_TIMEOUT_SECONDS="1")
    standin.script(answer)

    response = chat("hello")

    error = response.get_json()["error"]
    assert response.status_code == status
    assert error["code"] == code
    assert response.headers["X-Trace-Id"] == error["trace_id"]
    trace = trace_of(error["trace_id"])
    assert trace["status"] == "error"
    assert trace["provider"] == "gemini"
    assert trace["error"]["code"] == code
    assert trace["error"]["status"] == status
    assert trace["error"]["provider_status"] == provider_status
    if provider_message is None:
        assert trace["error"]["provider_message"] is None
    else:
        assert trace["error"]["provider_message"].startswith(provider_message)
    assert trace["cost_usd"] is None
    assert trace["latency_ms"] >= trace["provider_latency_ms"] > 0
    assert len(standin.received) == 1


def test_gemini_timeout_waits_no_longer_than_the_deadline(
    chat, standin, settings_env, trace_of
):
    settings_env(GEMINI_TIMEOUT_SECONDS="0.5", GEMINI_MAX_ATTEMPTS="3")
    standin.script(answers.slow(3))

    response = chat("hello")

    error = response.get_json()["error"]
    assert response.status_code == 504
    assert error["message"] == "the provider did not answer in time"
    assert 500 <= trace_of(error["trace_id"])["provider_latency_ms"] < 1500
    assert len(standin.received) == 1


def test_gemini_429_says_when_to_come_back(chat, standin, trace_of):
    standin.script(answers.rate_limited("16.2s"))

    response = chat("hello")

    assert response.status_code == 429
    assert response.headers["Retry-After"] == "17"


def test_gemini_400_names_the_problem(chat, standin):
    standin.script(answers.invalid_argument("* contents: text is too long"))

    response = chat("hello")

    assert response.get_json()["error"]["message"] == (
        "the provider rejected the request: * contents: text is too long"
    )


def test_gemini_auth_failure_never_shows_the_key(chat, standin, trace_of):
    leaky = answers.error(
        403,
        "PERMISSION_DENIED",
        f"Key {TEST_KEY} is blocked; see https://x.test/?key={TEST_KEY}&a=1 "
        "or AIzaSyA1234567890abcdefghijklmnopqrstuv",
    )
    standin.script(leaky)

    response = chat("hello")

    error = response.get_json()["error"]
    assert error["message"] == "the provider refused the credentials"
    stored = json.dumps(trace_of(error["trace_id"]))
    assert TEST_KEY not in response.get_data(as_text=True)
    assert TEST_KEY not in stored
    assert "AIzaSy" not in stored
    assert "[redacted]" in stored


def test_gemini_wrong_key_is_an_auth_failure(chat, standin, settings_env):
    settings_env(GOOGLE_API_KEY="not-the-key")

    response = chat("hello")

    assert response.status_code == 502
    assert response.get_json()["error"]["code"] == "provider_auth_failed"
    assert "not-the-key" not in response.get_data(as_text=True)


# ---------------------------------------------------------------- retries


def test_gemini_retries_a_503_then_answers(chat, standin, settings_env, trace_of):
    settings_env(GEMINI_MAX_ATTEMPTS="2")
    standin.script(answers.unavailable())

    response = chat("hello")

    assert response.status_code == 200
    assert response.get_json()["outcome"] == "ok"
    assert len(standin.received) == 2
    assert trace_of(response.get_json()["trace_id"])["status"] == "ok"


@pytest.mark.parametrize(
    "answer",
    [
        answers.internal(),
        answers.html(502),
        answers.error(504, "DEADLINE_EXCEEDED", ""),
    ],
    ids=["500", "502-html", "504"],
)
def test_gemini_retries_other_retryable_statuses(chat, standin, settings_env, answer):
    settings_env(GEMINI_MAX_ATTEMPTS="2")
    standin.script(answer)

    response = chat("hello")

    assert response.status_code == 200
    assert len(standin.received) == 2


def test_gemini_retries_a_per_minute_429_after_its_retry_delay(
    chat, standin, settings_env
):
    settings_env(GEMINI_MAX_ATTEMPTS="2")
    standin.script(answers.rate_limited("0.2s"))

    response = chat("hello")

    assert response.status_code == 200
    assert len(standin.received) == 2


def test_gemini_does_not_retry_a_per_day_429(chat, standin, settings_env):
    settings_env(GEMINI_MAX_ATTEMPTS="5")
    standin.script(answers.daily_quota())

    response = chat("hello")

    assert response.status_code == 429
    assert response.get_json()["error"]["code"] == "provider_quota_exhausted"
    assert int(response.headers["Retry-After"]) <= 25 * 3600
    assert len(standin.received) == 1


def test_gemini_does_not_retry_a_429_whose_delay_outlasts_the_deadline(
    chat, standin, settings_env
):
    settings_env(GEMINI_MAX_ATTEMPTS="5", GEMINI_TIMEOUT_SECONDS="5")
    standin.script(answers.rate_limited("17s"))

    response = chat("hello")

    assert response.status_code == 429
    assert response.headers["Retry-After"] == "17"
    assert len(standin.received) == 1


@pytest.mark.parametrize(
    "answer",
    [answers.invalid_argument(), answers.unauthenticated(), answers.empty(200)],
    ids=["400", "401", "200-empty"],
)
def test_gemini_does_not_retry_what_cannot_change(chat, standin, settings_env, answer):
    settings_env(GEMINI_MAX_ATTEMPTS="5")
    standin.script(answer)

    chat("hello")

    assert len(standin.received) == 1


def test_gemini_gives_up_when_attempts_are_spent(chat, standin, settings_env):
    settings_env(GEMINI_MAX_ATTEMPTS="3")
    standin.script(*[answers.unavailable()] * 5)

    response = chat("hello")

    assert response.status_code == 503
    assert len(standin.received) == 3


def test_gemini_starts_no_retry_that_could_not_finish_in_time(
    chat, standin, settings_env
):
    settings_env(GEMINI_MAX_ATTEMPTS="5", GEMINI_TIMEOUT_SECONDS="2")
    late_failure = dataclasses.replace(answers.unavailable(), delay_seconds=1.2)
    standin.script(late_failure)

    response = chat("hello")

    assert response.status_code == 503
    assert len(standin.received) == 1


def test_gemini_unreachable_is_unavailable(chat, standin, settings_env, trace_of):
    standin.stop()

    response = chat("hello")

    error = response.get_json()["error"]
    assert response.status_code == 503
    assert error["code"] == "provider_unavailable"
    assert trace_of(error["trace_id"])["error"]["provider_status"] is None
