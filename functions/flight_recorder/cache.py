"""The exact-match response cache, kept in the store with a TTL index.

The key is a hash over a canonical form of everything sent to the provider,
so the same request hits whatever order its JSON fields came in, and a change
to any field misses. Only complete answers are cached: a reply with text that
the provider finished with `STOP`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from typing import Any

import pymongo.errors
from pydantic import BaseModel

from flight_recorder import clock
from flight_recorder.errors import StoreUnavailable
from flight_recorder.providers.base import Generation, GenerationRequest
from flight_recorder.store import CACHE, Store

log = logging.getLogger(__name__)

# Bumped whenever the canonical form changes, so old entries stop matching.
KEY_VERSION = 1


def cache_key(provider: str, request: GenerationRequest, *, scope: str = "") -> str:
    """The hex SHA-256 of the canonical request, namespaced by `scope`."""
    canonical = {
        "v": KEY_VERSION,
        "scope": scope,
        "provider": provider,
        "request": request.model_dump(),
    }
    encoded = json.dumps(
        canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


def is_cacheable(generation: Generation) -> bool:
    return bool(generation.text) and generation.finish_reason == "STOP"


class CachedReply(BaseModel):
    generation: Generation
    source_trace_id: str
    created_at: dt.datetime


class ResponseCache:
    """Lookups and writes never fail a request: a store fault is a miss."""

    def __init__(self, store: Store, ttl_seconds: int) -> None:
        self._store = store
        self._ttl = dt.timedelta(seconds=ttl_seconds)

    def lookup(self, key: str) -> CachedReply | None:
        now = clock.now()
        try:
            entry = self._store.run(
                lambda db: db[CACHE].find_one({"_id": key, "expires_at": {"$gt": now}})
            )
        except StoreUnavailable:
            log.warning("cache lookup skipped: store unavailable")
            return None
        if entry is None:
            return None
        return CachedReply.model_validate(entry)

    def save(self, key: str, generation: Generation, source_trace_id: str) -> bool:
        """Store a cacheable answer; returns whether it was stored."""
        if not is_cacheable(generation):
            return False
        now = clock.now()
        entry = {
            "generation": generation.model_dump(),
            "source_trace_id": source_trace_id,
            "created_at": now,
            "expires_at": now + self._ttl,
        }
        try:
            self._write(key, entry)
        except StoreUnavailable:
            log.warning("cache write skipped: store unavailable")
            return False
        return True

    def _write(self, key: str, entry: dict[str, Any]) -> None:
        # An insert, not an upsert: mongomock runs an upsert as a scan of the
        # whole collection. A key already there (an expired entry, a
        # bypass_cache call or a racing save) is then replaced.
        try:
            self._store.run(lambda db: db[CACHE].insert_one({"_id": key} | entry))
        except pymongo.errors.DuplicateKeyError:
            self._store.run(lambda db: db[CACHE].replace_one({"_id": key}, entry))
