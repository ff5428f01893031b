"""Replay recorded calls and store how each replay compares with the original.

A replay sends a trace's recorded request to the provider again (never from
the cache), optionally with overrides. The replay is a new trace that names
the original (`replay_of`), and a comparison is stored beside it: identical
or not, a similarity figure, a line diff of the two replies, and finish
reason, tokens, latency and cost side by side with their differences.

A set of traces is replayed in batches: each call replays at most `limit`
traces matching a filter, newest first, and returns a cursor for the next
batch, so no single call outlives a serverless deadline and a stopped run
resumes where it left off. The command-line client drives the batches.
"""

from __future__ import annotations

import datetime as dt
import difflib
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from flight_recorder import clock, traces
from flight_recorder.errors import InvalidRequest, NotFound, RecorderError
from flight_recorder.models import (
    ChatRequest,
    ModelName,
    Status,
    TimeRange,
    Trace,
    WholeNumber,
)
from flight_recorder.recorder import CallContext, Recorder
from flight_recorder.store import REPLAYS, Store

REPLAY_BATCH_MAX = 20
DIFF_MAX_LINES = 400

Verdict = Literal["identical", "changed", "failed"]


class Overrides(BaseModel):
    """Request fields a replay may change."""

    model_config = ConfigDict(extra="forbid", strict=True)

    model: ModelName | None = None
    system: str | None = None
    temperature: float | None = Field(None, ge=0.0, le=2.0, allow_inf_nan=False)
    max_output_tokens: WholeNumber | None = Field(None, ge=1, le=65536)


class ReplayFilter(TimeRange):
    model_config = ConfigDict(extra="forbid")

    status: Status | None = None
    model: str | None = Field(None, max_length=128)
    session_id: str | None = Field(None, max_length=128)


class ReplayRequest(BaseModel):
    """One trace by id, or a batch of the traces matching `filter`."""

    model_config = ConfigDict(extra="forbid", strict=True)

    trace_id: str | None = Field(None, pattern=r"^[0-9a-f]{32}$")
    filter: ReplayFilter | None = None
    overrides: Overrides = Field(default_factory=Overrides)
    limit: WholeNumber = Field(5, ge=1, le=REPLAY_BATCH_MAX)
    cursor: str | None = Field(None, max_length=200)


class Side(BaseModel):
    """One figure of the original and of the replay, and their difference."""

    original: float | int | str | None
    replay: float | int | str | None
    delta: float | int | None = None


class Comparison(BaseModel):
    id: str
    created_at: dt.datetime
    original_trace_id: str
    replay_trace_id: str | None
    verdict: Verdict
    similarity: float | None = Field(
        None, description="0 to 1: how much of the two replies match (difflib)."
    )
    diff: list[str] = Field(
        default_factory=list, description="Unified line diff, original to replay."
    )
    error: str | None = None
    overrides: Overrides
    finish_reason: Side
    total_tokens: Side
    latency_ms: Side
    cost_usd: Side


class ReplayList(BaseModel):
    replays: list[Comparison]


class BatchResult(BaseModel):
    identical: int = 0
    changed: int = 0
    failed: int = 0
    replays: list[Comparison] = Field(default_factory=list)
    next_cursor: str | None = None


def _side(original: float | int | None, replay: float | int | None) -> Side:
    delta = None
    if original is not None and replay is not None:
        delta = round(replay - original, 9)
    return Side(original=original, replay=replay, delta=delta)


def line_diff(original: str, replay: str) -> list[str]:
    lines = difflib.unified_diff(
        original.splitlines(),
        replay.splitlines(),
        fromfile="original",
        tofile="replay",
        lineterm="",
    )
    return list(lines)[:DIFF_MAX_LINES]


class Replayer:
    def __init__(self, recorder: Recorder, backing: Store) -> None:
        self._recorder = recorder
        self._store = backing

    def replay(
        self, trace_id: str, overrides: Overrides, key_fingerprint: str | None
    ) -> Comparison:
        original = self._recorder.traces.get(trace_id)
        if original is None:
            raise NotFound(f"no trace with id {trace_id}")
        replay_request(original, overrides)  # refuses a trace it cannot replay
        return self._replay(original, overrides, key_fingerprint)

    def replay_batch(
        self,
        filters: ReplayFilter,
        overrides: Overrides,
        *,
        limit: int,
        cursor: str | None,
        key_fingerprint: str | None,
    ) -> BatchResult:
        trace_filter = traces.TraceFilter(**filters.model_dump())
        start = None if cursor is None else traces.Cursor.decode(cursor)
        page = self._recorder.traces.list(trace_filter, limit=limit, cursor=start)

        result = BatchResult(next_cursor=page.next_cursor)
        for summary in page.items:
            original = self._recorder.traces.get(summary.id)
            if original is None or original.replay_of is not None:
                continue
            comparison = self._replay(original, overrides, key_fingerprint)
            setattr(result, comparison.verdict, getattr(result, comparison.verdict) + 1)
            result.replays.append(comparison)
        return result

    def replays_of(self, trace_id: str) -> list[Comparison]:
        documents = self._store.run(
            lambda db: list(
                db[REPLAYS]
                .find({"original_trace_id": trace_id})
                .sort([("created_at", -1), ("_id", -1)])
                .limit(100)
            )
        )
        return [Comparison.model_validate(_with_id(document)) for document in documents]

    def _replay(
        self, original: Trace, overrides: Overrides, key_fingerprint: str | None
    ) -> Comparison:
        context = CallContext(
            user_agent="flight-recorder-replay",
            key_fingerprint=key_fingerprint,
            replay_of=original.id,
        )
        try:
            result = self._recorder.chat(replay_request(original, overrides), context)
        except RecorderError as exc:
            comparison = _failed(original, overrides, exc)
        else:
            replayed = self._recorder.traces.get(result.reply.trace_id)
            comparison = compare(original, replayed, overrides, result.reply.trace_id)
        document = comparison.model_dump(exclude={"id"}) | {"_id": comparison.id}
        self._store.run(lambda db: db[REPLAYS].insert_one(document))
        return comparison


def replay_request(original: Trace, overrides: Overrides) -> ChatRequest:
    """The recorded request, with `overrides` applied; refused if not whole."""
    recorded = original.request
    if recorded.message.truncated or (recorded.system and recorded.system.truncated):
        raise InvalidRequest(
            "this trace stored a shortened prompt, so it cannot be replayed exactly"
        )
    fields: dict[str, Any] = {
        "message": recorded.message.text,
        "system": None if recorded.system is None else recorded.system.text,
        "model": original.model,
        "temperature": recorded.temperature,
        "max_output_tokens": recorded.max_output_tokens,
    }
    fields |= overrides.model_dump(exclude_none=True)
    fields |= {
        "session_id": original.session_id,
        "tags": original.tags,
        "bypass_cache": True,
    }
    return ChatRequest.model_validate(fields)


def compare(
    original: Trace, replayed: Trace | None, overrides: Overrides, replay_id: str
) -> Comparison:
    before = _reply_text(original)
    after = _reply_text(replayed) if replayed is not None else ""
    verdict: Verdict = "identical" if before == after else "changed"
    if replayed is None or replayed.status == "error":
        verdict = "failed"
    return Comparison(
        id=traces.new_trace_id(),
        created_at=clock.now(),
        original_trace_id=original.id,
        replay_trace_id=replay_id,
        verdict=verdict,
        similarity=round(difflib.SequenceMatcher(None, before, after).ratio(), 6),
        diff=line_diff(before, after),
        overrides=overrides,
        finish_reason=Side(
            original=_finish(original), replay=_finish(replayed) if replayed else None
        ),
        total_tokens=_side(
            original.usage.total_tokens,
            replayed.usage.total_tokens if replayed else None,
        ),
        latency_ms=_side(
            original.latency_ms, replayed.latency_ms if replayed else None
        ),
        cost_usd=_side(original.cost_usd, replayed.cost_usd if replayed else None),
    )


def _failed(original: Trace, overrides: Overrides, error: RecorderError) -> Comparison:
    return Comparison(
        id=traces.new_trace_id(),
        created_at=clock.now(),
        original_trace_id=original.id,
        replay_trace_id=error.trace_id,
        verdict="failed",
        error=f"{error.code}: {error.message}",
        overrides=overrides,
        finish_reason=Side(original=_finish(original), replay=None),
        total_tokens=_side(original.usage.total_tokens, None),
        latency_ms=_side(original.latency_ms, None),
        cost_usd=_side(original.cost_usd, None),
    )


def _reply_text(trace: Trace) -> str:
    return "" if trace.response is None else trace.response.reply.text


def _finish(trace: Trace | None) -> str | None:
    if trace is None or trace.response is None:
        return None
    return trace.response.finish_reason


def _with_id(document: dict) -> dict:
    fields = dict(document)
    fields["id"] = fields.pop("_id")
    return fields
