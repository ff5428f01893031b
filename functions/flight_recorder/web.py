"""HTTP plumbing shared by the functions: parsing, JSON replies, errors, logs.

`endpoint` wraps each function. It is the one place that turns errors into
JSON responses: a `RecorderError` answers with its own status and code; any
other exception is logged once with its traceback and answered with a generic
500 carrying an id that finds that log line.
"""

from __future__ import annotations

import functools
import json
import logging
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

import flask
from pydantic import BaseModel, ValidationError
from werkzeug.exceptions import HTTPException

from flight_recorder import access, clock, logs, settings
from flight_recorder.errors import (
    InvalidJSON,
    InvalidRequest,
    MethodNotAllowed,
    PayloadTooLarge,
    RecorderError,
    UnsupportedMediaType,
)

log = logging.getLogger("flight_recorder.request")

M = TypeVar("M", bound=BaseModel)


class Exchange:
    """What one request reports to its log line, filled in by the handler."""

    def __init__(self, function: str) -> None:
        self.function = function
        self.fields: dict[str, Any] = {}
        self.key_fingerprint: str | None = None


Handler = Callable[[flask.Request, Exchange], flask.Response]


def endpoint(
    function: str, methods: tuple[str, ...], *, public: bool = False
) -> Callable[[Handler], Any]:
    """Make `handler` a functions-framework HTTP function named `function`.

    Unless `public`, a caller must present one of the configured API keys.
    CORS preflights are answered here, before authentication, without
    touching the store.
    """

    def decorate(handler: Handler) -> Callable[[flask.Request], flask.Response]:
        @functools.wraps(handler)
        def serve(request: flask.Request) -> flask.Response:
            config = settings.get()
            if request.method == "OPTIONS":
                headers = access.preflight_headers(
                    request, config.cors_origins, methods
                )
                return flask.Response(status=204, headers=headers)

            started = clock.monotonic_ms()
            exchange = Exchange(function)
            try:
                if request.method not in methods:
                    raise MethodNotAllowed(request.method, methods)
                if not public:
                    exchange.key_fingerprint = access.authenticate(
                        request, config.api_keys
                    )
                response = handler(request, exchange)
            except RecorderError as exc:
                response = error_response(exc)
                exchange.fields["error_code"] = exc.code
            except Exception:
                error_id = uuid.uuid4().hex
                log.exception("unhandled error", extra={"error_id": error_id})
                body = _error_body("internal", "internal error", 500)
                response = json_response({"error": body | {"error_id": error_id}}, 500)
                exchange.fields["error_id"] = error_id
            response.headers.update(access.cors_headers(request, config.cors_origins))
            _log_exchange(request, exchange, response, started)
            return response

        return serve

    return decorate


def json_response(
    body: Any, status: int = 200, headers: dict[str, str] | None = None
) -> flask.Response:
    if isinstance(body, BaseModel):
        text = body.model_dump_json()
    else:
        text = json.dumps(body, ensure_ascii=False, default=str)
    response = flask.Response(text, status=status, mimetype="application/json")
    response.headers["Cache-Control"] = "no-store"
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def error_response(error: RecorderError) -> flask.Response:
    body = _error_body(error.code, error.message, error.status)
    headers = error.headers()
    if error.details is not None:
        body["details"] = error.details
    if error.trace_id is not None:
        body["trace_id"] = error.trace_id
        headers["X-Trace-Id"] = error.trace_id
    return json_response({"error": body}, error.status, headers)


def framework_error_response(error: HTTPException) -> flask.Response:
    """JSON for an error the framework answers before a function runs.

    A path its routes do not match (one holding a newline, say) or
    `/favicon.ico` would otherwise get Flask's HTML page.
    """
    status = error.code or 500
    code = (error.name or "error").lower().replace(" ", "_").replace("'", "")
    return json_response({"error": _error_body(code, error.name, status)}, status)


def _error_body(code: str, message: str, status: int) -> dict[str, Any]:
    return {"code": code, "message": message, "status": status}


def read_json(request: flask.Request, model: type[BaseModel]) -> Any:
    """The request body validated as `model`, or a 4xx error saying why."""
    if request.mimetype != "application/json":
        raise UnsupportedMediaType("send the body as Content-Type: application/json")

    limit = settings.get().MAX_REQUEST_BYTES
    declared = request.content_length
    if declared is not None and declared > limit:
        raise PayloadTooLarge(f"the body is larger than {limit} bytes")
    raw = request.stream.read(limit + 1)
    if len(raw) > limit:
        raise PayloadTooLarge(f"the body is larger than {limit} bytes")

    payload = _decode(raw)
    if not isinstance(payload, dict):
        raise InvalidRequest("the body must be a JSON object")
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        raise InvalidRequest("invalid fields", details=field_errors(exc)) from None


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


def _decode(raw: bytes) -> Any:
    try:
        text = raw.decode("utf-8")
        payload = json.loads(text, parse_constant=_reject_constant)
        # A lone surrogate escaped as \ud800 decodes to a str no store can hold.
        json.dumps(payload, ensure_ascii=False).encode("utf-8")
    except UnicodeError:
        raise InvalidJSON("the body is not valid UTF-8 text") from None
    except RecursionError:
        raise InvalidJSON("the body is nested too deeply") from None
    except ValueError as exc:
        raise InvalidJSON(f"the body is not valid JSON: {exc}") from None
    return payload


# Enough to fix a request; a hostile one could otherwise make the answer huge.
MAX_FIELD_ERRORS = 20


def field_errors(exc: ValidationError) -> list[dict[str, str]]:
    """Pydantic's errors without the offending input echoed back, at most 20."""
    errors = exc.errors(include_url=False, include_input=False)
    listed = [
        {
            "field": ".".join(str(part) for part in error["loc"]) or "body",
            "problem": error["msg"],
        }
        for error in errors[:MAX_FIELD_ERRORS]
    ]
    if len(errors) > MAX_FIELD_ERRORS:
        more = len(errors) - MAX_FIELD_ERRORS
        listed.append({"field": "...", "problem": f"{more} more problems not listed"})
    return listed


def read_query(request: flask.Request, model: type[M]) -> M:
    """The query string validated as `model`, or a 400 saying why."""
    params = query_params(request, set(model.model_fields))
    try:
        return model.model_validate(params)
    except ValidationError as exc:
        raise InvalidRequest("invalid query", details=field_errors(exc)) from None


def query_params(request: flask.Request, allowed: set[str]) -> dict[str, str]:
    """Single-valued query parameters, refusing unknown or repeated ones."""
    params: dict[str, str] = {}
    for name in request.args:
        if name not in allowed:
            raise InvalidRequest(
                f"unknown query parameter {name!r}",
                details={"allowed": sorted(allowed)},
            )
        values = request.args.getlist(name)
        if len(values) != 1:
            raise InvalidRequest(f"query parameter {name!r} is given more than once")
        params[name] = values[0]
    return params


def _log_exchange(
    request: flask.Request,
    exchange: Exchange,
    response: flask.Response,
    started: float,
) -> None:
    fields = {
        "function": exchange.function,
        "method": request.method,
        "status": response.status_code,
        "latency_ms": round(clock.monotonic_ms() - started, 3),
        "key": exchange.key_fingerprint,
        **exchange.fields,
        **logs.cloud_trace(request.headers.get("X-Cloud-Trace-Context")),
    }
    severity = logging.INFO
    if response.status_code >= 500:
        severity = logging.ERROR
    elif response.status_code in (429, 503) or exchange.fields.get("degraded"):
        severity = logging.WARNING
    log.log(severity, "%s %s", exchange.function, response.status_code, extra=fields)
