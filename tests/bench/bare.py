"""The bare function: the same mock provider, served the same way, recording nothing.

It answers the routes of `recorded.py` (`/chat`, `/traces`, `/trace-detail/<id>`)
with bodies of the same shape, without validation, store, cache, rate limits
or logging, so the difference between the two is what recording costs.
"""

from __future__ import annotations

import datetime as dt
import uuid

import flask
import probe

from flight_recorder.providers.base import GenerationRequest
from flight_recorder.providers.mock import MockProvider

PROVIDER = MockProvider()
MODEL = "gemini-2.5-flash"
PAGE_SIZE = 20


def serve(request: flask.Request) -> flask.Response:
    """Dispatch on the first path segment, as `recorded.serve` does."""
    route = request.path.strip("/").split("/", 1)[0]
    if route == "chat":
        return _chat(request)
    if route == "traces":
        return flask.jsonify({"items": [_summary()] * PAGE_SIZE, "next_cursor": None})
    if route == "trace-detail":
        return flask.jsonify(_summary() | {"request": {}, "response": {}})
    if route == "bench":
        return flask.jsonify(probe.memory())
    return flask.Response(status=404)


def _chat(request: flask.Request) -> flask.Response:
    body = request.get_json()
    generation = PROVIDER.generate(
        GenerationRequest(model=body.get("model") or MODEL, message=body["message"])
    )
    return flask.jsonify(
        {
            "reply": generation.text,
            "trace_id": uuid.uuid4().hex,
            "model": MODEL,
            "provider": PROVIDER.name,
            "finish_reason": generation.finish_reason,
            "usage": generation.usage.model_dump(),
        }
    )


def _summary() -> dict[str, object]:
    return {
        "id": uuid.uuid4().hex,
        "created_at": dt.datetime.now(dt.UTC).isoformat(),
        "status": "ok",
        "provider": PROVIDER.name,
        "model": MODEL,
        "cached": False,
        "latency_ms": 1.0,
        "message_preview": "a prompt",
        "reply_preview": "a reply",
    }
