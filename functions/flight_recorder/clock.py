"""The one source of time, so tests can move it."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable

UTC = dt.UTC

_now: Callable[[], dt.datetime] = lambda: dt.datetime.now(UTC)  # noqa: E731


def now() -> dt.datetime:
    """The current instant, timezone-aware UTC, truncated to the millisecond.

    BSON dates keep milliseconds, so a truncated instant reads back equal to
    what was written, which keyset pagination relies on.
    """
    instant = _now()
    return instant.replace(microsecond=instant.microsecond // 1000 * 1000)


def set_source(source: Callable[[], dt.datetime]) -> None:
    """Replace the time source (tests); it must return aware datetimes."""
    global _now
    _now = source


def reset() -> None:
    global _now
    _now = lambda: dt.datetime.now(UTC)  # noqa: E731


def monotonic_ms() -> float:
    """A monotonic reading in milliseconds, for durations."""
    return time.perf_counter() * 1000.0


def as_utc(value: dt.datetime) -> dt.datetime:
    """Read a stored datetime as aware UTC (pymongo returns naive UTC by default)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)
