"""Structured JSON logging in the shape Cloud Logging reads.

One line per record on stdout with `severity` and `message`; the per-request
line adds the function, status, latency, cache state, model and tokens, and the
Cloud trace id when the platform sent one.
"""

from __future__ import annotations

import logging
import os
import sys

from pythonjsonlogger.json import JsonFormatter

_configured = False


def configure(level: str) -> None:
    """Send every logger's records to stdout as JSON lines (once per process)."""
    global _configured
    if _configured:
        logging.getLogger().setLevel(level)
        return
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(
        JsonFormatter(
            "%(levelname)s %(message)s %(name)s",
            rename_fields={"levelname": "severity", "name": "logger"},
            json_ensure_ascii=False,
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    _configured = True


def cloud_trace(header: str | None) -> dict[str, str]:
    """Fields that tie a log line to the platform's request trace."""
    project = os.environ.get("GOOGLE_CLOUD_PROJECT")
    if not header or not project:
        return {}
    trace = header.split("/", 1)[0]
    if not trace.isalnum():
        return {}
    return {"logging.googleapis.com/trace": f"projects/{project}/traces/{trace}"}
