"""How values read on the page: instants in UTC, rates, durations, money.

Instants are always shown in UTC with the zone written out, whatever the zone
of the server or of the browser.
"""

from __future__ import annotations

import datetime as dt
import math

UTC = dt.UTC
DASH = "—"


def parse_instant(value: str) -> dt.datetime:
    """An ISO 8601 instant from the API, as aware UTC (naive is read as UTC)."""
    instant = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if instant.tzinfo is None:
        return instant.replace(tzinfo=UTC)
    return instant.astimezone(UTC)


def iso(instant: dt.datetime) -> str:
    """The form the API reads: ISO 8601 in UTC with a `Z`."""
    text = instant.astimezone(UTC).isoformat(timespec="seconds")
    return text.replace("+00:00", "Z")


def utc(value: str | dt.datetime | None) -> str:
    """`2026-03-10 12:00:05 UTC`."""
    if value is None:
        return DASH
    instant = parse_instant(value) if isinstance(value, str) else value
    return instant.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def percent(fraction: float | None) -> str:
    return DASH if fraction is None else f"{fraction * 100:.1f}%"


def milliseconds(value: float | None) -> str:
    return DASH if value is None else f"{value:,.1f} ms"


def usd(value: float | None) -> str:
    """Dollars with at least four decimals, and enough to show a small cost.

    Single calls cost fractions of a cent: 0.0000396 shows as $0.0000396,
    not as $0.0000.
    """
    if value is None:
        return DASH
    decimals = 4
    if 0 < abs(value) < 0.001:
        decimals = min(10, 2 - math.floor(math.log10(abs(value))))
    return f"${value:,.{decimals}f}"


def count(value: int | None) -> str:
    return DASH if value is None else f"{value:,}"


def duration(seconds: int) -> str:
    """A bucket size in words: `1 minute`, `6 hours`, `90 seconds`."""
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds % size == 0:
            amount = seconds // size
            return f"{amount} {unit}" + ("s" if amount != 1 else "")
    return f"{seconds} seconds"
