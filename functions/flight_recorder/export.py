"""Export traces as JSON Lines, or as OpenTelemetry spans in OTLP JSON.

Both are streamed: traces are read one keyset page at a time and written as
they are read, so an export of any size neither loads every trace into
memory nor waits for the whole answer before the first byte.

OTLP output follows the OpenTelemetry GenAI semantic conventions: one CLIENT
span per trace named `generate_content <model>`, with the operation, the
provider, request and response model, token usage, finish reasons and the
conversation id (the session id). It is written as JSON Lines of
`ExportTraceServiceRequest` messages, the file format the OpenTelemetry
Collector's OTLP JSON file receiver reads; as OTLP's JSON encoding requires,
trace and span ids are hexadecimal strings.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable, Iterator
from typing import Any, Literal

from pydantic import ConfigDict, Field

from flight_recorder import __version__
from flight_recorder.errors import RecorderError
from flight_recorder.models import Status, TimeRange, Trace
from flight_recorder.traces import TraceFilter

log = logging.getLogger(__name__)

Format = Literal["jsonl", "otlp"]
SPANS_PER_REQUEST = 100

SPAN_KIND_CLIENT = 3
STATUS_OK = 1
STATUS_ERROR = 2

# The provider names of the GenAI semantic conventions.
PROVIDER_NAMES = {"gemini": "gcp.gemini"}


class ExportQuery(TimeRange):
    """The query parameters of an export, parsed from strings."""

    model_config = ConfigDict(extra="forbid")

    format: Format = "jsonl"
    status: Status | None = None
    model: str | None = Field(None, max_length=128)
    cached: bool | None = None
    session_id: str | None = Field(None, max_length=128)

    def filter(self) -> TraceFilter:
        return TraceFilter(**self.model_dump(exclude={"format"}))


def guarded(lines: Iterator[str]) -> Iterator[str]:
    """`lines`, the first read at once so a store fault is still a JSON error.

    Once the answer has started, its status cannot change: a fault mid-stream
    ends the export with one JSON line holding the error, so a reader can tell
    a cut export from a complete one.
    """
    first = next(lines, None)

    def rest() -> Iterator[str]:
        if first is None:
            return
        yield first
        try:
            yield from lines
        except RecorderError as exc:
            log.error("export stopped early: %s", exc.code)
            yield _error_line(
                exc.code, f"the export stopped early: {exc.message}", exc.status
            )
        except Exception:
            log.exception("export stopped early")
            yield _error_line("internal", "the export stopped early", 500)

    return rest()


def _error_line(code: str, message: str, status: int) -> str:
    error = {"code": code, "message": message, "status": status}
    return json.dumps({"error": error}) + "\n"


def jsonl(traces: Iterable[Trace]) -> Iterator[str]:
    for trace in traces:
        yield trace.model_dump_json() + "\n"


def otlp(traces: Iterable[Trace]) -> Iterator[str]:
    batch: list[dict[str, Any]] = []
    for trace in traces:
        batch.append(span(trace))
        if len(batch) == SPANS_PER_REQUEST:
            yield _request(batch)
            batch = []
    if batch:
        yield _request(batch)


def _request(spans: list[dict[str, Any]]) -> str:
    message = {
        "resourceSpans": [
            {
                "resource": {
                    "attributes": [_attribute("service.name", "llm-flight-recorder")]
                },
                "scopeSpans": [
                    {
                        "scope": {"name": "flight_recorder", "version": __version__},
                        "spans": spans,
                    }
                ],
            }
        ]
    }
    return json.dumps(message, ensure_ascii=False, separators=(",", ":")) + "\n"


def span(trace: Trace) -> dict[str, Any]:
    start = int(trace.created_at.timestamp() * 1_000_000) * 1000
    end = start + int(trace.latency_ms * 1_000_000)
    result: dict[str, Any] = {
        "traceId": trace.id,
        "spanId": hashlib.sha256(trace.id.encode()).hexdigest()[:16],
        "name": f"generate_content {trace.model}",
        "kind": SPAN_KIND_CLIENT,
        "startTimeUnixNano": str(start),
        "endTimeUnixNano": str(end),
        "attributes": [
            _attribute(k, v) for k, v in _attributes(trace) if v is not None
        ],
        "status": {"code": STATUS_OK},
    }
    if trace.error is not None:
        result["status"] = {"code": STATUS_ERROR, "message": trace.error.message}
    return result


def _attributes(trace: Trace) -> list[tuple[str, Any]]:
    response = trace.response
    finish = response.finish_reason if response else None
    return [
        ("gen_ai.operation.name", "generate_content"),
        ("gen_ai.provider.name", PROVIDER_NAMES.get(trace.provider, trace.provider)),
        ("gen_ai.request.model", trace.model),
        ("gen_ai.request.temperature", trace.request.temperature),
        ("gen_ai.request.max_tokens", trace.request.max_output_tokens),
        ("gen_ai.response.model", response.model_version if response else None),
        ("gen_ai.response.id", response.response_id if response else None),
        ("gen_ai.response.finish_reasons", [finish.lower()] if finish else None),
        ("gen_ai.usage.input_tokens", trace.usage.input_tokens),
        ("gen_ai.usage.output_tokens", trace.usage.output_tokens),
        ("gen_ai.conversation.id", trace.session_id),
        ("error.type", trace.error.code if trace.error else None),
        ("flight_recorder.status", trace.status),
        ("flight_recorder.cached", trace.cached),
        ("flight_recorder.cost_usd", trace.cost_usd),
    ]


def _attribute(key: str, value: Any) -> dict[str, Any]:
    return {"key": key, "value": _value(value)}


def _value(value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int):
        return {"intValue": str(value)}
    if isinstance(value, float):
        return {"doubleValue": value}
    if isinstance(value, list):
        return {"arrayValue": {"values": [_value(item) for item in value]}}
    return {"stringValue": str(value)}
