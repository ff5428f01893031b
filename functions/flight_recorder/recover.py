"""Re-import traces that were logged because the store could not take them.

When a trace insert fails, the whole trace is logged at ERROR with
`"unstored_trace": true`. Once the store is back, feed those log lines to this
command and it inserts each trace that is not already stored:

    python -m flight_recorder.recover functions.log
    gcloud logging read 'jsonPayload.unstored_trace=true' --format=json \\
        | python -m flight_recorder.recover -

It reads JSON lines (as written to stdout) or a JSON array of Cloud Logging
entries (the trace under `jsonPayload`); other lines are skipped. Running it
twice is harmless: traces already stored are counted, not duplicated.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Iterator
from typing import Any

import pymongo.errors
from pydantic import BaseModel, ValidationError

from flight_recorder import store
from flight_recorder.models import Trace
from flight_recorder.store import TRACES


class RecoveryResult(BaseModel):
    imported: int = 0
    already_stored: int = 0
    unreadable: int = 0


def logged_traces(text: str) -> Iterator[dict[str, Any]]:
    """The `trace` objects of every unstored-trace record in `text`."""
    for record in _records(text):
        payload = record.get("jsonPayload", record)
        if isinstance(payload, dict) and payload.get("unstored_trace") is True:
            trace = payload.get("trace")
            if isinstance(trace, dict):
                yield trace


def _records(text: str) -> Iterable[dict[str, Any]]:
    stripped = text.lstrip()
    if stripped.startswith("["):
        try:
            entries = json.loads(stripped)
        except ValueError:
            entries = None
        if isinstance(entries, list):
            return [entry for entry in entries if isinstance(entry, dict)]
    return _json_lines(text)


def _json_lines(text: str) -> Iterator[dict[str, Any]]:
    for line in text.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict):
            yield record


def reimport(backing: store.Store, text: str) -> RecoveryResult:
    result = RecoveryResult()
    for fields in logged_traces(text):
        try:
            document = Trace.model_validate(fields).to_document()
        except ValidationError:
            result.unreadable += 1
            continue
        try:
            _insert(backing, document)
        except pymongo.errors.DuplicateKeyError:
            result.already_stored += 1
            continue
        result.imported += 1
    return result


def _insert(backing: store.Store, document: dict[str, Any]) -> None:
    backing.run(lambda db: db[TRACES].insert_one(document))


def main(argv: list[str] | None = None) -> RecoveryResult:
    parser = argparse.ArgumentParser(description="Re-import logged unstored traces.")
    parser.add_argument("files", nargs="+", help="log files, or - for stdin")
    args = parser.parse_args(argv)

    total = RecoveryResult()
    backing = store.get()
    for name in args.files:
        if name == "-":
            text = sys.stdin.read()
        else:
            with open(name, encoding="utf-8") as handle:
                text = handle.read()
        result = reimport(backing, text)
        for field in RecoveryResult.model_fields:
            setattr(total, field, getattr(total, field) + getattr(result, field))
    print(total.model_dump_json())
    return total


if __name__ == "__main__":
    main()
