"""Shared fixtures: a clean environment, an in-process store, the functions."""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from functions_framework import create_app

from flight_recorder import clock, logs, providers, recorder, store
from recorder_testing import MAIN

BASE_ENVIRONMENT = {
    "API_ENV": "test",
    "LOG_LEVEL": "INFO",
    "USE_MOCK_LLM": "true",
    "MAX_RPM": "100000",
    "MAX_RPD": "1000000",
}


@pytest.fixture(autouse=True)
def environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[pytest.MonkeyPatch]:
    """Settings from a known environment, no `.env`, fresh process-wide objects."""
    for name in list(os.environ):
        if name in _SETTINGS_NAMES:
            monkeypatch.delenv(name)
    for name, value in BASE_ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    recorder.reset()
    yield monkeypatch
    store.use(None)
    providers.use(None)
    recorder.reset()
    clock.reset()


def _settings_names() -> set[str]:
    from flight_recorder.settings import Settings

    return set(Settings.model_fields)


_SETTINGS_NAMES = _settings_names()


@pytest.fixture
def memory_store() -> Iterator[store.Store]:
    backing = store.in_memory()
    store.use(backing)
    yield backing
    backing.close()


@pytest.fixture
def settings_env(environment: pytest.MonkeyPatch) -> Callable[..., None]:
    """Set settings variables, then rebuild the objects that read them."""

    def apply(**values: str) -> None:
        for name, value in values.items():
            environment.setenv(name, value)
        backing = store.get() if store._override is not None else None
        recorder.reset()
        if backing is not None:
            store.use(backing)

    return apply


@pytest.fixture
def client(memory_store: store.Store) -> Callable[[str], FlaskClient]:
    """A test client for a function, by entry point name."""

    def make(target: str) -> FlaskClient:
        return create_app(target=target, source=str(MAIN)).test_client()

    return make


@pytest.fixture
def log_lines() -> Iterator[Callable[[], list[dict]]]:
    """The JSON lines the log handler writes during the test, parsed."""
    logs.configure("INFO")
    handler = logging.getLogger().handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    buffer = io.StringIO()
    previous = handler.setStream(buffer)
    yield lambda: [json.loads(line) for line in buffer.getvalue().splitlines()]
    handler.setStream(previous)


class MovableClock:
    """A clock the test sets and moves; every reading is exact.

    Keep it in the future: the stores' TTL expiry runs on the real clock, and
    would drop documents whose expiry lies before the real present.
    """

    def __init__(self, start: dt.datetime) -> None:
        self.instant = start
        self._lock = threading.Lock()

    def __call__(self) -> dt.datetime:
        with self._lock:
            return self.instant

    def set(self, instant: dt.datetime) -> None:
        self.instant = instant

    def advance(self, **delta: float) -> None:
        self.instant += dt.timedelta(**delta)


@pytest.fixture
def moving_clock() -> Iterator[MovableClock]:
    movable = MovableClock(dt.datetime(2027, 3, 16, 12, 0, tzinfo=dt.UTC))
    clock.set_source(movable)
    yield movable
    clock.reset()


def _mongodb_store(uri: str) -> store.Store:
    import uuid

    import pymongo

    client = pymongo.MongoClient(uri, tz_aware=True, serverSelectionTimeoutMS=3000)
    name = f"flight_recorder_test_{uuid.uuid4().hex[:8]}"
    return store.Store(client[name], "mongodb")


@pytest.fixture(params=["memory", "embedded", "mongodb"])
def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[store.Store]:
    """Each store kind in turn; MongoDB only when MONGODB_TEST_URI is set."""
    kind = request.param
    if kind == "memory":
        backing = store.in_memory()
    elif kind == "embedded":
        backing = store.open_embedded(str(tmp_path / "store"), "flight_recorder")
    else:
        uri = os.environ.get("MONGODB_TEST_URI")
        if not uri:
            pytest.skip("set MONGODB_TEST_URI to run the store tests on MongoDB")
        backing = _mongodb_store(uri)
    store.use(backing)
    yield backing
    if kind == "mongodb":
        backing.database.client.drop_database(backing.database.name)
    backing.close()
