"""The store on each backend: traces, cache entries, indexes, persistence."""

from __future__ import annotations

import datetime as dt

from flight_recorder import cache, clock, store, traces
from flight_recorder.providers.base import Generation, GenerationRequest, Usage
from recorder_testing import make_trace

UNICODE = "Café naïve — 東京 🚀 e\u0301 zero\u200bwidth"


def test_store_trace_round_trips_exactly(any_store):
    trace_store = traces.TraceStore(any_store)
    trace = make_trace(1, seconds=0.123, metadata={"k": UNICODE}, tags=[UNICODE[:10]])

    trace_store.insert(trace)

    assert trace_store.get(trace.id) == trace
    assert trace_store.get("f" * 32) is None


def test_store_creates_the_list_indexes(any_store):
    names = set(any_store.run(lambda db: db[store.TRACES].index_information()))
    cache_indexes = any_store.run(lambda db: db[store.CACHE].index_information())

    assert {"newest", "status_newest", "model_newest", "cached_newest"} <= names
    assert {"session_id_newest"} <= names
    if any_store.kind == "mongodb":
        assert cache_indexes["expiry"]["expireAfterSeconds"] == 0
    else:
        assert "expiry" not in cache_indexes


def test_cache_entry_is_served_until_it_expires(any_store, moving_clock):
    response_cache = cache.ResponseCache(any_store, ttl_seconds=60)
    generation = Generation(text="hi", finish_reason="STOP", usage=Usage())
    key = cache.cache_key("mock", GenerationRequest(model="m", message="q"))

    assert response_cache.save(key, generation, "a" * 32) is True
    hit = response_cache.lookup(key)
    moving_clock.advance(seconds=61)

    assert hit is not None
    assert hit.generation == generation
    assert hit.source_trace_id == "a" * 32
    assert response_cache.lookup(key) is None


def test_cache_save_replaces_the_entry_of_the_same_key(any_store):
    response_cache = cache.ResponseCache(any_store, ttl_seconds=60)
    key = cache.cache_key("mock", GenerationRequest(model="m", message="q"))
    first = Generation(text="one", finish_reason="STOP", usage=Usage())
    second = Generation(text="two", finish_reason="STOP", usage=Usage())

    response_cache.save(key, first, "a" * 32)
    replaced = response_cache.save(key, second, "b" * 32)
    hit = response_cache.lookup(key)

    assert replaced is True
    assert hit is not None
    assert hit.generation == second
    assert hit.source_trace_id == "b" * 32


def test_cache_key_ignores_field_order_and_sees_every_field():
    base = GenerationRequest(model="m", message="q", system="s", temperature=0.5)
    same = GenerationRequest.model_validate(
        {"temperature": 0.5, "system": "s", "message": "q", "model": "m"}
    )
    variants = [
        base.model_copy(update={"model": "n"}),
        base.model_copy(update={"message": "q "}),
        base.model_copy(update={"system": None}),
        base.model_copy(update={"temperature": 0.0}),
        base.model_copy(update={"max_output_tokens": 10}),
    ]

    key = cache.cache_key("mock", base)

    assert cache.cache_key("mock", same) == key
    assert cache.cache_key("gemini", base) != key
    assert len({cache.cache_key("mock", v) for v in variants} | {key}) == 6


def test_embedded_store_keeps_traces_after_reopening(tmp_path):
    path = str(tmp_path / "store")
    first = store.open_embedded(path, "flight_recorder")
    trace = make_trace(7, seconds=1)
    traces.TraceStore(first).insert(trace)
    first.close()

    second = store.open_embedded(path, "flight_recorder")
    try:
        assert traces.TraceStore(second).get(trace.id) == trace
    finally:
        second.close()


def test_embedded_store_drops_expired_entries_and_ttl_indexes_when_reopened(
    tmp_path,
):
    path = str(tmp_path / "store")
    now = clock.now()
    entries = [
        {"_id": "spent", "expires_at": now - dt.timedelta(seconds=1)},
        {"_id": "live", "expires_at": now + dt.timedelta(days=1)},
    ]

    def older_version(db):
        db[store.CACHE].insert_many(entries)
        db[store.COUNTERS].create_index(
            "expires_at", expireAfterSeconds=0, name="expiry"
        )

    first = store.open_embedded(path, "flight_recorder")
    first.run(older_version)
    first.close()
    second = store.open_embedded(path, "flight_recorder")
    try:
        kept = second.run(lambda db: [e["_id"] for e in db[store.CACHE].find()])
        indexes = second.run(lambda db: db[store.COUNTERS].index_information())
    finally:
        second.close()

    assert kept == ["live"]
    assert "expiry" not in indexes


def test_store_reports_whether_it_is_reachable(any_store):
    assert any_store.ping() is True


def test_mongodb_store_unreachable_is_reported_not_raised():
    import pymongo

    client = pymongo.MongoClient(
        "mongodb://127.0.0.1:1/", serverSelectionTimeoutMS=200, connect=False
    )
    unreachable = store.Store(client["x"], "mongodb")

    assert unreachable.ping() is False
