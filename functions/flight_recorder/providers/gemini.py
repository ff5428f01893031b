"""Gemini through the google-genai SDK: the call, the reply read defensively, errors.

This is the only module that imports the SDK, so mock mode never loads it.

Retries are ours, not the SDK's (its `HttpRetryOptions` stay unset), because
the SDK's policy cannot express three things a function needs: a 429 for a
per-day quota must not be retried, while one for a per-minute quota may be;
the wait a 429 asks for in its `RetryInfo` should be honoured; and all the
attempts together must end within one deadline (`GEMINI_TIMEOUT_SECONDS`),
whereas the SDK would give every attempt, a timed-out one included, the whole
timeout again. Here each attempt gets what is left of the deadline as its
timeout, and no retry starts that could not finish in time.

Every failure of the SDK or of its HTTP client (httpx2) becomes one of the
recorder's `ProviderError`s in `translate`, and nowhere else.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import logging
import math
import random
import re
import time
import zoneinfo
from typing import Any

import httpx2
import pydantic
from google import genai
from google.genai import errors as genai_errors
from google.genai import types

from flight_recorder import clock, settings
from flight_recorder.errors import (
    ConfigurationError,
    ProviderAuthError,
    ProviderBadResponse,
    ProviderError,
    ProviderInvalidArgument,
    ProviderQuotaExhausted,
    ProviderRateLimited,
    ProviderTimeout,
    ProviderUnavailable,
)
from flight_recorder.providers.base import (
    Generation,
    GenerationRequest,
    SafetyRating,
    Usage,
)

log = logging.getLogger(__name__)

# What the SDK and its HTTP client raise for a failed call; `translate` maps each.
FOREIGN_ERRORS: tuple[type[Exception], ...] = (
    genai_errors.APIError,
    genai_errors.UnknownApiResponseError,
    httpx2.TransportError,
    json.JSONDecodeError,
    pydantic.ValidationError,
)

RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})

# No retry starts with less than this left of the deadline, in seconds.
MIN_ATTEMPT_SECONDS = 1.0

# Gemini's per-day quotas start over at midnight in this zone.
QUOTA_DAY_ZONE = zoneinfo.ZoneInfo("America/Los_Angeles")

# No tools are offered, so the SDK's tool-call loop (and its log line) stays off.
_NO_TOOL_CALLS = types.AutomaticFunctionCallingConfig(disable=True)

_RPC = "type.googleapis.com/google.rpc."
_MESSAGE_CHARS = 300
_MIN_SECRET_CHARS = 8
_KEY_SHAPES = re.compile(r"AIza[0-9A-Za-z_-]{35}|(?<=key=)[^&\s\"']+")


class GeminiProvider:
    """Calls `generateContent` with a deadline and a bounded number of attempts."""

    name = "gemini"

    def __init__(
        self,
        client: genai.Client,
        *,
        api_key: str,
        timeout_seconds: float,
        max_attempts: int,
        retry_delay_seconds: float,
    ) -> None:
        self._client = client
        self._api_key = api_key
        self._timeout = timeout_seconds
        self._max_attempts = max_attempts
        self._retry_delay = retry_delay_seconds

    @classmethod
    def from_settings(cls, config: settings.Settings) -> GeminiProvider:
        if config.GOOGLE_API_KEY is None:
            raise ConfigurationError(
                "invalid settings: GOOGLE_API_KEY: required when USE_MOCK_LLM is false"
            )
        api_key = config.GOOGLE_API_KEY.get_secret_value()
        options = types.HttpOptions(
            api_version=config.GEMINI_API_VERSION,
            base_url=config.GEMINI_BASE_URL,
            timeout=_milliseconds(config.GEMINI_TIMEOUT_SECONDS),
        )
        client = genai.Client(vertexai=False, api_key=api_key, http_options=options)
        # The request log line already says what each call did; the HTTP
        # client's own INFO line per request would repeat it.
        logging.getLogger("httpx2").setLevel(logging.WARNING)
        return cls(
            client,
            api_key=api_key,
            timeout_seconds=config.GEMINI_TIMEOUT_SECONDS,
            max_attempts=config.GEMINI_MAX_ATTEMPTS,
            retry_delay_seconds=config.GEMINI_RETRY_DELAY_SECONDS,
        )

    def generate(self, request: GenerationRequest) -> Generation:
        deadline = time.monotonic() + self._timeout
        for attempt in itertools.count(1):
            try:
                return read_response(self._call(request, deadline - time.monotonic()))
            except FOREIGN_ERRORS as exc:
                error = translate(exc, secrets=(self._api_key,))
            wait = self._wait_before_retry(error, attempt, deadline)
            if wait is None:
                raise error
            log.warning(
                "gemini attempt %d of %d failed (%s, provider status %s); "
                "retrying in %.2fs",
                attempt,
                self._max_attempts,
                error.code,
                error.provider_status,
                wait,
            )
            time.sleep(wait)
        raise AssertionError("unreachable: the attempts above end in a return or raise")

    def _call(
        self, request: GenerationRequest, seconds_left: float
    ) -> types.GenerateContentResponse:
        config = types.GenerateContentConfig(
            system_instruction=request.system or None,
            temperature=request.temperature,
            max_output_tokens=request.max_output_tokens,
            automatic_function_calling=_NO_TOOL_CALLS,
            http_options=types.HttpOptions(timeout=_milliseconds(seconds_left)),
        )
        return self._client.models.generate_content(
            model=request.model, contents=request.message, config=config
        )

    def _wait_before_retry(
        self, error: ProviderError, attempt: int, deadline: float
    ) -> float | None:
        """Seconds to wait before the next attempt, or None to give up."""
        if attempt >= self._max_attempts or not is_retryable(error):
            return None
        wait = getattr(error, "retry_after", None)
        if wait is None:
            wait = self._retry_delay * 2 ** (attempt - 1) * random.uniform(1.0, 1.25)
        if time.monotonic() + wait + MIN_ATTEMPT_SECONDS > deadline:
            return None
        return float(wait)


def is_retryable(error: ProviderError) -> bool:
    """Whether another attempt may succeed where this one failed."""
    if isinstance(error, ProviderQuotaExhausted):
        return False
    if error.provider_status is None:
        # No answer: a connection never made may succeed next time; a timeout
        # has spent the deadline, and a broken exchange may have been billed.
        return isinstance(error, ProviderUnavailable)
    return error.provider_status in RETRYABLE_STATUSES


def _milliseconds(seconds: float) -> int:
    # The SDK takes milliseconds, and reads 0 as "no timeout at all".
    return max(1, math.ceil(seconds * 1000))


# ---------------------------------------------------------------- the reply


def read_response(response: types.GenerateContentResponse) -> Generation:
    """The reply as a `Generation`, whatever parts of it are missing."""
    candidates = response.candidates or []
    first = candidates[0] if candidates else None
    feedback = response.prompt_feedback
    if first is None and feedback is None and _is_bare(response):
        raise ProviderBadResponse(
            "the provider sent an empty answer",
            provider_status=200,
            provider_message="empty body",
        )

    ratings = first.safety_ratings if first else None
    if not ratings and feedback is not None:
        ratings = feedback.safety_ratings
    return Generation(
        text=_text_of(first),
        finish_reason=_name(first.finish_reason) if first else None,
        usage=_usage(response.usage_metadata),
        model_version=response.model_version,
        response_id=response.response_id,
        safety_ratings=_ratings(ratings),
        block_reason=_name(feedback.block_reason) if feedback else None,
        candidate_count=len(candidates),
    )


def _is_bare(response: types.GenerateContentResponse) -> bool:
    """No field at all: the body was empty (the SDK reads that as `{}`)."""
    return not (
        response.usage_metadata or response.model_version or response.response_id
    )


def _text_of(candidate: types.Candidate | None) -> str:
    if candidate is None or candidate.content is None:
        return ""
    parts = candidate.content.parts or []
    return "".join(part.text for part in parts if part.text and not part.thought)


def _usage(metadata: types.GenerateContentResponseUsageMetadata | None) -> Usage:
    if metadata is None:
        return Usage()
    answer = metadata.candidates_token_count
    thoughts = metadata.thoughts_token_count
    output = None
    if answer is not None or thoughts is not None:
        output = (answer or 0) + (thoughts or 0)
    return Usage(
        input_tokens=metadata.prompt_token_count,
        output_tokens=output,
        thought_tokens=thoughts,
        cached_tokens=metadata.cached_content_token_count,
        total_tokens=metadata.total_token_count,
    )


def _ratings(ratings: list[types.SafetyRating] | None) -> list[SafetyRating]:
    return [
        SafetyRating(
            category=_name(rating.category) or "",
            probability=_name(rating.probability),
            blocked=rating.blocked,
        )
        for rating in ratings or []
        if rating.category is not None
    ]


def _name(value: Any) -> str | None:
    """An SDK enum by its API name; values the SDK does not know pass as sent."""
    if value is None:
        return None
    return str(getattr(value, "value", value))


# ---------------------------------------------------------------- errors


def translate(error: Exception, *, secrets: tuple[str, ...] = ()) -> ProviderError:
    """The recorder's error for a failure raised by the SDK or its HTTP client.

    `provider_message` is the provider's own words, cut short and with every
    one of `secrets` and anything shaped like an API key removed.
    """
    if isinstance(error, genai_errors.APIError):
        return _from_api_error(error, secrets)
    if isinstance(error, httpx2.TimeoutException):
        return ProviderTimeout("the provider did not answer in time")
    if isinstance(error, httpx2.ConnectError):
        return ProviderUnavailable(
            "could not reach the provider", provider_message="connection failed"
        )
    if isinstance(error, httpx2.TransportError):
        # The request may have reached the model, so it is not retried: a
        # second attempt could be billed twice.
        return ProviderBadResponse(
            "the connection to the provider broke",
            provider_message=clean(type(error).__name__, secrets),
        )
    return ProviderBadResponse(
        "the provider's answer could not be read",
        provider_status=200,
        provider_message="not a generateContent answer",
    )


def _from_api_error(
    error: genai_errors.APIError, secrets: tuple[str, ...]
) -> ProviderError:
    status = error.code
    envelope = _envelope(error)
    if envelope:
        said = clean(envelope.get("message") or envelope.get("status"), secrets)
    else:
        said = _body_kind(error)
    kw: dict[str, Any] = {"provider_status": status, "provider_message": said}
    details = envelope.get("details") if envelope else None
    details = details if isinstance(details, list) else []

    if status in (401, 403) or _reason(details) == "API_KEY_INVALID":
        return ProviderAuthError("the provider refused the credentials", **kw)
    if status == 429:
        return _rate_limited(details, kw)
    if status in (400, 404, 413) and envelope.get("status") != "FAILED_PRECONDITION":
        return ProviderInvalidArgument(
            f"the provider rejected the request: {said or 'no reason given'}", **kw
        )
    if status in (408, 504):
        return ProviderTimeout("the provider did not answer in time", **kw)
    if status == 503:
        return ProviderUnavailable("the provider is unavailable; try again later", **kw)
    return ProviderBadResponse("the provider failed to answer", **kw)


def _rate_limited(details: list[Any], kw: dict[str, Any]) -> ProviderRateLimited:
    if any("PerDay" in quota for quota in _quota_ids(details)):
        return ProviderQuotaExhausted(
            "the provider's daily quota is spent",
            retry_after=_seconds_to_quota_day_end(),
            **kw,
        )
    delay = _retry_delay(details)
    return ProviderRateLimited(
        "the provider is rate limiting these calls",
        retry_after=delay,
        **kw,
    )


def _envelope(error: genai_errors.APIError) -> dict[str, Any]:
    """Google's `{"error": {...}}` body, or {} when the body was something else."""
    body = error.details
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        return body["error"]
    return {}


def _body_kind(error: genai_errors.APIError) -> str:
    """What came instead of JSON, named without echoing it."""
    text = (error.message or "").strip()
    if not text:
        kind = "an empty body"
    elif text.startswith("<") or "<html" in text[:200].lower():
        kind = "an HTML page"
    else:
        kind = "a body that is not JSON"
    return f"{kind} with status {error.code} {error.status or ''}".strip()


def _of_type(details: list[Any], name: str) -> list[dict[str, Any]]:
    return [
        detail
        for detail in details
        if isinstance(detail, dict) and detail.get("@type") == _RPC + name
    ]


def _reason(details: list[Any]) -> str | None:
    infos = _of_type(details, "ErrorInfo")
    return str(infos[0].get("reason")) if infos else None


def _quota_ids(details: list[Any]) -> list[str]:
    return [
        str(violation.get("quotaId", ""))
        for failure in _of_type(details, "QuotaFailure")
        for violation in failure.get("violations") or []
        if isinstance(violation, dict)
    ]


def _retry_delay(details: list[Any]) -> float | None:
    """RetryInfo's `retryDelay` ("17s", "0.5s") in seconds."""
    for info in _of_type(details, "RetryInfo"):
        match = re.fullmatch(r"(\d+(?:\.\d+)?)s", str(info.get("retryDelay", "")))
        if match:
            return float(match[1])
    return None


def _seconds_to_quota_day_end() -> float:
    now = clock.now().astimezone(QUOTA_DAY_ZONE)
    midnight = dt.datetime.combine(
        now.date() + dt.timedelta(days=1), dt.time(), tzinfo=QUOTA_DAY_ZONE
    )
    return math.ceil((midnight - now).total_seconds())


def clean(message: Any, secrets: tuple[str, ...] = ()) -> str | None:
    """A provider message safe to record: keys removed, one line, cut short."""
    if message is None:
        return None
    text = " ".join(str(message).split())
    for secret in secrets:
        # A very short "key" (a test value) would redact ordinary words.
        if len(secret) >= _MIN_SECRET_CHARS:
            text = text.replace(secret, "[redacted]")
    text = _KEY_SHAPES.sub("[redacted]", text)
    if len(text) > _MESSAGE_CHARS:
        text = text[: _MESSAGE_CHARS - 1] + "…"
    return text
