"""Fixed-window rate limits: atomic admission, window edges, store failures."""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import time

import pytest

from flight_recorder import errors, ratelimit, store
from flight_recorder.errors import RateLimited, StoreUnavailable

PACIFIC = "America/Los_Angeles"


def limiter(backing, per_minute=5, per_day=100, zone=PACIFIC, fail_open=True):
    return ratelimit.RateLimiter(
        backing,
        per_minute=per_minute,
        per_day=per_day,
        day_zone=zone,
        fail_open=fail_open,
    )


def admitted(rate_limiter, calls):
    count = 0
    for _ in range(calls):
        try:
            rate_limiter.acquire()
        except RateLimited:
            continue
        count += 1
    return count


def test_ratelimit_many_threads_admit_exactly_the_limit(any_store, moving_clock):
    rate_limiter = limiter(any_store, per_minute=25, per_day=1000)

    def attempt(_):
        try:
            rate_limiter.acquire()
        except RateLimited:
            return False
        return True

    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        results = list(pool.map(attempt, range(200)))

    assert sum(results) == 25


def test_ratelimit_rejection_reports_the_minute_window(any_store, moving_clock):
    moving_clock.set(dt.datetime(2027, 3, 16, 12, 0, 45, tzinfo=dt.UTC))
    rate_limiter = limiter(any_store, per_minute=2)
    admitted(rate_limiter, 2)

    with pytest.raises(RateLimited) as rejected:
        rate_limiter.acquire()

    headers = rejected.value.headers()
    assert headers["Retry-After"] == "15"
    assert headers["X-RateLimit-Remaining-Minute"] == "0"
    assert headers["X-RateLimit-Remaining-Day"] == "98"
    assert rejected.value.details == {"window": "minute"}


def test_ratelimit_last_millisecond_of_a_minute_is_still_that_minute(
    any_store, moving_clock
):
    moving_clock.set(dt.datetime(2027, 3, 16, 12, 0, 59, 999000, tzinfo=dt.UTC))
    rate_limiter = limiter(any_store, per_minute=1)
    assert admitted(rate_limiter, 3) == 1

    moving_clock.advance(milliseconds=1)

    assert admitted(rate_limiter, 3) == 1


def test_ratelimit_day_resets_at_midnight_in_the_configured_zone(
    any_store, moving_clock
):
    # 07:59:59.999 UTC on 16 March 2027 is 23:59:59.999 in Los Angeles (PDT is
    # UTC-7 from 14 March).
    moving_clock.set(dt.datetime(2027, 3, 16, 6, 59, 59, 999000, tzinfo=dt.UTC))
    rate_limiter = limiter(any_store, per_minute=100, per_day=2)
    assert admitted(rate_limiter, 5) == 2

    moving_clock.advance(milliseconds=1)

    assert admitted(rate_limiter, 5) == 2


def test_ratelimit_utc_midnight_does_not_reset_a_pacific_day(any_store, moving_clock):
    moving_clock.set(dt.datetime(2027, 3, 16, 23, 59, 59, 999000, tzinfo=dt.UTC))
    rate_limiter = limiter(any_store, per_minute=100, per_day=2)
    assert admitted(rate_limiter, 5) == 2

    moving_clock.advance(milliseconds=1)

    assert admitted(rate_limiter, 5) == 0


def test_ratelimit_utc_zone_resets_at_utc_midnight(any_store, moving_clock):
    moving_clock.set(dt.datetime(2027, 3, 16, 23, 59, 59, 999000, tzinfo=dt.UTC))
    rate_limiter = limiter(any_store, per_minute=100, per_day=2, zone="UTC")
    assert admitted(rate_limiter, 5) == 2

    moving_clock.advance(milliseconds=1)

    assert admitted(rate_limiter, 5) == 2


def test_ratelimit_windows_ignore_the_host_time_zone(monkeypatch):
    instant = dt.datetime(2027, 3, 16, 7, 0, 30, tzinfo=dt.UTC)
    expected = ratelimit.windows(instant, ratelimit.zoneinfo.ZoneInfo(PACIFIC))

    monkeypatch.setenv("TZ", "Asia/Kolkata")
    time.tzset()
    try:
        shifted = ratelimit.windows(instant, ratelimit.zoneinfo.ZoneInfo(PACIFIC))
    finally:
        monkeypatch.undo()
        time.tzset()

    assert shifted == expected
    assert expected.day_key == "day:2027-03-16"
    assert expected.minute_end == dt.datetime(2027, 3, 16, 7, 1, tzinfo=dt.UTC)
    assert expected.day_end == dt.datetime(2027, 3, 17, 7, 0, tzinfo=dt.UTC)


def test_ratelimit_limits_hold_with_host_zone_set_elsewhere(
    any_store, moving_clock, monkeypatch
):
    monkeypatch.setenv("TZ", "Pacific/Kiritimati")
    time.tzset()
    try:
        moving_clock.set(dt.datetime(2027, 3, 16, 7, 59, 59, 999000, tzinfo=dt.UTC))
        rate_limiter = limiter(any_store, per_minute=1, per_day=10)
        first = admitted(rate_limiter, 3)
        moving_clock.advance(milliseconds=1)
        second = admitted(rate_limiter, 3)
    finally:
        monkeypatch.undo()
        time.tzset()

    assert (first, second) == (1, 1)


def test_ratelimit_rejected_calls_spend_no_day_budget(any_store, moving_clock):
    rate_limiter = limiter(any_store, per_minute=2, per_day=5)
    assert admitted(rate_limiter, 10) == 2

    moving_clock.advance(minutes=1)
    assert admitted(rate_limiter, 10) == 2
    moving_clock.advance(minutes=1)

    assert admitted(rate_limiter, 10) == 1


def test_ratelimit_day_rejection_retries_after_the_day_ends(any_store, moving_clock):
    moving_clock.set(dt.datetime(2027, 3, 16, 6, 0, tzinfo=dt.UTC))
    rate_limiter = limiter(any_store, per_minute=100, per_day=1)
    admitted(rate_limiter, 1)

    with pytest.raises(RateLimited) as rejected:
        rate_limiter.acquire()

    assert rejected.value.details == {"window": "day"}
    assert rejected.value.headers()["Retry-After"] == str(3600)


def test_ratelimit_does_not_rely_on_expired_documents_being_deleted(
    any_store, moving_clock
):
    rate_limiter = limiter(any_store, per_minute=1, per_day=1)
    admitted(rate_limiter, 1)
    moving_clock.advance(days=3)

    assert admitted(rate_limiter, 2) == 1


class DownStore(store.Store):
    def _call(self, operation):
        raise StoreUnavailable("down")


def test_ratelimit_fail_open_admits_when_the_store_is_down(caplog):
    down = DownStore(store.in_memory().database, "memory")

    state = limiter(down, fail_open=True).acquire()

    assert state.minute_remaining is None
    assert "fail open" in caplog.text


def test_ratelimit_fail_closed_refuses_when_the_store_is_down(caplog):
    down = DownStore(store.in_memory().database, "memory")

    with pytest.raises(errors.StoreUnavailable):
        limiter(down, fail_open=False).acquire()
    assert "fail closed" in caplog.text


def test_chat_over_the_limit_is_a_recorded_429(client, settings_env, memory_store):
    settings_env(MAX_RPM="1")
    chat = client("chat")
    chat.post("/", json={"message": "one"})

    response = chat.post("/", json={"message": "two"})

    body = response.get_json()
    assert response.status_code == 429
    assert body["error"]["code"] == "rate_limited"
    assert int(response.headers["Retry-After"]) >= 1
    assert response.headers["X-RateLimit-Remaining-Minute"] == "0"
    trace = memory_store.database["traces"].find_one({"_id": body["error"]["trace_id"]})
    assert trace["status"] == "rate_limited"
    assert trace["error"]["status"] == 429


def test_chat_cache_hit_spends_no_budget(client, settings_env):
    settings_env(MAX_RPM="1")
    chat = client("chat")
    chat.post("/", json={"message": "same"})

    repeats = [chat.post("/", json={"message": "same"}) for _ in range(3)]

    assert [r.status_code for r in repeats] == [200, 200, 200]
    assert {r.headers["X-Cache"] for r in repeats} == {"HIT"}
