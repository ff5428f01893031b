"""The trace store: insert one trace, read one, list summaries newest first.

Listing uses keyset pagination on (created_at, _id), both descending: the
cursor is the last item's pair, so ties on the timestamp are broken by the id
and no item lands on two pages or on none, even while new traces arrive.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import heapq
import json
import re
import uuid
from collections.abc import Iterator
from typing import Any

import pymongo
from pydantic import BaseModel, ConfigDict, Field
from pymongo.collection import Collection

from flight_recorder import clock
from flight_recorder.errors import InvalidRequest, InvalidTraceId
from flight_recorder.models import LATEST, Status, TimeRange, Trace, TraceSummary
from flight_recorder.store import TRACES, Store

_LATEST_MILLIS = int(LATEST.timestamp() * 1000)

TRACE_ID = re.compile(r"^[0-9a-f]{32}$")
NEWEST = [("created_at", pymongo.DESCENDING), ("_id", pymongo.DESCENDING)]
_KEY = {"created_at": 1}

_SUMMARY_FIELDS = {
    "created_at": 1,
    "status": 1,
    "provider": 1,
    "model": 1,
    "cached": 1,
    "latency_ms": 1,
    "cost_usd": 1,
    "session_id": 1,
    "usage.total_tokens": 1,
    "response.finish_reason": 1,
    "response.reply.preview": 1,
    "request.message.preview": 1,
    "error.code": 1,
}


def new_trace_id() -> str:
    return uuid.uuid4().hex


def check_trace_id(value: str) -> str:
    if not TRACE_ID.fullmatch(value):
        raise InvalidTraceId("a trace id is 32 lowercase hexadecimal characters")
    return value


class TraceFilter(BaseModel):
    status: Status | None = None
    model: str | None = None
    cached: bool | None = None
    session_id: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None

    def query(self) -> dict[str, Any]:
        query: dict[str, Any] = {}
        for field in ("status", "model", "cached", "session_id"):
            value = getattr(self, field)
            if value is not None:
                query[field] = value
        created: dict[str, dt.datetime] = {}
        if self.since is not None:
            created["$gte"] = self.since
        if self.until is not None:
            created["$lt"] = self.until
        if created:
            query["created_at"] = created
        return query


class Cursor(BaseModel):
    created_at: dt.datetime
    id: str

    def encode(self) -> str:
        millis = int(self.created_at.timestamp() * 1000)
        raw = json.dumps([millis, self.id], separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str) -> Cursor:
        try:
            padded = token + "=" * (-len(token) % 4)
            millis, trace_id = json.loads(base64.urlsafe_b64decode(padded))
            if type(millis) is not int or not 0 <= millis < _LATEST_MILLIS:
                raise ValueError("not a time this API writes")
            created = dt.datetime.fromtimestamp(millis / 1000, dt.UTC)
            return cls(created_at=created, id=check_trace_id(trace_id))
        except (ValueError, TypeError, binascii.Error, InvalidTraceId, OverflowError):
            raise InvalidRequest("cursor is not one this API issued") from None

    def query(self) -> dict[str, Any]:
        return {
            "$or": [
                {"created_at": {"$lt": self.created_at}},
                {"created_at": self.created_at, "_id": {"$lt": self.id}},
            ]
        }


class TracePage(BaseModel):
    items: list[TraceSummary]
    next_cursor: str | None = None
    limit: int = Field(ge=1)


class TraceStore:
    def __init__(self, store: Store) -> None:
        self._store = store

    def insert(self, trace: Trace) -> None:
        document = trace.to_document()
        self._store.run(lambda db: db[TRACES].insert_one(document))

    def get(self, trace_id: str) -> Trace | None:
        document = self._store.run(lambda db: db[TRACES].find_one({"_id": trace_id}))
        return None if document is None else Trace.from_document(document)

    def iterate(self, filters: TraceFilter, *, batch: int = 200) -> Iterator[Trace]:
        """Every matching trace, newest first, read one keyset page at a time."""
        order = [("created_at", pymongo.DESCENDING), ("_id", pymongo.DESCENDING)]
        cursor: Cursor | None = None
        while True:
            query = filters.query()
            if cursor is not None:
                query = {"$and": [query, cursor.query()]}
            documents = self._read_page(query, order, batch)
            for document in documents:
                yield Trace.from_document(document)
            if len(documents) < batch:
                return
            last = documents[-1]
            cursor = Cursor(created_at=clock.as_utc(last["created_at"]), id=last["_id"])

    def _read_page(self, query: dict, order: list, batch: int) -> list[dict]:
        return self._store.run(
            lambda db: list(db[TRACES].find(query).sort(order).limit(batch))
        )

    def list(
        self, filters: TraceFilter, *, limit: int, cursor: Cursor | None = None
    ) -> TracePage:
        query = filters.query()
        if cursor is not None:
            query = {"$and": [query, cursor.query()]} if query else cursor.query()
        native_sort = self._store.kind == "mongodb"

        documents = self._store.run(
            lambda db: _newest(db[TRACES], query, limit + 1, native_sort=native_sort)
        )
        items = [summarise(document) for document in documents[:limit]]
        next_cursor = None
        if len(documents) > limit:
            last = items[-1]
            next_cursor = Cursor(created_at=last.created_at, id=last.id).encode()
        return TracePage(items=items, next_cursor=next_cursor, limit=limit)


def _newest(
    collection: Collection, query: dict[str, Any], count: int, *, native_sort: bool
) -> list[dict[str, Any]]:
    """The summaries of the `count` newest traces matching `query`."""
    if native_sort:
        found = collection.find(query, _SUMMARY_FIELDS).sort(NEWEST)
        return list(found.limit(count))

    # mongomock and litemongo sort through a generic BSON comparison costing
    # tens of microseconds a call, and walk a long cursor in quadratic time:
    # a page over 10,000 traces took seconds. Instead, one linear pass finds
    # the distinct timestamps of the matches; at least `count` matches are as
    # new as the `count`-th newest of them, and the newest `count` are among
    # those, so only they are sorted.
    stamps = collection.find(query, _KEY).distinct("created_at")
    if not stamps:
        return []
    oldest = heapq.nlargest(count, stamps)[-1]
    since = {"created_at": {"$gte": oldest}}
    recent = {"$and": [query, since]} if query else since
    found = collection.find(recent, _SUMMARY_FIELDS).sort(NEWEST)
    return list(found.limit(count))


def summarise(document: dict) -> TraceSummary:
    response = document.get("response") or {}
    error = document.get("error") or {}
    return TraceSummary(
        id=document["_id"],
        created_at=clock.as_utc(document["created_at"]),
        status=document["status"],
        provider=document["provider"],
        model=document["model"],
        cached=document.get("cached", False),
        latency_ms=document["latency_ms"],
        cost_usd=document.get("cost_usd"),
        finish_reason=response.get("finish_reason"),
        total_tokens=(document.get("usage") or {}).get("total_tokens"),
        session_id=document.get("session_id"),
        error_code=error.get("code"),
        message_preview=document["request"]["message"]["preview"],
        reply_preview=(response.get("reply") or {}).get("preview"),
    )


PAGE_DEFAULT = 20
PAGE_MAX = 100


class TraceQuery(TimeRange):
    """The query parameters of the traces list, parsed from strings."""

    model_config = ConfigDict(extra="forbid")

    limit: int = Field(PAGE_DEFAULT, ge=1, le=PAGE_MAX)
    cursor: str | None = Field(None, max_length=200)
    status: Status | None = None
    model: str | None = Field(None, max_length=128)
    cached: bool | None = None
    session_id: str | None = Field(None, max_length=128)

    def filter(self) -> TraceFilter:
        return TraceFilter(
            status=self.status,
            model=self.model,
            cached=self.cached,
            session_id=self.session_id,
            since=_utc(self.since),
            until=_utc(self.until),
        )


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    """Naive instants are read as UTC."""
    return None if value is None else clock.as_utc(value)
