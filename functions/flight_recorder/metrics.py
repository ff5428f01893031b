"""Figures over the traces of a time range, computed by the store itself.

Two aggregation round trips answer a request, whatever the number of traces:

1. one `$facet` over the range gives the totals, the counts by status, the
   busiest models and one row per non-empty time bucket;
2. one `$facet` picks the latency percentiles by rank. Each percentile is the
   nearest-rank one: with `n` latencies sorted ascending, the p-th percentile
   is the value at rank `ceil(p * n / 100)`. It is read with `$sort`, `$skip`
   and `$limit: 1`, sorting from whichever end is closer to the rank, so the
   store keeps at most half the range's latencies in its top-k sort.

Only operators that mongomock, the embedded store and MongoDB 6 all run are
used (no `$percentile`, `$dateTrunc` or `$setWindowFields`). What comes back
is bounded: at most `MAX_BUCKETS` buckets, `TOP_MODELS` models and one value
per percentile, so the answer does not grow with the number of traces.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any, get_args

from pydantic import BaseModel, Field

from flight_recorder import clock
from flight_recorder.errors import InvalidRequest
from flight_recorder.models import Instant, Status
from flight_recorder.store import TRACES, Store

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
NAMED_BUCKETS = {"minute": 60, "hour": 3600, "day": 86400}
# Sizes tried, smallest first, when the caller names no bucket.
AUTO_BUCKETS = (60, 300, 900, 3600, 6 * 3600, 86400, 7 * 86400)
AUTO_BUCKET_TARGET = 60
MAX_BUCKETS = 1440
DEFAULT_RANGE = dt.timedelta(hours=24)
TOP_MODELS = 20
PERCENTILES = (50, 95, 99)
# Calls that got no answer: the provider or the store failed, or a limit refused.
ERROR_STATUSES = ("error", "rate_limited")

_SECONDS = re.compile(r"^[1-9][0-9]{0,8}$")


class MetricsQuery(BaseModel):
    """The query parameters of the metrics function, parsed from strings."""

    model_config = {"extra": "forbid"}

    since: Instant | None = None
    until: Instant | None = None
    bucket: str | None = Field(None, max_length=16)

    def window(self) -> Window:
        """The range and bucket asked for.

        `until` defaults to now and `since` to 24 hours before `until`; naive
        instants are read as UTC.
        """
        until = clock.as_utc(self.until) if self.until else clock.now()
        since = clock.as_utc(self.since) if self.since else until - DEFAULT_RANGE
        if since >= until:
            raise InvalidRequest("since must be earlier than until")
        if self.bucket is None:
            return Window.fitting(since, until)
        return Window.of(since, until, parse_bucket(self.bucket))


def parse_bucket(value: str) -> int:
    """A bucket size in seconds, from `minute`, `hour`, `day` or a number."""
    if value in NAMED_BUCKETS:
        return NAMED_BUCKETS[value]
    if _SECONDS.fullmatch(value):
        return int(value)
    raise InvalidRequest(
        "bucket must be minute, hour, day or a whole number of seconds",
        details={"allowed": [*NAMED_BUCKETS, "<seconds>"]},
    )


class Window(BaseModel):
    """A time range cut into buckets aligned on multiples of their size.

    Alignment counts from the Unix epoch, so hour buckets start on the hour
    and day buckets at midnight UTC; the first and last may be partial.
    """

    since: dt.datetime
    until: dt.datetime
    bucket_seconds: int

    @classmethod
    def of(cls, since: dt.datetime, until: dt.datetime, seconds: int) -> Window:
        window = cls(since=since, until=until, bucket_seconds=seconds)
        if window.bucket_count > MAX_BUCKETS:
            raise InvalidRequest(
                f"the range holds {window.bucket_count} buckets of {seconds} s; "
                f"choose a larger bucket or a shorter range (at most {MAX_BUCKETS})"
            )
        return window

    @classmethod
    def fitting(cls, since: dt.datetime, until: dt.datetime) -> Window:
        """The smallest usual bucket giving at most about 60 buckets."""
        for seconds in AUTO_BUCKETS:
            window = cls(since=since, until=until, bucket_seconds=seconds)
            if window.bucket_count <= AUTO_BUCKET_TARGET:
                return window
        return cls.of(since, until, AUTO_BUCKETS[-1])

    @property
    def origin(self) -> dt.datetime:
        """The start of the bucket holding `since`."""
        offset = (self.since - EPOCH) // dt.timedelta(seconds=self.bucket_seconds)
        return EPOCH + offset * dt.timedelta(seconds=self.bucket_seconds)

    @property
    def bucket_count(self) -> int:
        span = (self.until - self.origin).total_seconds()
        return math.ceil(span / self.bucket_seconds)

    def bucket_start(self, index: int) -> dt.datetime:
        return self.origin + dt.timedelta(seconds=index * self.bucket_seconds)


class Latency(BaseModel):
    """Latency of the calls in milliseconds; None when there were none."""

    p50_ms: float | None = None
    p95_ms: float | None = None
    p99_ms: float | None = None
    avg_ms: float | None = None
    max_ms: float | None = None


class Tokens(BaseModel):
    input: int = 0
    output: int = 0
    total: int = 0


class ModelFigures(BaseModel):
    model: str
    requests: int
    errors: int
    cache_hits: int
    total_tokens: int
    cost_usd: float


class BucketFigures(BaseModel):
    """One bucket, from `start` for `bucket_seconds`; latency None when empty."""

    start: dt.datetime
    requests: int = 0
    errors: int = 0
    cache_hits: int = 0
    avg_latency_ms: float | None = None
    max_latency_ms: float | None = None


class Metrics(BaseModel):
    """The body of the metrics function.

    Rates are fractions from 0 to 1. Costs are in US dollars, summed over the
    traces that carry an estimate (`priced_requests` of them).
    """

    since: dt.datetime
    until: dt.datetime
    bucket_seconds: int
    requests: int
    errors: int
    error_rate: float
    cache_hits: int
    cache_hit_rate: float
    latency_ms: Latency
    tokens: Tokens
    cost_usd: float
    saved_cost_usd: float
    priced_requests: int
    by_status: dict[str, int]
    by_model: list[ModelFigures]
    other_models_requests: int
    buckets: list[BucketFigures]


def compute(store: Store, window: Window) -> Metrics:
    """The figures of `window`, in two aggregation round trips."""
    match = {"$match": {"created_at": {"$gte": window.since, "$lt": window.until}}}
    summary = store.run(lambda db: list(db[TRACES].aggregate(_summary(match, window))))
    facets = summary[0]
    totals = facets["totals"][0] if facets["totals"] else {}
    requests = totals.get("requests", 0)
    latency = _percentiles(store, match, requests)
    return _report(window, facets, totals, latency)


def _counted(condition: Any) -> dict[str, Any]:
    return {"$sum": {"$cond": [condition, 1, 0]}}


def _figures() -> dict[str, Any]:
    """Accumulators shared by the totals, the models and the buckets."""
    return {
        "requests": {"$sum": 1},
        "errors": _counted({"$in": ["$status", list(ERROR_STATUSES)]}),
        "cache_hits": _counted({"$eq": ["$cached", True]}),
    }


def _epoch_seconds(field: str) -> dict[str, Any]:
    """Whole seconds since the Unix epoch of the UTC date in `field`.

    Built from the date's parts rather than by subtracting a date constant:
    the embedded store hands a leading `$match` naive datetimes and other
    stages aware ones, and the two cannot be subtracted from one another.
    """
    year = {"$year": field}

    def since_year(first: int, every: int) -> dict[str, Any]:
        return {"$floor": {"$divide": [{"$subtract": [year, first]}, every]}}

    days = {
        "$add": [
            {"$multiply": [365, {"$subtract": [year, 1970]}]},
            since_year(1969, 4),
            {"$multiply": [-1, since_year(1901, 100)]},
            since_year(1601, 400),
            {"$subtract": [{"$dayOfYear": field}, 1]},
        ]
    }
    return {
        "$add": [
            {"$multiply": [days, 86400]},
            {"$multiply": [{"$hour": field}, 3600]},
            {"$multiply": [{"$minute": field}, 60]},
            {"$second": field},
        ]
    }


def _summary(match: dict[str, Any], window: Window) -> list[dict[str, Any]]:
    origin = int((window.origin - EPOCH).total_seconds())
    elapsed = {"$subtract": [_epoch_seconds("$created_at"), origin]}
    bucket = {"$floor": {"$divide": [elapsed, window.bucket_seconds]}}
    return [
        match,
        {
            "$facet": {
                "totals": [
                    {
                        "$group": {
                            "_id": None,
                            **_figures(),
                            "avg_latency": {"$avg": "$latency_ms"},
                            "max_latency": {"$max": "$latency_ms"},
                            "input_tokens": {"$sum": "$usage.input_tokens"},
                            "output_tokens": {"$sum": "$usage.output_tokens"},
                            "total_tokens": {"$sum": "$usage.total_tokens"},
                            "cost_usd": {"$sum": "$cost_usd"},
                            "saved_cost_usd": {"$sum": "$saved_cost_usd"},
                            "priced": _counted({"$isNumber": "$cost_usd"}),
                        }
                    }
                ],
                "statuses": [{"$group": {"_id": "$status", "requests": {"$sum": 1}}}],
                "models": [
                    {
                        "$group": {
                            "_id": "$model",
                            **_figures(),
                            "total_tokens": {"$sum": "$usage.total_tokens"},
                            "cost_usd": {"$sum": "$cost_usd"},
                        }
                    },
                    {"$sort": {"requests": -1, "_id": 1}},
                    {"$limit": TOP_MODELS},
                ],
                "buckets": [
                    {
                        "$group": {
                            "_id": bucket,
                            **_figures(),
                            "avg_latency": {"$avg": "$latency_ms"},
                            "max_latency": {"$max": "$latency_ms"},
                        }
                    }
                ],
            }
        },
    ]


def _percentiles(
    store: Store, match: dict[str, Any], count: int
) -> dict[int, float | None]:
    if count == 0:
        return dict.fromkeys(PERCENTILES)
    pipeline = [
        match,
        {"$project": {"_id": 0, "latency_ms": 1}},
        {"$facet": {f"p{p}": _ranked(p, count) for p in PERCENTILES}},
    ]
    result = store.run(
        lambda db: list(db[TRACES].aggregate(pipeline, allowDiskUse=True))
    )
    picked = result[0]
    # A trace inserted between the two round trips can leave a rank empty.
    return {
        p: picked[f"p{p}"][0]["latency_ms"] if picked[f"p{p}"] else None
        for p in PERCENTILES
    }


def _ranked(percentile: int, count: int) -> list[dict[str, Any]]:
    """The stages that leave only the value at the percentile's rank."""
    rank = max(1, math.ceil(percentile * count / 100))
    from_top = count - rank
    if rank - 1 <= from_top:
        order, skip = 1, rank - 1
    else:
        order, skip = -1, from_top
    return [{"$sort": {"latency_ms": order}}, {"$skip": skip}, {"$limit": 1}]


def _report(
    window: Window,
    facets: dict[str, Any],
    totals: dict[str, Any],
    latency: dict[int, float | None],
) -> Metrics:
    requests = totals.get("requests", 0)
    models = [_model(row) for row in facets["models"]]
    return Metrics(
        since=window.since,
        until=window.until,
        bucket_seconds=window.bucket_seconds,
        requests=requests,
        errors=totals.get("errors", 0),
        error_rate=_rate(totals.get("errors", 0), requests),
        cache_hits=totals.get("cache_hits", 0),
        cache_hit_rate=_rate(totals.get("cache_hits", 0), requests),
        latency_ms=Latency(
            p50_ms=latency[50],
            p95_ms=latency[95],
            p99_ms=latency[99],
            avg_ms=_rounded(totals.get("avg_latency")),
            max_ms=totals.get("max_latency"),
        ),
        tokens=Tokens(
            input=totals.get("input_tokens", 0),
            output=totals.get("output_tokens", 0),
            total=totals.get("total_tokens", 0),
        ),
        cost_usd=_money(totals.get("cost_usd", 0)),
        saved_cost_usd=_money(totals.get("saved_cost_usd", 0)),
        priced_requests=totals.get("priced", 0),
        by_status=_statuses(facets["statuses"]),
        by_model=models,
        other_models_requests=requests - sum(model.requests for model in models),
        buckets=_buckets(window, facets["buckets"]),
    )


def _model(row: dict[str, Any]) -> ModelFigures:
    return ModelFigures(
        model=row["_id"],
        requests=row["requests"],
        errors=row["errors"],
        cache_hits=row["cache_hits"],
        total_tokens=row["total_tokens"],
        cost_usd=_money(row["cost_usd"]),
    )


def _statuses(rows: list[dict[str, Any]]) -> dict[str, int]:
    counts = dict.fromkeys(get_args(Status), 0)
    for row in rows:
        counts[row["_id"]] = row["requests"]
    return counts


def _buckets(window: Window, rows: list[dict[str, Any]]) -> list[BucketFigures]:
    """Every bucket of the window, the empty ones included, oldest first."""
    filled = {int(row["_id"]): row for row in rows}
    buckets = []
    for index in range(window.bucket_count):
        row = filled.get(index, {})
        buckets.append(
            BucketFigures(
                start=window.bucket_start(index),
                requests=row.get("requests", 0),
                errors=row.get("errors", 0),
                cache_hits=row.get("cache_hits", 0),
                avg_latency_ms=_rounded(row.get("avg_latency")),
                max_latency_ms=row.get("max_latency"),
            )
        )
    return buckets


def _rate(part: int, whole: int) -> float:
    return round(part / whole, 6) if whole else 0.0


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def _money(value: float) -> float:
    # Sums of many small floats carry binary noise past a millionth of a cent.
    return round(value, 8)
