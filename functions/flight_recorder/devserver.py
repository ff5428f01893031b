"""The local stack: every function in one process, each at its own port.

In the cloud each function has its own URL; locally they get one port each,
and a gateway port serves them all under one base URL as well
(`/chat`, `/traces`, `/trace-detail/<id>`, ...), the way deployed functions
share `https://REGION-PROJECT.cloudfunctions.net/<name>`. They share this one
process because the embedded store allows a single writer: one process, one
store thread. Run with `python -m flight_recorder.devserver`.

Unless `API_KEYS` is set, a local key is created once in `.data/api-key` and
required by every function but health; `--open` runs without one.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import secrets
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Response

from flight_recorder import settings

FUNCTIONS = {
    "chat": "chat",
    "traces": "traces",
    "trace-detail": "trace_detail",
    "health": "health",
    "metrics": "metrics",
    "replay": "replay",
    "export": "export",
}
SOURCE = Path(__file__).resolve().parent.parent / "main.py"
DASHBOARD = SOURCE.parent.parent / "dashboard" / "app.py"

log = logging.getLogger(__name__)


def function_apps() -> dict[str, Any]:
    """A functions-framework app per function, by deployed name."""
    from functions_framework import create_app

    return {
        name: create_app(target=target, source=str(SOURCE))
        for name, target in FUNCTIONS.items()
    }


def gateway(apps: dict[str, Any]) -> DispatcherMiddleware:
    """One WSGI app serving each function under `/<name>`."""
    not_found = Response(
        '{"error": {"code": "not_found", "message": "no such function", '
        '"status": 404}}',
        status=404,
        mimetype="application/json",
    )
    mounts = {f"/{name}": _at_root(app.wsgi_app) for name, app in apps.items()}
    mounts["/openapi.json"] = _document
    return DispatcherMiddleware(not_found, mounts)


def _document(environ: dict[str, Any], start_response: Any) -> Any:
    from flight_recorder import openapi

    return Response(openapi.render(), mimetype="application/json")(
        environ, start_response
    )


def _at_root(app: Any) -> Any:
    """Serve `/<name>` like `/<name>/`, as Cloud Functions does, not a redirect."""

    def serve(environ: dict[str, Any], start_response: Any) -> Any:
        if not environ.get("PATH_INFO"):
            environ["PATH_INFO"] = "/"
        return app(environ, start_response)

    return serve


def serve(host: str, gateway_port: int) -> dict[str, BaseWSGIServer]:
    """Start the gateway and one server per function, on consecutive ports.

    Returns the servers by function name, the gateway under "gateway".
    """
    apps = function_apps()
    servers = {"gateway": _start(host, gateway_port, gateway(apps), "gateway")}
    for offset, (name, app) in enumerate(apps.items(), start=1):
        servers[name] = _start(host, gateway_port + offset, app, name)
    return servers


def _start(host: str, port: int, app: object, name: str) -> BaseWSGIServer:
    server = make_server(host, port, app, threaded=True)  # type: ignore[arg-type]
    threading.Thread(target=server.serve_forever, name=name, daemon=True).start()
    return server


def local_api_key(folder: Path) -> str:
    """The local development key, created on first use and kept in `folder`."""
    path = folder / "api-key"
    if path.exists():
        return path.read_text().strip()
    folder.mkdir(parents=True, exist_ok=True)
    key = "local-" + secrets.token_urlsafe(24)
    path.write_text(key + "\n")
    path.chmod(0o600)
    return key


def start_dashboard(port: int, base_url: str, api_key: str | None) -> subprocess.Popen:
    environment = os.environ | {"FLIGHT_RECORDER_BASE_URL": base_url}
    if api_key:
        environment["FLIGHT_RECORDER_API_KEY"] = api_key
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(DASHBOARD),
        "--server.headless=true",
        f"--server.port={port}",
        "--browser.gatherUsageStats=false",
    ]
    return subprocess.Popen(command, env=environment)


def start_gemini_standin(host: str) -> Any:
    """Start the Gemini API stand-in and point this process's settings at it."""
    from flight_recorder.gemini_standin import GeminiStandIn

    port = int(os.environ.get("GEMINI_STANDIN_PORT", "8090"))
    standin = GeminiStandIn(host, port).start()
    os.environ["USE_MOCK_LLM"] = "false"
    os.environ["GEMINI_BASE_URL"] = standin.url
    # The stand-in takes any key; a real one is never needed or sent anywhere.
    os.environ.setdefault("GOOGLE_API_KEY", "gemini-standin-key")
    settings.get.cache_clear()
    return standin


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=os.environ.get("LOCAL_HOST", "127.0.0.1"))
    parser.add_argument(
        "--port",
        type=int,
        default=int(os.environ.get("LOCAL_PORT", "8080")),
        help="gateway port; the functions take the ports after it",
    )
    parser.add_argument(
        "--dashboard-port",
        type=int,
        default=int(os.environ.get("DASHBOARD_PORT", "8501")),
    )
    parser.add_argument("--no-dashboard", action="store_true")
    parser.add_argument("--open", action="store_true", help="require no API key")
    parser.add_argument(
        "--gemini-standin",
        action="store_true",
        default=os.environ.get("GEMINI_STANDIN") == "1",
        help="Gemini mode against a local stand-in of the API (no key needed)",
    )
    return parser.parse_args()


def _api_key(open_access: bool) -> tuple[str | None, bool]:
    """The key the stack requires, and whether it was made for this machine."""
    config = settings.get()
    if config.api_keys:
        return config.api_keys[0], False
    if open_access:
        return None, False
    key = local_api_key(Path(config.EMBEDDED_STORE_PATH).parent)
    os.environ["API_KEYS"] = key
    settings.get.cache_clear()
    return key, True


def _banner(host: str, servers: dict[str, BaseWSGIServer], port: int) -> list[str]:
    lines = [f"  {'all (base URL)':<16} http://{host}:{port}/<function>"]
    for name, server in servers.items():
        if name != "gateway":
            lines.append(f"  {name:<16} http://{host}:{server.server_port}/")
    return lines


def main() -> None:
    args = _arguments()
    standin = start_gemini_standin(args.host) if args.gemini_standin else None
    api_key, made_locally = _api_key(args.open)

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    servers = serve(args.host, args.port)
    lines = _banner(args.host, servers, args.port)

    dashboard = None
    if not args.no_dashboard and DASHBOARD.exists():
        base_url = f"http://{args.host}:{args.port}"
        dashboard = start_dashboard(args.dashboard_port, base_url, api_key)
        lines.append(f"  {'dashboard':<16} http://{args.host}:{args.dashboard_port}/")
    if standin is not None:
        lines.append(f"  {'gemini stand-in':<16} {standin.url}/")
    if made_locally:
        lines.append(f"  API key          {api_key}  (kept in .data/api-key)")
    elif api_key is None:
        lines.append("  WARNING: no API key: every function is open (--open)")
    print("LLM Flight Recorder is running:\n" + "\n".join(lines), flush=True)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with contextlib.suppress(KeyboardInterrupt):
        stop.wait()
    if dashboard is not None:
        dashboard.terminate()
    for server in servers.values():
        server.shutdown()
    if standin is not None:
        standin.stop()


if __name__ == "__main__":
    main()
