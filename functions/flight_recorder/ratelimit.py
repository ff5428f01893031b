"""Per-minute and per-day fixed-window limits on provider calls.

Both windows of a day live in one counter document, so admitting a call is one
atomic conditional `$inc`: the filter only matches while both counts are under
their limits, so a call over either limit changes nothing and spends no budget.
Minute windows are UTC minutes; the day starts at midnight in a configurable
zone (Gemini's free tier resets at midnight Pacific time). Every zone's offset
is a whole number of minutes, so a minute never straddles two days. Document
keys carry the window, so correctness never waits on TTL deletion.
"""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo

import pymongo
import pymongo.errors
from pydantic import BaseModel

from flight_recorder import clock
from flight_recorder.errors import RateLimited, StoreUnavailable
from flight_recorder.store import COUNTERS, Store

log = logging.getLogger(__name__)


class RateState(BaseModel):
    """The limits after a decision; remaining counts are None when unknown."""

    minute_limit: int
    minute_remaining: int | None
    minute_reset_seconds: float
    day_limit: int
    day_remaining: int | None
    day_reset_seconds: float

    def headers(self) -> dict[str, str]:
        def show(value: int | None) -> str:
            return "unknown" if value is None else str(max(0, value))

        return {
            "X-RateLimit-Limit-Minute": str(self.minute_limit),
            "X-RateLimit-Remaining-Minute": show(self.minute_remaining),
            "X-RateLimit-Limit-Day": str(self.day_limit),
            "X-RateLimit-Remaining-Day": show(self.day_remaining),
            "X-RateLimit-Reset-Day": str(int(self.day_reset_seconds + 0.999)),
        }


class Windows(BaseModel):
    day_key: str
    minute_field: str
    minute_end: dt.datetime
    day_end: dt.datetime


def windows(now: dt.datetime, day_zone: zoneinfo.ZoneInfo) -> Windows:
    """The minute and day windows that contain `now` (an aware instant)."""
    utc = now.astimezone(dt.UTC)
    minute_start = utc.replace(second=0, microsecond=0)
    local_day = utc.astimezone(day_zone).date()
    next_midnight = dt.datetime.combine(
        local_day + dt.timedelta(days=1), dt.time(), tzinfo=day_zone
    )
    epoch_minute = int(minute_start.timestamp()) // 60
    return Windows(
        day_key=f"day:{local_day.isoformat()}",
        minute_field=f"m.{epoch_minute}",
        minute_end=minute_start + dt.timedelta(minutes=1),
        day_end=next_midnight.astimezone(dt.UTC),
    )


class RateLimiter:
    def __init__(
        self,
        store: Store,
        *,
        per_minute: int,
        per_day: int,
        day_zone: str,
        fail_open: bool,
    ) -> None:
        self._store = store
        self._per_minute = per_minute
        self._per_day = per_day
        self._zone = zoneinfo.ZoneInfo(day_zone)
        self._fail_open = fail_open

    def acquire(self) -> RateState:
        """Spend one call from both windows, or raise `RateLimited`."""
        now = clock.now()
        window = windows(now, self._zone)
        try:
            counts = self._increment(window)
        except StoreUnavailable:
            if not self._fail_open:
                log.error("rate counters unreachable: refusing the call (fail closed)")
                raise
            log.warning("rate counters unreachable: admitting the call (fail open)")
            return self._state(now, window, None)

        if counts is None:
            self._reject(now, window)
        return self._state(now, window, counts)

    def _increment(self, window: Windows) -> dict | None:
        under_limits = {
            "_id": window.day_key,
            "n": {"$not": {"$gte": self._per_day}},
            window.minute_field: {"$not": {"$gte": self._per_minute}},
        }
        spend = {
            "$inc": {"n": 1, window.minute_field: 1},
            "$setOnInsert": {"expires_at": window.day_end + dt.timedelta(days=1)},
        }

        def conditional_increment(db, upsert: bool) -> dict | None:
            return db[COUNTERS].find_one_and_update(
                under_limits,
                spend,
                upsert=upsert,
                return_document=pymongo.ReturnDocument.AFTER,
            )

        try:
            return self._store.run(lambda db: conditional_increment(db, True))
        except pymongo.errors.DuplicateKeyError:
            # Either another call created today's document first, or it exists
            # and is over a limit (so the filter missed and the upsert collided).
            return self._store.run(lambda db: conditional_increment(db, False))

    def _reject(self, now: dt.datetime, window: Windows) -> None:
        try:
            counts = self._store.run(
                lambda db: db[COUNTERS].find_one({"_id": window.day_key})
            )
        except StoreUnavailable:
            counts = None
        state = self._state(now, window, counts)
        day_spent = counts is not None and counts.get("n", 0) >= self._per_day
        if day_spent:
            reset, which = state.day_reset_seconds, "day"
        else:
            reset, which = state.minute_reset_seconds, "minute"
        raise RateLimited(
            f"rate limit reached: {self._limit(which)} calls per {which}",
            retry_after=reset,
            details={"window": which},
            extra_headers=state.headers(),
        )

    def _limit(self, which: str) -> int:
        return self._per_day if which == "day" else self._per_minute

    def _state(
        self, now: dt.datetime, window: Windows, counts: dict | None
    ) -> RateState:
        minute_used = day_used = None
        if counts is not None:
            day_used = counts.get("n", 0)
            minute_key = window.minute_field.removeprefix("m.")
            minute_used = counts.get("m", {}).get(minute_key, 0)
        return RateState(
            minute_limit=self._per_minute,
            minute_remaining=None
            if minute_used is None
            else self._per_minute - minute_used,
            minute_reset_seconds=(window.minute_end - now).total_seconds(),
            day_limit=self._per_day,
            day_remaining=None if day_used is None else self._per_day - day_used,
            day_reset_seconds=(window.day_end - now).total_seconds(),
        )
