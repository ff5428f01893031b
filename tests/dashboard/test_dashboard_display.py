"""Instants read in UTC whatever the zone of the machine."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from console import display


@pytest.fixture
def far_zone(monkeypatch):
    monkeypatch.setenv("TZ", "Pacific/Kiritimati")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("2026-03-10T12:00:05Z", "2026-03-10 12:00:05 UTC"),
        ("2026-03-10T14:00:05+02:00", "2026-03-10 12:00:05 UTC"),
        ("2026-03-10T12:00:05.123", "2026-03-10 12:00:05 UTC"),
        (None, "—"),
    ],
)
def test_display_instants_are_utc_with_the_zone_named(far_zone, value, shown):
    assert display.utc(value) == shown


def test_display_iso_is_what_the_api_reads(far_zone):
    instant = dt.datetime(
        2026, 3, 10, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5))
    )

    assert display.iso(instant) == "2026-03-11T04:30:00Z"


@pytest.mark.parametrize(
    ("seconds", "words"),
    [(60, "1 minute"), (3600, "1 hour"), (21600, "6 hours"), (90, "90 seconds")],
)
def test_display_bucket_sizes_in_words(seconds, words):
    assert display.duration(seconds) == words


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (None, display.DASH),
        (0.0, "$0.0000"),
        (1234.5, "$1,234.5000"),
        (0.0123, "$0.0123"),
        (0.0000396, "$0.0000396"),
        (0.000000001, "$0.0000000010"),
    ],
)
def test_display_usd_keeps_small_costs_visible(value, shown):
    assert display.usd(value) == shown
