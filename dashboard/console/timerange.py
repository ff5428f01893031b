"""The time range picker the pages share: a recent span or explicit UTC bounds."""

from __future__ import annotations

import dataclasses
import datetime as dt

import streamlit as st

from console import display

RECENT = {
    "Last hour": dt.timedelta(hours=1),
    "Last 24 hours": dt.timedelta(hours=24),
    "Last 7 days": dt.timedelta(days=7),
    "Last 30 days": dt.timedelta(days=30),
}
ALL_TIME = "All time"
CUSTOM = "Custom (UTC)"


@dataclasses.dataclass(frozen=True)
class Range:
    """From `since` (inclusive) to `until` (exclusive); None is unbounded."""

    since: dt.datetime | None
    until: dt.datetime | None

    def describe(self) -> str:
        if self.since is None and self.until is None:
            return "all time"
        return f"{display.utc(self.since)} to {display.utc(self.until)}"


def pick(key: str, *, allow_all: bool = False, default: str = "Last 24 hours") -> Range:
    """Widgets for a range; recent spans end at the next whole minute, so a
    reading stays the same (and cached) for the rest of the minute."""
    options = [ALL_TIME] if allow_all else []
    options += [*RECENT, CUSTOM]
    choice = st.selectbox(
        "Time range", options, index=options.index(default), key=f"{key}_range"
    )
    if choice == ALL_TIME:
        return Range(None, None)
    if choice in RECENT:
        until = _next_minute(dt.datetime.now(dt.UTC))
        return Range(until - RECENT[choice], until)
    return _custom(key)


def _next_minute(instant: dt.datetime) -> dt.datetime:
    floor = instant.replace(second=0, microsecond=0)
    return floor if floor == instant else floor + dt.timedelta(minutes=1)


def _custom(key: str) -> Range:
    now = dt.datetime.now(dt.UTC)
    start, end = st.columns(2)
    since = _instant(start, "From", now - dt.timedelta(days=1), f"{key}_from")
    until = _instant(end, "To", now, f"{key}_to")
    if since >= until:
        st.error("The start of the range must be before its end.")
        st.stop()
    return Range(since, until)


def _instant(
    column: st.delta_generator.DeltaGenerator,
    label: str,
    default: dt.datetime,
    key: str,
) -> dt.datetime:
    day = column.date_input(f"{label} date (UTC)", default.date(), key=f"{key}_day")
    time = column.time_input(
        f"{label} time (UTC)", default.time().replace(microsecond=0), key=f"{key}_time"
    )
    return dt.datetime.combine(day, time, tzinfo=dt.UTC)
