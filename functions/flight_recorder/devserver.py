"""The local stack: every function in one process, each at its own port.

In the cloud each function has its own URL; locally they get one port each.
They share this one process because the embedded store allows a single
writer: one process, one store thread. Run with
`python -m flight_recorder.devserver` from the `functions/` folder.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import threading
from pathlib import Path

from werkzeug.serving import BaseWSGIServer, make_server

FUNCTIONS = {
    "chat": "chat",
    "traces": "traces",
    "trace-detail": "trace_detail",
    "health": "health",
    "metrics": "metrics",
}
SOURCE = Path(__file__).resolve().parent.parent / "main.py"

log = logging.getLogger(__name__)


def serve(host: str, first_port: int) -> dict[str, BaseWSGIServer]:
    """Start one threaded server per function; returns them by function name."""
    from functions_framework import create_app

    servers = {}
    for offset, (name, target) in enumerate(FUNCTIONS.items()):
        app = create_app(target=target, source=str(SOURCE))
        server = make_server(host, first_port + offset, app, threaded=True)
        threading.Thread(target=server.serve_forever, name=name, daemon=True).start()
        servers[name] = server
    return servers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=os.environ.get("LOCAL_HOST", "127.0.0.1"))
    parser.add_argument(
        "--port", type=int, default=int(os.environ.get("LOCAL_PORT", "8081"))
    )
    args = parser.parse_args()

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    servers = serve(args.host, args.port)
    for name, server in servers.items():
        print(f"  {name:<14} http://{args.host}:{server.server_port}/", flush=True)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with contextlib.suppress(KeyboardInterrupt):
        stop.wait()
    for server in servers.values():
        server.shutdown()


if __name__ == "__main__":
    main()
