"""The OpenAPI 3.1 document of the functions, built from the models they use.

Paths are those of the functions under one base URL, as deployed Cloud
Functions share `https://REGION-PROJECT.cloudfunctions.net/<name>` and the
local stack's gateway serves them. Bodies come from the pydantic models, so
the document cannot drift from the code without the drift test failing.

    python -m flight_recorder.openapi > functions/openapi.json
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

from flight_recorder import __version__
from flight_recorder.export import ExportQuery
from flight_recorder.metrics import Metrics, MetricsQuery
from flight_recorder.models import ChatRequest, Trace
from flight_recorder.recorder import ChatReply, Playback
from flight_recorder.replay import (
    REPLAY_BATCH_MAX,
    BatchResult,
    Comparison,
    ReplayList,
    ReplayRequest,
)
from flight_recorder.traces import PAGE_MAX, TracePage, TraceQuery

REF = "#/components/schemas/{model}"

_INTEGER_HEADER = {"schema": {"type": "string", "pattern": "^[0-9]+$"}}


def _schema(model: type[BaseModel], mode: str = "serialization") -> dict[str, Any]:
    return model.model_json_schema(ref_template=REF, mode=mode)  # type: ignore[arg-type]


def _components() -> dict[str, Any]:
    schemas: dict[str, Any] = {}
    for model, mode in (
        (ChatRequest, "validation"),
        (ChatReply, "serialization"),
        (Trace, "serialization"),
        (TracePage, "serialization"),
        (Metrics, "serialization"),
        (Playback, "serialization"),
        (ReplayRequest, "validation"),
        (Comparison, "serialization"),
        (BatchResult, "serialization"),
        (ReplayList, "serialization"),
    ):
        schema = _schema(model, mode)
        schemas.update(schema.pop("$defs", {}))
        schemas[model.__name__] = schema
    schemas["ChatRequest"]["properties"]["message"]["description"] = (
        "The prompt: some non-space text, at most MAX_MESSAGE_CHARS "
        "(default 100,000) characters; longer answers 413."
    )
    schemas["Error"] = ERROR_SCHEMA
    schemas["Health"] = HEALTH_SCHEMA
    return schemas


ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "status"],
            "properties": {
                "code": {"type": "string", "description": "Stable error code."},
                "message": {"type": "string"},
                "status": {"type": "integer"},
                "details": {"description": "Which fields were wrong, and why."},
                "trace_id": {
                    "type": "string",
                    "description": "The trace that recorded this failed call.",
                },
                "error_id": {
                    "type": "string",
                    "description": "Finds the log line of an unexpected fault.",
                },
            },
        }
    },
}

HEALTH_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["status", "mock", "mongo_enabled", "provider", "version", "store"],
    "properties": {
        "status": {"enum": ["ok", "degraded"]},
        "mock": {"type": "boolean"},
        "mongo_enabled": {"type": "boolean"},
        "auth": {"enum": ["api_key", "open"]},
        "provider": {"type": "string"},
        "model": {"type": "string"},
        "version": {"type": "string"},
        "environment": {"type": "string"},
        "store": {
            "type": "object",
            "required": ["kind", "reachable"],
            "properties": {
                "kind": {"type": "string"},
                "reachable": {"type": "boolean"},
                "failures": {
                    "type": "object",
                    "properties": {
                        "operations": {"type": "integer"},
                        "unstored_traces": {"type": "integer"},
                    },
                },
            },
        },
    },
}


def _error(description: str, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": description,
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
        },
    }
    if headers:
        response["headers"] = headers
    return response


def _ok(description: str, schema: str, headers: dict[str, Any] | None = None) -> dict:
    response: dict[str, Any] = {
        "description": description,
        "content": {
            "application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}
        },
    }
    if headers:
        response["headers"] = headers
    return response


RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait.", **_INTEGER_HEADER}}
RATE_HEADERS = {
    name: {"description": description, "schema": {"type": "string"}}
    for name, description in (
        ("X-RateLimit-Limit-Minute", "Provider calls allowed per minute."),
        ("X-RateLimit-Remaining-Minute", "Calls left this minute, or unknown."),
        ("X-RateLimit-Limit-Day", "Provider calls allowed per day."),
        ("X-RateLimit-Remaining-Day", "Calls left today, or unknown."),
        ("X-RateLimit-Reset-Day", "Seconds until the daily window resets."),
    )
}

COMMON_ERRORS = {
    "401": _error("No API key, or a wrong one."),
    "503": _error("The store cannot be reached.", RETRY_AFTER),
}


def _query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    properties = _schema(model, "validation")["properties"]
    return [
        {"name": name, "in": "query", "required": False, "schema": _present(schema)}
        for name, schema in properties.items()
    ]


def _present(schema: dict[str, Any]) -> dict[str, Any]:
    """A parameter's schema without pydantic's null variant: absent is the null."""
    variants = schema.get("anyOf")
    if variants is None:
        return schema
    kept = [variant for variant in variants if variant.get("type") != "null"]
    dropped = ("anyOf", "default")
    rest = {key: value for key, value in schema.items() if key not in dropped}
    return rest | kept[0] if len(kept) == 1 else rest | {"anyOf": kept}


def _json_body(schema: str) -> dict[str, Any]:
    return {
        "required": True,
        "content": {
            "application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}
        },
    }


def _chat() -> dict[str, Any]:
    # Absent from a playback answer, which records nothing.
    reply_headers = {
        "X-Trace-Id": {"schema": {"type": "string"}},
        "X-Cache": {"schema": {"enum": ["HIT", "MISS", "BYPASS"]}},
        "X-Playback-Source": {"schema": {"type": "string"}},
        **RATE_HEADERS,
    }
    reply = _ok("The reply (maybe empty or blocked: see outcome).", "ChatReply")
    played = {"$ref": "#/components/schemas/Playback"}
    reply["content"]["application/json"]["schema"] = {
        "anyOf": [reply["content"]["application/json"]["schema"], played]
    }
    responses = {
        "200": reply,
        "404": _error("Playback: no reply was recorded for this request."),
        "400": _error("Malformed JSON, a bad field, or refused by the provider."),
        "413": _error("The body or the message is too large."),
        "415": _error("The body is not application/json."),
        "429": _error(
            "Over a rate limit, or the provider's quota.", RETRY_AFTER | RATE_HEADERS
        ),
        "502": _error("The provider failed or refused our credentials."),
        "504": _error("The provider did not answer in time."),
        **COMMON_ERRORS,
        "503": _error("The provider or the store is unavailable.", RETRY_AFTER),
    }
    responses["200"]["headers"] = reply_headers
    return {
        "operationId": "chat",
        "summary": "Answer a prompt and record the call as a trace.",
        "requestBody": _json_body("ChatRequest"),
        "responses": responses,
    }


def _listing(operation: str, summary: str, query: type[BaseModel], body: str) -> dict:
    return {
        "operationId": operation,
        "summary": summary,
        "parameters": _query_parameters(query),
        "responses": {
            "200": _ok(summary, body),
            "400": _error("A query parameter is unknown, repeated or invalid."),
            **COMMON_ERRORS,
        },
    }


def _detail(operation: str, where: str) -> dict[str, Any]:
    trace_id = {"type": "string", "pattern": "^[0-9a-f]{32}$"}
    parameter = {"name": "trace_id", "in": where, "required": True, "schema": trace_id}
    return {
        "operationId": operation,
        "summary": f"One whole trace, by id in the {where}.",
        "parameters": [parameter],
        "responses": {
            "200": _ok("The whole trace.", "Trace"),
            "400": _error("The trace id is malformed."),
            "404": _error("No trace has this id."),
            **COMMON_ERRORS,
        },
    }


def _replay() -> dict[str, Any]:
    replayed = _ok("One replay, or a batch of them.", "Comparison")
    replayed["content"]["application/json"]["schema"] = {
        "anyOf": [
            {"$ref": "#/components/schemas/Comparison"},
            {"$ref": "#/components/schemas/BatchResult"},
        ]
    }
    errors = {
        "400": _error("A bad field, or a trace that cannot be replayed exactly."),
        "404": _error("No trace has this id."),
        **COMMON_ERRORS,
    }
    return {
        "post": {
            "operationId": "replay",
            "summary": "Replay one trace (trace_id) or a batch of at most "
            f"{REPLAY_BATCH_MAX} matching a filter; follow next_cursor.",
            "requestBody": _json_body("ReplayRequest"),
            "responses": {
                "200": replayed,
                **errors,
                "413": _error("The body is too large."),
                "415": _error("The body is not application/json."),
                "429": _error("Over a rate limit.", RETRY_AFTER | RATE_HEADERS),
            },
        },
        "get": {
            "operationId": "replaysOf",
            "summary": "The replays of a trace, newest first.",
            "parameters": [
                {
                    "name": "trace_id",
                    "in": "query",
                    "required": True,
                    "schema": {"type": "string", "pattern": "^[0-9a-f]{32}$"},
                }
            ],
            "responses": {"200": _ok("The replays.", "ReplayList"), **errors},
        },
    }


def _export() -> dict[str, Any]:
    return {
        "operationId": "export",
        "summary": "Stream matching traces as JSON Lines, or as OTLP JSON spans.",
        "parameters": _query_parameters(ExportQuery),
        "responses": {
            "200": {
                "description": "One trace (jsonl) or one OTLP export request "
                "(otlp) per line.",
                "content": {"application/x-ndjson": {"schema": {"type": "string"}}},
            },
            "400": _error("A query parameter is unknown, repeated or invalid."),
            **COMMON_ERRORS,
        },
    }


def _health() -> dict[str, Any]:
    return {
        "operationId": "health",
        "summary": "Whether the function can serve. Needs no key.",
        "security": [],
        "responses": {
            "200": _ok("Serving.", "Health"),
            "503": _ok("The store cannot be reached.", "Health"),
        },
    }


def _paths() -> dict[str, Any]:
    traces = f"Trace summaries, newest first, at most {PAGE_MAX} a page."
    metrics = "Figures over a time range, computed in the store."
    return {
        "/chat": {"post": _chat()},
        "/traces": {"get": _listing("traces", traces, TraceQuery, "TracePage")},
        "/trace-detail/{trace_id}": {"get": _detail("traceDetail", "path")},
        "/trace-detail": {"get": _detail("traceDetailByQuery", "query")},
        "/metrics": {"get": _listing("metrics", metrics, MetricsQuery, "Metrics")},
        "/replay": _replay(),
        "/export": {"get": _export()},
        "/health": {"get": _health()},
    }


def build() -> dict[str, Any]:
    """The whole document."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "LLM Flight Recorder",
            "version": __version__,
            "description": "Record, cache and rate-limit calls to language models.",
            "license": {"name": "MIT", "identifier": "MIT"},
        },
        "servers": [{"url": "http://127.0.0.1:8080", "description": "make run"}],
        "security": [{"apiKey": []}, {"bearer": []}],
        "paths": _paths(),
        "components": {
            "schemas": _components(),
            "securitySchemes": {
                "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
                "bearer": {"type": "http", "scheme": "bearer"},
            },
        },
    }


def render() -> str:
    return json.dumps(build(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    print(render(), end="")
