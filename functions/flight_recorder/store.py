"""The document store: MongoDB when `MONGODB_URI` is set, else an embedded one.

Both are reached through the same pymongo-style API. Every operation goes
through `Store.run`, which is the single boundary where storage failures become
`StoreUnavailable`, and which serialises access to the embedded store: its
SQLite files may only be used from the thread that opened them, and its
read-modify-write updates are only atomic when one thread performs them.
"""

from __future__ import annotations

import collections
import concurrent.futures
import functools
import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

import pymongo
import pymongo.errors
from pymongo.database import Database

from flight_recorder import clock, settings
from flight_recorder.errors import StoreUnavailable

log = logging.getLogger(__name__)

T = TypeVar("T")

TRACES = "traces"
CACHE = "cache"
COUNTERS = "rate_counters"
REPLAYS = "replays"
# Collections whose documents carry an `expires_at` after which they are void.
EXPIRING = (CACHE, COUNTERS)


class Store:
    """One database handle per process, with its indexes ensured once."""

    def __init__(
        self,
        database: Database,
        kind: str,
        *,
        executor: concurrent.futures.Executor | None = None,
    ) -> None:
        self.database = database
        self.kind = kind
        self._executor = executor
        self._indexes_ready = False
        self._index_lock = threading.Lock()
        self.round_trips = 0
        self.events: collections.Counter[str] = collections.Counter()
        self._last_failure: float | None = None

    def run(self, operation: Callable[[Database], T]) -> T:
        """Run one storage operation, translating storage failures."""
        self._ensure_indexes()
        return self._call(operation)

    def note(self, event: str) -> None:
        """Count an event an operator should see (reported by health)."""
        self.events[event] += 1
        self._last_failure = time.monotonic()

    def failed_within(self, seconds: float) -> bool:
        """Whether an operation failed in the last `seconds`."""
        last = self._last_failure
        return last is not None and time.monotonic() - last < seconds

    def ping(self) -> bool:
        """Whether the store answers right now."""
        try:
            self._call(lambda db: db.command("ping"))
        except StoreUnavailable:
            return False
        return True

    def close(self) -> None:
        if self._executor is not None:
            self._executor.submit(self.database.client.close).result()
            self._executor.shutdown()
        else:
            self.database.client.close()

    def _call(self, operation: Callable[[Database], T]) -> T:
        self.round_trips += 1
        try:
            if self._executor is None:
                return operation(self.database)
            return self._executor.submit(operation, self.database).result()
        except pymongo.errors.DuplicateKeyError:
            raise
        except (pymongo.errors.PyMongoError, sqlite3.Error) as exc:
            # The embedded store raises SQLite's errors (a locked or full disk).
            log.warning("store operation failed: %s", type(exc).__name__)
            self.note("store_failures")
            raise StoreUnavailable(
                "the trace store is unavailable", retry_after=5
            ) from exc

    def _ensure_indexes(self) -> None:
        if self._indexes_ready:
            return
        with self._index_lock:
            if not self._indexes_ready:
                local = self.kind != "mongodb"
                self._call(prepare_local if local else create_indexes)
                self._indexes_ready = True


def create_indexes(db: Database) -> None:
    """The indexes the list queries, the cache and the counters need."""
    _create_list_indexes(db)
    for name in EXPIRING:
        db[name].create_index("expires_at", expireAfterSeconds=0, name="expiry")


def prepare_local(db: Database) -> None:
    """The list indexes of an in-process store, which expires entries itself.

    mongomock and litemongo emulate a TTL index by checking every document of
    the collection on every operation on it, so each cache lookup would cost
    as much as the whole cache. Reads never serve an expired entry anyway
    (they compare `expires_at`), so these stores drop a TTL index left by an
    older version and delete expired entries once, when a process first uses
    the store.
    """
    _create_list_indexes(db)
    now = clock.now()
    for name in EXPIRING:
        if "expiry" in db[name].index_information():
            db[name].drop_index("expiry")
        db[name].delete_many({"expires_at": {"$lte": now}})


def _create_list_indexes(db: Database) -> None:
    newest = [("created_at", pymongo.DESCENDING), ("_id", pymongo.DESCENDING)]
    traces = db[TRACES]
    traces.create_index(newest, name="newest")
    for field in ("status", "model", "cached", "session_id"):
        traces.create_index(
            [(field, pymongo.ASCENDING), *newest], name=f"{field}_newest"
        )
    traces.create_index(
        [("cache_key", pymongo.ASCENDING), ("created_at", pymongo.ASCENDING)],
        name="recordings",
    )
    db[REPLAYS].create_index(
        [("original_trace_id", pymongo.ASCENDING), *newest], name="of_trace"
    )


_override: Store | None = None


def use(store: Store | None) -> None:
    """Install a store for this process (tests), or drop it with None."""
    global _override
    _override = store
    get.cache_clear()


@functools.cache
def get() -> Store:
    """The process-wide store, connected lazily on first use."""
    if _override is not None:
        return _override
    return connect(settings.get())


def connect(config: settings.Settings) -> Store:
    if config.MONGODB_URI is not None:
        client: Any = pymongo.MongoClient(
            config.MONGODB_URI.get_secret_value(),
            tz_aware=True,
            appname="llm-flight-recorder",
            maxPoolSize=config.MONGODB_MAX_POOL_SIZE,
            serverSelectionTimeoutMS=config.MONGODB_TIMEOUT_MS,
            connectTimeoutMS=config.MONGODB_TIMEOUT_MS,
            socketTimeoutMS=config.MONGODB_TIMEOUT_MS,
        )
        return Store(client[config.MONGODB_DB_NAME], "mongodb")
    return open_embedded(config.EMBEDDED_STORE_PATH, config.MONGODB_DB_NAME)


def open_embedded(path: str, db_name: str) -> Store:
    """The embedded store in `path`, opened and used on one dedicated thread."""
    import litemongo

    executor = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="store")
    client = executor.submit(litemongo.connect, path, tz_aware=True).result()
    return Store(client[db_name], "embedded", executor=executor)


def in_memory(db_name: str = "flight_recorder") -> Store:
    """A mongomock store, private to this process (tests and benchmarks)."""
    import mongomock

    client: Any = mongomock.MongoClient(tz_aware=True)
    executor = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="store")
    return Store(client[db_name], "memory", executor=executor)
