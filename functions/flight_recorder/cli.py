"""Command-line client of the functions: export traces, replay a set of them.

It talks to the functions over HTTP, so it works the same against `make run`
and against deployed functions:

    python -m flight_recorder.cli export --format otlp --since 2026-12-01 > spans.jsonl
    python -m flight_recorder.cli replay --session-id checkout \
        --model-override gemini-2.5-pro

The base URL and key come from `--url` and `--key`, else from
`FLIGHT_RECORDER_BASE_URL` and `FLIGHT_RECORDER_API_KEY`. A set replay runs
batch after batch through the replay function, printing a line per batch and
the totals at the end; interrupted, it prints the cursor to resume from.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

FILTERS = ("status", "model", "session_id", "since", "until")


class Client:
    def __init__(self, base_url: str, key: str | None) -> None:
        self.base_url = base_url.rstrip("/")
        self.headers = {"X-API-Key": key} if key else {}

    def open(self, path: str, body: dict[str, Any] | None = None) -> Any:
        data = None
        headers = dict(self.headers)
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(
            f"{self.base_url}/{path}", data=data, headers=headers
        )
        try:
            return urllib.request.urlopen(request, timeout=600)
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode("utf-8", "replace")
            raise SystemExit(f"{exc.code} from {path}: {detail}") from None
        except urllib.error.URLError as exc:
            raise SystemExit(f"cannot reach {self.base_url}: {exc.reason}") from None


def export(client: Client, args: argparse.Namespace) -> None:
    query = {"format": args.format} | _filters(args)
    if args.cached is not None:
        query["cached"] = args.cached
    with client.open("export?" + urllib.parse.urlencode(query)) as response:
        shutil.copyfileobj(response, sys.stdout.buffer)


def replay(client: Client, args: argparse.Namespace) -> dict[str, int]:
    body: dict[str, Any] = {"filter": _filters(args), "limit": args.batch}
    overrides = {
        name: getattr(args, name)
        for name in ("model_override", "temperature", "system", "max_output_tokens")
        if getattr(args, name) is not None
    }
    if "model_override" in overrides:
        overrides["model"] = overrides.pop("model_override")
    if overrides:
        body["overrides"] = overrides
    if args.cursor:
        body["cursor"] = args.cursor

    totals = {"identical": 0, "changed": 0, "failed": 0}
    while True:
        with client.open("replay", body) as response:
            batch = json.load(response)
        for verdict in totals:
            totals[verdict] += batch[verdict]
        cursor = batch["next_cursor"]
        print(json.dumps({"batch": {v: batch[v] for v in totals}, "cursor": cursor}))
        if cursor is None:
            break
        body["cursor"] = cursor
    print(json.dumps({"totals": totals}))
    return totals


def _filters(args: argparse.Namespace) -> dict[str, str]:
    return {name: getattr(args, name) for name in FILTERS if getattr(args, name)}


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="flight_recorder.cli", description=__doc__)
    root.add_argument("--url", default=os.environ.get("FLIGHT_RECORDER_BASE_URL"))
    root.add_argument("--key", default=os.environ.get("FLIGHT_RECORDER_API_KEY"))
    commands = root.add_subparsers(dest="command", required=True)

    exporting = commands.add_parser("export", help="write matching traces to stdout")
    exporting.add_argument("--format", choices=("jsonl", "otlp"), default="jsonl")
    exporting.add_argument("--cached", choices=("true", "false"))

    replaying = commands.add_parser("replay", help="replay every matching trace")
    replaying.add_argument("--batch", type=int, default=10, help="traces per call")
    replaying.add_argument("--cursor", help="resume from this cursor")
    replaying.add_argument("--model-override", help="replay with this model")
    replaying.add_argument("--temperature", type=float)
    replaying.add_argument("--system", help="replay with this system prompt")
    replaying.add_argument("--max-output-tokens", type=int)

    for command in (exporting, replaying):
        for name in FILTERS:
            command.add_argument(f"--{name.replace('_', '-')}", dest=name)
    return root


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    if not args.url:
        raise SystemExit("give --url or set FLIGHT_RECORDER_BASE_URL")
    client = Client(args.url, args.key)
    if args.command == "export":
        export(client, args)
    else:
        replay(client, args)


if __name__ == "__main__":
    main()
