"""Traces written straight into the store, to measure reads at a given size.

Each trace carries a corpus prompt (cut at the default trace text limit, as
the recorder would) and a mix of statuses, models, sessions and cache hits
spread over the last 23 hours, so lists, filters and the metrics aggregates
have realistic work. The mix is a pure function of the trace number.
"""

from __future__ import annotations

import datetime as dt
import random

import corpus

from flight_recorder import clock
from flight_recorder.models import RecordedRequest, RecordedResponse, Trace
from flight_recorder.providers.base import Usage
from flight_recorder.recorder import record_text
from flight_recorder.store import TRACES, Store

TEXT_LIMIT = 32_768
SPAN = dt.timedelta(hours=23)
MODELS = ("gemini-2.5-flash", "gemini-2.5-pro", "gemini-2.5-flash-lite")
SESSIONS = 200
# Out of 100 traces: 2 errors, 1 rate-limited, 20 served from the cache.
ERRORS, LIMITED, CACHED = 2, 1, 20
FILTER_STATUS = "error"


def insert(backing: Store, first: int, count: int) -> list[str]:
    """Insert traces numbered `first` to `first + count - 1`; returns their ids."""
    now = clock.now()
    documents = [trace(n, now).to_document() for n in range(first, first + count)]
    backing.run(lambda db: db[TRACES].insert_many(documents, ordered=False))
    return [document["_id"] for document in documents]


def trace(number: int, now: dt.datetime) -> Trace:
    draw = random.Random(number)
    kind = number % 100
    status = "ok"
    if kind < ERRORS:
        status = FILTER_STATUS
    elif kind < ERRORS + LIMITED:
        status = "rate_limited"
    message = corpus.prompt(number)
    created = now - SPAN * draw.random()
    response = None
    usage = Usage()
    if status == "ok":
        reply = f"[mock] You said: {' '.join(message.split())[:80]}"
        response = RecordedResponse(
            reply=record_text(reply, TEXT_LIMIT), finish_reason="STOP"
        )
        tokens = len(message) // 4 + 1
        usage = Usage(input_tokens=tokens, output_tokens=25, total_tokens=tokens + 25)
    return Trace(
        id=f"{draw.getrandbits(128):032x}",
        created_at=created.replace(microsecond=created.microsecond // 1000 * 1000),
        status=status,
        provider="mock",
        model=MODELS[number % len(MODELS)],
        cached=status == "ok" and kind >= 100 - CACHED,
        latency_ms=round(1 + 400 * draw.random(), 3),
        request=RecordedRequest(message=record_text(message, TEXT_LIMIT)),
        response=response,
        usage=usage,
        session_id=f"session-{number % SESSIONS}",
    )
