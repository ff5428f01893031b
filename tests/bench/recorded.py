"""The recorder's functions behind one entry point, served for the benchmark.

Deployed, each function has its own URL; here one process answers them all
(`/chat`, `/traces`, `/trace-detail/<id>`, `/metrics`) so that they share the
in-process store. `BENCH_STORE` chooses it: `memory` installs a mongomock
store; `embedded` leaves the recorder to open litemongo in
`EMBEDDED_STORE_PATH` on first use, as it does when deployed without MongoDB.

`/bench/...` routes let the benchmark look inside: memory and store round
trips (`GET /bench/stats`) and bulk trace inserts (`POST /bench/seed`).
"""

from __future__ import annotations

import os
from typing import Any

import flask
import probe
import seeding

import main
from flight_recorder import store

if os.environ.get("BENCH_STORE", "memory") == "memory":
    store.use(store.in_memory())

ROUTES: dict[str, Any] = {
    "chat": main.chat,
    "traces": main.traces,
    "trace-detail": main.trace_detail,
}
# The metrics function is newer than the others; older trees do not have it.
if hasattr(main, "metrics"):
    ROUTES["metrics"] = main.metrics


def serve(request: flask.Request) -> flask.Response:
    """Dispatch on the first path segment to the function of that name."""
    route, _, rest = request.path.strip("/").partition("/")
    if route == "bench":
        return _bench(request, rest)
    handler = ROUTES.get(route)
    if handler is None:
        return flask.Response(status=404)
    return handler(request)


def _bench(request: flask.Request, action: str) -> flask.Response:
    if action == "seed":
        options = request.get_json()
        ids = seeding.insert(store.get(), options["first"], options["count"])
        return flask.jsonify({"ids": ids})
    # Reading the counter before anything else keeps this route out of it.
    round_trips = store.get().round_trips if action == "stats" else None
    return flask.jsonify({"round_trips": round_trips} | probe.memory())
