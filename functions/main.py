"""HTTP functions of LLM Flight Recorder (functions-framework entry points).

Each function is deployed separately from this folder with its own entry
point: `chat`, `traces`, `trace_detail`, `health`, `metrics`, `replay` and
`export`. They share nothing but the store.
"""

from __future__ import annotations

import logging

import flask
import functions_framework
from werkzeug.exceptions import HTTPException

from flight_recorder import __version__, logs, recorder, settings, store
from flight_recorder import export as exports
from flight_recorder import metrics as metric_log
from flight_recorder import replay as replays
from flight_recorder import traces as trace_log
from flight_recorder.errors import (
    InvalidRequest,
    NotFound,
    PayloadTooLarge,
    RecorderError,
)
from flight_recorder.models import ChatRequest
from flight_recorder.web import (
    Exchange,
    endpoint,
    framework_error_response,
    json_response,
    query_params,
    read_json,
    read_query,
)

logs.configure(settings.get().LOG_LEVEL)
functions_framework.errorhandler(HTTPException)(framework_error_response)
if not settings.get().api_keys:
    logging.getLogger(__name__).warning(
        "API_KEYS is not set: every function is open to anyone who can reach it"
    )


# A store failure this recent makes health report "degraded".
HEALTH_WINDOW_SECONDS = 60.0


@endpoint("chat", methods=("POST",))
def chat(request: flask.Request, exchange: Exchange) -> flask.Response:
    """Answer a prompt through the provider and record the call."""
    body: ChatRequest = read_json(request, ChatRequest)
    limit = settings.get().MAX_MESSAGE_CHARS
    if len(body.message) > limit:
        raise PayloadTooLarge(f"message is longer than {limit} characters")

    context = recorder.CallContext(
        user_agent=request.headers.get("User-Agent"),
        key_fingerprint=exchange.key_fingerprint,
    )
    if body.playback:
        played = recorder.get().playback(body, context)
        exchange.fields.update(playback=played.source_trace_id, model=played.model)
        return json_response(played, 200, {"X-Playback-Source": played.source_trace_id})
    try:
        result = recorder.get().chat(body, context)
    except RecorderError as exc:
        exchange.fields["trace_id"] = exc.trace_id
        raise

    reply = result.reply
    exchange.fields.update(
        trace_id=reply.trace_id,
        cache=result.headers.get("X-Cache"),
        model=reply.model,
        outcome=reply.outcome,
        total_tokens=reply.usage.total_tokens,
        degraded=not reply.trace_stored,
    )
    return json_response(reply, 200, result.headers)


@endpoint("traces", methods=("GET",))
def traces(request: flask.Request, exchange: Exchange) -> flask.Response:
    """List trace summaries, newest first, one page per call."""
    query = read_query(request, trace_log.TraceQuery)

    cursor = None if query.cursor is None else trace_log.Cursor.decode(query.cursor)
    page = recorder.get().traces.list(query.filter(), limit=query.limit, cursor=cursor)
    exchange.fields["items"] = len(page.items)
    return json_response(page)


@endpoint("trace-detail", methods=("GET",))
def trace_detail(request: flask.Request, exchange: Exchange) -> flask.Response:
    """One whole trace, by id in the path (`/trace-detail/<id>`) or `?trace_id=`."""
    in_query = query_params(request, {"trace_id"}).get("trace_id")
    in_path = _last_path_segment(request.path)
    if in_query and in_path and in_query != in_path:
        raise InvalidRequest("the path and ?trace_id= name different traces")
    trace_id = in_query or in_path
    if not trace_id:
        raise InvalidRequest("give a trace id in the path or as ?trace_id=")
    trace_log.check_trace_id(trace_id)

    exchange.fields["trace_id"] = trace_id
    trace = recorder.get().traces.get(trace_id)
    if trace is None:
        raise NotFound(f"no trace with id {trace_id}")
    return json_response(trace)


@endpoint("health", methods=("GET",), public=True)
def health(request: flask.Request, exchange: Exchange) -> flask.Response:
    """Whether this function can serve: settings, store and provider."""
    config = settings.get()
    backing = store.get()
    reachable = backing.ping()
    healthy = reachable and not backing.failed_within(HEALTH_WINDOW_SECONDS)
    body = {
        "status": "ok" if healthy else "degraded",
        "version": __version__,
        "environment": config.API_ENV,
        "mock": config.USE_MOCK_LLM,
        "provider": config.provider_name,
        "model": config.GEMINI_MODEL_NAME,
        "mongo_enabled": config.MONGODB_URI is not None,
        "auth": "api_key" if config.api_keys else "open",
        "store": {
            "kind": backing.kind,
            "reachable": reachable,
            "failures": {
                "operations": backing.events["store_failures"],
                "unstored_traces": backing.events["unstored_traces"],
            },
        },
    }
    exchange.fields["store_reachable"] = reachable
    return json_response(body, 200 if reachable else 503)


def _last_path_segment(path: str) -> str | None:
    segments = [part for part in path.split("/") if part]
    if segments and segments[0] in ("trace-detail", "trace_detail"):
        segments = segments[1:]
    if len(segments) > 1:
        raise InvalidRequest("the path holds more than one trace id")
    return segments[0] if segments else None


@endpoint("metrics", methods=("GET",))
def metrics(request: flask.Request, exchange: Exchange) -> flask.Response:
    """Figures over a time range: volume, errors, cache, latency, tokens, cost."""
    query = read_query(request, metric_log.MetricsQuery)

    window = query.window()
    report = metric_log.compute(store.get(), window)
    exchange.fields.update(requests=report.requests, buckets=len(report.buckets))
    return json_response(report)


@endpoint("replay", methods=("POST", "GET"))
def replay(request: flask.Request, exchange: Exchange) -> flask.Response:
    """Replay a trace or a batch of traces (POST); list a trace's replays (GET)."""
    replayer = replays.Replayer(recorder.get(), store.get())
    if request.method == "GET":
        trace_id = query_params(request, {"trace_id"}).get("trace_id")
        if trace_id is None:
            raise InvalidRequest("give ?trace_id= to list the replays of a trace")
        trace_log.check_trace_id(trace_id)
        return json_response(replays.ReplayList(replays=replayer.replays_of(trace_id)))

    body: replays.ReplayRequest = read_json(request, replays.ReplayRequest)
    if (body.trace_id is None) == (body.filter is None):
        raise InvalidRequest("give either trace_id or filter, not both")
    if body.trace_id is not None:
        exchange.fields["trace_id"] = body.trace_id
        comparison = replayer.replay(
            body.trace_id, body.overrides, exchange.key_fingerprint
        )
        return json_response(comparison)

    assert body.filter is not None
    batch = replayer.replay_batch(
        body.filter,
        body.overrides,
        limit=body.limit,
        cursor=body.cursor,
        key_fingerprint=exchange.key_fingerprint,
    )
    exchange.fields["replayed"] = len(batch.replays)
    return json_response(batch)


@endpoint("export", methods=("GET",))
def export(request: flask.Request, exchange: Exchange) -> flask.Response:
    """Stream the traces matching a filter as JSON Lines or OTLP JSON."""
    query = read_query(request, exports.ExportQuery)

    found = recorder.get().traces.iterate(query.filter())
    lines = exports.otlp(found) if query.format == "otlp" else exports.jsonl(found)
    exchange.fields["format"] = query.format
    response = flask.Response(
        flask.stream_with_context(exports.guarded(lines)),
        mimetype="application/x-ndjson",
    )
    response.headers["Content-Disposition"] = (
        f'attachment; filename="traces.{query.format}.jsonl"'
    )
    return response
