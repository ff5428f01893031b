"""The Gemini provider's boundary: the error mapping, reading replies, the client."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import httpx2
import pydantic
import pytest
from gemini_testing import TEST_KEY
from google.genai import errors as genai_errors
from google.genai import types

from flight_recorder import errors, providers, settings
from flight_recorder.providers import gemini

RPC = "type.googleapis.com/google.rpc."


def api_error(code, status="", message="", details=None, cls=None):
    body = {"code": code, "message": message, "status": status}
    if details is not None:
        body["details"] = details
    error_class = cls or (
        genai_errors.ClientError if code < 500 else genai_errors.ServerError
    )
    return error_class(code, {"error": body})


def non_json_error(code, text, reason):
    cls = genai_errors.ClientError if code < 500 else genai_errors.ServerError
    return cls(code, {"message": text, "status": reason})


def retry_info(delay):
    return {"@type": RPC + "RetryInfo", "retryDelay": delay}


def quota(quota_id):
    return {"@type": RPC + "QuotaFailure", "violations": [{"quotaId": quota_id}]}


def validation_error():
    try:
        types.GenerateContentResponse.model_validate({"candidates": "nonsense"})
    except pydantic.ValidationError as exc:
        return exc
    raise AssertionError("expected a validation error")


# The whole mapping: foreign error, recorder error class, HTTP status, provider
# status.
MAPPING = [
    (
        api_error(429, "RESOURCE_EXHAUSTED", "quota", [retry_info("17s")]),
        errors.ProviderRateLimited,
        429,
        429,
    ),
    (
        api_error(429, "RESOURCE_EXHAUSTED", "quota", [quota("PerDayPerProject")]),
        errors.ProviderQuotaExhausted,
        429,
        429,
    ),
    (
        api_error(400, "INVALID_ARGUMENT", "bad"),
        errors.ProviderInvalidArgument,
        400,
        400,
    ),
    (api_error(404, "NOT_FOUND", "no model"), errors.ProviderInvalidArgument, 400, 404),
    (
        api_error(
            400,
            "INVALID_ARGUMENT",
            "API key not valid.",
            [{"@type": RPC + "ErrorInfo", "reason": "API_KEY_INVALID"}],
        ),
        errors.ProviderAuthError,
        502,
        400,
    ),
    (
        api_error(400, "FAILED_PRECONDITION", "User location is not supported"),
        errors.ProviderBadResponse,
        502,
        400,
    ),
    (api_error(401, "UNAUTHENTICATED", "no"), errors.ProviderAuthError, 502, 401),
    (api_error(403, "PERMISSION_DENIED", "no"), errors.ProviderAuthError, 502, 403),
    (api_error(408, "", "slow"), errors.ProviderTimeout, 504, 408),
    (api_error(500, "INTERNAL", "oops"), errors.ProviderBadResponse, 502, 500),
    (
        non_json_error(502, "<html></html>", "Bad Gateway"),
        errors.ProviderBadResponse,
        502,
        502,
    ),
    (api_error(503, "UNAVAILABLE", "busy"), errors.ProviderUnavailable, 503, 503),
    (
        non_json_error(503, "", "Service Unavailable"),
        errors.ProviderUnavailable,
        503,
        503,
    ),
    (api_error(504, "DEADLINE_EXCEEDED", "late"), errors.ProviderTimeout, 504, 504),
    (
        genai_errors.APIError(302, {"error": {"message": "moved"}}),
        errors.ProviderBadResponse,
        502,
        302,
    ),
    (httpx2.ReadTimeout("timed out"), errors.ProviderTimeout, 504, None),
    (httpx2.ConnectTimeout("timed out"), errors.ProviderTimeout, 504, None),
    (httpx2.ConnectError("refused"), errors.ProviderUnavailable, 503, None),
    (httpx2.RemoteProtocolError("closed"), errors.ProviderBadResponse, 502, None),
    (httpx2.ReadError("reset"), errors.ProviderBadResponse, 502, None),
    (
        json.JSONDecodeError("Expecting value", "<html>", 0),
        errors.ProviderBadResponse,
        502,
        200,
    ),
    (
        genai_errors.UnknownApiResponseError("not json"),
        errors.ProviderBadResponse,
        502,
        200,
    ),
    (validation_error(), errors.ProviderBadResponse, 502, 200),
]


@pytest.mark.parametrize(
    ("foreign", "expected", "status", "provider_status"),
    MAPPING,
    ids=[f"{type(row[0]).__name__}-{getattr(row[0], 'code', '')}" for row in MAPPING],
)
def test_gemini_translate_maps_each_foreign_error(
    foreign, expected, status, provider_status
):
    error = gemini.translate(foreign)

    assert type(error) is expected
    assert error.status == status
    assert error.provider_status == provider_status
    assert str(foreign) not in error.message or not str(foreign)


def test_gemini_translate_mapping_covers_every_foreign_error():
    listed = {type(row[0]) for row in MAPPING}

    for foreign in gemini.FOREIGN_ERRORS:
        assert any(issubclass(each, foreign) for each in listed), foreign


def test_gemini_translate_reads_the_retry_delay():
    error = gemini.translate(
        api_error(429, "RESOURCE_EXHAUSTED", "", [retry_info("2.5s")])
    )

    assert error.retry_after == 2.5
    assert error.headers() == {"Retry-After": "3"}


def test_gemini_translate_removes_keys_from_provider_messages():
    message = f"bad {TEST_KEY} at https://h.test/?key=abc123&x=1 AIza{'b' * 35}"

    error = gemini.translate(
        api_error(400, "INVALID_ARGUMENT", message), secrets=(TEST_KEY,)
    )

    assert error.provider_message == (
        "bad [redacted] at https://h.test/?key=[redacted]&x=1 [redacted]"
    )
    assert TEST_KEY not in error.message


def test_gemini_translate_cuts_long_provider_messages():
    error = gemini.translate(api_error(500, "INTERNAL", "x" * 5000))

    assert len(error.provider_message) == 300


@pytest.mark.parametrize(
    ("error", "retryable"),
    [
        (errors.ProviderUnavailable("x", provider_status=503), True),
        (errors.ProviderBadResponse("x", provider_status=500), True),
        (errors.ProviderBadResponse("x", provider_status=502), True),
        (errors.ProviderTimeout("x", provider_status=504), True),
        (errors.ProviderTimeout("x", provider_status=408), True),
        (errors.ProviderRateLimited("x", provider_status=429), True),
        (errors.ProviderQuotaExhausted("x", provider_status=429), False),
        (errors.ProviderInvalidArgument("x", provider_status=400), False),
        (errors.ProviderAuthError("x", provider_status=403), False),
        (errors.ProviderBadResponse("x", provider_status=200), False),
        (errors.ProviderTimeout("x"), False),
        (errors.ProviderUnavailable("x"), True),
        (errors.ProviderBadResponse("x"), False),
    ],
)
def test_gemini_retries_only_what_may_pass_next_time(error, retryable):
    assert gemini.is_retryable(error) is retryable


def response(payload):
    return types.GenerateContentResponse.model_validate(payload)


def test_gemini_read_response_skips_thoughts_and_non_text_parts():
    parts = [
        {"text": "plan", "thought": True},
        {"text": "Hello, "},
        {"functionCall": {"name": "f", "args": {}}},
        {"text": "world."},
    ]
    generation = gemini.read_response(
        response(
            {
                "candidates": [
                    {"content": {"parts": parts}, "finishReason": "STOP"},
                    {"content": {"parts": [{"text": "second"}]}},
                ],
                "responseId": "r-1",
            }
        )
    )

    assert generation.text == "Hello, world."
    assert generation.candidate_count == 2
    assert generation.usage.total_tokens is None


def test_gemini_read_response_keeps_finish_reasons_the_sdk_does_not_know():
    with pytest.warns(UserWarning):
        parsed = response(
            {"candidates": [{"finishReason": "NEW_REASON"}], "responseId": "r"}
        )

    assert gemini.read_response(parsed).finish_reason == "NEW_REASON"


def test_gemini_read_response_takes_ratings_from_prompt_feedback_when_blocked():
    generation = gemini.read_response(
        response(
            {
                "promptFeedback": {
                    "blockReason": "SAFETY",
                    "safetyRatings": [
                        {
                            "category": "HARM_CATEGORY_HARASSMENT",
                            "probability": "HIGH",
                            "blocked": True,
                        }
                    ],
                },
            }
        )
    )

    assert generation.outcome == "blocked"
    assert generation.block_reason == "SAFETY"
    assert generation.safety_ratings[0].blocked is True


def test_gemini_read_response_refuses_an_empty_body():
    with pytest.raises(errors.ProviderBadResponse):
        gemini.read_response(response({}))


def test_gemini_client_takes_its_options_from_the_settings(settings_env):
    settings_env(
        USE_MOCK_LLM="false",
        GOOGLE_API_KEY=TEST_KEY,
        GEMINI_API_VERSION="v1",
        GEMINI_BASE_URL="http://127.0.0.1:9",
        GEMINI_TIMEOUT_SECONDS="12.5",
    )

    provider = providers.get()

    assert isinstance(provider, gemini.GeminiProvider)
    assert provider is providers.get()
    options = provider._client._api_client._http_options
    assert options.api_version == "v1"
    assert options.base_url == "http://127.0.0.1:9"
    assert options.timeout == 12_500
    assert options.retry_options is None
    assert settings.get().GEMINI_MAX_ATTEMPTS == 2


def test_gemini_sdk_is_not_imported_in_mock_mode(tmp_path):
    script = (
        "import sys, runpy; "
        f"runpy.run_path({str(_MAIN)!r}); "
        "import flight_recorder.recorder as r; r.get(); "
        "print('google.genai' in sys.modules, 'httpx2' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=_clean_env(USE_MOCK_LLM="true"),
        check=True,
    )

    assert result.stdout.strip().splitlines()[-1] == "False False"


def test_gemini_sdk_is_imported_in_gemini_mode(tmp_path):
    script = (
        "import sys, runpy; "
        f"runpy.run_path({str(_MAIN)!r}); "
        "import flight_recorder.recorder as r; r.get(); "
        "print('google.genai' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=_clean_env(USE_MOCK_LLM="false", GOOGLE_API_KEY=TEST_KEY),
        check=True,
    )

    assert result.stdout.strip().splitlines()[-1] == "True"


_MAIN = gemini.__file__.rsplit("/flight_recorder/", 1)[0] + "/main.py"


def _clean_env(**values):
    functions = _MAIN.rsplit("/", 1)[0]
    names = set(settings.Settings.model_fields)
    env = {k: v for k, v in os.environ.items() if k not in names}
    return env | {"PYTHONPATH": functions, "API_ENV": "test"} | values
