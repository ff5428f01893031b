"""The metrics function: figures computed by the store over known traces."""

from __future__ import annotations

import datetime as dt
import json
import random

import pymongo.errors
import pytest

from flight_recorder import metrics, store
from flight_recorder.models import RecordedRequest, RecordedText, Trace
from flight_recorder.providers.base import Usage
from flight_recorder.store import TRACES

T0 = dt.datetime(2027, 3, 16, 12, 0, tzinfo=dt.UTC)


def text(value: str) -> RecordedText:
    return RecordedText(
        text=value, chars=len(value), sha256="0" * 64, truncated=False, preview=value
    )


def trace(number: int, **fields) -> dict:
    """The stored document of a trace; `cost_usd` and the like ride along as-is."""
    known = {
        name: fields.pop(name) for name in list(fields) if name in Trace.model_fields
    }
    document = Trace(
        id=f"{number:032x}",
        created_at=known.pop("created_at", T0 + dt.timedelta(seconds=number)),
        status=known.pop("status", "ok"),
        provider="mock",
        model=known.pop("model", "gemini-2.5-flash"),
        latency_ms=known.pop("latency_ms", 100.0),
        request=RecordedRequest(message=text(f"prompt {number}")),
        **known,
    ).to_document()
    return document | fields


def insert(backing: store.Store, documents: list[dict]) -> None:
    backing.run(lambda db: db[TRACES].insert_many(documents))


def compute(backing: store.Store, minutes: int = 10, bucket: int = 60):
    window = metrics.Window.of(T0, T0 + dt.timedelta(minutes=minutes), bucket)
    return metrics.compute(backing, window)


def known_traces() -> list[dict]:
    """Ten calls over three minutes: two models, two failures, three cache hits."""
    usage = Usage(input_tokens=10, output_tokens=5, total_tokens=15)
    no_tokens = Usage(input_tokens=0, output_tokens=0, total_tokens=0)
    return [
        trace(1, latency_ms=120.0, usage=usage, cost_usd=0.002),
        trace(2, latency_ms=80.0, usage=usage, cost_usd=0.002),
        trace(3, latency_ms=4.0, cached=True, usage=no_tokens, saved_cost_usd=0.002),
        trace(61, latency_ms=300.0, model="gemini-2.5-pro", usage=usage, cost_usd=0.01),
        trace(62, latency_ms=2.0, cached=True, usage=no_tokens, saved_cost_usd=0.002),
        trace(63, latency_ms=500.0, status="error", model="gemini-2.5-pro"),
        trace(64, latency_ms=1.0, status="rate_limited"),
        trace(125, latency_ms=90.0, status="blocked", usage=usage),
        trace(126, latency_ms=3.0, cached=True, usage=no_tokens, saved_cost_usd=0.01),
        trace(127, latency_ms=60.0, status="empty", usage=usage, cost_usd=None),
    ]


def test_metrics_counts_rates_tokens_and_cost(any_store):
    insert(any_store, known_traces())

    report = compute(any_store)

    assert report.requests == 10
    assert report.errors == 2
    assert report.error_rate == 0.2
    assert report.cache_hits == 3
    assert report.cache_hit_rate == 0.3
    assert report.tokens.model_dump() == {"input": 50, "output": 25, "total": 75}
    assert report.cost_usd == 0.014
    assert report.saved_cost_usd == 0.014
    assert report.priced_requests == 3
    assert report.by_status == {
        "ok": 6,
        "blocked": 1,
        "empty": 1,
        "error": 1,
        "rate_limited": 1,
    }


def test_metrics_latency_is_nearest_rank(any_store):
    insert(any_store, known_traces())

    latency = compute(any_store).latency_ms

    # Sorted: 1 2 3 4 60 80 90 120 300 500; ranks 5, 10 and 10 of 10.
    assert latency.p50_ms == 60.0
    assert latency.p95_ms == 500.0
    assert latency.p99_ms == 500.0
    assert latency.avg_ms == 116.0
    assert latency.max_ms == 500.0


def test_metrics_percentiles_of_a_hundred_latencies(any_store):
    latencies = [float(value) for value in range(1, 101)]
    random.Random(7).shuffle(latencies)
    insert(any_store, [trace(n, latency_ms=ms) for n, ms in enumerate(latencies)])

    latency = compute(any_store).latency_ms

    assert (latency.p50_ms, latency.p95_ms, latency.p99_ms) == (50.0, 95.0, 99.0)


def test_metrics_models_are_ranked_by_requests(any_store):
    insert(any_store, known_traces())

    report = compute(any_store)

    assert [model.model_dump() for model in report.by_model] == [
        {
            "model": "gemini-2.5-flash",
            "requests": 8,
            "errors": 1,
            "cache_hits": 3,
            "total_tokens": 60,
            "cost_usd": 0.004,
        },
        {
            "model": "gemini-2.5-pro",
            "requests": 2,
            "errors": 1,
            "cache_hits": 0,
            "total_tokens": 15,
            "cost_usd": 0.01,
        },
    ]
    assert report.other_models_requests == 0


def test_metrics_buckets_cover_the_range_with_empty_ones(any_store):
    insert(any_store, known_traces())

    buckets = compute(any_store, minutes=5).buckets

    assert [bucket.start for bucket in buckets] == [
        T0 + dt.timedelta(minutes=m) for m in range(5)
    ]
    assert [b.requests for b in buckets] == [3, 4, 3, 0, 0]
    assert [b.errors for b in buckets] == [0, 2, 0, 0, 0]
    assert [b.cache_hits for b in buckets] == [1, 1, 1, 0, 0]
    assert [b.avg_latency_ms for b in buckets] == [68.0, 200.75, 51.0, None, None]
    assert [b.max_latency_ms for b in buckets] == [120.0, 500.0, 90.0, None, None]


def test_metrics_buckets_align_on_their_size(any_store):
    insert(
        any_store,
        [trace(n, created_at=T0 + dt.timedelta(minutes=n)) for n in range(90)],
    )
    since = T0 + dt.timedelta(minutes=20)

    window = metrics.Window.of(since, since + dt.timedelta(hours=2), 3600)
    report = metrics.compute(any_store, window)

    assert [(b.start, b.requests) for b in report.buckets] == [
        (T0, 40),
        (T0 + dt.timedelta(hours=1), 30),
        (T0 + dt.timedelta(hours=2), 0),
    ]
    assert report.requests == 70


def test_metrics_range_includes_since_and_excludes_until(any_store):
    insert(any_store, [trace(0), trace(59), trace(60), trace(61)])

    report = compute(any_store, minutes=1)

    assert report.requests == 2


def test_metrics_of_an_empty_range_are_zero(any_store):
    report = compute(any_store)

    assert report.requests == 0
    assert report.error_rate == 0.0
    assert report.latency_ms.model_dump() == dict.fromkeys(
        ("p50_ms", "p95_ms", "p99_ms", "avg_ms", "max_ms")
    )
    assert report.tokens.total == 0
    assert len(report.buckets) == 10


def test_metrics_keep_only_the_busiest_models(memory_store):
    documents = [
        trace(n * 100 + k, model=f"model-{n:02d}")
        for n in range(metrics.TOP_MODELS + 5)
        for k in range(n + 1)
    ]
    insert(memory_store, documents)

    report = compute(memory_store, minutes=60)

    assert len(report.by_model) == metrics.TOP_MODELS
    assert report.by_model[0].model == f"model-{metrics.TOP_MODELS + 4:02d}"
    assert report.other_models_requests == 1 + 2 + 3 + 4 + 5


def test_metrics_answer_does_not_grow_with_the_traces(memory_store):
    def size(count: int) -> int:
        memory_store.run(lambda db: db[TRACES].delete_many({}))
        insert(
            memory_store, [trace(n, latency_ms=float(n % 997)) for n in range(count)]
        )
        return len(compute(memory_store, minutes=60).model_dump_json())

    small, large = size(200), size(2000)

    assert large - small < 100


def get_metrics(client, **params):
    return client("metrics").get("/", query_string=params)


def test_metrics_function_answers_over_http(client, memory_store):
    insert(memory_store, known_traces())

    response = get_metrics(
        client,
        since="2027-03-16T12:00:00Z",
        until="2027-03-16T12:05:00",
        bucket="minute",
    )

    body = response.get_json()
    assert response.status_code == 200
    assert body["requests"] == 10
    assert body["bucket_seconds"] == 60
    assert body["since"] == "2027-03-16T12:00:00Z"
    assert body["latency_ms"]["p50_ms"] == 60.0
    assert [bucket["requests"] for bucket in body["buckets"]] == [3, 4, 3, 0, 0]
    assert json.loads(response.data) == body


def test_metrics_default_to_the_last_day_in_hours(client, moving_clock):
    body = get_metrics(client).get_json()

    assert body["until"] == "2027-03-16T12:00:00Z"
    assert body["since"] == "2027-03-15T12:00:00Z"
    assert body["bucket_seconds"] == 3600
    assert len(body["buckets"]) == 24


@pytest.mark.parametrize(
    ("bucket", "seconds"), [("minute", 60), ("hour", 3600), ("day", 86400), ("90", 90)]
)
def test_metrics_bucket_by_name_or_seconds(client, bucket, seconds):
    body = get_metrics(
        client,
        since="2027-03-16T00:00:00Z",
        until="2027-03-17T00:00:00Z",
        bucket=bucket,
    ).get_json()

    assert body["bucket_seconds"] == seconds
    assert len(body["buckets"]) == 86400 // seconds


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"bucket": "fortnight"}, "bucket must be"),
        ({"bucket": "0"}, "bucket must be"),
        ({"bucket": "1"}, "choose a larger bucket"),
        ({"since": "2027-03-16T12:00:00Z", "until": "2027-03-16T12:00:00Z"}, "earlier"),
        ({"since": "yesterday"}, "invalid query"),
        ({"limit": "5"}, "unknown query parameter"),
    ],
)
def test_metrics_refuse_a_bad_query(client, params, message):
    response = get_metrics(client, **params)

    assert response.status_code == 400
    assert message in response.get_json()["error"]["message"]


def test_metrics_store_failure_is_a_503(client):
    store.use(store.Store(_Broken(), "mongodb"))

    response = get_metrics(client)

    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "store_unavailable"


class _Broken:
    """A database whose every collection fails as an unreachable server would."""

    def __getitem__(self, name: str) -> _Broken:
        return self

    def __getattr__(self, name: str):
        def fail(*args, **kwargs):
            raise pymongo.errors.ServerSelectionTimeoutError("down")

        return fail
