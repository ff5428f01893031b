"""The recorder's exception tree; each error knows its HTTP status and code.

    RecorderError                       500 internal
    ├── ConfigurationError              500 configuration_error
    ├── RequestError                    4xx problems with what the client sent
    │   ├── InvalidJSON                 400 invalid_json
    │   ├── InvalidRequest              400 invalid_request
    │   ├── InvalidTraceId              400 invalid_trace_id
    │   ├── Unauthorized                401 unauthorized
    │   ├── NotFound                    404 not_found
    │   ├── MethodNotAllowed            405 method_not_allowed
    │   ├── PayloadTooLarge             413 payload_too_large
    │   ├── UnsupportedMediaType        415 unsupported_media_type
    │   └── RateLimited                 429 rate_limited
    ├── StoreUnavailable                503 store_unavailable
    └── ProviderError                   failures of the model provider
        ├── ProviderInvalidArgument     400 provider_invalid_argument
        ├── ProviderRateLimited         429 provider_rate_limited
        │   └── ProviderQuotaExhausted  429 provider_quota_exhausted
        ├── ProviderAuthError           502 provider_auth_failed
        ├── ProviderBadResponse         502 provider_error
        ├── ProviderUnavailable         503 provider_unavailable
        └── ProviderTimeout             504 provider_timeout

Messages are safe to show to a client: they never carry a credential, a
connection string or an exception's own text from a library.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar


class RecorderError(Exception):
    """Base of every error the functions answer deliberately."""

    status: ClassVar[int] = 500
    code: ClassVar[str] = "internal"

    def __init__(self, message: str, *, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details
        # The trace that recorded the failed call, when one was recorded.
        self.trace_id: str | None = None

    def headers(self) -> dict[str, str]:
        """Extra response headers this error calls for."""
        return {}


class ConfigurationError(RecorderError):
    code = "configuration_error"


class RequestError(RecorderError):
    status = 400
    code = "invalid_request"


class InvalidJSON(RequestError):
    code = "invalid_json"


class InvalidRequest(RequestError):
    code = "invalid_request"


class InvalidTraceId(RequestError):
    code = "invalid_trace_id"


class Unauthorized(RequestError):
    status = 401
    code = "unauthorized"

    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": 'Bearer realm="flight-recorder"'}


class NotFound(RequestError):
    status = 404
    code = "not_found"


class MethodNotAllowed(RequestError):
    status = 405
    code = "method_not_allowed"

    def __init__(self, method: str, allowed: tuple[str, ...]) -> None:
        super().__init__(f"method {method} is not allowed; use {', '.join(allowed)}")
        self.allowed = allowed

    def headers(self) -> dict[str, str]:
        return {"Allow": ", ".join(self.allowed)}


class PayloadTooLarge(RequestError):
    status = 413
    code = "payload_too_large"


class UnsupportedMediaType(RequestError):
    status = 415
    code = "unsupported_media_type"


class _RetryableLater(RecorderError):
    """An error that tells the client when to try again."""

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        details: Any = None,
        extra_headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message, details=details)
        self.retry_after = retry_after
        self.extra_headers = extra_headers or {}

    def headers(self) -> dict[str, str]:
        headers = dict(self.extra_headers)
        if self.retry_after is not None:
            headers["Retry-After"] = retry_after_header(self.retry_after)
        return headers


def retry_after_header(seconds: float) -> str:
    """Whole seconds, rounded up, at least one."""
    return str(max(1, math.ceil(seconds)))


class RateLimited(_RetryableLater, RequestError):
    status = 429
    code = "rate_limited"


class StoreUnavailable(_RetryableLater):
    status = 503
    code = "store_unavailable"


class ProviderError(RecorderError):
    """The model provider failed; `provider_status` is what it answered, if any."""

    status = 502
    code = "provider_error"

    def __init__(
        self,
        message: str,
        *,
        provider_status: int | None = None,
        provider_message: str | None = None,
    ) -> None:
        super().__init__(message)
        self.provider_status = provider_status
        self.provider_message = provider_message


class ProviderInvalidArgument(ProviderError):
    status = 400
    code = "provider_invalid_argument"


class ProviderRateLimited(ProviderError):
    status = 429
    code = "provider_rate_limited"

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: Any):
        super().__init__(message, **kw)
        self.retry_after = retry_after

    def headers(self) -> dict[str, str]:
        if self.retry_after is None:
            return {}
        return {"Retry-After": retry_after_header(self.retry_after)}


class ProviderQuotaExhausted(ProviderRateLimited):
    """A per-day quota is spent: retrying before it resets is pointless."""

    code = "provider_quota_exhausted"


class ProviderAuthError(ProviderError):
    status = 502
    code = "provider_auth_failed"


class ProviderBadResponse(ProviderError):
    status = 502
    code = "provider_error"


class ProviderUnavailable(ProviderError):
    status = 503
    code = "provider_unavailable"


class ProviderTimeout(ProviderError):
    status = 504
    code = "provider_timeout"
