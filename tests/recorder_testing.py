"""Paths and builders the test modules share (imported, unlike conftest)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from flight_recorder.models import RecordedRequest, Trace
from flight_recorder.recorder import record_text

REPO = Path(__file__).resolve().parent.parent
MAIN = REPO / "functions" / "main.py"
PROMPTS_CSV = REPO.parent / "shared" / "data" / "prompts.csv"


def require_prompts() -> Path:
    """The shared prompt corpus, or skip: it lives beside the repository."""
    import pytest

    if not PROMPTS_CSV.exists():
        pytest.skip(f"the shared prompt corpus is missing: {PROMPTS_CSV}")
    return PROMPTS_CSV


START = dt.datetime(2027, 3, 16, 12, 0, tzinfo=dt.UTC)


def make_trace(index: int, *, seconds: float, **fields: object) -> Trace:
    """A stored-shape trace numbered `index`, `seconds` after START."""
    values = {
        "id": f"{index:032x}",
        "created_at": START + dt.timedelta(seconds=seconds),
        "status": "ok",
        "provider": "mock",
        "model": "gemini-2.5-flash",
        "latency_ms": 1.5,
        "request": RecordedRequest(message=record_text(f"prompt {index}", 100)),
    }
    return Trace.model_validate(values | fields)


class FaultyCollection:
    """A collection whose `failing` methods raise `error`; the rest pass through."""

    def __init__(self, inner, failing, error):
        self._inner = inner
        self._failing = failing
        self._error = error

    def __getattr__(self, name):
        if name in self._failing:

            def fail(*args, **kwargs):
                raise self._error

            return fail
        return getattr(self._inner, name)


class FaultyDatabase:
    """A database whose chosen (collection, method) pairs fail.

    `faults` maps a collection name to the method names that raise `error`,
    a real pymongo error, so the store's own translation is what is tested.
    """

    def __init__(self, inner, faults, error):
        self._inner = inner
        self.faults = faults
        self.error = error

    def __getitem__(self, name):
        collection = self._inner[name]
        failing = self.faults.get(name, ())
        return (
            FaultyCollection(collection, failing, self.error) if failing else collection
        )

    def __getattr__(self, name):
        return getattr(self._inner, name)
