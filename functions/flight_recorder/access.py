"""Who may call: API keys, and which browser origins may read the answers.

Keys come from the `API_KEYS` setting (a secret when deployed). A request
presents one as `Authorization: Bearer <key>` or `X-API-Key: <key>`. Keys are
compared in constant time, and are never logged, returned or stored: a trace
records only a short fingerprint of the key that made it.
"""

from __future__ import annotations

import hashlib
import hmac

import flask

from flight_recorder.errors import Unauthorized

# Response headers a browser script may read from a cross-origin answer.
EXPOSED_HEADERS = (
    "X-Trace-Id, X-Cache, X-Trace-Stored, Retry-After, "
    "X-RateLimit-Limit-Minute, X-RateLimit-Remaining-Minute, "
    "X-RateLimit-Limit-Day, X-RateLimit-Remaining-Day, X-RateLimit-Reset-Day"
)
ALLOWED_REQUEST_HEADERS = "Authorization, X-API-Key, Content-Type"


def parse_keys(raw: str) -> tuple[str, ...]:
    """The keys of a comma-separated list, blanks dropped."""
    return tuple(key.strip() for key in raw.split(",") if key.strip())


def fingerprint(key: str) -> str:
    """A short, stable, non-reversible name for a key."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:12]


def presented_key(request: flask.Request) -> str | None:
    """The key in `X-API-Key`, else in `Authorization: Bearer`.

    `X-API-Key` comes first because a deployed function behind Cloud Run's
    own authentication may receive a Google identity token in `Authorization`.
    """
    explicit = request.headers.get("X-API-Key")
    if explicit:
        return explicit
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def authenticate(request: flask.Request, keys: tuple[str, ...]) -> str | None:
    """The fingerprint of the caller's key; None when no keys are configured.

    Every configured key is compared, so the time taken does not reveal which
    key, or how much of one, matched.
    """
    if not keys:
        return None
    candidate = presented_key(request)
    if candidate is None:
        raise Unauthorized("send an API key as Authorization: Bearer or X-API-Key")

    offered = candidate.encode("utf-8", "surrogateescape")
    matched = False
    for key in keys:
        matched |= hmac.compare_digest(offered, key.encode("utf-8"))
    if not matched:
        raise Unauthorized("the API key is not valid")
    return fingerprint(candidate)


def parse_origins(raw: str) -> tuple[str, ...]:
    return tuple(
        origin.strip().rstrip("/") for origin in raw.split(",") if origin.strip()
    )


def cors_headers(request: flask.Request, origins: tuple[str, ...]) -> dict[str, str]:
    """CORS headers for an answer to `request`; empty if its origin is not allowed."""
    origin = request.headers.get("Origin")
    if not origin or not origins:
        return {}
    if "*" in origins:
        allowed = "*"
    elif origin.rstrip("/") in origins:
        allowed = origin
    else:
        return {}
    return {
        "Access-Control-Allow-Origin": allowed,
        "Access-Control-Expose-Headers": EXPOSED_HEADERS,
        "Vary": "Origin",
    }


def preflight_headers(
    request: flask.Request, origins: tuple[str, ...], methods: tuple[str, ...]
) -> dict[str, str]:
    headers = cors_headers(request, origins)
    if not headers:
        return {}
    return headers | {
        "Access-Control-Allow-Methods": ", ".join((*methods, "OPTIONS")),
        "Access-Control-Allow-Headers": ALLOWED_REQUEST_HEADERS,
        "Access-Control-Max-Age": "600",
    }
